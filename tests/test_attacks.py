"""Attack-based disclosure risk (synthkit.validation.attacks): intervals, counts, distances,
leak detection, no false alarms on independent samples, determinism, validate() wiring."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import synthkit
from synthkit.errors import DataError, SpecError
from synthkit.validation import (
    AttackResult,
    attack_report,
    inference_risk,
    linkability_risk,
    membership_risk,
    singling_out_risk,
)
from synthkit.validation import attacks as A

ATTACKS = {"singling_out_univariate", "singling_out_multivariate", "linkability", "inference",
           "membership_auc"}


def population(n: int, seed: int) -> pd.DataFrame:
    """One known distribution of mixed-type rows (numbers, integers, labels, booleans, NaN)."""
    rng = np.random.default_rng(seed)
    z = rng.multivariate_normal(np.zeros(3), [[1, .6, .3], [.6, 1, .4], [.3, .4, 1]], n)
    score = z[:, 2].copy()
    score[rng.random(n) < 0.05] = np.nan
    region = np.array(["north", "south", "east", "west", "centre", "islands"])[
        np.clip(np.floor((stats.norm.cdf(0.7 * z[:, 0] + 0.7 * rng.normal(size=n))) * 6), 0, 5).astype(int)]
    region = region.astype(object)
    region[rng.random(n) < 0.03] = None
    return pd.DataFrame({
        "income": np.round(np.exp(10 + 0.5 * z[:, 0]), 2),
        "age": np.clip(np.round(45 + 12 * z[:, 1]), 18, 90),
        "score": score,
        "region": region,
        "member": z[:, 1] + rng.normal(size=n) > 0.5,
    })


@pytest.fixture(scope="module")
def tables():
    """Training (2000 rows) and control (700 rows) from one distribution; an independent
    synthetic sample of it and a bootstrap of the training rows (a leaky 'generator')."""
    train, control, indep = population(2000, 1), population(700, 2), population(2000, 3)
    leak = train.sample(len(train), replace=True, random_state=4).reset_index(drop=True)
    return train, control, indep, leak


# ------------------------------------------------------------------ statistics
def test_wilson_interval_matches_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    k = np.array([0, 1, 3, 17, 250, 499, 500, 2, 1000])
    n = np.array([10, 10, 40, 100, 500, 500, 500, 7, 2000])
    for conf in (0.8, 0.95, 0.999):
        lo, hi = A.wilson_interval(k, n, conf)
        ref_lo, ref_hi = proportion_confint(k, n, alpha=1 - conf, method="wilson")
        np.testing.assert_allclose(lo, ref_lo, atol=1e-12)
        np.testing.assert_allclose(hi, ref_hi, atol=1e-12)


def test_excess_risk_interval_covers_at_its_level():
    """Monte Carlo: the MOVER-R interval of (p_t - p_c) / (1 - p_c) covers the true risk in
    ~95 % of 3000 replications (tolerance 4 binomial standard errors of the coverage)."""
    rng = np.random.default_rng(7)
    reps = 3000
    tol = 4 * math.sqrt(0.95 * 0.05 / reps)
    for p_t, p_c, n in ((0.3, 0.3, 400), (0.6, 0.3, 300), (0.04, 0.03, 1000)):
        true = (p_t - p_c) / (1 - p_c)
        k_t, k_c = rng.binomial(n, p_t, reps), rng.binomial(n, p_c, reps)
        hits = 0
        for a, b in zip(k_t, k_c, strict=True):
            r, (lo, hi) = A.excess_risk(int(a), n, int(b), n, 0.95)
            assert lo <= r <= hi <= 1
            hits += lo <= true <= hi
        assert abs(hits / reps - 0.95) < tol, (p_t, p_c, hits / reps)
    assert math.isnan(A.excess_risk(5, 10, 10, 10)[0])   # every control attack succeeded


def test_auc_and_delong_variance_match_brute_force():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(3)
    pos = np.round(rng.normal(0.4, 1, 300), 1)   # rounded: many ties
    neg = np.round(rng.normal(0.0, 1, 200), 1)
    auc, se = A._auc_delong(pos, neg)
    assert auc == pytest.approx(roc_auc_score(np.r_[np.ones(300), np.zeros(200)], np.r_[pos, neg]), abs=1e-12)
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    var = psi.mean(1).var(ddof=1) / 300 + psi.mean(0).var(ddof=1) / 200
    assert se == pytest.approx(math.sqrt(var), rel=1e-10)


# ------------------------------------------------------------------ machinery
@pytest.mark.parametrize("probes", [A._PROBES, (2, 8)])
def test_predicate_counts_match_brute_force(probes, monkeypatch):
    """The sorted-range counter (probes, then full counts) agrees with a direct count; with
    short probes most predicates reach the full count."""
    monkeypatch.setattr(A, "_PROBES", probes)
    rng = np.random.default_rng(5)
    n, d = 3000, 4
    v = np.column_stack([rng.normal(size=n), rng.integers(0, 3, n).astype(float),
                         rng.integers(0, 40, n).astype(float), rng.normal(size=n)])
    v[rng.random((n, d)) < 0.02] = np.nan
    index = A._Index(v)
    for k in (1, 2, 3):
        p = 2000
        cols = np.sort(np.argsort(rng.random((p, d)), axis=1)[:, :k], axis=1)
        rows = rng.integers(0, n, p)
        vals = v[rows[:, None], cols]
        ops = np.where(np.isnan(vals), A._NA, rng.integers(0, 3, (p, k)))
        got = index.count(cols, ops, vals)
        ok = np.ones((p, n), dtype=bool)
        with np.errstate(invalid="ignore"):
            for s in range(k):
                x = v[:, cols[:, s]].T
                c, o = vals[:, s][:, None], ops[:, s][:, None]
                ok &= np.select([o == A._EQ, o == A._LE, o == A._GE], [x == c, x <= c, x >= c], np.isnan(x))
        want = np.minimum(ok.sum(1), 2)
        np.testing.assert_array_equal(got, want)
        assert (want == 1).sum() > 10 and (want == 2).sum() > 10


def test_gower_embedding_is_the_mixed_type_distance(tables):
    """L1 distance of the embedding = sum of |x - y| / range (numbers) and mismatches (labels),
    a missing value being a value of its own (0 to missing, 1 to anything else)."""
    train, control, indep, _ = tables
    data = A._from_frames(train, indep, control)
    xt, xs, _ = A._embed(data, data.names)
    rng = np.random.default_rng(0)
    i, j = rng.integers(0, len(train), 400), rng.integers(0, len(indep), 400)
    want = np.zeros(400)
    for col in data.cols.values():
        a, b = col.t[i], col.s[j]
        if col.label:
            want += a != b
        else:
            pooled = np.concatenate([col.t, col.s, col.c])
            span = np.nanmax(pooled) - np.nanmin(pooled)
            na, nb = np.isnan(a), np.isnan(b)
            want += np.where(na & nb, 0.0, np.where(na | nb, 1.0, np.abs(a - b) / span))
    np.testing.assert_allclose(np.abs(xt[i] - xs[j]).sum(1), want, atol=1e-12)


# ------------------------------------------------------------------ the attacks
def test_bootstrap_of_training_rows_is_caught(tables):
    train, control, _, leak = tables
    conf = 0.99
    for r in (singling_out_risk(train, leak, control, mode="univariate", seed=1, confidence=conf),
              singling_out_risk(train, leak, control, mode="multivariate", seed=1, confidence=conf),
              linkability_risk(train, leak, control, seed=1, confidence=conf),
              inference_risk(train, leak, control, secret="income", seed=1, confidence=conf),
              inference_risk(train, leak, control, secret="region", seed=1, confidence=conf)):
        assert isinstance(r, AttackResult)
        assert r.n_attacks >= 100, r
        # the leak is certain (99 % interval above 0). It is diluted where the attack cannot
        # see every copy: singling out compares tables at the control's size (700 of the 2000
        # training rows), and linkability's nearest rows on the discrete half (age, region)
        # are mostly ties, so only some copies are found on both halves
        assert r.risk_ci[0] > (0.04 if r.attack in ("linkability", "singling_out_multivariate") else 0.2), r
        assert r.train_rate > r.control_rate


def test_independent_sample_shows_no_risk(tables):
    """Training, control and synthetic rows from one distribution (control smaller than
    training, so that the singling-out tables must be compared at one size): every
    excess-risk interval contains 0 and the membership AUC's contains 0.5."""
    train, control, indep, _ = tables
    results = attack_report(train, indep, control, n_attacks=1000, confidence=0.99, seed=2)
    kinds = [r.attack for r in results]
    assert kinds[:3] == ["singling_out_univariate", "singling_out_multivariate", "linkability"]
    assert kinds[-1] == "membership" and kinds.count("inference") == 5
    for r in results:
        lo, hi = r.risk_ci
        if r.attack == "membership":
            assert lo < 0.5 < hi, r
        else:
            assert r.n_attacks >= 100, r
            assert lo < 0 < hi, r
            # informative, not vacuous: at most 25 % wider than the normal-approximation interval
            # (plus the z^2/n a score interval keeps at a rate of 0)
            p, q, n = r.train_rate, r.control_rate, r.n_attacks
            z = stats.norm.ppf(0.995)
            wald = 2 * z * math.sqrt((p * (1 - p) + q * (1 - q)) / n) / (1 - q)
            assert hi - lo < 1.25 * wald + 3 * z * z / n, r
    inc = next(r for r in results if r.target == "income")
    assert inc.baseline_rate < inc.control_rate   # the nearest row beats a random guess


