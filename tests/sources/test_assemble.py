"""The shared assembly: names resolved as the user gives them, one continuous daily axis, gaps kept as NaN."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from synergy_kedro.core.canonical import CanonicalDatasetError
from synergy_kedro.sources.assemble import (
    canonical_dataset,
    daily_axis,
    numeric_attributes,
    place_on_axis,
    resolve_names,
)
from synergy_kedro.sources.errors import SourceDataError

KNOWN = {"total_precipitation_sum": "prcp", "temperature_2m_mean": "tmean", "streamflow": "streamflow"}


def test_source_names_canonical_names_and_other_names_all_resolve():
    assert resolve_names(["total_precipitation_sum", "tmean", "snow_depth"], KNOWN) == {
        "total_precipitation_sum": "prcp", "temperature_2m_mean": "tmean", "snow_depth": "snow_depth"}


def test_a_mapping_is_taken_as_given():
    assert resolve_names({"total_precipitation_sum": "rain"}, KNOWN) == {"total_precipitation_sum": "rain"}


def test_case_is_ignored_only_where_asked():
    known = {"PRCP(mm/day)": "prcp"}
    assert resolve_names(["prcp(MM/DAY)"], known, case_insensitive=True) == {"prcp(MM/DAY)": "prcp"}
    assert resolve_names(["prcp(MM/DAY)"], known) == {"prcp(MM/DAY)": "prcp(MM/DAY)"}


def test_two_source_columns_for_one_variable_are_refused():
    known = {"PRCP(mm/day)": "prcp"}
    with pytest.raises(SourceDataError, match=r"gives the canonical names \['prcp', 'prcp'\] more than once"):
        resolve_names(["PRCP(mm/day)", "prcp(mm/day)"], known, case_insensitive=True)
    # one column named by its source and its canonical name is one variable
    assert resolve_names(["total_precipitation_sum", "prcp"], KNOWN) == {"total_precipitation_sum": "prcp"}


def test_the_axis_spans_every_series_or_the_given_period_day_by_day():
    a = pd.DatetimeIndex(["2000-01-03", "2000-01-05 12:00"])
    b = pd.DatetimeIndex(["1999-12-30"])
    axis = daily_axis([a, pd.DatetimeIndex([]), b], None, None)
    pd.testing.assert_index_equal(axis, pd.date_range("1999-12-30", "2000-01-05", name="time"))
    assert axis.freq == "D"
    fixed = daily_axis([a], "2000-01-01", "2000-01-02")
    assert list(fixed) == [pd.Timestamp("2000-01-01"), pd.Timestamp("2000-01-02")]


@pytest.mark.parametrize("dates,start,end", [([pd.DatetimeIndex([])], None, None),
                                             ([pd.DatetimeIndex(["2000-01-01"])], "2000-02-01", "2000-01-01")])
def test_no_dates_or_an_end_before_the_start_is_an_error(dates, start, end):
    with pytest.raises(SourceDataError, match="No dates to build a time axis"):
        daily_axis(dates, start, end)


def test_values_land_on_their_days_and_gaps_stay_nan():
    axis = pd.date_range("2000-01-01", "2000-01-10", name="time")
    dates = pd.DatetimeIndex(["1999-12-31", "2000-01-02", "2000-01-05", "2000-01-11"])  # two outside the axis
    values = np.array([[9.0, 90.0], [1.0, 10.0], [2.0, 20.0], [8.0, 80.0]])
    out = place_on_axis(dates, values, axis, "site a")
    expected = pd.DataFrame(values, index=dates).reindex(axis).to_numpy(np.float32)  # pandas as the reference
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == np.float32 and np.isnan(out).sum() == 16


def test_a_day_given_twice_is_refused_naming_where_and_the_day():
    axis = pd.date_range("2000-01-01", "2000-01-03", name="time")
    dates = pd.DatetimeIndex(["2000-01-01", "2000-01-02", "2000-01-02"])
    with pytest.raises(SourceDataError, match=r"basin 0101 has duplicated dates \(e.g. \['2000-01-02'\]\)"):
        place_on_axis(dates, np.ones((3, 1)), axis, "basin 0101")


def test_attributes_become_float32_and_a_text_or_absent_column_is_named():
    table = pd.DataFrame({"area": [10, 20], "geol_class": ["sand", "clay"]})
    out = numeric_attributes(table, {"area": "area_km2"}, "attributes.csv")
    assert list(out) == ["area_km2"] and out["area_km2"].dtype == np.float32
    np.testing.assert_array_equal(out["area_km2"], [10.0, 20.0])
    with pytest.raises(SourceDataError, match=r"Attribute 'geol_class' in attributes.csv is not numeric \(e.g. 'sand'\)"):
        numeric_attributes(table, {"geol_class": "geol_class"}, "attributes.csv")
    with pytest.raises(SourceDataError, match=r"attributes.csv lacks the column\(s\) \['slope'\]"):
        numeric_attributes(table, {"slope": "slope"}, "attributes.csv")


def _build(**changes):
    time = pd.date_range("2000-01-01", periods=4, name="time")
    args = dict(site=["b2", "a1"], time=time,
                dynamic={"prcp": np.arange(8.0).reshape(2, 4), "streamflow": np.full((2, 4), np.nan)},
                static={"area": np.array([1.0, 2.0])}, lat=np.array([40.0, 41.0]), lon=np.array([-100.0, -101.0]),
                var_attrs={"prcp": ("mm/d", "precipitation")}, targets=["streamflow"], source="test source")
    return canonical_dataset(**{**args, **changes})


def test_the_canonical_dataset_has_the_layout_units_and_empty_region_labels():
    ds = _build(extra_coords={"gauge_name": np.array(["B", "A"])}, attrs={"source": "test"})
    assert list(ds["site"].values) == ["b2", "a1"]  # in the given order
    assert ds["prcp"].dims == ("site", "time") and ds["area"].dims == ("site",)
    assert all(ds[v].dtype == np.float32 for v in ("prcp", "streamflow", "area"))
    assert ds["prcp"].attrs == {"units": "mm/d", "long_name": "precipitation"}
    assert ds["area"].attrs["units"] == "unknown"  # visibly unitless, not silently
    assert all((ds[c].values == "").all() for c in ("eco_l1", "eco_l2", "eco_l3"))
    assert list(ds["gauge_name"].values) == ["B", "A"] and ds.attrs == {"source": "test"}
    assert ds["time"].dtype == np.dtype("datetime64[ns]")
    xr.testing.assert_equal(ds["prcp"], xr.DataArray(np.arange(8.0, dtype=np.float32).reshape(2, 4),
                                                     dims=("site", "time"), coords=ds["prcp"].coords))


def test_the_canonical_dataset_is_validated_naming_the_source():
    with pytest.raises(CanonicalDatasetError, match=r"(?s)^test source does not follow.*site ids are not unique"):
        _build(site=["a1", "a1"])
