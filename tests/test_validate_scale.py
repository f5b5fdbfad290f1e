"""Validation of a partitioned synthetic table: one pass of mergeable summaries gives the in-memory report."""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
import tracemalloc

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import synthkit
from synthkit.cli import main
from synthkit.datasets import load_table
from synthkit.errors import DataError, SpecError
from synthkit.validation.marginals import QUANTILES, SynthMarginal
from synthkit.validation.prepare import prepare_tables
from synthkit.validation.streaming import SummaryPlan, SynthSummary, numeric_marginal

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

TOL = 1e-3


def write_parts(frame: pd.DataFrame, path, parts: int) -> None:
    path.mkdir(parents=True, exist_ok=True)
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), parts)):
        pq.write_table(pa.Table.from_pandas(frame.iloc[rows], preserve_index=False),
                       path / f"part-{i:05d}.parquet")


def assert_reports_agree(mem, part, tol: float = TOL) -> None:
    """Same rows in the same order, every value within ``tol``, same verdicts unless a value is
    within ``tol`` of its threshold; same scores within ``tol``."""
    assert [(c.section, c.statistic, c.columns) for c in mem.checks] == \
           [(c.section, c.statistic, c.columns) for c in part.checks]
    for a, b in zip(mem.checks, part.checks, strict=True):
        where = f"{a.section}/{a.statistic}/{a.columns}"
        if isinstance(a.value, float) and math.isnan(a.value):
            assert math.isnan(b.value), where
            continue
        assert abs(a.value - b.value) <= tol, (where, a.value, b.value)
        assert type(a.passed) is type(b.passed), where
        if a.passed != b.passed:
            assert a.threshold is not None and abs(a.value - a.threshold) <= tol, (where, a, b)
    assert mem.scores.keys() == part.scores.keys()
    for k in mem.scores:
        assert mem.scores[k] == pytest.approx(part.scores[k], abs=tol, nan_ok=True), k


@pytest.fixture(scope="module")
def wine_case():
    real = load_table("sklearn:wine")
    real["target"] = real["target"].astype(str)
    real["ash_level"] = np.round(real["ash"] * 3).astype("int64")      # an integer column
    model = synthkit.fit(real, strategy="gaussian_copula")
    synth = model.sample(20_000, seed=3).frame
    return real, model, synth


@pytest.mark.slow  # (10-19 s: run with `pytest -m slow`)
def test_partitioned_wine_report_matches_in_memory(wine_case, tmp_path):
    real, model, synth = wine_case
    synth = synth.copy()
    synth.loc[synth.index[::997], "target"] = "unseen"                 # a label the reference lacks
    write_parts(synth, tmp_path / "parts", 5)
    kw = dict(target="target", holdout=model.sample(80, seed=11).frame.assign(target=lambda f: f.target))
    mem = synthkit.validate(real, synth, **kw)
    part = synthkit.validate(real, tmp_path / "parts", **kw)
    assert_reports_agree(mem, part)
    assert part.meta["n_synthetic"] == len(synth)
    assert part.meta["streaming"]["rows"] == len(synth) and part.meta["streaming"]["parts"] == 5
    assert part.meta["streaming"]["wasserstein_error_bound"] <= TOL
    # the subsampled sections read the same rows: identical values
    for a, b in zip(mem.checks, part.checks, strict=True):
        if a.section in ("privacy", "utility") or a.statistic.startswith("kendall"):
            assert a.value == b.value or (math.isnan(a.value) and math.isnan(b.value)), a.statistic
    unseen = [c for c in part.checks if c.statistic == "unseen_category_rate"]
    assert unseen and unseen[0].value == pytest.approx(np.mean(synth["target"] == "unseen"))
    np.testing.assert_allclose(part.artifacts["pca"]["synth"], mem.artifacts["pca"]["synth"])
    assert part.to_html()  # the same plots / HTML machinery


