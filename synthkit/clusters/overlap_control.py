"""Overlap control after center placement: a tight maximum, an average, the Bayes definition.

:func:`~synthkit.clusters.centers.place_centers` certifies that every pairwise overlap is
at most ``max_overlap`` and every nearest-neighbour overlap at least ``min_overlap``, but
nothing pushes the closest pair up to ``max_overlap``. This module moves the certified
centers so the knobs mean what they say.

Method
------
Scaling every center difference by one factor ``lam`` moves every pair along its own
difference: each pair's overlap is a decreasing function of ``lam`` (the linear minimax
separation is homogeneous, ``q*(lam delta) = lam q*(delta)``, so for normal clusters the
overlap is ``2 Phi(-lam q*)``; along a fixed direction the calibrated overlap of other
families and the Bayes overlap also fall as the means move apart).

* **Tight maximum.** ``lam`` is the largest scale at which some pair reaches the target
  ``t = (lo + max_overlap) / 2`` with ``lo = max(0.9 max_overlap, min_overlap)``; it is
  found by branch and bound over the pairs sorted by an upper bound of their scale (the
  surrogate separation ``q_s <= q*`` of :class:`~synthkit.clusters.surrogate.PairSurrogate`,
  and for the Bayes overlap the linear overlap, which the Bayes overlap never exceeds
  with equal weights because the Bayes rule minimises the sum of the two errors), with
  the per-pair scale in closed form (``lam_ij = Phi^{-1}(1 - t/2) / q*_ij``) or by
  bisection. Starting from a certified placement the scale shrinks (``lam < 1``), which
  raises every overlap, so the nearest-neighbour lower bounds stay met (a re-certified
  non-normal pair that lands above ``max_overlap`` is scaled back out). A target that no
  scale reaches (the clusters' overlap with equal centers is below it) raises
  :class:`OverlapError` instead of collapsing the centers. The closest pair then sits at ``t``, inside
  the documented band ``[0.9 max_overlap, max_overlap]``.
* **Average overlap** (MixSim's ``BarOmega``): ``lam`` solves
  ``mean_{i<j} omega_ij(lam) = avg_overlap`` by bisection on ``log lam``. Every pair above
  ``max_overlap`` at that scale is pulled apart along its own difference to sit at the
  mean's level (``avg_overlap``, or the tight target if lower: the next rescaling moves
  it back up, so it must leave room), a cluster whose nearest-neighbour overlap is below ``min_overlap`` is
  moved towards its nearest neighbour, and ``lam`` is solved again, until the mean is
  within 1% of the target and both bounds hold; otherwise :class:`OverlapError` names
  the bound to move. With ``avg_overlap`` the maximum is an upper bound only (the
  closest pair is reported, not pushed to the band).
* **Bayes overlap** (``kind="bayes"``, normal clusters): the same steps with the exact
  Bayes overlap of :mod:`synthkit.clusters.bayes` (equal prior weights), starting from a
  placement certified for the linear overlap at the same bounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

import numpy as np
from scipy.optimize import brentq

from .._threads import limit_threads
from ..errors import OverlapError, SpecError
from .bayes import _pair_errors
from .overlap import (
    TIGHT_FRACTION,
    _best_linear_pair,
    _exact_from_diag,
    _simultaneous_diag,
    exact_q,
    overlap_to_q,
    q_to_overlap,
)
from .surrogate import PairSurrogate, _tail_quantile

__all__ = ["OVERLAP_KINDS", "TIGHT_FRACTION", "OverlapControl", "check_overlap_targets",
           "control_overlap", "tight_target"]

_AVG_SOLVE_RTOL = 0.01  # the mean is solved to this relative accuracy (the promise is 5%)
_LOG_LAM = (-12.0, 6.0)  # bracket of log(lam) for the common scale
_ROUGH = 1e-3  # accuracy of the Bayes integrals while searching a scale, relative to the level


@dataclass
class OverlapControl:
    """What :func:`control_overlap` did: the scale, the achieved statistics and moves."""

    kind: str
    scale: float
    max_overlap: float
    min_nn_overlap: float
    avg_overlap: float | None
    pair_moves: int
    evaluated_pairs: int
    nn_spread: tuple | None = None

    def to_dict(self) -> dict:
        return {
            "nn_overlap_spread": None if self.nn_spread is None else list(self.nn_spread),
            "overlap_kind": self.kind,
            "center_scale": self.scale,
            "controlled_max_overlap": self.max_overlap,
            "controlled_min_nn_overlap": self.min_nn_overlap,
            "controlled_avg_overlap": self.avg_overlap,
            "pair_moves": self.pair_moves,
            "controlled_pairs": self.evaluated_pairs,
        }


class _Pairs:
    """Overlaps of pairs ``(I, J)`` when every center difference is scaled by ``lam``."""

    def __init__(self, kind, M, factors, covs, refs, I, J):
        self.kind, self.I, self.J = kind, np.asarray(I, int), np.asarray(J, int)
        D = M[self.J] - M[self.I]
        self.P = self.I.size
        self.closed = False
        if not self.P:
            return
        if kind == "bayes":
            self.W, self.m = _simultaneous_diag(covs[self.J], covs[self.I])
            self.D = D
            self._covs = (covs[self.I], covs[self.J])
            return
        q, a, *_ = exact_q(D, covs[self.I], covs[self.J], return_direction=True)
        self.q = q
        self.closed = refs is None
        if self.closed:
            return
        # non-normal: the certified direction at lam = 1, then the calibrated overlap along it
        self.cert = []
        for e in range(self.P):
            i, j = self.I[e], self.J[e]
            if refs[i] is None and refs[j] is None:
                self.cert.append(None)
                continue
            self.cert.append(_best_linear_pair(M[i], factors[i], refs[i], M[j], factors[j],
                                               refs[j], a[e]))

    def at(self, lam, eps: float = 1e-12) -> np.ndarray:
        """Overlap of every pair at scale ``lam`` (scalar or one per pair); ``eps``: absolute
        accuracy of the Bayes integrals (looser while searching a scale)."""
        lam = np.broadcast_to(np.asarray(lam, dtype=float), (self.P,))
        if not self.P:
            return np.zeros(0)
        if self.kind == "bayes":
            return self.grid(lam[:, None], eps)[:, 0]
        out = q_to_overlap(lam * self.q)
        if self.closed:
            return out
        for e, c in enumerate(self.cert):
            if c is not None:  # equal centers (no direction): the clusters overlap completely
                out[e] = float(c.at_scale(lam[e])) if c.gap > 0 else 1.0
        return out

    def grid(self, lam: np.ndarray, eps: float) -> np.ndarray:
        """Bayes overlaps (P, G) at a grid of scales per pair ``lam`` (P, G), in one batch."""
        P, G = lam.shape
        D = (lam[:, :, None] * self.D[:, None, :]).reshape(P * G, -1)
        W = np.repeat(self.W, G, axis=0)
        m = np.repeat(self.m, G, axis=0)
        w_ji, w_ij = _pair_errors(D, W, m, np.zeros(P * G), epsabs=eps)
        return (w_ji + w_ij).reshape(P, G)

    def scale_for(self, level: float) -> np.ndarray:
        """Per-pair scale at which the pair's overlap equals ``level``; 0 when no scale
        reaches it (the level exceeds the overlap of the two clusters made concentric).

        Closed form for normal clusters under the linear overlap, and for other families
        along each pair's certified rule (on its fixed reference draws). The Bayes overlap
        is evaluated on a grid of scales below the normal linear scale
        ``lam0 = Phi^{-1}(1 - level/2) / q*`` (the Bayes overlap is at most the linear
        one, so its scale is at most ``lam0``), ``log overlap`` is interpolated linearly
        in ``log lam`` inside the bracketing cell, and two secant steps refine the root.
        """
        q = self.q if self.kind != "bayes" else exact_q(self.D, *self._covs)
        lam0 = overlap_to_q(level) / np.maximum(q, 1e-300)
        if self.closed:
            return lam0
        if self.kind != "bayes":  # each rule's own inverse, in closed form on its draws
            lam = np.array([lam0[e] if c is None or not c.gap > 0 else c.scale_for(level)
                            for e, c in enumerate(self.cert)])
            return np.where(np.isnan(lam), 0.0, lam)
        target = np.log(level)
        eps = _ROUGH * level
        X = np.log(lam0)[:, None] + np.linspace(-4.0, 0.05, 14)[None, :]
        F = np.log(np.maximum(self.grid(np.exp(X), eps), 1e-300)) - target  # decreasing in X
        rows = np.arange(self.P)
        below = F <= 0
        first = np.where(below.any(axis=1), np.argmax(below, axis=1), X.shape[1] - 1)
        never = (F[:, 0] <= 0) & (first == 0)  # even the smallest scale is below the level
        c = np.clip(first, 1, X.shape[1] - 1)
        x0, x1 = X[rows, c - 1], X[rows, c]
        f0, f1 = F[rows, c - 1], F[rows, c]
        x0, x1 = np.where(never, 0.0, x0), np.where(never, 0.0, x1)  # nothing to refine
        f0, f1 = np.where(never, 1.0, f0), np.where(never, -1.0, f1)
        for _ in range(2):
            x = np.where(f0 != f1, x0 - f0 * (x1 - x0) / np.where(f0 != f1, f1 - f0, 1.0), x0)
            fx = np.log(np.maximum(self.grid(np.exp(x)[:, None], eps)[:, 0], 1e-300)) - target
            left = fx > 0  # root right of x
            x0, f0 = np.where(left, x, x0), np.where(left, fx, f0)
            x1, f1 = np.where(left, x1, x), np.where(left, f1, fx)
        x = np.where(f0 != f1, x0 - f0 * (x1 - x0) / np.where(f0 != f1, f1 - f0, 1.0), x0)
        return np.where(never, 0.0, np.exp(x))


def _bisect_scale(f, target: float) -> float:
    """``lam`` with ``f(lam) = target`` for a decreasing ``f``: Brent's method on ``log lam``
    (:func:`scipy.optimize.brentq`); 0 when even the smallest scale stays below ``target``."""
    lo, hi = _LOG_LAM
    g_lo, g_hi = f(np.exp(lo)) - target, f(np.exp(hi)) - target
    if g_lo < 0:
        return 0.0
    if g_hi > 0:
        return float(np.exp(hi))
    return float(np.exp(brentq(lambda x: f(np.exp(x)) - target, lo, hi, xtol=1e-6)))


def _screen_q(factors: np.ndarray, M: np.ndarray):
    """Surrogate separations ``q_s`` of all pairs (a lower bound of ``q*``) and the pairs."""
    k = M.shape[0]
    I, J = np.triu_indices(k, 1)
    return PairSurrogate(factors, I, J).q(M), I, J


def _pair_threshold(refs, I, J, level: float) -> np.ndarray:
    """Screening ``q`` at which a pair's overlap equals ``level`` (normal: exact)."""
    if refs is None:
        return np.full(I.size, overlap_to_q(level))
    tails = {}
    t = np.empty(len(refs))
    for i, r in enumerate(refs):
        if id(r) not in tails:
            tails[id(r)] = _tail_quantile(r, level / 2)
        t[i] = tails[id(r)]
    return 0.5 * (t[I] + t[J])


