"""Anonymized synthesis end to end: roles, generated columns, protections, model files, release."""

from __future__ import annotations

import json
import string
import warnings

import numpy as np
import pandas as pd
import pytest

import synthkit
from synthkit.errors import SpecError

SENSITIVE = ["customer_id", "customer_no", "name", "email", "phone", "address"]


def _words(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    """Random capitalised pseudo-words: real names no fake pool can reproduce by chance."""
    letters = np.array(list(string.ascii_lowercase))
    raw = ["".join(w) for w in letters[rng.integers(0, 26, size=(n, length))]]
    return np.array([w.capitalize() for w in raw], dtype=object)


def customers(n: int = 500, seed: int = 0) -> pd.DataFrame:
    """A customer table with identifiers and PII next to ordinary numeric and categorical data."""
    rng = np.random.default_rng(seed)
    first, last = _words(rng, n, 7), _words(rng, n, 9)
    age = np.clip(rng.normal(45, 14, n).round(), 18, 90).astype(int)
    income = np.round(np.exp(rng.normal(10.6, 0.5, n)) + 150 * age, 2)
    domains = rng.choice(["gmail.com", "yahoo.com", "outlook.com"], n, p=[0.5, 0.3, 0.2])
    return pd.DataFrame({
        "customer_id": np.arange(1001, 1001 + n),
        "customer_no": [f"C{v:06d}" for v in rng.permutation(900_000)[:n] + 100_000],
        "name": first + " " + last,
        "email": [f"{a.lower()}.{b.lower()}@{d}" for a, b, d in zip(first, last, domains, strict=True)],
        "phone": [f"({a}) {b}-{c}" for a, b, c in zip(rng.integers(200, 999, n), rng.integers(200, 999, n),
                                                    rng.integers(1000, 9999, n), strict=True)],
        "address": [f"{k} {w} Street" for k, w in zip(rng.integers(1, 9999, n), _words(rng, n, 8),
                                                     strict=True)],
        "age": age,
        "income": income,
        "segment": rng.choice(["retail", "premium", "business"], n, p=[0.6, 0.3, 0.1]),
        "active": rng.random(n) < 0.7,
    })


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return customers()


@pytest.fixture(scope="module")
def model(table):
    return synthkit.fit(table, strategy="gaussian_copula")


def _norm(s: pd.Series) -> set[str]:
    return set(s.dropna().astype(str).str.strip().str.lower())


def test_roles_are_detected_and_explained(model):
    described = model.schema.describe().set_index("column")
    assert described.loc["customer_id", "role"] == "identifier"
    assert described.loc["customer_no", "role"] == "identifier"
    for c in ("name", "email", "phone", "address"):
        assert described.loc[c, "role"] == "pii", c
    for c in ("income", "segment", "active"):
        assert described.loc[c, "role"] in ("ordinary", "quasi_identifier"), c
    assert described.loc[SENSITIVE, "why"].str.len().min() > 0
    assert list(described.index) == list(model.schema.names)
    # the strategy models only the ordinary columns
    assert [c.name for c in model.columns_] == ["age", "income", "segment", "active"]


def test_no_real_identifier_or_pii_in_sample_or_model_file(table, model, tmp_path):
    out = model.sample(3000, seed=4).frame
    assert list(out.columns) == list(table.columns)
    for c in SENSITIVE:
        assert out[c].notna().all()
        assert not (_norm(out[c]) & _norm(table[c])), c
    assert out["customer_id"].is_unique and out["customer_no"].is_unique
    assert out["customer_no"].str.fullmatch(r"C\d{6,}").all()
    assert out["email"].str.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]+").all()
    doc = json.loads(model.save(tmp_path / "m.json").read_text())
    stored = {str(v).strip().lower() for v in _leaves(doc)}
    text = json.dumps(doc).lower()
    for c in SENSITIVE:
        real = _norm(table[c])
        assert not real & stored, (c, sorted(real & stored)[:3])
        if c == "customer_id":  # an integer key: no stored number equals a real id
            assert not _numbers(doc) & set(table[c].astype(float)), c
        else:  # text values: not even inside a longer stored string
            assert not [v for v in real if v in text], c


def test_ordinary_column_fidelity_matches_privacy_off(table):
    ordinary = table[["age", "income", "segment", "active"]]
    scores = {}
    for privacy in ("standard", "off"):
        m = synthkit.fit(ordinary, privacy=privacy)
        rep = synthkit.validate(ordinary, m.sample(5000, seed=2).frame, checks=["marginals", "dependence"],
                                figures=False)
        scores[privacy] = rep.scores["overall"]
    assert abs(scores["standard"] - scores["off"]) <= 0.01, scores


