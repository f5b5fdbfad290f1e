"""Privacy checks: does any synthetic row give away a real one.

Distances on mixed types
------------------------
Rows are embedded by :class:`MixedEncoder`, fitted on the reference (training)
rows, and compared with the Euclidean distance (scikit-learn ``NearestNeighbors``):

* numeric columns (continuous, integer, datetime): ``(x - median) / IQR`` of the
  reference column (the sd when the IQR is 0, 1 for a constant column), so one
  inter-quartile range counts as distance 1 and outliers do not set the scale;
* label columns (categorical, boolean): one-hot, every entry weighted
  ``1/sqrt(2)``, so two different labels are at distance exactly 1 (as far as one
  IQR) and equal labels at 0; a missing label is a level of its own;
* missing numeric values are put at the median and flagged by an indicator
  column (weight 1), so "missing vs present" also counts 1.

Subsamples
----------
At most :data:`MAX_REFERENCE_ROWS` (20,000) reference rows are indexed and at
most :data:`MAX_QUERY_ROWS` (5,000) synthetic and holdout rows are queried
(uniform, seeded); the exact-copy rate uses every row of both tables (row
hashes).

Checks
------
``exact_copy_rate``
    share of synthetic rows equal to some reference row (all columns), allowed
    ``exact_copy_rate`` above the reference's own rate (share of holdout rows found
    in the reference, or of reference rows duplicated inside the reference).
``dcr_below_p1_share``
    share of synthetic rows whose distance to the closest reference record (DCR)
    is below the 1st percentile of the baseline DCRs (holdout -> reference, or each
    reference row -> the other reference rows when there is no holdout); about 1 %
    for a sample that is as far from the reference as fresh real data. When that
    percentile is 0 (discrete data where real rows have exact twins) the flag is
    "DCR = 0" and the allowance adds the baseline's own share of twins.
``dcr_median_ratio`` (higher is better)
    median synthetic DCR / median baseline DCR.
``nndr_median_ratio`` (higher is better)
    median nearest-neighbour distance ratio d1/d2 of synthetic rows over that of
    the baseline rows; a synthetic row that sits on one real record (and not among
    several) has a ratio near 0.
``closer_to_train_share`` (with a holdout)
    share of synthetic rows closer to the training rows than to the holdout rows,
    with both indexed at the same size (the training rows subsampled to the
    holdout's size); ~50 % when the generator did not memorise its training rows
    (ties count one half).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..seeding import as_generator
from .checks import Check
from .prepare import ColumnPair, PreparedTables

__all__ = ["MAX_REFERENCE_ROWS", "MAX_QUERY_ROWS", "MixedEncoder", "row_hashes", "privacy_checks"]

MAX_REFERENCE_ROWS = 20_000
MAX_QUERY_ROWS = 5_000


class MixedEncoder:
    """Embed mixed-type rows in a Euclidean space (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> from synthkit.validation.prepare import ColumnPair
    >>> c = ColumnPair("c", "categorical", np.array([0, 1]), np.array([1]), categories=["a", "b"])
    >>> enc = MixedEncoder([c])
    >>> x = enc.transform({"c": np.array([0, 1])})
    >>> round(float(np.linalg.norm(x[0] - x[1])), 12)
    1.0
    """

    def __init__(self, columns: list[ColumnPair], also_missing: frozenset[str] | set[str] = frozenset()):
        # also_missing: numeric columns with missing values in a further table (the holdout)
        self.specs = []
        for c in columns:
            if c.is_numeric:
                v = c.real_valid()
                if v.size:
                    med = float(np.median(v))
                    q1, q3 = np.quantile(v, [0.25, 0.75])
                    scale = float(q3 - q1)
                    if not scale > 0:
                        scale = float(v.std()) if v.std() > 0 else 1.0
                else:
                    med, scale = 0.0, 1.0
                has_null = bool(np.isnan(c.real).any() or np.isnan(c.synth).any()
                                or c.name in also_missing)
                self.specs.append(("num", c.name, med, scale, has_null))
            else:
                k = len(c.categories or [])
                self.specs.append(("lab", c.name, k, None, None))
        self.width = sum(
            (1 + int(s[4])) if s[0] == "num" else s[2] + 1 for s in self.specs
        )

    def transform(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        n = len(next(iter(arrays.values())))
        out = np.zeros((n, self.width), dtype=np.float64)
        j = 0
        w = 1 / math.sqrt(2)
        for kind, name, a, b, has_null in self.specs:
            x = arrays[name]
            if kind == "num":
                nan = np.isnan(x)
                out[:, j] = np.where(nan, 0.0, (x - a) / b)
                j += 1
                if has_null:
                    out[:, j] = nan
                    j += 1
            else:
                k = a
                codes = np.where(x < 0, k, x)  # missing -> its own level
                out[np.arange(n), j + codes] = w
                j += k + 1
        return out


def row_hashes(arrays: list[np.ndarray]) -> np.ndarray:
    """A 64-bit hash per row of aligned column arrays (floats and integer codes).

    Examples
    --------
    >>> h = row_hashes([np.array([1.0, 1.0, -0.0]), np.array([2, 2, 0])])
    >>> bool(h[0] == h[1]), bool(h[0] == h[2])
    (True, False)
    """
    n = len(arrays[0])
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for x in arrays:
            if x.dtype.kind == "f":
                x = x + 0.0  # -0.0 and 0.0 hash alike
            col = pd.util.hash_array(np.ascontiguousarray(x))
            h = h * np.uint64(1_000_003) + col
    return h


def _subsample(n: int, k: int, rng) -> np.ndarray:
    return np.sort(rng.choice(n, k, replace=False)) if n > k else np.arange(n)


def _nn(fit_x: np.ndarray, query: np.ndarray, k: int):
    from sklearn.neighbors import NearestNeighbors

    k = min(k, len(fit_x))
    nn = NearestNeighbors(n_neighbors=k, algorithm="auto").fit(fit_x)
    return nn.kneighbors(query)


def _nndr(d: np.ndarray) -> np.ndarray:
    d1, d2 = d[:, 0], d[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(d2 > 0, d1 / d2, 0.0)
    return r


def privacy_checks(tables: PreparedTables, thr: dict, *, holdout: PreparedTables | None = None,
                   seed=0, max_reference_rows: int = MAX_REFERENCE_ROWS,
                   max_query_rows: int = MAX_QUERY_ROWS) -> tuple[list[Check], dict]:
    """Exact copies, DCR, NNDR and (with a holdout) the closer-to-train share.

    Parameters
    ----------
    tables : PreparedTables
        Reference (training) rows in ``.real``, synthetic rows in ``.synth``.
    thr : dict
        Resolved thresholds.
    holdout : PreparedTables, optional
        The holdout rows in ``.synth`` of a second preparation against the same
        reference (same columns and category codes).
    seed : int or Generator
        Seed of the subsamples.

    Returns
    -------
    checks : list of Check
    artifacts : dict
        ``dcr_synth``, ``dcr_baseline`` (arrays), ``baseline`` (its name), sizes.
    """
    rng = as_generator(seed)
    cols = tables.columns
    names = [c.name for c in cols]
    checks: list[Check] = []
    art: dict = {}

    # exact copies over all rows
    hr = row_hashes([c.real for c in cols])
    hs = row_hashes([c.synth for c in cols])
    copy_rate = float(np.isin(hs, hr).mean())
    if holdout is not None:
        hh = row_hashes([holdout[nm].synth for nm in names])
        base_rate = float(np.isin(hh, hr).mean())
        base_name = "holdout rows found in the reference"
    else:
        _, inv, counts = np.unique(hr, return_inverse=True, return_counts=True)
        base_rate = float((counts[inv] > 1).mean())
        base_name = "reference rows duplicated inside the reference"
    t = thr["exact_copy_rate"] + base_rate
    checks.append(Check("privacy", "exact_copy_rate", "*", copy_rate, t, copy_rate <= t,
                        f"share of synthetic rows equal to a reference row; baseline "
                        f"{base_rate:.4f} ({base_name})"))

    if tables.n_real < 3 or (holdout is not None and holdout.n_synth < 2):
        checks.append(Check("privacy", "dcr", "*", math.nan, None, None,
                            "distance checks skipped: they need at least 3 reference rows "
                            "(and 2 holdout rows)"))
        art["score"] = 0.0 if copy_rate > t else 1.0
        return checks, art
    hold_missing = set() if holdout is None else {
        nm for nm in names if holdout[nm].is_numeric and np.isnan(holdout[nm].synth).any()}
    enc = MixedEncoder(cols, also_missing=hold_missing)
    ir = _subsample(tables.n_real, max_reference_rows, rng)
    is_ = _subsample(tables.n_synth, max_query_rows, rng)
    xr = enc.transform({c.name: c.real[ir] for c in cols})
    xs = enc.transform({c.name: c.synth[is_] for c in cols})
    ds, _ = _nn(xr, xs, 2)
    dcr_s = ds[:, 0]
    nndr_s = _nndr(ds) if ds.shape[1] > 1 else np.zeros(len(ds))

    if holdout is not None:
        ih = _subsample(holdout.n_synth, max_query_rows, rng)
        xh = enc.transform({nm: holdout[nm].synth[ih] for nm in names})
        dh, _ = _nn(xr, xh, 2)
        dcr_b = dh[:, 0]
        nndr_b = _nndr(dh) if dh.shape[1] > 1 else np.zeros(len(dh))
        baseline = "holdout -> reference"
    else:
        iq = _subsample(len(xr), max_query_rows, rng)
        d, idx = _nn(xr, xr[iq], 3)
        # drop the query row itself (not a duplicate of it) from its neighbours
        keep = idx != iq[:, None]
        d_other = np.array([row[k][:2] if k.sum() >= 2 else np.r_[row[k], np.inf][:2]
                            for row, k in zip(d, keep, strict=True)])
        dcr_b = d_other[:, 0]
        nndr_b = _nndr(d_other)
        baseline = "reference -> other reference rows (leave-one-out)"
    art.update(dcr_synth=dcr_s, dcr_baseline=dcr_b, baseline=baseline,
               n_reference_indexed=int(len(xr)), n_synth_queried=int(len(xs)),
               n_baseline_queried=int(len(dcr_b)))
    sizes = (f"{len(xr)} reference rows indexed, {len(xs)} synthetic and {len(dcr_b)} baseline "
             f"rows queried")

    p1 = float(np.quantile(dcr_b, 0.01))
    if p1 > 0:
        share = float((dcr_s < p1).mean())
        expected = float((dcr_b < p1).mean())
        rule = f"DCR < {p1:.4g}, the 1st percentile of the baseline DCR"
    else:
        # more than 1 % of the baseline rows have an exact twin (discrete data): the
        # flag becomes "sits on a reference row", compared with the baseline's share
        share = float((dcr_s <= 0).mean())
        expected = float((dcr_b <= 0).mean())
        rule = f"DCR = 0 (the baseline's 1st percentile is 0: {expected:.3f} of it are twins)"
    allow = max(0.0, expected - 0.01) + 3 * math.sqrt(max(expected, 0.01) * (1 - max(expected, 0.01))
                                                      / len(dcr_s))
    t = thr["dcr_below_p1_share"] + allow
    checks.append(Check("privacy", "dcr_below_p1_share", "*", share, t, share <= t,
                        f"share of synthetic rows with {rule} ({baseline}); baseline share "
                        f"{expected:.4f}; {sizes}"))
    med_b = float(np.median(dcr_b))
    ratio = float(np.median(dcr_s)) / med_b if med_b > 0 else (math.inf if np.median(dcr_s) > 0 else 1.0)
    t = thr["dcr_median_ratio"]
    checks.append(Check("privacy", "dcr_median_ratio", "*", ratio, t, ratio >= t,
                        f"median DCR synthetic {np.median(dcr_s):.4g} / baseline {med_b:.4g}; "
                        "higher is better (at least the threshold)"))
    checks.append(Check("privacy", "dcr_synthetic_median", "*", float(np.median(dcr_s)), None, None,
                        "scaled Euclidean distance (see synthkit.validation.privacy)"))
    checks.append(Check("privacy", "dcr_baseline_median", "*", med_b, None, None, baseline))
    med_nb = float(np.median(nndr_b))
    nratio = float(np.median(nndr_s)) / med_nb if med_nb > 0 else 1.0
    t = thr["nndr_median_ratio"]
    checks.append(Check("privacy", "nndr_median_ratio", "*", nratio, t, nratio >= t,
                        f"median NNDR synthetic {np.median(nndr_s):.3f} / baseline {med_nb:.3f}; "
                        "higher is better (at least the threshold)"))

    score = min(1.0, ratio) if np.isfinite(ratio) else 1.0
    if holdout is not None:
        k = min(len(xh), len(xr))
        ir2 = _subsample(len(xr), k, rng)
        ih2 = _subsample(len(xh), k, rng)
        dtr, _ = _nn(xr[ir2], xs, 1)
        dho, _ = _nn(xh[ih2], xs, 1)
        dtr, dho = dtr[:, 0], dho[:, 0]
        closer = float(((dtr < dho) + 0.5 * (dtr == dho)).mean())
        allow = 3 * math.sqrt(0.25 / len(xs))
        t = thr["closer_to_train_share"] + allow
        checks.append(Check("privacy", "closer_to_train_share", "*", closer, t, closer <= t,
                            f"ideal ~0.5; training and holdout both indexed at {k} rows; "
                            f"allowance {allow:.4f}"))
        score = min(1.0, max(0.0, 2 * (1 - closer)))
        art["dcr_train_equal"] = dtr
        art["dcr_holdout_equal"] = dho
    art["score"] = float(max(0.0, score))
    return checks, art