def _max_scale(kind, M, factors, covs, refs, level: float, batch: int = 32):
    """Largest scale at which some pair's overlap reaches ``level``, by branch and bound.

    Returns ``(lam, pairs evaluated, current max overlap, (i, j) of that pair)``.
    """
    qs, I, J = _screen_q(factors, M)
    bound = _pair_threshold(refs, I, J, level) / np.maximum(qs, 1e-300)  # >= the pair's scale
    order = np.argsort(-bound)
    best, best_pair, n_eval, cur_max = -np.inf, (0, 1), 0, 0.0
    for s in range(0, order.size, batch):
        idx = order[s : s + batch]
        if bound[idx[0]] <= best:
            break
        pairs = _Pairs(kind, M, factors, covs, refs, I[idx], J[idx])
        lam = pairs.scale_for(level)
        ov = pairs.at(1.0, eps=_ROUGH * level)
        n_eval += idx.size
        cur_max = max(cur_max, float(ov.max()))
        e = int(np.argmax(lam))
        if lam[e] > best:
            best, best_pair = float(lam[e]), (int(I[idx[e]]), int(J[idx[e]]))
        batch *= 2
    return best, n_eval, cur_max, best_pair


def _nn_overlaps(kind, M, factors, covs, refs, n_cand: int = 3):
    """Each cluster's best overlap over its ``n_cand`` nearest candidates (a certified lower
    bound of its nearest-neighbour overlap) and the candidate pairs' overlaps."""
    k = M.shape[0]
    qs, I, J = _screen_q(factors, M)
    Q = np.full((k, k), np.inf)
    Q[I, J] = Q[J, I] = qs
    nc = min(n_cand, k - 1)
    cand = np.argpartition(Q, nc - 1, axis=1)[:, :nc]
    rows = np.repeat(np.arange(k), nc)
    a, b = np.minimum(rows, cand.ravel()), np.maximum(rows, cand.ravel())
    key = np.unique(a * k + b)
    PI, PJ = key // k, key % k
    ov = _Pairs(kind, M, factors, covs, refs, PI, PJ).at(1.0)
    Ov = np.zeros((k, k))
    Ov[PI, PJ] = Ov[PJ, PI] = ov
    return Ov.max(axis=1), Ov


