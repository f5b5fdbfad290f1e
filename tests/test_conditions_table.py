"""``model.sample(conditions=table)``: one row per condition row, drawn given its values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import synthkit
from synthkit.errors import SpecError
from synthkit.strategies import _conditional


def _ks_allowance(n: int, m: int, alpha: float = 1e-3) -> float:
    c = np.sqrt(-0.5 * np.log(alpha / 2))
    return float(c * np.sqrt((n + m) / (n * m)))


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(11)
    n = 5000
    z = rng.standard_normal((n, 3)) @ np.linalg.cholesky([[1, .6, .4], [.6, 1, .5], [.4, .5, 1]]).T
    table = pd.DataFrame({
        "plan": np.array(["basic", "plus", "pro"], dtype=object)[np.digitize(z[:, 0], [-0.3, 0.8])],
        "age": np.clip(np.round(40 + 12 * z[:, 1]), 18, 90).astype(int),
        "spend": np.exp(3 + 0.6 * z[:, 2]),
        "active": z[:, 2] + 0.5 * rng.standard_normal(n) > -0.5,
        "visits": np.clip(np.floor(2 + 1.2 * z[:, 0]), 0, 5).astype(int),
    })
    model = synthkit.fit(table, strategy="gaussian_copula")
    return table, model, model.sample(400_000, seed=1).frame


def test_one_row_per_condition_row_with_values_kept(fitted):
    _, model, _ = fitted
    cond = pd.DataFrame({"plan": ["pro", None, "basic"], "spend": [np.nan, 50.0, 20.0]})
    out = model.sample(conditions=cond, seed=2).frame
    assert len(out) == 3 and list(out.columns) == ["plan", "age", "spend", "active", "visits"]
    assert out.loc[0, "plan"] == "pro" and out.loc[2, "plan"] == "basic"
    assert out.loc[1, "spend"] == 50.0 and out.loc[2, "spend"] == 20.0
    assert out.equals(model.sample(3, conditions=cond, seed=2).frame)
    counted = model.sample(conditions=cond.assign(k=[2, 0, 3]), counts="k", seed=2).frame
    assert counted["plan"].tolist() == ["pro", "pro", "basic", "basic", "basic"]
    assert counted.equals(model.sample(conditions=cond, counts=[2, 0, 3], seed=2).frame)


def test_conditional_distributions_match_rejection(fitted):
    _, model, big = fitted
    rows = 4000
    for plan, active in [("pro", False), ("basic", True)]:
        ref = big[(big["plan"] == plan) & (big["active"] == active)]
        cond = pd.DataFrame({"plan": [plan] * rows, "active": [active] * rows})
        out = model.sample(conditions=cond, seed=3).frame
        assert (out["plan"] == plan).all() and (out["active"] == active).all()
        for col in ("age", "spend"):
            d = stats.ks_2samp(out[col], ref[col]).statistic
            assert d < _ks_allowance(rows, len(ref)), (plan, active, col, d)
    # an integer value: an atom of the discrete marginal (interval evidence)
    assert model.columns_[4].marginal.discrete
    ref = big[big["visits"] == 3]
    out = model.sample(conditions=pd.DataFrame({"visits": [3] * rows}), seed=4).frame
    assert (out["visits"] == 3).all()
    freq = out["plan"].value_counts(normalize=True)
    ref_freq = ref["plan"].value_counts(normalize=True)
    se = np.sqrt(ref_freq * (1 - ref_freq) * (1 / rows + 1 / len(ref)))
    assert np.all(np.abs(freq.reindex(ref_freq.index, fill_value=0) - ref_freq) < 4 * se)


def test_rows_mixing_evidence_patterns_each_follow_their_own(fitted):
    _, model, big = fitted
    rows = 3000
    cond = pd.DataFrame({"plan": ["pro", np.nan] * rows, "active": [np.nan, True] * rows})
    out = model.sample(conditions=cond, seed=5).frame
    first, second = out.iloc[0::2], out.iloc[1::2]
    for part, ref in [(first, big[big["plan"] == "pro"]), (second, big[big["active"]])]:
        d = stats.ks_2samp(part["spend"], ref["spend"]).statistic
        assert d < _ks_allowance(rows, len(ref)), d


def test_same_seed_same_rows_whatever_the_blocks(fitted, monkeypatch):
    _, model, _ = fitted
    monkeypatch.setattr(_conditional, "BLOCK_ROWS", 100)
    cond = pd.DataFrame({"plan": ["pro", "plus", "basic", None] * 75})
    one = model.sample(conditions=cond, seed=6).frame
    assert one.equals(model.sample(conditions=cond, seed=6).frame)
    assert one.iloc[:200].equals(model.sample(conditions=cond.iloc[:200], seed=6).frame)
    assert not one.equals(model.sample(conditions=cond, seed=7).frame)


def test_montecarlo_takes_a_conditions_table(fitted):
    table, _, _ = fitted
    model = synthkit.fit(table, strategy="montecarlo")
    out = model.sample(conditions=pd.DataFrame({"plan": ["plus"] * 3000}), seed=1).frame
    assert (out["plan"] == "plus").all()
    assert stats.ks_2samp(out["spend"], table["spend"]).statistic < _ks_allowance(3000, len(table))


def test_bad_conditions_tables(fitted):
    table, model, _ = fitted
    with pytest.raises(SpecError, match=r"unknown column\(s\) \['colour'\]"):
        model.sample(conditions=pd.DataFrame({"colour": ["red"]}))
    with pytest.raises(SpecError, match=r"column 'plan'.*\['gold'\] are not among"):
        model.sample(conditions=pd.DataFrame({"plan": ["pro", "gold"]}))
    with pytest.raises(SpecError, match="outside the column's support"):
        model.sample(conditions=pd.DataFrame({"spend": [1e9]}))
    with pytest.raises(SpecError, match="probability 0"):
        model.sample(conditions=pd.DataFrame({"visits": [2.5]}))
    with pytest.raises(SpecError, match="must hold numbers"):
        model.sample(conditions=pd.DataFrame({"spend": ["lots"]}))
    with pytest.raises(SpecError, match=r"`n` \(5\) must equal"):
        model.sample(5, conditions=pd.DataFrame({"plan": ["pro"] * 3}))
    with pytest.raises(SpecError, match="one non-negative integer per condition row"):
        model.sample(conditions=pd.DataFrame({"plan": ["pro"] * 2}), counts=[1.5, 1])
    with pytest.raises(SpecError, match="one non-negative integer per condition row"):
        model.sample(conditions=pd.DataFrame({"plan": ["pro"] * 2}), counts=[1])
    with pytest.raises(SpecError, match="applies to a conditions table"):
        model.sample(3, counts=[1, 2, 3])
    with pytest.raises(SpecError, match="drawn whole"):
        list(model.iter_chunks(2, conditions=pd.DataFrame({"plan": ["pro"] * 2})))
    with pytest.raises(SpecError, match="no rows"):
        model.sample(conditions=pd.DataFrame({"plan": []}))
    with pytest.raises(SpecError, match=r"'iman_conover'.*strategies that can"):
        synthkit.fit(table, strategy="iman_conover").sample(conditions=pd.DataFrame({"plan": ["pro"]}))
