"""Hierarchies (functional dependencies) are detected at fit time and kept exactly by every strategy."""

import json

import numpy as np
import pandas as pd
import pytest

import synthkit
from synthkit.dependence.hierarchy import TOLERANCE, detect_hierarchies
from synthkit.errors import ModelFileError, SpecError
from synthkit.schema import infer_schema
from synthkit.strategies import available_strategies, get_strategy


def survey(n: int = 1200, seed: int = 0) -> pd.DataFrame:
    """code (60 levels) -> sub (10) -> group (5), a score tied to the group, an unrelated age."""
    rng = np.random.default_rng(seed)
    code = rng.integers(0, 60, n)
    sub = code // 6
    group = sub // 2
    return pd.DataFrame({
        "code": [f"c{c:02d}" for c in code],
        "age": rng.integers(18, 80, n),
        "group": np.array(["services", "farming", "clerical", "manual", "arts"])[group],
        "prestige": np.round(10 * group + rng.normal(0, 3, n), 1),
        "sub": [f"s{s}" for s in sub],
    })


def agreement(real: pd.DataFrame, synth: pd.DataFrame, fine: str, coarse: str) -> float:
    """Share of synthetic rows whose (fine, coarse) pair is one of the real map's."""
    pairs = set(zip(real[fine], real[coarse], strict=True))
    return float(np.mean([p in pairs for p in zip(synth[fine], synth[coarse], strict=True)]))


@pytest.mark.parametrize("name", available_strategies())
def test_every_strategy_keeps_the_hierarchy_exactly(name):
    data = survey()
    model = get_strategy(name)(privacy="off").fit(data)
    frame = model.sample(3000, seed=1).frame
    assert list(frame.columns) == list(data.columns)
    assert agreement(data, frame, "code", "sub") == 1.0
    assert agreement(data, frame, "sub", "group") == 1.0
    assert agreement(data, frame, "code", "group") == 1.0
    # the coarse columns keep their dtype and their labels
    assert frame["group"].dtype == data["group"].dtype
    assert set(frame["group"]) <= set(data["group"])


def test_detection_finds_the_chain_and_its_nearest_parents():
    data = survey()
    found = detect_hierarchies(data, infer_schema(data))
    assert found == {"sub": "code", "group": "sub"}
    model = synthkit.fit(data, strategy="gaussian_copula")
    table = model.schema.describe().set_index("column")
    assert table.loc["group", "structure"] == "determined by sub"
    assert table.loc["sub", "structure"] == "determined by code"
    assert table.loc["code", "structure"] == ""
    assert model.schema_.names == ["code", "age", "prestige"]  # the modelled part


def test_noise_within_the_tolerance_is_mapped_to_the_majority():
    data = survey(2000)
    rng = np.random.default_rng(3)
    flip = rng.choice(len(data), int(0.5 * TOLERANCE * len(data)), replace=False)
    noisy = data.copy()
    noisy.loc[flip, "group"] = "arts"
    found = detect_hierarchies(noisy, infer_schema(noisy))
    assert found.get("group") in ("sub", "code")
    frame = synthkit.fit(noisy, strategy="gaussian_copula").sample(2000, seed=0).frame
    assert agreement(data, frame, "code", "group") == 1.0  # the majority (noise-free) map
    # 3x the tolerance is not a hierarchy
    flip = rng.choice(len(data), int(3 * TOLERANCE * len(data)), replace=False)
    noisy = data.copy()
    noisy.loc[flip, "group"] = noisy.loc[flip[::-1], "group"].to_numpy()
    noisy.loc[flip, "sub"] = "s0"
    assert "group" not in detect_hierarchies(noisy, infer_schema(noisy))


def test_what_is_never_a_hierarchy():
    rng = np.random.default_rng(1)
    n = 500
    x = rng.integers(0, 40, n)
    data = pd.DataFrame({
        "row_id": [f"r{i}" for i in range(n)],           # unique per row: determines everything
        "x": [f"x{v}" for v in x],
        "amount": x * 10.0 + 0.5,                         # continuous: never determined
        "flag": rng.random(n) < 0.5,                      # unrelated boolean
        "mostly": np.where(rng.random(n) < 0.996, "a", "b"),  # near-constant, unrelated
    })
    found = detect_hierarchies(data, infer_schema(data))
    assert found == {}


def test_parameter_off_declared_and_refused():
    data = survey(600)
    off = synthkit.fit(data, strategy="gaussian_copula", hierarchies=None)
    assert off.hierarchies_ == [] and off.schema_.names == list(data.columns)
    declared = synthkit.fit(data, strategy="gaussian_copula", hierarchies={"group": "code"}, privacy="off")
    assert [(h.name, h.by) for h in declared.hierarchies_] == [("group", "code")]
    assert agreement(data, declared.sample(1000, seed=0).frame, "code", "group") == 1.0
    for bad in ({"prestige": "code"}, {"code": "group"}, {"nope": "code"}, "yes", {"group": 3}):
        with pytest.raises(SpecError):
            synthkit.fit(data, strategy="gaussian_copula", hierarchies=bad)


