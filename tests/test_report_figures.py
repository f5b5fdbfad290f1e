"""Figures of the validation report: labelled heatmaps, balanced PCA scatter, per-column scores."""

import re

import numpy as np
import pandas as pd
import pytest

import synthkit
from synthkit.validation import plots
from synthkit.validation.html import render_html


def _corr(d: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(200, d))
    return np.corrcoef(x, rowvar=False)


def _tick_texts(axis) -> list[str]:
    return [t.get_text() for t in axis.get_ticklabels()]


@pytest.mark.parametrize("d", [5, 30])
def test_every_heatmap_panel_labels_every_column(d):
    names = [f"column_{i:02d}" for i in range(d)]
    fig = plots.heatmaps_figure(names, _corr(d, 0), _corr(d, 1))
    panels = [ax for ax in fig.axes if ax.get_images() and ax.get_title()]
    assert len(panels) == 3
    for ax in panels:
        assert _tick_texts(ax.xaxis) == names
        assert _tick_texts(ax.yaxis) == names


def test_wide_heatmap_labels_every_kth_column_and_says_so():
    d = 90
    names = [f"c{i}" for i in range(d)]
    fig = plots.heatmaps_figure(names, _corr(d, 0), _corr(d, 1))
    panels = [ax for ax in fig.axes if ax.get_images() and ax.get_title()]
    k = plots.label_step(d, 4.4)
    assert k > 1
    for ax in panels:
        assert _tick_texts(ax.xaxis) == names[::k]
        assert _tick_texts(ax.yaxis) == names[::k]
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any(f"every {plots._ordinal(k)} column labelled" in t for t in texts)


def test_heatmap_labels_have_room():
    # each label gets at least LABEL_PX pixels of its axis: the drawn axis length / labels
    d = 30
    names = [f"column_{i:02d}" for i in range(d)]
    fig = plots.heatmaps_figure(names, _corr(d, 0), _corr(d, 1))
    fig.canvas.draw()
    for ax in (a for a in fig.axes if a.get_images() and a.get_title()):
        bbox = ax.get_window_extent()
        assert min(bbox.width, bbox.height) / len(_tick_texts(ax.xaxis)) >= plots.LABEL_PX


def _wine():
    from sklearn.datasets import load_wine

    return load_wine(as_frame=True).frame


def test_pca_scatter_draws_as_many_synthetic_as_real_rows():
    real = _wine()  # 178 rows
    synth = synthkit.fit(real).sample(20_000, seed=1, progress=False).frame
    rep = synthkit.validate(real, synth, checks="marginals")
    pca = rep.artifacts["pca"]
    assert len(pca["real"]) == len(pca["synth"]) == len(real)
    # a seeded draw: same seed, same subsample
    again = synthkit.validate(real, synth, checks="marginals")
    np.testing.assert_array_equal(pca["synth"], again.artifacts["pca"]["synth"])


def test_html_starts_with_a_per_column_score_chart_that_marks_failing_columns():
    from synthkit.validation.html import column_scores

    real = _wine()
    synth = synthkit.fit(real).sample(2_000, seed=2, progress=False).frame
    synth["proline"] = synth["proline"] * 1.5  # a clearly wrong column
    rep = synthkit.validate(real, synth, checks="marginals")
    scores, failed, name = column_scores(rep)
    assert name.startswith("Column Shapes")
    assert set(scores) == {str(c) for c in real.columns}
    assert "proline" in failed
    html = render_html(rep)
    assert 'id="column-scores"' in html
    assert html.index('id="column-scores"') < html.index('id="marginals"')
    fig = plots.column_scores_figure(scores, failed)
    ax = fig.axes[0]
    bars = sorted(ax.patches, key=lambda b: -b.get_y())  # top bar first
    labels = [t.get_text() for t in ax.get_yticklabels()]
    labels = [lbl for _, lbl in sorted(zip(ax.get_yticks(), labels, strict=True), reverse=True)]
    values = [b.get_width() for b in bars]
    assert values == sorted(values)  # lowest score at the top
    assert labels[0] == "proline"
    red = {lbl for lbl, b in zip(labels, bars, strict=True)
           if np.allclose(b.get_facecolor()[:3], pd.Series([0xc6, 0x28, 0x28]).to_numpy() / 255)}
    assert red == failed


# ------------------------------------------------------------------ hostile and wide labels

DOLLARS = ["x_$^$", "$\\alpha_$", "price in $ (US$)", "$\\foo$"]


