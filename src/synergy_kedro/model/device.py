"""Device placement and numeric precision for the training engines.

Kept apart from the loops so :mod:`synergy_kedro.model.training` and
:mod:`synergy_kedro.model.grouped` share one policy:

* the training arrays go to the device once, as whole tensors (a batch is a gather on the
  device, never a host→device copy per step); on CUDA the host copy is staged through pinned
  memory so the one transfer is asynchronous and at full PCIe speed;
* ``precision``: ``fp32`` (default, bit-reproducible on CPU), ``bf16`` (autocast to bfloat16 for
  the matrix products, float32 master weights, optimizer state and loss; no loss scaling is needed
  for bfloat16) or ``tf32`` (CUDA only: float32 storage, TensorFloat-32 matrix products);
* ``configure_backends``: cuDNN on (``nn.LSTM`` then runs cuDNN's fused LSTM), benchmark mode on
  for the fixed batch shapes.
"""

from __future__ import annotations

import contextlib
import resource
import sys
from collections.abc import Iterator

import numpy as np
import torch

from synergy_kedro.core.errors import ConfigurationError

PRECISIONS = ("fp32", "bf16", "tf32")


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``auto`` → CUDA when available, else CPU; anything else is taken as given."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def check_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise ConfigurationError(f"precision must be one of {PRECISIONS}, got {precision!r}.")
    return precision


def configure_backends(device: torch.device, precision: str = "fp32") -> None:
    """cuDNN on (fused LSTM kernels), autotuned for fixed shapes; TF32 only when asked for."""
    if device.type != "cuda":
        return
    torch.backends.cudnn.enabled = True
    torch.backends.cudnn.benchmark = True
    tf32 = precision == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32


def to_device(array: np.ndarray | torch.Tensor, device: torch.device,
              dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Whole array → tensor on ``device``; on CUDA via pinned host memory and a non-blocking copy.

    Later kernels on the same stream are ordered after the copy, so no explicit synchronisation
    is needed before the tensor is used.
    """
    host = torch.as_tensor(np.ascontiguousarray(array) if isinstance(array, np.ndarray) else array, dtype=dtype)
    if device.type != "cuda":
        return host.to(device)
    return host.pin_memory().to(device, non_blocking=True)


def autocast(device: torch.device, precision: str = "fp32") -> contextlib.AbstractContextManager:
    """The autocast context of ``precision`` (a no-op for fp32/tf32)."""
    if check_precision(precision) == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def matmul_dtype(precision: str) -> torch.dtype:
    """Dtype of the matrix-product operands under ``precision`` (accumulation stays float32)."""
    return torch.bfloat16 if check_precision(precision) == "bf16" else torch.float32


def synchronize(device: torch.device) -> None:
    """Wait for queued kernels (for honest wall-clock timings on CUDA)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def reset_peak_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def peak_memory_bytes(device: torch.device) -> int:
    """Peak allocated CUDA memory since the last reset, or this process's peak RSS on CPU.

    The CPU figure is a process-lifetime high-water mark (``VmHWM`` on Linux; ``getrusage``
    elsewhere, which a child process inherits from its parent across fork/exec), so compare
    engines in separate processes.
    """
    if device.type == "cuda":
        return int(torch.cuda.max_memory_allocated(device))
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(rss if sys.platform == "darwin" else rss * 1024)


@contextlib.contextmanager
def no_autocast(device_type: str) -> Iterator[None]:
    """Autocast off (custom kernels cast their operands explicitly)."""
    with torch.autocast(device_type=device_type, enabled=False):
        yield
