"""Iman–Conover rank reordering: impose a rank correlation, keep the marginals exactly.

Iman, R. L. and Conover, W. J. (1982), "A distribution-free approach to
inducing rank correlation among input variables", Commun. Statist. B 11(3).

Given independent draws ``X`` (n x d) from the marginals, build a *score
matrix* ``S`` whose columns are independent random permutations of the van der
Waerden scores ``Phi^-1(i / (n+1))``; transform it to ``T = S Q^-T P^T`` where
``C = P P^T`` is the target correlation of the scores and ``E = Q Q^T`` the
sample correlation of ``S`` itself (the *exact* variant factors ``S``'s own
correlation out, so ``corr(T) = C`` exactly); then reorder each column of
``X`` so that its ranks equal the ranks of the matching column of ``T``. The
columns of ``X`` are only permuted, so each marginal sample is preserved
exactly; the rank correlation of the result is that of ``T``.

Because the scores are normal, ``T`` behaves like a Gaussian sample, whose
Spearman correlation is ``6/pi asin(C/2)``: to hit a Spearman target ``rho_s``
we pre-adjust ``C = 2 sin(pi rho_s / 6)`` (then repair to positive definite if
the adjusted matrix is not).
"""

from __future__ import annotations

import numpy as np
from scipy import linalg, special

from ..errors import SpecError
from ..seeding import SeedLike, as_generator
from .checks import check_correlation_matrix
from .cholesky import cholesky_factor
from .correlation import spearman_to_pearson
from .repair import nearest_correlation

__all__ = ["score_correlation", "iman_conover_ranks", "iman_conover"]


def score_correlation(rank_corr, *, adjust: bool = True, threshold: float = 1e-8) -> np.ndarray:
    """The Pearson correlation to give the normal scores so their Spearman is ``rank_corr``.

    ``C = 2 sin(pi rho_s / 6)`` (``adjust=True``), repaired to the nearest
    positive-definite correlation matrix if needed.

    Examples
    --------
    >>> round(float(score_correlation([[1, .5], [.5, 1]])[0, 1]), 4)
    0.5176
    """
    r = check_correlation_matrix(rank_corr, what="rank correlation")
    c = spearman_to_pearson(r) if adjust else r.copy()
    np.fill_diagonal(c, 1.0)
    return nearest_correlation(c, threshold=threshold).matrix


def iman_conover_ranks(
    n: int,
    score_corr: np.ndarray,
    seed: SeedLike = None,
    *,
    exact: bool = True,
) -> np.ndarray:
    """Target ranks of an Iman–Conover reordering (0-based; each column a permutation).

    Parameters
    ----------
    n : int
        Rows.
    score_corr : ndarray (d, d)
        Target Pearson correlation of the scores (see :func:`score_correlation`),
        positive definite.
    seed : None, int, SeedSequence or Generator
        Randomness of the score permutations.
    exact : bool
        Factor out the scores' own sample correlation (the exact variant).

    Returns
    -------
    numpy.ndarray (n, d) of int64
        ``ranks[i, j]`` is the rank the value in row ``i`` of column ``j`` must have.

    Examples
    --------
    >>> r = iman_conover_ranks(5, np.eye(2), seed=0)
    >>> sorted(r[:, 0].tolist())
    [0, 1, 2, 3, 4]
    """
    rng = as_generator(seed)
    c = np.asarray(score_corr, dtype=float)
    d = c.shape[0]
    if n < 2:
        return np.zeros((n, d), dtype=np.int64)
    base = special.ndtri(np.arange(1, n + 1) / (n + 1.0))
    s = np.empty((n, d))
    for j in range(d):
        s[:, j] = base[rng.permutation(n)]
    p = cholesky_factor(c, what="score correlation")
    if exact and n > d:
        e = np.corrcoef(s, rowvar=False)
        try:
            q = np.linalg.cholesky(e)
            # T = S Q^-T P^T : solve Q^T-transposed system then mix with P
            s = linalg.solve_triangular(q, s.T, lower=True).T
        except np.linalg.LinAlgError:  # pragma: no cover - probability ~0
            pass
    t = s @ p.T
    ranks = np.empty((n, d), dtype=np.int64)
    for j in range(d):
        ranks[np.argsort(t[:, j], kind="stable"), j] = np.arange(n)
    return ranks


def iman_conover(
    x,
    rank_corr,
    seed: SeedLike = None,
    *,
    exact: bool = True,
    adjust: bool = True,
) -> np.ndarray:
    """Reorder the columns of ``x`` to the Spearman correlation ``rank_corr`` (Iman–Conover 1982).

    Parameters
    ----------
    x : array-like (n, d)
        Independent draws from the marginals (any dtype numpy can sort).
    rank_corr : array-like (d, d)
        Target Spearman correlation.
    seed : None, int, SeedSequence or Generator
        Randomness of the scores.
    exact : bool
        Exact variant (the scores' own correlation factored out).
    adjust : bool
        Pre-adjust ``C = 2 sin(pi rho_s / 6)`` so Spearman (not the scores'
        Pearson) hits the target.

    Returns
    -------
    numpy.ndarray (n, d)
        Each column a permutation of the same column of ``x``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.exponential(size=(2000, 2))
    >>> y = iman_conover(x, [[1, .7], [.7, 1]], seed=1)
    >>> bool(np.array_equal(np.sort(y[:, 0]), np.sort(x[:, 0])))
    True
    """
    x = np.asarray(x)
    if x.ndim != 2:
        raise SpecError(f"`x` must be 2-D (rows x columns), got shape {x.shape}")
    c = score_correlation(rank_corr, adjust=adjust)
    if c.shape[0] != x.shape[1]:
        raise SpecError(
            f"rank correlation is {c.shape[0]} x {c.shape[0]} but `x` has {x.shape[1]} columns"
        )
    ranks = iman_conover_ranks(x.shape[0], c, seed, exact=exact)
    return reorder(x, ranks)


def reorder(x: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """Permute each column of ``x`` so that its ranks are ``ranks`` (ties keep their order).

    The result is column-major (each column contiguous), whatever the layout of ``x``.

    Examples
    --------
    >>> reorder(np.array([[10.0], [30.0], [20.0]]), np.array([[2], [0], [1]])).ravel().tolist()
    [30.0, 10.0, 20.0]
    """
    out = np.empty((x.shape[1], x.shape[0]), dtype=x.dtype)
    for j in range(x.shape[1]):
        out[j] = np.sort(x[:, j])[ranks[:, j]]
    return out.T