def test_membership_auc_near_half_for_independent_and_one_for_copies(tables):
    train, control, indep, leak = tables
    fresh = membership_risk(train, indep, control, seed=0)
    assert abs(fresh.risk - 0.5) < 3 * (fresh.risk_ci[1] - fresh.risk) / stats.norm.ppf(0.975)
    copy = membership_risk(train, train.copy(), control, seed=0)
    assert copy.risk == 1.0 and copy.train_rate == 1.0 and copy.control_rate == 0.0
    boot = membership_risk(train, leak, control, seed=0)
    assert 0.7 < boot.risk < 0.95 and boot.risk_ci[0] > 0.6   # ~63 % of rows copied


def test_linkability_baseline_is_the_chance_of_two_random_sets_meeting(tables):
    train, control, indep, _ = tables
    for k in (1, 3):
        r = linkability_risk(train, indep, control, n_attacks=200, n_neighbors=k, seed=0)
        m = len(indep)
        assert r.baseline_rate == pytest.approx(1 - math.comb(m - k, k) / math.comb(m, k), rel=1e-9)


def test_same_seed_same_result(tables):
    train, control, indep, _ = tables
    a = attack_report(train, indep, control, n_attacks=300, seed=11)
    b = attack_report(train, indep, control, n_attacks=300, seed=11)
    c = attack_report(train, indep, control, n_attacks=300, seed=12)
    assert a == b
    assert a != c


