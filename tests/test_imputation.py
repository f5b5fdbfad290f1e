"""Imputation from a fitted model and Rubin's rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import synthkit
from synthkit.errors import DataError, SpecError
from synthkit.imputation import impute, pool

#: scikit-learn's diabetes table: 442 rows, 11 columns, among them a nearly collinear serum
#: block (s1 on the others: R^2 = 0.98).
COLUMNS = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6", "target"]
X = ["bmi", "bp", "s5"]


def _diabetes(columns: list[str] = COLUMNS) -> pd.DataFrame:
    from sklearn.datasets import load_diabetes

    return load_diabetes(as_frame=True, scaled=False).frame[columns]


def _mcar(df: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    return df.mask(np.random.default_rng(seed).random(df.shape) < share)


def _mixed(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    df = pd.DataFrame({"x": x, "k": rng.poisson(3, n), "c": np.where(x + rng.normal(size=n) > 0, "hi", "lo"),
                       "cat": pd.Categorical(rng.choice(["a", "b", "c"], n))})
    holes = df.copy()
    for c in holes.columns:
        holes[c] = holes[c].mask(rng.random(n) < 0.2)
    return df, holes


def _ols(t: pd.DataFrame) -> tuple[float, float, float]:
    import statsmodels.api as sm

    r = sm.OLS(t["target"], sm.add_constant(t[X])).fit()
    return float(r.params["bmi"]), float(r.bse["bmi"] ** 2), float(r.df_resid)


def test_observed_values_never_change_and_every_hole_is_filled():
    _, holes = _mixed()
    tables = impute(holes, m=3, seed=4)
    assert len(tables) == 3
    obs = holes.notna()
    for t in tables:
        assert t.notna().all().all()
        assert list(t.columns) == list(holes.columns) and t.index.equals(holes.index)
        for c in holes.columns:
            assert (t[c][obs[c]] == holes[c][obs[c]]).all(), c
            assert t[c].dtype == holes[c].dtype
        assert set(t["cat"]) <= {"a", "b", "c"} and set(t["c"]) <= {"hi", "lo"}
    # independent draws: the tables differ where values were missing
    miss = holes["x"].isna()
    assert not np.allclose(tables[0]["x"][miss], tables[1]["x"][miss])


def test_table_i_is_the_same_whatever_m_and_bootstrap_tables_differ():
    _, holes = _mixed(300, 2)
    one = impute(holes, seed=3)
    three = impute(holes, m=3, seed=3)
    pd.testing.assert_frame_equal(one, three[0])
    boot = impute(holes, m=2, seed=3, bootstrap=True)
    miss = holes["x"].isna()
    assert not np.allclose(boot[0]["x"][miss], three[0]["x"][miss])
    obs = holes.notna()
    for t in boot:
        assert t.notna().all().all()
        assert (t["x"][obs["x"]] == holes["x"][obs["x"]]).all()
    pd.testing.assert_frame_equal(boot[1], impute(holes, m=2, seed=3, bootstrap=True)[1])
    with pytest.raises(SpecError, match="`bootstrap` must be True or False"):
        impute(holes, bootstrap="yes")


@pytest.mark.slow
def test_bootstrap_makes_the_pooled_variance_of_a_mean_honest():
    # y independent of x, half of it missing completely at random: the mean's information is
    # that of the observed rows, var = s^2 / n_obs; Rubin's T from one fitted model comes out
    # about a quarter too small, from bootstrap refits it matches
    rng = np.random.default_rng(8)
    n, m = 400, 100
    df = pd.DataFrame({"x": rng.normal(size=n), "y": rng.normal(size=n)})
    df.loc[rng.random(n) < 0.5, "y"] = np.nan
    target = df["y"].var() / df["y"].notna().sum()

    def total(bootstrap: bool) -> tuple[float, float]:
        tables = impute(df, m=m, seed=1, bootstrap=bootstrap)
        est = np.array([[t["y"].mean(), t["y"].var() / n] for t in tables])
        res = pool(est[:, 0], est[:, 1])
        # T's standard error from B's: (1 + 1/m) B sqrt(2 / (m - 1))
        return float(res.total), float((1 + 1 / m) * res.between * np.sqrt(2 / (m - 1)))

    proper, se = total(True)
    assert abs(proper - target) < 3 * se, (proper / target, se / target)
    improper, se_i = total(False)
    assert improper < target - 3 * se_i, (improper / target, se_i / target)


def test_same_seed_same_tables_and_given_model():
    _, holes = _mixed(300, 1)
    a, b = impute(holes, seed=7), impute(holes, seed=7)
    pd.testing.assert_frame_equal(a, b)
    model = synthkit.fit(holes[["x", "k"]], "gmm")
    out = impute(holes[["x", "k"]], model=model, seed=0)
    assert out.notna().all().all()


@pytest.mark.parametrize("mask", [1, pytest.param(0, marks=pytest.mark.slow), pytest.param(2, marks=pytest.mark.slow)])
def test_mean_fill_shrinks_variance_and_correlation_while_imputation_keeps_them(mask):
    full = _diabetes()
    holes = _mcar(full, 0.2, seed=mask)
    tables = impute(holes, m=20, seed=0)
    # the multiple-imputation estimates: averages over the completed tables
    ratio = np.mean([t.var() / full.var() for t in tables], axis=0)
    corr = np.mean([t.corr().to_numpy() for t in tables], axis=0)
    upper = np.triu_indices(len(COLUMNS), 1)
    err = np.abs(corr - full.corr().to_numpy())[upper]
    filled = holes.fillna(holes.mean())
    mean_ratio = (filled.var() / full.var()).to_numpy()
    # mean fill: the variance of a column with share p filled is about (1 - p) of the truth
    assert np.all(mean_ratio < 0.9)
    shrink = np.abs(filled.corr().to_numpy())[upper] / np.abs(full.corr().to_numpy())[upper]
    big = np.abs(full.corr().to_numpy())[upper] > 0.2
    assert np.median(shrink[big]) < 0.85
    assert np.all(np.abs(ratio - 1) < 0.10), ratio
    # every pair within 0.05 on average; each within 4 standard errors of what its complete
    # rows tell about it, (1 - r^2) sqrt(1 / n_pair - 1 / n) (the information the holes removed)
    assert err.mean() < 0.05, err.mean()
    both = holes.notna().to_numpy().astype(float)
    n_pair = (both.T @ both)[upper]
    se = (1 - full.corr().to_numpy()[upper] ** 2) * np.sqrt(1 / n_pair - 1 / len(full))
    assert np.all(err < 4 * se), (err / se).max()
    assert np.abs(corr[upper])[big].mean() > np.abs(filled.corr().to_numpy()[upper])[big].mean() + 0.05


def _coverage(reps: int, columns: list[str]) -> tuple[int, int]:
    """Hits of the complete-data coefficient by the m = 20 interval, and by mean fill's."""
    full = _diabetes(columns)
    truth = _ols(full)[0]
    hits = mean_hits = 0
    for rep in range(reps):
        holes = _mcar(full, 0.2, seed=100 + rep)
        est = np.array([_ols(t)[:2] for t in impute(holes, m=20, seed=rep)])
        lo, hi = pool(est[:, 0], est[:, 1], df_complete=len(full) - len(X) - 1).conf_int(0.95)
        hits += lo <= truth <= hi
        q, v, df = _ols(holes.fillna(holes.mean()))
        half = stats.t.ppf(0.975, df) * np.sqrt(v)
        mean_hits += q - half <= truth <= q + half
    return int(hits), int(mean_hits)


