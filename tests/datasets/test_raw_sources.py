"""Raw-data datasets: the catalog's path and load_args reach the reader, saving is refused, NLDAS files open as one."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from kedro.io import DataCatalog, DatasetError

from synergy_kedro.core.errors import user_error_in
from synergy_kedro.datasets import raw_sources
from synergy_kedro.datasets.raw_sources import (
    CaravanDataset,
    EcoregionPolygonsDataset,
    NldasDataset,
    SmapL3Dataset,
    StaticGridDataset,
    StaticTableDataset,
)
from synergy_kedro.sources.nldas import NldasError
from synergy_kedro.sources.static_layers import StaticLayerError


def _spy(monkeypatch, module: str, name: str) -> list:
    calls = []
    monkeypatch.setattr(f"{module}.{name}", lambda path, **kwargs: calls.append((path, kwargs)) or "loaded")
    return calls


def test_the_catalogs_path_and_load_args_reach_the_reader(monkeypatch, tmp_path):
    calls = _spy(monkeypatch, "synergy_kedro.sources.caravan", "read_caravan")
    catalog = DataCatalog.from_config({"caravan": {"type": "synergy_kedro.datasets.CaravanDataset",
                                                   "path": str(tmp_path), "load_args": {"basins": ["01022500"]}}})
    assert catalog.load("caravan") == "loaded"
    assert calls == [(tmp_path, {"basins": ["01022500"]})]  # a path, not a string: readers join on it


def test_raw_data_is_never_overwritten(tmp_path):
    dataset = CaravanDataset(str(tmp_path / "caravan"))
    with pytest.raises(DatasetError, match=rf"CaravanDataset at {tmp_path / 'caravan'} is raw input and read-only"):
        dataset.save("anything")
    assert not dataset.exists()
    (tmp_path / "caravan").mkdir()
    assert dataset.exists()


def test_yaml_lists_become_the_tuples_the_smap_reader_takes(monkeypatch, tmp_path):
    calls = _spy(monkeypatch, "synergy_kedro.sources.smap_l3", "read_smap_l3")
    SmapL3Dataset(str(tmp_path), load_args={"bbox": [25, 50, -125, -66], "grid_shape": [406, 964],
                                            "pixels": [[10, 20], [11, 21]], "start": "2016-01-01"}).load()
    (path, kwargs), = calls
    assert path == tmp_path and kwargs == {"bbox": (25, 50, -125, -66), "grid_shape": (406, 964),
                                           "pixels": [(10, 20), (11, 21)], "start": "2016-01-01"}
    assert isinstance(kwargs["bbox"], tuple) and all(isinstance(p, tuple) for p in kwargs["pixels"])


def _nldas_file(path: Path, hours: pd.DatetimeIndex) -> None:
    lat, lon = np.array([30.0625, 30.1875]), np.array([-100.9375, -100.8125])
    shape = (len(hours), 2, 2)
    xr.Dataset({"APCP": (("time", "lat", "lon"), np.full(shape, hours.hour.to_numpy()[:, None, None], np.float32)),
                "TMP": (("time", "lat", "lon"), np.full(shape, 280.0, np.float32)),
                "SPFH": (("time", "lat", "lon"), np.zeros(shape, np.float32))},
               coords={"time": hours, "lat": lat, "lon": lon}).to_netcdf(path)


def test_nldas_files_anywhere_under_the_folder_open_as_one_lazy_dataset(tmp_path):
    hours = pd.date_range("2020-01-01", periods=48, freq="h")
    (tmp_path / "2020" / "001").mkdir(parents=True)
    (tmp_path / "2020" / "002").mkdir(parents=True)
    _nldas_file(tmp_path / "2020" / "002" / "day2.nc4", hours[24:])  # found wherever it is, combined by time
    _nldas_file(tmp_path / "2020" / "001" / "day1.nc", hours[:24])
    (tmp_path / "README.txt").write_text("not a netCDF")
    ds = NldasDataset(str(tmp_path), load_args={"variables": ["APCP", "TMP"]}).load()
    assert sorted(ds.data_vars) == ["APCP", "TMP"]  # SPFH left out while opening
    assert ds["APCP"].chunks is not None and ds["APCP"].chunks[0] == (48,)  # dask-backed, 96-step blocks
    np.testing.assert_array_equal(pd.DatetimeIndex(ds["time"].values), hours)
    np.testing.assert_array_equal(ds["APCP"].values[:, 0, 0], hours.hour.to_numpy())
    small = NldasDataset(str(tmp_path), load_args={"chunks": {"time": 24}}).load()
    assert small["APCP"].chunks[0] == (24, 24) and "SPFH" in small


def _users_error(load) -> Exception:
    """The user error behind Kedro's DatasetError (what the command line prints)."""
    with pytest.raises(DatasetError) as caught:
        load()
    return user_error_in(caught.value)


