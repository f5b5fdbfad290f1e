"""Tests of the vine strategy's fit controls and sampling path (pyvinecopulib)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import synthkit
from synthkit.dependence.copula import (
    VINE_BATCH_ROWS,
    clip_uniform,
    fit_vine,
    load_vine,
    sample_vine,
    vine_available,
)
from synthkit.errors import ModelFileError, SpecError
from synthkit.strategies.base import Strategy
from synthkit.testing import frame_hash

pytestmark = pytest.mark.skipif(not vine_available(), reason="pyvinecopulib not installed")

FAST = {"indep", "gaussian", "clayton", "gumbel", "joe"}


def clayton_uniforms(n: int, theta: float, d: int, seed: int) -> np.ndarray:
    """Clayton-copula uniforms (Marshall-Olkin: ``(1 + E / V)^(-1/theta)``, ``V ~ Gamma(1/theta)``).

    Kendall's tau of every pair is ``theta / (theta + 2)``; the last column is reversed
    (tau of opposite sign with the others), so rotated families are needed.
    """
    rng = np.random.default_rng(seed)
    v = rng.gamma(1.0 / theta, size=(n, 1))
    u = (1.0 + rng.exponential(size=(n, d)) / v) ** (-1.0 / theta)
    u[:, -1] = 1.0 - u[:, -1]
    return u


def skewed_table(n: int = 2000, seed: int = 3) -> pd.DataFrame:
    """Lower-tail dependent table with skewed marginals and a count column."""
    u = clayton_uniforms(n, 2.0, 4, seed)
    return pd.DataFrame({
        "income": stats.lognorm(0.8, scale=30_000).ppf(u[:, 0]),
        "wait": stats.expon(scale=5).ppf(u[:, 1]),
        "visits": stats.poisson(4).ppf(u[:, 2]).astype(int),
        "score": stats.beta(2, 5).ppf(u[:, 3]),
    })


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return skewed_table()


@pytest.fixture(scope="module")
def model(table):
    return synthkit.fit(table, strategy="vine")


def pseudo_observations(u: np.ndarray) -> np.ndarray:
    return stats.rankdata(u, axis=0) / (len(u) + 1)


def first_tree(vine) -> list[tuple[object, int, int]]:
    """(pair copula, i, j) of the first tree's edges: edge e joins ``M[d-1-e, e]`` and ``M[0, e]``."""
    m = np.asarray(vine.matrix)
    d = m.shape[0]
    return [(vine.get_pair_copula(0, e), int(m[d - 1 - e, e]) - 1, int(m[0, e]) - 1) for e in range(d - 1)]


def test_pair_copulas_invert_the_empirical_kendall_tau():
    # itau: each first-tree pair copula's tau is its pair's sample tau (to the inversion's precision);
    # maximum likelihood would miss it by about a standard error (~0.01 at n = 2,000)
    u = pseudo_observations(clayton_uniforms(2000, 2.0, 4, seed=3))
    vine = load_vine(fit_vine(u, family_set="fast", parametric_method="itau"))
    edges = first_tree(vine)
    assert len(edges) == 3
    for pc, i, j in edges:
        assert pc.family.name in FAST
        assert pc.tau == pytest.approx(stats.kendalltau(u[:, i], u[:, j]).statistic, abs=1e-6)


def test_default_controls_fast_families_tau_inversion_and_selected_truncation(table, monkeypatch):
    import synthkit.strategies.vine as vine_module

    seen = {}

    def keep(u, **controls):
        seen["u"] = np.array(u)
        return fit_vine(u, **controls)

    monkeypatch.setattr(vine_module, "fit_vine", keep)
    model = synthkit.fit(table, strategy="vine")
    params = model.get_params()
    assert (params["family_set"], params["parametric_method"], params["trunc_lvl"]) == (
        "fast", "itau", "auto")
    vine = model._vine
    names = {pc.family.name for tree in vine.pair_copulas for pc in tree}
    assert names <= FAST
    # itau: the first tree's taus are those of the pseudo-observations the vine was fitted on
    u = seen["u"]
    for pc, i, j in first_tree(vine):
        assert pc.tau == pytest.approx(stats.kendalltau(u[:, i], u[:, j]).statistic, abs=1e-6)


