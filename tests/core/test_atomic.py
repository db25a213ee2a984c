"""A file is replaced whole or not at all: readers never see a part, and a failed write leaves no part file."""

from __future__ import annotations

import shutil
from collections import namedtuple

import pytest

from synergy_kedro.core import atomic
from synergy_kedro.core.atomic import FULL_DISK_BYTES, write_atomically
from synergy_kedro.core.errors import StorageError, UserError

Usage = namedtuple("Usage", "total used free")


def test_the_writer_fills_a_sibling_part_file_while_the_old_file_stays_readable(tmp_path):
    target = tmp_path / "model.pt"
    target.write_text("old")
    seen = {}

    def write(tmp):
        tmp.write_text("new")
        seen["tmp"], seen["target during the write"] = tmp, target.read_text()

    write_atomically(target, write)
    assert seen["tmp"] == tmp_path / "model.pt.part"  # same folder, so the rename cannot cross file systems
    assert seen["target during the write"] == "old"
    assert target.read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]


def test_missing_parent_folders_are_created(tmp_path):
    target = tmp_path / "06_models" / "global" / "model.pt"
    write_atomically(target, lambda tmp: tmp.write_bytes(b"\x00\x01"))
    assert target.read_bytes() == b"\x00\x01"


def test_an_interrupt_removes_the_part_keeps_the_old_file_and_stays_an_interrupt(tmp_path):
    target = tmp_path / "inputs.nc"
    target.write_text("old")

    def interrupted(tmp):
        tmp.write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, interrupted)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["inputs.nc"]


def test_a_failure_with_room_on_the_disk_is_raised_unchanged(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic.shutil, "disk_usage", lambda path: Usage(10**12, 0, 10**9))
    error = ValueError("the writer's own bug")

    def broken(tmp):
        tmp.write_text("half")
        raise error

    with pytest.raises(ValueError) as caught:
        write_atomically(tmp_path / "x.nc", broken)
    assert caught.value is error and not isinstance(caught.value, UserError)
    assert list(tmp_path.iterdir()) == []


def test_a_failure_on_a_full_disk_says_the_disk_is_full_and_keeps_the_cause(tmp_path, monkeypatch):
    free = FULL_DISK_BYTES - 4096
    monkeypatch.setattr(atomic.shutil, "disk_usage", lambda path: Usage(10**9, 10**9 - free, free))
    cause = RuntimeError("NetCDF: HDF error")  # how netCDF4 reports a full disk

    def fails(tmp):
        tmp.write_text("half")
        raise cause

    target = tmp_path / "canonical.nc"
    with pytest.raises(StorageError, match=rf"{target}: the disk is full \({free // 1024} KiB left\)") as caught:
        write_atomically(target, fails)
    assert caught.value.__cause__ is cause
    assert list(tmp_path.iterdir()) == []


def test_free_space_is_measured_before_the_part_file_is_removed(tmp_path, monkeypatch):
    """The part file holds the space that filled the disk; deleting it first would hide a full disk."""
    measured = []
    real = shutil.disk_usage

    def spy(path):
        measured.append(any(p.suffix == ".part" for p in tmp_path.iterdir()))
        return real(path)

    monkeypatch.setattr(atomic.shutil, "disk_usage", spy)

    def fails(tmp):
        tmp.write_text("half")
        raise OSError("write failed")

    with pytest.raises(OSError):
        write_atomically(tmp_path / "m.pt", fails)
    assert measured == [True]