@pytest.mark.slow
def test_between_imputation_variance_measures_the_imputation_error():
    # Rubin: over repetitions, (Q_bar - Q_complete)^2 averages (1 + 1/m) B. Mean fill and
    # conditional-mean imputation (B = 0) fail this; the ratio of 10 repetitions is a
    # chi-square(10) / 10 at worst, whose 0.001 and 0.999 quantiles bound it
    full = _diabetes(["bmi", "bp", "s5", "target"])
    truth = _ols(full)[0]
    sq, var = [], []
    for rep in range(10):
        holes = _mcar(full, 0.2, seed=300 + rep)
        est = np.array([_ols(t)[:2] for t in impute(holes, m=10, seed=rep)])
        res = pool(est[:, 0], est[:, 1])
        sq.append((float(res.estimate) - truth) ** 2)
        var.append((1 + 1 / 10) * float(res.between))
    ratio = np.mean(sq) / np.mean(var)
    assert stats.chi2.ppf(0.001, 10) / 10 < ratio < stats.chi2.ppf(0.999, 10) / 10, ratio


@pytest.mark.slow
def test_multiple_imputation_coverage_200_repetitions():
    hits, mean_hits = _coverage(200, COLUMNS)
    assert hits / 200 >= 0.90, hits
    assert mean_hits / 200 < 0.90, mean_hits


