"""global_vs_local on all 482 real CAMELS basins (Caravan layout) on this machine's CPU.

Unpacks ../shared/data/caravan_camels482.tar.xz into a temporary copy of the project, points the
``caravan`` environment at it (GAGES-II tables and EPA polygons from ../shared/data), runs
``kedro run --env caravan --pipeline global_vs_local`` and prints the settings, wall time, peak
memory and the per-region table. Figures are printed, never asserted.

    python benchmarks/caravan_global_vs_local.py --epochs 8 --hidden 64
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"


def prepare(project: Path) -> None:
    for name in ("pyproject.toml", ".telemetry"):
        shutil.copy(REPO / name, project / name)
    shutil.copytree(REPO / "conf", project / "conf", ignore=shutil.ignore_patterns("local"))
    (project / "conf/local").mkdir()
    (project / "src").mkdir()
    with tarfile.open(SHARED / "caravan_camels482.tar.xz", "r:xz") as tar:
        tar.extractall(project / "data/01_raw", filter="data")
    catalog = yaml.safe_load((project / "conf/caravan/catalog.yml").read_text())
    catalog["gages2_tables"]["path"] = str(SHARED / "gages2")
    catalog["ecoregion_polygons"]["path"] = str(SHARED / "ecoregions/us_eco_l3_conus_covsimpl_0.005.geojson")
    (project / "conf/caravan/catalog.yml").write_text(yaml.safe_dump(catalog))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--scheme", choices=["epa", "aggecoregion"], default="epa")
    parser.add_argument("--keep", type=Path, help="run in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()
    project = args.keep or Path(tempfile.mkdtemp(prefix="caravan482_"))
    project.mkdir(parents=True, exist_ok=True)
    prepare(project)
    params = f"training.epochs={args.epochs},training.hidden_size={args.hidden}"
    if args.scheme == "aggecoregion":
        regions = ["CntlPlains", "EastHghlnds", "MxWdShld", "NorthEast", "SECstPlain", "SEPlains", "WestMnts",
                   "WestPlains", "WestXeric"]
        (project / "conf/caravan/parameters_partitioning.yml").write_text(yaml.safe_dump(
            {"partitioning": {"scheme": "column", "column": "AGGECOREGION", "regions": regions, "min_sites": 5}}))
    command = [sys.executable, "-m", "kedro", "run", "--env", "caravan", "--pipeline", "global_vs_local",
               "--params", params]
    print("settings:", " ".join(command[3:]), "| scheme", args.scheme, "| window 365, batch 500 (paper), AdaDelta")
    started = time.perf_counter()
    done = subprocess.run(command, cwd=project, capture_output=True, text=True)
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if done.returncode:
        print(done.stderr[-5000:])
        raise SystemExit(done.returncode)
    table = pd.read_csv(project / "data/caravan/08_reporting/global_vs_local/comparison.csv", dtype={"region": str})
    pooled = table.set_index("region").loc["All"]
    print(f"wall time {wall / 60:.1f} min, peak memory {peak:.0f} MiB, project {project}")
    print(f"basins {int(pooled['NSE_N'])}: median NSE global {pooled['NSE_median_global']:.3f} vs local "
          f"{pooled['NSE_median_local']:.3f}; global better in {pooled['NSE_share_global_better']:.0%} of basins "
          f"(Wilcoxon p {pooled['NSE_p']:.1e}); median r {pooled['R_median_global']:.3f} vs {pooled['R_median_local']:.3f}")
    print((project / "data/caravan/08_reporting/global_vs_local/comparison.md").read_text())
    if not args.keep:
        shutil.rmtree(project, ignore_errors=True)


if __name__ == "__main__":
    main()
