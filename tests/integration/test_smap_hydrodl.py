"""``global_vs_local`` on real SMAP pixels with NLDAS-2 forcing (``--env smap_hydrodl``)."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
import torch
import yaml
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from tests.kedro_project import copy_project, inside

TRAINING = {"hidden_size": 8, "epochs": 1, "iterations_per_epoch": 2}


def _smap_project(folder, shared_data):
    """A project copy whose smap_hydrodl catalog reads the shared SMAP database and EPA polygons."""
    project = copy_project(folder / "project")
    catalog = yaml.safe_load((project / "conf/smap_hydrodl/catalog.yml").read_text())
    catalog["raw_pixels"]["path"] = str(shared_data / "smap_hydrodl_csv")
    catalog["ecoregion_polygons"]["path"] = str(shared_data / "ecoregions/us_eco_l3_conus_covsimpl_0.005.geojson")
    (project / "conf/smap_hydrodl/catalog.yml").write_text(yaml.safe_dump(catalog))
    return project


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, shared_data):
    project = _smap_project(tmp_path_factory.mktemp("smap"), shared_data)
    with inside(project):
        bootstrap_project(project)
        with KedroSession.create(project_path=project, env="smap_hydrodl", runtime_params={"training": TRAINING}) as session:
            session.run(pipeline_name="global_vs_local")
        yield project


def test_pixels_outside_the_us_polygons_train_no_model(finished_run):
    regions = pd.read_csv(finished_run / "data/smap_hydrodl/03_primary/site_regions.csv", dtype=str)
    assert len(regions) == 411  # of 412: r099c171 (Baja California) has no soil statics and is dropped
    assert regions["region"].notna().sum() == 339  # 72 further pixels lie in Canada or Mexico (data README)
    checks = pd.read_csv(finished_run / "data/smap_hydrodl/08_reporting/ingestion_checks.csv", dtype={"site": str})
    dropped = checks[checks["check"] == "missing_static"]
    assert set(dropped["site"]) == {"r099c171"} and set(dropped["variable"]) == {"Bulk", "Capa", "Clay", "Sand", "Silt"}


def test_table_compares_global_and_local_on_the_papers_subregions(finished_run):
    table = pd.read_csv(finished_run / "data/smap_hydrodl/08_reporting/global_vs_local/comparison.csv")
    assert list(table["region"]) == [*"ABCDEFGHIJKLMNOPQR", "All"]
    by_region = table.set_index("region")
    assert by_region.loc["All", "RMSE_N"] == by_region.drop("All")["RMSE_N"].sum() > 250
    assert by_region["RMSE_median_global"].drop("All").dropna().between(0.005, 0.3).all()  # m3/m3


def _roi_conf(rois: list[str], target: str) -> str:
    codes = ", ".join(f'"{r}"' for r in rois)
    return f"similar_vs_dissimilar:\n  min_sites: 3\n  rois:\n    {target}: [{codes}]\n"


def test_both_experiments_report_beside_the_paper(finished_run):
    """The second experiment on the same real slice, ROIs = the two level-III regions with most pixels."""
    l3 = pd.read_csv(finished_run / "data/smap_hydrodl/03_primary/site_regions.csv", dtype=str)["eco_l3"].dropna()
    rois = list(l3.value_counts().index[:2])
    (finished_run / "conf/smap_hydrodl/parameters_similar_vs_dissimilar.yml").write_text(
        _roi_conf(rois, "soil_moisture") + "  training:\n    hidden_size: 8\n    epochs: 1\n    iterations_per_epoch: 2\n")
    with inside(finished_run):
        with KedroSession.create(project_path=finished_run, env="smap_hydrodl") as session:
            session.run(pipeline_name="similar_vs_dissimilar")
    gvl = (finished_run / "data/smap_hydrodl/08_reporting/global_vs_local/paper_comparison.md").read_text()
    assert gvl.startswith("# Global vs local (soil_moisture): this run beside Fang et al. (2022)")
    assert "The paper's direction (one global model beats one model per region) **" in gvl
    assert "| RMSE     |" in gvl and "0.032 (mean)" in gvl and "- `source`: smap_hydrodl" in gvl
    svd = (finished_run / "data/smap_hydrodl/08_reporting/similar_vs_dissimilar/paper_comparison.md").read_text()
    assert "## all data" in svd and "## size controlled" in svd
    assert svd.count("| local vs close ") == 2 and f"- `rois`: {rois}" in svd


SMAP_FLAGS = ["flag_albedo", "flag_extraOrd", "flag_landcover", "flag_roughness", "flag_vegDense", "flag_waterbody"]


@pytest.fixture(scope="module")
def paper_procedure_run(tmp_path_factory, shared_data):
    """The issue's check: ``kedro run --env smap_hydrodl --pipeline global_vs_local --params
    "training.epochs=2,training.eval_every=null"`` (the environment's own hidden size and procedure)."""
    project = _smap_project(tmp_path_factory.mktemp("smap_paper"), shared_data)
    with inside(project):
        bootstrap_project(project)
        with KedroSession.create(project_path=project, env="smap_hydrodl",
                                 runtime_params={"training": {"epochs": 2, "eval_every": None}}) as session:
            session.run(pipeline_name="global_vs_local")
        yield project / "data/smap_hydrodl"


def test_every_model_trains_with_batch_100_and_the_papers_updates_per_epoch(paper_procedure_run):
    """No batch cap; ⌈log 0.01 / log(1 − 100·30/(N·366))⌉ updates per epoch, 1 where 100·30 ≥ N·366."""
    budget = pd.read_csv(paper_procedure_run / "08_reporting/global_vs_local/budget.csv").set_index("model")
    assert len(budget) == 15  # the global model and the 14 sub-regions with at least 5 pixels
    for model, row in budget.iterrows():
        n_sites = len(json.loads((paper_procedure_run / f"05_model_input/{model}/train_sites.json").read_text())["sites"])
        p = 100 * 30 / (n_sites * 366)
        expected = 1 if p >= 1 else math.ceil(math.log(0.01) / math.log(1 - p))
        assert (row.batch_size, row.updates_per_epoch, row.updates) == (100, expected, 2 * expected), model
    assert budget.loc["global", "updates_per_epoch"] == 189  # 339 pixels


def test_the_six_smap_flags_are_among_the_statics_and_soil_moisture_starts_cold(paper_procedure_run):
    record = torch.load(paper_procedure_run / "06_models/global/model.pt", weights_only=False)
    assert record["static"] == ["Bulk", "Capa", "Clay", "NDVI", "Sand", "Silt", *SMAP_FLAGS]
    assert record["procedure"] == {"name": "paper", "epoch_rule": "paper", "test_start": "cold"}
    stats = json.loads((paper_procedure_run / "04_feature/normalisation_stats.json").read_text())
    assert stats["APCP_FORA"]["transform"] == "none"  # precipitation z-scored as it is on the paper's path
    report = (paper_procedure_run / "08_reporting/global_vs_local/paper_comparison.md").read_text()
    assert "Trained with the **paper** procedure (epoch rule paper, cold test start" in report
    assert "Training budgets: the global model 378 updates (189 per epoch × 2 epochs, batch 100)" in report
