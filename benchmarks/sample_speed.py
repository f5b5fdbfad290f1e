"""Sampling speed in one process: the marginal layer and the Gaussian copula.

1. Monte Carlo, 1,000,000 rows of a 10-column mixed table. Columns: 5 parametric
   continuous (normal, lognormal, gamma, beta, Weibull), 2 empirical, 2
   categorical, 1 integer (Poisson). Prints rows/s for synthkit's Monte-Carlo
   strategy (one thread, and ``workers=2``) next to the raw rate of
   ``Generator.random((n, 10))`` in the same run, their ratio, and the peak
   traced memory (tracemalloc) relative to the output frame's size. Next to them, numpy's
   own samplers for the same ten families (``Generator.normal``, ``gamma``, ``beta``, ...,
   ``choice``, ``poisson``), block by block on one and on two threads, with no frame: the
   ceiling of any sampler built on numpy.
2. Gaussian copula, 100,000 rows of a 9-column table (the 5 parametric columns,
   an empirical one, the two categorical ones and the Poisson count, correlated):
   synthkit's ``gaussian_copula`` declared from that spec and fitted on a
   5,000-row table drawn from it (one thread, and the fitted one with ``workers=2``:
   the same rows), next to ``Generator.standard_normal((n, 9))`` and, when installed,
   SDV's ``GaussianCopulaSynthesizer`` and copulas' ``GaussianMultivariate`` fitted on the
   same table (time of ``sample(n)``).

Each timing is the best of ``--repeat`` runs. ``--breakdown`` adds the Monte-Carlo cost of one
block (``BLOCK_ROWS`` rows) by stage: the draw (uniforms, and normal scores for the columns read
in normal-score space), each column's values, the typed frame, and copying the block into the
sample's columns.

Run:  python benchmarks/sample_speed.py [--rows 1000000] [--copula-rows 100000] [--repeat 3] [--breakdown]
      [--no-vine]
Targets: Monte Carlo >= 15% of the raw uniform rate with one thread and >= 100% with
two; peak memory < 3x the frame; the Gaussian copula >= 50% of the raw normal rate
and >= 50x SDV's sampling rate.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings

import numpy as np

import synthkit
from synthkit.marginals import EmpiricalMarginal
from synthkit.spec import declare_columns
from synthkit.strategies.montecarlo import MonteCarlo

#: The 10 columns: five parametric, two empirical (fitted below), two categorical, one count.
TABLE_SPEC = {
    "normal": {"distribution": "normal", "params": {"loc": 50, "scale": 10}},
    "lognormal": {"distribution": "lognormal", "params": {"s": 0.6, "scale": 30000}},
    "gamma": {"distribution": "gamma", "params": {"a": 2.5, "scale": 40}},
    "beta": {"distribution": "beta", "params": {"a": 2, "b": 5}},
    "weibull": {"distribution": "weibull", "params": {"c": 1.5, "scale": 200}},
    "emp1": {"distribution": "normal"},
    "emp2": {"distribution": "normal"},
    "segment": {"categories": ["a", "b", "c", "d"], "probs": [0.4, 0.3, 0.2, 0.1]},
    "region": {"categories": [f"r{i}" for i in range(12)]},
    "count": {"distribution": "poisson", "params": {"mu": 3.5}},
}


def build_model() -> MonteCarlo:
    rng = np.random.default_rng(0)
    cols = declare_columns(TABLE_SPEC)
    # the two empirical columns: fitted on real-looking bimodal samples
    for j, name in ((5, "emp1"), (6, "emp2")):
        x = np.concatenate([rng.normal(0, 1, 3000), rng.normal(5, 2, 2000)])
        cols[j].marginal = EmpiricalMarginal.fit(x)
        assert cols[j].name == name
    return MonteCarlo.from_spec(cols)


#: The copula's 9 columns: the table's without its second empirical column.
COPULA_SPEC = {k: v for k, v in TABLE_SPEC.items() if k != "emp2"}


def build_copula():
    """The 9-column Gaussian copula (normal-scores correlation 0.5^|i-j|) and a 5,000-row table."""
    d = len(COPULA_SPEC)
    corr = 0.5 ** np.abs(np.subtract.outer(np.arange(d), np.arange(d)))
    declared = synthkit.declare(COPULA_SPEC, correlation=corr, strategy="gaussian_copula")
    rng = np.random.default_rng(0)
    emp = declared.columns_[5]
    emp.marginal = EmpiricalMarginal.fit(np.concatenate([rng.normal(0, 1, 3000), rng.normal(5, 2, 2000)]))
    table = declared.sample(5000, seed=0).frame
    return declared, table


def other_copulas(table, n: int, repeat: int) -> list[tuple[str, float]]:
    """Seconds of ``sample(n)`` of SDV's and copulas' Gaussian copulas fitted on ``table`` (if installed)."""
    out = []
    try:
        from sdv.metadata import Metadata
        from sdv.single_table import GaussianCopulaSynthesizer
    except ImportError:
        print("(SDV not installed: its row is skipped)")
    else:
        synth = GaussianCopulaSynthesizer(Metadata.detect_from_dataframes({"table": table}))
        synth.fit({"table": table})  # SDV 2.x takes {table name: frame}
        out.append(("SDV GaussianCopulaSynthesizer", best_of(lambda: synth.sample(n), repeat)))
    try:
        from copulas.multivariate import GaussianMultivariate
        from copulas.univariate import BetaUnivariate
    except ImportError:
        print("(copulas not installed: its row is skipped)")
    else:
        # category codes as numbers; beta marginals as SDV's default (copulas' own default
        # selects among candidates including a KDE, whose ppf takes ~30 s per 1,000 rows)
        numeric = table.apply(lambda s: s.astype("category").cat.codes if s.dtype == object else s)
        gm = GaussianMultivariate(distribution=BetaUnivariate)
        gm.fit(numeric.astype(float))
        out.append(("copulas GaussianMultivariate (beta)", best_of(lambda: gm.sample(n), repeat)))
    return out


def numpy_samplers(n: int, workers: int) -> None:
    """``n`` rows of the table's ten families drawn by numpy's own samplers, no frame.

    Blocks of ``BLOCK_ROWS`` rows, block ``b`` from its own generator, spread over
    ``workers`` threads (numpy's samplers release the GIL), as synthkit's blocks are;
    the empirical columns are plain uniforms (a lower bound on any inversion).
    """
    from concurrent.futures import ThreadPoolExecutor

    from synthkit.seeding import BLOCK_ROWS

    t = {name: col.get("params", {}) for name, col in TABLE_SPEC.items()}
    segment = TABLE_SPEC["segment"]
    regions = len(TABLE_SPEC["region"]["categories"])

    def block(b: int) -> list[np.ndarray]:
        rows = min(BLOCK_ROWS, n - b * BLOCK_ROWS)
        rng = np.random.default_rng([1, b])
        return [rng.normal(t["normal"]["loc"], t["normal"]["scale"], rows),
                rng.lognormal(np.log(t["lognormal"]["scale"]), t["lognormal"]["s"], rows),
                rng.gamma(t["gamma"]["a"], t["gamma"]["scale"], rows),
                rng.beta(t["beta"]["a"], t["beta"]["b"], rows),
                t["weibull"]["scale"] * rng.weibull(t["weibull"]["c"], rows),
                rng.random(rows), rng.random(rows),
                rng.choice(len(segment["categories"]), rows, p=segment["probs"]),
                rng.integers(0, regions, rows), rng.poisson(t["count"]["mu"], rows)]

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(block, range(-(-n // BLOCK_ROWS))))


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--copula-rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--breakdown", action="store_true", help="Monte-Carlo cost of one block by stage")
    ap.add_argument("--no-vine", action="store_true", help="skip the vine's fit and sampling times")
    args = ap.parse_args()
    copula_section(args.copula_rows, max(args.repeat, 5))
    if not args.no_vine:
        vine_section(args.repeat)
    n = args.rows
    model = build_model()
    model.sample(1000, seed=0)  # build quantile tables once (part of the model, not of sampling)

    raw = best_of(lambda: np.random.default_rng(1).random((n, 10)), args.repeat)
    ours = best_of(lambda: model.sample(n, seed=1, progress=False), args.repeat)
    ours2 = best_of(lambda: model.sample(n, seed=1, progress=False, workers=2), args.repeat)
    floor = best_of(lambda: numpy_samplers(n, 1), args.repeat)
    floor2 = best_of(lambda: numpy_samplers(n, 2), args.repeat)

    tracemalloc.start()
    frame = model.sample(n, seed=1, progress=False).frame
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = frame.memory_usage(index=True, deep=False).sum()

    print(f"synthkit {synthkit.__version__}: sampling {n:,} rows x 10 mixed columns")
    print(f"{'method':<36}{'seconds':>10}{'rows/s':>16}")
    print(f"{'numpy Generator.random((n, 10))':<36}{raw:>10.3f}{n / raw:>16,.0f}")
    print(f"{'synthkit montecarlo sample':<36}{ours:>10.3f}{n / ours:>16,.0f}")
    print(f"{'  same, workers=2 (same rows)':<36}{ours2:>10.3f}{n / ours2:>16,.0f}")
    print(f"{'numpy samplers, same families':<36}{floor:>10.3f}{n / floor:>16,.0f}")
    print(f"{'  same, 2 threads':<36}{floor2:>10.3f}{n / floor2:>16,.0f}")
    print(f"\nratio synthkit (1 thread) / raw uniforms: {raw / ours:.1%}   (target >= 15%)")
    print(f"ratio synthkit (workers=2) / raw uniforms: {raw / ours2:.1%}   (target >= 100%)")
    print(f"ratio numpy samplers, no frame / raw uniforms: {raw / floor:.1%}; "
          f"2 threads: {raw / floor2:.1%}")
    print(f"output frame: {size / 2**20:.1f} MiB; peak traced memory while sampling: "
          f"{peak / 2**20:.1f} MiB = {peak / size:.2f}x the frame   (target < 3x)")
    if args.breakdown:
        breakdown(model, max(args.repeat, 5))


def breakdown(model: MonteCarlo, repeat: int) -> None:
    """Milliseconds of one Monte-Carlo block by stage (best of ``repeat``)."""
    from synthkit.seeding import BLOCK_ROWS
    from synthkit.strategies._engine import independent_scores, values_from_uniforms, values_to_frame

    rows = BLOCK_ROWS
    rng = np.random.default_rng(1)
    scores, normal = independent_scores(model, rows, rng)
    values = values_from_uniforms(model, scores, normal)
    out = [np.empty(rows, dtype=v.dtype) for v in values]

    def copy() -> None:
        for o, v in zip(out, values, strict=True):
            o[:] = v

    def column(j: int):
        cm = model.columns_[j]
        if j in normal:
            return lambda: cm.values_from_normal(scores[:, j])
        return lambda: cm.values_from_uniform(scores[:, j])

    stages = [("draw (uniforms + normal scores)", lambda: independent_scores(model, rows, rng))]
    stages += [(f"  values {cm.name} ({'normal score' if j in normal else 'uniform'})", column(j))
               for j, cm in enumerate(model.columns_)]
    stages += [("typed frame", lambda: values_to_frame(model, values)), ("copy into the sample", copy)]
    raw = best_of(lambda: rng.random((rows, 10)), repeat) * 1e3
    print(f"\none block of {rows:,} rows, by stage (ms); raw Generator.random((rows, 10)): {raw:.2f}")
    total = 0.0
    for name, fn in stages:
        t = best_of(fn, repeat) * 1e3
        total += t
        print(f"{name:<44}{t:>8.2f}")
    print(f"{'sum':<44}{total:>8.2f}   ({total / raw:.1f}x the raw uniforms)")


def vine_section(repeat: int, rows: int = 200_000) -> None:
    """The vine's fit time against gaussian_copula's, and its sampling rate, on statsmodels' randhie."""
    from synthkit.datasets import load_example

    real = load_example("statsmodels:randhie")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_gc = best_of(lambda: synthkit.fit(real, strategy="gaussian_copula"), 2)
        t = time.perf_counter()
        vine = synthkit.fit(real, strategy="vine")
        t_vine = time.perf_counter() - t
    vine.sample(1000, seed=0, progress=False)
    t_s = best_of(lambda: vine.sample(rows, seed=1, progress=False), repeat)
    rows_, cols = real.shape
    print(f"synthkit {synthkit.__version__}: vine on statsmodels:randhie ({rows_:,} x {cols})")
    print(f"fit {t_vine:.2f} s = {t_vine / t_gc:.1f}x gaussian_copula's {t_gc:.2f} s   (target <= 10x); "
          f"sampling {rows / t_s:,.0f} rows/s   (target >= 100,000)\n")


def copula_section(n: int, repeat: int) -> None:
    declared, table = build_copula()
    fitted = synthkit.fit(table, strategy="gaussian_copula")
    for m in (declared, fitted):
        m.sample(1000, seed=0)  # build quantile tables once (part of the model, not of sampling)
    d = len(COPULA_SPEC)
    raw = best_of(lambda: np.random.default_rng(1).standard_normal((n, d)), repeat)
    ours = best_of(lambda: declared.sample(n, seed=1, progress=False), repeat)
    fit = best_of(lambda: fitted.sample(n, seed=1, progress=False), repeat)
    fit2 = best_of(lambda: fitted.sample(n, seed=1, progress=False, workers=2), repeat)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the peers' fitting warnings
        others = other_copulas(table, n, repeat)
    print(f"synthkit {synthkit.__version__}: sampling {n:,} rows x {d} columns from a Gaussian copula")
    print(f"{'method':<36}{'seconds':>10}{'rows/s':>16}")
    for name, t in [(f"numpy Generator.standard_normal((n, {d}))", raw),
                    ("synthkit gaussian_copula (declared)", ours),
                    ("synthkit gaussian_copula (fitted)", fit),
                    ("  same, workers=2 (same rows)", fit2), *others]:
        print(f"{name:<36}{t:>10.3f}{n / t:>16,.0f}")
    print(f"\nratio synthkit declared / raw normals: {raw / ours:.1%}; fitted: {raw / fit:.1%}; "
          f"fitted, workers=2: {raw / fit2:.1%}   (target >= 50%)")
    for name, t in others:
        print(f"synthkit fitted is {t / fit:.1f}x faster than {name}" + ("   (target >= 50x)"
                                                                        if name.startswith("SDV") else ""))
    print()


if __name__ == "__main__":
    main()
