"""Correlating independent normal draws with a Cholesky factor.

If ``Z`` has independent standard normal columns and ``R = L L^T`` (``L`` lower
triangular), the rows of ``Z L^T`` have covariance ``R``. With ``exact=True`` the
draw is first *whitened*: centred, then multiplied by the inverse transpose of
the Cholesky factor of its own sample covariance, so its sample covariance is
exactly the identity; mixing it with ``L`` then gives a sample whose sample
correlation equals ``R`` to machine precision (at the cost of rows that are no
longer exactly i.i.d.; needs ``n > d``).

A draw made of several blocks is whitened as a whole through
:class:`DrawMoments`: each block's count, mean and centred cross-products are
computed separately and merged (Chan, Golub & LeVeque 1979), which defines one
affine map for all the blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg

from .._threads import limit_threads
from ..errors import SpecError

__all__ = ["DrawMoments", "cholesky_factor", "correlate", "whiten"]


@limit_threads(1)  # a blocked factorisation's last bits depend on the thread count
def cholesky_factor(corr: np.ndarray, *, what: str = "correlation") -> np.ndarray:
    """Lower Cholesky factor ``L`` of a positive-definite matrix (``corr = L @ L.T``).

    Raises
    ------
    SpecError
        When ``corr`` is not positive definite, with the fix (repair it with
        :func:`~synthkit.dependence.repair.nearest_correlation`).

    Examples
    --------
    >>> cholesky_factor(np.array([[1.0, 0.6], [0.6, 1.0]]))[1].round(2).tolist()
    [0.6, 0.8]
    """
    corr = np.asarray(corr, dtype=float)
    try:
        return np.linalg.cholesky(corr)
    except np.linalg.LinAlgError:
        lam = float(np.linalg.eigvalsh(corr)[0])
        raise SpecError(
            f"{what} matrix is not positive definite (smallest eigenvalue {lam:.3g}); repair it "
            "with synthkit.dependence.nearest_correlation (or strict=False where offered)"
        ) from None


@limit_threads(1)  # so do the cross-product's sums over rows
def whiten(z: np.ndarray) -> np.ndarray:
    """Centre ``z`` and make its sample covariance (ddof=1) exactly the identity.

    Examples
    --------
    >>> z = np.random.default_rng(0).normal(size=(50, 3))
    >>> bool(np.allclose(np.cov(whiten(z), rowvar=False), np.eye(3)))
    True
    """
    z = np.asarray(z, dtype=float)
    n, d = z.shape
    if n <= d:
        raise SpecError(
            f"exact mode needs more rows than columns to whiten the draw, got n={n} rows for "
            f"d={d} columns; sample more rows or use exact=False"
        )
    zc = z - z.mean(axis=0)
    s = zc.T @ zc / (n - 1)
    try:
        ls = np.linalg.cholesky(s)
    except np.linalg.LinAlgError:  # pragma: no cover - probability zero for normal draws
        raise SpecError("the draw is singular and cannot be whitened; sample more rows") from None
    # zc @ inv(ls).T  ==  solve(ls, zc.T).T
    return linalg.solve_triangular(ls, zc.T, lower=True).T


def correlate(z: np.ndarray, factor: np.ndarray, *, exact: bool = False) -> np.ndarray:
    """Mix independent standard normal columns ``z`` with a Cholesky factor: ``z @ L.T``.

    Parameters
    ----------
    z : ndarray (n, d)
        Independent standard normal draws.
    factor : ndarray (d, d)
        Lower Cholesky factor ``L`` of the target correlation.
    exact : bool
        Whiten ``z`` first so the sample correlation equals ``L L^T`` exactly.

    Examples
    --------
    >>> L = cholesky_factor(np.array([[1, .5], [.5, 1]]))
    >>> x = correlate(np.random.default_rng(1).normal(size=(100, 2)), L, exact=True)
    >>> round(float(np.corrcoef(x, rowvar=False)[0, 1]), 12)
    0.5
    """
    if exact:
        z = whiten(z)
    return z @ np.asarray(factor).T


@dataclass(frozen=True)
class DrawMoments:
    """Row count, column means and centred cross-products ``sum (z - mean)^T (z - mean)`` of a draw.

    Mergeable: the moments of two blocks combine into those of their union
    (Chan, Golub & LeVeque 1979), ``M = M_a + M_b + delta delta^T n_a n_b / n``
    with ``delta = mean_b - mean_a``, so a draw made in blocks, possibly in
    parallel, is summarised without holding it in memory (merge the blocks in a
    fixed order for results that do not depend on the parallelism).

    Examples
    --------
    >>> z = np.random.default_rng(0).normal(size=(100, 2))
    >>> m = DrawMoments.of(z[:30]).merge(DrawMoments.of(z[30:]))
    >>> bool(np.allclose(m.cross / 99, np.cov(z, rowvar=False)))
    True
    """

    count: int
    mean: np.ndarray
    cross: np.ndarray

    @classmethod
    @limit_threads(1)
    def of(cls, z: np.ndarray) -> DrawMoments:
        """The moments of one block ``z`` (rows are observations)."""
        z = np.asarray(z, dtype=float)
        mean = z.mean(axis=0)
        zc = z - mean
        return cls(int(z.shape[0]), mean, zc.T @ zc)

    def merge(self, other: DrawMoments) -> DrawMoments:
        """The moments of the rows of ``self`` followed by those of ``other``."""
        n = self.count + other.count
        delta = other.mean - self.mean
        mean = self.mean + delta * (other.count / n)
        cross = self.cross + other.cross + np.outer(delta, delta) * (self.count * other.count / n)
        return DrawMoments(n, mean, cross)

    @limit_threads(1)
    def whitening(self) -> tuple[np.ndarray, np.ndarray]:
        """``(shift, W)`` such that ``(z - shift) @ W`` has mean 0 and sample covariance ``I``.

        ``shift`` is the mean and ``W = L_S^-T`` with ``L_S`` the Cholesky factor
        of the sample covariance ``S = M / (n - 1)`` (ddof=1), as :func:`whiten`.
        """
        n, d = self.count, self.mean.size
        if n <= d:
            raise SpecError(
                f"exact mode needs more rows than columns to whiten the draw, got n={n} rows for "
                f"d={d} columns; sample more rows or use exact=False"
            )
        try:
            ls = np.linalg.cholesky(self.cross / (n - 1))
        except np.linalg.LinAlgError:  # pragma: no cover - probability zero for normal draws
            raise SpecError("the draw is singular and cannot be whitened; sample more rows") from None
        return self.mean, linalg.solve_triangular(ls, np.eye(d), lower=True).T