def test_dollar_signs_in_names_and_labels_are_drawn_verbatim():
    """matplotlib reads ``$...$`` as mathtext: ``"$^$"`` used to raise, ``"US$ (in $)"`` drew maths."""
    for name in DOLLARS:
        plots.marginal_png(name, {"type": "hist", "edges": [0.0, 1.0, 2.0], "real": [0.5, 0.5],
                                  "synth": [0.4, 0.6]})
    png = plots.marginal_png("c", {"type": "bar", "labels": DOLLARS, "real": [0.25] * 4, "synth": [0.25] * 4})
    assert png[:4] == b"\x89PNG"
    fig = plots.heatmaps_figure(DOLLARS, _corr(4, 0), _corr(4, 1))
    fig.canvas.draw()
    for ax in (a for a in fig.axes if a.get_images() and a.get_title()):
        shown = [t.get_text() for t in ax.xaxis.get_ticklabels()]
        assert shown == [plots.literal(n) for n in DOLLARS]
        # drawn as text, not maths: the escaped dollars come back as plain "$"
        assert all(t._preprocess_math(t.get_text()) == (n, False)
                   for t, n in zip(ax.xaxis.get_ticklabels(), DOLLARS, strict=True))
    plots.figure_to_png(plots.column_scores_figure({n: 0.9 for n in DOLLARS}, {DOLLARS[1]}))


def test_a_report_with_dollar_names_renders():
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"x_$^$": rng.normal(size=60), "seg": rng.choice(["$\\alpha_$", "b"], 60)})
    text = synthkit.validate(real, real.sample(frac=1, random_state=1), checks="marginals").to_html()
    assert "x_$^$" in text


def test_shortened_labels_stay_distinct():
    names = ["account_balance_q1", "account_balance_q2", "account_balance_q3",
             "customer_lifetime_value_estimate_low", "customer_lifetime_value_estimate_high"]
    fig = plots.heatmaps_figure(names, _corr(5, 0), _corr(5, 1))
    for ax in (a for a in fig.axes if a.get_images() and a.get_title()):
        shown = _tick_texts(ax.xaxis)
        assert len(set(shown)) == len(names) and all(len(s) <= 16 for s in shown)
    fig = plots.column_scores_figure({n + "_" * 20: 0.5 for n in names})
    shown = _tick_texts(fig.axes[0].yaxis)
    assert len(set(shown)) == len(names)


def test_undefined_associations_are_grey_and_said_so():
    r = _corr(4, 0)
    r[0, 1:] = r[1:, 0] = np.nan   # a constant reference column
    fig = plots.heatmaps_figure(["a", "b", "c", "d"], r, _corr(4, 1))
    img = [a for a in fig.axes if a.get_images() and a.get_title()][0].get_images()[0]
    assert tuple(img.get_cmap().get_bad()[:3]) != (1.0, 1.0, 1.0)     # not white, which means 0
    texts = [t.get_text() for t in fig.texts]
    assert any("grey: undefined" in t for t in texts)


@pytest.mark.slow  # (10-19 s: run with `pytest -m slow`)
def test_a_wide_report_draws_at_most_forty_distributions_the_worst_first():
    from synthkit.validation.html import MARGINAL_FIGURES, marginal_figure_columns

    rng = np.random.default_rng(0)
    d = MARGINAL_FIGURES + 6
    real = pd.DataFrame(rng.normal(size=(60, d)), columns=[f"c{i:02d}" for i in range(d)])
    synth = pd.DataFrame(rng.normal(size=(600, d)), columns=real.columns)
    synth["c45"] += 3.0                                           # the last column fails
    rep = synthkit.validate(real, synth, checks="marginals")
    drawn = marginal_figure_columns(rep)
    assert len(drawn) == MARGINAL_FIGURES and "c45" in drawn
    assert list(drawn) == sorted(drawn)                           # table order
    text = rep.to_html()
    assert text.count('alt="marginal: ') == MARGINAL_FIGURES
    assert f"of {d} (in table order)" in text


def test_whole_number_histograms_give_every_bin_the_same_number_of_integers():
    """Equal-width bins over 78 integers alias into a comb; the edges sit at k - 1/2 with a
    whole width, so a uniform column's expected count is the same in every bin (tested
    against a chi-square bound of the counts)."""
    rng = np.random.default_rng(3)
    real = pd.DataFrame({"age": rng.integers(18, 96, 20_000)})
    syn = pd.DataFrame({"age": rng.integers(18, 96, 20_000)})
    d = synthkit.validate(real, syn, checks="marginals").artifacts["marginal_plots"]["age"]
    edges = np.asarray(d["edges"])
    width = np.diff(edges)
    assert d["type"] == "hist" and np.all(width == width[0]) and width[0] == int(width[0])
    assert np.all(np.abs(edges - np.round(edges) - 0.5) < 1e-12 + (np.round(edges) - edges == 0.5))
    inner = np.asarray(d["real"])[(edges[:-1] >= 17.5) & (edges[1:] <= 95.5)]
    counts = inner * width[0] * real.shape[0]
    chi2 = float(((counts - counts.mean()) ** 2 / counts.mean()).sum())
    from scipy import stats
    assert chi2 < stats.chi2.isf(1e-3, counts.size - 1), (chi2, counts)


