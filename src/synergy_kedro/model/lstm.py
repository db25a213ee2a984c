"""The network of Fang et al.: Linear(→hidden)+ReLU → LSTM(hidden) → Linear(→1).

The input layer lifts forcing and static attributes (statics repeated along time) into the LSTM's
width; the head maps each time step's hidden state to the target, so one forward pass gives a
prediction for every day of the window (sequence-to-sequence, as in hydroDL's CudnnLstmModel).
Dropout sits on the LSTM output; the paper's group uses 0.5. On CPU its mask comes from
:func:`~synergy_kedro.model.dropout.keep_mask` (a third of the step was ``nn.Dropout``'s RNG).
"""

from __future__ import annotations

import torch
from torch import nn

from .dropout import keep_mask


class HydroLSTM(nn.Module):
    def __init__(self, n_inputs: int, hidden_size: int = 256, dropout: float = 0.5) -> None:
        super().__init__()
        self.input_layer = nn.Linear(n_inputs, hidden_size)
        self.lstm = nn.LSTM(hidden_size, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, time, n_inputs) → (batch, time)."""
        h = torch.relu(self.input_layer(x))
        out, _ = self.lstm(h)
        return self.head(self._drop(out)).squeeze(-1)

    def _drop(self, out: torch.Tensor) -> torch.Tensor:
        p = self.dropout.p
        if not self.training or out.is_cuda or not 0 < p < 1:
            return self.dropout(out)
        return out * keep_mask(out.shape, 1.0 - p, device=out.device)