def test_missing_at_random_is_kept():
    rng = np.random.default_rng(3)
    n = 4000
    x = rng.normal(size=n)
    y = 0.8 * x + 0.6 * rng.normal(size=n)
    holes = pd.DataFrame({"x": x, "y": y})
    drop = rng.random(n) < stats.norm.cdf(2 * x - 1)  # y missing mostly where x is high
    holes.loc[drop, "y"] = np.nan
    out = impute(holes, seed=2)
    se = y.std() / np.sqrt(n)
    # observed y are low; the completed column's mean is the full one's
    assert holes["y"].mean() < y.mean() - 10 * se
    # standard error of (mean imputed - mean true) over the missing rows, residual variance
    # 0.36: fresh residuals on both sides, 2 s2 / n_miss; the regression fitted on the observed
    # rows and evaluated at the missing rows' mean x, s2 / n_obs (1 + (xbar_miss - xbar_obs)^2 /
    # var x_obs), twice (proper imputation also draws the parameters). 40 seeds: sd 0.038 vs 0.036.
    n_miss, n_obs, s2 = drop.sum(), (~drop).sum(), 0.36
    lever = 1 + (x[drop].mean() - x[~drop].mean()) ** 2 / x[~drop].var()
    se_miss = np.sqrt(2 * s2 / n_miss + 2 * s2 / n_obs * lever)
    assert abs(out["y"][drop].mean() - y[drop].mean()) < 4 * se_miss
    assert abs(out["y"].mean() - y.mean()) < 4 * se_miss * n_miss / n


# ---------------------------------------------------------------------- pooling
def test_pool_matches_an_independent_computation():
    rng = np.random.default_rng(5)
    m, p = 7, 3
    q = rng.normal(size=(m, p))
    u = rng.uniform(0.1, 0.5, size=(m, p))
    res = pool(q, u, df_complete=40)
    for k in range(p):
        qs, us = q[:, k].tolist(), u[:, k].tolist()
        qbar = sum(qs) / m
        w = sum(us) / m
        b = sum((x - qbar) ** 2 for x in qs) / (m - 1)
        t = w + (1 + 1 / m) * b
        r = (1 + 1 / m) * b / w
        v_m = (m - 1) * (1 + 1 / r) ** 2  # Rubin's df, written through r
        gamma = r / (1 + r)
        v_obs = (40 + 1) / (40 + 3) * 40 * (1 - gamma)
        assert res.estimate[k] == pytest.approx(qbar)
        assert res.within[k] == pytest.approx(w) and res.between[k] == pytest.approx(b)
        assert res.total[k] == pytest.approx(t)
        assert res.df[k] == pytest.approx(1 / (1 / v_m + 1 / v_obs))
        lo, hi = res.conf_int(0.9)[k]
        assert hi - qbar == pytest.approx(stats.t.ppf(0.95, 1 / (1 / v_m + 1 / v_obs)) * np.sqrt(t))
    no_complete = pool(q[:, 0], u[:, 0])
    r0 = (1 + 1 / m) * q[:, 0].var(ddof=1) / u[:, 0].mean()
    assert float(no_complete.df) == pytest.approx((m - 1) * (1 + 1 / r0) ** 2)