def _move_pair(M: np.ndarray, i: int, j: int, s: float, *, only_i: bool = False) -> None:
    """Scale the difference ``mu_j - mu_i`` by ``s``: both move about their midpoint, or
    only ``i`` moves (towards or away from ``j``)."""
    d = M[j] - M[i]
    if only_i:
        M[i] = M[j] - s * d
    else:
        c = 0.5 * (M[i] + M[j])
        M[i], M[j] = c - 0.5 * s * d, c + 0.5 * s * d


OVERLAP_KINDS = ("linear", "bayes")


def check_overlap_targets(min_overlap, max_overlap, avg_overlap=None, nn_overlap=None,
                          kind="linear") -> tuple[float, float, float | None, float | None]:
    """Validate the overlap knobs (shared by :class:`~synthkit.clusters.Archetype` and
    :func:`~synthkit.clusters.place_centers`); returns them as floats.

    Raises :class:`~synthkit.errors.SpecError` naming the knob and the fix.
    """
    def number(name, v, optional=False):
        if v is None and optional:
            return None
        if isinstance(v, bool) or not isinstance(v, Real) or not (0 < float(v) < 1):
            raise SpecError(f"`{name}` must be {'None or ' if optional else ''}in (0, 1) "
                            f"(twice a classification error rate), got {v!r}")
        return float(v)

    lo, hi = number("min_overlap", min_overlap), number("max_overlap", max_overlap)
    avg, nn = number("avg_overlap", avg_overlap, True), number("nn_overlap", nn_overlap, True)
    if lo >= hi:
        raise SpecError(f"`min_overlap` ({lo:g}) must be smaller than `max_overlap` ({hi:g})")
    if avg is not None and avg >= hi:
        raise SpecError(f"`avg_overlap` ({avg:g}) must be smaller than `max_overlap` ({hi:g}): the "
                        "mean of the pairwise overlaps cannot exceed their maximum; lower "
                        "`avg_overlap` or raise `max_overlap`")
    if nn is not None and not lo < nn < hi:
        raise SpecError(f"`nn_overlap` ({nn:g}) must lie between `min_overlap` ({lo:g}) and "
                        f"`max_overlap` ({hi:g})")
    if avg is not None and nn is not None:
        raise SpecError("set one of `avg_overlap` (the mean pairwise overlap) and `nn_overlap` "
                        "(every nearest-neighbour overlap), not both")
    if kind not in OVERLAP_KINDS:
        raise SpecError(f"`overlap` must be one of {list(OVERLAP_KINDS)}, got {kind!r}")
    return lo, hi, avg, nn


