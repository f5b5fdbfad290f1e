"""Validation compares the reference as the model saw it: rare levels merged into "other"."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synthkit
from synthkit import SyntheticDataset
from synthkit.errors import DataError
from synthkit.validation.merged_levels import merge_like_model, merged_levels_of

N = 4000
K = 5  # the default min_count


def long_tailed(seed: int, n: int = N) -> pd.DataFrame:
    """A Zipf-like label over 300 levels (about 140 of them under 5 rows) and two numbers."""
    rng = np.random.default_rng(seed)
    w = 1 / np.arange(1, 301) ** 1.1
    city = rng.choice([f"city{i}" for i in range(300)], n, p=w / w.sum())
    x = rng.normal(size=n)
    return pd.DataFrame({"city": city, "x": x, "y": 2 * x + rng.normal(size=n)})


@pytest.fixture(scope="module")
def fitted():
    real = long_tailed(0)
    model = synthkit.fit(real)
    return real, model, model.sample(N, seed=1)


def test_a_faithful_sample_of_a_long_tailed_label_passes(fitted):
    real, model, syn = fitted
    rep = synthkit.validate(real, syn, checks=["marginals", "dependence"])
    assert rep.passed, rep.summary()
    counts = real["city"].value_counts()
    rare = counts[counts < K]
    record = next(r for r in model.privacy_["protections"] if r["protection"] == "rare_levels")
    assert rep.meta["merged_levels"] == [{"column": "city", "into": "other", "min_count": K,
                                          "levels": rare.size, "rows": int(rare.sum())}]
    assert record["levels_merged"] == rare.size  # the same levels the fit merged
    assert "compared as 'other'" in rep.summary() and "compared as &#x27;other&#x27;" in rep.to_html()
    # the synthetic "other" share estimates the reference's rare share (binomial standard error)
    share, p = float(np.mean(syn.frame["city"] == "other")), rare.sum() / N
    assert abs(share - p) < 4 * np.sqrt(p * (1 - p) * (1 / N + 1 / N))


def test_without_the_provenance_other_is_an_unseen_label(fitted):
    real, _, syn = fitted
    rep = synthkit.validate(real, syn.frame, checks=["marginals"])
    failed = {(c.statistic, c.columns) for c in rep.failed()}
    assert ("unseen_category_rate", "city") in failed
    assert "merged_levels" not in rep.meta


def test_an_inflated_merged_level_still_fails(fitted):
    real, _, syn = fitted
    frame = syn.frame.copy()
    frame.loc[frame.index[: 2 * N // 5], "city"] = "other"  # 40% of rows moved into "other"
    bad = SyntheticDataset(frame, syn.schema, syn.provenance)
    rep = synthkit.validate(real, bad, checks=["marginals"])
    assert ("tv_distance", "city") in {(c.statistic, c.columns) for c in rep.failed()}


def test_the_provenance_survives_save_and_load_and_the_holdout_is_merged(fitted, tmp_path):
    real, _, syn = fitted
    loaded = SyntheticDataset.load(syn.save(tmp_path / "syn.parquet"))
    assert merged_levels_of(loaded) == [{"column": "city", "into": "other", "min_count": K}]
    holdout = long_tailed(7, n=1000)
    rep = synthkit.validate(real, loaded, holdout=holdout, checks=["marginals", "privacy"])
    assert rep.meta["merged_levels"][0]["levels"] > 0
    assert not [c for c in rep.failed() if c.section == "marginals"], rep.summary()


def test_merge_like_model_moves_rare_and_unkept_labels_only():
    ref = pd.DataFrame({"c": pd.Categorical(["a"] * 6 + ["b"] * 2 + ["c"] + [None]), "z": range(10)})
    hold = pd.DataFrame({"c": ["a", "b", "d", None]})
    new, hnew, notes = merge_like_model(ref, hold, [{"column": "c", "into": "other", "min_count": 5}])
    assert new["c"].tolist()[:9] == ["a"] * 6 + ["other"] * 3 and pd.isna(new["c"].iloc[9])
    assert list(new["c"].cat.categories) == ["a", "other"]
    assert hnew["c"].tolist()[:3] == ["a", "other", "other"] and pd.isna(hnew["c"].iloc[3])
    assert notes == [{"column": "c", "into": "other", "min_count": 5, "levels": 2, "rows": 3}]
    assert ref["c"].tolist()[6] == "b"  # the inputs are not modified
    # nothing rare, or a column the reference lacks: the same frame back, no note
    same, _, none = merge_like_model(ref, None, [{"column": "c", "into": "other", "min_count": 1},
                                                 {"column": "w", "into": "other", "min_count": 5}])
    assert same is ref and none == []


@pytest.mark.parametrize("record", [
    {"column": "c", "into": "other", "min_count": "5"},
    {"column": "c", "into": "other", "min_count": 10**9},
    {"column": "c", "into": "other", "min_count": True},
    {"column": 3, "into": "other", "min_count": 5},
    "c",
])
def test_malformed_provenance_is_refused(record):
    class Sample:
        provenance = {"merged_levels": [record]}

    with pytest.raises(DataError, match="merged_levels"):
        merged_levels_of(Sample())


def test_a_model_without_privacy_merges_nothing():
    real = long_tailed(3, n=1000)
    syn = synthkit.fit(real, privacy="off").sample(1000, seed=0)
    assert "merged_levels" not in syn.provenance


def test_the_command_line_fit_sample_validate_round_trip(tmp_path, capsys):
    from synthkit.cli import main

    data = tmp_path / "real.csv"
    long_tailed(0).to_csv(data, index=False)
    assert main(["fit", str(data), "-o", str(tmp_path / "m.json")]) == 0
    out = tmp_path / "syn.csv"
    assert main(["sample", str(tmp_path / "m.json"), "-n", str(N), "-o", str(out), "--seed", "1"]) == 0
    assert (tmp_path / "syn.csv.meta.json").is_file()
    capsys.readouterr()
    assert main(["validate", str(data), str(out), "--checks", "marginals"]) == 0
    assert "compared as 'other'" in capsys.readouterr().out


def test_a_partitioned_dataset_carries_the_merges_in_its_manifest(fitted, tmp_path):
    pytest.importorskip("dask")
    from synthkit.scale import sample_to_parquet

    real, model, _ = fitted
    out = tmp_path / "parts"
    sample_to_parquet(model, N, out, seed=1, partitions=2, progress=False)
    rep = synthkit.validate(real, str(out), checks=["marginals"])
    assert rep.meta["merged_levels"][0]["column"] == "city" and rep.meta["streaming"]
    assert rep.passed, rep.summary()