def test_truncation_auto_stops_at_a_markov_chain_first_tree():
    # Gaussian AR(1) chain: every column is independent of the earlier ones given its predecessor,
    # so the first tree (the path) holds all the dependence and mBICV keeps one tree
    rng = np.random.default_rng(11)
    n, d, rho = 3000, 5, 0.7
    x = np.empty((n, d))
    x[:, 0] = rng.standard_normal(n)
    for k in range(1, d):
        x[:, k] = rho * x[:, k - 1] + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    frame = pd.DataFrame(np.exp(x), columns=[f"x{k}" for k in range(d)])
    auto = synthkit.fit(frame, strategy="vine")
    full = synthkit.fit(frame, strategy="vine", trunc_lvl=None)
    fixed = synthkit.fit(frame, strategy="vine", trunc_lvl=2)
    assert (auto._vine.trunc_lvl, fixed._vine.trunc_lvl, full._vine.trunc_lvl) == (1, 2, d - 1)
    # the truncated vine still reproduces the chain's taus, near ones and far ones
    tau = 2 / np.pi * np.arcsin(rho ** np.abs(np.subtract.outer(np.arange(d), np.arange(d))))
    out = auto.sample(20_000, seed=5).frame.corr("kendall").to_numpy()
    # sample + fit standard errors: the null variance 4 / (9 n) of a sample tau bounds the
    # normal copula's 0.437 (1 - tau^2)^2 / n (Fieller, Hartley & Pearson 1957)
    se = np.sqrt(4 / (9 * 20_000)) + np.sqrt(4 / (9 * n))
    assert np.abs(out - tau).max() < 5 * se


def test_uniforms_come_from_the_block_generator_only():
    vine = load_vine(fit_vine(pseudo_observations(clayton_uniforms(500, 2.0, 3, seed=4)),
                              family_set="fast", parametric_method="itau"))
    n = 2 * VINE_BATCH_ROWS + 123
    w = clip_uniform(np.random.default_rng(9).random((n, 3)))
    # the inverse Rosenblatt transform of the generator's uniforms, batch by batch
    expected = clip_uniform(np.vstack([
        np.asarray(vine.inverse_rosenblatt(np.asfortranarray(w[i:i + VINE_BATCH_ROWS])))
        for i in range(0, n, VINE_BATCH_ROWS)]))
    for threads in (1, 2, 3):
        got = sample_vine(vine, n, np.random.default_rng(9), num_threads=threads)
        np.testing.assert_array_equal(got, expected)
    assert sample_vine(vine, 0, np.random.default_rng(9)).shape == (0, 3)


def test_same_seed_same_rows_whatever_threads_and_chunks(table, model):
    n = 3 * VINE_BATCH_ROWS - 5  # three inverse-Rosenblatt batches in one block
    ref = frame_hash(model.sample(n, seed=7).frame)
    threaded = Strategy.from_dict({**model.to_dict(),
                                   "params": {**model.get_params(), "num_threads": 2}})
    assert frame_hash(threaded.sample(n, seed=7).frame) == ref
    every_core = Strategy.from_dict({**model.to_dict(),
                                     "params": {**model.get_params(), "num_threads": None}})
    assert frame_hash(every_core.sample(n, seed=7).frame) == ref
    assert frame_hash(pd.concat(list(threaded.iter_chunks(n, seed=7, chunk_rows=7777)),
                                ignore_index=True)) == ref
    assert frame_hash(model.sample(n, seed=7, workers=2).frame) == ref
    assert frame_hash(model.sample(n, seed=8).frame) != ref
    # the fit does not depend on the thread count either
    assert synthkit.fit(table, strategy="vine", num_threads=2).vine_json_ == model.vine_json_


def test_full_search_is_still_available(table):
    # the previous defaults, on request: Frank and the BB families, maximum likelihood, all trees
    m = synthkit.fit(table.iloc[:400], strategy="vine", family_set="parametric",
                     parametric_method="mle", trunc_lvl=None)
    assert m._vine.trunc_lvl == 3
    u = pseudo_observations(clayton_uniforms(400, 2.0, 4, seed=3))
    vine = load_vine(fit_vine(u, family_set="parametric", parametric_method="mle"))
    gaps = [abs(pc.tau - stats.kendalltau(u[:, i], u[:, j]).statistic) for pc, i, j in first_tree(vine)]
    assert max(gaps) > 1e-4  # maximum likelihood does not invert the sample tau


