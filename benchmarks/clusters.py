"""Cluster benchmark: synthkit archetypes vs repliclust, side by side.

Prints three tables:

1. **speed and constraints** for (k, p) in {(3,2), (10,10), (30,10), (10,100),
   (80,5), (100,100)}: median seconds per dataset and the share of datasets
   whose centers meet both constraints (every pairwise overlap <= max_overlap,
   every nearest-neighbour overlap >= min_overlap) under the *exact*
   Anderson–Bahadur overlap, recomputed independently here for all pairs.
   repliclust runs in a child process with a time limit per dataset.
2. **calibration per family**: two clusters at nominal overlap 0.045-0.05, the
   linear-rule overlap measured on the points (twice the empirical minimax error of
   the fitted rule) for every synthkit family, and for repliclust's families.
3. **exact vs LDA approximation** on random oblong pairs, and the exact value
   against a Monte Carlo estimate of the minimax rule's error.

Usage::

    python benchmarks/clusters.py            # full (about 10-20 minutes with repliclust)
    python benchmarks/clusters.py --quick    # a couple of minutes
    python benchmarks/clusters.py --no-repliclust

Both libraries use the same archetype parameters (repliclust's defaults:
aspect_ref 1.5, aspect_maxmin 2, radius_maxmin 3, imbalance_ratio 2,
min_overlap 0.001, max_overlap 0.05) with normal clusters in table 1.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from synthkit.clusters import Archetype  # noqa: E402
from synthkit.clusters.distributions import FAMILIES  # noqa: E402
from synthkit.overlap import (  # noqa: E402
    empirical_overlap_matrix,
    exact_q,
    lda_q,
    overlap_matrix,
    q_to_overlap,
    single_thread_blas,
)

CONFIGS = [(3, 2), (10, 10), (30, 10), (10, 100), (80, 5), (100, 100)]
MIN_OV, MAX_OV = 1e-3, 0.05
# repliclust family names for the calibration table
REPLICLUST_FAMILIES = {
    "normal": "normal", "exponential": "exponential", "lognormal": "lognormal",
    "pareto": "pareto", "student_t": "standard_t", "gamma": "gamma", "uniform": "uniform",
    "beta": "beta", "weibull": "weibull", "gumbel": "gumbel", "chisquare": "chisquare",
    "f": "f",
}


def meets(centers, covs, lo=MIN_OV, hi=MAX_OV, tol=1e-9) -> bool:
    """Both constraints under the exact overlap, all pairs (independent check)."""
    k = len(centers)
    if k < 2:
        return True
    ov = overlap_matrix(centers, covs, method="exact")
    off = ov + np.diag(np.full(k, -np.inf))
    return bool(off.max() <= hi * (1 + tol) and off.max(1).min() >= lo * (1 - tol))


def n_samples_for(k: int) -> int:
    return max(500, 20 * k)


# ------------------------------------------------------------------ repliclust child


def _repliclust_job(k, p, seed, queue):
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import repliclust

        repliclust.set_seed(seed)
        arch = repliclust.Archetype(n_clusters=k, dim=p, n_samples=n_samples_for(k),
                                    min_overlap=MIN_OV, max_overlap=MAX_OV,
                                    distributions=["normal"])
        t0 = time.perf_counter()
        mm = arch.sample_mixture_model(quiet=True)
        sizes = np.full(k, n_samples_for(k) // k)
        mm.sample_data(sizes)
        dt = time.perf_counter() - t0
    covs = np.array([ax.T @ np.diag(np.asarray(L) ** 2) @ ax
                     for ax, L in zip(mm.axes_list, mm.axis_lengths_list, strict=True)])
    queue.put((dt, np.asarray(mm.centers, float), covs))


def run_in_subprocess(target, args, timeout, default=None):
    """Run ``target(*args, queue)`` in a spawned process; its queued result, or ``default``
    when it crashes or takes longer than ``timeout`` seconds (the process is then killed)."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, q))
    proc.start()
    try:
        result = q.get(timeout=timeout)
    except Exception:  # noqa: BLE001 - timeout or crash
        result = default
    proc.join(5)
    if proc.is_alive():
        proc.terminate()
        proc.join()
    return result


