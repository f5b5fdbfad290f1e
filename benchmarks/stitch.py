"""Stitching two sources by statistical matching: how close the cross-source correlations come.

statsmodels' ``fair`` (6,366 rows) is split at random into two halves sharing three columns:
the left half keeps ``yrs_married, rate_marriage``, the right half two other columns, and an
auxiliary table holds 5% of the rows with all four. For two choices of shared columns (ones
that carry the dependence, ones that carry almost none), the table prints the mean absolute
error of the four cross-source correlations against the complete table's, mean and standard
error over the splits: a random join, ``synthkit.stitch`` by hot-deck and by model, each
without and with the auxiliary rows. Then the match-distance summary of the first split
(hot-deck with ``k=1``, ``k=5`` and ``donor_cap=2``) and the seconds per call.

Run: ``python benchmarks/stitch.py [--splits 5]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import statsmodels.api as sm

import synthkit

Y = ["yrs_married", "rate_marriage"]
SETUPS = {
    "age, educ, religious (children, affairs)": (["age", "educ", "religious"], ["children", "affairs"]),
    "educ, religious, occupation (age, children)": (["educ", "religious", "occupation"],
                                                    ["age", "children"]),
}
METHODS = ["random join", "hotdeck", "hotdeck + aux", "model", "model + aux"]


def split(fair: pd.DataFrame, on: list[str], z: list[str], seed: int):
    """Left and right halves sharing ``on``, and 5% of the rows complete on ``Y + z``."""
    idx = np.random.default_rng(seed).permutation(len(fair))
    half = len(fair) // 2
    left, right = fair.iloc[idx[:half]][on + Y], fair.iloc[idx[half:]][on + z]
    aux = fair.iloc[idx[:len(fair) // 20]][Y + z]
    return left, right, aux


def cross_error(frame: pd.DataFrame, truth: pd.DataFrame, z: list[str]) -> float:
    """Mean absolute error of the left-only x right-only correlations."""
    return float(np.abs(frame[Y + z].corr().loc[Y, z].to_numpy() - truth.loc[Y, z].to_numpy()).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--splits", type=int, default=5)
    args = ap.parse_args()
    fair = sm.datasets.fair.load_pandas().data
    truth = fair.corr()
    rows, secs = [], {m: [] for m in METHODS[1:]}
    for name, (on, z) in SETUPS.items():
        errs = {m: [] for m in METHODS}
        for seed in range(args.splits):
            left, right, aux = split(fair, on, z, seed)
            rnd = left.assign(**{c: right[c].sample(len(left), replace=True, random_state=seed).to_numpy()
                                 for c in z})
            errs["random join"].append(cross_error(rnd, truth, z))
            for method in ("hotdeck", "model"):
                for label, a in (("", None), (" + aux", aux)):
                    t0 = time.perf_counter()
                    res = synthkit.stitch(left, right, on=on, method=method, auxiliary=a, seed=seed)
                    secs[method + label].append(time.perf_counter() - t0)
                    errs[method + label].append(cross_error(res.frame, truth, z))
        mean = {m: np.mean(e) for m, e in errs.items()}
        se = {m: np.std(e, ddof=1) / np.sqrt(len(e)) if len(e) > 1 else np.nan for m, e in errs.items()}
        rows.append({"shared (right-only)": name, **{m: f"{mean[m]:.3f} ± {se[m]:.3f}" for m in METHODS}})
    pd.set_option("display.width", 200)
    print(f"fair: {len(fair)} rows, halves of {len(fair) // 2}, auxiliary {len(fair) // 20} rows; "
          f"cross-source correlation error, mean ± se over {args.splits} splits")
    print(pd.DataFrame(rows).set_index("shared (right-only)").to_string())

    on, z = SETUPS[next(iter(SETUPS))]
    left, right, _ = split(fair, on, z, 0)
    summaries = {label: synthkit.stitch(left, right, on=on, seed=0, **kw).summary()
                 for label, kw in (("k=1", {"k": 1}), ("k=5", {}), ("k=5, donor_cap=2", {"donor_cap": 2}))}
    print(f"\nmatch distances, first split, shared {', '.join(on)}:")
    print(pd.DataFrame(summaries).round(3).to_string())
    print("\nseconds per call (mean): " + ", ".join(f"{m} {np.mean(s):.2f}" for m, s in secs.items()))


if __name__ == "__main__":
    main()
