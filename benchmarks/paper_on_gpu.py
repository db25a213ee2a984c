"""The paper's experiments at the paper's settings, packed to travel to a GPU machine.

Three steps, each a subcommand (run from the repository root):

    # 1. where the raw data is (data/01_raw, see the README): ingest once, pack into one netCDF
    python benchmarks/paper_on_gpu.py pack --target streamflow            # → data/gpu_pack/streamflow.nc
    # 2. how long it should take on an H200, from the per-step times measured in benchmarks/RESULTS.md
    python benchmarks/paper_on_gpu.py estimate --target streamflow --experiment global_vs_local
    # 3. on the GPU machine (the pack is the only data it needs)
    python benchmarks/paper_on_gpu.py run --target streamflow --experiment global_vs_local

``run`` is ``kedro run --env <env> --pipeline <experiment>`` with ``ingestion.source: packed`` and
the paper's training settings: hidden 256, 500 epochs, window and batch of the target (365/500
streamflow, 30/100 soil moisture), AdaDelta, DropConnect 0.5, the local models grouped (one
stacked model, :mod:`synergy_kedro.model.grouped`), bf16 matrix products, learning curves every 25
epochs. Its report is the experiment's ``paper_comparison.md`` under ``data/<env>/08_reporting``.

``--tiny`` swaps in a configuration that runs on a CPU in about a minute (the embedded dataset,
hidden 8, 2 epochs): the test of this script. The pack must stay under 50 MiB to travel.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import xarray as xr

PROJECT = Path(__file__).resolve().parents[1]
ENV_OF_TARGET = {"streamflow": "caravan", "soil_moisture": "smap_hydrodl"}
MAX_PACK_MIB = 50
PAPER_TRAINING = {"hidden_size": 256, "epochs": 500, "dropout": 0.5, "dropout_method": "weights",
                  "optimizer": "adadelta", "grouped": True, "precision": "bf16", "device": "auto", "eval_every": 25}
TINY_TRAINING = {"hidden_size": 8, "epochs": 2, "iterations_per_epoch": 3, "grouped": True, "eval_every": 1,
                 "device": "auto"}
TINY_INGESTION = {"virtual_conus": {"sites_per_subregion": 3, "sites_per_focus_l3": 3,
                                    "focus_l3_codes": ["8.3.5", "9.4.2"], "n_years": 2, "start": "2010-01-01"}}
TINY_PERIODS = {"train": ["2010-01-01", "2010-12-31"], "test": ["2011-01-01", "2011-12-31"]}

# Per-step training times on one H200 (benchmarks/RESULTS.md, "Training speed on a GPU"), hidden 256:
# streamflow (window 365, batch 500): bare nn.LSTM 27.2 ms, train step bf16 at 1.42× its speed;
# soil moisture (window 30, batch 100): bare 2.42 ms, train step bf16 at 0.48×; 18 local models grouped
# ran 3.27× faster than one by one (soil-moisture shape; assumed the same at window 365).
STEP_MS = {"streamflow": 27.2 / 1.42, "soil_moisture": 2.42 / 0.48}
GROUPED_SPEEDUP = 3.27


def _session(project: Path, env: str | None, runtime_params: dict):
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(project)
    return KedroSession.create(project_path=project, env=env, runtime_params=runtime_params)


def pack(target: str, env: str | None, out: Path, tiny: bool = False, project: Path = PROJECT) -> Path:
    """Ingest with ``env``'s raw data and catalog (no tracking, no training), write one compressed netCDF."""
    from kedro.runner import SequentialRunner

    from synergy_kedro.core.targets import describe
    from synergy_kedro.pipelines.ingestion.pipeline import create_pipeline

    params = {"target": target, **({"ingestion": TINY_INGESTION, "periods": TINY_PERIODS} if tiny else {})}
    with _session(project, env, params) as session:
        context = session.load_context()
        source = context.params["ingestion"]["source"]
        catalog = context.catalog
        # as the run's hook does (PipelineStructureHooks): the target with its kind and units
        catalog["params:target"] = describe(target, context.params.get("target_kind"), context.params.get("target_units"))
        SequentialRunner().run(create_pipeline(source), catalog)
        canonical = catalog.load("canonical_dataset")
        train = context.params["periods"]["train"]
    canonical.attrs.update(source=source, env=str(env), target=target, train_start=train[0], train_end=train[1])
    encoding = {name: {"zlib": True, "complevel": 5} for name in canonical.data_vars
                if canonical[name].dtype.kind == "f"}
    out.parent.mkdir(parents=True, exist_ok=True)
    canonical.astype({n: "float32" for n in encoding}).to_netcdf(out, encoding=encoding)
    size = out.stat().st_size / 2**20
    print(f"packed {canonical.sizes['site']} sites × {canonical.sizes['time']} days of {target} from {source} "
          f"into {out} ({size:.1f} MiB)")
    if size > MAX_PACK_MIB:
        raise SystemExit(f"{out} is {size:.1f} MiB, over the {MAX_PACK_MIB} MiB a GPU machine accepts: drop features "
                         "or shorten the periods in conf/<env>.")
    return out


