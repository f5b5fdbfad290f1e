"""Validation of samples drawn under business rules: the model's own reference sample and the rules section."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import synthkit
from synthkit.errors import RuleError, SpecError
from synthkit.validation.checks import z_value
from synthkit.validation.rules import REFERENCE_MIN_ROWS, REFERENCE_SEED

NORMALS = {"x": {"distribution": "normal"}, "y": {"distribution": "normal"}}
M = 4000  # synthetic rows


def _checks(report, section="rules"):
    return {(c.statistic, c.columns): c for c in report.checks if c.section == section}


def test_a_sample_under_rules_passes_its_own_model_and_fails_the_declared_marginals():
    model = synthkit.declare(NORMALS, rules=["x + y <= 1"])
    sample = model.sample(M, seed=11).frame
    # the rule moves the marginals: E[x | x + y <= 1] = -phi(1/sqrt 2) / (sqrt 2 Phi(1/sqrt 2))
    a = 1 / math.sqrt(2)
    expected_mean = -stats.norm.pdf(a) / (math.sqrt(2) * stats.norm.cdf(a))
    assert abs(sample["x"].mean() - expected_mean) < 4 * sample["x"].std() / math.sqrt(M)

    old = synthkit.validate(synthkit.declare(NORMALS), sample, figures=False)  # the declared marginals
    assert not old.passed
    assert {(c.statistic, c.columns) for c in old.failed()} >= {("ks_distance_declared", "x")}

    rep = synthkit.validate(model, sample, figures=False)
    assert rep.passed, rep.summary()
    marg = [c for c in rep.checks if c.section == "marginals"]
    assert {c.statistic for c in marg} >= {"ks_distance", "wasserstein_iqr", "mean_difference_sd"}
    assert not any(c.statistic.endswith("_declared") for c in rep.checks)
    note = f"reference: {REFERENCE_MIN_ROWS:,} rows drawn from the model under its 1 rule"
    assert all(c.detail.endswith(note) for c in rep.checks if c.section in ("marginals", "dependence"))
    assert rep.meta["n_reference"] == REFERENCE_MIN_ROWS
    assert rep.meta["reference_sample"]["seed"] == REFERENCE_SEED
    assert _checks(rep)[("hard_rule_violations", "x + y <= 1")].value == 0
    # reproducible: the reference sample has a fixed seed
    again = synthkit.validate(model, sample, figures=False)
    assert [c.value for c in again.checks] == [c.value for c in rep.checks]


def test_rows_drawn_without_the_rules_fail_the_rules_section():
    rules = ["x + y <= 1", {"rule": "x < 0.5", "keep": 0.2}]
    model = synthkit.declare(NORMALS, rules=rules)
    free = synthkit.declare(NORMALS).sample(M, seed=3).frame
    rep = synthkit.validate(model, free, checks="rules")
    checks = _checks(rep)
    hard = checks[("hard_rule_violations", "x + y <= 1")]
    assert hard.value == int(((free["x"] + free["y"]) > 1).sum()) > 0 and hard.passed is False
    assert checks[("soft_rule_rate_difference", "x < 0.5")].passed is False
    assert not rep.passed


def test_a_single_row_violating_a_hard_rule_fails():
    model = synthkit.declare(NORMALS, rules=["x + y <= 1", "x >= -2"])
    sample = model.sample(M, seed=5).frame
    assert synthkit.validate(model, sample, checks="rules").passed
    sample.loc[17, ["x", "y"]] = [0.9, 0.3]
    rep = synthkit.validate(model, sample, checks="rules")
    assert [(c.statistic, c.columns, c.value) for c in rep.failed()] == [
        ("hard_rule_violations", "x + y <= 1", 1.0)]


@pytest.mark.parametrize("keep, passes", [(0.2, True), (0.6, False)])
def test_a_soft_rule_violation_rate_must_match_its_keep_odds(keep, passes):
    model = synthkit.declare({"x": {"distribution": "normal"}}, rules=[{"rule": "x < 0.5", "keep": 0.2}])
    sample = synthkit.declare({"x": {"distribution": "normal"}},
                              rules=[{"rule": "x < 0.5", "keep": keep}]).sample(M, seed=7).frame
    rep = synthkit.validate(model, sample, figures=False)
    row = next(r for r in rep.artifacts["rules"]["rows"] if r["kind"] == "soft")
    check = _checks(rep)[("soft_rule_rate_difference", "x < 0.5")]
    # the reference share is the keep odds applied to P(x >= 0.5): q = p q0 / (p q0 + 1 - q0)
    q0 = stats.norm.sf(0.5)
    q = 0.2 * q0 / (0.2 * q0 + 1 - q0)
    n = rep.meta["n_reference"]
    q_ref = float(row["expected"].split()[0])
    assert abs(q_ref - q) < 4 * math.sqrt(q * (1 - q) / n)
    q_s = float((sample["x"] >= 0.5).mean())
    assert check.value == pytest.approx(abs(q_s - q_ref), abs=1e-4)
    # the allowance: z two-proportion standard errors from both sizes, the share read from the reference
    k_ref = int(row["expected"].split("(")[1].split(" of")[0].replace(",", ""))
    q_t = (k_ref + 0.5) / (n + 1)
    se = math.sqrt(q_t * (1 - q_t) * (1 / n + 1 / M))
    assert check.threshold == pytest.approx(z_value(rep.meta["alpha"]) * se, rel=1e-9)
    assert check.passed is passes and rep.passed is passes


def test_a_derived_column_that_disagrees_with_its_expression_fails(tmp_path):
    model = synthkit.declare(NORMALS, rules=["s = x + y", "band = if x > 0 then 'pos' else 'neg'",
                                             "big = s > 1"])
    sample = model.sample(M, seed=9).frame
    # written to a file and read back, the derived columns still agree with their expressions
    sample.to_csv(tmp_path / "s.csv", index=False)
    rep = synthkit.validate(model, pd.read_csv(tmp_path / "s.csv"), checks="rules")
    assert rep.passed and len(rep.checks) == 3
    bad = sample.copy()
    bad.loc[[1, 2, 3], "s"] += 1e-3
    bad.loc[[4], "band"] = "pos" if bad.loc[4, "band"] == "neg" else "neg"
    bad.loc[[5, 6], "big"] = ~bad.loc[[5, 6], "big"]
    rep = synthkit.validate(model, bad, checks="rules")
    got = {c.columns: c.value for c in rep.failed()}
    assert got == {"s": 3 / M, "band": 1 / M, "big": 2 / M}


def test_noise_of_a_derived_column_is_checked_against_its_declared_distribution():
    model = synthkit.declare(NORMALS, rules=["z = 2 * x + noise(normal, 1, 0.5)"])
    sample = model.sample(M, seed=13).frame
    rep = synthkit.validate(model, sample, checks="rules")
    assert rep.passed
    checks = _checks(rep)
    e = (sample["z"] - 2 * sample["x"] - 1) / 0.5  # the standard normal draws, recovered by hand
    assert checks[("derived_noise_mean_z", "z")].value == pytest.approx(abs(e.mean()) * math.sqrt(M), rel=1e-6)
    assert checks[("derived_noise_sd_z", "z")].value == pytest.approx(
        abs(e.var(ddof=1) - 1) / math.sqrt(2 / M), rel=1e-6)
    wide = sample.assign(z=2 * sample["x"] + 1 + 0.6 * (e - e.mean()) / e.std())  # sd 0.6, not 0.5
    assert [(c.statistic, c.columns) for c in synthkit.validate(model, wide, checks="rules").failed()] == [
        ("derived_noise_sd_z", "z")]
    shifted = sample.assign(z=sample["z"] + 0.1)  # mean 1.1, not 1
    assert [(c.statistic, c.columns) for c in synthkit.validate(model, shifted, checks="rules").failed()] == [
        ("derived_noise_mean_z", "z")]


def test_noise_read_by_a_rule_is_compared_with_the_reference_draws():
    # among the kept rows z = x + e < 1, so the draws e are no longer N(0, 1): E[e | kept] < 0
    model = synthkit.declare(NORMALS, rules=["z = x + noise(normal, 0, 1)", "z < 1"])
    sample = model.sample(M, seed=17).frame
    assert (sample["z"] - sample["x"]).mean() < -0.2
    rep = synthkit.validate(model, sample, checks="rules")
    assert rep.passed, rep.summary()
    assert "reference's draws" in _checks(rep)[("derived_noise_mean_z", "z")].detail
    free = synthkit.declare(NORMALS, rules=["z = x + noise(normal, 0, 1)"]).sample(M, seed=17).frame
    kept = free[free["z"] < 1]  # rejection by hand: the same conditioned distribution
    assert synthkit.validate(model, kept, checks="rules").passed
    shifted = sample.assign(z=sample["z"] - 0.15)
    failed = {c.statistic for c in synthkit.validate(model, shifted, checks="rules").failed()}
    assert "derived_noise_mean_z" in failed


def test_rules_against_a_reference_table():
    rng = np.random.default_rng(21)
    n = 3000
    real = pd.DataFrame({"age": rng.integers(18, 90, n), "income": rng.lognormal(10, 0.5, n)})
    synth = pd.DataFrame({"age": rng.integers(18, 90, n), "income": rng.lognormal(10, 0.5, n)})
    rules = ["age >= 18", {"rule": "income < 30000", "keep": 0.5}, "monthly = income / 12"]
    synth["monthly"] = synth["income"] / 12
    rep = synthkit.validate(real, synth, rules=rules, checks="rules")
    assert rep.passed and len(rep.checks) == 3
    low = synth.assign(income=synth["income"] * 0.7, monthly=synth["income"] * 0.7 / 12)
    rep = synthkit.validate(real, low.assign(age=np.where(np.arange(n) < 2, 16, low["age"])), rules=rules,
                            checks="rules")
    assert {(c.statistic, c.value if c.statistic == "hard_rule_violations" else None)
            for c in rep.failed()} == {("hard_rule_violations", 2.0), ("soft_rule_rate_difference", None)}
    with pytest.raises(RuleError, match=r"unknown column\(s\) \['agee'\]"):
        synthkit.validate(real, synth, rules=["agee >= 18"])
    with pytest.raises(SpecError, match="`rules` checks need rules"):
        synthkit.validate(real, synth, checks="rules")


def test_bonferroni_budget_counts_the_rule_tests_and_the_html_shows_them():
    model = synthkit.declare(NORMALS, rules=["x + y <= 1", {"rule": "x < 0.5", "keep": 0.2},
                                             "z = x + noise(uniform, 0, 1)"])
    sample = model.sample(2000, seed=1).frame
    rep = synthkit.validate(model, sample, checks="rules")
    assert rep.passed
    assert rep.meta["n_tests"] == 1 + 2  # one soft rule, two noise moments; hard rules are exact
    e = sample["z"] - sample["x"]  # U(0, 1) draws: variance 1/12, 4th central moment 1/80
    assert _checks(rep)[("derived_noise_sd_z", "z")].value == pytest.approx(
        abs(e.var(ddof=1) - 1 / 12) / math.sqrt((1 / 80 - 1 / 144) / len(e)), rel=1e-6)
    assert _checks(rep)[("derived_mismatch_share", "z")].value == 0
    out = sample.assign(z=np.where(np.arange(len(sample)) == 0, sample["x"] + 1.5, sample["z"]))
    assert [(c.statistic, c.value) for c in synthkit.validate(model, out, checks="rules").failed()] == [
        ("derived_mismatch_share", 1 / len(sample))]  # a draw the uniform noise cannot give
    page = rep.to_html()
    assert '<h2 id="rules">' in page and "x + y &lt;= 1" in page and "soft_rule_rate_difference" in page



def test_an_exactly_related_pair_gets_a_zero_allowance_not_nan():
    # a derived column exactly related to another (monthly = income / 12) has a correlation
    # whose estimate has variance 0, computed slightly below 0 by rounding: its allowance is
    # 0, and the relative-Frobenius threshold stays finite (a NaN threshold fails the table)
    from synthkit.validation.checks import DEFAULT_THRESHOLDS
    from synthkit.validation.dependence import _matrix_checks

    rr = np.array([[1.0, 1.0, 0.3], [1.0, 1.0, 0.3], [0.3, 0.3, 1.0]])
    rs = rr + np.array([[0, 0, 0.01], [0, 0, 0.01], [0.01, 0.01, 0]])
    var = np.full((3, 3), 1e-4)
    var[0, 1] = var[1, 0] = -5.9e-19
    rows = _matrix_checks("pearson", ["income", "monthly", "spend"], rr, rs, var,
                          dict(DEFAULT_THRESHOLDS), 0.05)
    assert rows and all(np.isfinite(c.threshold) and c.passed for c in rows), rows


def test_figures_of_a_rules_model_name_its_sample_not_real():
    model = synthkit.declare(NORMALS, rules=["x + y <= 1"])
    rep = synthkit.validate(model, model.sample(2000, seed=3).frame)
    label = "model under rules (Monte Carlo)"
    assert {d["reference_label"] for d in rep.artifacts["marginal_plots"].values()} == {label}
    assert tuple(rep.artifacts["dependence"]["labels"]) == (label, "synthetic")
    assert rep.artifacts["pca"]["reference_label"] == label
    assert "<img" in rep.to_html()