def test_json_round_trip_and_strict_reading(tmp_path):
    data = survey(800)
    model = synthkit.fit(data, strategy="gaussian_copula")
    doc = json.loads(json.dumps(model.to_dict()))
    determined = doc["schema"]["determined"]
    assert [e["column"]["column"]["determined_by"] for e in determined] == ["code", "sub"]
    assert all(len(e["map"]) <= 60 for e in determined)  # level -> level, no counts
    clone = type(model).from_dict(doc)
    a, b = model.sample(500, seed=4).frame, clone.sample(500, seed=4).frame
    pd.testing.assert_frame_equal(a, b)
    path = model.save(tmp_path / "m.json")
    pd.testing.assert_frame_equal(synthkit.load(path).sample(500, seed=4).frame, a)
    bad = json.loads(json.dumps(doc))
    bad["schema"]["determined"][0]["map"][0][1] = "not-a-level"
    with pytest.raises(ModelFileError):
        type(model).from_dict(bad)
    bad = json.loads(json.dumps(doc))
    bad["schema"]["determined"][0]["by"] = "prestige"
    with pytest.raises(ModelFileError):
        type(model).from_dict(bad)


def test_privacy_stratify_conditions_and_rules():
    data = survey(1500)
    # privacy standard: the map is built on the protected frame (rare levels merged first)
    model = synthkit.fit(data, strategy="gaussian_copula", stratify="group")
    assert "group" not in [h.name for h in model.hierarchies_]  # a stratification column stays modelled
    frame = model.sample(2000, seed=2).frame
    assert agreement(data, frame, "code", "sub") == 1.0
    plain = synthkit.fit(data, strategy="gaussian_copula")
    given = plain.sample(300, seed=0, conditions={"code": "c07"}).frame
    assert set(given["code"]) == {"c07"} and set(given["group"]) == {"services"} and set(given["sub"]) == {"s1"}
    with pytest.raises(SpecError, match="condition on 'code' instead: its levels with group == 'arts' are 'c48'"):
        plain.sample(10, seed=0, conditions={"group": "arts"})
    ruled = synthkit.fit(data, strategy="gaussian_copula", rules=["group != 'arts'"])
    out = ruled.sample(1000, seed=0).frame
    assert (out["group"] != "arts").all() and agreement(data, out, "code", "group") == 1.0
    clone = type(ruled).from_dict(json.loads(json.dumps(ruled.to_dict())))  # the rule names a derived column
    pd.testing.assert_frame_equal(clone.sample(1000, seed=0).frame, out)


@pytest.mark.parametrize("edit", [
    lambda det: det[0].__setitem__("missing", []),
    lambda det: det[0]["map"][0].__setitem__(1, []),
    lambda det: det[0]["map"][0].__setitem__(0, []),
    lambda det: det[0]["map"][0].__setitem__(1, {"a": 1}),
    lambda det: det[0]["map"][0].__setitem__(0, "c0O"),      # a typo of a level of `code`
    lambda det: det[1]["map"][3].__setitem__(0, "s 3"),      # a typo of a level of `sub`
    lambda det: det[0]["map"].pop(),                        # a level of `code` left out
    lambda det: det[0]["map"].append(list(det[0]["map"][0])),  # a level listed twice
    lambda det: det[0].__setitem__("missing", "not-a-level"),
])
def test_hand_edited_hierarchy_maps_are_model_file_errors(edit):
    model = synthkit.fit(survey(600), strategy="gaussian_copula")
    doc = json.loads(json.dumps(model.to_dict()))
    assert [e["by"] for e in doc["schema"]["determined"]] == ["code", "sub"]
    edit(doc["schema"]["determined"])
    with pytest.raises(ModelFileError, match="model document"):
        type(model).from_dict(doc).sample(50, seed=0)


def test_integer_codes_drawn_between_levels_take_the_nearest_codes_group():
    """Cholesky draws integer codes off the real ones; each took the most common group."""
    rng = np.random.default_rng(0)
    code = rng.choice(np.arange(1, 21) * 100, 3000)
    df = pd.DataFrame({"code": code, "group": code // 501, "x": rng.normal(size=3000) + code / 500})
    s = synthkit.fit(df, strategy="cholesky").sample(5000, seed=1).frame
    real = np.arange(1, 21) * 100
    nearest = real[np.abs(s["code"].to_numpy()[:, None] - real[None, :]).argmin(axis=1)]
    assert (s["group"].to_numpy() == nearest // 501).all()
    assert s["group"].value_counts(normalize=True).min() > 0.1  # (all four groups, none collapsed)
