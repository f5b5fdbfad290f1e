"""Fit-time privacy protections: rare levels and values, top/bottom coding, bounded quantile functions."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import synthkit
from synthkit.columns import ColumnModel
from synthkit.errors import DataError, FitError, SpecError
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
    assert rec == [{"protection": "rare_levels", "column": "job", "min_count": 5, "levels_merged": 3,
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
    assert rec == [{"protection": "rare_levels", "column": "b", "min_count": 5, "levels_merged": 1,
                    "into": "majority"}]


def test_non_string_labels_without_a_level_of_k_rows_become_other():
    codes = pd.Series([17, 17, 23, 23, 31, 31, 44, None], dtype=object)
    grades = pd.Series(pd.Categorical([3, 3, 8, 8, 9, 9, None, 1], categories=[1, 3, 8, 9, 12]))
    out, rec = protect_frame(pd.DataFrame({"code": codes, "grade": grades}), K5)
    assert counts(out["code"]) == {"other": 7} and out["code"].isna().sum() == 1
    assert list(out["grade"].cat.categories) == ["other"] and counts(out["grade"]) == {"other": 7}
    assert [(r["column"], r["levels_merged"], r["into"]) for r in rec] == [("code", 4, "other"),
                                                                           ("grade", 4, "other")]
    assert rec[1]["empty_levels_dropped"] == 1
    # a level that does reach k keeps the column's labels: the rare rows are redistributed
    out, rec = protect_frame(pd.DataFrame({"code": pd.Series([17] * 5 + [23, 23, 31], dtype=object)}), K5)
    assert counts(out["code"]) == {17: 8} and rec[0]["into"] == "redistributed"


@pytest.mark.parametrize("column", [
    pd.Series([987654.32, 876543.21, 765432.10] + [np.nan] * 37),
    pd.Series([pd.Timestamp("2021-03-04 05:06:07")] + [pd.NaT] * 39),
    pd.Series([17, 17, 23, 23] + [None] * 36, dtype=object),
    pd.Series(pd.Categorical([3, 3, 8, 9] + [None] * 36)),
    pd.Series(["x", "y"] + [None] * 38),
    pd.Series([True, False, True, None] + [None] * 36, dtype="boolean"),
])
def test_a_column_with_fewer_than_k_values_is_refused_or_set_missing(column):
    frame = pd.DataFrame({"x": np.arange(40.0) * 1.5, "sparse": column})
    n_obs = int(column.notna().sum())
    with pytest.raises(DataError, match=rf"^column 'sparse' has {n_obs} non-missing value\(s\): fewer than "
                                        r"min_count=5.*Drop the column.*privacy='off'.*lower min_count"):
        protect_frame(frame, K5)
    with pytest.raises(DataError, match=rf"column 'sparse' has {n_obs} .*; column 'few' has 4 non-missing"):
        protect_frame(frame.assign(few=[1.5, 2.5, 3.5, 4.5] + [None] * 36), K5)
    with pytest.raises(DataError, match="column 'empty' is entirely missing"):  # the table's own problem first
        protect_frame(frame.assign(empty=np.nan), K5)
    out, rec = protect_frame(frame, K5, sparse="missing")
    assert out["sparse"].isna().all()
    assert {"protection": "too_few_values", "column": "sparse", "min_count": 5, "into": "missing"} in rec
    protect_frame(frame, PrivacyPolicy(min_count=n_obs))  # a lower min_count accepts it


def test_fit_refuses_a_column_of_one_record():
    df = pd.DataFrame({"x": np.random.default_rng(0).normal(size=50), "last_visit": pd.NaT})
    df.loc[7, "last_visit"] = pd.Timestamp("2021-03-04 05:06:07")
    with pytest.raises(DataError, match="'last_visit' has 1 non-missing value"):
        synthkit.fit(df)
    synthkit.fit(df, privacy="off")


def test_redistribute_only_never_creates_a_level():
    frame = pd.DataFrame({"job": ["a"] * 10 + ["b"] * 7 + ["c"] * 3 + ["d"] * 2 + ["e"] + [None] * 4,
                          "g": pd.Categorical(["u"] * 6 + ["v"] * 3 + ["w"] * 3 + [None] * 15,
                                              categories=["u", "v", "w", "never"]),
                          "flat": ["p", "q", "r", "s", "t", "p", "q", "r", "s", "t"] + [None] * 17})
    out, rec = protect_frame(frame, K5, labels="redistribute")
    seats = hamilton(6, [10, 7])
    assert counts(out["job"]) == {"a": 10 + seats[0], "b": 7 + seats[1]}
    assert list(out["g"].cat.categories) == ["u"] and counts(out["g"]) == {"u": 12}
    assert out["flat"].isna().all()  # no level reaches k and none may be created
    into = {r["column"]: r["into"] for r in rec}
    assert into == {"job": "redistributed", "g": "redistributed", "flat": "missing"}
    for c in ("job", "g"):
        assert set(counts(out[c])) <= set(frame[c].dropna())


# ------------------------------------------------------------------------- numbers
def test_rare_discrete_values_merge_into_the_nearest_kept_value():
    # kept (>= 5 rows): 1, 3, 9. 2 -> 1 (tie: the smaller), 4 -> 3, 6 -> 3 (tie), 10 -> 9
    values = [1] * 8 + [2] + [3] * 6 + [4] * 2 + [6] + [9] * 7 + [10]
    out, rec = protect_frame(pd.DataFrame({"n": np.array(values, dtype=np.int64)}), K5)
    assert out["n"].dtype == np.int64
    assert counts(out["n"]) == {1: 9, 3: 9, 9: 8}
    mapping = dict(zip(values, out["n"], strict=True))
    assert mapping == {1: 1, 2: 1, 3: 3, 4: 3, 6: 3, 9: 9, 10: 9}
    assert rec == [{"protection": "rare_values", "column": "n", "min_count": 5, "values_merged": 4,
                    "into": "nearest"}]


def test_discrete_values_none_of_k_rows_become_their_median():
    values = np.array([1, 1, 2, 2, 3, 4, 4, 6, 9, 9], dtype=np.int64)
    out, rec = protect_frame(pd.DataFrame({"n": values}), K5)
    assert out["n"].dtype == np.int64 and (out["n"] == 4).all()  # median 3.5, rounded half to even
    assert rec == [{"protection": "rare_values", "column": "n", "min_count": 5, "values_merged": 6,
                    "into": "median"}]
    # half-integers with at least 5 rows a value are fitted as a pmf: the same rule
    half = np.repeat([0.5, 1.5, 2.5, 7.5], [6, 9, 6, 9])
    out, rec = protect_frame(pd.DataFrame({"h": half}), PrivacyPolicy(min_count=10))
    assert (out["h"] == 2.0).all() and rec[0]["into"] == "median"  # (x_(15) + x_(16)) / 2 = (1.5 + 2.5) / 2


def test_top_and_bottom_coding_sets_each_tail_to_its_middle_value():
    rng = np.random.default_rng(11)
    x = rng.lognormal(3.0, 1.0, 300)
    x[[5, 50]] = np.nan
    out, rec = protect_frame(pd.DataFrame({"income": x}), K5)
    y = out["income"].to_numpy()
    obs = ~np.isnan(x)
    assert np.array_equal(np.isnan(y), ~obs)
    s = np.sort(x[obs])
    n = s.size
    low, high = s[2], s[n - 3]  # x_(c) and x_(n+1-c), c = ceil(5 / 2) = 3
    rank = np.argsort(np.argsort(x[obs]))
    assert np.all(y[obs][rank < 5] == low) and np.all(y[obs][rank >= n - 5] == high)
    middle = (rank >= 5) & (rank < n - 5)
    assert np.array_equal(y[obs][middle], x[obs][middle])
    assert (np.nanmin(y), np.nanmax(y)) == (low, high)
    assert (y == low).sum() >= 5 and (y == high).sum() >= 5  # each extreme is held by k records
    assert rec == [{"protection": "top_bottom_coding", "column": "income", "min_count": 5}]
    # the schema inferred from the protected frame carries the coded bounds
    col = infer_schema(out)["income"]
    assert (col.minimum, col.maximum) == (low, high)


def test_coded_extremes_say_nothing_about_the_tails():
    """An outlier cannot be recovered from the stored maximum and the values below it."""
    rng = np.random.default_rng(12)
    x = np.round(rng.lognormal(11.0, 0.4, 400), 2)
    y = x.copy()
    y[np.argmax(y)] = 98_765_432.10  # only the largest record changes
    y[np.argmin(y)] = -5.0
    a, _ = protect_frame(pd.DataFrame({"v": x}), K5)
    b, _ = protect_frame(pd.DataFrame({"v": y}), K5)
    pd.testing.assert_frame_equal(a, b)  # the coded table does not depend on the extremes
    m = synthkit.fit(pd.DataFrame({"v": y}), strategy="montecarlo", marginals="empirical")
    col = m.schema["v"]
    assert (col.minimum, col.maximum) == (np.sort(x)[2], np.sort(x)[-3])
    assert m.sample(20_000, seed=0).frame["v"].max() <= np.sort(x)[-3]


def test_coding_keeps_integer_dtypes_and_decimals():
    rng = np.random.default_rng(2)
    ints = rng.integers(1_000, 90_000, 200)
    cents = np.round(rng.normal(50, 10, 200), 2)
    out, _ = protect_frame(pd.DataFrame({"i": ints, "c": cents}), PrivacyPolicy(min_count=7))
    assert out["i"].dtype == ints.dtype
    assert out["i"].min() == np.sort(ints)[3] and out["i"].max() == np.sort(ints)[-4]  # c = 4
    assert out["c"].min() == np.sort(cents)[3] and out["c"].max() == np.sort(cents)[-4]
    assert infer_schema(out)["c"].decimals == 2


@pytest.mark.parametrize("n", [5, 8, 9, 10])
def test_overlapping_tails_collapse_to_the_median(n):
    # n <= 2k: the tails overlap
    x = np.array([0.31, 1.72, 2.93, 4.14, 5.55, 6.76, 7.97, 9.18, 10.39, 11.6, 12.81])[:n] ** 1.5
    x = np.round(x, 2)
    out, rec = protect_frame(pd.DataFrame({"x": x[::-1]}), K5)
    middle = np.sort(x)[[(n - 1) // 2, n // 2]].mean()  # the median, written out
    assert np.all(out["x"] == np.round(middle, 2))
    assert rec[0]["collapsed_to_median"] is True


def test_datetimes_are_coded_to_the_middle_of_their_tails():
    rng = np.random.default_rng(5)
    days = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3000, 120), unit="D")
    for tz in (None, "Europe/Berlin"):
        s = pd.Series(days.tz_localize(tz) if tz else days)
        s[3] = pd.NaT
        out, rec = protect_frame(pd.DataFrame({"d": s}), K5)
        assert out["d"].dtype == s.dtype and out["d"].isna().sum() == 1
        ordered = s.dropna().sort_values().reset_index(drop=True)
        assert out["d"].min() == ordered[2] and out["d"].max() == ordered[len(ordered) - 3]
        assert (out["d"] == ordered[2]).sum() >= 5 and (out["d"] == ordered[len(ordered) - 3]).sum() >= 5
        assert rec == [{"protection": "top_bottom_coding", "column": "d", "min_count": 5}]


def test_few_datetimes_collapse_to_their_median_at_their_resolution():
    for tz in (None, "America/New_York"):
        s = pd.Series(pd.to_datetime(["2020-01-01 10:00", "2020-01-05 11:00", "2020-02-01 12:00",
                                      "2020-03-03 14:00", "2021-07-04 14:00", "2022-09-09 15:00", None]))
        s = s.dt.tz_localize(tz) if tz else s
        out, rec = protect_frame(pd.DataFrame({"d": s}), K5)
        wall = (out["d"].dt.tz_localize(None) if tz else out["d"]).dropna()
        # median of the six wall-clock times: midway between 2020-02-01 12:00 and 2020-03-03 14:00
        assert (wall == pd.Timestamp("2020-02-17 01:00")).all() and out["d"].isna().sum() == 1
        assert rec[0]["collapsed_to_median"] is True


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
        c = -(-k // 2)
        assert out["amount"].min() == top[c - 1] and out["amount"].max() == top[n - c]
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
    for v in [*s, 4321, 8765, 5678]:
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
    assert rec == [{"protection": "quantile_knots", "column": "v", "min_count": k, "knots": new.x.size,
                    "max_knots": max_knots, "atoms": rec[0]["atoms"]}]
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
    out, _ = protect_frame(frame, K5)
    protected = ColumnModel.fit(out["n"])
    assert isinstance(protected.marginal, DiscreteMarginal)
    cols, rec = protect_columns([protected, param], len(frame), K5)
    assert cols[0] is protected and cols[1] is param and cols[1].marginal is pm
    assert rec == [{"protection": "support_check", "column": "n", "min_count": 5, "values_below_min_count": 0}]
    # a support that did not come through protect_frame cannot be stored
    with pytest.raises(FitError, match=r"column 'n': .* 2 value\(s\) held by fewer than min_count=5"):
        protect_columns([ColumnModel.fit(frame["n"]), param], len(frame), K5)
    raw_labels = ColumnModel.fit(pd.Series(["a"] * 9 + ["b"], name="g"))
    with pytest.raises(FitError, match="protect_frame"):
        protect_columns([raw_labels], 10, K5)


def test_support_check_never_finds_a_value_below_k_after_protection():
    """Random tables with rare levels, rare values, sparse columns: every stored support holds k rows."""
    for seed in range(40):
        rng = np.random.default_rng(seed)
        n, k = int(rng.integers(30, 200)), int(rng.choice([2, 3, 5, 10]))
        levels = rng.zipf(1.6, n) % 40
        frame = pd.DataFrame({
            "s": np.char.add("L", levels.astype(str)).astype(object),
            "o": pd.Series(levels % 13, dtype=object),  # non-string labels
            "c": pd.Categorical(levels % 7, categories=range(9)),
            "i": (rng.poisson(3.0, n) + (rng.random(n) < 0.05) * 40).astype(float),
            "h": rng.integers(0, 4, n) + 0.5,
            "b": pd.Series(rng.random(n) < 0.03, dtype=object),
            "f": rng.gamma(2.0, 3.0, n),
        })
        for c in frame.columns:  # missing cells, and sometimes a column with fewer than k values
            frame.loc[rng.random(n) < rng.choice([0.0, 0.3, 1.0 - (k - 1) / n]), c] = None
        out, _ = protect_frame(frame, PrivacyPolicy(min_count=k), sparse="missing")
        models = [ColumnModel.fit(out[c]) for c in out.columns if out[c].notna().any()]
        _, rec = protect_columns(models, n, PrivacyPolicy(min_count=k))
        checks = [r for r in rec if r["protection"] == "support_check"]
        assert checks and all(r["values_below_min_count"] == 0 for r in checks)
        for cm in models:  # the stored counts, computed independently of protect_columns
            if cm.coded or isinstance(cm.marginal, DiscreteMarginal) and cm.marginal.family == "pmf":
                held = out[cm.name].dropna().value_counts()
                assert held.min() >= k, (seed, cm.name, held.to_dict())


def _stratified_table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 400
    city = np.array(["Paris"] * 200 + ["Lyon"] * 200)
    job = rng.choice(["nurse", "clerk"], n)
    job[:2] = "pilot"  # 8 pilots in the table (>= k), 2 of them in Paris (< k)
    job[200:206] = "pilot"
    job[2:5] = "judge"  # 8 judges, 3 in Paris: Paris's 5 rare rows would make an "other" level
    job[206:211] = "judge"
    bonus = np.full(n, np.nan)
    bonus[[10, 11, 12]] = [91_234.5, 87_654.3, 99_999.9]  # 3 bonuses in Paris (< k), 60 in Lyon
    bonus[300:360] = np.round(rng.gamma(3.0, 1_000.0, 60), 1)
    return pd.DataFrame({"city": city, "job": job, "bonus": bonus, "x": rng.normal(size=n)})


def test_strata_store_no_cell_below_k_and_report_their_protections():
    df = _stratified_table()
    m = synthkit.fit(df, stratify="city")
    cities = list(m.schema_["city"].categories)
    paris = cities.index("Paris")
    for level, sub in enumerate(m.strata_.levels_):
        for cm in sub.columns_:
            if cm.coded:  # every stored cell of a stratum holds at least k of its rows
                held = np.asarray(cm.marginal.probs) * round(sub.n_train_ * (1 - cm.column.null_fraction))
                assert held.min() >= 5 - 1e-9, (cities[level], cm.name, held)
    paris_model = m.strata_.levels_[paris]
    job = next(cm for cm in paris_model.columns_ if cm.name == "job")
    assert set(job.column.categories) == {"nurse", "clerk"}  # redistributed, never a new level
    assert m.strata_.missing_[paris] == ["bonus"]  # 3 values: the stratum leaves the column out
    # the strata's protections reach the owner, one record per stratum and protection, no labels
    rec = m.privacy_["protections"]
    assert {"protection": "rare_levels", "column": "job", "min_count": 5, "levels_merged": 2,
            "into": "redistributed", "method": "largest_remainder", "stratum": paris} in rec
    assert {"protection": "too_few_values", "column": "bonus", "min_count": 5, "into": "missing",
            "stratum": paris} in rec
    strata = [r["stratum"] for r in rec if "stratum" in r]
    assert set(strata) == {0, 1}
    for r in rec:
        assert "k" not in r and all(v not in json.dumps(r) for v in ("Paris", "Lyon", "pilot", "judge"))
    assert synthkit.Strategy.from_dict(json.loads(json.dumps(m.to_dict()))).privacy_["protections"] == rec
    # samples never reproduce a cell below k
    s = m.sample(20_000, seed=0).frame
    in_paris = s.loc[s["city"] == "Paris", "job"]
    assert in_paris.notna().all() and set(in_paris) == {"nurse", "clerk"}
    assert set(s.loc[s["city"] == "Lyon", "job"]) == {"nurse", "clerk", "pilot", "judge"}
    assert s.loc[s["city"] == "Paris", "bonus"].isna().all()
    assert not s["bonus"].isin([91_234.5, 87_654.3, 99_999.9]).any()
    # the same through the stratified strategy itself
    direct = synthkit.fit(df, strategy="stratified", by="city")
    assert {"stratum": paris, "column": "job", "into": "redistributed"}.items() <= next(
        r for r in direct.privacy_["protections"] if r.get("stratum") == paris and r["column"] == "job"
        and r["protection"] == "rare_levels").items()


def test_knots_equal_a_data_value_only_where_neighbouring_values_tie():
    """Coarse data: a knot is a record's value only when the two sorted values it sits between tie."""
    rng = np.random.default_rng(1)
    data = np.round(rng.lognormal(3.0, 1.0, 2000), 1)
    cm = ColumnModel.fit(pd.Series(data, name="v"), method="empirical")
    [out], _ = protect_columns([cm], data.size, K5)
    new = out.marginal
    held = pd.Series(data).value_counts()
    on_data = new.x[np.isin(new.x, data)]
    assert on_data.size > 0 and held[on_data].min() >= 2  # ties, never one record's value
    point = new.pl == new.pr
    j = np.round(new.pl[point] * data.size).astype(int)
    s = np.sort(data)
    assert np.allclose(new.x[point], (s[j - 1] + s[j]) / 2)
