"""Tests of the embedded virtual-CONUS generator (synergy_kedro.sources.virtual_conus)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy.stats import spearmanr

from synergy_kedro.regions.hierarchy import SUBREGIONS, level3_hierarchy, subregion_of
from synergy_kedro.sources.virtual_conus import generate_virtual_conus

N_SUB = 3
N_FOCUS = 4
FOCUS = ("8.3.5", "10.1.5", "6.2.12")
KW = dict(sites_per_subregion=N_SUB, sites_per_focus_l3=N_FOCUS, focus_l3_codes=FOCUS, n_years=2, seed=7)

DYNAMIC = ("prcp", "tmean", "srad", "pet", "vp")
STATIC = ("aridity", "soil_capacity", "sand_frac", "forest_frac", "slope", "elevation", "area")
TARGETS = ("streamflow", "soil_moisture")


@pytest.fixture(scope="module")
def ds() -> xr.Dataset:
    return generate_virtual_conus(**KW)


# ------------------------------------------------------------------ determinism
def test_same_arguments_give_identical_dataset(ds):
    again = generate_virtual_conus(**KW)
    xr.testing.assert_identical(ds, again)
    for name in ds.data_vars:  # bit-identical, NaN pattern included
        assert np.array_equal(ds[name].values, again[name].values, equal_nan=True), name


def test_different_seed_differs(ds):
    other = generate_virtual_conus(**{**KW, "seed": 8})
    assert other.sizes == ds.sizes
    for name in ("prcp", "tmean", "streamflow", "soil_moisture", "aridity", "elevation"):
        assert not np.array_equal(ds[name].values, other[name].values, equal_nan=True), name
    assert not np.array_equal(ds["lat"].values, other["lat"].values)


# ------------------------------------------------------------------ layout
def test_dims_coords_and_dtypes(ds):
    n_sites = len(SUBREGIONS) * N_SUB + len(FOCUS) * N_FOCUS
    assert dict(ds.sizes) == {"site": n_sites, "time": 2 * 365}
    assert ds["time"].dtype == np.dtype("datetime64[ns]")
    assert pd.Timestamp(ds["time"].values[0]) == pd.Timestamp("2010-01-01")
    assert (np.diff(ds["time"].values) == np.timedelta64(1, "D")).all()
    assert list(ds["site"].values[:3]) == ["vc0000", "vc0001", "vc0002"]
    assert list(ds["site"].values) == [f"vc{i:04d}" for i in range(n_sites)]
    assert ds.indexes["site"].is_unique
    for c in ("lat", "lon"):
        assert ds[c].dims == ("site",) and ds[c].dtype == np.float64
    for c in ("eco_l1", "eco_l2", "eco_l3"):
        assert ds[c].dims == ("site",) and ds[c].dtype == object
        assert all(type(v) is str for v in ds[c].values)
    for name in DYNAMIC + TARGETS:
        assert ds[name].dims == ("site", "time") and ds[name].dtype == np.float32, name
    for name in STATIC:
        assert ds[name].dims == ("site",) and ds[name].dtype == np.float32, name
    assert set(ds.data_vars) == set(DYNAMIC + STATIC + TARGETS)
    for name in DYNAMIC + STATIC + TARGETS:
        assert isinstance(ds[name].attrs.get("units"), str) and ds[name].attrs["units"], name
    for name in DYNAMIC:
        assert isinstance(ds[name].attrs.get("long_name"), str), name
    assert ds.attrs["source"] == "virtual_conus"
    assert ds.attrs["seed"] == 7
    assert ds.attrs["title"] and ds.attrs["description"]
    assert all(isinstance(v, (str, int, float)) for v in ds.attrs.values())


def test_coordinates_inside_conus(ds):
    assert ((ds.lat >= 24.0) & (ds.lat <= 50.0)).all() and ((ds.lon >= -125.0) & (ds.lon <= -66.0)).all()


def test_canonical_validation_passes_and_catches_a_missing_variable(ds):
    from synergy_kedro.core.canonical import CanonicalDatasetError, validate_canonical

    assert validate_canonical(ds, DYNAMIC, STATIC, ["streamflow"], source="virtual_conus") is ds
    with pytest.raises(CanonicalDatasetError, match="variable 'streamflow' is missing"):
        validate_canonical(ds.drop_vars("streamflow"), DYNAMIC, STATIC, ["streamflow"], source="virtual_conus")


# ------------------------------------------------------------------ placement
def test_subregion_counts_and_focus_sites(ds):
    letters = pd.Series([subregion_of(c) for c in ds.eco_l3.values])
    counts = letters.value_counts()
    extra = pd.Series([subregion_of(c) for c in FOCUS]).value_counts()
    for letter in SUBREGIONS:
        assert counts.get(letter, 0) == N_SUB + N_FOCUS * extra.get(letter, 0), letter
    l3_counts = pd.Series(ds.eco_l3.values).value_counts()
    for code in FOCUS:
        assert l3_counts[code] >= N_FOCUS


def test_subregion_counts_exact_with_many_sites():
    small = generate_virtual_conus(sites_per_subregion=7, n_years=1, seed=3)
    letters = pd.Series([subregion_of(c) for c in small.eco_l3.values]).value_counts()
    assert set(letters.index) == set(SUBREGIONS) and (letters == 7).all()
    # systematic allocation spreads sites: no level-III region of sub-region B (12 regions) holds
    # more than 1/7 of its sqrt(area) weight, so 7 sites land in 7 different regions
    l3 = pd.Series(small.eco_l3.values)[pd.Series([subregion_of(c) for c in small.eco_l3.values]) == "B"]
    assert l3.nunique() == 7


def test_eco_codes_consistent(ds):
    table = level3_hierarchy().set_index("na_l3code")
    for l1, l2, l3 in zip(ds.eco_l1.values, ds.eco_l2.values, ds.eco_l3.values, strict=False):
        assert l3.startswith(l2 + ".") and l2.startswith(l1 + "."), (l1, l2, l3)
        assert table.loc[l3, "na_l2code"] == l2 and table.loc[l3, "na_l1code"] == l1


def test_unknown_focus_code_raises():
    with pytest.raises(ValueError, match="99.9.9"):
        generate_virtual_conus(sites_per_subregion=1, focus_l3_codes=["99.9.9"], n_years=1)


# ------------------------------------------------------------------ gaps
def test_soil_moisture_revisit_pattern(ds):
    sm = ds.soil_moisture.values
    observed = ~np.isnan(sm)
    unfrozen = ds.tmean.values >= 0
    frac_unfrozen = observed[unfrozen].mean()
    assert 0.3 <= frac_unfrozen <= 0.5, frac_unfrozen
    assert 0.2 <= observed.mean() <= 0.5
    gaps = np.concatenate([np.diff(np.flatnonzero(row)) for row in observed])
    assert gaps.min() >= 2  # never two days in a row
    assert np.isin(gaps, (2, 3)).mean() > 0.75
    # per site a warm-season window is sampled every 2-3 days
    assert (observed.sum(axis=1) > 0).all()


def test_no_soil_moisture_when_frozen(ds):
    frozen = ds.tmean.values < 0
    assert frozen.any()  # the test set includes cold sites
    assert np.isnan(ds.soil_moisture.values[frozen]).all()


def test_streamflow_missing_fraction_and_runs(ds):
    missing = np.isnan(ds.streamflow.values)
    assert 0.005 <= missing.mean() <= 0.05, missing.mean()
    # gaps come as runs of 1-15 days (longer only where two runs overlap)
    runs = []
    for row in missing.astype(np.int8):
        edges = np.diff(np.concatenate([[0], row, [0]]))
        runs.extend(np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1))
    runs = np.asarray(runs)
    assert len(runs) > 0 and np.mean(runs <= 15) > 0.9
    # inputs have no gaps
    for name in DYNAMIC + STATIC:
        assert not np.isnan(ds[name].values).any(), name


# ------------------------------------------------------------------ physics
def test_physical_ranges(ds):
    assert (ds.prcp >= 0).all() and (ds.pet >= 0).all() and (ds.srad > 0).all() and (ds.vp > 0).all()
    assert ds.tmean.min() > -50 and ds.tmean.max() < 50
    sm = ds.soil_moisture.values[~np.isnan(ds.soil_moisture.values)]
    assert (sm > 0).all() and (sm < 0.6).all()
    q = ds.streamflow.values[~np.isnan(ds.streamflow.values)]
    assert (q >= 0).all()
    for name in ("sand_frac", "forest_frac"):
        assert ((ds[name] >= 0) & (ds[name] <= 1)).all(), name
    for name in ("soil_capacity", "slope", "area", "aridity", "elevation"):
        assert (ds[name] > 0).all()
    # the statics vary between regions (hierarchical draws are not constant)
    for name in STATIC:
        assert float(ds[name].std()) > 0


def test_climate_map_is_plausible(ds):
    p_annual = ds.prcp.mean("time") * 365
    east = ds.lon > -95
    assert float(p_annual.where(east).mean()) > 1.3 * float(p_annual.where(~east).mean())
    t_annual = ds.tmean.mean("time")
    assert spearmanr(ds.lat, t_annual).statistic < -0.5  # colder north
    # aridity is the ratio of the forcing's totals
    expected = ds.pet.sum("time") / ds.prcp.sum("time")
    np.testing.assert_allclose(ds.aridity, expected, rtol=1e-3)


def test_runoff_ratio_falls_with_aridity(ds):
    valid = ds.streamflow.notnull()
    rr = ds.streamflow.where(valid).sum("time") / ds.prcp.where(valid).sum("time")
    assert float(rr.min()) > 0 and float(rr.max()) < 1
    assert spearmanr(ds.aridity, rr).statistic < -0.5
    humid, arid = ds.aridity < 1.0, ds.aridity > 2.0
    assert float(rr.where(humid).mean()) > 2 * float(rr.where(arid).mean())


def test_targets_respond_to_forcing(ds):
    # soil moisture is wetter the day after rain than after a dry spell
    sm = ds.soil_moisture.values
    prcp = ds.prcp.values
    after_rain = sm[:, 1:][prcp[:, :-1] > 10]
    after_dry = sm[:, 5:][(prcp[:, :-5] == 0) & (prcp[:, 1:-4] == 0) & (prcp[:, 2:-3] == 0) & (prcp[:, 3:-2] == 0) & (prcp[:, 4:-1] == 0)]
    assert np.nanmean(after_rain) > np.nanmean(after_dry) + 0.03


# ------------------------------------------------------------------ serialisation
def test_netcdf_round_trip(ds, tmp_path):
    path = tmp_path / "virtual_conus.nc"
    ds.to_netcdf(path)
    with xr.open_dataset(path) as back:
        back = back.load()
    xr.testing.assert_identical(ds, back)
    for name in ds.data_vars:
        assert back[name].dtype == ds[name].dtype, name
    for c in ("eco_l1", "eco_l2", "eco_l3", "site"):
        assert list(back[c].values) == list(ds[c].values)
    assert back.attrs["seed"] == ds.attrs["seed"]
