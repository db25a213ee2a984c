"""Benchmark: wall time of ``kedro run --pipeline global_vs_local`` with Kedro's SequentialRunner,
Kedro's ParallelRunner and :class:`synergy_kedro.runners.DaskRunner` (LocalCluster; node and
namespace units).

Each runner runs ``kedro run`` in a subprocess, in its own throw-away copy of the project (conf/
only; data/ and MLflow's SQLite file are created there), so every run starts from scratch
(ingestion included). Prints the command's wall time, the pipeline time Kedro logs ("Pipeline
execution completed successfully in … sec."), and whether the comparison table equals the first
runner's. The demo configuration (conf/base) takes minutes per runner on 2 cores; ``--quick``
uses a reduced one (every sub-region trains a small model: 19 models) that takes well under a minute.

    python benchmarks/runner_wall_times.py --quick [--workers 2]
        [--runners sequential,parallel,dask,dask-namespace] [--keep DIR]

A ``-1t`` suffix (``sequential-1t``, ``parallel-1t``) runs that runner with OMP_NUM_THREADS=1.

Note: torch's intra-op threads differ by runner (sequential: all cores; parallel: all cores in each
of the processes unless OMP_NUM_THREADS is set, which the project's ParallelThreadsHooks now do
(1 thread); Dask: ``torch_threads`` = 1 per worker), so the
tables agree to float rounding, not bit for bit (bit-identical with 1 thread everywhere, e.g.
``sequential-1t`` vs ``dask``: see tests/runners/test_dask_runner.py).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.kedro_project import copy_project  # noqa: E402 - the same throw-away copy the tests use

TABLE = "data/08_reporting/global_vs_local/comparison.csv"

#: --quick: 5 sites in each of the 18 sub-regions (all reach min_sites), 2 years, small models.
QUICK = {
    "ingestion": {"virtual_conus": {"sites_per_subregion": 5, "sites_per_focus_l3": 0, "focus_l3_codes": [],
                                    "n_years": 2, "start": "2010-01-01"}},
    "periods": {"train": ["2010-01-01", "2010-12-31"], "test": ["2011-01-01", "2011-12-31"]},
    "partitioning": {"min_sites": 5},
    "training": {"hidden_size": 16, "epochs": 2, "iterations_per_epoch": 10},
}


def runner_args(name: str, workers: int) -> list[str]:
    name = name.removesuffix("-1t")
    if name == "sequential":
        return ["--runner", "SequentialRunner"]
    if name == "parallel":
        return ["--runner", "ParallelRunner", "--runner-params", f"max_workers={workers}"]
    unit = "namespace" if name == "dask-namespace" else "node"
    return ["--runner", "synergy_kedro.runners.DaskRunner", "--runner-params", f"n_workers={workers},unit={unit}"]


def run(name: str, root: Path, workers: int, quick: bool) -> dict:
    project = copy_project(root / name)
    if quick:
        (project / "conf/local/parameters_benchmark.yml").write_text(yaml.safe_dump(QUICK))
    (project / "conf/local/dask.yml").write_text("dashboard_address: null\n")
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{(project / 'mlflow.db').as_posix()}", "COLUMNS": "250"}
    env.pop("DASK_SCHEDULER_ADDRESS", None)
    if name.endswith("-1t"):  # torch (OpenMP) on one thread per process, as on the Dask workers
        env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "kedro", "run", "--pipeline", "global_vs_local", *runner_args(name, workers)]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    log = done.stdout + done.stderr
    (project / "run.log").write_text(log)
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed ({' '.join(cmd)}):\n{log[-4000:]}")
    found = re.search(r"Pipeline execution completed successfully in ([\d.]+) sec", log)
    return {"runner": name, "wall_s": wall, "pipeline_s": float(found.group(1)) if found else float("nan"),
            "table": pd.read_csv(project / TABLE, dtype={"region": str})}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="reduced configuration (19 small models, 2 years)")
    ap.add_argument("--workers", type=int, default=2, help="ParallelRunner max_workers and LocalCluster n_workers")
    ap.add_argument("--runners", default="sequential,parallel,dask,dask-namespace")
    ap.add_argument("--keep", type=Path, help="keep the project copies (and their run.log) in this folder")
    args = ap.parse_args()
    names = args.runners.split(",")

    root = args.keep or Path(tempfile.mkdtemp(prefix="runner_wall_times_"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        print(f"global_vs_local, {'--quick configuration' if args.quick else 'demo configuration (conf/base)'}; "
              f"{os.cpu_count()} cpu cores; {args.workers} workers; load average before: {os.getloadavg()[0]:.1f}")
        print(f"{'runner':16} {'wall s':>8} {'pipeline s':>11}  table vs first runner")
        results = []
        for name in names:
            r = run(name, root, args.workers, args.quick)
            if results:
                ref = results[0]["table"]
                num = r["table"].select_dtypes("number")
                diff = (num - ref[num.columns]).abs().max().max()
                same = "identical" if r["table"].equals(ref) else f"max abs difference {diff:.2e}"
            else:
                same = "(reference)"
            results.append(r)
            print(f"{name:16} {r['wall_s']:8.1f} {r['pipeline_s']:11.1f}  {same}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
