"""``model.extend``: real rows completed by per-row conditional draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import synthkit
from synthkit.errors import DataError, RuleError, SpecError
from synthkit.strategies import _conditional


def _ks_allowance(n: int, m: int, alpha: float = 1e-3) -> float:
    """Two-sample KS critical distance at level ``alpha`` (asymptotic, both sizes)."""
    c = np.sqrt(-0.5 * np.log(alpha / 2))
    return float(c * np.sqrt((n + m) / (n * m)))


R3 = np.array([[1.0, 0.6, 0.3], [0.6, 1.0, -0.4], [0.3, -0.4, 1.0]])


@pytest.fixture(scope="module")
def normal3():
    cols = {c: {"distribution": "normal"} for c in "abc"}
    return synthkit.declare(cols, strategy="gaussian_copula", correlation=R3)


def _ols(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """OLS of y on [1, x]: coefficients, their standard errors, residual variance."""
    design = np.column_stack([np.ones(len(y)), x])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ beta
    s2 = float(resid @ resid / (len(y) - design.shape[1]))
    se = np.sqrt(np.diag(s2 * np.linalg.inv(design.T @ design)))
    return beta, se, s2


def test_continuous_evidence_matches_the_closed_form_conditional_normal(normal3):
    n = 20_000
    rng = np.random.default_rng(0)
    z = rng.standard_normal((n, 3)) @ np.linalg.cholesky(R3).T
    # one point: E[b | a] = r a, var 1 - r^2
    out = normal3.extend(pd.DataFrame({"a": z[:, 0]}), seed=1).frame
    assert np.array_equal(out["a"].to_numpy(), z[:, 0])
    beta, se, s2 = _ols(out["b"].to_numpy(), out["a"].to_numpy())
    assert abs(beta[1] - 0.6) < 4 * se[1] and abs(beta[0]) < 4 * se[0]
    assert abs(s2 - (1 - 0.36)) < 4 * s2 * np.sqrt(2 / (n - 2))
    # two points: E[c | a, b] = S_cg S_gg^-1 (a, b), var 1 - S_cg S_gg^-1 S_gc
    out = normal3.extend(pd.DataFrame({"a": z[:, 0], "b": z[:, 1]}), seed=2).frame
    coef = np.linalg.solve(R3[:2, :2], R3[:2, 2])
    var = 1 - R3[2, :2] @ coef
    beta, se, s2 = _ols(out["c"].to_numpy(), out[["a", "b"]].to_numpy())
    assert np.all(np.abs(beta[1:] - coef) < 4 * se[1:]), (beta, coef, se)
    assert abs(s2 - var) < 4 * s2 * np.sqrt(2 / (n - 3))


def test_per_row_sampler_matches_rejection_and_the_closed_form():
    """Rows with different evidence in one call: a box on two scores (Gibbs) against exact
    rejection from unconditional draws; a point on the third against the conditional normal."""
    from synthkit.dependence.copula import sample_conditional_rows

    r = np.array([[1.0, 0.85, 0.5], [0.85, 1.0, 0.3], [0.5, 0.3, 1.0]])
    n = 20_000
    box = np.array([[0.0, -1.0, np.nan], [1.0, 0.0, np.nan]])
    point = np.array([np.nan, np.nan, 1.5])
    lower = np.where(np.arange(2 * n)[:, None] % 2 == 0, box[0], point)
    upper = np.where(np.arange(2 * n)[:, None] % 2 == 0, box[1], point)
    z = sample_conditional_rows(r, lower, upper, np.random.default_rng(0), sweeps=25)
    inbox, onpoint = z[0::2], z[1::2]
    assert np.all((inbox[:, 0] >= 0) & (inbox[:, 0] <= 1) & (inbox[:, 1] >= -1) & (inbox[:, 1] <= 0))
    ref = np.random.default_rng(1).standard_normal((2_000_000, 3)) @ np.linalg.cholesky(r).T
    ref = ref[(ref[:, 0] >= 0) & (ref[:, 0] <= 1) & (ref[:, 1] >= -1) & (ref[:, 1] <= 0)]
    for k in range(3):
        d = stats.ks_2samp(inbox[:, k], ref[:, k]).statistic
        assert d < _ks_allowance(n, len(ref)), (k, d)
    assert np.all(onpoint[:, 2] == 1.5)
    coef = r[:2, 2] * 1.5
    cov = r[:2, :2] - np.outer(r[:2, 2], r[:2, 2])
    se = np.sqrt(np.diag(cov) / n)
    assert np.all(np.abs(onpoint[:, :2].mean(axis=0) - coef) < 4 * se)
    assert np.all(np.abs(onpoint[:, :2].var(axis=0) - np.diag(cov)) < 4 * np.diag(cov) * np.sqrt(2 / n))


@pytest.fixture(scope="module")
def mixed():
    """Categorical, integer, continuous and a nullable column missing more where ``y`` is high."""
    rng = np.random.default_rng(3)
    n = 6000
    z = rng.standard_normal((n, 4)) @ np.linalg.cholesky(
        [[1, .5, .4, .3], [.5, 1, .3, .2], [.4, .3, 1, .5], [.3, .2, .5, 1]]).T
    seg = np.array(["low", "mid", "high"], dtype=object)[np.digitize(z[:, 0], [-0.5, 0.7])]
    k = np.clip(np.floor(1.5 + z[:, 1]), 0, 4).astype(int)
    y = np.exp(0.5 * z[:, 2])
    w = 10 + 2 * z[:, 3]
    w[stats.norm.cdf(z[:, 2]) + 0.3 * rng.random(n) > 0.95] = np.nan
    table = pd.DataFrame({"seg": seg, "k": k, "y": y, "w": w})
    model = synthkit.fit(table, strategy="gaussian_copula")
    return table, model, model.sample(400_000, seed=9).frame


def test_discrete_evidence_matches_rejection_sampling(mixed):
    _, model, big = mixed
    for seg, k in [("mid", 1), ("high", 3), ("low", 0)]:
        ref = big[(big["seg"] == seg) & (big["k"] == k)]
        real = pd.DataFrame({"seg": [seg] * 4000, "k": [k] * 4000})
        out = model.extend(real, seed=4).frame
        assert (out["seg"] == seg).all() and (out["k"] == k).all()
        for col in ("y", "w"):
            a, b = out[col].dropna(), ref[col].dropna()
            d = stats.ks_2samp(a, b).statistic
            assert d < _ks_allowance(len(a), len(b)), (seg, k, col, d)
        # the missingness of w given the evidence: a binomial proportion
        p_ref, p = ref["w"].isna().mean(), out["w"].isna().mean()
        se = np.sqrt(p_ref * (1 - p_ref) * (1 / len(out) + 1 / len(ref)))
        assert abs(p - p_ref) < 4 * se + 1e-9, (seg, k, p, p_ref)


def test_missing_cells_are_evidence_of_missingness(mixed):
    table, model, big = mixed
    for missing in (True, False):
        ref = big[big["w"].isna() == missing]
        value = np.nan if missing else 10.0
        out = model.extend(pd.DataFrame({"w": [value] * 4000}), seed=5).frame
        assert out["w"].isna().all() if missing else (out["w"] == 10.0).all()
        if not missing:  # w = 10: against the rows with w in a narrow band around 10
            ref = ref[(ref["w"] - 10.0).abs() < 0.2]
        d = stats.ks_2samp(out["y"], ref["y"]).statistic
        assert d < _ks_allowance(len(out), len(ref)), (missing, d)
        if missing:  # y is high where w is missing
            assert out["y"].mean() > table["y"].mean()
    # a column that is never missing: a missing cell is no evidence at all
    out = model.extend(pd.DataFrame({"y": [np.nan] * 4000}), seed=6).frame
    assert out["y"].isna().all()
    d = stats.ks_2samp(out["w"].dropna(), big["w"].dropna()).statistic
    assert d < _ks_allowance(out["w"].notna().sum(), big["w"].notna().sum())


def test_extending_one_half_of_a_real_table_restores_the_cross_correlations():
    """Fit on all of statsmodels' fair table, extend its first four columns with the rest."""
    sm = pytest.importorskip("statsmodels.api")
    real = sm.datasets.fair.load_pandas().data
    first, second = list(real.columns[:4]), list(real.columns[4:])
    model = synthkit.fit(real, strategy="gaussian_copula")

    def cross(frame):
        return frame.astype(float).corr().loc[first, second].to_numpy()

    r = cross(real)
    out = model.extend(real[first], seed=1).frame
    assert out[first].equals(real[first]) and list(out.columns) == list(real.columns)
    # the model's own error on these pairs (a large unconditional sample: no sampling noise)
    fit_error = np.abs(cross(model.sample(200_000, seed=2).frame) - r)
    allowance = 3 * (1 - r**2) / np.sqrt(len(real)) + fit_error
    error = np.abs(cross(out) - r)
    assert np.all(error <= allowance), (error - allowance).max()
    # an independent draw of the second half loses them
    independent = pd.concat([real[first], model.sample(len(real), seed=3).frame[second]], axis=1)
    assert error.mean() < 0.5 * np.abs(cross(independent) - r).mean()


