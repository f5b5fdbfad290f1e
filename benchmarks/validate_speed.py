"""Benchmark: validate a 1,000,000 x 20 synthetic table against a 1,000,000 x 20 real one.

Both tables are mixed-type (14 continuous columns with skewed marginals, 2
integer-coded, 3 categorical, 1 boolean; 1 % missing values in two columns) and
correlated through a latent Gaussian; the "synthetic" one is an independent draw
of the same model. Prints the seconds per section, the total, and the peak
resident memory of the process (``ru_maxrss``, which includes the two tables).

With sdmetrics installed, its QualityReport (Column Shapes + Column Pair
Trends) runs on the same tables, cut to ``--peer-rows`` rows, side by side.

Run::

    python benchmarks/validate_speed.py                 # 1e6 x 20, privacy on its subsample
    python benchmarks/validate_speed.py --rows 200000   # smaller
    python benchmarks/validate_speed.py --peer-rows 0   # skip sdmetrics
    python benchmarks/validate_speed.py --holdout-rows 100000   # + the attacks on a holdout

``--holdout-rows N`` passes a third independent draw of ``N`` rows as the holdout: the
privacy section then also runs the four attacks (singling out, linkability, inference,
membership) on training and holdout rows, and its seconds include them.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np
import pandas as pd
from scipy import special


def make_table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = 20
    a = np.random.default_rng(12345).normal(size=(d, 3))   # three latent factors
    cov = a @ a.T + 0.5 * np.eye(d)
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    z = rng.standard_normal((n, d)) @ np.linalg.cholesky(corr).T
    u = special.ndtr(z)
    cols = {}
    for j in range(14):
        if j % 3 == 0:
            cols[f"x{j}"] = np.exp(z[:, j])                       # lognormal
        elif j % 3 == 1:
            cols[f"x{j}"] = -np.log1p(-u[:, j]) * (j + 1)        # exponential
        else:
            cols[f"x{j}"] = np.round(50 + 10 * z[:, j], 2)      # normal, 2 decimals
    cols["rating"] = np.floor(u[:, 14] * 5) + 1.0               # integer-coded float 1..5
    cols["children"] = np.minimum(np.floor(-np.log1p(-u[:, 15]) * 1.5), 9.0)
    cats = np.array(["north", "south", "east", "west", "centre"])
    cols["region"] = pd.Categorical(cats[np.minimum((u[:, 16] ** 1.5 * 5).astype(int), 4)])
    seg = np.array([f"s{k:02d}" for k in range(12)])
    cols["segment"] = seg[np.minimum((u[:, 17] * 12).astype(int), 11)]
    cols["plan"] = np.where(u[:, 18] < 0.3, "basic", np.where(u[:, 18] < 0.8, "plus", "pro"))
    cols["active"] = u[:, 19] > 0.4
    frame = pd.DataFrame(cols)
    for c in ("x1", "x5"):
        frame.loc[rng.random(n) < 0.01, c] = np.nan
    return frame


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--peer-rows", type=int, default=100_000,
                   help="rows for the sdmetrics QualityReport (0 = skip)")
    p.add_argument("--html", default=None, help="also write the HTML report here (timed)")
    p.add_argument("--holdout-rows", type=int, default=0,
                   help="rows of an independent holdout (privacy attacks; 0 = none)")
    args = p.parse_args(argv)

    import synthkit

    t0 = time.perf_counter()
    real = make_table(args.rows, 1)
    synth = make_table(args.rows, 2)
    t_make = time.perf_counter() - t0
    print(f"tables: 2 x {real.shape[0]:,} rows x {real.shape[1]} columns "
          f"(made in {t_make:.1f} s); peak RSS so far {peak_mb():.0f} MB")
    holdout = make_table(args.holdout_rows, 3) if args.holdout_rows else None
    if holdout is not None:
        print(f"holdout: {len(holdout):,} rows (the privacy section runs the attacks)")
    t0 = time.perf_counter()
    report = synthkit.validate(real, synth, target="plan", holdout=holdout)
    wall = time.perf_counter() - t0
    print()
    cpu = report.meta.get("cpu_seconds", {})
    print("(wall = elapsed seconds; cpu = process CPU seconds, all threads: on a busy machine")
    print(" the wall time includes waiting for the cores)")
    print(f"{'section':<18}{'wall s':>9}{'cpu s':>9}")
    for k, v in report.meta["seconds"].items():
        if k != "total":
            print(f"{k:<18}{v:>9.2f}{cpu.get(k, float('nan')):>9.2f}")
    print(f"{'validate() total':<18}{wall:>9.2f}{cpu.get('total', float('nan')):>9.2f}")
    if args.html:
        t0 = time.perf_counter()
        report.to_html(args.html)
        print(f"{'to_html':<18}{time.perf_counter() - t0:>9.2f}")
    print(f"peak RSS (process, tables included): {peak_mb():.0f} MB")
    print(f"verdict: {'PASSED' if report.passed else 'FAILED'}; scores "
          + ", ".join(f"{k} {v:.3f}" for k, v in report.score.items()))
    for c in report.failed():
        print(f"  failed: {c.section} {c.statistic} {c.columns} {c.value:.4f} > {c.threshold:.4f}")

    if args.peer_rows:
        import warnings

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from sdmetrics.reports.single_table import QualityReport
        except ImportError:
            print("\nsdmetrics not installed: peer comparison skipped")
            return 0
        n = min(args.peer_rows, args.rows)
        r, s = real.iloc[:n].copy(), synth.iloc[:n].copy()
        meta = {"columns": {}}
        for c in r.columns:
            kind = report.meta["kinds"][c]
            meta["columns"][c] = {"sdtype": {"continuous": "numerical", "integer": "numerical",
                                             "categorical": "categorical",
                                             "boolean": "boolean"}[kind]}
        t0 = time.perf_counter()
        qr = QualityReport()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas FutureWarnings from inside sdmetrics
            qr.generate(r, s, meta, verbose=False)
        t_peer = time.perf_counter() - t0
        t0 = time.perf_counter()
        mine = synthkit.validate(r, s, checks=["marginals", "dependence"], figures=False)
        t_mine = time.perf_counter() - t0
        props = qr.get_properties().set_index("Property")["Score"]
        print(f"\nside by side on {n:,} rows (Column Shapes + Column Pair Trends):")
        sd = mine.artifacts["sdmetrics"]
        print("(pairs = Column Pair Trends over the pairs with real |r| > 0.5 or Cramer's V > 0.3,"
              " as SDMetrics 0.32 counts them; all = over every pair)")
        print(f"{'tool':<28}{'seconds':>9}{'shapes':>9}{'pairs':>9}{'all':>9}")
        print(f"{'sdmetrics QualityReport':<28}{t_peer:>9.2f}{props['Column Shapes']:>9.4f}"
              f"{props['Column Pair Trends']:>9.4f}{'-':>9}")
        print(f"{'synthkit (marg.+dep.)':<28}{t_mine:>9.2f}{sd['column_shapes_score']:>9.4f}"
              f"{sd['column_pair_trends_sdmetrics']:>9.4f}"
              f"{sd['column_pair_trends_all_pairs']:>9.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
