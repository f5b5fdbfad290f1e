"""Sampling speed of the marginal layer: 1,000,000 rows of a 10-column mixed table.

Columns: 5 parametric continuous (normal, lognormal, gamma, beta, Weibull),
2 empirical, 2 categorical, 1 integer (Poisson). Prints rows/s for synthkit's
Monte-Carlo strategy next to the raw rate of ``Generator.random((n, 10))`` in
the same run, their ratio, and the peak traced memory (tracemalloc) relative
to the output frame's size. Each timing is the best of ``--repeat`` runs.

Run:  python benchmarks/sample_speed.py [--rows 1000000] [--repeat 3]
Targets: ratio >= 15% of the raw uniform rate; peak memory < 3x the frame.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

import synthkit
from synthkit.marginals import EmpiricalMarginal
from synthkit.spec import declare_columns
from synthkit.strategies.montecarlo import MonteCarlo


def build_model() -> MonteCarlo:
    rng = np.random.default_rng(0)
    cols = declare_columns({
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
    })
    # the two empirical columns: fitted on real-looking bimodal samples
    for j, name in ((5, "emp1"), (6, "emp2")):
        x = np.concatenate([rng.normal(0, 1, 3000), rng.normal(5, 2, 2000)])
        cols[j].marginal = EmpiricalMarginal.fit(x)
        assert cols[j].name == name
    return MonteCarlo.from_spec(cols)


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
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n = args.rows
    model = build_model()
    model.sample(1000, seed=0)  # build quantile tables once (part of the model, not of sampling)

    raw = best_of(lambda: np.random.default_rng(1).random((n, 10)), args.repeat)
    ours = best_of(lambda: model.sample(n, seed=1, progress=False), args.repeat)
    ours2 = best_of(lambda: model.sample(n, seed=1, progress=False, workers=2), args.repeat)

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
    print(f"\nratio synthkit (1 thread) / raw uniforms: {raw / ours:.1%}   (target >= 15%)")
    print(f"output frame: {size / 2**20:.1f} MiB; peak traced memory while sampling: "
          f"{peak / 2**20:.1f} MiB = {peak / size:.2f}x the frame   (target < 3x)")


if __name__ == "__main__":
    main()
