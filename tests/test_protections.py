"""Fit-time privacy protections: rare levels and values, top/bottom coding, bounded quantile functions."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from synthkit.columns import ColumnModel
from synthkit.errors import SpecError
from synthkit.marginals import DiscreteMarginal, EmpiricalMarginal, ParametricMarginal
from synthkit.privacy.protections import PrivacyPolicy, knot_budget, protect_columns, protect_frame
from synthkit.schema import Column, infer_schema

K5 = PrivacyPolicy(min_count=5)


def counts(s: pd.Series) -> dict:
    return s.dropna().value_counts().to_dict()


def hamilton(total: int, weights: list[int]) -> list[int]:
    """Largest-remainder apportionment, written out (ties to the earlier, larger weight)."""
    quotas = [total * w / sum(weights) for w in weights]
    seats = [int(q) for q in quotas]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - seats[i]), i))
    for i in by_remainder[: total - sum(seats)]:
        seats[i] += 1
    return seats


# ------------------------------------------------------------------------- policy
def test_policy_defaults_round_trip_and_strict_reading():
    p = PrivacyPolicy()
    assert (p.mode, p.min_count, p.max_knots) == ("standard", 5, 256)
    assert PrivacyPolicy.from_dict(json.loads(json.dumps(p.to_dict()))) == p
    assert PrivacyPolicy(min_count=np.int64(7)).min_count == 7
    with pytest.raises(SpecError, match="unknown key"):
        PrivacyPolicy.from_dict({"mode": "standard", "k": 5})
    with pytest.raises(SpecError, match="mapping"):
        PrivacyPolicy.from_dict(["standard"])


@pytest.mark.parametrize("kwargs, message", [
    ({"mode": "strict"}, "'standard' or 'off'"),
    ({"min_count": 0}, r"`min_count` must be an integer >= 1, got 0"),
    ({"min_count": 2.5}, "`min_count` must be an integer >= 1"),
    ({"min_count": True}, "`min_count` must be an integer >= 1"),
    ({"min_count": "5"}, "`min_count` must be an integer >= 1"),
    ({"max_knots": 1}, r"`max_knots` must be an integer >= 2, got 1"),
])
def test_policy_validation(kwargs, message):
    with pytest.raises(SpecError, match=message):
        PrivacyPolicy(**kwargs)


def test_functions_refuse_bad_arguments():
    with pytest.raises(SpecError, match="PrivacyPolicy"):
        protect_frame(pd.DataFrame({"a": [1.0]}), {"mode": "standard"})
    cm = ColumnModel.fit(pd.Series([1.5, 2.5, 3.5], name="x"))
    with pytest.raises(SpecError, match="`n`"):
        protect_columns([cm], -1, K5)
    with pytest.raises(SpecError, match="ColumnModel"):
        protect_columns(["x"], 3, K5)


# --------------------------------------------------------------------- categorical
def test_rare_levels_merge_into_other():
    job = ["a"] * 10 + ["b"] * 7 + ["c"] * 3 + ["d"] * 2 + ["e"] + [None] * 4
    frame = pd.DataFrame({"job": job})
    out, rec = protect_frame(frame, K5)
    assert counts(out["job"]) == {"a": 10, "b": 7, "other": 6}
    assert out["job"].isna().tolist() == frame["job"].isna().tolist()
    assert out["job"].dtype == frame["job"].dtype  # object, or str on pandas 3
    assert rec == [{"protection": "rare_levels", "column": "job", "k": 5, "levels_merged": 3,
                    "into": "other"}]


def test_rare_levels_merge_into_the_existing_other_level():
    frame = pd.DataFrame({"job": ["a"] * 9 + ["Other"] * 2 + ["c"] * 2 + ["d"] * 2})
    out, rec = protect_frame(frame, K5)
    assert counts(out["job"]) == {"a": 9, "Other": 6}
    assert rec[0]["levels_merged"] == 2 and rec[0]["into"] == "Other"


def test_small_other_is_redistributed_by_largest_remainder():
    # R = 3 rare rows over kept levels 10, 7, 6: quotas 1.30, 0.91, 0.78 -> 1, 1, 1
    frame = pd.DataFrame({"job": ["a"] * 10 + ["b"] * 7 + ["c"] * 6 + ["d"] * 2 + ["e"]})
    out, rec = protect_frame(frame, K5)
    seats = hamilton(3, [10, 7, 6])
    assert seats == [1, 1, 1]  # not all three into the most frequent level
    assert counts(out["job"]) == {"a": 11, "b": 8, "c": 7}
    assert rec[0]["into"] == "redistributed" and rec[0]["levels_merged"] == 2
    # kept rows never change
    kept = frame["job"].isin(["a", "b", "c"])
    assert out.loc[kept, "job"].equals(frame.loc[kept, "job"])


def test_redistribution_keeps_relative_shares():
    rng = np.random.default_rng(3)
    big = rng.multinomial(400, [0.5, 0.3, 0.2])
    labels = np.repeat(["x", "y", "z"], big).tolist() + [f"r{i}" for i in range(4)]  # 4 rare rows
    out, _ = protect_frame(pd.DataFrame({"c": labels}), K5)
    expected = dict(zip(["x", "y", "z"], (big + hamilton(4, big.tolist())).tolist(), strict=True))
    assert counts(out["c"]) == expected


def test_numeric_labels_are_redistributed_not_renamed():
    cat = pd.Categorical([1] * 10 + [2] * 10 + [3] * 3 + [4] * 3, categories=[1, 2, 3, 4, 5])
    out, rec = protect_frame(pd.DataFrame({"g": cat}), K5)
    assert list(out["g"].cat.categories) == [1, 2]
    assert counts(out["g"]) == {1: 13, 2: 13}
    assert rec[0]["into"] == "redistributed" and rec[0]["empty_levels_dropped"] == 1


def test_category_dtype_gets_other_and_loses_rare_and_unused_categories():
    cat = pd.Categorical(["u"] * 6 + ["v"] * 3 + ["w"] * 3 + [None], categories=["u", "v", "w", "never"])
    out, rec = protect_frame(pd.DataFrame({"g": cat}), K5)
    assert isinstance(out["g"].dtype, pd.CategoricalDtype)
    assert list(out["g"].cat.categories) == ["u", "other"]
    assert counts(out["g"]) == {"u": 6, "other": 6}
    assert out["g"].isna().sum() == 1
    assert rec[0]["levels_merged"] == 2 and rec[0]["empty_levels_dropped"] == 1


def test_boolean_with_a_small_minority_becomes_constant():
    b = pd.Series([True] * 20 + [False] * 3 + [None], dtype="boolean")
    out, rec = protect_frame(pd.DataFrame({"b": b, "ok": [True] * 12 + [False] * 12}), K5)
    assert out["b"].dtype == "boolean"
    assert counts(out["b"]) == {True: 23} and out["b"].isna().sum() == 1
    assert out["ok"].equals(pd.Series([True] * 12 + [False] * 12, name="ok"))
    assert rec == [{"protection": "rare_levels", "column": "b", "k": 5, "levels_merged": 1,
                    "into": "majority"}]


# ------------------------------------------------------------------------- numbers
def test_rare_discrete_values_merge_into_the_nearest_kept_value():
    # kept (>= 5 rows): 1, 3, 9. 2 -> 1 (tie: the smaller), 4 -> 3, 6 -> 3 (tie), 10 -> 9
    values = [1] * 8 + [2] + [3] * 6 + [4] * 2 + [6] + [9] * 7 + [10]
    out, rec = protect_frame(pd.DataFrame({"n": np.array(values, dtype=np.int64)}), K5)
    assert out["n"].dtype == np.int64
    assert counts(out["n"]) == {1: 9, 3: 9, 9: 8}
    mapping = dict(zip(values, out["n"], strict=True))
    assert mapping == {1: 1, 2: 1, 3: 3, 4: 3, 6: 3, 9: 9, 10: 9}
    assert rec == [{"protection": "rare_values", "column": "n", "k": 5, "values_merged": 4,
                    "into": "nearest"}]


def test_top_and_bottom_coding_uses_the_mean_of_the_k_extremes():
    rng = np.random.default_rng(11)
    x = rng.lognormal(3.0, 1.0, 300)
    x[[5, 50]] = np.nan
    out, rec = protect_frame(pd.DataFrame({"income": x}), K5)
    y = out["income"].to_numpy()
    obs = ~np.isnan(x)
    assert np.array_equal(np.isnan(y), ~obs)
    s = np.sort(x[obs])
    low, high = s[:5].mean(), s[-5:].mean()
    rank = np.argsort(np.argsort(x[obs]))
    n = obs.sum()
    assert np.all(y[obs][rank < 5] == low) and np.all(y[obs][rank >= n - 5] == high)
    middle = (rank >= 5) & (rank < n - 5)
    assert np.array_equal(y[obs][middle], x[obs][middle])
    assert (np.nanmin(y), np.nanmax(y)) == (low, high)
    assert rec == [{"protection": "top_bottom_coding", "column": "income", "k": 5}]
    # the schema inferred from the protected frame carries the coded bounds
    col = infer_schema(out)["income"]
    assert (col.minimum, col.maximum) == (low, high)


def test_coding_keeps_integer_dtypes_and_decimals():
    rng = np.random.default_rng(2)
    ints = rng.integers(1_000, 90_000, 200)
    cents = np.round(rng.normal(50, 10, 200), 2)
    out, _ = protect_frame(pd.DataFrame({"i": ints, "c": cents}), PrivacyPolicy(min_count=7))
    assert out["i"].dtype == ints.dtype
    assert out["i"].min() == round(np.sort(ints)[:7].mean())
    assert out["i"].max() == round(np.sort(ints)[-7:].mean())
    assert out["c"].min() == round(np.sort(cents)[:7].mean(), 2)
    assert infer_schema(out)["c"].decimals == 2


def test_k_of_half_the_rows_or_more_collapses_to_the_mean():
    x = np.array([0.31, 1.72, 2.93, 4.14, 5.55, 6.76, 7.97, 9.18, 10.39])  # n = 9 < 2k
    out, rec = protect_frame(pd.DataFrame({"x": x}), K5)
    assert np.all(out["x"] == round(x.mean(), 2))
    assert rec[0]["collapsed_to_mean"] is True


def test_datetimes_are_coded_to_the_mean_of_k_extremes_at_their_resolution():
    rng = np.random.default_rng(5)
    days = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3000, 120), unit="D")
    for tz in (None, "Europe/Berlin"):
        s = pd.Series(days.tz_localize(tz) if tz else days)
        s[3] = pd.NaT
        out, rec = protect_frame(pd.DataFrame({"d": s}), K5)
        assert out["d"].dtype == s.dtype and out["d"].isna().sum() == 1
        wall = (s.dt.tz_localize(None) if tz else s).dropna().astype("datetime64[ns]")
        wall = np.sort(wall.to_numpy().astype("int64"))
        day = 86_400 * 10**9
        expected_lo = pd.Timestamp(round(wall[:5].mean() / day) * day)
        expected_hi = pd.Timestamp(round(wall[-5:].mean() / day) * day)
        got = out["d"].dt.tz_localize(None) if tz else out["d"]
        assert got.min() == expected_lo and got.max() == expected_hi
        assert (got == expected_lo).sum() >= 5
        assert rec[0]["protection"] == "top_bottom_coding"


def test_invariants_on_a_mixed_table():
    rng = np.random.default_rng(8)
    n = 600
    frame = pd.DataFrame({
        "cat": rng.choice([f"L{i}" for i in range(40)], n, p=np.r_[np.full(10, 0.08), np.full(30, 0.2 / 30)]),
        "count": rng.poisson(3.0, n),
        "amount": rng.gamma(2.0, 100.0, n),
    })
    for k in (3, 5, 10):
        out, _ = protect_frame(frame, PrivacyPolicy(min_count=k))
        assert min(counts(out["cat"]).values()) >= k
        assert min(counts(out["count"]).values()) >= k
        top = np.sort(frame["amount"].to_numpy())
        d = infer_schema(frame)["amount"].decimals  # values are rounded to the data's decimals
        assert out["amount"].min() == round(top[:k].mean(), d)
        assert out["amount"].max() == round(top[-k:].mean(), d)
        assert (out["amount"] == out["amount"].min()).sum() == k


def test_records_never_hold_real_values():
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({
        "name": ["Zelda Quixote"] + ["Common"] * 30 + ["Marvin Ostrowski", "Ignatius Q"] + ["Usual"] * 7,
        "salary": np.round(rng.normal(41_234.567, 900.0, 40), 3),
        "code": [4321] * 20 + [8765] + [5678] * 19,
    })
    out, rec = protect_frame(frame, K5)
    text = json.dumps(rec)
    for label in ("Zelda", "Marvin", "Ignatius", "Common", "Usual"):
        assert label not in text
    s = np.sort(frame["salary"])
    for v in [*s[:5], *s[-5:], s[:5].mean(), s[-5:].mean(), 4321, 8765, 5678]:
        assert str(v) not in text and str(round(float(v), 3)) not in text
    model = ColumnModel.fit(out["salary"], method="empirical")
    _, rec2 = protect_columns([model], len(out), K5)
    text2 = json.dumps(rec2)
    for v in s:
        assert str(v) not in text2


def test_mode_off_is_the_identity_and_the_input_is_not_mutated():
    frame = pd.DataFrame({"job": ["a"] * 9 + ["b"], "x": np.linspace(0.5, 9.5, 10),
                          "g": pd.Categorical(["u"] * 8 + ["v"] * 2)})
    before = frame.copy(deep=True)
    out, rec = protect_frame(frame, PrivacyPolicy(mode="off"))
    assert out is frame and rec == []
    columns = [ColumnModel.fit(frame["x"], method="empirical")]
    out_cols, rec = protect_columns(columns, 10, PrivacyPolicy(mode="off"))
    assert out_cols == columns and out_cols[0] is columns[0] and rec == []
    out, rec = protect_frame(frame, K5)
    pd.testing.assert_frame_equal(frame, before)
    assert rec and not out.equals(frame)
    x_before = columns[0].marginal.x.copy()
    protect_columns(columns, 10, K5)
    assert np.array_equal(columns[0].marginal.x, x_before)


# ------------------------------------------------------------------ quantile knots
def ks_to_ecdf(marginal: EmpiricalMarginal, data: np.ndarray) -> float:
    """sup_x |F_c(x) - F_n(x)| by brute force: both limits at every data point and knot."""
    d = np.sort(data)
    pts = np.unique(np.concatenate([d, marginal.x]))
    n = d.size
    right = np.searchsorted(d, pts, side="right") / n
    left = np.searchsorted(d, pts, side="left") / n
    return float(max(np.abs(marginal.cdf(pts) - right).max(), np.abs(marginal.cdf_left(pts) - left).max()))


@pytest.mark.parametrize("n, k, max_knots, decimals", [
    (1000, 5, 256, None), (1000, 5, 16, None), (400, 10, 256, 1), (3000, 5, 64, 0), (57, 5, 256, None),
])
def test_compressed_quantile_function_is_within_the_derived_bound(n, k, max_knots, decimals):
    rng = np.random.default_rng(n + k)
    data = rng.gamma(2.0, 10.0, n)
    if decimals is not None:
        data = np.round(data, decimals)  # ties: atoms
    policy = PrivacyPolicy(min_count=k, max_knots=max_knots)
    cm = ColumnModel.fit(pd.Series(data, name="v"), method="empirical")
    [out], rec = protect_columns([cm], n, policy)
    m = knot_budget(n, policy)
    assert m == min(max_knots, max(2, n // k))
    new = out.marginal
    assert isinstance(new, EmpiricalMarginal) and new.method == "ecdf"
    assert new.x.size <= m <= max_knots
    assert rec == [{"protection": "quantile_knots", "column": "v", "knots": new.x.size, "budget": max_knots,
                    "atoms": rec[0]["atoms"]}]
    assert np.isin(new.x, data).sum() <= max_knots
    # derived bound (module docstring): the largest gap between knot ranks, ceil(n/m)/n <= 1/m + 1/n
    j = np.floor(n * (np.arange(m) + 0.5) / m + 0.5)
    assert np.diff(np.r_[0, j, n]).max() <= np.ceil(n / m)
    assert ks_to_ecdf(new, data) <= np.ceil(n / m) / n + 1e-12
    # kept atoms are ties of at least k records, with their exact probability interval
    atom = new.pr > new.pl
    assert atom.sum() == rec[0]["atoms"]
    for x, lo, hi in zip(new.x[atom], new.pl[atom], new.pr[atom], strict=True):
        c = int((data == x).sum())
        assert c >= k
        assert lo == pytest.approx((np.sum(data < x) + 0.5) / n) and hi == pytest.approx((np.sum(data <= x) - 0.5) / n)
    # a round trip through the model file keeps the compressed marginal
    again = ColumnModel.from_dict(json.loads(json.dumps(out.to_dict())))
    assert np.array_equal(again.marginal.x, new.x)


def test_knot_values_are_interpolated_quantiles_not_the_sorted_data():
    rng = np.random.default_rng(9)
    data = rng.normal(size=500)
    cm = ColumnModel.fit(pd.Series(data, name="z"), method="empirical")
    [out], _ = protect_columns([cm], 500, K5)
    new = out.marginal
    m = knot_budget(500, K5)
    assert new.x.size == m == 100
    j = np.floor(500 * (np.arange(m) + 0.5) / m + 0.5).astype(int)  # 3, 8, 13, ...: n/m = 5 is odd
    assert np.allclose(new.pl, j / 500) and np.array_equal(new.pl, new.pr)
    s = np.sort(data)
    assert np.allclose(new.x, (s[j - 1] + s[j]) / 2)  # midpoints of neighbouring order statistics
    assert np.isin(new.x, data).sum() == 0  # no knot is a record's value
    assert ks_to_ecdf(new, data) <= 1.0 / m + 1e-12  # m divides n: the bound is exactly 1/m


def test_knot_budget_counts_observed_rows_only():
    x = np.r_[np.random.default_rng(1).normal(size=500), np.full(500, np.nan)]
    cm = ColumnModel.fit(pd.Series(x, name="h"), method="empirical")
    [out], rec = protect_columns([cm], 1000, K5)
    assert out.marginal.x.size == 100 == rec[0]["knots"]


def test_kde_marginal_is_compressed_within_the_bound_of_itself():
    rng = np.random.default_rng(6)
    data = rng.normal(size=800)
    cm = ColumnModel.fit(pd.Series(data, name="s"), method="kde")
    assert cm.marginal.method == "kde"
    [out], _ = protect_columns([cm], 800, K5)
    new = out.marginal
    m = knot_budget(800, K5)
    assert new.method == "kde" and new.x.size <= m
    grid = np.linspace(cm.marginal.x[0], cm.marginal.x[-1], 20_001)
    assert np.abs(new.cdf(grid) - cm.marginal.cdf(grid)).max() <= np.ceil(800 / m) / 800 + 1e-9


def test_pmf_supports_are_checked_and_parametric_marginals_left_alone():
    values = np.array([0] * 40 + [1] * 30 + [2] * 3 + [7] * 1)
    frame = pd.DataFrame({"n": values})
    pm = ParametricMarginal("norm", {"loc": 0.0, "scale": 1.0})
    param = ColumnModel(Column("p", "continuous"), pm)
    raw = ColumnModel.fit(frame["n"])
    assert isinstance(raw.marginal, DiscreteMarginal)
    cols, rec = protect_columns([raw, param], len(frame), K5)
    assert cols[0] is raw and cols[1] is param and cols[1].marginal is pm
    assert rec == [{"protection": "support_check", "column": "n", "k": 5, "values_below_k": 2}]
    out, _ = protect_frame(frame, K5)
    _, rec = protect_columns([ColumnModel.fit(out["n"])], len(out), K5)
    assert rec[0]["values_below_k"] == 0