def test_same_seed_same_rows_and_blocks_as_the_engine(monkeypatch):
    model = synthkit.declare({"a": {"distribution": "normal"}, "b": {"distribution": "gamma",
                                                                      "params": {"a": 2.0}}},
                             correlation=[[1, .7], [.7, 1]])
    rows = 1000
    monkeypatch.setattr(_conditional, "BLOCK_ROWS", 256)
    real = pd.DataFrame({"a": np.random.default_rng(0).standard_normal(rows)},
                        index=np.arange(rows) * 3)
    one = model.extend(real, seed=7).frame
    assert one.equals(model.extend(real, seed=7).frame)
    assert not one["b"].equals(model.extend(real, seed=8).frame["b"])
    assert list(one.index) == list(real.index)
    # block b of the output depends on the seed and its own rows only
    head = model.extend(real.iloc[:512], seed=7).frame
    assert head.equals(one.iloc[:512])


def test_weights_replicate_rows_with_their_own_draws(normal3):
    real = pd.DataFrame({"a": [0.0, 1.0, -1.0, 2.0], "wt": [0.4, 0.4, 1.7, 2.5]},
                        index=["p", "q", "r", "s"])
    out = normal3.extend(real, seed=3, weights="wt").frame
    # running sums 0.4, 0.8, 2.5, 5.0 round to 0, 1, 3, 5: copies 0, 1, 2, 2 (total round(5.0))
    assert list(out.index) == ["q", "r", "r", "s", "s"] and "wt" not in out
    assert out.loc["s", "b"].nunique() == 2 and (out.loc["s", "a"] == 2.0).all()
    out = normal3.extend(real[["a"]], seed=3, weights=np.array([1.0, 0.0, 0.0, 2.0])).frame
    assert list(out.index) == ["p", "s", "s"]
    assert _conditional.replicates(np.full(10, 0.35), 10).sum() == round(3.5)