def run_repliclust(k, p, seed, timeout):
    return run_in_subprocess(_repliclust_job, (k, p, seed), timeout)


def have_repliclust() -> bool:
    try:
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            import repliclust  # noqa: F401
        return True
    except Exception:  # noqa: BLE001
        return False


# ------------------------------------------------------------------ tables


def table_speed(n_ds: int, n_rep: int, timeout: float, use_rep: bool) -> list[dict]:
    rows = []
    for k, p in CONFIGS:
        arch = Archetype(n_clusters=k, dim=p, n_samples=n_samples_for(k), min_overlap=MIN_OV,
                         max_overlap=MAX_OV, on_fail="return")
        times, ok, cert = [], 0, 0
        for s in range(n_ds):
            t0 = time.perf_counter()
            ds = arch.sample(seed=1000 + s)
            times.append(time.perf_counter() - t0)
            cert += bool(ds.placement["certified"])
            with single_thread_blas():
                ok += meets(ds.mixture.centers, ds.mixture.covariances)
        row = {"k": k, "p": p, "sk_s": statistics.median(times), "sk_ok": ok / n_ds,
               "sk_cert": cert / n_ds, "n": n_ds}
        if use_rep:
            rt, rok, rn, timeouts = [], 0, 0, 0
            for s in range(n_rep):
                res = run_repliclust(k, p, 2000 + s, timeout)
                if res is None:
                    timeouts += 1
                    break  # later seeds would time out too; do not waste the budget
                dt, centers, covs = res
                rt.append(dt)
                rn += 1
                with single_thread_blas():
                    rok += meets(centers, covs)
            row.update(rep_s=statistics.median(rt) if rt else float("nan"),
                       rep_ok=rok / rn if rn else float("nan"), rep_n=rn, rep_timeouts=timeouts)
        rows.append(row)
        print_speed_row(row, use_rep, timeout)
    return rows


def print_speed_header(use_rep):
    h = f"{'k':>4} {'p':>4} | {'synthkit s/ds':>13} {'meet exact':>10} {'certified':>9}"
    if use_rep:
        h += f" | {'repliclust s/ds':>15} {'meet exact':>10} {'n':>3} | {'speed-up':>8}"
    print(h)
    print("-" * len(h))


def print_speed_row(r, use_rep, timeout):
    line = (f"{r['k']:>4} {r['p']:>4} | {r['sk_s']:>13.3f} {100 * r['sk_ok']:>9.0f}% "
            f"{100 * r['sk_cert']:>8.0f}%")
    if use_rep:
        if r["rep_n"]:
            rs = f"{r['rep_s']:>15.2f}"
            ok = f"{100 * r['rep_ok']:>9.0f}%"
            ratio = r["rep_s"] / r["sk_s"]
            sp = f"{ratio:>7.{1 if ratio < 10 else 0}f}x"
        else:
            rs = f"{'>' + format(timeout, '.0f') + ' s':>15}"
            ok = f"{'-':>10}"
            sp = f"{'>' + format(timeout / r['sk_s'], '.0f') + 'x':>8}"
        line += f" | {rs} {ok} {r['rep_n']:>3} | {sp}"
    print(line, flush=True)


def _rep_calib_job(fam, n, dim, queue):
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import repliclust

        repliclust.set_seed(7)
        arch = repliclust.Archetype(n_clusters=2, dim=dim, n_samples=n, min_overlap=0.045,
                                    max_overlap=0.05, imbalance_ratio=1, distributions=[fam],
                                    aspect_ref=2, aspect_maxmin=1.5)
        X, y = arch.synthesize(quiet=True)
    queue.put(float(empirical_overlap_matrix(X, y)[0, 1]))


