"""A full disk or an unwritable folder ends in a message naming the file, and leaves no half-written file."""

from __future__ import annotations

import errno
import re
import subprocess
import uuid

import numpy as np
import pytest
import torch
import xarray as xr
from kedro.io import DatasetError

from synergy_kedro.core.atomic import write_atomically
from synergy_kedro.core.errors import StorageError, user_error_in
from synergy_kedro.datasets.torch_model import TorchModelDataset
from synergy_kedro.datasets.xarray_netcdf import XarrayNetCDFDataset


def test_a_failed_write_keeps_the_old_file_and_removes_the_part(tmp_path):
    target = tmp_path / "model.pt"
    target.write_text("old")

    def half_then_fail(tmp):
        tmp.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp))

    with pytest.raises(OSError):
        write_atomically(target, half_then_fail)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]


@pytest.mark.parametrize("code,reason", [(errno.ENOSPC, "the disk is full"), (errno.EROFS, "read-only"),
                                         (errno.EACCES, "permission denied")])
def test_a_storage_oserror_behind_kedros_wrapper_is_a_user_error(code, reason):
    try:
        try:
            raise OSError(code, "os message", "/data/08_reporting/boxplots.png")
        except OSError as inner:
            raise DatasetError("Failed while saving data to dataset global_vs_local_boxplots") from inner
    except DatasetError as outer:
        found = user_error_in(outer)
    assert isinstance(found, StorageError)
    assert "Cannot write or read /data/08_reporting/boxplots.png" in str(found) and reason in str(found)
    assert user_error_in(OSError(errno.ENOENT, "missing")) is None  # a missing file is not the disk's fault


@pytest.fixture
def tiny_disk(tmp_path):
    """A 1 MiB tmpfs: a really full disk (needs mount rights, which root in the CI container has)."""
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "--lazy", str(mount)], check=True)  # torch may hold the failed file open


def test_a_netcdf_on_a_full_disk_says_so_and_leaves_nothing(tiny_disk):
    data = xr.Dataset({"x": (("site", "time"), np.random.default_rng(0).random((50, 8000)))})  # 3.2 MB
    with pytest.raises(DatasetError) as caught:  # Kedro wraps what a save raises
        XarrayNetCDFDataset(str(tiny_disk / "model_inputs.nc")).save(data)
    assert re.search(r"model_inputs.nc: the disk is full \(\d+ KiB left\)", str(user_error_in(caught.value)))
    assert list(tiny_disk.iterdir()) == []


def test_a_model_on_a_full_disk_is_a_user_error_and_leaves_nothing(tiny_disk):
    record = {"state_dict": {"w": torch.zeros(600_000)}}  # 2.4 MB
    with pytest.raises(DatasetError) as caught:
        TorchModelDataset(str(tiny_disk / "model.pt")).save(record)
    assert "model.pt: the disk is full" in str(user_error_in(caught.value))
    assert list(tiny_disk.iterdir()) == []


def test_a_read_only_output_folder_is_named(tmp_path):
    mount = tmp_path / "readonly"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        for dataset in (XarrayNetCDFDataset(str(mount / "canonical.nc")), TorchModelDataset(str(mount / "model.pt"))):
            data = xr.Dataset({"x": ("t", np.arange(3.0))}) if isinstance(dataset, XarrayNetCDFDataset) else {}
            with pytest.raises(DatasetError) as caught:
                dataset.save(data)
            assert "the file system is read-only" in str(user_error_in(caught.value))
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=True)