def tight_target(min_overlap: float, max_overlap: float) -> tuple[float, float]:
    """The band ``[lo, max_overlap]`` for the closest pair and its midpoint target."""
    lo = max(TIGHT_FRACTION * max_overlap, min_overlap)
    return lo, 0.5 * (lo + max_overlap)


def control_overlap(
    centers: np.ndarray,
    factors: np.ndarray,
    *,
    min_overlap: float,
    max_overlap: float,
    avg_overlap: float | None = None,
    nn_overlap: float | None = None,
    kind: str = "linear",
    references: list | None = None,
    min_nn_overlap: float | None = None,
    max_moves: int = 60,
) -> tuple[np.ndarray, OverlapControl]:
    """Move certified centers so the closest pair (or the mean pair) hits its target.

    Parameters
    ----------
    centers : ndarray (k, p)
        Centers certified by :func:`~synthkit.clusters.centers.place_centers` for the
        linear overlap at ``[min_overlap, max_overlap]``.
    factors : ndarray (k, p, p)
        Cluster factors (covariance ``A A'``).
    min_overlap, max_overlap : float
    avg_overlap : float, optional
        Target of the mean pairwise overlap.
    nn_overlap : float, optional
        Target of every cluster's nearest-neighbour overlap (``min_overlap < nn_overlap <
        max_overlap``); the spread achieved (min, median, max of ``nn / nn_overlap``) is
        reported.
    kind : {"linear", "bayes"}
        Overlap definition (see the module docstring).
    references : list or None
        Reference draws per cluster (None for normal clusters) for the calibrated overlap.
    min_nn_overlap : float, optional
        The placement's certified nearest-neighbour minimum (reused, mapped through the
        scale, when every cluster is normal and the overlap is linear).
    max_moves : int
        Budget of single-pair moves for the average.

    Returns
    -------
    centers : ndarray (k, p)
    report : OverlapControl
        ``min_nn_overlap`` is exact for normal clusters under the linear overlap and a
        certified lower bound otherwise (each cluster's best of its nearest candidates).

    Raises
    ------
    OverlapError
        When the average cannot be met together with the bounds (the message names the
        bound to move), or the Bayes nearest-neighbour bound fails.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.tile(np.eye(2), (3, 1, 1))
    >>> M = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 7.0]])
    >>> M2, rep = control_overlap(M, A, min_overlap=0.001, max_overlap=0.05)
    >>> 0.045 <= rep.max_overlap <= 0.05
    True
    """
    min_overlap, max_overlap, avg_overlap, nn_overlap = check_overlap_targets(
        min_overlap, max_overlap, avg_overlap, nn_overlap, kind)
    centers, factors = np.asarray(centers, dtype=float), np.asarray(factors, dtype=float)
    if not (np.all(np.isfinite(centers)) and np.all(np.isfinite(factors))):
        raise SpecError("`centers` and `factors` must be finite")
    with limit_threads(1):  # many small eigh / solve calls: see synthkit._threads
        return _control(np.array(centers, dtype=float), factors,
                        min_overlap, max_overlap, avg_overlap, nn_overlap, kind, references,
                        min_nn_overlap, max_moves)


