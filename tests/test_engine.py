"""The sampling engine, the fitted state, the stratification wrapper and the strategy contract."""

import ast
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import synthkit
from synthkit.dataset import SyntheticDataset
from synthkit.dependence.copula import vine_available
from synthkit.errors import SpecError
from synthkit.seeding import BLOCK_ROWS
from synthkit.testing import frame_hash, mixed_table

STRATEGIES = ["montecarlo", "gaussian_copula", "t_copula", "iman_conover", "cholesky"]


@pytest.fixture(scope="module")
def table():
    return mixed_table(400, seed=3)


@pytest.mark.parametrize(("name", "params"), [(s, {}) for s in STRATEGIES]
                         + [("cholesky", {"exact": True}), ("montecarlo", {"stratify": "segment"})])
def test_blocks_drawn_alone_make_the_sample(name, params, table):
    # partitioned sampling: block b drawn on its own (as another process would) is rows
    # [b * BLOCK_ROWS, (b + 1) * BLOCK_ROWS) of the sample, exact Cholesky's whole-sample
    # whitening included
    model = synthkit.fit(table, strategy=name, **params)
    n = BLOCK_ROWS + 500
    ref = model.sample(n, seed=11).frame
    parts = [model.sample_block(b, 11, n=n) for b in range(2)]
    assert [len(p) for p in parts] == [BLOCK_ROWS, 500]
    joined = model._restore_dtypes(pd.concat(parts, ignore_index=True))
    assert frame_hash(joined) == frame_hash(ref)


def test_exact_cholesky_blocks_share_the_whole_sample_whitening():
    m = synthkit.declare({"a": {"distribution": "normal"}, "b": {"distribution": "normal"}},
                         strategy="cholesky", correlation=[[1, 0.6], [0.6, 1]], exact=True)
    n = BLOCK_ROWS + 300
    x = pd.concat([m.sample_block(b, 2, n=n) for b in range(2)], ignore_index=True).to_numpy()
    # the exact map makes the whole sample's correlation the target to machine precision
    assert abs(np.corrcoef(x.T)[0, 1] - 0.6) < 1e-12