def test_columns_selects_what_is_drawn(normal3):
    out = normal3.extend(pd.DataFrame({"a": [0.5, 1.5]}), ["c"], seed=0).frame
    assert list(out.columns) == ["a", "c"]


def test_rules_redraw_only_the_failing_rows(normal3):
    real = pd.DataFrame({"a": np.linspace(-2, 2, 3000)})
    free = normal3.extend(real, seed=4).frame
    assert (free["b"] < 0).any()
    out = normal3.extend(real, seed=4, rules=["b >= 0"]).frame
    assert (out["b"] >= 0).all() and out["a"].equals(real["a"])
    kept = free["b"] >= 0
    assert out.loc[kept, "b"].equals(free.loc[kept, "b"])  # passing rows are not redrawn
    with pytest.raises(RuleError, match=r"3000 row\(s\).*found no draw passing the rules.*rule 'a > 10' "
                                        r"rejects most: it holds on 0\.00%"):
        normal3.extend(real, seed=4, rules=["a > 10"])


def test_a_bound_rule_on_a_drawn_column_conditions_exactly(normal3):
    """``b >= 2.5`` given ``a = -2`` (probability about 1e-6): b | a is N(0.6 a, 0.64) truncated."""
    n = 4000
    out = normal3.extend(pd.DataFrame({"a": [-2.0] * n}), ["b"], seed=3, rules=["b >= 2.5"]).frame
    sd = np.sqrt(1 - 0.36)
    ref = stats.truncnorm((2.5 + 1.2) / sd, np.inf, loc=-1.2, scale=sd)
    assert (out["b"] >= 2.5).all()
    assert stats.kstest(out["b"], ref.cdf).pvalue > 1e-3