def _control(M, factors, min_overlap, max_overlap, avg_overlap, nn_overlap, kind, references,
             min_nn_overlap, max_moves):
    k = M.shape[0]
    covs = factors @ np.swapaxes(factors, -1, -2)
    refs = references if references is not None and any(r is not None for r in references) else None
    if k < 2:
        return M, OverlapControl(kind, 1.0, 0.0, 1.0, None, 0, 0)
    lo, target = tight_target(min_overlap, max_overlap)
    if nn_overlap is not None:
        return _control_nn(M, factors, covs, refs, kind, min_overlap, max_overlap,
                           float(nn_overlap))
    if avg_overlap is None:
        return _control_max(M, factors, covs, refs, kind, min_overlap, max_overlap, lo, target,
                            min_nn_overlap, max_moves)
    return _control_average(M, factors, covs, refs, kind, min_overlap, max_overlap,
                            float(avg_overlap), target, max_moves)


def _control_average(M, factors, covs, refs, kind, min_overlap, max_overlap, avg, target,
                     max_moves):
    k = M.shape[0]
    if k == 2 and not min_overlap <= avg <= max_overlap:
        raise OverlapError(f"with two clusters the mean overlap is their one pair's: avg_overlap={avg:g} "
                           f"must lie in [min_overlap, max_overlap] = [{min_overlap:g}, {max_overlap:g}]")
    I, J = np.triu_indices(k, 1)
    moves, n_eval, scale = 0, 0, 1.0
    mean = mx = nn_min = np.nan
    for _ in range(max_moves + 1):
        pairs = _Pairs(kind, M, factors, covs, refs, I, J)
        n_eval += pairs.P
        lam = _bisect_scale(lambda s, pairs=pairs: float(pairs.at(s, eps=_ROUGH * avg).mean()), avg)
        if lam <= 0:
            raise OverlapError(
                f"avg_overlap={avg:g} is above the mean overlap these cluster shapes reach even "
                "with equal centers: lower avg_overlap"
            )
        M *= lam
        scale *= lam
        pairs = _Pairs(kind, M, factors, covs, refs, I, J)
        ov = pairs.at(1.0)
        mean = float(ov.mean())
        Ov = np.zeros((k, k))
        Ov[I, J] = Ov[J, I] = ov
        nn = Ov.max(axis=1)
        mx, nn_min = float(ov.max()), float(nn.min())
        ok_mean = abs(mean / avg - 1.0) <= _AVG_SOLVE_RTOL
        if ok_mean and mx <= max_overlap and nn_min >= min_overlap:
            return M, OverlapControl(kind, scale, mx, nn_min, mean, moves, n_eval)
        if moves == max_moves:
            break
        moves += 1
        if mx > max_overlap:  # pull the pairs above the maximum apart, to the mean's level
            for e in np.argsort(-ov)[:int(np.sum(ov > max_overlap))]:
                i, j = int(I[e]), int(J[e])
                s = _Pairs(kind, M, factors, covs, refs, [i], [j]).scale_for(min(target, avg))[0]
                _move_pair(M, i, j, s)
        elif nn_min < min_overlap:  # bring the most isolated cluster towards its neighbour
            i = int(np.argmin(nn))
            j = int(np.argmax(Ov[i]))
            level = min(np.sqrt(min_overlap * max_overlap), 2 * min_overlap)
            s = _Pairs(kind, M, factors, covs, refs, [min(i, j)], [max(i, j)]).scale_for(level)[0]
            _move_pair(M, i, j, s, only_i=True)
    which = []
    if mx > max_overlap:
        which.append(f"a pair at {mx:.3g} above max_overlap={max_overlap:g}: raise max_overlap or "
                     "lower avg_overlap")
    if nn_min < min_overlap:
        which.append(f"a nearest neighbour at {nn_min:.3g} below min_overlap={min_overlap:g}: lower "
                     "min_overlap or raise avg_overlap")
    if not which:
        which.append(f"the mean settles at {mean:.3g}: move avg_overlap")
    raise OverlapError(
        f"cannot reach avg_overlap={avg:g} within the bounds after {max_moves} pair moves; "
        + "; ".join(which)
    )


