"""A Dataset round-trips through one netCDF file, loaded into memory so the file can be replaced."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from kedro.io import DataCatalog, DatasetError

from synergy_kedro.datasets.xarray_netcdf import XarrayNetCDFDataset


def canonical(value: float = 1.0) -> xr.Dataset:
    q = np.full((2, 4), value, np.float32)
    q[1, 2] = np.nan
    return xr.Dataset(
        {"q": (("site", "time"), q, {"units": "mm/d"}), "area": ("site", [10.0, 20.0])},
        coords={"site": ["01022500", "01031500"], "time": pd.date_range("2010-01-01", periods=4),
                "eco_l3": ("site", ["8.1.1", "8.3.5"])},
        attrs={"source": "test"},
    )


def test_a_dataset_round_trips_with_its_gaps_ids_and_units(tmp_path):
    path = tmp_path / "02_intermediate" / "canonical.nc"
    catalog = DataCatalog.from_config({"canonical": {"type": "synergy_kedro.datasets.XarrayNetCDFDataset",
                                                     "filepath": str(path)}})
    catalog.save("canonical", canonical())
    xr.testing.assert_identical(catalog.load("canonical"), canonical())
    assert [p.name for p in path.parent.iterdir()] == ["canonical.nc"]


def test_the_loaded_dataset_is_in_memory_so_the_same_file_can_be_overwritten(tmp_path):
    dataset = XarrayNetCDFDataset(str(tmp_path / "inputs.nc"))
    dataset.save(canonical(1.0))
    first = dataset.load()
    dataset.save(canonical(2.0))  # a later node (or run) rewrites the file
    assert float(first["q"][0, 0]) == 1.0 and float(dataset.load()["q"][0, 0]) == 2.0


def test_load_and_save_args_reach_xarray(tmp_path):
    path = tmp_path / "inputs.nc"
    XarrayNetCDFDataset(str(path), save_args={"encoding": {"q": {"zlib": True, "complevel": 4}}}).save(canonical())
    with xr.open_dataset(path) as stored:
        assert stored["q"].encoding["zlib"] and stored["q"].encoding["complevel"] == 4
    raw = XarrayNetCDFDataset(str(path), load_args={"decode_times": False}).load()
    assert np.issubdtype(raw["time"].dtype, np.number) and "since" in raw["time"].attrs["units"]


def test_a_missing_file_names_the_node_to_run_first(tmp_path):
    dataset = XarrayNetCDFDataset(str(tmp_path / "model_inputs.nc"))
    assert not dataset.exists()
    with pytest.raises(DatasetError, match=rf"{tmp_path / 'model_inputs.nc'} does not exist: run the node"):
        dataset.load()
