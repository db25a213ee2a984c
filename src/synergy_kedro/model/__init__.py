"""The paper's LSTM, its batch sampling and its training loop."""