def skewed(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], n)
    return pd.DataFrame({"lognormal": np.exp(1.5 * z[:, 0]),
                         "pareto": (1 - stats.norm.cdf(z[:, 1])) ** (-1 / 1.2),
                         "count": rng.poisson(3, n).astype("int64")})


def test_skewed_table_quantiles_agree(tmp_path):
    real = skewed(3000, 0)
    synth = skewed(60_000, 1)
    write_parts(synth, tmp_path / "p", 6)
    kw = dict(checks=["marginals", "dependence"], figures=False)
    mem = synthkit.validate(real, synth, **kw)
    part = synthkit.validate(real, tmp_path / "p", **kw)
    assert_reports_agree(mem, part)
    assert [c.value for c in part.checks if c.statistic == "quantile_difference_iqr"]
    # the synthetic quantiles themselves, in IQR units, against numpy on the whole column
    t = prepare_tables(real, synth)
    plan = SummaryPlan.from_tables(t, [])
    s = SynthSummary(plan)
    for start in range(0, len(synth), 7000):
        s.update(synth.iloc[start:start + 7000], start)
    s.finish()
    for j, (name, _) in enumerate(plan.numeric):
        a = np.sort(real[name].to_numpy(float))
        sm, bounds = numeric_marginal(s, j, a)
        iqr = np.subtract(*np.quantile(a, [0.75, 0.25]))
        got = sm.quantiles(QUANTILES)
        want = np.quantile(synth[name].to_numpy(float), QUANTILES)
        assert np.max(np.abs(got - want)) / iqr <= TOL, name


@pytest.mark.parametrize("real, synth", [
    ([0.0, 10.0, 10.0, 10.0], [1.0, 2, 3, 4, 5, 6, 7, 8, 9] + [10.0] * 9),   # sup just below a value
    ([0.0, 0.0, 1.0], [-1.0, 0.0, 2.0, 2.0]),                                 # below and above the range
])
def test_ks_is_exact_at_left_limits(real, synth):
    t = prepare_tables(pd.DataFrame({"x": real}), pd.DataFrame({"x": synth}))
    s = SynthSummary(SummaryPlan.from_tables(t, [])).update(pd.DataFrame({"x": synth}), 0).finish()
    sm, _ = numeric_marginal(s, 0, np.sort(real))
    assert sm.ks == pytest.approx(stats.ks_2samp(real, synth).statistic, abs=1e-12)


def test_ks_is_exact_against_scipy():
    rng = np.random.default_rng(5)
    real = pd.DataFrame({"x": np.round(rng.normal(size=400), 1)})          # ties inside and across
    synth = pd.DataFrame({"x": np.round(rng.normal(0.1, 1.2, size=5000), 2)})
    t = prepare_tables(real, synth)
    s = SynthSummary(SummaryPlan.from_tables(t, []))
    for start in range(0, 5000, 1300):
        s.update(synth.iloc[start:start + 1300], start)
    a = np.sort(real["x"].to_numpy())
    sm, bounds = numeric_marginal(s.finish(), 0, a)
    assert sm.ks == pytest.approx(stats.ks_2samp(real["x"], synth["x"]).statistic, abs=1e-12)
    exact = SynthMarginal.from_sorted(a, np.sort(synth["x"].to_numpy()))
    assert abs(sm.w1 - exact.w1) <= bounds["w1"] + 1e-12
    assert sm.outside == exact.outside