def test_many_labels_show_the_reference_top_and_an_other_bar():
    """More than 20 levels: the 20 most frequent in the reference (never chosen on the
    synthetic counts), and one 'other' bar with the rest of each side's mass."""
    rng = np.random.default_rng(4)
    cats = [f"c{i:02d}" for i in range(60)]
    p = 1 / np.arange(1, 61)
    p /= p.sum()
    real = pd.DataFrame({"z": rng.choice(cats, 5000, p=p)})
    syn = pd.DataFrame({"z": rng.choice(cats, 5000, p=p[::-1])})  # reversed: its top is the tail
    d = synthkit.validate(real, syn, checks="marginals").artifacts["marginal_plots"]["z"]
    freq = real["z"].value_counts(normalize=True)
    shown = d["labels"][:20]
    assert d["labels"][-1] == "other (40)" and len(set(shown)) == 20
    assert freq[shown].min() >= freq.drop(shown).max()  # the reference's top 20
    assert np.allclose(d["real"][:20], freq[shown])
    assert sum(d["real"]) == pytest.approx(1.0) and sum(d["synth"]) == pytest.approx(1.0)


def test_a_long_right_tail_is_drawn_on_a_log_axis():
    rng = np.random.default_rng(5)
    real, syn = (pd.DataFrame({"claim": (rng.pareto(1.3, 5000) + 1) * 1000}) for _ in range(2))
    d = synthkit.validate(real, syn, checks="marginals").artifacts["marginal_plots"]["claim"]
    edges = np.asarray(d["edges"])
    assert d["log"] and np.allclose(np.diff(np.log(edges)), np.log(edges[1] / edges[0]))
    # per log10 unit, the densities integrate to the share of values inside the edges
    inside = np.mean((real["claim"] >= edges[0]) & (real["claim"] <= edges[-1]))
    assert float(np.sum(np.asarray(d["real"]) * np.diff(np.log10(edges)))) == pytest.approx(inside)
    assert plots.marginal_png("claim", d)[:4] == b"\x89PNG"


def test_names_with_a_long_common_prefix_and_suffix_keep_the_part_that_differs():
    names = [f"sensor_measurement_channel_{i:02d}_calibrated" for i in range(30)]
    shown = plots.short_labels(names, 16)
    assert all(f"_{i:02d}" in s and len(s) <= 16 for i, s in enumerate(shown)), shown
    fig = plots.column_scores_figure({n: 0.9 + i / 1000 for i, n in enumerate(names)})
    ticks = _tick_texts(fig.axes[0].yaxis)
    assert sorted(re.search(r"_(\d\d)", t).group(1) for t in ticks) == [f"{i:02d}" for i in range(30)]


def test_attack_chart_leaves_out_unmeasurable_attacks_and_names_them():
    from matplotlib.figure import Figure

    from synthkit.validation.attacks import AttackResult

    def result(target, rate, risk, guess):
        return AttackResult("inference", target, 100, rate, (rate - 0.05, min(rate + 0.05, 1.0)),
                            0.2, (0.15, 0.25), guess, risk, (0.0, 0.1), "")

    drawn = {}
    real_savefig = Figure.savefig

    def spy(fig, *a, **k):
        drawn["ticks"] = [t.get_text() for t in fig.axes[0].get_yticklabels()]
        drawn["xlabel"] = fig.axes[0].get_xlabel()
        return real_savefig(fig, *a, **k)

    Figure.savefig = spy
    try:
        plots.attacks_png([result("age", 0.3, 0.1, 0.02), result("flag", 1.0, float("nan"), 1.0)])
    finally:
        Figure.savefig = real_savefig
    assert drawn["ticks"] == ["inference: age"]
    assert "not measurable" in drawn["xlabel"] and "flag" in drawn["xlabel"]


def test_missing_shares_are_in_the_figure_data():
    r = np.random.default_rng(0)
    x, y = r.normal(size=(2, 3000))
    x[r.random(3000) < 0.3] = np.nan
    real, syn = pd.DataFrame({"s": x, "z": y}), pd.DataFrame({"s": y, "z": x})
    plots_ = synthkit.validate(real, syn, checks="marginals").artifacts["marginal_plots"]
    assert plots_["s"]["missing"] == pytest.approx([np.isnan(x).mean(), 0.0])
    assert plots_["z"]["missing"] == pytest.approx([0.0, np.isnan(x).mean()])
