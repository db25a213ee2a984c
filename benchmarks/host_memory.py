"""Training steps with glibc's default allocator vs with freed memory kept for reuse (model/host_memory.py).

Each case runs in its own process (the allocator setting is per process): ``--steps`` training steps of
one model at the paper's shapes on one torch thread (synthetic data, the project's own engine), then
prints wall ms per step, user and system CPU ms per step, minor page faults per step and peak memory.

    python benchmarks/host_memory.py --steps 10
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHAPES = {  # sites, days, inputs, window, batch: the paper's streamflow and soil-moisture settings
    "streamflow (482 basins, window 365, batch 500)": (482, 3653, 16, 365, 500),
    "soil moisture (339 pixels, window 30, batch 100)": (339, 366, 13, 30, 100),
}

STEP = """
import resource, sys, time
sys.path.insert(0, {tests!r})
import numpy as np, torch
torch.set_num_threads(1)
from model.synthetic import config
from synergy_kedro.model.training import train_lstm
sites, days, inputs, window, batch, steps = {args}
rng = np.random.default_rng(0)
x = rng.normal(size=(sites, days, inputs)).astype("float32")
y = rng.normal(size=(sites, days)).astype("float32")
cfg = config(hidden_size=64, window=window, batch_size=batch, epochs=1, iterations_per_epoch=steps)
r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
train_lstm(x, y, cfg)
r1, t1 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
print((t1 - t0) / steps * 1e3, (r1.ru_utime - r0.ru_utime) / steps * 1e3, (r1.ru_stime - r0.ru_stime) / steps * 1e3,
      (r1.ru_minflt - r0.ru_minflt) / steps, r1.ru_maxrss / 1e6)
"""


def measure(shape: tuple[int, ...], steps: int, keep: bool) -> list[float]:
    env = {**os.environ, "SYNERGY_KEEP_FREED_MEMORY": "1" if keep else "0"}
    code = STEP.format(tests=str(REPO / "tests"), args=(*shape, steps))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return [float(v) for v in out.stdout.split()[-5:]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    print("| shape | allocator | ms/step | user ms | system ms | minor faults/step | peak GB |")
    print("|---|---|---|---|---|---|---|")
    for name, shape in SHAPES.items():
        steps = args.steps if shape[3] > 100 else args.steps * 20
        for keep in (False, True):
            wall, user, system, faults, peak = measure(shape, steps, keep)
            label = "freed memory kept (default now)" if keep else "glibc default (SYNERGY_KEEP_FREED_MEMORY=0)"
            print(f"| {name} | {label} | {wall:.1f} | {user:.1f} | {system:.1f} | {faults:,.0f} | {peak:.2f} |",
                  flush=True)


if __name__ == "__main__":
    main()