def test_summaries_merge_equals_one_shot():
    rng = np.random.default_rng(2)
    real = pd.DataFrame({"x": rng.normal(size=300), "y": rng.exponential(size=300),
                         "c": rng.choice(["a", "b", "c"], 300), "d": rng.choice(["u", "v"], 300)})
    synth = pd.DataFrame({"x": rng.normal(size=3000), "y": rng.exponential(size=3000),
                          "c": rng.choice(["a", "b", "c"], 3000), "d": rng.choice(["u", "v"], 3000)})
    synth.loc[2500, "c"] = "late"                                          # new labels, in other parts
    synth.loc[700, "c"] = "early"
    synth.loc[[10, 2600], "d"] = ["w", None]
    synth.loc[1200, "x"] = np.nan
    t = prepare_tables(real, synth)
    plan = SummaryPlan.from_tables(t, [5, 1500, 2999])
    whole = SynthSummary(plan).update(synth, 0).finish()
    cuts = [0, 900, 2000, 3000]
    parts = [SynthSummary(plan).update(synth.iloc[a:b], a) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    merged = parts[2].merge(parts[0]).merge(parts[1]).finish()            # any order
    assert merged.rows == whole.rows == 3000
    for i in range(2):
        assert merged.categories(i) == whole.categories(i) == t.labels()[i].categories
        np.testing.assert_array_equal(merged.counts[i], whole.counts[i])
    for key in whole.cont:
        np.testing.assert_array_equal(merged.cont[key], whole.cont[key])
    for key in whole.groups:
        np.testing.assert_allclose(merged.groups[key], whole.groups[key], rtol=1e-12, atol=1e-9)
    for key in whole.trend:
        np.testing.assert_array_equal(merged.trend[key], whole.trend[key])
    for a, b in zip(merged.num, whole.num, strict=True):
        np.testing.assert_array_equal(a.count, b.count)
        np.testing.assert_array_equal(a.equal, b.equal)
        np.testing.assert_allclose(a.offset, b.offset, rtol=1e-12, atol=1e-12)
        assert (a.moments.n, a.moments.nulls) == (b.moments.n, b.moments.nulls)
        assert a.moments.mean == pytest.approx(b.moments.mean, rel=1e-13)
    np.testing.assert_allclose(merged.pm.P, whole.pm.P, rtol=1e-12)
    assert list(merged.gathered_frame().index) == [0, 1, 2]
    pd.testing.assert_frame_equal(merged.gathered_frame(), synth.iloc[[5, 1500, 2999]].reset_index(drop=True))


def test_bad_sample_fails_at_scale(tmp_path):
    real = skewed(2000, 3)
    bad = skewed(40_000, 4)
    bad["lognormal"] = bad["lognormal"] * 2.0 - 0.5         # values below and above the range
    bad.loc[:99, "lognormal"] = 10 * real["lognormal"].max()  # and a far tail
    write_parts(bad, tmp_path / "bad", 4)
    mem = synthkit.validate(real, bad, checks=["marginals", "dependence"], figures=False)
    part = synthkit.validate(real, tmp_path / "bad", checks=["marginals", "dependence"], figures=False)
    assert not part.passed
    assert {(c.statistic, c.columns) for c in part.failed()} == {(c.statistic, c.columns) for c in mem.failed()}
    assert {"wasserstein_iqr", "ks_distance"} <= {c.statistic for c in part.failed()
                                                  if c.columns == "lognormal"}
    # the marginal rows agree (a fifth of the synthetic values lie outside the reference's range,
    # where the Spearman rank bins are coarse: the pair rows are only compared by verdict)
    marg = [(a, b) for a, b in zip(mem.checks, part.checks, strict=True) if a.section == "marginals"]
    for a, b in marg:
        assert abs(a.value - b.value) <= TOL or (math.isnan(a.value) and math.isnan(b.value)), a.statistic
    assert [c.passed for c in mem.checks] == [c.passed for c in part.checks]


def _peak(path) -> int:
    real = skewed(1000, 7)
    tracemalloc.start()
    synthkit.validate(real, path, checks=["marginals", "dependence"], figures=False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_memory_does_not_grow_with_the_rows(tmp_path):
    write_parts(skewed(120_000, 8), tmp_path / "x1", 1)
    write_parts(skewed(960_000, 9), tmp_path / "x8", 8)                    # 8x the rows, same part size
    p1, p8 = _peak(tmp_path / "x1"), _peak(tmp_path / "x8")
    assert p8 <= 1.5 * p1, (p1, p8)


def test_refuses_partial_and_incomplete_datasets(tmp_path):
    real = skewed(500, 1)
    d = tmp_path / "d"
    write_parts(skewed(2000, 2), d, 2)
    (d / "part-00002.parquet.tmp").write_bytes(b"")
    with pytest.raises(DataError, match="temporary or partial"):
        synthkit.validate(real, d)
    (d / "part-00002.parquet.tmp").unlink()
    assert synthkit.validate(real, d, checks="marginals", figures=False).meta["streaming"]["parts"] == 2
    one = synthkit.validate(real, d / "part-00001.parquet", checks="marginals", figures=False)
    assert one.meta["streaming"]["parts"] == 1 and one.meta["n_synthetic"] == 1000
    with pytest.raises(DataError, match="no `\\*.parquet`"):
        synthkit.validate(real, tmp_path)


def test_a_sample_to_parquet_dataset_and_its_manifest(wine_case, tmp_path):
    pytest.importorskip("dask")
    from synthkit.scale import sample_to_parquet

    real, model, _ = wine_case
    d = tmp_path / "ds"
    sample_to_parquet(model, 3000, d, seed=1, progress=False)
    rep = synthkit.validate(real, d, checks="marginals", figures=False)
    assert rep.meta["streaming"]["rows"] == 3000
    (d / "_SUCCESS").unlink()                                              # an interrupted writer
    with pytest.raises(DataError, match="no `_SUCCESS` marker"):
        synthkit.validate(real, d, checks="marginals")
    sample_to_parquet(model, 3000, d, seed=1, progress=False)              # finished again
    shutil.copy(d / "part-00000.parquet", d / "part-00001.parquet")       # a part not listed
    with pytest.raises(DataError, match="does not match its parts"):
        synthkit.validate(real, d, checks="marginals")
    (d / "part-00001.parquet").unlink()
    doc = json.loads((d / "_manifest.json").read_text())
    doc["parts"].append({**doc["parts"][0], "name": "part-00001.parquet"})
    (d / "_manifest.json").write_text(json.dumps(doc))                    # an edited manifest
    with pytest.raises(DataError, match="not the manifest its _SUCCESS marker records"):
        synthkit.validate(real, d, checks="marginals")


def test_an_unfinished_dataset_without_markers_is_refused(wine_case, tmp_path):
    """Parts that carry synthkit's footer but no _SUCCESS / manifest (the run that wrote them
    was interrupted, or a rewrite with another model stopped after its first part) are an
    incomplete dataset, not a plain folder of parts."""
    pytest.importorskip("dask")
    from synthkit.scale import sample_to_parquet

    real, model, _ = wine_case
    d = tmp_path / "ds"
    sample_to_parquet(model, 3000, d, seed=1, partitions=1, progress=False)
    (d / "_SUCCESS").unlink()
    (d / "_manifest.json").unlink()
    with pytest.raises(DataError, match="holds parts written by synthkit .* no `_SUCCESS` marker"):
        synthkit.validate(real, d, checks="marginals")


def test_dask_frame_and_scheduler_give_the_sequential_report(tmp_path):
    dd = pytest.importorskip("dask.dataframe")
    real = skewed(1500, 1).assign(group=lambda f: np.where(f["count"] > 3, "hi", "lo"))
    synth = skewed(20_000, 2).assign(group=lambda f: np.where(f["count"] > 2, "hi", "lo"))
    synth.loc[15_000, "group"] = "new"
    write_parts(synth, tmp_path / "p", 4)
    kw = dict(checks=["marginals", "dependence", "privacy"], figures=False)
    seq = synthkit.validate(real, tmp_path / "p", **kw)
    tasks = synthkit.validate(real, tmp_path / "p", scheduler="threads", **kw)
    frame = synthkit.validate(real, dd.from_pandas(synth, npartitions=3), **kw)
    assert_reports_agree(seq, tasks, tol=1e-9)
    assert_reports_agree(seq, frame, tol=1e-9)
    assert frame.meta["streaming"]["parts"] == 3


def test_cli_validates_a_parquet_directory(tmp_path, capsys):
    real = skewed(1500, 1)
    real.to_csv(tmp_path / "real.csv", index=False)
    write_parts(skewed(8000, 2), tmp_path / "good", 2)
    bad = skewed(8000, 3)
    bad["pareto"] = bad["pareto"] * 2
    write_parts(bad, tmp_path / "bad", 2)
    base = ["validate", str(tmp_path / "real.csv")]
    assert main(base + [str(tmp_path / "good"), "--checks", "marginals,dependence", "--quiet"]) == 0
    assert main(base + [str(tmp_path / "bad"), "--checks", "marginals,dependence", "--quiet"]) == 1
    (tmp_path / "empty").mkdir()
    assert main(base + [str(tmp_path / "empty"), "--quiet"]) == 2
    assert "no `*.parquet` part files" in capsys.readouterr().err
    assert main(base + [str(tmp_path / "good"), "--quiet", "--scheduler", "tcp:/nowhere"]) == 2
    assert "scheduler address" in capsys.readouterr().err
    if importlib.util.find_spec("dask") is not None:  # one Dask task per part, the same verdicts
        for path, status in (("good", 0), ("bad", 1)):
            assert main(base + [str(tmp_path / path), "--checks", "marginals,dependence", "--quiet",
                                "--scheduler", "threads"]) == status


@pytest.mark.slow
def test_partitioned_wine_report_matches_in_memory_at_200k_rows(wine_case, tmp_path):
    real, model, _ = wine_case
    synth = model.sample(200_000, seed=4).frame
    write_parts(synth, tmp_path / "parts", 8)
    kw = dict(target="target", holdout=model.sample(80, seed=12).frame)
    assert_reports_agree(synthkit.validate(real, synth, **kw), synthkit.validate(real, tmp_path / "parts", **kw))


def test_rules_section_reads_the_gathered_rows(tmp_path):
    real = skewed(1000, 1)
    synth = skewed(6000, 2)
    synth.loc[:9, "count"] = -1                                             # ten violations
    write_parts(synth, tmp_path / "p", 3)
    kw = dict(checks=["rules"], rules=["count >= 0", "lognormal > 0"], figures=False)
    mem = synthkit.validate(real, synth, **kw)
    part = synthkit.validate(real, tmp_path / "p", **kw)
    assert [(c.statistic, c.columns, c.value, c.passed) for c in mem.checks] == \
           [(c.statistic, c.columns, c.value, c.passed) for c in part.checks]
    assert not part.passed and all("gathered in the pass" in c.detail for c in part.checks)


def test_a_model_without_rules_is_refused_for_a_partitioned_table(wine_case, tmp_path):
    real, model, synth = wine_case
    write_parts(synth.head(500), tmp_path / "p", 1)
    with pytest.raises(SpecError, match="model without rules"):
        synthkit.validate(model, tmp_path / "p")


@pytest.mark.slow
def test_distributed_client_gives_the_sequential_report(tmp_path):
    distributed = pytest.importorskip("distributed")
    real = skewed(1500, 1)
    write_parts(skewed(20_000, 2), tmp_path / "p", 4)
    kw = dict(checks=["marginals", "dependence"], figures=False)
    seq = synthkit.validate(real, tmp_path / "p", **kw)
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2,
                            dashboard_address=None) as client:
        par = synthkit.validate(real, tmp_path / "p", scheduler=client, **kw)
    assert_reports_agree(seq, par, tol=1e-9)


@pytest.mark.parametrize("m, n, q", [(50_000, 1000, 1 - 1e-4), (80_000, 178, 0.999), (60_000, 2, 0.95),
                                     (70_000, 20_000, 1 - 1e-5)])
def test_range_allowance_quantile_without_the_pmf(monkeypatch, m, n, q):
    import synthkit.validation.marginals as marginals

    monkeypatch.setattr(marginals, "BETABINOM_DIRECT_ROWS", 0)     # the integral at any size
    assert marginals._betabinom_ppf(q, m, 2, n - 1) == int(stats.betabinom.ppf(q, m, 2, n - 1))


def test_hard_cases_agree_with_in_memory(tmp_path):
    # a tiny reference, synthetic values beyond its range: quantiles read from bins past the range
    rng = np.random.default_rng(103)
    real = pd.DataFrame({"x": rng.normal(size=20), "y": rng.normal(size=20)})
    synth = pd.DataFrame({"x": rng.normal(size=20_000) * (1 + 0.6 * rng.random()) + 0.3 * rng.standard_normal(),
                          "y": rng.normal(size=20_000)})
    write_parts(synth, tmp_path / "tiny", 2)
    mem, part = (synthkit.validate(real, s, checks=["marginals"]) for s in (synth, tmp_path / "tiny"))
    assert_reports_agree(mem, part)
    # an integer column whose synthetic side has more distinct values than the summary keeps
    real = pd.DataFrame({"k": rng.integers(0, 20, 500), "y": rng.normal(size=500)})
    synth = pd.DataFrame({"k": rng.integers(0, 20, 30_000), "y": rng.normal(size=30_000)})
    synth.loc[:11_999, "k"] = rng.integers(10**5, 10**7, 12_000)
    write_parts(synth, tmp_path / "levels", 2)
    mem, part = (synthkit.validate(real, s, checks=["marginals"]) for s in (synth, tmp_path / "levels"))
    tv = [next(c.value for c in r.checks if c.statistic == "tv_distance") for r in (mem, part)]
    assert tv[0] == pytest.approx(tv[1], abs=1e-12)


def test_a_part_with_other_types_is_refused(tmp_path):
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"x": rng.normal(size=200), "c": rng.choice(list("ab"), 200)})
    first = pd.DataFrame({"x": rng.normal(size=500), "c": rng.choice(list("ab"), 500)})
    write_parts(first, tmp_path / "p", 1)
    second = first.assign(x=first["x"].astype(str))
    pq.write_table(pa.Table.from_pandas(second, preserve_index=False), tmp_path / "p" / "part-00001.parquet")
    with pytest.raises(DataError, match="numeric in the reference but label"):
        synthkit.validate(real, tmp_path / "p", checks=["marginals"])