def _control_max(M, factors, covs, refs, kind, min_overlap, max_overlap, lo, target,
                 min_nn_overlap, max_moves):
    """Closest pair to ``target``; isolated clusters moved towards their neighbour."""
    exact = kind == "linear" and refs is None  # homogeneous: one scaling step is exact
    scale, n_eval, moves = 1.0, 0, 0
    name = "Bayes overlap" if kind == "bayes" else "overlap"
    while True:
        for _ in range(4):  # a re-certified non-normal pair may land a little off the target
            lam, n, mx, _ = _max_scale(kind, M, factors, covs, refs, target)
            n_eval += n
            if lo <= mx <= max_overlap or (lam >= 1.0 and mx <= max_overlap):
                break
            if not lam > 0:
                raise OverlapError(
                    f"the target {target:.3g} of the closest pair's {name} is above what these "
                    "cluster shapes reach even with equal centers: lower max_overlap"
                )
            M *= lam
            scale *= lam
            if exact:
                mx = target
                break
        else:
            mx = _max_scale(kind, M, factors, covs, refs, target)[2]
        if mx > max_overlap:
            raise OverlapError(
                f"the closest pair's {name} stays at {mx:.3g}, above max_overlap={max_overlap:g}, "
                "after rescaling the centers; raise max_overlap or n_reference"
            )
        if exact and moves == 0 and min_nn_overlap is not None:
            # every overlap is 2 Phi(-lam q*): the order of the pairs is kept, so the
            # certified nearest-neighbour minimum maps through the same function
            nn = np.atleast_1d(q_to_overlap(scale * overlap_to_q(min_nn_overlap)))
            return M, OverlapControl(kind, scale, mx, float(nn.min()), None, moves, n_eval)
        nn, Ov = _nn_overlaps(kind, M, factors, covs, refs)
        if float(nn.min()) >= min_overlap:
            return M, OverlapControl(kind, scale, mx, float(nn.min()), None, moves, n_eval)
        if moves == max_moves:
            raise OverlapError(
                f"the {name} of a cluster's nearest neighbour is {nn.min():.3g}, below "
                f"min_overlap={min_overlap:g}, with the closest pair at {mx:.3g} after {moves} "
                "moves; widen the band: lower min_overlap or raise max_overlap"
            )
        moves += 1
        i = int(np.argmin(nn))  # the most isolated cluster moves towards its neighbour
        j = int(np.argmax(Ov[i]))
        pair = _Pairs(kind, M, factors, covs, refs, [min(i, j)], [max(i, j)])
        reach = float(pair.at(0.0)[0])  # the pair's overlap with equal centers
        level = float(np.sqrt(min_overlap * min(lo, reach)))
        s = pair.scale_for(level)[0] if reach > min_overlap else 0.0
        if s <= 0:
            raise OverlapError(
                f"clusters {i} and {j} differ so much in shape that even with equal centers "
                f"their {name} stays below min_overlap={min_overlap:g}: lower min_overlap, or "
                "make the shapes alike (radius_maxmin and aspect_maxmin closer to 1)"
            )
        _move_pair(M, i, j, s, only_i=True)


