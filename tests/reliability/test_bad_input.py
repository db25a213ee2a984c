"""Every bad input the project recognises gives a message that says what is wrong and what to do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synergy_kedro.core.canonical import (
    CanonicalDatasetError,
    check_periods,
    drop_sites_without_training_target,
    validate_canonical,
)
from synergy_kedro.core.errors import ConfigurationError
from synergy_kedro.kedro_glue.tracking import RunTracker, TrackingUnavailableError
from synergy_kedro.pipelines.partitioning.nodes import assign_regions, global_vs_local_site_sets
from synergy_kedro.regions.membership import read_ecoregion_polygons
from synergy_kedro.sources.caravan import read_caravan
from synergy_kedro.sources.errors import SourceDataError
from synergy_kedro.sources.virtual_conus import generate_virtual_conus
from tests.parameter_blocks import block


@pytest.fixture(scope="module")
def tiny():
    return generate_virtual_conus(sites_per_subregion=1, n_years=2)


def test_missing_raw_path_names_the_folder(tmp_path):
    with pytest.raises(SourceDataError, match=str(tmp_path / "nowhere")):
        read_caravan(tmp_path / "nowhere")


def test_empty_dataset_is_refused(tiny):
    with pytest.raises(CanonicalDatasetError, match="holds no sites"):
        validate_canonical(tiny.isel(site=slice(0, 0)), ["prcp"], [], ["soil_moisture"])


def test_a_misnamed_variable_is_listed_with_what_exists(tiny):
    with pytest.raises(CanonicalDatasetError, match=r"variable 'precip' is missing \(have: \["):
        validate_canonical(tiny, ["precip"], ["aridity"], ["soil_moisture"])


def test_site_with_all_nan_target_in_training_is_dropped_and_logged(tiny, caplog):
    ds = tiny.copy(deep=True)
    ds["streamflow"][0, :] = np.nan
    kept = drop_sites_without_training_target(ds, "streamflow", ["2010-01-01", "2010-12-31"])
    assert str(ds["site"].values[0]) not in kept["site"].values
    assert "no streamflow observation in the training period" in caplog.text


@pytest.mark.parametrize(("periods", "message"), [
    ({"train": ["2010-01-01", "2010-12-31"], "test": ["2010-06-01", "2011-06-01"]}, "periods overlap"),
    ({"train": ["2005-01-01", "2010-12-31"], "test": ["2011-01-01", "2011-06-01"]}, "fall outside"),
    ({"train": ["2010-12-31", "2010-01-01"], "test": ["2011-01-01", "2011-06-01"]}, "ends before it starts"),
])
def test_bad_periods_are_explained(tiny, periods, message):
    with pytest.raises(CanonicalDatasetError, match=message):
        check_periods(tiny, periods)


def test_region_with_too_few_sites_is_skipped_with_the_reason(tiny, caplog):
    regions = assign_regions(tiny, block("partitioning", scheme="epa"))
    sets = global_vs_local_site_sets(regions, block("partitioning", scheme="epa", min_sites=2))
    assert "fewer than partitioning.min_sites=2" in sets["local_A"]["skipped"]
    assert "No model local_A" in caplog.text


def test_unknown_ecoregion_code_trains_no_model_and_is_logged(tiny, caplog):
    ds = tiny.assign_coords(eco_l3=("site", ["99.9.9", *tiny["eco_l3"].values[1:]]))
    regions = assign_regions(ds, block("partitioning", scheme="epa"))
    assert pd.isna(regions.loc[0, "region"])
    assert "fall in no region of scheme 'epa'" in caplog.text


def test_unknown_partitioning_column_names_the_choices(tiny):
    with pytest.raises(ConfigurationError, match="partitioning.column='AGGECO' is not a variable"):
        assign_regions(tiny, block("partitioning", scheme="column", column="AGGECO", regions=["x"]))


def test_unreachable_mlflow_server_fails_fast_with_advice(monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "3")
    with pytest.raises(TrackingUnavailableError, match="cannot be reached.*enabled: false"):
        RunTracker("http://127.0.0.1:9", "synergy_kedro", None)


def test_a_damaged_mlflow_database_is_named_with_what_to_do(tmp_path):
    db = tmp_path / "mlflow.db"
    db.write_bytes(b"not sqlite at all " * 200)
    with pytest.raises(TrackingUnavailableError, match=rf"MLflow database {tmp_path}/mlflow.db cannot be used .*"
                                                       rf"move it aside \(mv {tmp_path}/mlflow.db"):
        RunTracker(f"sqlite:///{db}", "synergy_kedro", None)


def test_a_truncated_geojson_is_named_with_what_to_do(tmp_path, ecoregions_path):
    cut = tmp_path / "us_eco_l3.geojson"
    cut.write_bytes(ecoregions_path.read_bytes()[:200_000])  # an interrupted download
    with pytest.raises(SourceDataError, match=r"us_eco_l3.geojson cannot be read \(DataSourceError: .*cut short"):
        read_ecoregion_polygons(cut)


def test_a_read_only_mlflow_database_is_named_before_anything_runs(tmp_path):
    import subprocess

    source, folder = tmp_path / "store", tmp_path / "readonly"
    source.mkdir()
    folder.mkdir()
    RunTracker(f"sqlite:///{source}/mlflow.db", "synergy_kedro", None)  # a real store with its tables
    mounted = subprocess.run(["mount", "--bind", str(source), str(folder)], capture_output=True).returncode == 0
    if not mounted:
        pytest.skip("cannot bind-mount here (root writes any file, so a read-only mount is the only way)")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True)
        tracker = RunTracker(f"sqlite:///{folder}/mlflow.db", "synergy_kedro", None)  # reading still works
        with pytest.raises(TrackingUnavailableError, match=r"mlflow.db is read-only: make it writable \(chmod u\+w"):
            tracker.start("run", {}, {})
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=True)
