"""One placement and precision policy: CUDA when there is one, CPU otherwise; precisions checked by name."""

import resource

import numpy as np
import pytest
import torch

from synergy_kedro.core.errors import ConfigurationError
from synergy_kedro.model import device as device_module
from synergy_kedro.model.device import (
    autocast,
    check_precision,
    configure_backends,
    matmul_dtype,
    peak_memory_bytes,
    resolve_device,
    to_device,
)

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def test_auto_falls_back_to_cpu_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")


def test_an_explicit_device_is_taken_as_given():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("cuda:1") == torch.device("cuda", 1)  # no availability check: the user asked for it
    given = torch.device("cpu")
    assert resolve_device(given) is given


@pytest.mark.parametrize("bad", ["fp16", "FP32", "", "float32"])
def test_an_unknown_precision_is_refused_naming_the_value_and_the_choices(bad):
    with pytest.raises(ConfigurationError, match=rf"precision must be one of .*'fp32'.*got {bad!r}"):
        check_precision(bad)
    with pytest.raises(ConfigurationError):
        autocast(torch.device("cpu"), bad)


def test_bf16_autocasts_matrix_products_and_fp32_tf32_do_not():
    a, b = torch.randn(4, 5), torch.randn(5, 3)
    with autocast(torch.device("cpu"), "bf16"):
        assert (a @ b).dtype == torch.bfloat16
    for precision in ("fp32", "tf32"):
        with autocast(torch.device("cpu"), precision):
            assert (a @ b).dtype == torch.float32
    assert [matmul_dtype(p) for p in ("fp32", "bf16", "tf32")] == [torch.float32, torch.bfloat16, torch.float32]


def test_no_autocast_switches_an_enclosing_bf16_autocast_off():
    a, b = torch.randn(4, 5), torch.randn(5, 3)
    with autocast(torch.device("cpu"), "bf16"), device_module.no_autocast("cpu"):
        assert (a @ b).dtype == torch.float32


def test_on_cpu_a_strided_array_becomes_a_float32_tensor_with_the_same_values():
    array = np.arange(24, dtype=np.float64).reshape(4, 6)[:, ::2]  # not contiguous
    tensor = to_device(array, torch.device("cpu"))
    assert tensor.dtype == torch.float32 and tensor.device.type == "cpu" and tuple(tensor.shape) == (4, 3)
    np.testing.assert_array_equal(tensor.numpy(), array.astype(np.float32))
    assert to_device(np.array([1, 2]), torch.device("cpu"), torch.int64).dtype == torch.int64


def _backend_settings():
    return (torch.backends.cudnn.benchmark, torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)


def _set_backend_settings(benchmark, cudnn_tf32, matmul_tf32):
    torch.backends.cudnn.benchmark, torch.backends.cudnn.allow_tf32 = benchmark, cudnn_tf32
    torch.backends.cuda.matmul.allow_tf32 = matmul_tf32


@pytest.fixture
def backend_settings():
    """The process-wide backend flags, restored after the test."""
    saved = _backend_settings()
    yield
    _set_backend_settings(*saved)


def test_cpu_leaves_the_cuda_backend_settings_alone(backend_settings):
    _set_backend_settings(False, False, False)
    configure_backends(torch.device("cpu"), "tf32")
    assert _backend_settings() == (False, False, False)


def test_cpu_peak_memory_is_the_process_high_water_mark(monkeypatch):
    peak = peak_memory_bytes(torch.device("cpu"))
    rusage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    assert peak > 0 and abs(peak - rusage) <= 0.1 * rusage

    def no_proc(*args, **kwargs):
        raise OSError("no /proc here")

    monkeypatch.setattr(device_module, "open", no_proc, raising=False)  # the getrusage fallback (macOS, BSD)
    fallback = peak_memory_bytes(torch.device("cpu"))
    assert abs(fallback - rusage) <= 0.1 * rusage


@CUDA
def test_on_cuda_the_copy_lands_on_the_device_and_tf32_is_only_on_when_asked(backend_settings):
    cuda = resolve_device("auto")
    assert cuda.type == "cuda"
    array = np.random.default_rng(0).normal(size=(64, 32))
    tensor = to_device(array, cuda)
    assert tensor.is_cuda
    np.testing.assert_array_equal(tensor.cpu().numpy(), array.astype(np.float32))
    configure_backends(cuda, "tf32")
    assert _backend_settings() == (True, True, True)
    configure_backends(cuda, "fp32")
    assert _backend_settings() == (True, False, False)