def run(target: str, experiment: str, env: str | None, packed: Path, tiny: bool = False,
        project: Path = PROJECT) -> Path:
    """The experiment on the pack at the paper's settings (or tiny ones); returns the report's path."""
    training = TINY_TRAINING if tiny else PAPER_TRAINING
    block = {"training": training} if experiment == "global_vs_local" else {"similar_vs_dissimilar": {"training": training}}
    params = {"target": target, "ingestion": {"source": "packed"}, "packed_file": str(packed.resolve()),
              "global_vs_local": {"seed_repeats": 1}, **block,
              **({"periods": TINY_PERIODS} if tiny else {})}
    with _session(project, env, params) as session:
        outputs = session.load_context().config_loader["globals"].get("outputs", "data")
        session.run(pipeline_name=experiment)
    report = project / outputs / "08_reporting" / experiment / "paper_comparison.md"
    print(report.read_text())
    return report


def estimate(target: str, experiment: str, packed: Path) -> float:
    """Minutes on one H200 from the measured step times; prints the sum, model by model group."""
    import numpy as np

    from synergy_kedro.core.parameters import Partitioning
    from synergy_kedro.model.sampling import epoch_plan
    from synergy_kedro.pipelines.partitioning.nodes import assign_regions

    if experiment != "global_vs_local":
        raise SystemExit("estimate covers global_vs_local (similar_vs_dissimilar: one grouped pass per ROI).")
    canonical = xr.open_dataset(packed)
    regions = assign_regions(canonical, Partitioning(scheme="epa", min_sites=5, column=None, regions=None))
    window, batch = (365, 500) if target == "streamflow" else (30, 100)
    n_time = canonical.sel(time=slice(canonical.attrs["train_start"], canonical.attrs["train_end"])).sizes["time"]
    epochs, step = PAPER_TRAINING["epochs"], STEP_MS[target] / 1000
    in_region = int(regions["subregion"].notna().sum())  # the global model trains on the sites of every region
    global_plan = epoch_plan(in_region, n_time, window, batch, epochs)
    global_s = global_plan.iterations * epochs * step
    counts = regions["subregion"].value_counts()
    local = [epoch_plan(int(n), n_time, window, batch, epochs) for n in counts[counts >= 5]]
    # Grouped: steps run in lockstep, as many as the model with most updates; each step costs about one
    # reference step (padding to the largest batch, at most the reference batch) divided by the speed-up.
    grouped_s = max(p.iterations for p in local) * epochs * step * len(local) / GROUPED_SPEEDUP
    print(f"{target} global_vs_local on one H200 (hidden 256, {epochs} epochs, bf16):")
    print(f"  global: {in_region} sites, batch {global_plan.batch_size}, "
          f"{global_plan.iterations} updates/epoch → {global_s / 60:.1f} min")
    print(f"  {len(local)} local models grouped: batches {sorted(p.batch_size for p in local)}, "
          f"≤ {max(p.iterations for p in local)} updates/epoch → {grouped_s / 60:.1f} min")
    total = (global_s + grouped_s) / 60
    print(f"  total ≈ {total:.0f} min one node after the other; ≈ {max(global_s, grouped_s) / 60:.0f} min if the "
          f"global node and the local group share the GPU at once (target 12 min; step times from "
          f"benchmarks/RESULTS.md, grouped speed-up {GROUPED_SPEEDUP}× assumed at every window)")
    return float(np.round(total, 1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["pack", "estimate", "run"])
    parser.add_argument("--target", choices=list(ENV_OF_TARGET), default="streamflow")
    parser.add_argument("--experiment", choices=["global_vs_local", "similar_vs_dissimilar"], default="global_vs_local")
    parser.add_argument("--env", help="Kedro environment (default: caravan for streamflow, smap_hydrodl for soil moisture)")
    parser.add_argument("--pack", type=Path, help="pack file (default data/gpu_pack/<target>.nc)")
    parser.add_argument("--tiny", action="store_true", help="the embedded dataset and a CPU-sized configuration")
    parser.add_argument("--project", type=Path, default=PROJECT, help="the Kedro project (default: this repository)")
    args = parser.parse_args(argv)
    env = args.env or (None if args.tiny else ENV_OF_TARGET[args.target])
    target = "soil_moisture" if args.tiny else args.target
    packed = args.pack or args.project / "data" / "gpu_pack" / f"{target}{'_tiny' if args.tiny else ''}.nc"
    if args.step == "pack":
        pack(target, env, packed, args.tiny, args.project)
    elif args.step == "estimate":
        estimate(target, args.experiment, packed)
    else:
        run(target, args.experiment, env, packed, args.tiny, args.project)


if __name__ == "__main__":
    sys.exit(main())