def test_an_nldas_folder_that_is_missing_or_empty_is_named(tmp_path):
    error = _users_error(NldasDataset(str(tmp_path / "none")).load)
    assert isinstance(error, NldasError) and f"{tmp_path / 'none'} is not a folder of NLDAS-2 netCDF files" in str(error)
    (tmp_path / "forcing.grb").write_text("GRIB")
    error = _users_error(NldasDataset(str(tmp_path)).load)
    assert isinstance(error, NldasError) and f"No NLDAS-2 netCDF files (.nc, .nc4) under {tmp_path}" in str(error)


def test_a_static_table_defaults_to_its_numeric_columns(tmp_path):
    path = tmp_path / "statics.csv"
    pd.DataFrame({"site": ["r001c002", "r003c004"], "clay": [10.0, 20.0], "texture": ["loam", "sand"],
                  "elevation": [100, 200]}).to_csv(path, index=False)
    ds = StaticTableDataset(str(path)).load()
    assert sorted(ds.data_vars) == ["clay", "elevation"]  # the text column is left out, the id is the site
    assert list(ds["site"].values) == ["r001c002", "r003c004"]
    np.testing.assert_array_equal(ds["clay"].values, [10.0, 20.0])
    chosen = StaticTableDataset(str(path), load_args={"columns": {"clay": "clay_frac"}}).load()
    assert list(chosen.data_vars) == ["clay_frac"]


def test_a_missing_or_unreadable_static_file_is_named(tmp_path):
    for dataset, name in ((StaticTableDataset, "none.csv"), (StaticGridDataset, "none.nc")):
        error = _users_error(dataset(str(tmp_path / name)).load)
        assert isinstance(error, StaticLayerError) and f"{tmp_path / name} does not exist" in str(error)
    (tmp_path / "grid.nc").write_text("not netCDF")
    error = _users_error(StaticGridDataset(str(tmp_path / "grid.nc")).load)
    assert isinstance(error, StaticLayerError) and "cannot be opened as netCDF" in str(error)


def test_a_static_grid_opens_lazily(tmp_path):
    xr.Dataset({"clay": (("lat", "lon"), np.arange(6.0).reshape(2, 3))},
               coords={"lat": [30.0, 31.0], "lon": [-100.0, -99.0, -98.0]}).to_netcdf(tmp_path / "grid.nc")
    ds = StaticGridDataset(str(tmp_path / "grid.nc")).load()
    assert ds["clay"].chunks is not None
    np.testing.assert_array_equal(ds["clay"].values, np.arange(6.0).reshape(2, 3))
    ds.close()


def test_optional_polygons_read_the_users_file_when_it_is_there(monkeypatch, tmp_path):
    calls = _spy(monkeypatch, "synergy_kedro.regions.membership", "read_ecoregion_polygons")
    users = tmp_path / "us_eco_l3.geojson"
    users.write_text("{}")
    EcoregionPolygonsDataset(str(users), optional=True).load()
    assert calls == [(users, {})]


def test_missing_optional_polygons_read_the_packaged_layer_and_say_so_once(monkeypatch, tmp_path, caplog):
    calls = _spy(monkeypatch, "synergy_kedro.regions.membership", "read_ecoregion_polygons")
    dataset = EcoregionPolygonsDataset(str(tmp_path / "none.geojson"), optional=True)
    with caplog.at_level(logging.INFO, logger=raw_sources.__name__):
        dataset.load()
        dataset.load()
    assert [Path(path).name for path, _ in calls] == [raw_sources.PACKAGED_POLYGONS] * 2
    assert len([r for r in caplog.records if "simplified layer" in r.getMessage()]) == 1
    assert dataset._describe()["optional"] is True
