"""smap_csv on the real hydroDL csv database in ../shared/data/smap_hydrodl_csv."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synergy_kedro.core.canonical import validate_canonical
from synergy_kedro.sources.smap_csv import DEFAULT_DYNAMIC, DEFAULT_STATIC, SmapCsvError, read_smap_csv


@pytest.fixture(scope="module")
def db(shared_data: Path) -> Path:
    return shared_data / "smap_hydrodl_csv"


@pytest.fixture(scope="module")
def ds(db: Path):
    return read_smap_csv(db, years=(2015, 2016, 2017))


def _raw_cell_row(path: Path, row: int) -> list[str]:
    """The text cells of one row of a header-less csv, read without pandas/numpy."""
    with path.open(newline="") as f:
        for i, line in enumerate(csv.reader(f)):
            if i == row:
                return line
    raise IndexError(row)


def _raw_cell(path: Path, row: int, col: int) -> str:
    return _raw_cell_row(path, row)[col]


def test_layout_and_canonical(ds):
    assert ds.sizes == {"site": 412, "time": 366 + 365 + 365}
    assert str(ds.time.values[0])[:10] == "2015-04-01"
    assert str(ds.time.values[-1])[:10] == "2018-03-31"
    assert (np.diff(ds.time.values) == np.timedelta64(1, "D")).all()
    validate_canonical(ds, dynamic=list(DEFAULT_DYNAMIC), static=list(DEFAULT_STATIC), targets=["soil_moisture"], source="smap_csv")
    for v in [*DEFAULT_DYNAMIC, "soil_moisture"]:
        assert ds[v].dims == ("site", "time") and ds[v].dtype == np.float32 and ds[v].attrs["units"]
    for v in DEFAULT_STATIC:
        assert ds[v].dims == ("site",) and ds[v].dtype == np.float32
    assert ds.soil_moisture.attrs["units"] == "m3 m-3"
    assert ds.APCP_FORA.attrs["units"] == "kg m-2 h-1"
    assert ds.TMP_2_FORA.attrs["units"] == "K"
    assert "SMAP_AM" not in ds
    assert ds.lat.dtype == np.float64 and set(ds.eco_l1.values) == {""}


def test_sites_are_ease_cells_matching_crd(ds, db: Path):
    crd = np.loadtxt(db / "CONUSv4f1" / "crd.csv", delimiter=",")
    np.testing.assert_array_equal(ds.lat.values, crd[:, 0])
    np.testing.assert_array_equal(ds.lon.values, crd[:, 1])
    assert ds.site.values[0] == "r047c151"  # 49.867 N, 123.423 W on the 36 km grid
    assert ds.indexes["site"].is_unique
    # every 4th EASE row/column, as the subset's name says
    assert set(np.unique(ds.ease_row.values % 4)) == {3} and set(np.unique(ds.ease_col.values % 4)) == {3}


def test_observation_counts(ds, db: Path):
    sm = ds.soil_moisture.sel(time=slice("2015-04-01", "2017-03-31"))
    observed = np.isfinite(sm.values)
    assert observed.mean() == pytest.approx(0.4164, abs=0.002)  # README: 58 % missing
    per_pixel = observed.sum(axis=1)
    raw = sum((np.loadtxt(db / "CONUSv4f1" / str(y) / "SMAP_AM.csv", delimiter=",") != -9999).sum(axis=1) for y in (2015, 2016))
    np.testing.assert_array_equal(per_pixel, raw)
    # README says 214–366; the files hold 214–379 (4 pixels exceed 366 over the two years).
    assert per_pixel.min() == 214 and per_pixel.max() == 379
    # 2017 has forcing only: its target is NaN, not an error, and its forcing is complete.
    later = ds.sel(time=slice("2017-04-01", None))
    assert later.sizes["time"] == 365 and not np.isfinite(later.soil_moisture.values).any()
    assert np.isfinite(later.APCP_FORA.values).all()
    assert np.nanmin(sm.values) >= 0.02 and np.nanmax(sm.values) <= 0.5


def test_values_match_raw_cells(ds, db: Path):
    year = db / "CONUSv4f1"
    cell = _raw_cell(year / "2016" / "SMAP_AM.csv", 100, 40)
    value = ds.soil_moisture.isel(site=100).sel(time="2016-05-11").item()  # day 40 of year 2016
    if cell.strip() == "-9999":
        assert np.isnan(value)
    else:
        assert value == pytest.approx(float(cell), rel=1e-6)
    # one observed and one missing cell, found in the raw text
    row0 = _raw_cell_row(year / "2015" / "SMAP_AM.csv", 0)
    j_obs = next(j for j, v in enumerate(row0) if v != "-9999")
    j_gap = next(j for j, v in enumerate(row0) if v == "-9999")
    assert ds.soil_moisture.values[0, j_obs] == pytest.approx(float(row0[j_obs]), rel=1e-6)
    assert np.isnan(ds.soil_moisture.values[0, j_gap])
    # forcing of the last pixel on the last day of year 2017
    cell = _raw_cell(year / "2017" / "TMP_2_FORA.csv", 411, 364)
    assert ds.TMP_2_FORA.values[411, -1] == pytest.approx(float(cell), rel=1e-6)


def test_static_missing_code_is_nan(ds, db: Path):
    raw = np.loadtxt(db / "CONUSv4f1" / "const" / "Bulk.csv")
    assert raw[57] == -9999
    for v in ("Bulk", "Capa", "Clay", "Sand", "Silt"):
        assert np.isnan(ds[v].values[57]) and int(np.isnan(ds[v].values).sum()) == 1
    assert np.isfinite(ds.NDVI.values).all()
    np.testing.assert_allclose(ds.Bulk.values[:57], raw[:57], rtol=1e-6)


def test_missing_variable_names_the_file(db: Path):
    with pytest.raises(SmapCsvError, match=r"2015/NOPE_FORA\.csv"):
        read_smap_csv(db, years=(2015,), dynamic=("APCP_FORA", "NOPE_FORA"), static=())
    with pytest.raises(SmapCsvError, match=r"const/NOPE\.csv"):
        read_smap_csv(db, years=(2015,), dynamic=(), static=("NOPE",))
    with pytest.raises(SmapCsvError, match=r"CONUSv4f1/2019"):
        read_smap_csv(db, years=(2019,))


def test_years_must_be_consecutive(db: Path):
    with pytest.raises(SmapCsvError, match="consecutive"):
        read_smap_csv(db, years=(2015, 2017), static=())


def test_index_site_ids_and_single_year(db: Path):
    one = read_smap_csv(db, years=(2016,), dynamic=("APCP_FORA",), static=(), site_ids="index")
    assert one.site.values[0] == "px0000" and one.site.values[-1] == "px0411"
    assert one.sizes["time"] == 365 and str(one.time.values[0])[:10] == "2016-04-01"
    assert "ease_row" not in one.coords
    raw = pd.read_csv(db / "CONUSv4f1" / "2016" / "APCP_FORA.csv", header=None).to_numpy()
    np.testing.assert_allclose(one.APCP_FORA.values, raw, rtol=1e-6)


def test_wrong_shape_names_the_file(tmp_path: Path, db: Path):
    root = tmp_path / "db"
    (root / "CONUSv4f1" / "2015").mkdir(parents=True)
    src = db / "CONUSv4f1"
    (root / "CONUSv4f1" / "crd.csv").write_text((src / "crd.csv").read_text())
    (root / "CONUSv4f1" / "2015" / "timeStr.csv").write_text((src / "2015" / "timeStr.csv").read_text())
    lines = (src / "2015" / "APCP_FORA.csv").read_text().splitlines()[:-1]  # one pixel short
    (root / "CONUSv4f1" / "2015" / "APCP_FORA.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(SmapCsvError, match=r"APCP_FORA\.csv has shape \(411, 366\), expected \(412, 366\)"):
        read_smap_csv(root, years=(2015,), dynamic=("APCP_FORA",), static=())
