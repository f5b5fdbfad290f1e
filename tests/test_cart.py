"""Sequential CART: tree traversal, leaf sampling, visit order, leaf sizes, model files, bad input."""

import json
import math
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

import synthkit
from synthkit.errors import FitError, ModelFileError, SpecError
from synthkit.strategies import _trees
from synthkit.strategies.cart import Cart, _feature, _values
from synthkit.testing import check_strategy, frame_hash, mixed_table


def _two_groups(n=4000, seed=0):
    """``a`` in {0, 1}; ``b`` categorical, ``y`` continuous and ``k`` integer depend on ``a``;
    ``y`` is missing (only) in group 1, half the time."""
    rng = np.random.default_rng(seed)
    a = (rng.random(n) < 0.4).astype(np.int64)
    b = np.where(a == 1, rng.choice(["p", "q", "r"], n, p=[0.7, 0.2, 0.1]),
                 rng.choice(["p", "q", "r"], n, p=[0.1, 0.3, 0.6]))
    y = np.where(a == 1, rng.normal(5.0, 1.0, n), rng.normal(0.0, 1.0, n))
    y[(a == 1) & (rng.random(n) < 0.5)] = np.nan
    k = np.where(a == 1, rng.poisson(6, n), rng.poisson(2, n)).astype(np.int64)
    return pd.DataFrame({"a": a, "b": b, "y": y, "k": k})


def _training_features(model, frame):
    """The training table in the trees' feature form, columns in visit order."""
    by = {cm.name: cm for cm in model.columns_}
    return np.column_stack([_feature(by[c], _values(by[c], frame[c])) for c in model.visit_order_])


def test_contract_with_options():
    check_strategy(Cart, {"smoothing": "density", "visit_order": "data", "min_leaf": 8})
    check_strategy(Cart, {"privacy": "off", "max_depth": 3})


def test_traversal_matches_scikit_learn_with_missing_values():
    from sklearn.tree import DecisionTreeRegressor

    rng = np.random.default_rng(1)
    x = rng.normal(size=(3000, 3))
    y = x[:, 0] + np.where(np.isnan(x[:, 1]), 0, x[:, 1]) + rng.normal(size=3000)
    x[rng.random((3000, 3)) < 0.2] = np.nan  # missing values at fit and in the new rows
    tree, leaf = _trees.fit_tree(x, y, classify=False, min_leaf=5, max_depth=None, random_state=0)
    assert np.array_equal(tree.apply(x), leaf)
    new = rng.normal(scale=2.0, size=(5000, 3))
    new[rng.random((5000, 3)) < 0.3] = np.nan
    # missing values are a number below every value for scikit-learn too, so the stored tree
    # routes new rows (missing cells included) as scikit-learn's own tree does
    est = DecisionTreeRegressor(min_samples_leaf=5, max_depth=_trees.MAX_TREE_DEPTH, random_state=0).fit(
        _trees.tree_features(x), y)
    assert np.array_equal(tree.apply(new), tree.leaf_ids()[est.apply(_trees.tree_features(new))])
    assert np.bincount(leaf).min() >= 5  # every leaf keeps min_leaf rows, missing values included


def test_one_split_leaf_frequencies_and_draws_match_brute_force():
    real = _two_groups()
    model = Cart(visit_order=["a", "b", "y", "k"], max_depth=1, privacy="off").fit(real)
    n = 200_000
    synth = model.sample(n, seed=3).frame
    # brute force: with one split on `a`, each leaf is one group and holds its frequencies
    tree = model.dependence_.params["trees"]["b"]
    leaf_of = tree.apply(np.array([[0.0], [1.0]]))
    cats = list(model.columns_[1].column.categories)
    for g in (0, 1):
        want = real.loc[real.a == g, "b"].value_counts(normalize=True).reindex(cats, fill_value=0.0)
        s = tree.summary
        lo, hi = s["offsets"][leaf_of[g]], s["offsets"][leaf_of[g] + 1]
        stored = pd.Series(s["prob"][lo:hi], index=[cats[i - 1] for i in s["index"][lo:hi]])
        np.testing.assert_allclose(stored.reindex(cats, fill_value=0.0), want, atol=1e-12)
        rows = synth[synth.a == g]
        got = rows["b"].value_counts(normalize=True).reindex(cats, fill_value=0.0)
        se = np.sqrt(want * (1 - want) / len(rows))
        assert np.all(np.abs(got - want) <= 5 * se + 1e-9), (g, got.tolist(), want.tolist())
        # the null rate of `y` in its leaf, and its values' conditional law
        p = real.loc[real.a == g, "y"].isna().mean()
        assert abs(rows["y"].isna().mean() - p) <= 5 * math.sqrt(max(p * (1 - p), 1e-12) / len(rows)) + 1e-9
        obs_r, obs_s = real.loc[real.a == g, "y"].dropna(), rows["y"].dropna()
        crit = 1.95 * math.sqrt((len(obs_r) + len(obs_s)) / (len(obs_r) * len(obs_s)))  # 0.1% KS level
        ks = stats.ks_2samp(obs_r, obs_s).statistic
        assert ks <= crit + 1 / (_trees.MAX_KNOTS - 1), (g, ks)  # + the knots' interpolation bound
        # integer column: the leaf's value frequencies
        pk = real.loc[real.a == g, "k"].value_counts(normalize=True)
        qk = rows["k"].value_counts(normalize=True).reindex(pk.index, fill_value=0.0)
        assert np.all(np.abs(qk - pk) <= 5 * np.sqrt(pk * (1 - pk) / len(rows)) + 1e-9)
    assert abs(synth.a.mean() - real.a.mean()) <= 5 * math.sqrt(0.24 / n)