def test_soft_and_derived_rules(normal3):
    real = pd.DataFrame({"a": np.linspace(-2, 2, 2000)})
    out = normal3.extend(real, seed=5, rules=["d = 2 * b", {"rule": "d >= 0", "keep": 0.0},
                                              "e = b + noise(normal, 0, 1)"]).frame
    assert list(out.columns) == ["a", "b", "c", "d", "e"]
    assert (out["b"] >= 0).all() and np.allclose(out["d"], 2 * out["b"])
    assert out["e"].ne(out["b"]).all()


def test_given_determined_columns_are_kept_by_their_determinant():
    rng = np.random.default_rng(0)
    code = rng.choice(["a1", "a2", "b1", "b2", "c1"], 3000)
    table = pd.DataFrame({"code": code, "group": [c[0] for c in code],
                          "x": rng.normal(size=3000) + 2 * (code == "a1")})
    model = synthkit.fit(table, strategy="gaussian_copula")
    assert [(h.model.name, h.by) for h in model.hierarchies_] == [("group", "code")]
    real = pd.DataFrame({"group": ["a", "b", "c"] * 500})
    out = model.extend(real, seed=1).frame
    assert out["group"].equals(real["group"]) and (out["code"].str[0] == out["group"]).all()
    with pytest.raises(DataError, match=r"\['z'\] are not among the levels"):
        model.extend(pd.DataFrame({"group": ["z"]}))
    cond = model.sample(conditions=pd.DataFrame({"group": ["b", None]}), seed=2).frame
    assert cond.loc[0, "code"].startswith("b")


RARE = ("k9", "k19", "k29")  # apart in code order (k9 last, k19 after k18, k29 after k28)


@pytest.fixture(scope="module")
def rare_group():
    """40 codes in 5 groups (code -> grp, a detected hierarchy); group RARE holds 1% of the rows.

    ``x`` rises with the code number and ``seg`` with ``x``, so the codes of RARE have their own
    frequencies given ``seg``. Returns the model and the same model with its codes in code
    order (as a model file without a level order: RARE is then not one interval)."""
    import copy

    rng = np.random.default_rng(0)
    n = 20_000
    codes = np.array([f"k{i}" for i in range(40)])
    rare = np.isin(codes, RARE)
    p = np.full(40, 0.99 / 37)
    p[rare] = [0.005, 0.003, 0.002]
    code = rng.choice(codes, n, p=p)
    num = np.array([int(c[1:]) for c in code])
    grp = np.where(np.isin(code, RARE), "RARE", np.char.add("G", (num % 4).astype(str)))
    x = rng.normal(size=n) + 0.08 * num
    seg = np.where(x + rng.normal(size=n) > 2, "hi", "lo")
    model = synthkit.fit(pd.DataFrame({"code": code, "grp": grp, "x": x, "seg": seg}),
                         strategy="gaussian_copula")
    assert [(h.name, h.by) for h in model.hierarchies_] == [("grp", "code")]
    code_order = copy.deepcopy(model)
    cm = code_order.columns_[[c.name for c in code_order.columns_].index("code")]
    cm.marginal = cm.marginal.with_order(None)
    return model, code_order


def _rare_probs(model) -> tuple[list, np.ndarray]:
    """The codes of RARE and their probabilities within it (the model's marginal)."""
    cm = model.columns_[[c.name for c in model.columns_].index("code")]
    cats = list(cm.column.categories)
    idx = np.array([cats.index(c) for c in RARE], dtype=float)
    mass = cm.marginal.cdf(idx) - cm.marginal.cdf_left(idx)
    return list(RARE), mass / mass.sum()


def test_a_given_group_is_one_interval_of_its_determining_column(rare_group):
    model, code_order = rare_group
    j = [c.name for c in model.columns_].index("code")
    ev = _conditional.evidence(model, pd.DataFrame({"grp": ["RARE", None]}), missing_is_evidence=False,
                               strict=True)
    assert ev.match == {}  # exact evidence, no check of drawn rows
    cm = model.columns_[j]
    idx = np.array([list(cm.column.categories).index(c) for c in RARE], dtype=float)
    mass = float(np.sum(cm.marginal.cdf(idx) - cm.marginal.cdf_left(idx)))
    assert ev.upper[0, j] - ev.lower[0, j] == pytest.approx(mass, abs=1e-12)
    assert np.isnan(ev.lower[1]).all() and np.isnan(ev.upper[1]).all()
    # levels apart in the latent order: the drawn rows are checked instead
    ev = _conditional.evidence(code_order, pd.DataFrame({"grp": ["RARE"]}), missing_is_evidence=False,
                               strict=True)
    assert list(ev.match) == ["grp"] and np.isnan(ev.lower[:, j]).all()


