"""Monte-Carlo per-feature synthesis on real data: fidelity, reproducibility, contract."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import synthkit
from synthkit.datasets import load_example
from synthkit.marginals import EmpiricalMarginal
from synthkit.testing import check_strategy, frame_hash, mixed_table

N = 20_000


@pytest.mark.parametrize("name", ["sklearn:wine", "statsmodels:macrodata", "statsmodels:grunfeld",
                                  "statsmodels:fair"])
def test_marginals_match_real_columns(name):
    real = load_example(name)
    model = synthkit.fit(real, strategy="montecarlo")
    synth = model.sample(N, seed=1).frame
    assert list(synth.columns) == list(real.columns)
    assert list(synth.dtypes.astype(str)) == list(real.dtypes.astype(str))
    for cm in model.columns_:
        c = cm.name
        if cm.column.kind == "continuous" and not cm.marginal.discrete:
            d = stats.ks_2samp(real[c], synth[c]).statistic
            bound = 0.03 if isinstance(cm.marginal, EmpiricalMarginal) else 0.05
            assert d < bound, f"{name}:{c} ({cm.describe()}) KS={d:.3f}"
        else:
            fr = real[c].astype(str).value_counts(normalize=True)
            fs = synth[c].astype(str).value_counts(normalize=True)
            diff = fr.subtract(fs, fill_value=0).abs().max()
            assert diff < 0.01, f"{name}:{c} frequency error {diff:.4f}"
            assert set(fs.index) <= set(fr.index), f"{name}:{c} invented categories"


def test_parametric_marginal_at_scale():
    """A large sample from a known family is fitted parametrically and reproduced."""
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"g": rng.gamma(2.0, 3.0, 20_000), "w": rng.weibull(1.7, 20_000) * 5})
    model = synthkit.fit(real)
    assert [cm.describe() for cm in model.columns_] == ["parametric:gamma",
                                                         "parametric:weibull_min"]
    synth = model.sample(N, seed=2).frame
    for c in real:
        assert stats.ks_2samp(real[c], synth[c]).statistic < 0.05


@pytest.mark.parametrize("chunk", [1_000, 10_000, 100_000])
def test_same_seed_same_rows_whatever_the_chunking(chunk, wine):
    model = synthkit.fit(wine)
    n = 150_000  # three random blocks
    ref = frame_hash(model.sample(n, seed=99).frame)
    joined = pd.concat(list(model.iter_chunks(n, seed=99, chunk_rows=chunk)), ignore_index=True)
    assert frame_hash(model._restore_dtypes(joined)) == ref
    assert frame_hash(model.sample(n, seed=99, workers=2).frame) == ref


def test_constant_column_is_synthesized_as_constant():
    df = pd.DataFrame({"c": [7.0] * 50, "k": ["x"] * 50, "v": np.arange(50.0) * 1.5})
    synth = synthkit.fit(df).sample(500, seed=0).frame
    assert (synth["c"] == 7.0).all() and (synth["k"] == "x").all()


def test_nulls_are_reproduced():
    df = mixed_table(2000)
    synth = synthkit.fit(df).sample(N, seed=3).frame
    p = df["score"].isna().mean()
    assert abs(synth["score"].isna().mean() - p) < 4 * np.sqrt(p * (1 - p) / N)
    assert synth["income"].notna().all()


@pytest.mark.parametrize("strategy", synthkit.available_strategies())
def test_every_registered_strategy_passes_the_conformance_suite(strategy):
    check_strategy(synthkit.get_strategy(strategy))


def test_declared_table_and_bounds():
    model = synthkit.declare({
        "age": {"distribution": "normal", "params": {"loc": 40, "scale": 15}, "min": 18,
                "max": 90, "kind": "integer"},
        "income": {"distribution": "lognormal", "params": {"s": 0.5, "scale": 40000}},
        "risk": {"categories": ["low", "mid", "high"], "probs": [0.5, 0.3, 0.2]},
        "kids": {"distribution": "poisson", "params": {"mu": 1.5}},
        "vip": {"kind": "boolean", "p": 0.1, "nulls": 0.05},
    })
    f = model.sample(N, seed=4).frame
    assert f["age"].dtype == np.int64 and f["age"].between(18, 90).all()
    assert stats.kstest(f["income"], stats.lognorm(0.5, scale=40000).cdf).statistic < 1.95 / np.sqrt(N)
    assert abs((f["risk"] == "low").mean() - 0.5) < 4 * np.sqrt(0.25 / N)
    assert abs(f["kids"].mean() - 1.5) < 4 * np.sqrt(1.5 / N)
    assert str(f["vip"].dtype) == "boolean" and abs(f["vip"].isna().mean() - 0.05) < 0.01


def test_frozen_scipy_distributions_are_accepted():
    model = synthkit.declare({"x": stats.gamma(2.0, scale=3.0), "k": stats.poisson(4.0)})
    f = model.sample(N, seed=5).frame
    assert stats.kstest(f["x"], stats.gamma(2.0, scale=3.0).cdf).statistic < 1.95 / np.sqrt(N)
    assert f["k"].dtype == np.int64 and abs(f["k"].mean() - 4.0) < 4 * np.sqrt(4.0 / N)


def test_rules_filter_rows_and_keep_distribution_conditional():
    model = synthkit.declare({"a": {"distribution": "normal"}, "b": {"distribution": "normal"}},
                             rules=["a + b > 0", "a < 1.5"])
    f = model.sample(N, seed=6).frame
    assert len(f) == N and ((f["a"] + f["b"]) > 0).all() and (f["a"] < 1.5).all()
    # given the rules, a has density phi(a) Phi(a) on a < 1.5 (P(b > -a) = Phi(a)): its mean
    # and sd by quadrature, the sample mean within 4 standard errors
    from scipy import integrate

    w = lambda a, k: a**k * stats.norm.pdf(a) * stats.norm.cdf(a)  # noqa: E731
    m0, m1, m2 = (integrate.quad(w, -np.inf, 1.5, args=(k,))[0] for k in range(3))
    mean, sd = m1 / m0, np.sqrt(m2 / m0 - (m1 / m0) ** 2)
    assert abs(f["a"].mean() - mean) < 4 * sd / np.sqrt(N), (f["a"].mean(), mean)
    assert frame_hash(model.sample(N, seed=6).frame) == frame_hash(f)


def test_rule_no_sample_satisfies_is_a_clear_error():
    model = synthkit.declare({"a": {"distribution": "uniform", "min": 0, "max": 1}},
                             rules=["a > 2"])
    with pytest.raises(synthkit.RuleError, match=r"accept 0 of 50,000 sampled rows.*rule 'a > 2' rejects most"):
        model.sample(10, seed=0)


def test_save_load_round_trip(tmp_path, wine):
    model = synthkit.fit(wine)
    path = model.save(tmp_path / "m.json")
    again = synthkit.load(path)
    assert frame_hash(again.sample(1000, seed=3).frame) == frame_hash(model.sample(1000, seed=3).frame)
    assert "pickle" not in path.read_text()


def test_provenance_records_how_the_rows_were_made(wine):
    ds = synthkit.fit(wine, strategy="montecarlo").sample(100, seed=5)
    p = ds.provenance
    assert p["strategy"] == "montecarlo" and p["n"] == 100
    assert p["seed"] == {"entropy": 5, "spawn_key": []}
    assert p["synthkit_version"] == synthkit.__version__ and "marginals" in p["params"]
    assert ds.schema.names == list(wine.columns)


def test_progress_bar_is_shown_when_asked(capsys):
    model = synthkit.declare({"x": {"distribution": "normal"}})
    model.sample(70_000, seed=0, progress=True)
    assert "rows" in capsys.readouterr().err
    model.sample(70_000, seed=0, progress=False)
    assert capsys.readouterr().err == ""


def test_timezone_aware_and_string_columns_round_trip():
    df = pd.DataFrame({
        "t": pd.date_range("2024-01-01", periods=200, freq="h", tz="Europe/Amsterdam"),
        "s": pd.array(["a", "b"] * 100, dtype="string"),
    })
    f = synthkit.fit(df).sample(500, seed=1).frame
    assert str(f["t"].dtype) == str(df["t"].dtype) and str(f["s"].dtype) == "string"
    assert f["t"].min() >= df["t"].min() and f["t"].max() <= df["t"].max()
    assert (f["t"].dt.minute == 0).all()  # hourly resolution kept


def test_plugin_strategies_load_from_entry_points(monkeypatch):
    from importlib.metadata import EntryPoint

    from synthkit.strategies import registry

    ep = EntryPoint(name="plugged", value="synthkit.strategies.montecarlo:MonteCarlo",
                    group=registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", lambda group: [ep])
    monkeypatch.setattr(registry, "_entry_points_loaded", False)
    monkeypatch.delitem(registry._REGISTRY, "plugged", raising=False)
    assert registry.get_strategy("plugged") is synthkit.MonteCarlo
    assert "plugged" in registry.available_strategies()
    monkeypatch.delitem(registry._REGISTRY, "plugged")


def test_rounded_columns_give_their_bounds_a_whole_cell():
    """A declared continuous family on a rounded column: the value at min / max collects its
    whole rounding cell (a uniform 1..6 integer is a fair die; it gave 1 and 6 at 1/10)."""
    n = 120_000
    m = synthkit.declare({"die": {"distribution": "uniform", "min": 1, "max": 6, "kind": "integer"},
                          "day": {"kind": "datetime", "distribution": "uniform", "min": "2020-01-01", "max": "2020-01-10",
                                  "resolution": "D"},
                          "age": {"distribution": "normal", "params": {"loc": 46, "scale": 15},
                                  "min": 18, "max": 95, "kind": "integer"}}, strategy="montecarlo")
    f = m.sample(n, seed=4).frame
    die = f["die"].value_counts().reindex(range(1, 7)).to_numpy()
    assert stats.chisquare(die).pvalue > 1e-3
    days = f["day"].dt.day.value_counts().reindex(range(1, 11)).to_numpy()
    assert stats.chisquare(days).pvalue > 1e-3
    # P(age = 18) = P(17.5 <= X < 18.5 | 17.5 <= X < 95.5), X ~ N(46, 15): closed form
    d = stats.norm(46, 15)
    p18 = (d.cdf(18.5) - d.cdf(17.5)) / (d.cdf(95.5) - d.cdf(17.5))
    se = np.sqrt(p18 * (1 - p18) / n)
    assert abs((f["age"] == 18).mean() - p18) < 4 * se


def test_an_object_column_of_true_false_none_keeps_its_dtype():
    """It came back as pandas 'boolean' (nulls) or 'bool', not the table's object dtype."""
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"ob": pd.Series(np.where(rng.random(1000) < 0.2, None, rng.random(1000) < 0.6),
                                       dtype=object)})
    s = synthkit.fit(df, strategy="montecarlo").sample(4000, seed=1).frame["ob"]
    assert s.dtype == object and set(s.map(repr)) == {"True", "False", "None"}
    assert abs(s.isna().mean() - df["ob"].isna().mean()) < 4 * np.sqrt(0.2 * 0.8 / 1000)