def test_leaf_summaries_and_draws_match_brute_force():
    rng = np.random.default_rng(4)
    leaf = rng.integers(0, 5, 3000)
    leaf[:7] = 5  # a 7-row leaf: it keeps its 7 order statistics
    n_leaves = 6
    u = rng.beta(2.0, 5.0, leaf.size)
    knots = _trees.leaf_knots(leaf, u, n_leaves)
    off = knots["offsets"]
    for lf in range(n_leaves):
        vals = u[leaf == lf]
        want = np.quantile(vals, np.linspace(0, 1, min(_trees.MAX_KNOTS, vals.size)))  # linear quantiles
        np.testing.assert_allclose(knots["values"][off[lf]:off[lf + 1]], want, atol=1e-12)
    assert off[6] - off[5] == 7
    # draws: the CDF of the interpolated leaf law is p_k at its k-th knot
    tree = _trees.Tree(np.array([-1]), np.array([-1]), np.array([-1]), np.array([0.0]), np.array([False]),
                       "knots", knots)
    m = 400_000
    for lf in range(n_leaves):
        draws = tree.draw(np.full(m, lf), rng.random(m))
        q = knots["values"][knots["offsets"][lf]:knots["offsets"][lf + 1]]
        p = np.linspace(0, 1, q.size)
        got = (draws[:, None] <= q[None, 1:-1]).mean(axis=0)
        assert np.all(np.abs(got - p[1:-1]) <= 5 * np.sqrt(p[1:-1] * (1 - p[1:-1]) / m)), lf
    # class frequencies per leaf, and their draws
    cls = rng.integers(0, 4, leaf.size)
    lv = _trees.leaf_levels(leaf, cls, n_leaves, 4)
    table = pd.crosstab(leaf, cls, normalize="index")
    tree = _trees.Tree(np.array([-1]), np.array([-1]), np.array([-1]), np.array([0.0]), np.array([False]),
                       "levels", lv).prepare()
    for lf in range(n_leaves):
        sl = slice(lv["offsets"][lf], lv["offsets"][lf + 1])
        np.testing.assert_allclose(lv["prob"][sl], table.loc[lf, lv["index"][sl]].to_numpy(), atol=1e-12)
        got = np.bincount(tree.draw(np.full(m, lf), rng.random(m)), minlength=4) / m
        want = table.loc[lf].reindex(range(4), fill_value=0.0).to_numpy()
        assert np.all(np.abs(got - want) <= 5 * np.sqrt(want * (1 - want) / m) + 1e-12), lf


def test_visit_order_rules():
    real = _two_groups(600)
    assert Cart().fit(real).visit_order_ == ["a", "b", "k", "y"]  # fewest distinct values first
    assert Cart(visit_order="data").fit(real).visit_order_ == ["a", "b", "y", "k"]
    assert Cart(visit_order=["y", "b"]).fit(real).visit_order_ == ["y", "b", "a", "k"]
    with pytest.raises(SpecError, match="unknown column"):
        Cart(visit_order=["nope"]).fit(real)
    with pytest.raises(SpecError, match="visit_order"):
        Cart(visit_order="random").fit(real)


