"""Convergence is judged on the last evaluation interval of each model's primary metric."""

import numpy as np
import pandas as pd

from synergy_kedro.evaluation.learning_curves import convergence_summary, convergence_table, learning_curve_figure


def _history(values, every=2, iterations=10):
    epochs = np.arange(1, 2 * len(values) + 1) if every == 2 else np.arange(1, len(values) + 1)
    scored = np.full(len(epochs), np.nan)
    scored[every - 1 :: every] = values
    return pd.DataFrame({"epoch": epochs, "loss": np.linspace(1, 0.5, len(epochs)), "iterations": iterations,
                         "test_median_NSE": scored})


def test_a_model_is_converged_when_its_last_change_is_within_the_tolerance():
    histories = {"global": _history([0.2, 0.5, 0.505]), "local_A": _history([0.1, 0.3, 0.33], iterations=3),
                 "local_B": pd.DataFrame(columns=["epoch", "loss", "iterations"])}
    table = convergence_table(histories, "NSE", tolerance=0.01).set_index("model")
    assert bool(table.loc["global", "converged"]) is True
    assert table.loc["global", "change"] == np.float64(0.505 - 0.5)
    assert table.loc["global", "updates"] == 60 and table.loc["local_A", "updates"] == 18
    assert not table.loc["local_A", "converged"]
    assert pd.isna(table.loc["local_B", "converged"])
    summary = convergence_summary(table.reset_index())
    assert summary.startswith("**Not all models converged: the verdict comes from undertrained models**")
    assert "0 of 1 other models converged (largest change +0.0300, local_A)" in summary


def test_without_curves_convergence_is_not_assessed():
    histories = {"global": _history([0.2, 0.5]).drop(columns="test_median_NSE")}
    summary = convergence_summary(convergence_table(histories, "NSE", 0.01))
    assert summary.startswith("**Convergence not assessed**")


def test_figure_draws_the_loss_and_each_scored_metric_per_model():
    histories = {"global": _history([0.2, 0.5, 0.505]), "local_A": _history([0.1, 0.3, 0.33])}
    figure = learning_curve_figure(histories, ["NSE", "R"], "t")  # R was never scored: no panel
    axes = figure.get_axes()
    assert len(axes) == 2
    assert [len(ax.get_lines()) for ax in axes] == [2, 2]
    np.testing.assert_allclose(axes[1].get_lines()[0].get_xdata(), [20, 40, 60])


def test_many_models_are_coloured_by_group_and_dashed_by_style_with_a_legend_of_labels():
    names = [f"sim.{v}.roi_1.{s}" for v in ("all_data", "size_controlled") for s in ("local", "close")]
    histories = {name: _history([0.2, 0.3]) for name in names}
    groups = {name: name.rsplit(".", 1)[1] for name in names}
    styles = {name: name.split(".")[1] for name in names}
    figure = learning_curve_figure(histories, ["NSE"], "t", groups=groups, styles=styles)
    lines = {line.get_label(): line for line in figure.get_axes()[1].get_lines()}
    assert lines[names[0]].get_color() == lines[names[2]].get_color() != lines[names[1]].get_color()
    assert lines[names[0]].get_linestyle() == "-" and lines[names[2]].get_linestyle() == "--"
    legend = [text.get_text() for text in figure.legends[0].get_texts()]
    assert legend == ["local (2)", "close (2)", "all_data (2)", "size_controlled (2)"]