def test_missing_values_are_a_value_of_their_own():
    rng = np.random.default_rng(0)
    n = 400
    train = pd.DataFrame({"x": rng.normal(size=n), "y": rng.normal(size=n), "c": rng.choice(["a", "b", None], n),
                          "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D"),
                          "flag": rng.random(n) < 0.5})
    train.loc[:40, "x"] = np.nan
    train.loc[7, "when"] = pd.NaT          # exactly one missing date: the predicate "when is missing"
    control = train.sample(frac=1, random_state=1).assign(x=rng.normal(size=n))
    r = inference_risk(train, train.copy(), control, secret="x", n_attacks=400, seed=0)
    assert r.train_rate == 1.0              # NaN secrets guessed as NaN count as right
    u = singling_out_risk(train, train.copy(), control, mode="univariate", n_attacks=n // 2, seed=0)
    assert u.train_rate == 1.0 and u.n_attacks == n // 2  # > n/2 rare-value predicates exist
    for res in attack_report(train, train.copy(), control, n_attacks=200, seed=0):
        assert np.isfinite(res.train_rate) and np.isfinite(res.control_rate), res


def test_exclude_quasi_identifiers_and_secret_cap():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(300, 14)), columns=[f"c{i}" for i in range(14)])
    frame["id"] = np.arange(300)
    other = frame.assign(id=np.arange(300, 600))
    res = attack_report(frame, frame, other, n_attacks=100, seed=0, exclude=["id"])
    targets = [r.target for r in res if r.attack == "inference"]
    assert len(targets) == A.MAX_SECRETS and "id" not in targets
    assert targets[0] == "c0" and targets[-1] == "c13"
    assert len(res) == A.attack_test_count([c for c in frame.columns if c != "id"])
    qis = ["c0", "c1", "c2"]
    res = attack_report(frame, frame, other, n_attacks=100, seed=0, quasi_identifiers=qis, exclude="id")
    assert len(res) == A.attack_test_count(list(frame.columns[:14]), quasi_identifiers=qis)
    assert [r.target for r in res if r.attack == "inference"][:2] == ["c3", "c4"]
    assert [r.attack for r in attack_report(frame[["c0"]], frame[["c0"]], other[["c0"]], n_attacks=50,
                                            seed=0)] == ["singling_out_univariate", "membership"]