@pytest.mark.parametrize("min_leaf", [5, 23])
def test_every_leaf_summarises_at_least_min_leaf_rows(min_leaf):
    real = mixed_table(2000)
    model = Cart(min_leaf=min_leaf, privacy="off").fit(real)
    x = _training_features(model, real)
    trees, missing = model.dependence_.params["trees"], model.dependence_.params["missing"]
    checked = 0
    for i, name in enumerate(model.visit_order_[1:], start=1):
        rows = np.ones(len(real), dtype=bool)
        if name in missing:
            counts = np.bincount(missing[name].apply(x[:, :i]), minlength=missing[name].n_leaves)
            assert counts.min() >= min_leaf, (name, counts.min())
            rows = ~np.isnan(x[:, i])
        tree = trees[name]
        counts = np.bincount(tree.apply(x[rows, :i]), minlength=tree.n_leaves)
        assert counts.min() >= min_leaf, (name, counts.min())
        checked += tree.n_leaves
    assert checked > 20  # the trees did split
    # standard privacy raises the leaf size to min_count; the default grows as sqrt(n)
    assert Cart(min_leaf=2, min_count=9)._min_leaf(2000) == 9
    assert [Cart()._min_leaf(n) for n in (10, 2000, 10_000)] == [5, 45, 100]
    auto = Cart().fit(real)
    x = _training_features(auto, real)
    tree = auto.dependence_.params["trees"][auto.visit_order_[1]]
    assert np.bincount(tree.apply(x[:, :1])).min() >= 45


def _numbers(obj) -> set[float]:
    """Every number in a JSON document."""
    if isinstance(obj, dict):
        return set().union(*map(_numbers, obj.values())) if obj else set()
    if isinstance(obj, list):
        return set().union(*map(_numbers, obj)) if obj else set()
    if isinstance(obj, (int, float)) and not isinstance(obj, bool):
        return {float(obj)}
    return set()


def test_model_file_holds_no_record():
    rng = np.random.default_rng(7)
    n = 400
    income = np.round(np.exp(rng.normal(10, 0.6, n)), 2)
    real = pd.DataFrame({"income": income, "score": np.round(rng.normal(50, 10, n) + income / 1e4, 3),
                         "grade": rng.choice(list("abcd"), n)})
    doc = json.loads(json.dumps(synthkit.fit(real, strategy="cart").to_dict()))
    # no real row's numbers appear together anywhere in the file
    present = real[["income", "score"]].isin(_numbers(doc))
    assert not present.all(axis=1).any(), real[present.all(axis=1)].head()
    # the trees hold no real value at all: thresholds lie between values, knots and
    # frequencies on [0, 1]
    dep = doc["dependence"]
    assert not real[["income", "score"]].isin(_numbers(dep)).any().any()
    for t in dep["trees"].values():
        assert all(0 <= v <= 1 for v in t.get("values", []) + t.get("prob", []))


def test_json_round_trip_gives_identical_samples(tmp_path):
    real = _two_groups(1500)
    for smoothing in ("quantile", "density"):
        model = Cart(smoothing=smoothing).fit(real)
        path = model.save(tmp_path / f"{smoothing}.json")
        back = synthkit.load(path)
        assert frame_hash(back.sample(3000, seed=9).frame) == frame_hash(model.sample(3000, seed=9).frame)


def test_stratify_and_rules_through_the_shared_machinery():
    real = mixed_table(600)
    model = Cart(stratify="segment", rules=["age >= 30"]).fit(real)
    frame = model.sample(500, seed=1).frame
    assert (frame["age"] >= 30).all() and set(frame["segment"]) <= {"bronze", "silver", "gold"}
    assert frame_hash(model.sample(500, seed=1, workers=2).frame) == frame_hash(frame)
    # a level with one modelled column left is drawn from its marginal
    two = real[["segment", "income"]]
    strata = Cart(stratify="segment").fit(two)
    back = Cart.from_dict(json.loads(json.dumps(strata.to_dict())))
    assert frame_hash(back.sample(300, seed=2).frame) == frame_hash(strata.sample(300, seed=2).frame)


def test_bad_input_and_parameters():
    with pytest.raises(FitError, match="at least two columns.*montecarlo"):
        Cart(privacy="off").fit(pd.DataFrame({"x": np.arange(50.0)}))
    real = _two_groups(300)
    for bad in ({"min_leaf": 0}, {"min_leaf": 2.5}, {"max_depth": 0}, {"max_depth": 1000},
                {"smoothing": "kde"}, {"visit_order": ["a", "a"]}, {"fit_seed": -1}):
        with pytest.raises(SpecError):
            Cart(**bad).fit(real)
    with pytest.raises(SpecError, match="fitted from data only"):
        Cart.from_spec(Cart().fit(real).columns_)
    with pytest.raises(SpecError, match="conditions"):
        Cart().fit(real).sample(10, seed=0, conditions={"a": 1})


def _edited(doc, column, **changes):
    doc = json.loads(json.dumps(doc))
    doc["dependence"]["trees"][column].update(changes)
    return doc


