"""Pipelines run as Kedro's spaceflights starter tests them: a slice on an in-memory ``DataCatalog`` with
``SequentialRunner`` (no session, no hooks, no files), checked against independent computations."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline
from kedro.runner import SequentialRunner
from scipy import stats

from synergy_kedro.core.parameters import validate_parameters
from synergy_kedro.kedro_glue.node_parameters import node_parameters
from synergy_kedro.pipelines import global_vs_local, partitioning
from synergy_kedro.regions.schemes import scheme_regions
from tests.conftest import TINY

REPO = Path(__file__).resolve().parents[1]
TRAINED = ["global", "local_F", "local_K"]  # the models TINY trains (the other regions have < 5 sites)


class _Kept(MemoryDataset):
    """A memory dataset the runner cannot empty after its last reader, so the test can look at it."""

    def _release(self) -> None:
        pass


def tiny_parameters() -> dict:
    """conf/base's parameters with TINY merged in, as ``kedro run --params`` merges them."""
    loader = OmegaConfigLoader(str(REPO / "conf"), base_env="base", default_run_env="base",
                               merge_strategy={"parameters": "soft"}, runtime_params=TINY)
    return dict(loader["parameters"])


def _parameter_entries(params: dict, prefix: str = "") -> dict[str, object]:
    """``params:<key>`` for every key and nested key, as Kedro feeds parameters to nodes."""
    entries = {}
    for key, value in params.items():
        entries[f"params:{prefix}{key}"] = value
        if isinstance(value, dict):
            entries.update(_parameter_entries(value, f"{prefix}{key}."))
    return entries


def run_in_memory(pipeline: Pipeline, params: dict, **inputs: object) -> DataCatalog:
    """Run ``pipeline`` on a catalog of memory datasets only; every dataset stays readable afterwards."""
    catalog = DataCatalog()
    for name in pipeline.datasets():
        catalog[name] = _Kept()
    typed = node_parameters(validate_parameters(params))  # as the run's hook gives them
    for name, value in {**_parameter_entries(params), "parameters": params, **typed, **inputs}.items():
        catalog[name] = _Kept(value)
    for name in pipeline.inputs():
        if name.endswith(".checkpoint"):
            catalog[name] = _Kept(None)  # no checkpoint store: train from scratch, save nothing
    SequentialRunner().run(pipeline, catalog)
    return catalog


@pytest.fixture(scope="module")
def gvl(tmp_path_factory) -> DataCatalog:
    """The whole global_vs_local pipeline for TINY, in memory, run from an empty folder."""
    folder = tmp_path_factory.mktemp("in_memory")
    params = tiny_parameters()
    pipeline = global_vs_local.pipeline.create_pipeline(scheme_regions(validate_parameters(params).partitioning))
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        catalog = run_in_memory(pipeline, params, ecoregion_polygons=None,
                                run_identity={"kedro_session_id": "in-memory", "mlflow_run_id": None})
    finally:
        os.chdir(cwd)
    catalog.folder = folder
    return catalog


def test_the_slice_writes_nothing_and_trains_the_regions_with_enough_sites(gvl):
    assert not any(gvl.folder.iterdir())
    trained = sorted(name for name in ["global", *(f"local_{r}" for r in "ABCDEFGHIJKLMNOPQR")]
                     if gvl.load(f"{name}.model")["state_dict"] is not None)
    assert trained == TRAINED
    assert gvl.load("global.model")["run"] == {"kedro_session_id": "in-memory", "mlflow_run_id": None}


def test_site_metrics_are_the_rmse_and_r_of_the_predictions(gvl):
    predictions, metrics = gvl.load("local_F.predictions"), gvl.load("local_F.site_metrics").set_index("site")
    for site in predictions["site"].values:
        obs, sim = (predictions[v].sel(site=site).values for v in ("obs", "sim"))
        ok = np.isfinite(obs) & np.isfinite(sim)
        assert metrics.loc[str(site), "RMSE"] == pytest.approx(np.sqrt(np.mean((sim[ok] - obs[ok]) ** 2)), rel=1e-6)
        assert metrics.loc[str(site), "R"] == pytest.approx(stats.pearsonr(sim[ok], obs[ok])[0], rel=1e-6)


def test_the_pooled_row_is_the_median_and_wilcoxon_test_of_the_paired_sites(gvl):
    table = gvl.load("global_vs_local_table").set_index("region")
    global_rmse = gvl.load("global.site_metrics").set_index("site")["RMSE"]
    local_rmse = pd.concat([gvl.load(f"{n}.site_metrics").set_index("site")["RMSE"] for n in TRAINED[1:]])
    paired = pd.DataFrame({"global": global_rmse.reindex(local_rmse.index), "local": local_rmse}).dropna()
    pooled = table.loc["All"]
    assert pooled["RMSE_N"] == len(paired) == 12  # 6 sites each in F and K
    assert pooled["RMSE_median_global"] == pytest.approx(paired["global"].median())
    assert pooled["RMSE_median_local"] == pytest.approx(paired["local"].median())
    assert pooled["RMSE_share_global_better"] == pytest.approx((paired["global"] < paired["local"]).mean())
    assert pooled["RMSE_p"] == pytest.approx(stats.wilcoxon(paired["global"], paired["local"]).pvalue)


def test_the_partitioning_slice_alone_assigns_every_site_its_subregion(gvl):
    params = tiny_parameters()
    canonical = gvl.load("canonical_dataset")
    catalog = run_in_memory(partitioning.pipeline.create_pipeline(), params, canonical_dataset=canonical)
    regions = catalog.load("site_regions").set_index("site")
    assert len(regions) == canonical.sizes["site"]
    assert (regions["region"] == regions["subregion"]).all()  # the epa scheme: the region is the sub-region
    assert regions["subregion"].value_counts().to_dict() == {**{r: 3 for r in "ABCDEGHIJLMNOPQR"}, "F": 6, "K": 6}