def test_bad_arguments_are_named(tables):
    train, control, indep, _ = tables
    with pytest.raises(SpecError, match="mode"):
        singling_out_risk(train, indep, control, mode="pairs")
    with pytest.raises(SpecError, match="n_attacks"):
        linkability_risk(train, indep, control, n_attacks=0)
    with pytest.raises(SpecError, match="secret"):
        inference_risk(train, indep, control, secret="salary")
    with pytest.raises(SpecError, match="aux_cols"):
        inference_risk(train, indep, control, secret="age", aux_cols=["age", "income"])
    with pytest.raises(DataError, match="control table lacks"):
        membership_risk(train, indep, control.drop(columns="age"))


# ------------------------------------------------------------------ validate()
def test_validate_runs_the_attacks_with_a_holdout(tables):
    train, control, indep, leak = tables
    bad = synthkit.validate(train, leak, holdout=control, checks="privacy", seed=0)
    assert bad.failed()[0].statistic in ATTACKS, bad.summary()
    first_fail = next(line for line in bad.summary().splitlines() if line.startswith("FAIL"))
    assert first_fail.split()[2] in ATTACKS
    names = {(c.statistic, c.columns) for c in bad.checks}
    assert {("inference", "income"), ("linkability", "*"), ("membership_auc", "*")} <= names
    good = synthkit.validate(train, indep, holdout=control, checks="privacy", seed=0)
    assert not [c for c in good.failed() if c.statistic in ATTACKS], good.summary()
    assert len(good.artifacts["privacy"]["attacks"]) == A.attack_test_count(list(train.columns))
    plain = synthkit.validate(train, indep, checks="privacy", seed=0)
    row = [c for c in plain.checks if c.statistic == "attacks"]
    assert row and row[0].passed is None and "holdout" in row[0].detail
    # the Bonferroni split counts every attack check
    assert good.meta["n_tests"] - plain.meta["n_tests"] == 1 + A.attack_test_count(list(train.columns))
    assert sum(c.passed is not None for c in good.checks if c.statistic in ATTACKS) == \
        A.attack_test_count(list(train.columns))
    html = bad.to_html()
    assert "Attacks on training rows" in html and "what it means" in html


@pytest.mark.slow
def test_default_thresholds_pass_a_copula_and_fail_a_bootstrap():
    """The defaults (attack_risk, membership_auc) on the fair table's halves: a Gaussian copula
    fitted on one half passes every attack check, a bootstrap of that half fails them first."""
    from synthkit.datasets import load_example

    df = load_example("statsmodels:fair")
    train = df.sample(frac=0.5, random_state=0)
    hold = df.drop(train.index)
    copula = synthkit.fit(train, strategy="gaussian_copula").sample(len(train), seed=1).frame
    boot = train.sample(len(train), replace=True, random_state=2)
    ok = synthkit.validate(train, copula, holdout=hold, seed=0)
    attack_rows = [c for c in ok.checks if c.statistic in ATTACKS]
    assert len(attack_rows) == A.attack_test_count(list(train.columns))
    assert all(c.passed for c in attack_rows), ok.summary()
    bad = synthkit.validate(train, boot, holdout=hold, seed=0)
    assert bad.failed()[0].statistic in ATTACKS
    failed = {(c.statistic, c.columns) for c in bad.failed()}
    assert {("inference", c) for c in train.columns} | {("membership_auc", "*")} <= failed
