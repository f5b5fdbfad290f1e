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
(uniform, seeded; the synthetic ones by :func:`synthkit.validation.rowplan.synth_rows`, the
same rows for a frame and a partitioned table); the exact-copy rate uses every row of
both tables (row hashes).

Checks
------
Each check adds to its threshold a sampling allowance at the per-test level
``alpha`` (``false_fail_rate`` split over the report's tests; ``z`` the one-sided
normal quantile of ``alpha``): the ``1 - alpha`` bound of the statistic when the
synthetic rows are as far from the reference as fresh real rows, from the sizes
(``n_b`` baseline rows, ``m`` synthetic rows queried).

``exact_copy_rate``
    share of synthetic rows equal to some reference row (all columns), allowed
    ``exact_copy_rate`` above the reference's own rate (share of holdout rows found
    in the reference, or of reference rows duplicated inside the reference), plus
    ``z sqrt(p (1 - p) (1/n_b + 1/m))`` with the pooled rate ``p``.
``dcr_below_p1_share``
    share of synthetic rows whose distance to the closest reference record (DCR)
    is below the 1st percentile of the baseline DCRs (holdout -> reference, or each
    reference row -> the other reference rows when there is no holdout); about 1 %
    for a sample that is as far from the reference as fresh real data. That
    percentile lies at or below the ``k``-th smallest of the ``n_b`` baseline DCRs
    (``k = floor(0.01 (n_b - 1)) + 2``). Holdout DCRs are independent draws of the
    synthetic rows' DCR distribution, so the share of that distribution below the
    percentile is ``Beta(k, n_b + 1 - k)`` and the count of flagged synthetic rows
    ``BetaBinomial(m, k, n_b + 1 - k)``. Leave-one-out DCRs are not independent: the
    smallest ones come in mutual-nearest-neighbour pairs (both rows of the closest
    pairs), so the ``k``-th smallest is the ``j = ceil(k/2)``-th smallest pair
    distance and the count is ``BetaBinomial(m, j, n_b/2 + 1 - j)`` (its mean is up
    to twice 1 %). The allowance is the excess of that distribution's ``1 - alpha``
    quantile, over ``m``, above the nominal 1 %. When the percentile is 0 (discrete
    data where real rows have exact twins) the flag is "DCR = 0" and the allowance
    adds the baseline's own share of twins plus ``z`` pooled binomial standard
    errors.
``dcr_median_ratio`` (higher is better)
    median synthetic DCR / median baseline DCR, at least the threshold times
    ``q_b(1/2 - delta) / q_b(1/2)`` with ``q_b`` the baseline DCR quantiles and
    ``delta = z / 2 sqrt(1/n_e + 1/m)`` (the sample median's CDF level stays
    within ``delta`` of 1/2, Bahadur); ``n_e = n_b`` holdout rows, ``n_b / 2`` for
    the paired leave-one-out baseline.
``nndr_median_ratio`` (higher is better)
    median nearest-neighbour distance ratio d1/d2 of synthetic rows over that of
    the baseline rows (allowance as for the DCR ratio); a synthetic row that sits on
    one real record (and not among several) has a ratio near 0.
``closer_to_train_share`` (with a holdout)
    share of synthetic rows closer to the training rows than to the holdout rows
    (ties count one half), all ``n_t`` training and ``n_h`` holdout rows indexed. When
    the generator did not memorise its training rows, the rows of both tables are
    exchangeable for a synthetic row, so its nearest among them is a training row with
    probability ``pi = n_t / (n_t + n_h)`` (one half at equal sizes). The check is
    ``share <= pi + 2 (threshold - 1/2) (1 - pi) + z sqrt(pi (1 - pi) (1/m + 1/min(n_t, n_h)))``
    (the threshold's excess over one half, relative to the room above ``pi``; the allowance
    is the binomial noise of the ``m`` queries plus the random split into training and
    holdout); informational when that bound reaches 1. (Subsampling the training rows to
    the holdout's size instead diluted a copy: a copied row whose original was left out
    counted as safe.)
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError
from ..seeding import as_generator
from .checks import Check, bonferroni_level, z_value
from .prepare import ColumnPair, PreparedTables
from .rowplan import PRIVACY, synth_rows

__all__ = ["MAX_REFERENCE_ROWS", "MAX_QUERY_ROWS", "MixedEncoder", "check_kept_out", "row_hashes",
           "privacy_test_count", "privacy_checks"]

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