def test_pool_interval_covers_at_its_level():
    # proper imputations of a quantity 0: the complete-data estimate has variance U = 1, the
    # missing information shifts the infinite-m mean by N(0, B), each table by N(0, B) more:
    # Var(mean of m) = U + (1 + 1/m) B, what T estimates, so the t interval covers at its level
    rng = np.random.default_rng(6)
    reps, m = 4000, 5
    center = rng.normal(size=(reps, 1)) + rng.normal(scale=0.7, size=(reps, 1))
    q = center + rng.normal(scale=0.7, size=(reps, m))
    res = pool(q.T, np.ones((m, reps)))
    lo, hi = res.conf_int(0.95).T
    cover = np.mean((lo <= 0) & (0 <= hi))
    assert abs(cover - 0.95) < 4 * np.sqrt(0.95 * 0.05 / reps)


# ------------------------------------------------------------------- bad input
@pytest.mark.parametrize("m", [0, -2, 1.5, True, "5", None])
def test_m_must_be_a_positive_integer(m):
    with pytest.raises(SpecError, match="must be an integer from 1 to 1000"):
        impute(pd.DataFrame({"a": [1.0, np.nan, 3.0, 4.0]}), m=m)


def test_entirely_missing_column_is_refused():
    df = pd.DataFrame({"a": np.arange(10.0), "b": [np.nan] * 10})
    with pytest.raises(DataError, match=r"\['b'\] are entirely missing.*drop them"):
        impute(df)


def test_model_without_conditional_draws_is_refused():
    _, holes = _mixed(200)
    model = synthkit.fit(holes[["x", "k"]], "iman_conover")
    with pytest.raises(SpecError, match="strategies that can"):
        impute(holes[["x", "k"]], model=model)


def test_pool_bad_input():
    with pytest.raises(SpecError, match="at least 2"):
        pool([1.0], [0.1])
    with pytest.raises(SpecError, match="same shape"):
        pool([1.0, 2.0], [0.1])
    with pytest.raises(DataError, match="non-negative"):
        pool([1.0, 2.0], [0.1, -0.1])


def test_no_missing_values_returns_copies():
    df = pd.DataFrame({"a": np.arange(5.0)})
    out = impute(df, m=2)
    assert all(o.equals(df) and o is not df for o in out)


def test_cli_writes_m_completed_tables(tmp_path, capsys):
    from synthkit.cli import main

    _, holes = _mixed(200, 2)
    src = tmp_path / "holes.csv"
    holes.to_csv(src, index=False)
    assert main(["impute", str(src), "-o", str(tmp_path / "done.csv"), "--m", "2", "--seed", "1"]) == 0
    assert "wrote 2 table(s)" in capsys.readouterr().out
    back = pd.read_csv(src)
    for i in (1, 2):
        out = pd.read_csv(tmp_path / f"done_{i}.csv")
        assert out.notna().all().all()
        assert ((out == back) | back.isna()).all().all()
    assert main(["impute", str(src), "-o", str(tmp_path / "x.csv"), "--m", "0"]) != 0


def test_nullable_boolean_with_missing_values_next_to_text():
    """pd.NA in a nullable boolean column used to stop the level order of a text column with a
    TypeError (float(pd.NA)); it is a missing value like any other."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"s": rng.choice(["p", "q", "r"], 200),
                       "b": pd.array(rng.random(200) > 0.5, dtype="boolean")})
    df.loc[::7, "b"] = pd.NA
    out = impute(df, seed=0)
    assert out["b"].notna().all() and str(out["b"].dtype) == "boolean"
    assert out.loc[~df["b"].isna(), "b"].equals(df.loc[~df["b"].isna(), "b"])