def test_model_file_holds_no_sorted_column_and_no_rare_level():
    df = synthkit.datasets.load_example("statsmodels:fair")
    m = synthkit.fit(df)
    doc = m.to_dict()
    k, budget = m.privacy_["policy"]["min_count"], m.privacy_["policy"]["max_knots"]
    numbers = {c["column"]["name"]: _numbers(c["marginal"]) | _numbers(c["column"]) for c in doc["columns"]}
    for c in df.columns:
        if pd.api.types.is_numeric_dtype(df[c]):
            stored_real = numbers[c] & set(df[c].astype(float))
            assert len(stored_real) <= budget, c
    for cm in m.columns_:
        if cm.coded:
            counts = np.asarray(cm.marginal.probs) * m.n_train_
            assert counts[counts > 0].min() >= k - 1e-6, cm.name
    kinds = {r["protection"] for r in m.privacy_["protections"]}
    assert {"top_bottom_coding", "quantile_knots"} <= kinds or "rare_levels" in kinds


def _leaves(obj) -> list:
    if isinstance(obj, dict):
        return [x for v in obj.values() for x in _leaves(v)]
    if isinstance(obj, list):
        return [x for v in obj for x in _leaves(v)]
    return [obj]


def _numbers(obj) -> set[float]:
    out: set[float] = set()
    if isinstance(obj, dict):
        for v in obj.values():
            out |= _numbers(v)
    elif isinstance(obj, list):
        for v in obj:
            out |= _numbers(v)
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        out.add(float(obj))
    return out


def test_generated_columns_are_reproducible_whatever_the_chunking(model, tmp_path):
    a = model.sample(1500, seed=9).frame
    b = model.sample(1500, seed=9, workers=2).frame
    c = pd.concat(list(model.iter_chunks(1500, seed=9, chunk_rows=400)), ignore_index=True)
    d = synthkit.load(model.save(tmp_path / "m.json")).sample(1500, seed=9).frame
    for other in (b, c, d):
        pd.testing.assert_frame_equal(a, other)
    assert not a["email"].equals(model.sample(1500, seed=10).frame["email"])


def test_unique_integer_key_is_an_identifier_not_a_number():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"account": np.arange(50_000, 50_300), "x": rng.normal(size=300)})
    m = synthkit.fit(df)
    assert m.schema["account"].role == "identifier"
    out = m.sample(500, seed=0).frame
    assert out["account"].is_unique and not set(out["account"]) & set(df["account"])
    assert out["account"].dtype == df["account"].dtype


def test_sensitive_columns_refused_in_rules_conditions_and_strata(table):
    with pytest.raises(SpecError, match="email"):
        synthkit.fit(table, rules=["email != ''"])
    with pytest.raises(SpecError, match="name"):
        synthkit.fit(table, stratify="name")
    with pytest.raises(SpecError, match="nope"):
        synthkit.fit(table, roles={"nope": "pii"})
    m = synthkit.fit(table)
    with pytest.raises(SpecError, match="phone"):
        m.sample(10, seed=0, conditions={"phone": "(555) 555-5555"})


def test_roles_can_be_overridden(table):
    m = synthkit.fit(table, roles={"address": "ordinary", "income": "pii"})
    assert m.schema["address"].role == "ordinary" and m.schema["income"].role == "pii"
    assert m.schema["address"].role_reason == "declared"


def test_privacy_off_warns_and_keeps_todays_behaviour(table):
    with pytest.warns(UserWarning, match="privacy='off'"):
        m = synthkit.fit(table, privacy="off")
    assert not m.generated_ and len(m.columns_) == table.shape[1]
    with pytest.raises(SpecError, match="privacy"):
        synthkit.fit(table, privacy="strict")


def test_privacy_validation_counts_real_values_emitted(table):
    leaky = table.sample(400, random_state=0)
    rep = synthkit.validate(table, leaky, checks=["privacy"], figures=False)
    emitted = rep.describe().query("statistic == 'real_values_emitted'")
    assert set(emitted["columns"]) == set(SENSITIVE)
    assert (emitted["value"] > 0).all()
    decided = emitted[emitted["columns"] != "name"]  # names: chance matches, informational
    assert (decided["passed"] == False).all()  # noqa: E712
    assert emitted.set_index("columns").loc["name", "passed"] is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fake = synthkit.fit(table).sample(400, seed=0).frame
    rep = synthkit.validate(table, fake, checks=["privacy"], figures=False)
    emitted = rep.describe().query("statistic == 'real_values_emitted'")
    assert (emitted["value"] == 0).all() and (emitted["passed"] != False).all()  # noqa: E712