def test_a_part_copied_over_another_is_refused_when_read(wine_case, tmp_path):
    """Each part's footer must be the manifest's entry for its name: a part copied over another
    used to be read (65,536 duplicated rows) and validated as PASSED."""
    pytest.importorskip("dask")
    from synthkit.scale import read_dataset, sample_to_parquet

    real, model, _ = wine_case
    d = tmp_path / "ds"
    sample_to_parquet(model, 140_000, d, seed=1, partitions=2, progress=False)
    shutil.copy(d / "part-00000.parquet", d / "part-00001.parquet")
    for read in (lambda: read_dataset(d), lambda: synthkit.validate(real, d, checks="marginals")):
        with pytest.raises(DataError, match="part-00001.parquet' is not the part the manifest lists"):
            read()


def test_partitioned_figures_carry_the_missing_shares(tmp_path):
    rng = np.random.default_rng(5)
    real = pd.DataFrame({"x": rng.normal(size=800), "k": rng.choice(["a", "b", "c"], 800)})
    real.loc[:79, "x"] = np.nan
    synth = pd.DataFrame({"x": rng.normal(size=6000), "k": rng.choice(["a", "b", "c"], 6000)})
    synth.loc[:299, "x"] = np.nan
    synth.loc[300:1499, "k"] = None
    write_parts(synth, tmp_path / "parts", 3)
    mem, part = (synthkit.validate(real, s, checks=["marginals"]) for s in (synth, tmp_path / "parts"))
    for name, shares in (("x", [0.1, 0.05]), ("k", [0.0, 0.2])):
        assert mem.artifacts["marginal_plots"][name]["missing"] == pytest.approx(shares)
        assert part.artifacts["marginal_plots"][name]["missing"] == pytest.approx(shares)
