"""Repair a non-positive-definite correlation matrix: Higham's nearest correlation matrix.

A declared or pairwise-estimated matrix need not be positive definite, and
then no Cholesky factor (and no Gaussian copula) exists. Higham (2002),
"Computing the nearest correlation matrix — a problem from finance", IMA J.
Numer. Anal. 22, finds the matrix closest in Frobenius norm among correlation
matrices by alternating projections (with Dykstra's correction) onto the
positive semi-definite cone and the unit-diagonal set. We run that iteration
(as statsmodels' ``corr_nearest`` does, plus a convergence test, which makes it
~50x faster on a 31-column table), with the eigenvalue floor ``threshold``
(default 1e-8) so that the result is strictly positive definite and its
Cholesky factor is numerically stable, then restore the exact unit diagonal
by a congruence ``D^-1/2 A D^-1/2`` (which keeps positive definiteness).

The result reports how far each entry moved. ``strict=True`` raises instead
of repairing (for users who want their declaration taken literally).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._threads import limit_threads
from ..errors import SpecError
from .checks import check_correlation_matrix, min_eigenvalue

__all__ = ["RepairReport", "nearest_correlation"]


@dataclass
class RepairReport:
    """Result of :func:`nearest_correlation`.

    Attributes
    ----------
    matrix : numpy.ndarray
        The repaired (or untouched) correlation matrix.
    original : numpy.ndarray
        The matrix as given.
    repaired : bool
        Whether anything had to change.
    min_eigenvalue_before, min_eigenvalue_after : float
        Smallest eigenvalue of the original and of the result.
    max_change : float
        ``max |result - original|`` over all entries.
    frobenius_change : float
        ``||result - original||_F``.
    names : list of str
        Column names (``x0, x1, ...`` when none were given).
    """

    matrix: np.ndarray
    original: np.ndarray
    repaired: bool
    min_eigenvalue_before: float
    min_eigenvalue_after: float
    max_change: float
    frobenius_change: float
    names: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """One row per pair (upper triangle): declared, repaired and the change, largest first."""
        iu = np.triu_indices(self.matrix.shape[0], 1)
        df = pd.DataFrame(
            {
                "column_a": [self.names[i] for i in iu[0]],
                "column_b": [self.names[j] for j in iu[1]],
                "declared": self.original[iu],
                "repaired": self.matrix[iu],
            }
        )
        df["change"] = df["repaired"] - df["declared"]
        return df.reindex(df["change"].abs().sort_values(ascending=False).index).reset_index(
            drop=True
        )

    def to_dict(self) -> dict:
        return {
            "repaired": bool(self.repaired),
            "min_eigenvalue_before": float(self.min_eigenvalue_before),
            "min_eigenvalue_after": float(self.min_eigenvalue_after),
            "max_change": float(self.max_change),
            "frobenius_change": float(self.frobenius_change),
        }

    def __str__(self) -> str:
        if not self.repaired:
            lam = self.min_eigenvalue_before
            return f"correlation matrix is positive definite (min eigenvalue {lam:.3g})"
        top = self.to_frame().head(5)
        moves = ", ".join(
            f"{r.column_a}-{r.column_b} {r.declared:+.3f}->{r.repaired:+.3f}"
            for r in top.itertuples()
        )
        return (
            f"correlation matrix was not positive definite (min eigenvalue "
            f"{self.min_eigenvalue_before:.3g}); repaired to the nearest correlation matrix "
            f"(Higham 2002), max entry change {self.max_change:.3g}: {moves}"
        )


def nearest_correlation(
    matrix,
    names: Sequence[str] | None = None,
    *,
    threshold: float = 1e-8,
    strict: bool = False,
    max_iter_factor: int = 100,
    tol: float = 1e-9,
) -> RepairReport:
    """Nearest positive-definite correlation matrix (Higham 2002), reporting the moves.

    Parameters
    ----------
    matrix : array-like, DataFrame or mapping of pairs
        A declared correlation matrix (checked by
        :func:`~synthkit.dependence.checks.check_correlation_matrix`).
    names : sequence of str, optional
        Column names, for the report and for aligning a DataFrame/mapping.
    threshold : float
        Eigenvalue floor of the result: its smallest eigenvalue is at least about
        ``threshold``, so its Cholesky factor exists and is stable. Must be in
        [0, 0.5).
    strict : bool
        Raise :class:`~synthkit.errors.SpecError` when the matrix is not positive
        definite instead of repairing it.
    max_iter_factor : int
        Iteration cap of the alternating projections is ``d * max_iter_factor``.
    tol : float
        Stop when an iteration moves the matrix by less than ``tol`` (relative
        Frobenius norm).

    Returns
    -------
    RepairReport
        ``.matrix`` is symmetric with an exact unit diagonal and min eigenvalue
        >= ``threshold`` (up to rounding); an already-PD matrix is returned as is.

    Examples
    --------
    >>> r = nearest_correlation([[1, .9, .1], [.9, 1, .9], [.1, .9, 1]])
    >>> r.repaired, r.min_eigenvalue_after > 0, float(r.matrix[0, 0])
    (True, True, 1.0)
    """
    if not (0.0 <= float(threshold) < 0.5):
        raise SpecError(f"`threshold` must be in [0, 0.5), got {threshold}")
    m = check_correlation_matrix(matrix, names)
    d = m.shape[0]
    names = [str(n) for n in names] if names is not None else [f"x{i}" for i in range(d)]
    lam0 = min_eigenvalue(m)
    if lam0 > threshold:
        try:
            np.linalg.cholesky(m)
            return RepairReport(m, m.copy(), False, lam0, lam0, 0.0, 0.0, names)
        except np.linalg.LinAlgError:  # pragma: no cover - eigen/cholesky disagree at rounding
            pass
    if strict:
        raise SpecError(
            f"correlation matrix is not positive definite (smallest eigenvalue {lam0:.3g}); "
            "fix the declared correlations, or pass strict=False to repair it to the nearest "
            "correlation matrix (Higham 2002)"
        )
    out = _higham(m, 2.0 * threshold + 1e-15, max_iter=max(50, d * max_iter_factor), tol=tol)
    out = _unit_diagonal(out)
    # guard: should the projections stop short, finish with eigenvalue clipping
    for _ in range(50):
        lam = min_eigenvalue(out)
        if lam >= threshold * (1 - 1e-6):
            try:
                np.linalg.cholesky(out)
                break
            except np.linalg.LinAlgError:
                pass
        w, v = np.linalg.eigh(out)
        w = np.maximum(w, 2.0 * threshold + 1e-15)
        out = _unit_diagonal((v * w) @ v.T)
    else:  # pragma: no cover - defensive
        raise SpecError("could not repair the correlation matrix to a positive definite one")
    lam1 = min_eigenvalue(out)
    diff = out - m
    return RepairReport(
        out, m, True, lam0, lam1, float(np.abs(diff).max()), float(np.linalg.norm(diff)), names
    )


def _higham(a: np.ndarray, floor: float, *, max_iter: int, tol: float) -> np.ndarray:
    """Higham (2002) alternating projections with Dykstra's correction, with a stopping rule.

    Projects alternately onto {symmetric, eigenvalues >= floor} (eigenvalue
    clipping) and {unit diagonal}. statsmodels' ``corr_nearest`` runs the same
    iteration but only stops when no eigenvalue needs clipping, which with a
    positive floor often takes its full ``100 d`` iterations (2.5 s for d = 31);
    here the iteration stops once it no longer moves (same result to ~1e-9).
    """
    with limit_threads(1):  # tiny eigendecompositions: BLAS threads only add contention
        return _higham_loop(a, floor, max_iter=max_iter, tol=tol)


def _higham_loop(a: np.ndarray, floor: float, *, max_iter: int, tol: float) -> np.ndarray:
    y = a.copy()
    ds = np.zeros_like(a)
    x = a
    for _ in range(int(max_iter)):
        r = y - ds
        w, v = np.linalg.eigh(r)
        x = (v * np.maximum(w, floor)) @ v.T
        ds = x - r
        y_new = x.copy()
        np.fill_diagonal(y_new, 1.0)
        step = np.linalg.norm(y_new - y)
        y = y_new
        if step <= tol * max(1.0, np.linalg.norm(y)):
            break
    return y


def _unit_diagonal(a: np.ndarray) -> np.ndarray:
    a = 0.5 * (a + a.T)
    s = 1.0 / np.sqrt(np.clip(np.diag(a), 1e-300, None))
    a = a * s[:, None] * s[None, :]
    np.fill_diagonal(a, 1.0)
    return np.clip(a, -1.0, 1.0)
