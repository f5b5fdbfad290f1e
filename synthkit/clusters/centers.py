"""Center placement under minimax-overlap constraints, certified with the exact overlap
(normal clusters) or the certified best-linear overlap (other families).

Constraints (``k >= 2``): every pairwise overlap ``<= max_overlap`` and every
cluster's nearest-neighbour overlap ``>= min_overlap``.

Method
------
1. **Surrogate.** For the pair direction ``a = delta`` the rule's separation is
   ``q_s = |delta|^2 / (sqrt(delta' S_i delta) + sqrt(delta' S_j delta))``, a
   *lower* bound of the exact Anderson–Bahadur ``q*`` (so its overlap is an
   upper bound of the exact overlap). It costs two batched mat-muls for all
   pairs and has the analytic gradient
   ``dq_s/d delta = 2 delta / S - |delta|^2 / S^2 (S_i delta / s_i + S_j delta / s_j)``
   (checked against finite differences in the tests). The optimiser uses
   ``rho_ij * q_s`` where ``rho_ij = q*_ij / q_s`` is re-calibrated with the exact
   overlap for the pairs that matter after every round (``rho = 1`` elsewhere,
   which is conservative for the max constraint).
2. **Penalty**, smooth, scale free, over an *active set* of pairs (pairs near a
   threshold plus each cluster's nearest neighbours; rebuilt every round):
   ``sum_pairs relu(1 - q_ij / H_ij)^2 + sum_i relu(softmin_j (q_ij / L_ij - 1))^2``,
   minimised by L-BFGS-B from a random start ``M ~ N(0, I)`` scaled by ``packing``:
   ``"dense"`` (default) scales it so that the closest pair's separation is half the
   max threshold, ``q_min = H / 2``; every pair closer than ``H`` is then pushed apart
   only until it meets ``max_overlap``, so most pairs end near the maximum (the
   compressed start of repliclust's packing). ``"sparse"`` scales it so that the median
   nearest-neighbour separation is the geometric mean of the two thresholds; pairs are
   then pushed only as far as each cluster's nearest-neighbour constraint needs, and
   the placement is often a spanning tree of close pairs with the others far apart.
   Dense packing makes the overlap level set the difficulty of *all* pairs, which is
   what makes a clusterer's error rise with ``max_overlap`` in high dimensions
   (``docs/clusters.md``).
3. **Certificate.** After each round every pair whose surrogate cannot certify
   ``<= max_overlap`` is checked with the LDA approximation (also an upper bound of
   the exact overlap) and, if that cannot certify it either, with the exact overlap;
   each cluster's best nearest-neighbour candidates (one, then up to three) are
   evaluated with the exact overlap (for non-normal clusters the best-linear overlap
   of :func:`~synthkit.clusters.overlap.best_linear_pair_overlap`, for which the LDA tier is
   skipped). The placement is accepted only
   when both constraints hold under it; otherwise rounds continue, then
   restarts; the best restart (fewest violations) is kept. If none is certified the caller chooses between an
   :class:`~synthkit.errors.OverlapError` and a returned status.

4. **Control.** A certified placement is then moved by
   :func:`~synthkit.clusters.overlap_control.control_overlap` so the closest pair sits in
   ``[0.9 max_overlap, max_overlap]`` (one common scale of the centers, exact for normal
   clusters), or the mean pairwise overlap hits ``avg_overlap``, or every nearest-neighbour
   overlap sits near ``nn_overlap``; the certificate reports the controlled values.

Per-pair thresholds. After an evaluation, a pair's thresholds ``H_ij``, ``L_ij`` are the
``q*`` at which its certified overlap along the chosen direction ``a`` would equal
``max_overlap`` and ``min_overlap``: scaling ``delta`` by ``lam`` scales ``a'delta`` and
``q*`` alike, so ``thr = q* (s_i Q_i(1 - e) - s_j Q_j(e)) / a'delta`` with ``e`` the
level / 2 and ``Q`` the projected quantiles (``Phi^{-1}`` for a normal cluster). The
optimiser aims inside ``[H_ij (1 + eps_ij), L_ij (1 - eps_ij)]`` with
``eps_ij = min(0.2 (L_ij / H_ij - 1), 0.02)``, a margin derived from the pair's own band.

For normal clusters the certificate is rigorous: a pair not evaluated exactly
has ``exact overlap <= surrogate (or LDA) overlap <= max_overlap``. For non-normal
families unevaluated pairs are screened with the family's worst one-dimensional
tail quantile (a heuristic: the reported matrix, ``MixtureModel.overlap``, evaluates
every pair), and evaluated overlaps are Monte Carlo estimates whose largest standard
error is reported as ``overlap_se``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.optimize import minimize

from .._deprecation import warn_renamed
from .._threads import limit_threads
from ..errors import OverlapError, SpecError
from .overlap import (
    _best_linear_pair,
    exact_q,
    lda_q,
    overlap_to_q,
    q_to_overlap,
)
from .overlap_control import check_overlap_targets, control_overlap
from .surrogate import _TINY, PairSurrogate, _tail_quantile

__all__ = ["PairSurrogate", "PlacementResult", "place_centers"]

@dataclass
class PlacementResult:
    """Outcome of :func:`place_centers` (the overlap certificate of the centers).

    Attributes
    ----------
    centers : ndarray (k, p)
    certified : bool
        Both constraints hold under the exact overlap (normal clusters) or the
        certified best-linear overlap (non-normal clusters).
    max_overlap : float
        Largest pairwise overlap: exact (certified) for evaluated pairs, the surrogate
        upper bound for the others.
    min_nn_overlap : float
        Smallest, over clusters, of the best certified nearest-neighbour overlap.
    n_violations_max, n_violations_min : int
    restarts, rounds, exact_pairs : int
    seconds : float
    overlap_se : float
        Largest Monte Carlo standard error of the evaluated overlaps (0 when every
        cluster is normal; see :func:`~synthkit.clusters.overlap.best_linear_pair_overlap`).
    """

    centers: np.ndarray
    certified: bool
    max_overlap: float
    min_nn_overlap: float
    n_violations_max: int
    n_violations_min: int
    restarts: int
    rounds: int
    exact_pairs: int
    seconds: float
    message: str = ""
    extra: dict = field(default_factory=dict)
    overlap_se: float = 0.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("centers")
        return d


def _calibrated(pairs_I, pairs_J, M, factors, covs, refs, levels, search_from=None):
    """Exact ``q*``, certified overlaps, per-pair ``q`` thresholds at ``levels`` and SEs.

    A pair with a non-normal cluster is certified by
    :func:`~synthkit.clusters.overlap._best_linear_pair` (the same computation as
    :meth:`MixtureModel.overlap <synthkit.clusters.mixture.MixtureModel.overlap>`);
    its thresholds are taken along the certified direction ``a``:
    ``thr = q* (s_i Q_i(1 - e) - s_j Q_j(e)) / a'delta`` (module docstring).
    ``search_from`` (P,): search a pair's direction only when its Anderson–Bahadur
    overlap is at least this (a search can only lower the overlap, so it cannot change
    a decision below ``max_overlap`` for a pair that is no nearest-neighbour candidate,
    nor for a candidate already below ``min_overlap``).
    """
    delta = M[pairs_J] - M[pairs_I]
    q, a, _, si, sj = exact_q(delta, covs[pairs_I], covs[pairs_J], return_direction=True)
    P = q.size
    gap = q * (si + sj)
    ov = q_to_overlap(q)
    se = np.zeros(P)
    thr = np.tile(overlap_to_q(np.asarray(levels)), (P, 1))
    if refs is not None:
        for e in range(P):
            i, j = pairs_I[e], pairs_J[e]
            if (refs[i] is None and refs[j] is None) or gap[e] <= 0:
                continue  # normal pair, or equal centers (no direction: overlap stays 1)
            r = _best_linear_pair(M[i], factors[i], refs[i], M[j], factors[j], refs[j], a[e],
                                  0.0 if search_from is None else float(search_from[e]))
            ov[e], se[e] = r.overlap, r.se
            if not r.gap > 0:
                continue
            for c, lev in enumerate(levels):
                ee = lev / 2
                Qi = overlap_to_q(2 * ee) if r.u_i is None else np.quantile(r.u_i, 1 - ee)
                Qj = -overlap_to_q(2 * ee) if r.u_j is None else np.quantile(r.u_j, ee)
                thr[e, c] = q[e] * (r.s_i * Qi - r.s_j * Qj) / r.gap
    return q, ov, thr, se


def _nearest_evaluated(Ov: np.ndarray) -> np.ndarray:
    """Each cluster's largest overlap among its evaluated pairs (NaN: not evaluated; -1 if none).

    Every evaluated pair counts: a pair evaluated as another cluster's candidate, or for the
    max constraint, can be the closest.
    """
    return np.max(np.where(np.isnan(Ov), -1.0, Ov), axis=1)


def _place_centers(
    factors: np.ndarray,
    min_overlap: float,
    max_overlap: float,
    rng: np.random.Generator,
    *,
    references: list | None = None,
    on_infeasible: str = "raise",
    max_restarts: int = 5,
    max_rounds: int = 8,
    n_neighbors: int = 4,
    maxiter: int = 300,
    packing: str = "dense",
) -> PlacementResult:
    """Place ``k`` cluster centers meeting the overlap constraints (see module docstring).

    Parameters
    ----------
    factors : ndarray (k, p, p)
        Cluster factors ``A_i`` (covariance ``A_i A_i'``).
    min_overlap, max_overlap : float
        ``0 < min_overlap < max_overlap < 1``.
    rng : numpy.random.Generator
    references : list of k (m, p) arrays or None, optional
        Standardised reference draws per non-normal cluster (None = normal) for the
        per-family calibrated overlap.
    on_infeasible : {"raise", "return"}
        What to do when no restart is certified: raise :class:`OverlapError`, or
        return the best placement with ``certified=False``. ``on_fail`` is its
        deprecated name (a :class:`DeprecationWarning`).
    max_restarts, max_rounds, n_neighbors, maxiter : int
        Search budget.
    packing : {"dense", "sparse"}
        Scale of the random start (module docstring, step 2): ``"dense"`` brings most
        pairs near ``max_overlap``; ``"sparse"`` only each cluster's nearest neighbour.
    avg_overlap, nn_overlap : float, optional
        Target of the mean pairwise overlap, or of every nearest-neighbour overlap; see
        :func:`~synthkit.clusters.overlap_control.control_overlap`.
    overlap : {"linear", "bayes"}
        Overlap definition the control step uses (the placement is certified for the
        linear one; the Bayes overlap never exceeds it).

    Returns
    -------
    PlacementResult

    Examples
    --------
    >>> A = np.tile(np.eye(2), (3, 1, 1))
    >>> r = place_centers(A, 0.001, 0.05, np.random.default_rng(0))
    >>> r.certified
    True
    """
    t0 = time.perf_counter()
    factors = np.asarray(factors, dtype=float)
    k, p, _ = factors.shape
    if not (0 < min_overlap < max_overlap < 1):
        raise SpecError(
            f"overlaps must satisfy 0 < min_overlap < max_overlap < 1, got "
            f"min_overlap={min_overlap}, max_overlap={max_overlap}"
        )
    if on_infeasible not in ("raise", "return"):
        raise SpecError(f"`on_infeasible` must be 'raise' or 'return', got {on_infeasible!r}")
    check_packing(packing)
    if k == 1:
        return PlacementResult(np.zeros((1, p)), True, 0.0, 1.0, 0, 0, 0, 0, 0,
                               time.perf_counter() - t0, "one cluster: nothing to place")
    covs = factors @ np.swapaxes(factors, -1, -2)
    refs = references if references is not None and any(r is not None for r in references) else None
    levels = (max_overlap, min_overlap)
    tails: dict[int, float] = {}  # one quantile per distinct reference array
    for r in ([None] if refs is None else refs):
        if id(r) not in tails:
            tails[id(r)] = _tail_quantile(r, max_overlap / 2)
    tail_hi = np.array([tails[id(None if refs is None else refs[i])] for i in range(k)])
    q_lo = float(overlap_to_q(min_overlap))
    H0 = 0.5 * (tail_hi[:, None] + tail_hi[None, :])  # screening threshold (= q_hi if normal)
    L0 = np.full((k, k), q_lo)
    AI, AJ = np.triu_indices(k, 1)
    full = PairSurrogate(factors, AI, AJ)
    n_nb = min(n_neighbors, k - 1)

    best = None
    total_rounds = 0
    exact_pairs = 0
    for restart in range(max_restarts):
        M = rng.standard_normal((k, p))
        qs = full.q(M)
        Qs = np.full((k, k), np.inf)
        Qs[AI, AJ] = qs
        Qs[AJ, AI] = qs
        nn = Qs.min(1)
        if packing == "dense":
            M *= 0.5 * H0.min() / max(float(nn.min()), _TINY)
        else:
            M *= np.sqrt(H0.mean() * q_lo) / max(float(np.median(nn)), _TINY)
        rho = np.ones((k, k))
        H = H0.copy()
        L = L0.copy()
        for _round in range(max_rounds):
            total_rounds += 1
            qs = full.q(M)
            Qs = np.full((k, k), np.inf)
            Qs[AI, AJ] = qs
            Qs[AJ, AI] = qs
            Qh = rho * Qs
            near = Qh < np.maximum(H, L) * 1.5
            if n_nb:  # nearest relative to each pair's own min threshold (L = q_lo if normal)
                idx = np.argpartition(Qh / np.maximum(L, _TINY), n_nb - 1, axis=1)[:, :n_nb]
                near[np.arange(k)[:, None], idx] = True
            near = near | near.T
            act = near[AI, AJ]
            I, J = AI[act], AJ[act]
            obj = PairSurrogate(factors, I, J)
            # margin inside each pair's own band [H, L] (per pair: a non-normal pair's band
            # in q is not the normal one, and a margin wider than the band empties it)
            eps = np.clip(0.2 * (L[I, J] / H[I, J] - 1.0), 0.0, 0.02)
            rI, hI, lI = rho[I, J], H[I, J] * (1 + eps), L[I, J] * (1 - eps)

            def fun(x, obj=obj, rI=rI, hI=hI, lI=lI):
                f, g = obj.penalty(x.reshape(k, p), rI, hI, lI)
                return f, g.ravel()

            f0, _ = fun(M.ravel())
            if f0 > 0:
                res = minimize(fun, M.ravel(), jac=True, method="L-BFGS-B",
                               options={"maxiter": maxiter, "ftol": 1e-14, "gtol": 1e-12})
                M = res.x.reshape(k, p)
            # ---- certificate: surrogate -> LDA -> exact (each a valid upper bound on overlap)
            qs = full.q(M)
            Qs = np.full((k, k), np.inf)
            Qs[AI, AJ] = qs
            Qs[AJ, AI] = qs
            Qh = rho * Qs
            need = Qs < H0  # the surrogate cannot certify `<= max_overlap` here
            if refs is None and need.any():
                NI, NJ = np.nonzero(np.triu(need, 1))
                ql = lda_q(M[NJ] - M[NI], covs[NI], covs[NJ])
                ok = ql >= H0[NI, NJ]
                need[NI[ok], NJ[ok]] = need[NJ[ok], NI[ok]] = False
            Ov = np.full((k, k), np.nan)
            Se = np.zeros((k, k))
            cand = np.zeros((k, k), bool)
            # candidates: smallest q relative to the pair's min threshold (the pairs whose
            # certified overlap is likely largest; the plain q order when all are normal)
            order = np.argsort(Qh / np.maximum(L, _TINY), axis=1)[:, : min(3, k - 1)]
            todo = np.arange(k)
            for c in range(order.shape[1]):
                cand[todo, order[todo, c]] = True
                ev_m = (need if c == 0 else np.zeros_like(need)) | cand | cand.T
                ev_m &= np.isnan(Ov)
                EI, EJ = np.nonzero(np.triu(ev_m, 1))
                if EI.size:
                    exact_pairs += EI.size
                    nn_pair = cand[EI, EJ] | cand[EJ, EI]
                    q_ex, ov, thr, se = _calibrated(
                        EI, EJ, M, factors, covs, refs, levels,
                        np.where(nn_pair, min_overlap, np.nextafter(max_overlap, 1.0)))
                    rho[EI, EJ] = rho[EJ, EI] = np.maximum(q_ex / np.maximum(Qs[EI, EJ], _TINY), 1.0)
                    H[EI, EJ] = H[EJ, EI] = thr[:, 0]
                    L[EI, EJ] = L[EJ, EI] = thr[:, 1]
                    Ov[EI, EJ] = Ov[EJ, EI] = ov
                    Se[EI, EJ] = Se[EJ, EI] = se
                best_nn = _nearest_evaluated(Ov)
                todo = np.flatnonzero(best_nn < min_overlap)
                if todo.size == 0:
                    break
            v_max = int(np.sum(np.triu(Ov, 1) > max_overlap))
            v_min = int(todo.size)
            if refs is None and v_max == 0 and v_min == 0:
                # make each nearest-neighbour overlap exact: a pair not evaluated has
                # q* >= its surrogate q_s, so only pairs with q_s below the cluster's best
                # evaluated q* can be closer (dense packings hold many such pairs)
                closer = np.isnan(Ov) & (Qs < overlap_to_q(best_nn)[:, None])
                closer |= closer.T
                EI, EJ = np.nonzero(np.triu(closer, 1))
                if EI.size:
                    exact_pairs += EI.size
                    Ov[EI, EJ] = Ov[EJ, EI] = _calibrated(EI, EJ, M, factors, covs, refs, levels)[1]
                    best_nn = _nearest_evaluated(Ov)
                    v_max = int(np.sum(np.triu(Ov, 1) > max_overlap))
            evaluated = ~np.isnan(Ov)
            bound = np.where(evaluated, Ov, q_to_overlap(Qs) if refs is None else np.nan)
            np.fill_diagonal(bound, np.nan)
            max_ov = float(np.nanmax(bound)) if np.any(~np.isnan(bound)) else 0.0
            result = PlacementResult(
                M.copy(), v_max == 0 and v_min == 0, max_ov, float(np.min(best_nn)),
                v_max, v_min, restart + 1, total_rounds, exact_pairs, 0.0,
                overlap_se=float(Se.max()),
            )
            key = (v_max + v_min, max_ov)
            if best is None or key < best[0]:
                best = (key, result)
            if result.certified:
                result.seconds = time.perf_counter() - t0
                result.message = "both overlap constraints certified"
                return result
    res = best[1]
    res.rounds, res.exact_pairs = total_rounds, exact_pairs
    res.seconds = time.perf_counter() - t0
    res.message = (
        f"could not certify the overlap constraints after {max_restarts} restarts: "
        f"{res.n_violations_max} pair(s) above max_overlap={max_overlap}, "
        f"{res.n_violations_min} cluster(s) whose nearest neighbour is below "
        f"min_overlap={min_overlap}; widen the gap between min_overlap and max_overlap, "
        f"reduce n_clusters, or raise max_restarts"
    )
    if on_infeasible == "raise":
        raise OverlapError(res.message)
    return res


PACKINGS = ("dense", "sparse")


def check_packing(packing: str) -> str:
    """``packing`` if it names a start of the placement, else a :class:`SpecError`."""
    if not isinstance(packing, str) or packing not in PACKINGS:
        raise SpecError(f"`packing` must be one of {list(PACKINGS)}, got {packing!r}")
    return packing


def place_centers(factors, min_overlap: float, max_overlap: float, rng, *,
                  on_fail: str | None = None, avg_overlap: float | None = None,
                  nn_overlap: float | None = None, overlap: str = "linear",
                  **kwargs) -> PlacementResult:
    if on_fail is not None:
        warn_renamed("place_centers(on_fail=...)", "place_centers(on_infeasible=...)")
        kwargs["on_infeasible"] = on_fail
    check_overlap_targets(min_overlap, max_overlap, avg_overlap, nn_overlap, overlap)
    with limit_threads(1):  # many small eigh / solve calls: see synthkit._threads
        t0 = time.perf_counter()
        res = _place_centers(factors, min_overlap, max_overlap, rng, **kwargs)
        if not res.certified or res.centers.shape[0] < 2:
            return res
        try:
            M, report = control_overlap(res.centers, factors, min_overlap=min_overlap,
                                        max_overlap=max_overlap, avg_overlap=avg_overlap,
                                        nn_overlap=nn_overlap, kind=overlap,
                                        references=kwargs.get("references"),
                                        min_nn_overlap=res.min_nn_overlap)
        except OverlapError as err:
            if kwargs.get("on_infeasible", "raise") == "raise":
                raise
            res.certified = False  # the certified placement, without the requested control
            res.message = str(err)
            res.seconds = time.perf_counter() - t0
            return res
        res.centers = M
        res.max_overlap = report.max_overlap
        res.min_nn_overlap = report.min_nn_overlap
        res.extra.update(report.to_dict())
        res.seconds = time.perf_counter() - t0
        return res


place_centers.__doc__ = _place_centers.__doc__
