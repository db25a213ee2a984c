"""Write Caravan basins as the two plain tables of ``ingestion.source: table`` (docs/your_data.md).

    python docs/examples/caravan_to_table.py data/01_raw/caravan data/01_raw/my_table --every 8

A stand-in for your own data: a long table of daily values (site, date, one column per variable;
the target renamed to a name of your choosing) and a sites table (site, lat, lon, attributes).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synergy_kedro.sources.caravan import read_caravan

DYNAMIC = ["total_precipitation_sum", "temperature_2m_mean", "potential_evaporation_sum"]
STATIC = ["area", "p_mean", "pet_mean", "aridity", "frac_snow", "high_prec_freq", "low_prec_freq", "elev_mean",
          "slope_mean", "frac_forest", "soil_depth_pelletier", "sand_frac", "clay_frac"]
RENAMED = {"prcp": "rain", "tmean": "tair", "streamflow": "discharge"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("caravan", type=Path, help="the Caravan folder (with timeseries/ and attributes/)")
    parser.add_argument("out", type=Path, help="folder for timeseries.csv and sites.csv")
    parser.add_argument("--every", type=int, default=8, help="keep every n-th basin (default 8: 61 of 482)")
    args = parser.parse_args()
    files = sorted((args.caravan / "timeseries/csv/camels").glob("*.csv"))
    basins = [p.stem.removeprefix("camels_") for p in files][:: args.every]
    ds = read_caravan(args.caravan, basins=basins, dynamic=DYNAMIC, static=STATIC)
    values = ds[[*RENAMED, "pet"]].to_dataframe().reset_index().rename(columns={"time": "date", **RENAMED})
    values["date"] = values["date"].dt.strftime("%Y-%m-%d")
    args.out.mkdir(parents=True, exist_ok=True)
    values[["site", "date", "rain", "tair", "pet", "discharge"]].to_csv(args.out / "timeseries.csv", index=False)
    static = [name for name in ds.data_vars if ds[name].dims == ("site",)]
    ds[static].reset_coords()[["lat", "lon", *static]].to_dataframe().reset_index().to_csv(args.out / "sites.csv",
                                                                                          index=False)
    print(f"{len(basins)} basins, {len(values):,} rows → {args.out}/timeseries.csv, sites.csv")


if __name__ == "__main__":
    main()
