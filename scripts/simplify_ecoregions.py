"""Write the EPA level-III polygon layer shipped with the package (``synergy_kedro/data/epa_level3_simplified.geojson``).

    python scripts/simplify_ecoregions.py ../shared/data/ecoregions/us_eco_l3_conus_covsimpl_0.005.geojson

The embedded demo needs no download, yet its maps should outline the regions as a real run's do.
The full layer (2.9 MB) is simplified as one coverage (no gaps or overlaps between neighbours,
``shapely.coverage_simplify``) and its coordinates rounded, keeping the published fields. For
maps only: a real environment assigns regions from the full layer.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import geopandas as gpd
import shapely

OUT = Path(__file__).resolve().parents[1] / "src/synergy_kedro/data/epa_level3_simplified.geojson"
FIELDS = ["US_L3CODE", "NA_L3CODE", "NA_L3NAME", "NA_L2CODE", "NA_L2NAME", "NA_L1CODE", "NA_L1NAME"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("--tolerance", type=float, default=0.08, help="degrees (default 0.08, ~8 km: 289 KiB)")
    args = parser.parse_args()
    layer = gpd.read_file(args.source)[[*FIELDS, "geometry"]]
    simplified = shapely.coverage_simplify(layer.geometry.values, args.tolerance)
    layer = layer.set_geometry(shapely.set_precision(simplified, 0.001))
    layer.to_file(OUT, driver="GeoJSON", COORDINATE_PRECISION=3)
    print(f"{len(layer)} polygons → {OUT} ({OUT.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
