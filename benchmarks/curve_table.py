"""The learning curves that ``benchmarks/learning_curve.py`` wrote, side by side: a markdown table and a figure.

    python benchmarks/curve_table.py --env caravan --model global --figure docs/figures/caravan_global_curves.png

Reads ``data/<env>/learning_curves/<model>_<optimizer>.csv`` for each optimizer found and prints
one row per scored epoch (updates, median test metrics per optimizer, wall minutes as measured,
with whatever else was running then), plus the best point of each optimizer.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="caravan")
    parser.add_argument("--model", default="global")
    parser.add_argument("--figure", type=Path, default=None)
    args = parser.parse_args()
    folder = REPO / f"data/{args.env}/learning_curves"
    curves = {path.stem.removeprefix(f"{args.model}_"): pd.read_csv(path)
              for path in sorted(folder.glob(f"{args.model}_*.csv"))}
    if not curves:
        raise SystemExit(f"No curves in {folder}: run benchmarks/learning_curve.py first.")
    metrics = [c.removeprefix("test_median_") for c in next(iter(curves.values())).columns
               if c.startswith("test_median_")]
    table = pd.concat({name: c.set_index("updates")[[f"test_median_{m}" for m in metrics] + ["minutes"]]
                       for name, c in curves.items()}, axis=1)
    header = ["updates", *(f"{name} {m}" for name in curves for m in metrics), *(f"{name} min" for name in curves)]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for updates, row in table.iterrows():
        values = [f"{row[(n, f'test_median_{m}')]:.3f}" for n in curves for m in metrics]
        minutes = [f"{row[(n, 'minutes')]:.0f}" for n in curves]
        print(f"| {updates} | " + " | ".join(values + minutes) + " |")
    primary = metrics[0]
    for name, c in curves.items():
        best = c.loc[c[f"test_median_{primary}"].idxmax()] if primary in ("NSE", "R", "KGE") else \
            c.loc[c[f"test_median_{primary}"].idxmin()]
        print(f"\n{name}: best median {primary} {best[f'test_median_{primary}']:.3f} at {int(best['updates'])} updates "
              f"(epoch {int(best['epoch'])}); last {c[f'test_median_{primary}'].iloc[-1]:.3f} at "
              f"{int(c['updates'].iloc[-1])} updates")
    if args.figure:
        fig = Figure(figsize=(4.5 * len(metrics), 3.6), layout="constrained")
        for ax, m in zip(fig.subplots(1, len(metrics), squeeze=False)[0], metrics, strict=False):
            for name, c in curves.items():
                ax.plot(c["updates"], c[f"test_median_{m}"], marker="o", ms=3, label=name)
            ax.set_xlabel("updates of the global model")
            ax.set_ylabel(f"median test {m}")
            ax.grid(alpha=0.3)
            ax.legend()
        fig.suptitle(f"{args.env}: {args.model} model, median over test sites")
        args.figure.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.figure, dpi=110)
        print(f"\nfigure: {args.figure}")


if __name__ == "__main__":
    main()
