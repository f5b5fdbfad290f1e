"""Attack-based disclosure risk: singling out, linkability, attribute inference, membership.

The attacks follow the method of Giomi et al., "A Unified Framework for Quantifying
Privacy Risk in Synthetic Data" (PETS 2023): an attacker who holds the synthetic
table attacks real records. Every attack is run on *target* rows drawn from the
**training** table (the rows the generator was fitted on) and, identically, on rows
of a **control** (holdout) table the generator never saw. A generator that learned
the population, not its training rows, helps the attacker exactly as much against
both; the disclosure it causes is the excess of the training success rate over the
control success rate.

Rates, intervals, risk
----------------------
An attack made ``n`` attempts with ``k`` successes: the rate is ``p = k / n`` with the
Wilson score interval (Wilson 1927; :func:`wilson_interval`)

    ``(p + z^2/2n -+ z sqrt(p (1 - p)/n + z^2/4n^2)) / (1 + z^2/n)``,

``z`` the normal quantile of the confidence level. The excess risk is

    ``risk = (p_train - p_control) / (1 - p_control) = 1 - q_train / q_control``

with ``q = 1 - p`` the failure rates: 0 when the synthetic table helps no more against
training rows than against fresh ones, 1 when every attack that fails on a fresh row
succeeds on a training row, negative when the control rows are the easier targets. Its
interval is propagated from the two Wilson intervals by the method of variance estimates
recovery for a ratio (MOVER-R: Donner and Zou 2012, Newcombe 2016) applied to
``q_train / q_control`` (:func:`excess_risk`); it is asymmetric and stays within
``(-inf, 1]``.

Distances
---------
Linkability, inference and membership find nearest synthetic rows with a Gower-type
distance (Gower 1971): the sum over the columns of ``|x - y| / range`` for numbers (the
range over the three tables) and of ``[x != y]`` for labels; a missing value is a value
of its own (distance 0 to a missing value, 1 to any other). It is the L1 distance of an
embedding: a number ``u = (x - min) / range`` in [0, 1] becomes ``u`` (or ``(u/2, u/2, 0)``
when the column has missing values, a missing one ``(0, 1/2, 1/2)``), a label a one-hot
vector with entries 1/2. Label columns with more than :data:`MAX_LABEL_LEVELS` levels keep
the most frequent ``MAX_LABEL_LEVELS - 1`` levels and put the rarer ones in one shared
level. Nearest neighbours come from a k-d tree (``scipy.spatial.cKDTree``, ``p=1``) on the
synthetic rows in a seeded random order (so ties are broken independently of the
table's order).

The attacks
-----------
``singling_out_univariate``
    predicates on one column built from the synthetic table's rare values and
    extremes: ``col == v`` for a value that occurs once, ``col <= min``, ``col >= max``,
    ``col is missing`` when one value is missing; only predicates that select exactly one
    synthetic row are kept (at most ``n_attacks``, drawn at random). An attack succeeds
    on a table when its predicate selects exactly one row of that table. The training
    and control tables are compared at the same size (the larger one subsampled), as the
    chance that a predicate singles out depends on the table's size.
``singling_out_multivariate``
    conjunctions of predicates on ``n_cols`` random columns built from a random
    synthetic row: ``col == value`` for labels (and missing values), ``col >= value`` when
    the value lies above the synthetic column's median, ``col <= value`` otherwise; kept
    when they select exactly one synthetic row (distinct predicates, at most
    ``n_attacks``, drawn from at most ``MAX_ATTEMPTS_PER_ATTACK * n_attacks`` candidates).
    The rates' denominator is ``n_attacks``, the attacks asked for: an attack that finds no
    predicate fails (the definition of Giomi et al. 2023, as in anonymeter). Duplicate rows
    are dropped from the three tables first (a repeated row can never be singled out).
``linkability``
    the columns are split into two groups ``A`` and ``B`` (what two separate data holders
    know of a person); for each target row the attacker finds its ``n_neighbors``
    nearest synthetic rows on ``A`` and on ``B``, and links the two halves when the two
    neighbour sets share a synthetic row. Random guessing links with probability
    ``1 - C(m - k, k) / C(m, k)`` (``m`` synthetic rows, ``k`` neighbours).
``inference`` (one per secret column)
    the attacker knows the target's other (auxiliary) columns and guesses the secret as
    the secret of the nearest synthetic row on those columns; a guess is right when it
    equals the secret (labels, missing values) or lies within
    ``INFERENCE_TOLERANCE * |secret|`` of it (numbers). The baseline guesses the secret
    of a random synthetic row.
``membership``
    the attacker scores each target by its distance to the closest synthetic record
    (DCR): the closer, the likelier it was a training row. The risk is the area under the
    ROC curve of that score (training rows positive, control rows negative; 0.5 = no
    better than chance), with DeLong's variance (DeLong et al. 1988) for its interval
    (``AUC -+ z se``, clipped to [0, 1]). The rates are the shares of training and
    control rows whose DCR is at most the median DCR of both groups together (the
    attacker's "member" guess). Equally many rows of both tables are scored
    (:func:`membership_risk`: :data:`MEMBERSHIP_TARGETS` by default; :func:`attack_report`:
    ``n_attacks``).

All randomness (targets, predicates, tie order) comes from ``seed``: the same seed
gives the same result.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from ..errors import DataError, SpecError
from ..seeding import as_generator, as_seed_sequence, child_generator
from .checks import Check
from .prepare import PreparedTables, as_frame, prepare_tables

__all__ = [
    "AttackResult",
    "singling_out_risk",
    "linkability_risk",
    "inference_risk",
    "membership_risk",
    "attack_report",
    "wilson_interval",
    "excess_risk",
    "attack_checks",
    "attack_test_count",
    "N_ATTACKS",
    "MAX_SECRETS",
    "MAX_LABEL_LEVELS",
    "MEMBERSHIP_TARGETS",
    "INFERENCE_TOLERANCE",
    "MAX_ATTEMPTS_PER_ATTACK",
    "attacks_frame",
    "no_holdout_check",
]

#: attacks of each kind run by :func:`synthkit.validate` (and :func:`attack_report`'s default)
N_ATTACKS = 2000
#: most secret columns :func:`attack_report` runs an inference attack on by default
MAX_SECRETS = 10
#: label columns with more levels share one level among their rarest ones in the distance
MAX_LABEL_LEVELS = 32
#: rows of each table scored by :func:`membership_risk` by default
MEMBERSHIP_TARGETS = 10_000
#: a numeric guess is right within this share of the secret's absolute value
INFERENCE_TOLERANCE = 0.05
#: the multivariate singling-out attacker tries at most this many candidates per attack
MAX_ATTEMPTS_PER_ATTACK = 50

_EQ, _LE, _GE, _NA = 0, 1, 2, 3
_PROBES = (16, 128, 1024)  # rows of a predicate's narrowest range probed before a full count
_CHUNK = 2_000_000     # most (predicate, row) pairs checked at once


@dataclass(frozen=True)
class AttackResult:
    """The outcome of one attack against training and control rows.

    Attributes
    ----------
    attack : str
        ``"singling_out_univariate"``, ``"singling_out_multivariate"``, ``"linkability"``,
        ``"inference"`` or ``"membership"``.
    target : str or None
        The secret column of an inference attack, ``None`` otherwise.
    n_attacks : int
        Attempts made against each of the training and control rows.
    train_rate, control_rate : float
        Success rates against training and control rows.
    train_ci, control_ci : tuple of float
        Their Wilson score intervals.
    baseline_rate : float
        Success rate of random guessing (NaN where it does not apply).
    risk : float
        Excess risk ``(train_rate - control_rate) / (1 - control_rate)``; for
        ``membership`` the AUC of the attack.
    risk_ci : tuple of float
        Its confidence interval.
    explanation : str
        What the attacker did and found, in one or two plain sentences.
    """

    attack: str
    target: str | None
    n_attacks: int
    train_rate: float
    train_ci: tuple[float, float]
    control_rate: float
    control_ci: tuple[float, float]
    baseline_rate: float
    risk: float
    risk_ci: tuple[float, float]
    explanation: str

    def to_dict(self) -> dict:
        """Plain-Python record."""
        return {"attack": self.attack, "target": self.target, "n_attacks": self.n_attacks,
                "train_rate": self.train_rate, "train_ci": list(self.train_ci),
                "control_rate": self.control_rate, "control_ci": list(self.control_ci),
                "baseline_rate": self.baseline_rate, "risk": self.risk,
                "risk_ci": list(self.risk_ci), "explanation": self.explanation}


# ------------------------------------------------------------------ statistics
def _z(confidence: float) -> float:
    return float(special.ndtri(0.5 + confidence / 2))


def wilson_interval(k, n, confidence: float = 0.95):
    """Wilson score interval of a binomial proportion ``k / n`` (Wilson 1927).

    ``(p + z^2/2n -+ z sqrt(p (1 - p)/n + z^2/4n^2)) / (1 + z^2/n)`` with ``p = k / n``
    and ``z = Phi^-1((1 + confidence) / 2)``; vectorised over ``k`` and ``n``.

    Examples
    --------
    >>> lo, hi = wilson_interval(10, 100)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.0552, 0.1744)
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    z = _z(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        lo, hi = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    if lo.ndim == 0:
        return float(lo), float(hi)
    return lo, hi


def excess_risk(k_train: int, n_train: int, k_control: int, n_control: int,
                confidence: float = 0.95) -> tuple[float, tuple[float, float]]:
    """Excess risk ``(p_t - p_c) / (1 - p_c)`` and its MOVER-R interval.

    With failure rates ``q = 1 - p`` the risk is ``1 - theta``, ``theta = q_t / q_c``.
    From the Wilson intervals ``(l_1, u_1)`` of ``q_t`` and ``(l_2, u_2)`` of ``q_c``
    (Donner and Zou 2012, Newcombe 2016)::

        theta_lo = (q_t q_c - sqrt((q_t q_c)^2 - l_1 u_2 (2 q_t - l_1)(2 q_c - u_2))) / (u_2 (2 q_c - u_2))
        theta_hi = (q_t q_c + sqrt((q_t q_c)^2 - u_1 l_2 (2 q_t - u_1)(2 q_c - l_2))) / (l_2 (2 q_c - l_2))

    and the risk interval is ``(1 - theta_hi, 1 - theta_lo)`` (upper end 1 when
    ``u_2 >= 2 q_c``). NaN when every control attack succeeded (``q_c = 0``).

    Examples
    --------
    >>> r, (lo, hi) = excess_risk(300, 1000, 100, 1000)
    >>> round(r, 4), lo < r < hi
    (0.2222, True)
    """
    if n_train <= 0 or n_control <= 0:
        return math.nan, (math.nan, math.nan)
    p_t, p_c = k_train / n_train, k_control / n_control
    q_t, q_c = 1 - p_t, 1 - p_c
    if q_c <= 0:
        return math.nan, (math.nan, math.nan)
    lo_t, hi_t = wilson_interval(k_train, n_train, confidence)
    lo_c, hi_c = wilson_interval(k_control, n_control, confidence)
    l1, u1 = 1 - hi_t, 1 - lo_t
    l2, u2 = 1 - hi_c, 1 - lo_c
    prod = q_t * q_c
    den = u2 * (2 * q_c - u2)
    if den > 0:
        theta_lo = (prod - math.sqrt(max(prod * prod - l1 * u2 * (2 * q_t - l1) * (2 * q_c - u2), 0.0))) / den
    else:
        theta_lo = 0.0
    den = l2 * (2 * q_c - l2)
    if den > 0:
        theta_hi = (prod + math.sqrt(max(prod * prod - u1 * l2 * (2 * q_t - u1) * (2 * q_c - l2), 0.0))) / den
    else:
        theta_hi = math.inf
    risk = 1 - q_t / q_c
    lo = -math.inf if not math.isfinite(theta_hi) else 1 - theta_hi
    hi = min(1.0, 1 - max(theta_lo, 0.0))
    return float(risk), (float(min(lo, risk)), float(max(hi, risk)))


def _auc_delong(pos: np.ndarray, neg: np.ndarray) -> tuple[float, float]:
    """AUC of scores ``pos`` (positives) vs ``neg`` (midranks for ties) and DeLong's standard error."""
    n1, n0 = len(pos), len(neg)
    r_all = stats.rankdata(np.r_[pos, neg])
    v10 = (r_all[:n1] - stats.rankdata(pos)) / n0          # share of negatives below each positive
    v01 = 1 - (r_all[n1:] - stats.rankdata(neg)) / n1      # share of positives above each negative
    auc = float(v10.mean())
    var = (v10.var(ddof=1) / n1 if n1 > 1 else 0.0) + (v01.var(ddof=1) / n0 if n0 > 1 else 0.0)
    return auc, math.sqrt(max(var, 0.0))


# ------------------------------------------------------------------ the data
@dataclass
class _Col:
    name: str
    label: bool
    t: np.ndarray   # training rows: floats (NaN missing) or float label codes (-1 missing)
    s: np.ndarray   # synthetic rows
    c: np.ndarray   # control rows


@dataclass
class _Data:
    cols: dict[str, _Col]

    @property
    def names(self) -> list[str]:
        return list(self.cols)

    def size(self, which: str) -> int:
        return len(getattr(next(iter(self.cols.values())), which))

    def matrix(self, which: str, names: Sequence[str], rows=None) -> np.ndarray:
        arrs = [getattr(self.cols[n], which) for n in names]
        if rows is not None:
            arrs = [a[rows] for a in arrs]
        return np.column_stack(arrs) if arrs else np.zeros((0, 0))


def _remap(codes: np.ndarray, cats: list, main_cats: list) -> np.ndarray:
    """Codes into ``cats`` -> codes into ``main_cats`` (extended in place with new labels)."""
    index = {c: i for i, c in enumerate(main_cats)}
    for c in cats:
        if c not in index:
            index[c] = len(main_cats)
            main_cats.append(c)
    table = np.array([index[c] for c in cats], dtype=np.int64) if cats else np.zeros(1, np.int64)
    return np.where(codes >= 0, table[np.maximum(codes, 0)], -1)


def _from_prepared(tables: PreparedTables, hold: PreparedTables, names: Sequence[str]) -> _Data:
    """Attack data from a validation's preparations (holdout label codes already aligned)."""
    cols = {}
    for n in names:
        c = tables[n]
        conv = (lambda a: a.astype(float)) if c.is_label else (lambda a: a)
        cols[n] = _Col(n, c.is_label, conv(c.real), conv(c.synth), conv(hold[n].synth))
    return _Data(cols)


def _names(x, what: str) -> list[str]:
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    if not isinstance(x, Iterable):
        raise SpecError(f"`{what}` must be a column name or a list of them, got {x!r}")
    return [str(v) for v in x]


def _from_frames(train, synthetic, control, exclude=()) -> _Data:
    train = as_frame(train, "the training table").rename(columns=str)
    synthetic = as_frame(synthetic, "the synthetic table").rename(columns=str)
    control = as_frame(control, "the control table").rename(columns=str)
    drop = set(_names(exclude, "exclude"))
    keep = [c for c in train.columns if c not in drop]
    if not keep:
        raise DataError("no column is left to attack: every column of the training table is excluded")
    for what, frame in (("synthetic", synthetic), ("control", control)):
        missing = [c for c in keep if c not in frame.columns]
        if missing:
            raise DataError(f"the {what} table lacks column(s) {missing} of the training table; the "
                            "attacks need the same columns in the training, synthetic and control tables")
    tables = prepare_tables(train[keep], synthetic[keep], real_name="training")
    hold = prepare_tables(train[keep], control[keep], schema=tables.schema, real_name="training",
                          synth_name="control")
    cols = {}
    for c in tables.columns:
        h = hold[c.name]
        if c.is_label:
            cats = list(c.categories)
            ctrl = _remap(h.synth, list(h.categories), cats)
            cols[c.name] = _Col(c.name, True, c.real.astype(float), c.synth.astype(float),
                                ctrl.astype(float))
        else:
            cols[c.name] = _Col(c.name, False, c.real, c.synth, h.synth)
    return _Data(cols)


def _check_common(n_attacks: int | None, confidence: float) -> None:
    if n_attacks is not None and (isinstance(n_attacks, bool) or not isinstance(n_attacks, (int, np.integer))
                                  or n_attacks < 1):
        raise SpecError(f"`n_attacks` must be a positive integer, got {n_attacks!r}")
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
        raise SpecError(f"`confidence` must be in (0, 1), got {confidence!r}")


def _check_columns(data: _Data, cols: Sequence[str], what: str) -> list[str]:
    unknown = [c for c in cols if c not in data.cols]
    if unknown:
        raise SpecError(f"`{what}` names column(s) {unknown} that are not among the attacked columns "
                        f"{data.names}")
    return list(cols)


# ------------------------------------------------------------------ distances
def _embed(data: _Data, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gower embedding (module docstring) of the training, synthetic and control rows."""
    parts: dict[str, list[np.ndarray]] = {"t": [], "s": [], "c": []}
    for n in names:
        col = data.cols[n]
        pooled = np.concatenate([col.t, col.s, col.c])
        if col.label:
            levels, counts = np.unique(pooled, return_counts=True)
            slot = np.arange(len(levels))
            if len(levels) > MAX_LABEL_LEVELS:
                rank = np.empty(len(levels), dtype=np.int64)
                rank[np.argsort(-counts, kind="stable")] = np.arange(len(levels))
                slot = np.minimum(rank, MAX_LABEL_LEVELS - 1)
            width = int(slot.max()) + 1
            for w in "tsc":
                x = getattr(col, w)
                out = np.zeros((len(x), width))
                out[np.arange(len(x)), slot[np.searchsorted(levels, x)]] = 0.5
                parts[w].append(out)
        else:
            valid = pooled[~np.isnan(pooled)]
            lo = float(valid.min())
            span = float(valid.max()) - lo
            span = span if span > 0 else 1.0
            has_nan = bool(np.isnan(pooled).any())
            for w in "tsc":
                x = getattr(col, w)
                u = (x - lo) / span
                if has_nan:
                    nan = np.isnan(u)
                    half = np.where(nan, 0.0, u / 2)
                    parts[w].append(np.column_stack([half, np.where(nan, 0.5, half), nan * 0.5]))
                else:
                    parts[w].append(u[:, None])
    return tuple(np.hstack(parts[w]) for w in "tsc")  # type: ignore[return-value]


def _nearest(points: np.ndarray, queries: list[np.ndarray], k: int,
             rng) -> list[tuple[np.ndarray, np.ndarray]]:
    """``k`` nearest rows of ``points`` (L1) for each query matrix: (distances, indices), 2-D."""
    from scipy.spatial import cKDTree

    k = min(k, len(points))
    perm = rng.permutation(len(points))
    tree = cKDTree(points[perm])
    out = []
    for q in queries:
        # every core: each query row is answered alone, so the result is the same on any count
        d, i = tree.query(q, k=k, p=1, workers=-1)
        d, i = np.asarray(d).reshape(len(q), k), np.asarray(i).reshape(len(q), k)
        out.append((d, perm[i]))
    return out


def _targets(data: _Data, n_attacks: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Equally many target rows of the training and the control table (without replacement)."""
    n_t, n_c = data.size("t"), data.size("c")
    m = min(n_attacks, n_t, n_c)
    return np.sort(rng.choice(n_t, m, replace=False)), np.sort(rng.choice(n_c, m, replace=False))


def _rates(k_t: int, k_c: int, n: int, confidence: float) -> dict:
    risk, ci = excess_risk(k_t, n, k_c, n, confidence)
    return {"n_attacks": int(n), "train_rate": k_t / n if n else math.nan,
            "train_ci": wilson_interval(k_t, n, confidence) if n else (math.nan, math.nan),
            "control_rate": k_c / n if n else math.nan,
            "control_ci": wilson_interval(k_c, n, confidence) if n else (math.nan, math.nan),
            "risk": risk, "risk_ci": ci}


def _pct(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{100 * x:.1f}%"


def _risk_text(r: dict, confidence: float) -> str:
    if not np.isfinite(r["risk"]):
        return "the excess risk cannot be measured (every attack on the control rows succeeded)"
    lo, hi = r["risk_ci"]
    return (f"excess risk {r['risk']:.3f} ({100 * confidence:.4g}% interval {lo:.3f} to {hi:.3f}; "
            "0 = the synthetic table helps no more against training rows than against unseen ones)")


# ------------------------------------------------------------------ singling out
class _Index:
    """One table's columns sorted, for counting the rows a predicate selects.

    Every component of a predicate is an interval ``[a, b]`` of its column (``== v``:
    ``[v, v]``, ``<= v``: ``[-inf, v]``, ``>= v``: ``[v, max float]``, missing: ``[inf, inf]``
    with missing values stored as ``inf``), hence a contiguous range of the column's sorted
    rows. A conjunction is counted on the rows of its narrowest range: first on a few evenly
    spaced probes of that range (two matches already rule the predicate out), then in full.
    """

    def __init__(self, v: np.ndarray):
        v = np.where(np.isnan(v), np.inf, v)
        self.n, self.d = v.shape
        order = np.argsort(v, axis=0, kind="stable")
        self.order = np.ascontiguousarray(order.T)                            # (d, n)
        self.sorted = np.ascontiguousarray(np.take_along_axis(v, order, axis=0).T)
        self.flat = np.ascontiguousarray(v.T).ravel()                         # column-major values

    @staticmethod
    def intervals(op: np.ndarray, val: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        big = np.finfo(float).max
        a = np.select([op == _LE, op == _NA], [-np.inf, np.inf], val)
        b = np.select([op == _GE, op == _NA], [big, np.inf], val)
        return a, b

    def _ranges(self, col, a, b):
        lo = np.empty(col.shape, dtype=np.int64)
        hi = np.empty(col.shape, dtype=np.int64)
        for j in np.unique(col):
            m = col == j
            lo[m] = np.searchsorted(self.sorted[j], a[m], "left")
            hi[m] = np.searchsorted(self.sorted[j], b[m], "right")
        return lo, np.maximum(hi, lo)

    def _matches(self, pid, pos, bcol, other, n_pred) -> np.ndarray:
        """Rows ``order[bcol[pid], pos]`` meeting every other component, counted per predicate."""
        rows = self.order[bcol[pid], pos]
        ok = np.ones(len(pid), dtype=bool)
        for c, a, b in other:
            x = self.flat[c[pid] * self.n + rows]
            ok &= (x >= a[pid]) & (x <= b[pid])
        return np.bincount(pid[ok], minlength=n_pred)

    def count(self, col: np.ndarray, op: np.ndarray, val: np.ndarray) -> np.ndarray:
        """Rows selected by each conjunction (rows of ``col``/``op``/``val``), capped at 2."""
        n_pred, k = col.shape
        if n_pred == 0:
            return np.zeros(0, dtype=np.int64)
        a, b = self.intervals(op, val)
        lo, hi = self._ranges(col, a, b)
        length = hi - lo
        if k == 1:
            return np.minimum(length[:, 0], 2)
        ar = np.arange(n_pred)
        best = np.argmin(length, axis=1)
        blo, blen, bcol = lo[ar, best], length[ar, best], col[ar, best]
        rest_idx = np.array([[s for s in range(k) if s != bi] for bi in range(k)])[best]   # (P, k-1)
        other = [(np.take_along_axis(col, rest_idx[:, [s]], 1)[:, 0],
                  np.take_along_axis(a, rest_idx[:, [s]], 1)[:, 0],
                  np.take_along_axis(b, rest_idx[:, [s]], 1)[:, 0]) for s in range(k - 1)]
        out = np.full(n_pred, -1, dtype=np.int64)
        todo = ar
        for probe in _PROBES:
            if not todo.size:
                break
            take = np.minimum(blen[todo], probe)
            stride = blen[todo] / np.maximum(take, 1)
            local = np.repeat(np.arange(len(todo)), take)
            step = np.arange(len(local)) - np.repeat(np.cumsum(take) - take, take)
            pid = todo[local]
            pos = blo[pid] + (step * stride[local]).astype(np.int64)
            got = self._matches(pid, pos, bcol, other, n_pred)[todo]
            exact = blen[todo] <= probe
            out[todo[exact]] = got[exact]
            out[todo[~exact & (got >= 2)]] = 2
            todo = todo[~exact & (got < 2)]
        if todo.size:   # a full count of the narrowest range, in chunks
            cum = np.cumsum(blen[todo])
            cuts = np.unique(np.searchsorted(cum, np.arange(_CHUNK, int(cum[-1]), _CHUNK), "right"))
            for part in np.split(todo, cuts):
                if part.size:
                    lens = blen[part]
                    pid = np.repeat(part, lens)
                    pos = np.arange(len(pid)) + np.repeat(blo[part] - (np.cumsum(lens) - lens), lens)
                    out[part] = self._matches(pid, pos, bcol, other, n_pred)[part]
        return np.minimum(out, 2)


def _distinct_rows(x: np.ndarray) -> np.ndarray:
    """The distinct rows of ``x`` in their first order (missing values equal each other)."""
    if len(x) == 0:
        return x
    return x[~pd.DataFrame(x).duplicated().to_numpy()]


def _subsample_rows(n: int, k: int, rng) -> np.ndarray:
    return np.sort(rng.choice(n, k, replace=False)) if n > k else np.arange(n)


def _univariate_candidates(s: np.ndarray, numeric: np.ndarray):
    """Predicates on one column that select exactly one synthetic row."""
    cols, ops, vals = [], [], []
    for j in range(s.shape[1]):
        x = s[:, j]
        nan = np.isnan(x)
        u, cnt = np.unique(x[~nan], return_counts=True)
        single = u[cnt == 1]
        cols.append(np.full(len(single), j))
        ops.append(np.full(len(single), _EQ))
        vals.append(single)
        if numeric[j] and len(u):
            for ok, o, v in ((cnt[0] == 1, _LE, u[0]), (cnt[-1] == 1, _GE, u[-1])):
                if ok:
                    cols.append(np.array([j]))
                    ops.append(np.array([o]))
                    vals.append(np.array([v]))
        if numeric[j] and nan.sum() == 1:
            cols.append(np.array([j]))
            ops.append(np.array([_NA]))
            vals.append(np.array([np.nan]))
    return (np.concatenate(cols)[:, None].astype(np.int64), np.concatenate(ops)[:, None].astype(np.int64),
            np.concatenate(vals)[:, None].astype(float))


def _row_predicates(s: np.ndarray, numeric: np.ndarray, medians: np.ndarray, n: int, k: int, rng):
    """``n`` conjunctions on ``k`` random columns built from random synthetic rows."""
    d = s.shape[1]
    rows = rng.integers(0, s.shape[0], n)
    cols = np.sort(np.argsort(rng.random((n, d)), axis=1)[:, :k], axis=1)
    vals = s[rows[:, None], cols]
    num = numeric[cols]
    ops = np.where(~num, _EQ, np.where(np.isnan(vals), _NA, np.where(vals > medians[cols], _GE, _LE)))
    return cols, ops.astype(np.int64), vals


def _random_predicates(s: np.ndarray, numeric: np.ndarray, n: int, k: int, rng):
    """Random guesses: random columns, values drawn among the synthetic column's distinct
    values (missing included), random operators (``==``, ``<=``, ``>=`` for numbers)."""
    d = s.shape[1]
    cols = np.sort(np.argsort(rng.random((n, d)), axis=1)[:, :k], axis=1)
    vals = np.empty(cols.shape)
    for j in range(d):
        m = cols == j
        if m.any():
            u = np.unique(s[:, j])   # NaN values collapse into one trailing NaN
            vals[m] = u[rng.integers(0, len(u), int(m.sum()))]
    ops = np.where(~numeric[cols], _EQ, rng.integers(0, 3, cols.shape))
    ops = np.where(np.isnan(vals), _NA, ops)
    return cols, ops.astype(np.int64), vals


def _dedupe(cols, ops, vals):
    key = np.concatenate([cols, ops, np.where(np.isnan(vals), 0.0, vals)], axis=1)
    _, first = np.unique(key, axis=0, return_index=True)
    keep = np.sort(first)
    return cols[keep], ops[keep], vals[keep]


def singling_out_risk(train, synthetic, control, *, mode: str = "univariate", n_attacks: int = 2000,
                      n_cols: int = 3, confidence: float = 0.95, seed=None, columns=None,
                      exclude=()) -> AttackResult:
    """Singling-out risk: predicates written from the synthetic table that isolate one real row.

    See the module docstring (``singling_out_univariate`` / ``_multivariate``). The
    training and control tables are compared at the size of the smaller one.

    Parameters
    ----------
    train, synthetic, control : DataFrame
        Training rows (fitted on), synthetic rows, control rows (never fitted on).
    mode : {"univariate", "multivariate"}
    n_attacks : int
        Most predicates written.
    n_cols : int
        Columns per predicate in multivariate mode.
    confidence : float
        Level of the intervals.
    seed : int, SeedSequence or Generator, optional
    columns : list of str, optional
        Columns the predicates may use (default: every column not excluded).
    exclude : list of str
        Columns not attacked (e.g. generated identifiers).

    Returns
    -------
    AttackResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> t, c = (pd.DataFrame({"x": rng.normal(size=200)}) for _ in range(2))
    >>> r = singling_out_risk(t, t.copy(), c, n_attacks=100, seed=0)
    >>> r.train_rate == 1.0 and r.risk_ci[0] > 0.5
    True
    """
    _check_common(n_attacks, confidence)
    if mode not in ("univariate", "multivariate"):
        raise SpecError(f"`mode` must be 'univariate' or 'multivariate', got {mode!r}")
    if isinstance(n_cols, bool) or not isinstance(n_cols, (int, np.integer)) or n_cols < 1:
        raise SpecError(f"`n_cols` must be a positive integer, got {n_cols!r}")
    data = _from_frames(train, synthetic, control, exclude)
    names = _check_columns(data, _names(columns, "columns"), "columns") or data.names
    return _singling_out(data, names, mode, n_attacks, n_cols, confidence, as_generator(seed))


def _singling_out(data: _Data, names: list[str], mode: str, n_attacks: int, n_cols: int,
                  confidence: float, rng) -> AttackResult:
    attack = f"singling_out_{mode}"
    numeric = np.array([not data.cols[n].label for n in names])
    s = _distinct_rows(data.matrix("s", names))
    k = 1 if mode == "univariate" else min(n_cols, len(names))
    if mode == "univariate":
        cols, ops, vals = _univariate_candidates(s, numeric)
        pick = rng.permutation(len(cols))[:n_attacks]
        cols, ops, vals = cols[pick], ops[pick], vals[pick]
    else:
        s_index = _Index(s)
        medians = np.array([np.nanmedian(s[:, j]) if numeric[j] else 0.0 for j in range(len(names))])
        found: list[tuple] = []
        n_found, tried, cap = 0, 0, MAX_ATTEMPTS_PER_ATTACK * n_attacks
        acc = 0.05
        cols = np.zeros((0, k), np.int64)
        ops, vals = cols.copy(), np.zeros((0, k))
        while n_found < n_attacks and tried < cap:
            batch = int(min(cap - tried, max(1000, min(200_000, 2 * (n_attacks - n_found) / acc))))
            c, o, v = _row_predicates(s, numeric, medians, batch, k, rng)
            tried += batch
            ok = s_index.count(c, o, v) == 1
            found.append((c[ok], o[ok], v[ok]))
            cols, ops, vals = _dedupe(*(np.concatenate(x) for x in zip(*found, strict=True)))
            found = [(cols, ops, vals)]
            acc = max(len(cols) / tried, 1e-3)
            n_found = len(cols)
        cols, ops, vals = cols[:n_attacks], ops[:n_attacks], vals[:n_attacks]
    t, c = _distinct_rows(data.matrix("t", names)), _distinct_rows(data.matrix("c", names))
    size = min(len(t), len(c))
    t_index = _Index(t[_subsample_rows(len(t), size, rng)])
    c_index = _Index(c[_subsample_rows(len(c), size, rng)])
    n = len(cols)
    k_t = int((t_index.count(cols, ops, vals) == 1).sum())
    k_c = int((c_index.count(cols, ops, vals) == 1).sum())
    bc, bo, bv = _random_predicates(s, numeric, n_attacks, k, rng)
    baseline = float((t_index.count(bc, bo, bv) == 1).mean())
    r = _rates(k_t, k_c, n_attacks, confidence)
    what = ("rare values and extremes of single columns of the synthetic table (such as "
            "'col == a value seen once', 'col >= its maximum')" if mode == "univariate" else
            f"combinations of {k} column values of random synthetic rows")
    if n == 0:
        text = (f"Singling out: the attacker found no predicate on {what} that selects exactly one "
                "synthetic row, so nothing could be singled out.")
    else:
        text = (f"Singling out: in {n_attacks} attempts the attacker wrote {n} predicates from {what}, "
                f"each selecting exactly one synthetic row; {_pct(r['train_rate'])} of the attempts "
                f"single out a training row vs {_pct(r['control_rate'])} an unseen row (tables of {size} "
                "distinct rows): "
                f"{_risk_text(r, confidence)}.")
    return AttackResult(attack=attack, target=None, baseline_rate=baseline, explanation=text, **r)


# ------------------------------------------------------------------ linkability
def _split_halves(names: Sequence[str]) -> tuple[list[str], list[str]]:
    return list(names[0::2]), list(names[1::2])


def linkability_risk(train, synthetic, control, *, aux_cols=None, n_attacks: int = 2000,
                     n_neighbors: int = 1, confidence: float = 0.95, seed=None, exclude=()) -> AttackResult:
    """Linkability risk: can the synthetic table join two halves of a real record?

    Parameters
    ----------
    train, synthetic, control : DataFrame
    aux_cols : (list of str, list of str), optional
        The two column groups the attacker links. Default: the columns not excluded,
        alternately to the first and the second group (table order).
    n_attacks : int
        Target rows drawn from each of the training and control tables.
    n_neighbors : int
        Nearest synthetic rows found on each group.
    confidence : float
    seed : int, SeedSequence or Generator, optional
    exclude : list of str

    Returns
    -------
    AttackResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> t, c = (pd.DataFrame(rng.normal(size=(300, 4)), columns=list("abcd")) for _ in range(2))
    >>> r = linkability_risk(t, t.copy(), c, seed=0)
    >>> r.train_rate == 1.0 and r.risk_ci[0] > 0.5
    True
    """
    _check_common(n_attacks, confidence)
    if isinstance(n_neighbors, bool) or not isinstance(n_neighbors, (int, np.integer)) or n_neighbors < 1:
        raise SpecError(f"`n_neighbors` must be a positive integer, got {n_neighbors!r}")
    data = _from_frames(train, synthetic, control, exclude)
    if aux_cols is None:
        if len(data.names) < 2:
            raise SpecError("linkability needs at least two columns to split into two groups")
        a, b = _split_halves(data.names)
    else:
        if not isinstance(aux_cols, (list, tuple)) or len(aux_cols) != 2:
            raise SpecError(f"`aux_cols` must be two lists of columns (A, B), got {aux_cols!r}")
        a = _check_columns(data, _names(aux_cols[0], "aux_cols"), "aux_cols")
        b = _check_columns(data, _names(aux_cols[1], "aux_cols"), "aux_cols")
        if not a or not b:
            raise SpecError("each of the two `aux_cols` groups needs at least one column")
    return _linkability(data, a, b, n_attacks, n_neighbors, confidence, as_generator(seed))


def _linkability(data: _Data, a: list[str], b: list[str], n_attacks: int, n_neighbors: int,
                 confidence: float, rng) -> AttackResult:
    it, ic = _targets(data, n_attacks, rng)
    xa = _embed(data, a)
    xb = _embed(data, b)
    (_, ta), (_, ca) = _nearest(xa[1], [xa[0][it], xa[2][ic]], n_neighbors, rng)
    (_, tb), (_, cb) = _nearest(xb[1], [xb[0][it], xb[2][ic]], n_neighbors, rng)

    def linked(ia, ib):
        return (ia[:, :, None] == ib[:, None, :]).any(axis=(1, 2))

    k_t, k_c = int(linked(ta, tb).sum()), int(linked(ca, cb).sum())
    m, k = data.size("s"), min(n_neighbors, data.size("s"))
    baseline = 1.0 - math.exp(sum(math.log((m - k - i) / (m - i)) for i in range(k))) if m >= 2 * k else 1.0
    r = _rates(k_t, k_c, len(it), confidence)
    text = (f"Linkability: knowing only columns {a} of a person, and separately {b}, the attacker joins "
            f"the two halves when their nearest synthetic rows ({k} on each half) share a row; this links "
            f"{_pct(r['train_rate'])} of training rows vs {_pct(r['control_rate'])} of unseen rows: "
            f"{_risk_text(r, confidence)}.")
    return AttackResult(attack="linkability", target=None, baseline_rate=baseline, explanation=text, **r)


# ------------------------------------------------------------------ inference
def inference_risk(train, synthetic, control, *, secret, aux_cols=None, n_attacks: int = 2000,
                   confidence: float = 0.95, seed=None, exclude=()) -> AttackResult:
    """Attribute-inference risk: guess a secret column from the nearest synthetic row.

    Parameters
    ----------
    train, synthetic, control : DataFrame
    secret : str
        The column the attacker infers.
    aux_cols : list of str, optional
        What the attacker knows of the target (default: every other column not excluded).
    n_attacks : int
        Target rows drawn from each of the training and control tables.
    confidence : float
    seed : int, SeedSequence or Generator, optional
    exclude : list of str

    Returns
    -------
    AttackResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> t, c = (pd.DataFrame(rng.normal(size=(300, 3)), columns=list("abc")) for _ in range(2))
    >>> r = inference_risk(t, t.copy(), c, secret="c", seed=0)
    >>> r.train_rate == 1.0 and r.risk_ci[0] > 0.5
    True
    """
    _check_common(n_attacks, confidence)
    data = _from_frames(train, synthetic, control, exclude)
    secret = str(secret)
    if secret not in data.cols:
        raise SpecError(f"`secret` {secret!r} is not among the attacked columns {data.names}")
    aux = (_check_columns(data, _names(aux_cols, "aux_cols"), "aux_cols") if aux_cols is not None
           else [n for n in data.names if n != secret])
    if secret in aux:
        raise SpecError(f"`aux_cols` must not contain the secret column {secret!r}")
    if not aux:
        raise SpecError("inference needs at least one auxiliary column besides the secret")
    return _inference(data, secret, aux, n_attacks, confidence, as_generator(seed))


def _right(guess: np.ndarray, true: np.ndarray, label: bool) -> np.ndarray:
    if label:
        return guess == true
    with np.errstate(invalid="ignore"):
        close = np.abs(guess - true) <= INFERENCE_TOLERANCE * np.abs(true)
    return close | (np.isnan(guess) & np.isnan(true))


def _inference(data: _Data, secret: str, aux: list[str], n_attacks: int, confidence: float,
               rng) -> AttackResult:
    it, ic = _targets(data, n_attacks, rng)
    x = _embed(data, aux)
    (_, nt), (_, nc) = _nearest(x[1], [x[0][it], x[2][ic]], 1, rng)
    col = data.cols[secret]
    k_t = int(_right(col.s[nt[:, 0]], col.t[it], col.label).sum())
    k_c = int(_right(col.s[nc[:, 0]], col.c[ic], col.label).sum())
    guess = col.s[rng.integers(0, len(col.s), len(it))]
    baseline = float(_right(guess, col.t[it], col.label).mean()) if len(it) else math.nan
    r = _rates(k_t, k_c, len(it), confidence)
    rule = "exactly" if col.label else f"within {100 * INFERENCE_TOLERANCE:g}%"
    text = (f"Inference of '{secret}': knowing the other {len(aux)} column(s) of a person, the attacker "
            f"takes '{secret}' from the closest synthetic row; it is right ({rule}) for "
            f"{_pct(r['train_rate'])} of training rows vs {_pct(r['control_rate'])} of unseen rows "
            f"(random guess {_pct(baseline)}): {_risk_text(r, confidence)}.")
    return AttackResult(attack="inference", target=secret, baseline_rate=baseline, explanation=text, **r)


# ------------------------------------------------------------------ membership
def membership_risk(train, synthetic, control, *, confidence: float = 0.95, seed=None,
                    n_attacks: int | None = None, exclude=()) -> AttackResult:
    """Membership-inference risk: AUC of the distance to the closest synthetic record.

    Training rows are the positives, control rows the negatives, the score is minus the
    row's DCR (Gower distance to its nearest synthetic row); ``risk`` is the AUC (0.5 =
    chance) with a DeLong interval. ``n_attacks`` rows of each table are scored (default
    :data:`MEMBERSHIP_TARGETS`; at most the smaller table's size).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> t, c = (pd.DataFrame(rng.normal(size=(300, 3)), columns=list("abc")) for _ in range(2))
    >>> membership_risk(t, t.copy(), c, seed=0).risk
    1.0
    """
    _check_common(n_attacks, confidence)
    data = _from_frames(train, synthetic, control, exclude)
    return _membership(data, data.names, MEMBERSHIP_TARGETS if n_attacks is None else n_attacks,
                       confidence, as_generator(seed))


def _membership(data: _Data, names: list[str], n_attacks: int, confidence: float, rng) -> AttackResult:
    it, ic = _targets(data, n_attacks, rng)
    x = _embed(data, names)
    (dt, _), (dc, _) = _nearest(x[1], [x[0][it], x[2][ic]], 1, rng)
    dt, dc = dt[:, 0], dc[:, 0]
    auc, se = _auc_delong(-dt, -dc)
    z = _z(confidence)
    tau = float(np.median(np.r_[dt, dc]))
    n = len(it)
    k_t, k_c = int((dt <= tau).sum()), int((dc <= tau).sum())
    lo, hi = max(0.0, auc - z * se), min(1.0, auc + z * se)
    text = (f"Membership: the attacker guesses that a person was in the training data when a synthetic "
            f"row lies within the median distance of their record; this flags {_pct(k_t / n)} of training "
            f"rows vs {_pct(k_c / n)} of unseen rows. AUC {auc:.3f} ({100 * confidence:.4g}% interval "
            f"{lo:.3f} to {hi:.3f}; 0.5 = no better than a coin toss, 1 = members always recognised).")
    return AttackResult(attack="membership", target=None, n_attacks=n, train_rate=k_t / n,
                        train_ci=wilson_interval(k_t, n, confidence), control_rate=k_c / n,
                        control_ci=wilson_interval(k_c, n, confidence), baseline_rate=0.5, risk=auc,
                        risk_ci=(lo, hi), explanation=text)


# ------------------------------------------------------------------ all of them
def _plan(names: list[str], secrets, quasi_identifiers) -> dict:
    """Which columns each attack uses (see :func:`attack_report`)."""
    qis = [n for n in quasi_identifiers if n in names] if quasi_identifiers else []
    so_cols = qis or names
    if secrets is None:
        pool = [n for n in names if n not in qis] if qis and len(qis) < len(names) else names
        if len(pool) > MAX_SECRETS:
            pick = np.unique(np.round(np.linspace(0, len(pool) - 1, MAX_SECRETS)).astype(int))
            pool = [pool[i] for i in pick]
        secrets = pool
    link = qis if len(qis) >= 2 else names
    inference = []
    for s in secrets:
        aux = [n for n in (qis or names) if n != s]
        if aux:
            inference.append((s, aux))
    return {"so": so_cols, "multi": len(so_cols) >= 2,
            "link": _split_halves(link) if len(link) >= 2 else None, "inference": inference}


def attack_test_count(names: Sequence[str], *, secrets=None, quasi_identifiers=None) -> int:
    """Number of attacks :func:`attack_report` runs on columns ``names`` (pass/fail checks in a report).

    Examples
    --------
    >>> attack_test_count(["a", "b", "c"])
    7
    """
    p = _plan([str(n) for n in names], None if secrets is None else _names(secrets, "secrets"),
              _names(quasi_identifiers, "quasi_identifiers"))
    return 2 + int(p["multi"]) + int(p["link"] is not None) + len(p["inference"])


def attack_report(train, synthetic, control, *, secrets=None, quasi_identifiers=None,
                  n_attacks: int = N_ATTACKS, confidence: float = 0.95, seed=None,
                  exclude=(), progress: bool | None = None) -> list[AttackResult]:
    """Every attack: singling out (univariate, multivariate), linkability, inference, membership.

    Parameters
    ----------
    train, synthetic, control : DataFrame
        Training rows, synthetic rows and control rows (same columns).
    secrets : list of str, optional
        Columns attacked by inference. Default: the columns that are not excluded (and
        not quasi-identifiers, when some are given and others remain); when there are
        more than :data:`MAX_SECRETS`, that many evenly spaced in table order.
    quasi_identifiers : list of str, optional
        What an attacker knows of a person: the auxiliary columns of the inference
        attacks, the columns of the singling-out predicates and (two or more of them)
        the columns split into the two linkability groups. Default: every column.
    n_attacks : int
        Attacks of each kind (for membership: rows scored in each table).
    confidence : float
        Level of the intervals.
    seed : int, SeedSequence or Generator, optional
        Each attack draws from its own child stream of ``seed``.
    exclude : list of str
        Columns neither attacked nor used (e.g. generated identifiers and PII).
    progress : bool, optional
        A progress bar over the attacks, naming the one running: by default shown on a
        terminal once the work has run two seconds; True or False forces it on or off.

    Returns
    -------
    list of AttackResult
        Singling out (univariate, then multivariate when there are two columns or more),
        linkability (two columns or more), one inference per secret, membership.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> t, s, c = (pd.DataFrame(rng.normal(size=(200, 3)), columns=list("abc")) for _ in range(3))
    >>> [r.attack for r in attack_report(t, s, c, n_attacks=100, seed=0)][:3]
    ['singling_out_univariate', 'singling_out_multivariate', 'linkability']
    """
    from .._progress import check_progress, progress_bar

    _check_common(n_attacks, confidence)
    check_progress(progress)
    data = _from_frames(train, synthetic, control, exclude)
    jobs = _jobs(data, secrets, quasi_identifiers, n_attacks, confidence, seed)
    bar = progress_bar(total=len(jobs), progress=progress, large=False, desc="attacks", unit="attack",
                       leave=False)
    try:
        return _run(jobs, bar)
    finally:
        bar.close()


def _jobs(data: _Data, secrets, quasi_identifiers, n_attacks: int, confidence: float,
          seed) -> list[tuple[str, Callable[[], AttackResult]]]:
    """Every attack of the plan, in report order, as ``(label, run)`` pairs."""
    names = data.names
    secrets = None if secrets is None else _check_columns(data, _names(secrets, "secrets"), "secrets")
    qis = _check_columns(data, _names(quasi_identifiers, "quasi_identifiers"), "quasi_identifiers")
    plan = _plan(names, secrets, qis)
    root = as_seed_sequence(seed)
    jobs = [("singling out, univariate",
             lambda: _singling_out(data, plan["so"], "univariate", n_attacks, 3, confidence,
                                   child_generator(root, 0)))]
    if plan["multi"]:
        jobs.append(("singling out, multivariate",
                     lambda: _singling_out(data, plan["so"], "multivariate", n_attacks, 3, confidence,
                                           child_generator(root, 1))))
    if plan["link"] is not None:
        jobs.append(("linkability", lambda: _linkability(data, *plan["link"], n_attacks, 1, confidence,
                                                         child_generator(root, 2))))
    for s, aux in plan["inference"]:
        jobs.append((f"inference of {s}",
                     lambda s=s, aux=aux: _inference(data, s, aux, n_attacks, confidence,
                                                     child_generator(root, 10 + names.index(s)))))
    jobs.append(("membership", lambda: _membership(data, names, n_attacks, confidence,
                                                   child_generator(root, 3))))
    return jobs


def _run(jobs: list[tuple[str, Callable[[], AttackResult]]], bar=None) -> list[AttackResult]:
    """Run the attacks in order; ``bar`` (a tqdm bar or None) names the running attack and
    advances once per attack."""
    out = []
    for label, run in jobs:
        if bar is not None:
            bar.set_postfix_str(label, refresh=False)
        out.append(run())
        if bar is not None:
            bar.update()
    return out


# ------------------------------------------------------------------ validation checks
def attack_checks(tables: PreparedTables, hold: PreparedTables, thr: dict, *, alpha: float, seed=0,
                  quasi_identifiers=None, n_attacks: int = N_ATTACKS,
                  bar=None) -> tuple[list[Check], list[AttackResult]]:
    """One privacy :class:`Check` per attack of :func:`attack_report` (for :func:`synthkit.validate`).

    The intervals are two-sided at level ``1 - 2 alpha``, so their lower bound is a
    one-sided ``1 - alpha`` bound. An excess-risk check fails when the lower bound
    exceeds ``attack_risk``, the membership check when the AUC's lower bound exceeds
    ``membership_auc``; each check's threshold is that effect size plus the sampling
    allowance ``estimate - lower bound``. ``hold`` is the holdout preparation with label
    codes aligned with ``tables``; ``bar`` (a tqdm bar, optional) advances once per attack.
    """
    data = _from_prepared(tables, hold, tables.names)
    qis = [n for n in _names(quasi_identifiers, "quasi_identifiers") if n in data.cols]
    results = _run(_jobs(data, None, qis, n_attacks, 1 - 2 * alpha, seed), bar)
    checks = []
    for r in results:
        lo, hi = r.risk_ci
        if r.attack == "membership":
            name, effect = "membership_auc", thr["membership_auc"]
            what = (f"AUC {r.risk:.4f}, lower bound {lo:.4f} (one-sided, level 1 - {alpha:.2g}); "
                    f"fails when the lower bound exceeds {effect:g}")
        else:
            name, effect = r.attack, thr["attack_risk"]
            what = (f"excess risk {r.risk:.4f}, lower bound {lo:.4f} (one-sided, level 1 - {alpha:.2g}); "
                    f"training rate {r.train_rate:.4f}, control rate {r.control_rate:.4f}, "
                    f"{r.n_attacks} attacks; fails when the lower bound exceeds {effect:g}")
        if not np.isfinite(r.risk) or not np.isfinite(lo):
            checks.append(Check("privacy", name, r.target or "*", r.risk, None, None,
                                f"{what}: not measurable ({r.explanation})"))
            continue
        t = effect + (r.risk - lo)
        checks.append(Check("privacy", name, r.target or "*", r.risk, t, bool(lo <= effect), what))
    return checks, results


def no_holdout_check() -> Check:
    """The informational privacy row of a validation without a holdout: the attacks were skipped."""
    return Check("privacy", "attacks", "*", math.nan, None, None,
                 "singling-out, linkability, inference and membership attacks skipped: they need a "
                 "holdout of real rows never used to fit the generator, as the control group; "
                 "validate(train, synthetic, holdout=unseen_rows)")


def attacks_frame(results: Sequence[AttackResult]) -> pd.DataFrame:
    """The results as a table (one row per attack)."""
    return pd.DataFrame([r.to_dict() for r in results])