def test_rule_sampling_is_the_same_whatever_the_chunking(table):
    model = synthkit.fit(table, strategy="gaussian_copula", rules=["age > 44"])
    n = BLOCK_ROWS + 700  # about half of each round is accepted: several rounds per block
    ref = model.sample(n, seed=4).frame
    assert (ref["age"] > 44).all() and len(ref) == n
    for chunk, workers in ((9_999, 1), (BLOCK_ROWS // 3, 3)):
        got = pd.concat(list(model.iter_chunks(n, seed=4, chunk_rows=chunk, workers=workers)),
                        ignore_index=True)
        assert frame_hash(model._restore_dtypes(got)) == frame_hash(ref)
    # partitioned: block b alone is rows [b * BLOCK_ROWS, (b + 1) * BLOCK_ROWS) of the sample
    parts = [model.sample_block(b, 4, n=n) for b in range(2)]
    assert [len(p) for p in parts] == [BLOCK_ROWS, 700]
    joined = model._restore_dtypes(pd.concat(parts, ignore_index=True))
    assert frame_hash(joined) == frame_hash(ref)


def test_fitted_iman_conover_is_validated_on_its_own_scale():
    # Iman–Conover's fitted target is Spearman's rho; comparing the sample's normal-scores
    # correlation with it reported a gap that is only the difference of the two measures
    rng = np.random.default_rng(3)
    n_fit, n = 3000, 20_000
    z = rng.multivariate_normal([0, 0, 0], [[1, .7, .4], [.7, 1, .5], [.4, .5, 1]], size=n_fit)
    df = pd.DataFrame({"a": np.exp(z[:, 0]), "b": z[:, 1] ** 3, "c": np.exp(2 * z[:, 2])})
    model = synthkit.fit(df, strategy="iman_conover", privacy="off")  # target: the table's own rho
    synth = model.sample(n, seed=1).frame
    report = synthkit.validate(model, synth, checks="dependence")
    worst = next(c for c in report.checks if c.statistic.endswith("_declared_max_abs_diff"))
    assert worst.statistic == "spearman_declared_max_abs_diff"
    # Spearman's standard error at n rows is below 1.1 (1 - rho^2) / sqrt(n) <= 1.1 / sqrt(n)
    assert worst.value < 3 * 1.1 / np.sqrt(n) and worst.passed
    # the target is the data's Spearman (continuous columns: no ties to break)
    assert model.dependence_.measure == "spearman"
    np.testing.assert_allclose(model.dependence_.matrix, stats.spearmanr(df).statistic, atol=1e-12)


def test_declared_target_keeps_its_own_type():
    m = synthkit.declare({"a": {"distribution": "exponential"}, "b": {"distribution": "normal"}},
                         strategy="gaussian_copula", correlation=[[1, 0.5], [0.5, 1]],
                         correlation_type="pearson")
    matrix, measure = m.dependence_.comparable()
    assert measure == "pearson" and matrix[0, 1] == 0.5
    assert m.dependence_.measure == "normal_scores" and m.correlation_[0, 1] != 0.5  # NORTA's latent


@pytest.mark.skipif(not vine_available(), reason="pyvinecopulib not installed")
def test_stratified_vine_fits_no_pooled_vine(monkeypatch, wine):
    import synthkit.strategies.vine as vine_module

    calls = []
    real_fit = vine_module.fit_vine

    def counting(u, **kw):
        calls.append(u.shape)
        return real_fit(u, **kw)

    monkeypatch.setattr(vine_module, "fit_vine", counting)
    data = wine[["alcohol", "color_intensity", "proline", "target"]]
    model = synthkit.fit(data, strategy="vine", stratify="target")
    counts = data["target"].value_counts()
    # one vine per level, on that level's rows; none on the whole table
    assert sorted(rows for rows, _ in calls) == sorted(counts.tolist())
    assert model.dependence_.latent is None
    assert model.sample(50, seed=0).frame.shape == (50, 4)


def test_stratified_wrapper_equals_the_shorthand(wine):
    short = synthkit.fit(wine, strategy="gaussian_copula", stratify="target")
    from synthkit.strategies.stratify import Stratified

    wrapper = Stratified(strategy="gaussian_copula", by="target").fit(wine)
    assert frame_hash(wrapper.sample(3000, seed=2).frame) == frame_hash(short.sample(3000, seed=2).frame)
    again = synthkit.strategies.base.Strategy.from_dict(json.loads(json.dumps(wrapper.to_dict())))
    assert frame_hash(again.sample(3000, seed=2).frame) == frame_hash(wrapper.sample(3000, seed=2).frame)


@pytest.mark.parametrize("name", synthkit.available_strategies())
def test_params_round_trip_and_set_params(name):
    klass = synthkit.get_strategy(name)
    model = klass()
    assert klass(**model.get_params()).get_params() == model.get_params()
    if name == "vine":  # fitted only: no declared-correlation parameters to expose
        assert "correlation" not in model.get_params()
    assert model.set_params(ks_tolerance=0.05) is model and model.ks_tolerance == 0.05
    with pytest.raises(SpecError, match="unknown parameter"):
        model.set_params(no_such=1)


def test_dataset_load_reads_what_save_writes(tmp_path, table):
    ds = synthkit.fit(table, strategy="gaussian_copula").sample(300, seed=0)
    back = SyntheticDataset.load(ds.save(tmp_path / "s.parquet"))
    pd.testing.assert_frame_equal(back.frame, ds.frame)
    assert back.schema.names == ds.schema.names and back.provenance == json.loads(
        json.dumps(ds.provenance))
    csv = SyntheticDataset.load(ds.save(tmp_path / "s.csv"))
    assert list(csv.frame.dtypes) == list(ds.frame.dtypes)
    # CSV keeps 17 significant digits at most
    pd.testing.assert_frame_equal(csv.frame, ds.frame, check_exact=False, rtol=1e-14)


def test_no_import_cycle_inside_strategies():
    root = Path(synthkit.__file__).parent / "strategies"
    graph = {}
    for path in root.glob("*.py"):
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    deps.add(node.module.split(".")[0])
                else:
                    deps.update(a.name for a in node.names)
        graph[path.stem] = deps & {p.stem for p in root.glob("*.py")}
    seen, stack = set(), []

    def visit(m):
        assert m not in stack, f"import cycle: {' -> '.join(stack[stack.index(m):] + [m])}"
        if m in seen:
            return
        stack.append(m)
        for d in graph.get(m, ()):
            visit(d)
        stack.pop()
        seen.add(m)

    for m in graph:
        visit(m)