def check_kept_out(train: pd.DataFrame, hold: pd.DataFrame) -> None:
    """Refuse a holdout whose rows are largely rows of the training table.

    The attacks and distances compare the release's closeness to the training rows with
    its closeness to rows it never saw; holdout rows that are training rows make both the
    same, and the audit would pass whatever the release. A holdout row that equals a
    training row counts; the share allowed is twice the training table's own share of
    duplicated rows (twins happen in coarse data) and at least 1%.

    Examples
    --------
    >>> import pandas as pd
    >>> train = pd.DataFrame({"a": range(100)})
    >>> check_kept_out(train, pd.DataFrame({"a": range(100, 150)}))  # unseen rows: fine
    >>> check_kept_out(train, train.head(50))
    Traceback (most recent call last):
    ...
    synthkit.errors.DataError: 50 of the 50 holdout rows are rows of the data: ...
    """
    cols = [c for c in train.columns if c in hold.columns]
    if not cols or not len(hold):
        return
    inside = np.isin(pd.util.hash_pandas_object(hold[cols], index=False).to_numpy(),
                     pd.util.hash_pandas_object(train[cols], index=False).to_numpy())
    twins = float(train[cols].duplicated(keep=False).mean())
    if inside.mean() > max(0.01, 2 * twins):
        raise DataError(f"{int(inside.sum())} of the {len(hold)} holdout rows are rows of the data: the "
                        "holdout must be rows kept out of fitting the release (an audit against the "
                        "training rows passes whatever the release)")


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


def privacy_test_count(holdout: bool, attacks: int = 0) -> int:
    """Pass/fail rows of :func:`privacy_checks` (exact copies, DCR share, DCR and NNDR
    ratios, and the closer-to-train share with a holdout), plus ``attacks`` attack checks
    (:func:`synthkit.validation.attacks.attack_test_count`, run with a holdout)."""
    return (5 if holdout else 4) + int(attacks)


def _median_ratio_floor(baseline: np.ndarray, n_eff: float, m: int, z: float) -> float:
    """``q_b(1/2 - delta) / q_b(1/2)``, ``delta = z/2 sqrt(1/n_eff + 1/m)``: the lower bound
    of median(synthetic) / median(baseline) for a faithful sample."""
    med = float(np.median(baseline))
    if not med > 0:
        return 1.0
    delta = z / 2 * math.sqrt(1 / n_eff + 1 / max(m, 1))
    return float(np.quantile(baseline, max(0.5 - delta, 0.0))) / med