class _DiagCache:
    """Simultaneous diagonalisations ``W, lam`` of pairs, kept between rounds (they depend
    on the covariances only), within a memory budget; exact ``q*`` from them."""

    def __init__(self, covs: np.ndarray, max_bytes: float = 2**28):
        self.covs = covs
        p = covs.shape[1]
        self.cap = max(1, int(max_bytes // (8 * (p * p + p))))
        self.store: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def q(self, M: np.ndarray, I: np.ndarray, J: np.ndarray) -> np.ndarray:
        k = M.shape[0]
        keys = I * k + J
        miss = np.array([key not in self.store for key in keys.tolist()], dtype=bool)
        if miss.any():
            W, lam = _simultaneous_diag(self.covs[I[miss]], self.covs[J[miss]])
            if len(self.store) + int(miss.sum()) <= self.cap:
                self.store.update(zip(keys[miss].tolist(), zip(W, lam, strict=True), strict=True))
            else:  # over budget: compute every pair afresh
                return exact_q(M[J] - M[I], self.covs[I], self.covs[J])
        W = np.stack([self.store[key][0] for key in keys.tolist()])
        lam = np.stack([self.store[key][1] for key in keys.tolist()])
        return _exact_from_diag(W, lam, M[J] - M[I])[0]


def _candidate_overlaps(kind, M, factors, covs, refs, floor: float, cache=None):
    """Overlap matrix (k, k) over the pairs whose surrogate bound reaches ``floor`` and each
    cluster's surrogate-nearest pair (the others are below ``floor`` and left at 0), and
    the number of pairs evaluated."""
    k = M.shape[0]
    qs, I, J = _screen_q(factors, M)
    keep = qs < _pair_threshold(refs, I, J, floor)
    Q = np.full((k, k), np.inf)
    Q[I, J] = Q[J, I] = qs
    nearest = Q.argmin(axis=1)
    pid = np.zeros((k, k), int)
    pid[I, J] = pid[J, I] = np.arange(I.size)
    keep[pid[np.arange(k), nearest]] = True
    Ov = np.zeros((k, k))
    if keep.any() and cache is not None:
        ov = q_to_overlap(cache.q(M, I[keep], J[keep]))
        Ov[I[keep], J[keep]] = Ov[J[keep], I[keep]] = ov
    elif keep.any():
        ov = _Pairs(kind, M, factors, covs, refs, I[keep], J[keep]).at(1.0)
        Ov[I[keep], J[keep]] = Ov[J[keep], I[keep]] = ov
    return Ov, int(keep.sum())


def _control_nn(M, factors, covs, refs, kind, min_overlap, max_overlap, t, rounds: int = 25,
                rtol: float = 0.1):
    """Every cluster's nearest-neighbour overlap near ``t``: one scale puts the median
    there, then each cluster off by more than ``rtol`` (relative) moves along the line to
    its nearest neighbour, half-way in log overlap, round after round."""
    floor = t / 4  # a nearest neighbour within 10% of t, or a pair above max_overlap, is above it
    cache = _DiagCache(covs) if kind == "linear" and refs is None else None
    n_eval, moves, scale = 0, 0, 1.0
    Ov, n = _candidate_overlaps(kind, M, factors, covs, refs, floor, cache)
    nn_pair = Ov.argmax(axis=1)
    rows = np.arange(M.shape[0])
    I, J = np.minimum(rows, nn_pair), np.maximum(rows, nn_pair)
    nn_pairs = _Pairs(kind, M, factors, covs, refs, I, J)
    lam = _bisect_scale(lambda s: float(np.median(nn_pairs.at(s, eps=_ROUGH * t))), t)
    if lam <= 0:
        raise OverlapError(f"nn_overlap={t:g} is above the overlap these cluster shapes reach even "
                           "with equal centers: lower nn_overlap")
    M *= lam
    scale *= lam
    for _ in range(rounds):
        Ov, n = _candidate_overlaps(kind, M, factors, covs, refs, floor, cache)
        n_eval += n
        nn = Ov.max(axis=1)
        off = np.flatnonzero(np.abs(np.log(np.maximum(nn, 1e-300) / t)) > np.log1p(rtol))
        if not off.size:
            break
        for i in off:
            j = int(np.argmax(Ov[i]))
            level = float(np.sqrt(max(nn[i], 1e-300) * t))  # half-way in log overlap
            if kind == "linear" and refs is None:  # 2 Phi(-s q*): the scale in closed form
                s = float(overlap_to_q(level) / overlap_to_q(nn[i]))
            else:
                s = _Pairs(kind, M, factors, covs, refs, [min(i, j)], [max(i, j)]).scale_for(level)[0]
            if s > 0:
                _move_pair(M, int(i), j, s, only_i=True)
                moves += 1
    Ov, n = _candidate_overlaps(kind, M, factors, covs, refs, floor, cache)
    nn, mx = Ov.max(axis=1), float(Ov.max())
    if mx > max_overlap or nn.min() < min_overlap:
        raise OverlapError(
            f"cannot place every nearest neighbour near nn_overlap={t:g} inside "
            f"[min_overlap={min_overlap:g}, max_overlap={max_overlap:g}] (closest pair {mx:.3g}, "
            f"smallest nearest-neighbour overlap {nn.min():.3g}): widen that band or reduce n_clusters"
        )
    rep = OverlapControl(kind, scale, mx, float(nn.min()), None, moves, n_eval)
    rep.nn_spread = tuple(float(x) for x in np.quantile(nn / t, [0.0, 0.5, 1.0]))
    return M, rep
