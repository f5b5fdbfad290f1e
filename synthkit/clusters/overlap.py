"""Overlap between clusters: exact minimax linear overlap, its LDA approximation,
per-family calibration for non-normal clusters and empirical certificates.

Definition
----------
The *overlap* of clusters ``i`` and ``j`` is twice the minimax error rate of the
best linear classifier between them: ``2 * min_{a, c} max(P_i(a'x > c), P_j(a'x <= c))``.
It is 1 for identical clusters and tends to 0 as they separate.

For normal clusters ``N(mu_i, S_i)`` and ``N(mu_j, S_j)`` a rule with direction
``a`` and the minimax threshold has error ``Phi(-q(a))`` with
``q(a) = a'delta / (sqrt(a'S_i a) + sqrt(a'S_j a))`` and ``delta = mu_j - mu_i``.

* **exact** (Anderson & Bahadur 1962, *Ann. Math. Statist.* 33:420-431): the
  admissible directions are ``a(t) = (t S_i + (1 - t) S_j)^{-1} delta`` for
  ``t`` in [0, 1]; the minimax rule maximises ``q(a(t))`` over ``t``. We reduce
  the pair to a simultaneous diagonalisation (``W' S_j W = I``, ``W' S_i W = diag(lam)``),
  after which every ``q(a(t))`` costs O(p), then search ``t`` on a grid and
  refine it by golden-section search. ``overlap = 2 * (1 - Phi(q*))``.
* **lda** (the approximation of Zellinger & Buehlmann 2023, arXiv 2303.14301):
  ``t = 1/2``, i.e. ``a = ((S_i + S_j) / 2)^{-1} delta``. Because the exact
  value maximises ``q`` over a set that contains this ``a``, **exact <= lda**
  always (tested).

Because ``q`` is positively homogeneous in ``delta``, the envelope theorem gives
the gradient of the exact ``q*`` in ``delta`` as ``a* / (sigma_i + sigma_j)``.

Non-normal clusters (``x = mu + A z`` with iid standardised draws ``z``) are
handled by :func:`calibrated_overlap_matrix` and :func:`best_linear_pair_overlap`.
The projection ``a'x = a'mu + w'z`` (``w = A'a``) is a sum of independent scaled
draws whose law depends on the direction of ``w``, not only on ``|w|`` (an
exponential cluster projected on one axis keeps a bounded left tail, on a diagonal
of many axes it is nearly normal), so the normal-theory direction is not the best one: at
p = 5 the best linear rule between two exponential or Pareto clusters can err
several times less often along another direction. The certificate is the minimax
error of the best linear rule found with a fixed reference sample of ``z`` per
family (``m`` draws, seeded from the caller's seed):

1. **Anderson–Bahadur direction**, evaluated on all ``m`` draws (it does not depend
   on them): the projected quantiles replace ``Phi^{-1}`` and the minimax error
   ``e`` solves ``s_i Q_i(1 - e) - s_j Q_j(e) = a'delta``, exactly on the
   order-statistic grid (:func:`calibrated_pair_overlap`).
2. **searched direction**: from there, L-BFGS-B minimises the kernel-smoothed
   minimax error on the first ``r`` draws (``r ~ 400 / e``, between 10 000 and
   ``m / 2``; integrated triweight kernel of half-width ``0.2 |w|``; at most 30
   evaluations, as further steps mostly fit the draws' noise). The threshold
   solves ``E_i(c) = E_j(c)`` by safeguarded Newton steps and the implicit-function
   gradient is ``de/da = (E_j' dE_i/da - E_i' dE_j/da) / (E_j' - E_i')`` (primes:
   ``d/dc``). The rule found is evaluated as in 1. on the other ``m - r`` draws,
   which the search never saw, so its value is not optimistic.

The smaller of the two is certified (a slight downward selection when both are
close), with the standard-error bound ``2 sqrt(e (1 - e) / n)`` (``n`` draws of its
evaluation; the bound takes the worse of the two clusters' binomial errors). A pair is searched only when the
first half of the reference holds at least 20 draws in its error region; below
that resolution the Anderson–Bahadur value is kept, an upper bound of the
best-linear overlap. Both values estimate the error of a fixed rule, so the
certificate estimates an upper bound of the best-linear overlap; in the tests it
matches the exact best-linear overlap of two exponential clusters at p = 2 (by
quadrature) and, at p = 5, the best rule found on 800 000 fresh points per cluster
for Student-t, exponential and Pareto clusters, within a few standard errors. In high
dimension the search, fitted on a finite reference, may stop short of the best
direction: the certificate stays an honest estimate of its own rule's error.
Skewness stays one-sided (the right tail of ``i`` faces the left tail of ``j``).

**What the number is.** For a pair with a non-normal cluster the reported overlap (the
placement certificate, ``MixtureModel.overlap``, ``ClusterDataset.achieved_overlap`` and
the validation rows) is twice the minimax error of the best linear rule *found*, a Monte
Carlo estimate with the standard-error bound above (``return_se=True``). It can only
overstate the best linear rule's overlap, and it is not the Bayes overlap of the
quadratic rule. In the tests the certified rule, measured on fresh points, errs at the
certified rate within four standard errors for every family at p = 2, 5 and 10, and so
does the best linear rule fitted on those points.

**Scaling the centers.** :func:`pair_overlap_along` re-evaluates one rule on the same
draws while the center difference is multiplied by a factor: deterministic, continuous
and non-increasing in the factor, with its inverse in closed form
(``_PairCertificate.scale_for``), so one common factor for all centers can be solved
exactly. Re-certifying from scratch at each factor re-runs the direction search, whose
value moves by up to about 1e-4 (not monotonically) between factors 1e-4 apart.

:func:`empirical_overlap_matrix` measures the achieved overlap on points: per
pair a linear direction is fitted on the sample moments (and, with
``direction="best"``, refined by the same smoothed search on the points), then the
threshold minimising the larger of the two class error rates is found exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.special import chdtr, chdtri, ndtr, ndtri

from .._deprecation import warn_renamed
from .._threads import limit_threads
from ..errors import DataError, SpecError

# the closest pair of a controlled archetype lies in [TIGHT_FRACTION * max_overlap, max_overlap]
TIGHT_FRACTION = 0.9

__all__ = [
    "TIGHT_FRACTION",
    "overlap_matrix",
    "pairwise_overlap",
    "minimax_direction",
    "lda_q",
    "exact_q",
    "q_to_overlap",
    "overlap_to_q",
    "calibrated_overlap",
    "calibrated_overlap_matrix",
    "calibrated_pair_overlap",
    "best_linear_pair_overlap",
    "pair_overlap_along",
    "empirical_overlap_matrix",
    "empirical_minimax_error",
    "single_thread_blas",
]

_GRID = 17  # t grid points before the golden-section refinement
_GOLDEN_ITERS = 40
_CHUNK_BYTES = 48 * 2**20


def single_thread_blas():
    """Deprecated name of ``synthkit._threads.limit_threads(1)`` (one BLAS thread in a block)."""
    warn_renamed("synthkit.overlap.single_thread_blas()", "synthkit._threads.limit_threads(1)")
    return limit_threads(1)


def q_to_overlap(q: np.ndarray | float) -> np.ndarray | float:
    """Overlap ``2 * (1 - Phi(q))`` of a minimax linear rule with separation ``q``.

    Examples
    --------
    >>> round(float(q_to_overlap(1.959964)), 4)
    0.05
    """
    return 2.0 * ndtr(-np.asarray(q, dtype=float))


def overlap_to_q(overlap: np.ndarray | float) -> np.ndarray | float:
    """Inverse of :func:`q_to_overlap`: ``q = Phi^{-1}(1 - overlap / 2)``.

    Examples
    --------
    >>> round(float(overlap_to_q(0.05)), 4)
    1.96
    """
    return -ndtri(np.asarray(overlap, dtype=float) / 2.0)


# --------------------------------------------------------------------------- inputs


#: The largest condition number of a covariance whose overlaps are computed: beyond it the
#: simultaneous diagonalisation of a pair loses the small eigenvalues to round-off.
MAX_CONDITION = 1e12


def _check_means_covs(means, covs) -> tuple[np.ndarray, np.ndarray]:
    try:
        means = np.asarray(means, dtype=float)
        covs = np.asarray(covs, dtype=float)
    except (TypeError, ValueError):
        raise SpecError("`means` and `covs` must be arrays of numbers") from None
    if means.ndim == 1:
        means = means[:, None]
    if means.ndim != 2:
        raise SpecError(f"`means` must be a (k, p) array, got shape {means.shape}")
    k, p = means.shape
    if k < 1 or p < 1:
        raise SpecError(f"`means` needs at least one cluster and one dimension, got shape {means.shape}")
    if covs.ndim == 1 and p == 1:
        covs = covs[:, None, None]
    if covs.shape != (k, p, p):
        raise SpecError(
            f"`covs` must have shape (k, p, p) = ({k}, {p}, {p}) to match `means`, "
            f"got {covs.shape}"
        )
    if not (np.all(np.isfinite(means)) and np.all(np.isfinite(covs))):
        raise SpecError("`means` and `covs` must be finite")
    if not np.allclose(covs, covs.transpose(0, 2, 1), rtol=1e-8, atol=1e-10):
        raise SpecError("every covariance matrix in `covs` must be symmetric")
    ev = np.linalg.eigvalsh(covs)  # one factorisation: positive definite, and how well conditioned
    if np.any(ev[:, 0] <= 0):
        raise SpecError(
            "every covariance matrix in `covs` must be positive definite; add a small ridge "
            "(e.g. 1e-9 * I) to singular ones"
        )
    cond = ev[:, -1] / ev[:, 0]
    if np.any(cond > MAX_CONDITION):
        c = int(np.argmax(cond))
        raise SpecError(
            f"covariance {c} has condition number {cond[c]:.3g}, above {MAX_CONDITION:g}: its overlaps "
            "cannot be computed reliably in double precision; rescale the coordinates or add a ridge "
            "to its smallest eigenvalues"
        )
    return means, covs


def _chunks(n_pairs: int, p: int, per_pair_mats: int = 4):
    size = max(1, int(_CHUNK_BYTES // (8 * per_pair_mats * max(p * p, _GRID * p))))
    for start in range(0, n_pairs, size):
        yield slice(start, min(start + size, n_pairs))


# ----------------------------------------------------------------------- exact pairs


def _simultaneous_diag(cov_i: np.ndarray, cov_j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Batched ``W, lam`` with ``W' S_j W = I`` and ``W' S_i W = diag(lam)``."""
    L = np.linalg.cholesky(cov_j)
    Linv = np.linalg.inv(L)
    C = Linv @ cov_i @ np.swapaxes(Linv, -1, -2)
    C = 0.5 * (C + np.swapaxes(C, -1, -2))
    lam, V = np.linalg.eigh(C)
    W = np.swapaxes(Linv, -1, -2) @ V
    # guard round-off: eigenvalues of a PD pencil are positive; keep them >= 1e-13 * largest
    return W, np.maximum(lam, 1e-13 * np.max(lam, axis=-1, keepdims=True))