def _nndr(d: np.ndarray) -> np.ndarray:
    d1, d2 = d[:, 0], d[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(d2 > 0, d1 / d2, 0.0)
    return r


def privacy_checks(tables: PreparedTables, thr: dict, *, holdout: PreparedTables | None = None,
                   seed=0, max_reference_rows: int = MAX_REFERENCE_ROWS,
                   max_query_rows: int = MAX_QUERY_ROWS,
                   alpha: float | None = None, copies: tuple[int, int] | None = None,
                   synth_missing: frozenset[str] | set[str] = frozenset()) -> tuple[list[Check], dict]:
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
    alpha : float, optional
        Level of each check (default ``false_fail_rate`` split over
        :func:`privacy_test_count` checks).
    copies : (int, int), optional
        ``(synthetic rows equal to a reference row, synthetic rows)`` counted over a
        partitioned table, whose ``.synth`` arrays then hold the gathered query rows
        (:func:`synthkit.validation.rowplan.synth_rows`); ``synth_missing`` names its numeric
        columns with missing values.

    Returns
    -------
    checks : list of Check
    artifacts : dict
        ``dcr_synth``, ``dcr_baseline`` (arrays), ``baseline`` (its name), sizes.
    """
    if alpha is None:
        alpha = bonferroni_level(thr, privacy_test_count(holdout is not None))
    z = z_value(alpha, two_sided=False)
    rng = as_generator(seed)
    cols = tables.columns
    names = [c.name for c in cols]
    checks: list[Check] = []
    art: dict = {}

    # exact copies over all rows
    hr = row_hashes([c.real for c in cols])
    if copies is None:
        hs = row_hashes([c.synth for c in cols])
        copies = (int(np.isin(hs, hr).sum()), len(hs))
    copy_rate = copies[0] / copies[1]
    m_rows = copies[1]
    if holdout is not None:
        hh = row_hashes([holdout[nm].synth for nm in names])
        base_rate = float(np.isin(hh, hr).mean())
        base_name = "holdout rows found in the reference"
        n_base = len(hh)
    else:
        _, inv, counts = np.unique(hr, return_inverse=True, return_counts=True)
        base_rate = float((counts[inv] > 1).mean())
        base_name = "reference rows duplicated inside the reference"
        n_base = len(hr)
    pooled = (base_rate * n_base + copy_rate * m_rows) / (n_base + m_rows)
    allow = z * math.sqrt(pooled * (1 - pooled) * (1 / n_base + 1 / m_rows))
    t = thr["exact_copy_rate"] + base_rate + allow
    checks.append(Check("privacy", "exact_copy_rate", "*", copy_rate, t, copy_rate <= t,
                        f"share of synthetic rows equal to a reference row; baseline "
                        f"{base_rate:.4f} ({base_name}); allowance {allow:.4f}"))

    if tables.n_real < 3 or (holdout is not None and holdout.n_synth < 2):
        checks.append(Check("privacy", "dcr", "*", math.nan, None, None,
                            "distance checks skipped: they need at least 3 reference rows "
                            "(and 2 holdout rows)"))
        art["score"] = 0.0 if copy_rate > t else 1.0
        return checks, art
    hold_missing = set() if holdout is None else {
        nm for nm in names if holdout[nm].is_numeric and np.isnan(holdout[nm].synth).any()}
    enc = MixedEncoder(cols, also_missing=hold_missing | set(synth_missing))
    ir = _subsample(tables.n_real, max_reference_rows, rng)
    is_ = synth_rows(seed, tables.n_synth, max_query_rows, PRIVACY)
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
    nb, ms = len(dcr_b), len(dcr_s)
    # leave-one-out baseline DCRs pair up (mutual nearest neighbours): half as many
    n_eff = nb if holdout is not None else nb / 2
    if p1 > 0:
        share = float((dcr_s < p1).mean())
        expected = float((dcr_b < p1).mean())
        rule = f"DCR < {p1:.4g}, the 1st percentile of the baseline DCR"
        k = math.floor(0.01 * (nb - 1)) + 2
        k = k if holdout is not None else math.ceil(k / 2)
        if k < n_eff + 1:
            bb = stats.betabinom(ms, k, n_eff + 1 - k)
            allow = max(float(bb.ppf(1 - alpha)) / ms - 0.01, 0.0)
        else:
            allow = 1.0
    else:
        # more than 1 % of the baseline rows have an exact twin (discrete data): the
        # flag becomes "sits on a reference row", compared with the baseline's share
        share = float((dcr_s <= 0).mean())
        expected = float((dcr_b <= 0).mean())
        rule = f"DCR = 0 (the baseline's 1st percentile is 0: {expected:.3f} of it are twins)"
        pooled = (expected * nb + share * ms) / (nb + ms)
        allow = max(0.0, expected - 0.01) + z * math.sqrt(pooled * (1 - pooled) * (1 / nb + 1 / ms))
    t = thr["dcr_below_p1_share"] + allow
    checks.append(Check("privacy", "dcr_below_p1_share", "*", share, t, share <= t,
                        f"share of synthetic rows with {rule} ({baseline}); baseline share "
                        f"{expected:.4f}; allowance {allow:.4f}; {sizes}"))
    med_b = float(np.median(dcr_b))
    ratio = float(np.median(dcr_s)) / med_b if med_b > 0 else (math.inf if np.median(dcr_s) > 0 else 1.0)
    floor = _median_ratio_floor(dcr_b, n_eff, ms, z)
    t = thr["dcr_median_ratio"] * floor
    checks.append(Check("privacy", "dcr_median_ratio", "*", ratio, t, ratio >= t,
                        f"median DCR synthetic {np.median(dcr_s):.4g} / baseline {med_b:.4g}; "
                        f"higher is better (at least the threshold times {floor:.4f}, the "
                        "sampling allowance)"))
    checks.append(Check("privacy", "dcr_synthetic_median", "*", float(np.median(dcr_s)), None, None,
                        "scaled Euclidean distance (see synthkit.validation.privacy)"))
    checks.append(Check("privacy", "dcr_baseline_median", "*", med_b, None, None, baseline))
    med_nb = float(np.median(nndr_b))
    nratio = float(np.median(nndr_s)) / med_nb if med_nb > 0 else 1.0
    floor = _median_ratio_floor(nndr_b, n_eff, ms, z)
    t = thr["nndr_median_ratio"] * floor
    checks.append(Check("privacy", "nndr_median_ratio", "*", nratio, t, nratio >= t,
                        f"median NNDR synthetic {np.median(nndr_s):.3f} / baseline {med_nb:.3f}; "
                        f"higher is better (at least the threshold times {floor:.4f}, the "
                        "sampling allowance)"))

    score = min(1.0, ratio) if np.isfinite(ratio) else 1.0
    if holdout is not None:
        n_t, n_h = len(xr), len(xh)
        dtr, _ = _nn(xr, xs, 1)
        dho, _ = _nn(xh, xs, 1)
        dtr, dho = dtr[:, 0], dho[:, 0]
        closer = float(((dtr < dho) + 0.5 * (dtr == dho)).mean())
        ideal = n_t / (n_t + n_h)  # exchangeable rows: the nearest of the union is a training row
        allow = z * math.sqrt(ideal * (1 - ideal) * (1 / len(xs) + 1 / min(n_t, n_h)))
        # the effect size is the threshold's excess over 1/2, relative to the room above the ideal
        t = ideal + 2 * (thr["closer_to_train_share"] - 0.5) * (1 - ideal) + allow
        what = f"ideal {ideal:.3f} (training {n_t} and holdout {n_h} rows indexed); allowance {allow:.4f}"
        if t < 1:
            checks.append(Check("privacy", "closer_to_train_share", "*", closer, t, closer <= t, what))
        else:
            checks.append(Check("privacy", "closer_to_train_share", "*", closer, None, None,
                                what + "; informational: the holdout is too small next to the "
                                "training rows for a copy to stand out"))
        score = min(1.0, max(0.0, (1 - closer) / (1 - ideal)))
        art["dcr_train"] = dtr
        art["dcr_holdout"] = dho
    art["score"] = float(max(0.0, score))
    return checks, art