def test_strata_bounds_are_coded_too():
    rng = np.random.default_rng(5)
    n = 600
    df = pd.DataFrame({"group": rng.choice(["a", "b", "c"], n), "x": rng.gamma(2.0, 3.0, n),
                       "y": rng.normal(size=n)})
    m = synthkit.fit(df, stratify="group")
    k = m.privacy_["policy"]["min_count"]
    c_ = -(-k // 2)

    def coded(x: np.ndarray) -> np.ndarray:  # each tail of k values -> its middle value
        order = np.argsort(x, kind="stable")
        out = x.copy()
        out[order[:k]], out[order[-k:]] = x[order[c_ - 1]], x[order[-c_]]
        return out

    levels = m.to_dict()["strata"]["levels"]
    for label, level in zip(m.schema_["group"].categories, levels, strict=True):
        for c in level["columns"]:
            name = c["column"]["name"]  # the table's coding, then the level's
            part = np.sort(coded(df[name].to_numpy())[(df["group"] == label).to_numpy()])
            assert (c["column"]["minimum"], c["column"]["maximum"]) == (part[c_ - 1], part[-c_])
    off = synthkit.fit(df, stratify="group", privacy="off").to_dict()["strata"]["levels"]
    assert {c["column"]["maximum"] for lv in off for c in lv["columns"] if c["column"]["name"] == "x"} == {
        df.loc[df["group"] == g, "x"].max() for g in "abc"}


def test_correlation_target_cannot_name_a_pii_column(table):
    with pytest.raises(SpecError, match="email"):
        synthkit.fit(table, correlation={"email,age": 0.3})


def test_narrow_integer_ids_do_not_wrap():
    df = pd.DataFrame({"id": np.arange(29_001, 32_001, dtype=np.int16),
                       "x": np.random.default_rng(0).normal(size=3000)})
    out = synthkit.fit(df).sample(70_000, seed=1).frame
    assert out["id"].is_unique and out["id"].min() > 32_000 and out["id"].dtype == np.int64


def test_hostile_generated_and_privacy_entries_are_model_file_errors(model):
    from synthkit.errors import ModelFileError

    doc = model.to_dict()
    for path, value in ((("generated", 0, "column", "dtype"), 5), (("generated", 0, "position"), -1),
                        (("privacy", "policy", "mode"), "bogus"), (("privacy",), "x")):
        bad = json.loads(json.dumps(doc))
        target = bad
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        with pytest.raises(ModelFileError):
            synthkit.Strategy.from_dict(bad)


def test_declared_models_record_that_nothing_was_protected():
    m = synthkit.declare({"x": {"distribution": "normal"}})
    assert m.privacy_["declared"] and m.privacy_["protections"] == []
    assert synthkit.Strategy.from_dict(m.to_dict()).privacy_["declared"]


def test_declared_quasi_identifiers_are_the_attackers_knowledge_whatever_the_alias(table):
    ordinary = table[["age", "income", "segment", "active"]]
    train, hold = ordinary.iloc[:250], ordinary.iloc[250:]
    synth = synthkit.fit(train).sample(250, seed=0).frame
    counts = [synthkit.validate(train, synth, holdout=hold, checks=["privacy"], figures=False,
                                roles={"age": alias}).meta["n_tests"] for alias in ("qi", "quasi_identifier")]
    plain = synthkit.validate(train, synth, holdout=hold, checks=["privacy"], figures=False).meta["n_tests"]
    assert counts[0] == counts[1] != plain


def test_strata_keep_the_tables_continuous_columns_continuous():
    # wine's magnesium: 53 whole-number values in the table, ~30 within a class; read as a
    # discrete support there, its values held by 1-3 wines would all be merged away
    wine = synthkit.datasets.load_example("sklearn:wine")
    m = synthkit.fit(wine, stratify="target")
    assert m.schema_["magnesium"].kind == "continuous"
    for level in m.strata_.levels_:
        cm = next(c for c in level.columns_ if c.name == "magnesium")
        assert cm.column.kind == "continuous" and not cm.marginal.discrete
    rep = synthkit.validate(wine, m.sample(5000, seed=1).frame, checks=["marginals"], figures=False)
    row = rep.describe().query("statistic == 'ks_distance' and columns == 'magnesium'").iloc[0]
    assert row["passed"], row
