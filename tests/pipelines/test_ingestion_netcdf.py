"""``ingestion.source: netcdf``: a canonical (site, time) file goes through every check any source does."""

import logging

import numpy as np
import pytest

from synergy_kedro.core.canonical import CanonicalDatasetError
from synergy_kedro.pipelines.ingestion.nodes import ingest_netcdf
from synergy_kedro.sources.virtual_conus import generate_virtual_conus
from tests.parameter_blocks import block

FEATURES = block("features", dynamic=["prcp", "tmean"], static=["aridity"], static_missing="drop")
PERIODS = {"train": ["2010-01-01", "2010-12-31"], "test": ["2011-01-01", "2011-12-31"]}
INGESTION = {"source": "netcdf", "plausibility": {"bounds": {"tmean": [-90, 60]}}}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    ds = generate_virtual_conus(sites_per_subregion=1, sites_per_focus_l3=0, focus_l3_codes=[], n_years=2, seed=3)
    path = tmp_path_factory.mktemp("nc") / "canonical.nc"
    ds.to_netcdf(path)
    return ds, path


def test_a_canonical_netcdf_is_ingested_with_its_own_ecoregions(written):
    import xarray as xr

    ds, path = written
    with xr.open_dataset(path) as opened:
        out, checks = ingest_netcdf(opened.load(), None, INGESTION, FEATURES, "soil_moisture", PERIODS)
    assert list(out.site.values) == list(ds.site.values) and (out["eco_l3"] == ds["eco_l3"]).all()
    np.testing.assert_allclose(out["tmean"].values, ds["tmean"].sel(time=out.time).values)
    assert checks.empty


def test_without_ecoregions_or_polygons_the_sites_get_none_and_it_is_said(written, caplog):
    ds, _ = written
    bare = ds.drop_vars(["eco_l1", "eco_l2", "eco_l3"])
    with caplog.at_level(logging.WARNING):
        out, _ = ingest_netcdf(bare, None, INGESTION, FEATURES, "soil_moisture", PERIODS)
    assert (out["eco_l3"] == "").all() and "use partitioning.scheme: column" in caplog.text


def test_a_netcdf_missing_a_variable_names_it(written):
    ds, _ = written
    with pytest.raises(CanonicalDatasetError, match="variable 'tmean' is missing"):
        ingest_netcdf(ds.drop_vars("tmean"), None, INGESTION, FEATURES, "soil_moisture", PERIODS)
