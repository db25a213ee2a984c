"""Ingestion, one shape per kind of source (``ingestion.source``); all end in ``canonical_dataset``.

The raw datasets (``raw_basins``, ``raw_pixels``, ``gages2_tables``, ``ecoregion_polygons``; for the
SMAP L3 + NLDAS-2 files ``smap_granules``, ``nldas_forcing``, ``static_layers``) are defined by each
real-data environment's catalog; the embedded source needs none. ``packed`` reads a canonical
dataset written earlier by ``benchmarks/paper_on_gpu.py pack`` (``packed_canonical``), so a run can
move to a machine that has none of the raw data.
"""

from kedro.pipeline import Pipeline, node

from synergy_kedro.core.errors import ConfigurationError

from .nodes import (
    generate_embedded,
    ingest_basins,
    ingest_netcdf,
    ingest_packed,
    ingest_pixels,
    ingest_smap_l3,
    ingest_table,
)

COMMON = ["params:ingestion", "params:features", "params:target", "params:periods"]
BASIN_SOURCES = ("caravan", "camels_us")
PIXEL_SOURCES = ("smap_hydrodl",)
GRANULE_SOURCES = ("smap",)
PACKED_SOURCES = ("packed",)
TABLE_SOURCES = ("table",)
NETCDF_SOURCES = ("netcdf",)
OUTPUTS = ["canonical_dataset", "ingestion_checks"]


def create_pipeline(source: str = "virtual_conus", **kwargs) -> Pipeline:
    if source == "virtual_conus":
        return Pipeline([node(generate_embedded, COMMON, OUTPUTS, name="ingest")])
    if source in BASIN_SOURCES:
        return Pipeline([node(ingest_basins, ["raw_basins", "gages2_tables", "ecoregion_polygons", *COMMON],
                              OUTPUTS, name="ingest")])
    if source in PIXEL_SOURCES:
        return Pipeline([node(ingest_pixels, ["raw_pixels", "ecoregion_polygons", *COMMON],
                              OUTPUTS, name="ingest")])
    if source in GRANULE_SOURCES:
        return Pipeline([node(ingest_smap_l3, ["smap_granules", "nldas_forcing", "static_layers", "ecoregion_polygons",
                                               *COMMON], OUTPUTS, name="ingest")])
    if source in PACKED_SOURCES:
        return Pipeline([node(ingest_packed, ["packed_canonical", *COMMON], OUTPUTS, name="ingest")])
    if source in TABLE_SOURCES:
        return Pipeline([node(ingest_table, ["table_timeseries", "table_sites", "ecoregion_polygons", *COMMON], OUTPUTS,
                              name="ingest")])
    if source in NETCDF_SOURCES:
        return Pipeline([node(ingest_netcdf, ["netcdf_canonical", "ecoregion_polygons", *COMMON], OUTPUTS,
                              name="ingest")])
    raise ConfigurationError(f"ingestion.source={source!r} is not known; choose virtual_conus, "
                             f"{', '.join(BASIN_SOURCES + PIXEL_SOURCES + GRANULE_SOURCES + PACKED_SOURCES + TABLE_SOURCES + NETCDF_SOURCES)}.")