def test_hostile_model_files_are_refused_quickly():
    real = _two_groups(800)
    doc = Cart(privacy="off").fit(real).to_dict()
    t = doc["dependence"]["trees"]["y"]
    m = len(t["left"])
    cases = [
        _edited(doc, "y", left=[0] * m),  # a node its own child: a cycle
        _edited(doc, "y", feature=[99 if f >= 0 else f for f in t["feature"]]),  # beyond earlier columns
        _edited(doc, "y", threshold=["nan"] * m),
        _edited(doc, "y", values=list(reversed(t["values"]))),  # decreasing knots
        _edited(doc, "y", offsets=[0] + [10 ** 9] * (len(t["offsets"]) - 1)),
        _edited(doc, "y", kind="levels"),
        _edited(doc, "b", prob=[0.5] * len(doc["dependence"]["trees"]["b"]["prob"])),
        _edited(doc, "y", left=list(range(1, 10 ** 6 + 2)), right=[-1] * (10 ** 6 + 1)),
    ]
    # a chain deeper than the depth limit: node 2i has a leaf 2i+1 and the node 2i+2
    depth = _trees.MAX_TREE_DEPTH + 5
    chain_left = [-1] * (2 * depth + 1)
    chain_right = [-1] * (2 * depth + 1)
    for i in range(depth):
        chain_left[2 * i], chain_right[2 * i] = 2 * i + 1, 2 * i + 2
    nodes = 2 * depth + 1
    cases.append(_edited(doc, "y", left=chain_left, right=chain_right,
                         feature=[0 if c >= 0 else -1 for c in chain_left], threshold=[0.0] * nodes,
                         missing_left=[0] * nodes, offsets=list(range(depth + 2)),
                         values=[0.5] * (depth + 1)))
    trees = doc["dependence"]["trees"]
    cases.append({**doc, "dependence": {**doc["dependence"], "trees": {"y": trees["y"]}}})
    for bad in cases:
        t0 = time.perf_counter()
        with pytest.raises(ModelFileError):
            Cart.from_dict(bad)
        assert time.perf_counter() - t0 < 5
    assert frame_hash(Cart.from_dict(doc).sample(100, seed=0).frame) == frame_hash(
        Cart.from_dict(json.loads(json.dumps(doc))).sample(100, seed=0).frame)


def test_survey_table_beats_independence():
    from synthkit.datasets import load_example

    real = load_example("statsmodels:fair")
    model = synthkit.fit(real, strategy="cart")
    synth = model.sample(len(real), seed=2).frame
    # strong real associations are kept: each sample Spearman correlation lies within 5 standard
    # errors (Fisher z, Bonett-Wright 1.06 / sqrt(n - 3), two independent estimates) of the real one
    for a, b in (("yrs_married", "age"), ("yrs_married", "children")):
        r_real = stats.spearmanr(real[a], real[b]).statistic
        r_synth = stats.spearmanr(synth[a], synth[b]).statistic
        se = 1.06 / math.sqrt(len(real) - 3) * math.sqrt(2)  # two independent estimates
        assert abs(np.arctanh(r_synth) - np.arctanh(r_real)) <= 5 * se, (a, b, r_real, r_synth)


_FUZZ_DOC = json.loads(json.dumps(Cart(privacy="off").fit(_two_groups(300)).to_dict()))
_json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-(10 ** 20), 10 ** 20),
                       st.floats(allow_nan=False, allow_infinity=False),
                       st.sampled_from(["inf", "-inf", "nan", "levels", "knots", "null_rate", 0, 1, -1, 2]))
_json_any = st.one_of(_json_leaf, st.lists(_json_leaf, max_size=6))


@settings(deadline=None, derandomize=True, database=None, max_examples=60,
          suppress_health_check=[HealthCheck.too_slow])
@given(column=st.sampled_from(["b", "y", "k"]), key=st.sampled_from(
    ["left", "right", "feature", "threshold", "missing_left", "kind", "offsets", "index", "prob", "values"]),
    where=st.integers(0, 10 ** 6), value=_json_any, whole=st.booleans())
def test_fuzz_tree_documents(column, key, where, value, whole):
    doc = json.loads(json.dumps(_FUZZ_DOC))
    tree = doc["dependence"]["trees"][column]
    if whole or not isinstance(tree.get(key), list) or not tree[key]:
        tree[key] = value
    else:
        tree[key][where % len(tree[key])] = value
    t0 = time.perf_counter()
    try:
        model = Cart.from_dict(doc)
    except ModelFileError:
        return
    finally:
        assert time.perf_counter() - t0 < 5
    assert len(model.sample(200, seed=0).frame) == 200  # accepted documents sample