@pytest.mark.parametrize("order", ["data", "code"])
def test_a_rare_group_in_a_conditions_table_follows_its_level_frequencies(rare_group, order):
    """3000 rows of a group holding 1% of the rows: its codes at their frequencies within the group
    (chi-square goodness of fit against the model's marginal), by the interval of the data-driven
    level order or, in code order, by redrawing the rows whose code is outside the group."""
    model = rare_group[0] if order == "data" else rare_group[1]
    n = 3000
    out = model.sample(conditions=pd.DataFrame({"grp": ["RARE"] * n}), seed=3).frame
    assert (out["grp"] == "RARE").all() and out["code"].isin(RARE).all()
    levels, probs = _rare_probs(model)
    counts = out["code"].value_counts().reindex(levels, fill_value=0).to_numpy()
    assert stats.chisquare(counts, probs * n).pvalue > 1e-3, (counts, probs * n)


def test_a_rare_group_in_extend_matches_rejection_from_unconditional_draws(rare_group):
    """``grp`` and ``seg`` given: the drawn codes and ``x`` against the rows of a large unconditional
    sample with the same ``grp`` and ``seg`` (chi-square homogeneity, two-sample KS)."""
    model, _ = rare_group
    n = 4000
    real = pd.DataFrame({"grp": ["RARE"] * n, "seg": ["hi", "lo"] * (n // 2)})
    out = model.extend(real, seed=5).frame
    assert out[["grp", "seg"]].equals(real) and out["code"].isin(RARE).all()
    big = model.sample(1_000_000, seed=6).frame
    big = big[big["grp"] == "RARE"]
    for seg in ("hi", "lo"):
        got, ref = out[out["seg"] == seg], big[big["seg"] == seg]
        table = np.array([got["code"].value_counts().reindex(RARE, fill_value=0),
                          ref["code"].value_counts().reindex(RARE, fill_value=0)])
        assert stats.chi2_contingency(table).pvalue > 1e-3, (seg, table)
        assert stats.ks_2samp(got["x"], ref["x"]).statistic < _ks_allowance(len(got), len(ref)), seg


def test_given_group_and_determining_column_must_agree_in_a_conditions_table(rare_group):
    model, _ = rare_group
    with pytest.raises(SpecError, match=r"'grp' is given as 'RARE', but the given 'code' \('k1'\)"):
        model.sample(conditions=pd.DataFrame({"code": ["k1"], "grp": ["RARE"]}), seed=0)
    real = pd.DataFrame({"code": ["k1"], "grp": ["RARE"]})  # real rows are kept as they are
    assert model.extend(real, seed=0).frame[["code", "grp"]].equals(real)


EXT = synthkit.declare({c: {"distribution": "normal"} for c in "abc"},
                       correlation=[[1, .5, 0], [.5, 1, 0], [0, 0, 1]])


@pytest.mark.parametrize("rule", ["b > 2.2", "b > 2.4", "b + c > 3.3"])
def test_rules_accepting_few_draws_are_met_row_by_row(rule):
    """``a = 0`` given, rules that hold on 0.3% to 0.6% of the draws: every row is drawn from
    its conditional distribution given the rule (closed forms: ``b | a = 0 ~ N(0, 3/4)``, ``c``
    independent N(0, 1); ``s = b + c ~ N(0, 7/4)`` and ``b - (3/7) s ~ N(0, 3/7)`` independent of s)."""
    n = 2000
    out = EXT.extend(pd.DataFrame({"a": np.zeros(n)}), seed=0, rules=[rule]).frame
    assert len(out) == n and (out["a"] == 0).all()
    b, c = out["b"].to_numpy(), out["c"].to_numpy()
    sd = np.sqrt(0.75)
    if rule.startswith("b >"):
        t = float(rule.split()[-1])
        assert (b > t).all()
        assert stats.kstest(b, stats.truncnorm(t / sd, np.inf, scale=sd).cdf).pvalue > 1e-3
        assert stats.kstest(c, "norm").pvalue > 1e-3
    else:
        s = b + c
        assert (s > 3.3).all()
        ss = np.sqrt(1.75)
        assert stats.kstest(s, stats.truncnorm(3.3 / ss, np.inf, scale=ss).cdf).pvalue > 1e-3
        assert stats.kstest(b - 0.75 / 1.75 * s, stats.norm(scale=np.sqrt(0.75 / 1.75)).cdf).pvalue > 1e-3


def test_rows_no_draw_of_which_passes_name_the_rule_that_rejects_most():
    real = pd.DataFrame({"a": np.zeros(50)})
    with pytest.raises(RuleError, match=r"50 row\(s\).*found no draw passing the rules.*rule 'b > 40' "
                                        r"rejects most: it holds on 0\.00%.*'b > -5': 100\.0%"):
        EXT.extend(real, seed=0, rules=["b > -5", "b > 40"])


def test_montecarlo_extends_with_its_marginals():
    table = pd.DataFrame({"x": np.random.default_rng(1).gamma(2.0, size=3000),
                          "c": np.random.default_rng(2).choice(list("abc"), 3000, p=[.5, .3, .2])})
    model = synthkit.fit(table, strategy="montecarlo")
    out = model.extend(table[["c"]].head(3000), seed=0).frame
    assert out["c"].equals(table["c"])
    assert stats.ks_2samp(out["x"], table["x"]).statistic < _ks_allowance(3000, 3000)


def test_bad_inputs(mixed):
    table, model, _ = mixed
    with pytest.raises(DataError, match=r"column 'seg'.*\['gold'\] are not among"):
        model.extend(pd.DataFrame({"seg": ["low", "gold"]}))
    with pytest.raises(DataError, match=r"\['zz'\].*not columns of the model"):
        model.extend(pd.DataFrame({"zz": [1.0]}))
    with pytest.raises(DataError, match="column 'y' must hold numbers"):
        model.extend(pd.DataFrame({"y": ["ten"]}))
    with pytest.raises(SpecError, match="already in the real table"):
        model.extend(table[["y"]], ["y"])
    with pytest.raises(SpecError, match="not columns of the model"):
        model.extend(table[["y"]], ["nope"])
    with pytest.raises(SpecError, match="nothing to draw"):
        model.extend(table)
    with pytest.raises(DataError, match="non-negative"):
        model.extend(table[["y"]], weights=-np.ones(len(table)))
    with pytest.raises(SpecError, match="one weight per row"):
        model.extend(table[["y"]], weights=[1.0, 2.0])
    with pytest.raises(SpecError, match="not a column"):
        model.extend(table[["y"]], weights="nope")
    with pytest.raises(SpecError, match=r"'iman_conover'.*strategies that can: .*'gaussian_copula'"):
        synthkit.fit(table, strategy="iman_conover").extend(table[["y"]])
    with pytest.raises(SpecError, match="stratified"):
        synthkit.fit(table, strategy="gaussian_copula", stratify="seg").extend(table[["y"]])
    with pytest.raises(DataError, match="empty"):
        model.extend(table[["y"]].iloc[:0])


def test_cli_extend(tmp_path, capsys):
    from synthkit.cli import main

    real = pd.DataFrame({"a": np.linspace(-1, 1, 50), "b": np.linspace(0, 2, 50) ** 2,
                         "c": ["u", "v"] * 25})
    model = tmp_path / "m.json"
    synthkit.fit(real, strategy="gaussian_copula").save(model)
    real[["a"]].to_csv(tmp_path / "part.csv", index=False)
    out = tmp_path / "out.csv"
    assert main(["extend", str(model), str(tmp_path / "part.csv"), "-o", str(out), "--seed", "1",
                 "--columns", "c"]) == 0
    got = pd.read_csv(out)
    assert list(got.columns) == ["a", "c"] and np.allclose(got["a"], real["a"])
    assert set(got["c"]) <= {"u", "v"}
    assert main(["extend", str(model), str(tmp_path / "part.csv"), "-o", str(out), "--columns",
                 "a"]) == 2
    assert "already in the real table" in capsys.readouterr().err
