"""Node functions of the toy pipelines, in a light module: Dask workers import it by reference."""

from __future__ import annotations

import os
import time


def stamp(label: str) -> dict:
    return {"label": label, "pid": os.getpid(), "start": time.time(), "end": time.time()}


def first(x: int) -> tuple[int, dict]:
    return x + 1, stamp("first")


def slow_branch(value: int, seconds: float) -> tuple[int, dict]:
    start = time.time()
    time.sleep(seconds)
    return value * 10, {**stamp("branch"), "start": start}


def join(left: int, right: int) -> tuple[int, dict]:
    return left + right, stamp("join")


def explode(value: int) -> int:
    raise ValueError(f"boom at {value}")


def plus_one(value: int) -> int:
    return value + 1


class Unpicklable:
    """Copyable in memory (MemoryDataset deep-copies) but refuses to be pickled, like a live handle."""

    def __deepcopy__(self, memo: dict) -> Unpicklable:
        return self

    def __reduce__(self):
        raise TypeError("Unpicklable refuses to be pickled")


def make_handle(value: int) -> Unpicklable:
    return Unpicklable()


def worker_env_probe(value: int) -> dict:
    """The environment variables a worker process was started with, as the DaskRunner set them."""
    return {k: os.environ.get(k) for k in ("MALLOC_TRIM_THRESHOLD_", "SYNERGY_PROBE")}


def torch_threads(value: int) -> int:
    """The torch intra-op thread count of the process the node runs in."""
    import torch

    return torch.get_num_threads()