def _q_of_t(t: np.ndarray, b2: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """q(a(t)) for t of shape (P, G) in the diagonal basis (b2 = b**2, lam: (P, p))."""
    d = t[..., None] * lam[:, None, :] + (1.0 - t[..., None])
    w = b2[:, None, :] / d
    num = w.sum(-1)
    wd = w / d
    si = np.sqrt(np.einsum("pgk,pk->pg", wd, lam))
    sj = np.sqrt(wd.sum(-1))
    den = si + sj
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    return q


def _exact_from_diag(W: np.ndarray, lam: np.ndarray, delta: np.ndarray):
    """Maximise q(a(t)) over t in [0, 1]; returns q*, t*, a*, sigma_i, sigma_j."""
    b = np.einsum("pkm,pk->pm", W, delta)
    b2 = b * b
    P = b.shape[0]
    grid = np.broadcast_to(np.linspace(0.0, 1.0, _GRID), (P, _GRID))
    qg = _q_of_t(grid, b2, lam)
    best = np.argmax(qg, axis=1)
    h = 1.0 / (_GRID - 1)
    lo = np.clip(grid[np.arange(P), best] - h, 0.0, 1.0)
    hi = np.clip(grid[np.arange(P), best] + h, 0.0, 1.0)
    g = (np.sqrt(5.0) - 1.0) / 2.0
    x1 = hi - g * (hi - lo)
    x2 = lo + g * (hi - lo)
    f1 = _q_of_t(x1[:, None], b2, lam)[:, 0]
    f2 = _q_of_t(x2[:, None], b2, lam)[:, 0]
    for _ in range(_GOLDEN_ITERS):
        left = f1 > f2  # the maximum lies in [lo, x2]
        hi = np.where(left, x2, hi)
        lo = np.where(left, lo, x1)
        new_x = np.where(left, hi - g * (hi - lo), lo + g * (hi - lo))
        f_new = _q_of_t(new_x[:, None], b2, lam)[:, 0]
        x1, x2, f1, f2 = (
            np.where(left, new_x, x2),
            np.where(left, x1, new_x),
            np.where(left, f_new, f2),
            np.where(left, f1, f_new),
        )
    # golden section bookkeeping above keeps (x1, f1), (x2, f2) consistent; take the best
    # of the refined point and the grid maximum (guards against non-unimodal q).
    t_star = 0.5 * (lo + hi)
    q_star = _q_of_t(t_star[:, None], b2, lam)[:, 0]
    q_grid = qg[np.arange(P), best]
    use_grid = q_grid > q_star
    t_star = np.where(use_grid, grid[np.arange(P), best], t_star)
    q_star = np.maximum(q_star, q_grid)
    d = t_star[:, None] * lam + (1.0 - t_star[:, None])
    coef = b / d
    a = np.einsum("pkm,pm->pk", W, coef)
    s_i = np.sqrt(np.sum(lam * coef * coef, axis=1))
    s_j = np.sqrt(np.sum(coef * coef, axis=1))
    return q_star, t_star, a, s_i, s_j


def exact_q(delta: np.ndarray, cov_i: np.ndarray, cov_j: np.ndarray, *, return_direction=False):
    """Anderson–Bahadur minimax separation ``q*`` for a batch of pairs.

    Parameters
    ----------
    delta : ndarray, shape (P, p)
        ``mu_j - mu_i`` per pair.
    cov_i, cov_j : ndarray, shape (P, p, p)
        Positive definite covariances.
    return_direction : bool
        Also return ``(a*, t*, sigma_i, sigma_j)``: the minimax direction
        ``a* = (t* S_i + (1 - t*) S_j)^{-1} delta`` and the projected standard deviations.

    Returns
    -------
    q : ndarray, shape (P,)
        ``max_t a(t)'delta / (sqrt(a(t)' S_i a(t)) + sqrt(a(t)' S_j a(t)))``.

    Examples
    --------
    >>> import numpy as np
    >>> float(exact_q(np.array([[2.0]]), np.eye(1)[None], np.eye(1)[None])[0])
    1.0
    """
    delta = np.atleast_2d(np.asarray(delta, dtype=float))
    P, p = delta.shape
    q = np.empty(P)
    t = np.empty(P)
    a = np.empty((P, p))
    si = np.empty(P)
    sj = np.empty(P)
    with limit_threads(1):
        for sl in _chunks(P, p):
            W, lam = _simultaneous_diag(cov_i[sl], cov_j[sl])
            q[sl], t[sl], a[sl], si[sl], sj[sl] = _exact_from_diag(W, lam, delta[sl])
    if return_direction:
        return q, a, t, si, sj
    return q


def lda_q(delta: np.ndarray, cov_i: np.ndarray, cov_j: np.ndarray) -> np.ndarray:
    """Separation of the rule ``a = ((S_i + S_j)/2)^{-1} delta`` (Zellinger–Bühlmann's approximation).

    Examples
    --------
    >>> import numpy as np
    >>> float(lda_q(np.array([[2.0]]), np.eye(1)[None], np.eye(1)[None])[0])
    1.0
    """
    delta = np.atleast_2d(np.asarray(delta, dtype=float))
    P, p = delta.shape
    q = np.empty(P)
    with limit_threads(1):
        for sl in _chunks(P, p, per_pair_mats=2):
            a = np.linalg.solve(0.5 * (cov_i[sl] + cov_j[sl]), delta[sl][..., None])[..., 0]
            num = np.sum(a * delta[sl], axis=1)
            si = np.sqrt(np.einsum("pk,pkm,pm->p", a, cov_i[sl], a))
            sj = np.sqrt(np.einsum("pk,pkm,pm->p", a, cov_j[sl], a))
            den = si + sj
            q[sl] = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    return q


def _pairs(k: int, pairs) -> tuple[np.ndarray, np.ndarray]:
    if pairs is None:
        return np.triu_indices(k, 1)
    pairs = np.asarray(pairs, dtype=int).reshape(-1, 2)
    if pairs.size and (pairs.min() < 0 or pairs.max() >= k):
        raise SpecError(f"`pairs` must index clusters 0..{k - 1}")
    return pairs[:, 0], pairs[:, 1]


def overlap_matrix(means, covs, method: str = "exact", *, pairs=None) -> np.ndarray:
    """Pairwise overlap of normal clusters as a symmetric (k, k) matrix with zero diagonal.

    Parameters
    ----------
    means : array_like, shape (k, p)
    covs : array_like, shape (k, p, p)
    method : {"exact", "lda"}
        ``"exact"``: twice the minimax error of the best linear rule
        (Anderson–Bahadur search over ``t``). ``"lda"``: the approximation with
        ``t = 1/2`` (never below the exact value).
    pairs : array_like of shape (P, 2), optional
        Only compute these pairs (others are left at 0).

    Returns
    -------
    ndarray, shape (k, k)

    Examples
    --------
    >>> import numpy as np
    >>> m = overlap_matrix([[0.0, 0.0], [3.92, 0.0]], [np.eye(2), np.eye(2)])
    >>> round(float(m[0, 1]), 3)
    0.05
    """
    means, covs = _check_means_covs(means, covs)
    if method not in ("exact", "lda"):
        raise SpecError(f"`method` must be 'exact' or 'lda', got {method!r}")
    k = means.shape[0]
    I, J = _pairs(k, pairs)
    out = np.zeros((k, k))
    if len(I) == 0:
        return out
    delta = means[J] - means[I]
    fn = exact_q if method == "exact" else lda_q
    q = np.empty(len(I))
    p = means.shape[1]
    for sl in _chunks(len(I), p):
        q[sl] = fn(delta[sl], covs[I[sl]], covs[J[sl]])
    ov = q_to_overlap(q)
    out[I, J] = ov
    out[J, I] = ov
    return out


def pairwise_overlap(mu_i, cov_i, mu_j, cov_j, method: str = "exact") -> float:
    """Overlap of two normal clusters (see :func:`overlap_matrix`).

    Examples
    --------
    >>> import numpy as np
    >>> round(pairwise_overlap([0, 0], np.eye(2), [3.92, 0], np.eye(2)), 3)
    0.05
    """
    mu_i = np.atleast_1d(np.asarray(mu_i, dtype=float))
    mu_j = np.atleast_1d(np.asarray(mu_j, dtype=float))
    p = mu_i.shape[0]
    cov_i = np.asarray(cov_i, dtype=float)
    cov_j = np.asarray(cov_j, dtype=float)
    if mu_i.shape != (p,) or mu_j.shape != (p,) or cov_i.size != p * p or cov_j.size != p * p:
        raise SpecError(f"the two clusters must have means of one length p and p x p covariances, "
                        f"got means of shapes {mu_i.shape} and {mu_j.shape} and covariances of "
                        f"shapes {cov_i.shape} and {cov_j.shape}")
    cov_i, cov_j = cov_i.reshape(p, p), cov_j.reshape(p, p)
    m = overlap_matrix(np.stack([mu_i, mu_j]), np.stack([cov_i, cov_j]), method=method)
    return float(m[0, 1])


def minimax_direction(mu_i, cov_i, mu_j, cov_j) -> tuple[np.ndarray, float]:
    """The Anderson–Bahadur (1962) minimax direction ``a*`` and its ``t*`` for one pair.

    Examples
    --------
    >>> import numpy as np
    >>> a, t = minimax_direction([0, 0], np.eye(2), [2, 0], np.eye(2))
    >>> np.round(a, 6).tolist()
    [2.0, 0.0]
    """
    mu_i = np.atleast_1d(np.asarray(mu_i, dtype=float))
    mu_j = np.atleast_1d(np.asarray(mu_j, dtype=float))
    p = mu_i.shape[0]
    ci = np.asarray(cov_i, dtype=float).reshape(1, p, p)
    cj = np.asarray(cov_j, dtype=float).reshape(1, p, p)
    _, a, t, _, _ = exact_q((mu_j - mu_i)[None], ci, cj, return_direction=True)
    return a[0], float(t[0])


# ------------------------------------------------------------- calibrated (non-normal)


def _interp_quantile(sorted_ref: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """Row-wise linear-interpolated quantiles; ``sorted_ref`` (P, m), ``prob`` (P,)."""
    m = sorted_ref.shape[1]
    pos = np.clip(prob, 0.0, 1.0) * (m - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, m - 1)
    frac = pos - lo
    rows = np.arange(sorted_ref.shape[0])
    return sorted_ref[rows, lo] * (1 - frac) + sorted_ref[rows, hi] * frac


def calibrated_overlap(
    gap: np.ndarray,
    s_i: np.ndarray,
    s_j: np.ndarray,
    u_i_sorted: np.ndarray | None,
    u_j_sorted: np.ndarray | None,
) -> np.ndarray:
    """Minimax linear overlap along a fixed direction from the projected quantiles.

    Solves ``s_i Q_i(1 - e) - s_j Q_j(e) = gap`` for the minimax error ``e`` by
    bisection and returns ``2 e``; ``Q`` are the interpolated quantiles of the
    standardised projections (``None`` = standard normal, solved in closed form).

    Parameters
    ----------
    gap : (P,) ``a'delta`` along the direction ``a`` (positive).
    s_i, s_j : (P,) projected scales ``|A_i' a|``, ``|A_j' a|``.
    u_i_sorted, u_j_sorted : (P, m) sorted reference projections, or None.

    Returns
    -------
    ndarray, shape (P,)
        Overlap resolved down to about ``2 / m``; below that the pair is reported
        at the normal-theory value capped by ``2 / m``.
    """
    gap = np.asarray(gap, dtype=float)
    if u_i_sorted is None and u_j_sorted is None:
        return q_to_overlap(gap / (s_i + s_j))
    P = gap.shape[0]

    def Q(ref, prob):
        if ref is None:
            return ndtri(np.clip(prob, 1e-300, 1 - 1e-16))
        return _interp_quantile(ref, prob)

    lo = np.zeros(P)
    hi = np.full(P, 0.5)
    for _ in range(50):
        e = 0.5 * (lo + hi)
        h = s_i * Q(u_i_sorted, 1.0 - e) - s_j * Q(u_j_sorted, e) - gap
        # h decreases in e; h > 0 means e too small
        lo = np.where(h > 0, e, lo)
        hi = np.where(h > 0, hi, e)
    e = 0.5 * (lo + hi)
    m = min(r.shape[1] for r in (u_i_sorted, u_j_sorted) if r is not None)
    floor = 1.0 / m
    tiny = e < floor
    if np.any(tiny):
        normal = q_to_overlap(gap / (s_i + s_j)) / 2
        e = np.where(tiny, np.minimum(normal, floor), e)
    return 2.0 * e


def project_reference(reference: np.ndarray | None, factor: np.ndarray,
                      direction: np.ndarray) -> np.ndarray | None:
    """Standardised projection ``z @ w/|w|`` (``w = Aᵀa``) of a cluster's reference draws
    ``z`` onto ``direction`` ``a``; None for a normal cluster (no reference needed)."""
    if reference is None:
        return None
    w = factor.T @ direction
    return reference @ (w / np.linalg.norm(w))


def calibrated_pair_overlap(
    u_i: np.ndarray | None, u_j: np.ndarray | None, s_i: float, s_j: float, gap: float
) -> float:
    """Calibrated overlap of one pair from *unsorted* standardised projections.

    Same quantity as :func:`calibrated_overlap` (linear-interpolated quantiles),
    solved exactly on the order-statistic grid ``e_r = r / (m - 1)``:
    ``h_r = s_i Q_i(1 - e_r) - s_j Q_j(e_r) - gap`` decreases in ``r``, and ``e``
    interpolates linearly between the last positive and first non-positive ``h_r``.
    Only the two facing tails are ordered (``np.partition`` of the ``T`` most
    extreme values, ``T`` grown by 4x until the root is inside), so a far-apart
    pair costs O(m) instead of a full sort. References of different sizes are
    solved by bisection (:func:`calibrated_overlap`).

    Examples
    --------
    >>> round(calibrated_pair_overlap(None, None, 1.0, 1.0, 3.92), 3)
    0.05
    """
    if u_i is None and u_j is None:
        return float(q_to_overlap(gap / (s_i + s_j)))
    if u_i is not None and u_j is not None and u_i.shape[0] != u_j.shape[0]:
        # the order-statistic grid below assumes one reference size: bisect instead
        return float(calibrated_overlap(np.array([gap]), s_i, s_j,
                                        np.sort(u_i)[None], np.sort(u_j)[None])[0])
    m = (u_i if u_i is not None else u_j).shape[0]
    half = (m - 1) // 2
    T = min(256, half + 1)
    while True:
        r = np.arange(T)
        e = r / (m - 1)
        if u_i is None:
            qi = -ndtri(np.maximum(e, 1e-300))
        else:
            top = np.partition(u_i, m - T)[m - T :] if T < m else u_i.copy()
            top.sort()
            qi = top[::-1]
        if u_j is None:
            qj = ndtri(np.maximum(e, 1e-300))
        else:
            bot = np.partition(u_j, T - 1)[:T] if T < m else u_j.copy()
            bot.sort()
            qj = bot
        h = s_i * qi - s_j * qj - gap
        neg = np.flatnonzero(h <= 0)
        if neg.size or T >= half + 1:
            break
        T = min(4 * T, half + 1)
    if neg.size == 0:  # no crossing before e = 1/2: the clusters overlap completely
        return 1.0
    return _root_overlap(h, int(neg[0]), m, s_i, s_j, gap)


def _root_overlap(h: np.ndarray, r1: int, m: int, s_i: float, s_j: float, gap: float) -> float:
    """Overlap from the first non-positive ``h_r`` (linear interpolation in ``e``).

    Beyond the reference's resolution (``r1 = 0``) the normal tail capped at ``2 / m`` is
    reported; the first grid cell (``r1 = 1``) never reports less, so the overlap is
    continuous and non-increasing in ``gap``.
    """
    floor = float(min(q_to_overlap(gap / (s_i + s_j)), 2.0 / m))
    if r1 == 0:
        return floor
    h0, h1 = h[r1 - 1], h[r1]
    frac = h0 / (h0 - h1) if h0 != h1 else 0.0
    value = float(2.0 * (r1 - 1 + frac) / (m - 1))
    return max(value, floor) if r1 == 1 else value


# ------------------------------------------------------- best linear rule (non-normal)

_SEARCH_HALFWIDTH = 0.2  # kernel half-width of the smoothed search, in projected standard deviations
_SEARCH_MIN_TAIL = 20  # draws of a reference's first half needed in the error region to search
_SEARCH_ROWS = 400  # search rows ~ _SEARCH_ROWS / error (at least _SEARCH_MIN_ROWS, at most the half)
_SEARCH_MIN_ROWS = 10_000
_SEARCH_MAXFUN = 30  # objective evaluations per search (more only overfits the search rows)
_SQRT_2PI = float(np.sqrt(2.0 * np.pi))
_TINY_NORM = 1e-300


def _kernel(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integrated triweight kernel ``K`` (a CDF on [-1, 1]) and its density ``k = K'``."""
    t2 = t * t
    K = 0.5 + (35.0 / 32.0) * t * (1.0 - t2 + 0.6 * t2 * t2 - t2 * t2 * t2 / 7.0)
    return K, (35.0 / 32.0) * (1.0 - t2) ** 3


class _SmoothedError:
    """One cluster's kernel-smoothed error rate along a direction ``a`` (search objective).

    Cluster ``x = mu + A z``. For the rule ``a'x > c`` the *low* cluster (``sign = +1``)
    errs when ``a'x > c`` and the *high* one (``sign = -1``) when ``a'x <= c``. With draws
    ``z_r`` the error is ``E(c) = mean_r K((v_r - sign c) / h)`` where
    ``v_r = sign (a'mu + w'z_r)``, ``w = A'a`` and ``h = 0.2 |w|``; a normal cluster
    (``ref`` None) uses ``Phi(sign (a'mu - c) / |w|)`` exactly. Only the draws above
    ``sign c - h`` enter ``E``: they are selected once per direction (with a margin) and
    re-selected only when the threshold leaves the selection.
    """

    def __init__(self, mu: np.ndarray, A: np.ndarray, ref: np.ndarray | None, sign: float):
        self.mu, self.A, self.ref, self.sign = mu, A, ref, float(sign)

    def at(self, a: np.ndarray) -> None:
        self.w = self.A.T @ a
        self.s = float(np.sqrt(self.w @ self.w))
        self.loc = float(a @ self.mu)
        if self.ref is not None:
            self.h = _SEARCH_HALFWIDTH * self.s
            self.v = self.ref @ (self.sign * self.w).astype(self.ref.dtype) + self.sign * self.loc
            self._floor = np.inf  # no selection yet

    def error(self, c: float) -> tuple[float, float]:
        """``E(c)`` and ``dE/dc``; remembers what :meth:`gradient` needs at this ``c``."""
        if self.ref is None:
            z = self.sign * (self.loc - c) / self.s
            self._z = z
            return float(ndtr(z)), -self.sign * float(np.exp(-0.5 * z * z)) / (_SQRT_2PI * self.s)
        t0 = self.sign * c
        if t0 - self.h < self._floor:  # select the draws that can count, with a margin
            self._floor = t0 - 4.0 * self.h
            self._rows = np.flatnonzero(self.v >= self._floor)
            self._vs = self.v[self._rows]
        vs = self._vs
        inner = np.flatnonzero(np.abs(vs - t0) < self.h)
        t = (vs[inner] - t0) / self.h
        K, k = _kernel(t)
        self._band, self._t, self._k = self._rows[inner], t, k
        m = self.v.size
        above = np.count_nonzero(vs >= t0 + self.h)
        return (above + float(K.sum())) / m, -self.sign * float(k.sum()) / (self.h * m)

    def gradient(self) -> np.ndarray:
        """``dE/da`` at fixed ``c`` (the one of the last :meth:`error` call)."""
        Aw = self.A @ self.w
        if self.ref is None:
            z = self._z
            return float(np.exp(-0.5 * z * z)) / _SQRT_2PI * (
                self.sign * self.mu / self.s - z * Aw / self.s**2)
        m = self.v.size
        kr = self._k / (self.h * m)
        g = self.sign * (self.A @ (self.ref[self._band].T @ kr) + self.mu * float(kr.sum()))
        return g - (float(self._k @ self._t) / m) * Aw / self.s**2


def _minimax_threshold(low: _SmoothedError, high: _SmoothedError, c: float, scale: float):
    """Solve ``E_low(c) = E_high(c)`` (decreasing minus increasing) by safeguarded Newton.

    Returns ``c, E_low, E_high, dE_low/dc, dE_high/dc`` at the returned ``c`` (the last
    point evaluated, so the sides' :meth:`_SmoothedError.gradient` refer to it).
    """
    lo, hi = -np.inf, np.inf
    step = scale
    for _ in range(200):
        Ei, di = low.error(c)
        Ej, dj = high.error(c)
        h = Ei - Ej
        if abs(h) <= 1e-8 * (Ei + Ej) + 1e-300:
            break
        if h > 0:
            lo = c
        else:
            hi = c
        if hi - lo <= 1e-13 * scale:
            break
        dh = di - dj
        new = c - h / dh if dh < 0 else np.nan
        if not (lo < new < hi):  # Newton left the bracket (or no slope): bisect or expand
            if np.isfinite(lo) and np.isfinite(hi):
                new = 0.5 * (lo + hi)
            else:
                new = lo + step if np.isfinite(lo) else hi - step
                step *= 2.0
        c = new
    return c, Ei, Ej, di, dj


def _search_direction(mu_i, A_i, ref_i, mu_j, A_j, ref_j, a0: np.ndarray) -> np.ndarray:
    """Direction minimising the kernel-smoothed minimax error (L-BFGS-B from ``a0``).

    The objective is scaled by its value at ``a0`` so that the stopping tolerances
    are relative whatever the size of the error; at most ``_SEARCH_MAXFUN`` evaluations
    (further steps mostly fit the search draws' noise). In one dimension the only
    directions are ``±1`` and there is nothing to search; elsewhere a step onto ``a = 0``
    (no direction) is refused as a worse value, so the line search backs off.
    """
    from scipy.optimize import minimize

    if a0.size == 1:
        return a0 / np.linalg.norm(a0)
    low = _SmoothedError(mu_i, A_i, ref_i, +1.0)
    high = _SmoothedError(mu_j, A_j, ref_j, -1.0)
    frac = [0.5]  # threshold position between the projected centers: warm start

    def smoothed(a):
        low.at(a)
        high.at(a)
        gap = high.loc - low.loc
        c, Ei, Ej, di, dj = _minimax_threshold(low, high, low.loc + frac[0] * gap,
                                               low.s + high.s)
        if gap > 0:
            frac[0] = (c - low.loc) / gap
        den = dj - di
        if not den > 0:  # both smoothed errors flat at c: separated (e = 0) or degenerate
            return 0.5 * (Ei + Ej), np.zeros_like(a)
        return 0.5 * (Ei + Ej), (dj * low.gradient() - di * high.gradient()) / den

    e0, _ = smoothed(a0)
    if not e0 > 0:
        return a0 / np.linalg.norm(a0)

    def fun(a):
        if not np.any(a):
            return 2.0, np.zeros_like(a)  # above any value reached (<= 1 at the start)
        e, g = smoothed(a)
        return e / e0, g / e0

    res = minimize(fun, a0, jac=True, method="L-BFGS-B",
                   options={"maxfun": _SEARCH_MAXFUN, "ftol": 1e-7, "gtol": 1e-6})
    a = res.x if np.all(np.isfinite(res.x)) and np.linalg.norm(res.x) > 0 else a0
    return a / np.linalg.norm(a)


def _search_rows(m: int, overlap_ab: float) -> int:
    """Reference rows (from the start) that steer the direction search; 0 = do not search.

    About ``_SEARCH_ROWS / e`` rows (``e`` = overlap / 2 along the Anderson–Bahadur
    direction), at least ``_SEARCH_MIN_ROWS`` and at most half of the ``m`` draws; no
    search when that half holds fewer than ``_SEARCH_MIN_TAIL`` draws in the error region.
    """
    e = 0.5 * overlap_ab
    half = m // 2
    if not (0.0 < e < 0.5) or e * half < _SEARCH_MIN_TAIL:
        return 0
    return int(min(half, max(_SEARCH_MIN_ROWS, np.ceil(_SEARCH_ROWS / e))))


def _overlap_se(overlap: float, m: int) -> float:
    """Standard-error bound ``2 sqrt(e (1 - e) / m)`` of an overlap ``2 e`` estimated on ``m`` draws."""
    e = 0.5 * min(max(overlap, 0.0), 1.0)
    return 2.0 * float(np.sqrt(e * (1.0 - e) / m))


@dataclass
class _PairCertificate:
    """Certified overlap of one pair along its chosen direction ``a`` (unit vector):
    projected scales ``s = |A'a|``, ``gap = a'delta``, the standardised projections ``u``
    of the evaluation draws (None for a normal cluster) and whether ``a`` was searched.

    :meth:`at_scale` and :meth:`scale_for` re-evaluate the same rule on the same draws
    when ``delta`` is multiplied by a factor (see :func:`pair_overlap_along`)."""

    overlap: float
    se: float
    direction: np.ndarray
    s_i: float
    s_j: float
    gap: float
    u_i: np.ndarray | None
    u_j: np.ndarray | None
    searched: bool = False
    _curve: tuple | None = field(default=None, repr=False, compare=False)

    def _facing(self) -> tuple:
        if self._curve is None:
            self._curve = _facing_curve(self.u_i, self.u_j, self.s_i, self.s_j)
        return self._curve

    def at_scale(self, scale) -> np.ndarray:
        """Overlap of this rule (direction ``a``, minimax threshold) when ``delta`` is
        multiplied by ``scale`` (scalar or array), on the same evaluation draws: a
        deterministic, continuous function, non-increasing in ``scale`` (below the
        resolution ``2 / m`` of ``m`` draws it is the normal tail capped at ``2 / m``);
        equal to :attr:`overlap` at ``scale = 1``."""
        gaps = np.asarray(scale, dtype=float) * self.gap
        if self._facing()[1] < 0:  # references of different sizes: one solve per scale
            flat = [calibrated_pair_overlap(self.u_i, self.u_j, self.s_i, self.s_j, float(g))
                    if g > 0 else 1.0 for g in gaps.ravel()]
            return np.asarray(flat, dtype=float).reshape(gaps.shape)
        return _overlap_on_curve(self._facing(), gaps, self.s_i, self.s_j)

    def scale_for(self, overlap: float) -> float:
        """The factor ``lam`` with ``at_scale(lam) == overlap``, in closed form.

        On the order-statistic grid ``e_r = r / (m - 1)`` the rule's minimax error is
        ``e`` when ``lam * gap = s_i Q_i(1 - e) - s_j Q_j(e)`` (linear interpolation
        between grid points, as in :func:`calibrated_pair_overlap`), so
        ``lam = (s_i Q_i(1 - e) - s_j Q_j(e)) / gap``; normal pairs use ``Phi^{-1}``.
        nan when no positive factor reaches ``overlap`` (the facing medians already
        cross). ``overlap`` must lie in (0, 1).
        """
        level = float(overlap)
        if self._facing()[1] < 0 and 0.0 < level < 1.0 and self.gap > 0:
            lo, hi = -30.0, 30.0  # references of different sizes: bisection on log(lam)
            for _ in range(100):
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if self.at_scale(np.exp(mid)) > level else (lo, mid)
            return float(np.exp(0.5 * (lo + hi)))
        return _scale_on_curve(self._facing(), level, self.s_i, self.s_j, self.gap)


def _facing_curve(u_i, u_j, s_i: float, s_j: float) -> tuple:
    """``g_r = s_i Q_i(1 - e_r) - s_j Q_j(e_r)`` for ``r = 0 .. (m - 1) // 2`` (non-increasing).

    Returns ``(g, m)``; ``(None, 0)`` for two normal clusters (closed form) and
    ``(None, -1)`` for references of different sizes (no common grid: bisection).
    """
    if u_i is None and u_j is None:
        return None, 0
    if u_i is not None and u_j is not None and u_i.shape[0] != u_j.shape[0]:
        return None, -1
    m = (u_i if u_i is not None else u_j).shape[0]
    half = (m - 1) // 2
    e = np.arange(half + 1) / (m - 1)
    if u_i is None:
        qi = -ndtri(np.maximum(e, 1e-300))
    else:
        top = np.partition(u_i, m - half - 1)[m - half - 1 :]
        top.sort()
        qi = top[::-1]
    if u_j is None:
        qj = ndtri(np.maximum(e, 1e-300))
    else:
        bot = np.partition(u_j, half)[: half + 1]
        bot.sort()
        qj = bot
    return s_i * qi - s_j * qj, m


def _overlap_on_curve(curve: tuple, gaps: np.ndarray, s_i: float, s_j: float) -> np.ndarray:
    """:func:`calibrated_pair_overlap` for many ``gap`` values from one facing curve."""
    g, m = curve
    gaps = np.asarray(gaps, dtype=float)
    if m == 0:
        return np.where(gaps > 0, q_to_overlap(gaps / (s_i + s_j)), 1.0)
    flat = gaps.ravel()
    r1 = np.searchsorted(-g, -flat, side="left")  # first r with g_r <= gap
    n = g.size
    r1c = np.clip(r1, 1, n - 1)
    h0 = g[r1c - 1] - flat
    h1 = g[r1c] - flat
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(h0 != h1, h0 / (h0 - h1), 0.0)
    out = 2.0 * (r1c - 1 + frac) / (m - 1)
    floor = np.minimum(q_to_overlap(flat / (s_i + s_j)), 2.0 / m)
    out = np.where(r1 == 0, floor, np.where(r1 == 1, np.maximum(out, floor), out))
    out = np.where((r1 >= n) | ~(flat > 0), 1.0, out)
    return out.reshape(gaps.shape)


def _scale_on_curve(curve: tuple, level: float, s_i: float, s_j: float, gap: float) -> float:
    """Inverse of :func:`_overlap_on_curve` in the scale of ``gap`` (see ``scale_for``)."""
    if not 0.0 < level < 1.0:
        raise SpecError(f"`overlap` must be in (0, 1), got {level!r}")
    if not gap > 0:
        return float("nan")
    g, m = curve
    if m == 0:
        return float(overlap_to_q(level) * (s_i + s_j) / gap)
    x = min(0.5 * level * (m - 1), g.size - 1.0)
    r0 = min(int(np.floor(x)), g.size - 2)
    needed = g[r0] + (x - r0) * (g[r0 + 1] - g[r0])
    return float(needed / gap) if needed > 0 else float("nan")


def pair_overlap_along(mu_i, factor_i, reference_i, mu_j, factor_j, reference_j, direction,
                       scale=1.0) -> np.ndarray:
    """Overlap of one fixed linear rule as the center difference is scaled: common draws.

    The rule ``a'x > c`` (``a`` = ``direction``, ``c`` its minimax threshold) is evaluated
    for centers ``mu_i``, ``mu_i + scale (mu_j - mu_i)`` on the *same* reference draws for
    every ``scale``, exactly as :func:`calibrated_pair_overlap` does (twice the minimax
    error on the order-statistic grid of the projections ``u = z'A'a / |A'a|``). The
    result is deterministic, continuous and non-increasing in ``scale`` (below the
    resolution ``2 / m`` of ``m`` draws: the normal tail capped at ``2 / m``), so a
    bisection over a common scale of all centers is exact;
    :meth:`_PairCertificate.scale_for` gives the inverse in closed form. Two
    normal clusters get ``2 Phi(-scale a'delta / (|A_i'a| + |A_j'a|))``.

    Parameters
    ----------
    mu_i, mu_j : (p,) centers at scale 1.
    factor_i, factor_j : (p, p) factors ``A`` (covariance ``A A'``).
    reference_i, reference_j : (m, p) standardised draws ``z``, or None for a normal cluster.
    direction : (p,) the rule's direction (need not be a unit vector).
    scale : float or array
        Factors applied to ``mu_j - mu_i``.

    Returns
    -------
    ndarray, the shape of ``scale``

    Examples
    --------
    >>> import numpy as np
    >>> z = np.random.default_rng(0).uniform(-3 ** 0.5, 3 ** 0.5, (4000, 2))  # standardised
    >>> ov = pair_overlap_along([0, 0], np.eye(2), z, [3, 0], np.eye(2), z, [1, 0], [0.9, 1, 1.1])
    >>> bool(np.all(np.diff(ov) < 0))
    True
    """
    mu_i = np.atleast_1d(np.asarray(mu_i, dtype=float))
    mu_j = np.atleast_1d(np.asarray(mu_j, dtype=float))
    p = mu_i.shape[0]
    A_i = np.asarray(factor_i, dtype=float).reshape(p, p)
    A_j = np.asarray(factor_j, dtype=float).reshape(p, p)
    a = np.asarray(direction, dtype=float).reshape(p)
    if not np.linalg.norm(a) > 0:
        raise SpecError("`direction` must be a non-zero vector")
    refs = [_check_reference(r, p) for r in (reference_i, reference_j)]
    cert = _rule_along(a / np.linalg.norm(a), mu_j - mu_i, A_i, A_j, refs[0], refs[1])
    return cert.at_scale(scale)


def _rule_along(a, delta, A_i, A_j, ref_i, ref_j) -> _PairCertificate:
    """Projections of a pair along a unit direction ``a`` (overlap not evaluated yet: nan)."""
    w_i, w_j = A_i.T @ a, A_j.T @ a
    s_i, s_j = float(np.linalg.norm(w_i)), float(np.linalg.norm(w_j))
    u_i = None if ref_i is None else ref_i @ (w_i / s_i)
    u_j = None if ref_j is None else ref_j @ (w_j / s_j)
    return _PairCertificate(float("nan"), float("nan"), a, s_i, s_j, float(a @ delta), u_i, u_j)


def _evaluate_direction(a, delta, A_i, A_j, ref_i, ref_j) -> _PairCertificate:
    """Minimax overlap along ``a`` from reference draws (exact on their order statistics)."""
    c = _rule_along(a, delta, A_i, A_j, ref_i, ref_j)
    c.overlap = calibrated_pair_overlap(c.u_i, c.u_j, c.s_i, c.s_j, c.gap) if c.gap > 0 else 1.0
    m = min(u.shape[0] for u in (c.u_i, c.u_j) if u is not None)
    c.se = _overlap_se(c.overlap, m)
    return c


def _best_linear_pair(mu_i, A_i, ref_i, mu_j, A_j, ref_j, a_ab: np.ndarray,
                      search_from: float = 0.0) -> _PairCertificate:
    """Certified best-linear overlap of one pair with a non-normal cluster.

    The Anderson–Bahadur direction ``a_ab`` is evaluated on all reference draws (it
    does not depend on them). When that overlap is at least ``search_from`` and the
    reference resolves the error region (:func:`_search_rows`), a direction is searched
    on the first rows and evaluated on the remaining ones; the smaller overlap is
    returned with its standard-error bound. Deterministic in its inputs.
    """
    delta = np.asarray(mu_j, float) - np.asarray(mu_i, float)
    a0 = np.asarray(a_ab, dtype=float)
    a0 = np.round(a0 / np.linalg.norm(a0), 12)  # the same start whatever batch computed a_ab
    best = _evaluate_direction(a0, delta, A_i, A_j, ref_i, ref_j)
    m = min(r.shape[0] for r in (ref_i, ref_j) if r is not None)
    rows = _search_rows(m, best.overlap) if best.gap > 0 and best.overlap >= search_from else 0
    if rows:
        def head(r):  # the search only steers the direction: single precision is enough
            return None if r is None else r[:rows].astype(np.float32)

        def rest(r):
            return None if r is None else r[rows:]

        a_hat = _search_direction(np.zeros_like(delta), A_i, head(ref_i), delta, A_j, head(ref_j),
                                  a0)
        held = _evaluate_direction(a_hat, delta, A_i, A_j, rest(ref_i), rest(ref_j))
        held.searched = True
        if held.overlap < best.overlap:
            best = held
    return best


def best_linear_pair_overlap(mu_i, factor_i, reference_i, mu_j, factor_j, reference_j
                             ) -> tuple[float, float, np.ndarray]:
    """Certified best-linear overlap of two clusters ``x = mu + A z`` from reference draws.

    Twice the smaller minimax error of two linear rules, each evaluated on draws it
    was not fitted to: the Anderson–Bahadur rule of the covariances (all draws) and
    the rule found by the smoothed direction search on the first draws (evaluated on
    the others); see the module docstring. A normal cluster (reference None) is
    handled exactly; two normal clusters get the exact overlap.

    Parameters
    ----------
    mu_i, mu_j : (p,) centers.
    factor_i, factor_j : (p, p) factors ``A`` (covariance ``A A'``).
    reference_i, reference_j : (m, p) standardised draws ``z`` of each family, or None.

    Returns
    -------
    overlap : float
    se : float
        Monte Carlo standard-error bound ``2 sqrt(e (1 - e) / n)`` (``n`` evaluation draws).
    direction : ndarray (p,)
        Unit direction ``a`` of the certified rule ``a'x > c``.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.random.default_rng(0).standard_exponential((40_000, 2)) - 1.0  # standardised
    >>> ov, se, a = best_linear_pair_overlap([0, 0], np.eye(2), z, [2.5, 0.5], np.eye(2), z)
    >>> round(ov, 2), round(pairwise_overlap([0, 0], np.eye(2), [2.5, 0.5], np.eye(2)), 2)
    (0.15, 0.2)
    """
    mu_i = np.atleast_1d(np.asarray(mu_i, dtype=float))
    mu_j = np.atleast_1d(np.asarray(mu_j, dtype=float))
    p = mu_i.shape[0]
    A_i = np.asarray(factor_i, dtype=float).reshape(p, p)
    A_j = np.asarray(factor_j, dtype=float).reshape(p, p)
    _, covs = _check_means_covs(np.stack([mu_i, mu_j]), np.stack([A_i @ A_i.T, A_j @ A_j.T]))
    if reference_i is None and reference_j is None:
        q, a, _, _, _ = exact_q((mu_j - mu_i)[None], covs[:1], covs[1:], return_direction=True)
        return float(q_to_overlap(q[0])), 0.0, a[0] / max(np.linalg.norm(a[0]), _TINY_NORM)
    refs = [_check_reference(r, p) for r in (reference_i, reference_j)]
    q, a, _, si, sj = exact_q((mu_j - mu_i)[None], covs[:1], covs[1:], return_direction=True)
    if not q[0] * (si[0] + sj[0]) > 0:  # equal centers: no direction, overlap 1
        return 1.0, 0.0, np.zeros(p)
    with limit_threads(1):
        r = _best_linear_pair(mu_i, A_i, refs[0], mu_j, A_j, refs[1], a[0])
    return float(r.overlap), float(r.se), np.asarray(r.direction)


def _check_reference(ref, p: int) -> np.ndarray | None:
    """A reference sample as a finite (m, p) float array (m >= 2), or None."""
    if ref is None:
        return None
    ref = np.asarray(ref, dtype=float)
    if ref.ndim != 2 or ref.shape[1] != p or ref.shape[0] < 2:
        raise SpecError(f"every reference must be an (m, {p}) array of standardised draws with "
                        f"m >= 2, got shape {ref.shape}")
    if not np.all(np.isfinite(ref)):
        raise SpecError("reference draws must be finite")
    return ref


def _facing_tails(idx, I, J, a, factors, references, T0: int = 256) -> dict:
    """Sorted facing tails (top of ``u_i`` descending, bottom of ``u_j`` ascending) per pair.

    Projections are computed cluster by cluster as one mat-mul ``R_c @ W_c`` over all
    the pairs of cluster ``c`` (the reference is read once per cluster instead of
    once per pair), and only the ``T0`` most extreme values are kept
    (``np.partition``). Pairs whose references differ in size are skipped (slow path).
    """
    sizes = {r.shape[0] for r in references if r is not None}
    if len(sizes) != 1 or not len(idx):
        return {}
    m = sizes.pop()
    T = min(T0, (m - 1) // 2 + 1)
    grid = np.arange(T) / (m - 1)
    normal_top = -ndtri(np.maximum(grid, 1e-300))  # Q(1 - e_r) of N(0, 1), descending
    top: dict = {}
    bot: dict = {}
    cols_per_block = max(1, int(2**22 // m))
    for c, ref in enumerate(references):
        if ref is None:
            continue
        es_i = idx[I[idx] == c]
        es_j = idx[J[idx] == c]
        es = np.concatenate([es_i, es_j])
        if not es.size:
            continue
        side_i = np.concatenate([np.ones(es_i.size, bool), np.zeros(es_j.size, bool)])
        refT = np.ascontiguousarray(ref.T)
        W = factors[c].T @ a[es].T
        W /= np.linalg.norm(W, axis=0, keepdims=True)
        for start in range(0, es.size, cols_per_block):
            sl = slice(start, start + cols_per_block)
            si = side_i[sl]
            Wb = W[:, sl]
            if si.any():  # rows = pairs, contiguous along the reference draws
                t = np.partition(Wb[:, si].T @ refT, m - T, axis=1)[:, m - T :]
                t.sort(axis=1)
                for row, e in zip(t[:, ::-1], es[sl][si], strict=True):
                    top[int(e)] = row
            if (~si).any():
                b = np.partition(Wb[:, ~si].T @ refT, T - 1, axis=1)[:, :T]
                b.sort(axis=1)
                for row, e in zip(b, es[sl][~si], strict=True):
                    bot[int(e)] = row
    out = {}
    for e in idx:
        e = int(e)
        qi = top.get(e, normal_top if references[I[e]] is None else None)
        qj = bot.get(e, -normal_top if references[J[e]] is None else None)
        if qi is not None and qj is not None:
            out[e] = (qi, qj, m)
    return out


def _calibrated_overlap_matrix_impl(
    means,
    factors,
    references: Sequence[np.ndarray | None],
    *,
    pairs=None,
    return_se: bool = False,
):
    """Certified best-linear overlap of clusters ``x = mu_i + A_i z_i`` (normal or not).

    Normal pairs get the exact Anderson–Bahadur overlap. A pair with a non-normal
    cluster gets the certificate of the module docstring: the Anderson–Bahadur
    direction evaluated on the reference draws, and, when the reference resolves the
    error region, a direction searched on the first draws and evaluated on the
    others; the smaller overlap is kept (:func:`best_linear_pair_overlap`).

    Parameters
    ----------
    means : (k, p) centers.
    factors : (k, p, p) matrices ``A_i`` (covariance ``A_i A_i'``).
    references : sequence of k arrays (m, p) of standardised draws ``z`` of each
        cluster's family (the same array object may be shared by clusters of the
        same family), or None for a normal cluster.
    pairs : optional (P, 2) subset of pairs.
    return_se : bool
        Also return the (k, k) Monte Carlo standard-error bounds
        ``2 sqrt(e (1 - e) / n)`` (0 for normal pairs).

    Returns
    -------
    ndarray, shape (k, k), or a pair of them with ``return_se``

    Examples
    --------
    >>> import numpy as np
    >>> ov = calibrated_overlap_matrix([[0.0], [3.92]], np.ones((2, 1, 1)), [None, None])
    >>> round(float(ov[0, 1]), 3)  # two normal clusters: the exact overlap
    0.05
    """
    means = np.asarray(means, dtype=float)
    if means.ndim == 1:
        means = means[:, None]
    factors = np.asarray(factors, dtype=float)
    k, p = means.shape
    if factors.shape != (k, p, p):
        raise SpecError(f"`factors` must have shape (k, p, p) = ({k}, {p}, {p}) to match "
                        f"`means`, got {factors.shape}")
    if len(references) != k:
        raise SpecError(f"`references` must have one entry per cluster ({k}), got {len(references)}")
    means, covs = _check_means_covs(means, factors @ np.swapaxes(factors, -1, -2))
    checked: dict[int, np.ndarray | None] = {}  # shared arrays are checked once
    for r in references:
        if id(r) not in checked:
            checked[id(r)] = _check_reference(r, p)
    references = [checked[id(r)] for r in references]
    I, J = _pairs(k, pairs)
    out = np.zeros((k, k))
    se_out = np.zeros((k, k))
    if len(I) == 0:
        return (out, se_out) if return_se else out
    q, a, _, s_i, s_j = exact_q(means[J] - means[I], covs[I], covs[J], return_direction=True)
    gap = q * (s_i + s_j)
    ov = q_to_overlap(q)
    se = np.zeros(len(I))
    # a pair with equal centers has no direction (a* = 0): its overlap stays 1
    nonnormal = np.array([(references[i] is not None or references[j] is not None) and g > 0
                          for i, j, g in zip(I, J, gap, strict=True)])
    idx = np.flatnonzero(nonnormal)
    m_ref = [None if r is None else r.shape[0] for r in references]
    tails = _facing_tails(idx, I, J, a, factors, references)
    for e in idx:
        i, j = I[e], J[e]
        value = None
        if e in tails:  # fast path: the root lies within the precomputed facing tails
            qi, qj, m = tails[e]
            h = s_i[e] * qi - s_j[e] * qj - gap[e]
            neg = np.flatnonzero(h <= 0)
            if neg.size:
                value = _root_overlap(h, int(neg[0]), m, s_i[e], s_j[e], gap[e])
        if value is None:
            ui = project_reference(references[i], factors[i], a[e])
            uj = project_reference(references[j], factors[j], a[e])
            value = calibrated_pair_overlap(ui, uj, s_i[e], s_j[e], gap[e])
        m = min(n for n in (m_ref[i], m_ref[j]) if n is not None)
        if _search_rows(m, value):  # the same decision as in _best_linear_pair
            r = _best_linear_pair(means[i], factors[i], references[i], means[j], factors[j],
                                  references[j], a[e])
            ov[e], se[e] = r.overlap, r.se
        else:
            ov[e], se[e] = value, _overlap_se(value, m)
    out[I, J] = ov
    out[J, I] = ov
    se_out[I, J] = se
    se_out[J, I] = se
    return (out, se_out) if return_se else out


# ------------------------------------------------------------------------ empirical


def empirical_minimax_error(u_low: np.ndarray, u_high: np.ndarray) -> tuple[float, float]:
    """Smallest ``max(P_low(u > c), P_high(u <= c))`` over thresholds ``c``, exactly.

    Returns ``(error, threshold)``.

    Examples
    --------
    >>> empirical_minimax_error(np.array([0.0, 1.0]), np.array([2.0, 3.0]))
    (0.0, 1.0)
    """
    a = np.sort(np.asarray(u_low, dtype=float))
    b = np.sort(np.asarray(u_high, dtype=float))
    cand = np.concatenate([a, b])
    e_low = 1.0 - np.searchsorted(a, cand, side="right") / a.size
    e_high = np.searchsorted(b, cand, side="right") / b.size
    worst = np.maximum(e_low, e_high)
    best = int(np.argmin(worst))
    return float(worst[best]), float(cand[best])


def _empirical_overlap_matrix_impl(
    X, labels, *, direction: str = "exact", min_points: int = 2
) -> np.ndarray:
    """Achieved overlap measured on points: twice the minimax error of a fitted linear rule.

    For each pair of labels the class means and covariances are estimated
    (with a ``1e-9 * trace/p`` ridge), the direction is the Anderson–Bahadur
    minimax direction of those moments (``direction="exact"``) or the pooled
    LDA direction (``"lda"``), and the threshold minimising the larger of the
    two empirical class error rates is found exactly over all split points.
    ``direction="best"`` also searches the direction on the points themselves (the
    smoothed search of the module docstring, each class written as
    ``x = mean + L z`` with ``L`` its Cholesky factor, started from the exact
    direction) and keeps the better of the two rules: the best-linear counterpart of
    the certified overlap of non-normal clusters. It is an in-sample value, optimistic
    when a class has few points per dimension. Pairs with fewer than 20 errors on
    the smaller class along the exact direction are not searched. A class whose
    covariance is dominated by a few extreme points (trace more than 10 times that of
    its robust scatter, as for families without a variance) would steer that search
    badly, so for its pairs ``"best"`` also starts from the minimax direction of robust
    location and scatter (concentration steps on the central 75% of the points,
    :func:`_robust_location_scatter`) and keeps the better rule.

    Parameters
    ----------
    X : array_like, shape (n, p)
    labels : array_like, shape (n,)
        Integer labels ``0..k-1`` (others are relabelled in sorted order).
    direction : {"exact", "lda", "best"}
    min_points : int
        Pairs where a class has fewer points are reported as ``nan``.

    Returns
    -------
    ndarray, shape (k, k)
        Symmetric, zero diagonal.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [5.0], [6.0]])
    >>> empirical_overlap_matrix(X, [0, 0, 1, 1])[0, 1]
    np.float64(0.0)
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    labels = np.asarray(labels)
    if X.ndim != 2 or labels.shape != (X.shape[0],):
        raise DataError(
            f"`X` must be (n, p) and `labels` (n,), got {X.shape} and {labels.shape}"
        )
    if not np.all(np.isfinite(X)):
        raise DataError("`X` must be finite to measure overlap")
    if direction not in ("exact", "lda", "best"):
        raise SpecError(f"`direction` must be 'exact', 'lda' or 'best', got {direction!r}")
    uniq, lab = np.unique(labels, return_inverse=True)
    k = uniq.size
    n, p = X.shape
    order = np.argsort(lab, kind="stable")
    bounds = np.searchsorted(lab[order], np.arange(k + 1))
    groups = [X[order[bounds[c] : bounds[c + 1]]] for c in range(k)]
    means = np.array([g.mean(0) if len(g) else np.zeros(p) for g in groups])
    covs = np.empty((k, p, p))
    for c, g in enumerate(groups):
        S = np.cov(g, rowvar=False).reshape(p, p) if len(g) > 1 else np.eye(p)
        ridge = 1e-9 * max(np.trace(S) / p, 1e-12)
        covs[c] = S + ridge * np.eye(p)
    out = np.zeros((k, k))
    I, J = np.triu_indices(k, 1)
    if len(I) == 0:
        return out
    delta = means[J] - means[I]
    robust: list = [None] * k  # (location, scatter) of heavy-tailed classes, "best" only
    if direction == "best":
        for c, g in enumerate(groups):
            if len(g) >= max(20 * p, 100):
                try:
                    loc, scatter = _robust_location_scatter(g)
                except np.linalg.LinAlgError:  # the central points span no full-rank scatter
                    continue
                if np.trace(covs[c]) > _HEAVY_TAIL_RATIO * np.trace(scatter):
                    robust[c] = (loc, scatter)
    if direction in ("exact", "best"):
        _, A, _, _, _ = exact_q(delta, covs[I], covs[J], return_direction=True)
    else:
        A = np.linalg.solve(covs[I] + covs[J], delta[..., None])[..., 0]
    for e, (i, j) in enumerate(zip(I, J, strict=True)):
        if len(groups[i]) < min_points or len(groups[j]) < min_points:
            out[i, j] = out[j, i] = np.nan
            continue
        err, _ = empirical_minimax_error(groups[i] @ A[e], groups[j] @ A[e])
        n_small = min(len(groups[i]), len(groups[j]))
        if direction == "best" and 0 < err < 0.5 and err * n_small >= _SEARCH_MIN_TAIL:
            err = min(err, _empirical_search(groups[i], groups[j], means[i], means[j],
                                             covs[i], covs[j], A[e]))
        if direction == "best" and err > 0 and (robust[i] is not None or robust[j] is not None):
            rob_i = robust[i] if robust[i] is not None else (means[i], covs[i])
            rob_j = robust[j] if robust[j] is not None else (means[j], covs[j])
            err = min(err, _robust_search(groups[i], groups[j], rob_i, rob_j, n_small))
        # equal class means give a* = 0 (every point projects to 0, error 1): overlap is 1
        out[i, j] = out[j, i] = min(2.0 * err, 1.0)
    return out


_HEAVY_TAIL_RATIO = 10.0  # covariance trace / robust scatter trace that marks a heavy-tailed class
_ROBUST_KEEP = 0.75  # share of points kept by the concentration steps


def _robust_location_scatter(X: np.ndarray, steps: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Location and scatter of one class from its central points, not its extremes.

    Concentration steps (Rousseeuw & Van Driessen 1999, the C-steps of the fast MCD)
    from the coordinate-wise median and MAD: keep the 75% of points with the smallest
    Mahalanobis distance, re-estimate their mean and covariance, repeat. The covariance is
    made consistent at the normal by ``h / F_{p+2}(F_p^{-1}(h))`` (``F_p``: chi-square
    CDF, ``h = 0.75``). O(n p^2) per step; affine equivariant after the first step.
    """
    n, p = X.shape
    loc = np.median(X, axis=0)
    mad = 1.4826 * np.median(np.abs(X - loc), axis=0)
    if not mad.max() > 0:
        raise np.linalg.LinAlgError("no spread in the central points")
    S = np.diag(np.maximum(mad, 1e-6 * float(mad.max())) ** 2)
    for _ in range(steps):
        L = np.linalg.cholesky(S)
        d2 = np.sum(np.linalg.solve(L, (X - loc).T) ** 2, axis=0)
        keep = d2 <= np.quantile(d2, _ROBUST_KEEP)
        loc = X[keep].mean(axis=0)
        S = np.cov(X[keep], rowvar=False).reshape(p, p)
        S += 1e-9 * max(np.trace(S) / p, 1e-12) * np.eye(p)
    return loc, S * _ROBUST_KEEP / chdtr(p + 2, chdtri(p, 1.0 - _ROBUST_KEEP))


def _robust_search(X_i, X_j, rob_i, rob_j, n_small: int) -> float:
    """Minimax error on the points along the minimax direction of robust (location, scatter),
    refined by the smoothed search when the error region holds enough points."""
    (mu_i, S_i), (mu_j, S_j) = rob_i, rob_j
    _, a, _, _, _ = exact_q((mu_j - mu_i)[None], S_i[None], S_j[None], return_direction=True)
    if not np.linalg.norm(a[0]) > 0:
        return 1.0
    err = empirical_minimax_error(X_i @ a[0], X_j @ a[0])[0]
    if 0 < err < 0.5 and err * n_small >= _SEARCH_MIN_TAIL:
        err = min(err, _empirical_search(X_i, X_j, mu_i, mu_j, S_i, S_j, a[0]))
    return err


def _empirical_search(X_i, X_j, mu_i, mu_j, cov_i, cov_j, a0) -> float:
    """Minimax error on the points of the direction searched on them (start ``a0``)."""
    L_i, L_j = np.linalg.cholesky(cov_i), np.linalg.cholesky(cov_j)
    z_i = np.linalg.solve(L_i, (X_i - mu_i).T).T
    z_j = np.linalg.solve(L_j, (X_j - mu_j).T).T
    a = _search_direction(np.zeros_like(mu_i), L_i, z_i, mu_j - mu_i, L_j, z_j,
                          a0 / np.linalg.norm(a0))
    if not a @ (mu_j - mu_i) > 0:
        return 1.0
    return empirical_minimax_error(X_i @ a, X_j @ a)[0]


def calibrated_overlap_matrix(means, factors, references, *, pairs=None, return_se=False):
    with limit_threads(1):
        return _calibrated_overlap_matrix_impl(means, factors, references, pairs=pairs,
                                               return_se=return_se)


def empirical_overlap_matrix(X, labels, *, direction: str = "exact",
                             min_points: int = 2) -> np.ndarray:
    with limit_threads(1):
        return _empirical_overlap_matrix_impl(X, labels, direction=direction,
                                              min_points=min_points)


calibrated_overlap_matrix.__doc__ = _calibrated_overlap_matrix_impl.__doc__
empirical_overlap_matrix.__doc__ = _empirical_overlap_matrix_impl.__doc__
