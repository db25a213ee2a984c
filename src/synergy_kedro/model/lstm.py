"""The network of Fang et al.: Linear(→hidden)+ReLU → LSTM(hidden) → Linear(→1).

The input layer lifts forcing and static attributes (statics repeated along time) into the LSTM's
width; the head maps each time step's hidden state to the target, so one forward pass gives a
prediction for every day of the window (sequence-to-sequence, as in hydroDL's CudnnLstmModel).

**Dropout as the authors' code** (``dropout_method="weights"``, the default): hydroDL's
``CudnnLstm`` (``drMethod="drW"``) applies DropConnect: in training, one Bernoulli(1 − p) mask,
scaled by 1/(1 − p), on each of the LSTM's input-to-hidden and hidden-to-hidden weight matrices,
drawn anew for every forward pass (one mask per batch, shared by every sample and time step); the
biases are not masked and evaluation uses the plain weights. The masked weights go to the same
fused LSTM kernel ``nn.LSTM`` uses (oneDNN on CPU, cuDNN on CUDA), as hydroDL hands them to
``torch._cudnn_rnn``: no Python loop over time. ``dropout_method="outputs"`` keeps this project's
earlier choice (a fresh mask on the LSTM's output at every time step) as an alternative.

**Initialisation as the authors' code**: hydroDL draws every LSTM parameter (both weight matrices,
both biases) uniform in ±1/√H; that is ``nn.LSTM``'s own ``reset_parameters``, so it is kept as is
(tested). The two linear layers keep ``nn.Linear``'s default, as in hydroDL.

On CPU the masks come from :func:`~synergy_kedro.model.dropout.keep_mask` (``nn.Dropout``'s
``bernoulli_`` was a third of a step).
"""

from __future__ import annotations

import torch
from torch import nn

from synergy_kedro.core.errors import ConfigurationError

from .dropout import keep_mask

DROPOUT_METHODS = ("weights", "outputs")


def check_dropout_method(method: str) -> str:
    if method not in DROPOUT_METHODS:
        raise ConfigurationError(
            f"training.dropout_method is {method!r}; choose one of {list(DROPOUT_METHODS)} "
            "(weights: hydroDL's DropConnect on the LSTM weights; outputs: dropout on the LSTM output).")
    return method


class HydroLSTM(nn.Module):
    def __init__(self, n_inputs: int, hidden_size: int = 256, dropout: float = 0.5,
                 dropout_method: str = "weights") -> None:
        super().__init__()
        self.input_layer = nn.Linear(n_inputs, hidden_size)
        self.lstm = nn.LSTM(hidden_size, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.dropout_method = check_dropout_method(dropout_method)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, time, n_inputs) → (batch, time)."""
        h = torch.relu(self.input_layer(x))
        if self.dropout_method == "weights":
            out = self._lstm_drop_connect(h)
        else:
            out = self._drop_outputs(self.lstm(h)[0])
        return self.head(out).squeeze(-1)

    def _lstm_drop_connect(self, h: torch.Tensor) -> torch.Tensor:
        """The fused LSTM with masked weight matrices in training (the masks are part of the graph)."""
        p = self.dropout.p
        if not self.training or p == 0:
            return self.lstm(h)[0]
        w_ih, w_hh = self.lstm.weight_ih_l0, self.lstm.weight_hh_l0
        w_ih = w_ih * keep_mask(w_ih.shape, 1.0 - p, device=w_ih.device)
        w_hh = w_hh * keep_mask(w_hh.shape, 1.0 - p, device=w_hh.device)
        return torch.func.functional_call(self.lstm, {"weight_ih_l0": w_ih, "weight_hh_l0": w_hh}, (h,))[0]

    def _drop_outputs(self, out: torch.Tensor) -> torch.Tensor:
        p = self.dropout.p
        if not self.training or out.is_cuda or not 0 < p < 1:
            return self.dropout(out)
        return out * keep_mask(out.shape, 1.0 - p, device=out.device)