@pytest.mark.parametrize("params, message", [
    ({"parametric_method": "ml"}, r"`parametric_method` must be 'mle' or 'itau', got 'ml'"),
    ({"num_threads": 0}, r"`num_threads` must be a positive integer or None \(all cores\), got 0"),
    ({"num_threads": True}, r"`num_threads` must be a positive integer or None"),
    ({"num_threads": 1.5}, r"`num_threads` must be a positive integer or None"),
    ({"trunc_lvl": "full"}, r"`trunc_lvl` must be a positive integer, 'auto' or None, got 'full'"),
    ({"trunc_lvl": 0}, r"`trunc_lvl` must be a positive integer, 'auto' or None, got 0"),
    ({"family_set": "fastest"}, r"`family_set` must be one of .*fast.* got 'fastest'"),
    ({"selection_criterion": "aicc"}, r"`selection_criterion` must be one of aic, bic, mbicv, loglik"),
])
def test_bad_controls_are_spec_errors(table, params, message):
    with pytest.raises(SpecError, match=message):
        synthkit.fit(table.iloc[:200], strategy="vine", **params)


def test_model_documents_without_the_new_controls_load_and_sample_the_same(model):
    doc = model.to_dict()
    old = {k: v for k, v in doc["params"].items() if k not in ("parametric_method", "num_threads")}
    old.update(family_set="parametric", trunc_lvl=None)  # as written before these controls existed
    loaded = Strategy.from_dict({**doc, "params": old})
    assert loaded.vine_json_ == model.vine_json_
    assert frame_hash(loaded.sample(3000, seed=2).frame) == frame_hash(model.sample(3000, seed=2).frame)
    # the controls are checked on load like any parameter
    with pytest.raises(ModelFileError, match=r"`parametric_method` must be 'mle' or 'itau', got 'ml'"):
        Strategy.from_dict({**doc, "params": {**doc["params"], "parametric_method": "ml"}})
    # the controls a model was fitted with are in its document
    again = Strategy.from_dict(doc)
    assert {k: again.get_params()[k] for k in ("parametric_method", "num_threads", "trunc_lvl")} == {
        "parametric_method": "itau", "num_threads": 1, "trunc_lvl": "auto"}


def test_tau_fidelity_of_the_defaults_matches_the_full_search(table):
    # the same table fitted with the fast defaults and with the full search (all parametric
    # families by maximum likelihood, every tree): their synthetic taus agree with the real ones
    # and with each other within sampling error
    n = 40_000
    real = table.corr("kendall").to_numpy()
    fast = synthkit.fit(table, strategy="vine").sample(n, seed=1).frame.corr("kendall").to_numpy()
    full = synthkit.fit(table, strategy="vine", family_set="parametric", parametric_method="mle",
                        trunc_lvl=None).sample(n, seed=1).frame.corr("kendall").to_numpy()
    se_real = np.sqrt(4 / (9 * len(table)))  # null-variance bound of a sample tau
    assert np.abs(fast - real).max() < 4 * se_real
    assert np.abs(fast - full).max() < 4 * se_real


@pytest.mark.parametrize("par, message", [
    ({"data": [], "shape": [1, 1]}, r"'par.data' must hold 1 numbers for shape \[1, 1\]"),
    ({"data": [0.5, 0.5], "shape": [1, 1]}, r"must hold 1 numbers"),
    ({"data": [1.1], "shape": [1000, 1000]}, r"'par.shape' must be two integers in \[0, 64\]"),
    ({"data": [1.1], "shape": [1]}, r"'par.shape' must be two integers"),
    ({"data": "1.1", "shape": [1, 1]}, r"must hold 1 numbers"),
])
def test_a_pair_copula_whose_parameters_do_not_fill_its_shape_is_refused(model, par, message):
    # pyvinecopulib reads par.data as a shape[0] x shape[1] buffer unchecked: a mismatch
    # would crash the interpreter, so the loader refuses it first
    import json

    doc = json.loads(model.vine_json_)
    tree = doc["pair copulas"]["tree0"]
    first = next(iter(tree))
    tree[first].update(fam="Gaussian", rot=0, par=par)
    with pytest.raises(SpecError, match=message):
        load_vine(json.dumps(doc))
    with pytest.raises(SpecError, match="malformed vine model"):
        load_vine(json.dumps({"structure": doc["structure"]}))