def table_calibration(n: int, dims, use_rep: bool, timeout: float):
    print(f"\nCalibration: 2 clusters, nominal overlap in [0.045, 0.05], {n} points; measured = "
          f"twice the empirical minimax error of the fitted linear rule")
    head = f"{'family':>12} {'dim':>4} | {'certificate':>11} {'measured':>9} {'in 0.04-0.06':>12}"
    if use_rep:
        head += f" | {'repliclust':>10}"
    print(head)
    print("-" * len(head))
    rows = []
    for fam in sorted(FAMILIES):
        for dim in dims:
            arch = Archetype(n_clusters=2, dim=dim, n_samples=n, min_overlap=0.045,
                             max_overlap=0.05, distributions=[fam], imbalance_ratio=1,
                             aspect_ref=2, aspect_maxmin=1.5)
            ds = arch.sample(seed=3)
            emp = float(ds.empirical_overlap()[0, 1])
            row = {"family": fam, "dim": dim, "certificate": float(ds.achieved_overlap[0, 1]),
                   "measured": emp, "ok": 0.04 <= emp <= 0.06}
            line = (f"{fam:>12} {dim:>4} | {row['certificate']:>11.4f} {emp:>9.4f} "
                    f"{'yes' if row['ok'] else 'NO':>12}")
            if use_rep:
                rf = REPLICLUST_FAMILIES.get(fam)
                val = run_in_subprocess(_rep_calib_job, (rf, n, dim), timeout, float("nan"))
                row["repliclust"] = val
                line += f" | {val:>10.4f}" + ("  (its 'standard_t' is Cauchy)"
                                              if fam == "student_t" else "")
            print(line, flush=True)
            rows.append(row)
    return rows


def table_exact(n_mc: int):
    rng = np.random.default_rng(0)
    P, p = 2000, 5

    def cov():
        Q, _ = np.linalg.qr(rng.standard_normal((p, p)))
        return (Q * np.exp(rng.uniform(0, np.log(10), p)) ** 2) @ Q.T

    Si = np.array([cov() for _ in range(P)])
    Sj = np.array([cov() for _ in range(P)])
    d = rng.standard_normal((P, p))
    qe = exact_q(d, Si, Sj)
    d *= (1.96 / qe)[:, None]  # put every pair at exact overlap 0.05
    qe = exact_q(d, Si, Sj)
    ql = lda_q(d, Si, Sj)
    oe, ol = q_to_overlap(qe), q_to_overlap(ql)
    print(f"\nExact vs LDA approximation: {P} random oblong pairs (p={p}, axis ratio up to 10) "
          f"at exact overlap 0.05")
    print(f"  exact <= LDA for every pair: {bool(np.all(oe <= ol + 1e-15))}; LDA overstates by "
          f"median {100 * np.median(ol / oe - 1):.2f}%, max {100 * np.max(ol / oe - 1):.2f}%")
    # Monte Carlo check of the exact value for a few pairs
    worst = 0.0
    for e in range(5):
        q, a, _, si, _ = exact_q(d[e : e + 1], Si[e : e + 1], Sj[e : e + 1], return_direction=True)
        c = si[0] * q[0]
        xi = rng.multivariate_normal(np.zeros(p), Si[e], n_mc) @ a[0]
        xj = rng.multivariate_normal(d[e], Sj[e], n_mc) @ a[0]
        err = 0.5 * (np.mean(xi > c) + np.mean(xj <= c))
        se = np.sqrt(0.025 * 0.975 / (2 * n_mc))
        worst = max(worst, abs(err - q_to_overlap(q[0]) / 2) / se)
    print(f"  Monte Carlo ({n_mc} points per cluster, 5 pairs): largest |MC - exact| = "
          f"{worst:.2f} standard errors")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer datasets and points")
    ap.add_argument("--no-repliclust", action="store_true", help="skip repliclust")
    ap.add_argument("--datasets", type=int, default=None, help="synthkit datasets per config")
    ap.add_argument("--timeout", type=float, default=None,
                    help="seconds allowed per repliclust dataset")
    args = ap.parse_args(argv)
    use_rep = not args.no_repliclust and have_repliclust()
    n_ds = args.datasets or (3 if args.quick else 10)
    n_rep = 1 if args.quick else 3
    timeout = args.timeout or (60.0 if args.quick else 300.0)
    print(f"synthkit cluster benchmark ({'quick' if args.quick else 'full'}); repliclust "
          f"{'installed' if use_rep else 'not run'}; {os.cpu_count()} CPUs\n")
    print_speed_header(use_rep)
    table_speed(n_ds, n_rep, timeout, use_rep)
    table_calibration(40_000 if args.quick else 200_000, (2,) if args.quick else (2, 5),
                      use_rep, timeout)
    table_exact(50_000 if args.quick else 400_000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
