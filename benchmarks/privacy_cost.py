"""Benchmark: the statistical cost of the fit-time privacy protections.

For each public example table, fits ``gaussian_copula`` with the protections off
and with ``privacy="standard"`` (rare levels and values merged, extremes
top/bottom coded, empirical quantile functions kept to at most
``min(256, n // 5)`` knots: :mod:`synthkit.privacy.protections`), samples
``len(real)`` rows with ``--reps`` seeds and prints the SDMetrics QualityReport
scores against the *unprotected* real table (overall Quality, Column Shapes,
Column Pair Trends), their mean over the seeds and the difference with its
standard error ``sqrt(sd_off^2 / r + sd_std^2 / r)``.

Strategies that take a ``privacy`` parameter are fitted with it; otherwise the
protections are applied around the fit the same way (protect the frame, fit,
compress the fitted marginals, then estimate the dependence on the compressed
ones).

Run::

    python benchmarks/privacy_cost.py                    # 6 tables x 10 seeds (~2 min on 2 cores)
    python benchmarks/privacy_cost.py --tables sklearn:wine --reps 3
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import metadata_for  # noqa: E402  (the scripts run as files)

warnings.filterwarnings("ignore")

TABLES = ["sklearn:wine", "sklearn:breast_cancer", "sklearn:iris", "sklearn:diabetes",
          "statsmodels:fair", "statsmodels:macrodata"]


def has_privacy_parameter() -> bool:
    from synthkit.strategies.base import Strategy

    return "privacy" in inspect.signature(Strategy.__init__).parameters


def fit(real: pd.DataFrame, privacy: str):
    """``gaussian_copula`` fitted with ``privacy`` ("off" or "standard")."""
    import synthkit

    if has_privacy_parameter():
        return synthkit.fit(real, strategy="gaussian_copula", privacy=privacy)
    if privacy == "off":
        return synthkit.fit(real, strategy="gaussian_copula")
    from synthkit.privacy.protections import PrivacyPolicy, protect_columns, protect_frame

    policy = PrivacyPolicy(mode=privacy)
    frame, _ = protect_frame(real, policy)
    model = synthkit.fit(frame, strategy="gaussian_copula")
    columns, _ = protect_columns(model.columns_, model.n_train_, policy)
    model.columns_ = columns  # the dependence is estimated through the compressed marginals
    dependence = model._estimate(frame.rename(columns=str))
    model._set_state(model.schema_, columns, dependence, n_train=model.n_train_)
    return model


def quality(real: pd.DataFrame, synth: pd.DataFrame, meta: dict) -> tuple[float, float, float]:
    """(Quality, Column Shapes, Column Pair Trends) of SDMetrics' single-table QualityReport."""
    try:
        from sdmetrics.reports.single_table import QualityReport
    except ImportError:  # synthkit's SDMetrics-compatible scores (agree to 1e-3)
        import synthkit

        rep = synthkit.validate(real, synth, checks=["marginals", "dependence"], figures=False)
        art = rep.artifacts["sdmetrics"]
        shapes, pairs = art["column_shapes_score"], art["column_pair_trends_score"]
        return float(np.nanmean([shapes, pairs])), shapes, pairs
    qr = QualityReport()
    qr.generate(real, synth, meta, verbose=False)
    props = qr.get_properties().set_index("Property")["Score"]
    return float(qr.get_score()), float(props["Column Shapes"]), float(props["Column Pair Trends"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tables", nargs="*", default=TABLES)
    ap.add_argument("--reps", type=int, default=10)
    args = ap.parse_args()
    from synthkit.datasets import load_example

    print(f"privacy parameter of the strategies: {'yes' if has_privacy_parameter() else 'no (emulated)'}")
    header = (f"{'table':24s} {'rows':>5s}  {'Quality off':>12s} {'standard':>9s} {'diff':>8s} "
              f"{'+-se':>6s}  {'Shapes off':>10s} {'std':>6s}  {'Pairs off':>9s} {'std':>6s}  {'fit s':>5s}")
    print(header)
    print("-" * len(header))
    for name in args.tables:
        real = load_example(name)
        meta = metadata_for(real)
        scores = {}
        t0 = time.perf_counter()
        for privacy in ("off", "standard"):
            model = fit(real, privacy)
            scores[privacy] = np.array([quality(real, model.sample(len(real), seed=s).frame, meta)
                                        for s in range(args.reps)])
        off, std = scores["off"], scores["standard"]
        diff = std[:, 0].mean() - off[:, 0].mean()
        se = np.sqrt(off[:, 0].var(ddof=1) / len(off) + std[:, 0].var(ddof=1) / len(std)) \
            if args.reps > 1 else float("nan")
        print(f"{name:24s} {len(real):5d}  {off[:, 0].mean():12.4f} {std[:, 0].mean():9.4f} "
              f"{diff:+8.4f} {se:6.4f}  {off[:, 1].mean():10.4f} {std[:, 1].mean():6.4f}  "
              f"{off[:, 2].mean():9.4f} {std[:, 2].mean():6.4f}  {time.perf_counter() - t0:5.1f}",
              flush=True)


if __name__ == "__main__":
    main()
