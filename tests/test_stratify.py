"""Stratified synthesis: one model per level of a class column."""

import numpy as np
import pytest

import synthkit
from synthkit.errors import SpecError
from synthkit.testing import check_strategy, frame_hash


def _eta2(frame, by, col):
    g = frame.groupby(by, observed=True)[col]
    return float((g.count() * (g.mean() - frame[col].mean()) ** 2).sum()
                 / ((frame[col] - frame[col].mean()) ** 2).sum())


@pytest.mark.parametrize("strategy", ["montecarlo", "gaussian_copula"])
def test_class_structure_is_kept(strategy, wine):
    n = 20_000
    flat = synthkit.fit(wine, strategy=strategy).sample(n, seed=1).frame
    model = synthkit.fit(wine, strategy=strategy, stratify="auto")
    assert model.stratify_ == "target"
    strat = model.sample(n, seed=1).frame
    real_eta = _eta2(wine, "target", "color_intensity")  # 0.76: class 1 low, 0 and 2 high
    assert abs(_eta2(strat, "target", "color_intensity") - real_eta) < 0.05
    assert _eta2(flat, "target", "color_intensity") < real_eta - 0.4
    # class-conditional means within 4 standard errors of the real ones' sampling noise
    for cls, part in wine.groupby("target", observed=True):
        syn = strat.loc[strat["target"] == cls, "proline"]
        se = part["proline"].std() / np.sqrt(len(part))
        assert abs(syn.mean() - part["proline"].mean()) < 4 * se
    # the class frequencies are those of the real table
    freq = strat["target"].value_counts(normalize=True)
    real_freq = wine["target"].value_counts(normalize=True)
    assert (freq - real_freq).abs().max() < 4 * np.sqrt(0.25 / n)


def test_stratified_sampling_is_reproducible_and_round_trips(tmp_path, wine):
    model = synthkit.fit(wine, strategy="gaussian_copula", stratify="target")
    ref = frame_hash(model.sample(70_000, seed=4).frame)
    assert frame_hash(model.sample(70_000, seed=4, workers=2).frame) == ref
    loaded = synthkit.load(model.save(tmp_path / "m.json"))
    assert loaded.stratify_ == "target"
    assert frame_hash(loaded.sample(70_000, seed=4).frame) == ref
    assert list(model.sample(10, seed=0).frame.dtypes) == list(wine.dtypes)


def test_stratify_passes_the_conformance_suite():
    check_strategy(synthkit.MonteCarlo, {"stratify": "segment"})


def test_auto_declines_without_class_structure():
    rng = np.random.default_rng(0)
    import pandas as pd

    df = pd.DataFrame({"x": rng.normal(size=600), "y": rng.normal(size=600),
                       "c": rng.choice(["a", "b", "c"], 600)})
    assert synthkit.fit(df, stratify="auto").stratify_ is None


def test_bad_stratify_values(wine):
    with pytest.raises(SpecError, match="`stratify` names unknown column 'klass'"):
        synthkit.fit(wine, stratify="klass")
    with pytest.raises(SpecError, match="`stratify` column 'proline' must be categorical"):
        synthkit.fit(wine, stratify="proline")
    with pytest.raises(SpecError, match="`stratify` needs data"):
        synthkit.declare({"x": {"distribution": "normal"}}, stratify="x")
    model = synthkit.fit(wine, strategy="gaussian_copula", stratify="target")
    with pytest.raises(SpecError, match="not supported by stratified models"):
        model.sample(10, conditions={"alcohol": (12, 13)})
