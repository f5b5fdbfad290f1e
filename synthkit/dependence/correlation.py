"""Correlation estimation and the Gaussian-copula conversions between measures.

Four estimators of a ``d x d`` correlation matrix from an ``n x d`` table:

``pearson``
    the product-moment correlation of the values.
``spearman``
    Pearson correlation of the ranks (mid-ranks for ties).
``kendall``
    Kendall's tau-b, pair by pair (Knight's O(n log n) algorithm in scipy).
``normal_scores``
    Pearson correlation of the normal scores ``z = Phi^-1(u)`` of the
    pseudo-observations ``u``: the maximum-likelihood-efficient estimator of a
    Gaussian copula's correlation (Klaassen & Wellner 1997).

Tied or discrete columns are handled with the *distributional transform*
(Rüschendorf 2009): a value ``x`` becomes ``u = F(x-) + V (F(x) - F(x-))`` with
``V ~ U(0, 1)``, i.e. ties are broken at random, which makes ``u`` exactly
uniform and keeps the dependence of the underlying copula. With the empirical
``F`` we use ranks ``r`` in ``1..n`` with ties broken at random, rescaled as
``u = r / (n + 1)`` so that ``u`` never touches 0 or 1.

Under a Gaussian copula with latent (normal-scores) correlation ``rho``::

    Spearman  rho_s = 6/pi * asin(rho / 2)      (Pearson 1907)
    Kendall   tau   = 2/pi * asin(rho)          (Greiner 1909)

and the inverses ``rho = 2 sin(pi rho_s / 6)`` and ``rho = sin(pi tau / 2)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special, stats

from .._threads import limit_threads
from ..errors import DataError, SpecError
from ..seeding import SeedLike, as_generator

__all__ = [
    "CORRELATION_METHODS",
    "pseudo_observations",
    "normal_scores",
    "correlation",
    "pearson_to_spearman",
    "spearman_to_pearson",
    "pearson_to_kendall",
    "kendall_to_pearson",
    "convert_correlation",
]

CORRELATION_METHODS = ("pearson", "spearman", "kendall", "normal_scores")


def _as_2d(data, what: str = "data") -> tuple[np.ndarray, list[str]]:
    """A float (n, d) array and column names from a DataFrame or array-like."""
    if isinstance(data, pd.DataFrame):
        names = [str(c) for c in data.columns]
        try:
            x = data.to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            bad = [c for c in data.columns if not pd.api.types.is_numeric_dtype(data[c].dtype)]
            raise DataError(
                f"{what} has non-numeric column(s) {bad}; transform them to uniforms first "
                "(ColumnModel.to_uniform) or use a copula strategy, which handles mixed types"
            ) from None
    else:
        x = np.asarray(data, dtype=float)
        if x.ndim != 2:
            raise DataError(f"{what} must be 2-D (rows x columns), got shape {x.shape}")
        names = [f"x{i}" for i in range(x.shape[1])]
    if x.shape[0] < 2:
        raise DataError(f"{what} needs at least 2 rows to estimate a correlation, got {x.shape[0]}")
    if np.isnan(x).any():
        cols = [names[j] for j in np.flatnonzero(np.isnan(x).any(axis=0))]
        raise DataError(
            f"{what} has missing values in column(s) {cols}; drop them, impute them, or map the "
            "table to uniforms with ColumnModel.to_uniform (nulls take part via their mass)"
        )
    if np.isinf(x).any():
        raise DataError(f"{what} has infinite values; replace them with finite values")
    return x, names


def _check_not_constant(x: np.ndarray, names: Sequence[str], what: str) -> None:
    sd = x.std(axis=0)
    const = [names[j] for j in np.flatnonzero(sd <= 1e-12 * np.maximum(1.0, np.abs(x).max(axis=0)))]
    if const:
        raise DataError(
            f"{what} has constant column(s) {const}: their correlation is undefined; "
            "drop them before estimating the dependence (they are modelled by their marginal alone)"
        )


def pseudo_observations(data, *, ties: str = "random", seed: SeedLike = None) -> np.ndarray:
    """Rank-based pseudo-observations ``u = rank / (n + 1)`` in (0, 1), column by column.

    Parameters
    ----------
    data : DataFrame or array-like (n, d)
        Numeric table without missing values.
    ties : {"random", "average"}
        ``"random"`` breaks ties at random: the empirical distributional
        transform ``u = F(x-) + V (F(x) - F(x-))`` (Rüschendorf 2009), exact
        uniform margins whatever the ties. ``"average"`` uses mid-ranks.
    seed : None, int, SeedSequence or Generator
        Randomness for the tie breaks.

    Returns
    -------
    numpy.ndarray (n, d)

    Examples
    --------
    >>> pseudo_observations([[1.0], [3.0], [2.0]]).ravel().tolist()
    [0.25, 0.75, 0.5]
    """
    x, _ = _as_2d(data)
    n, d = x.shape
    if ties not in ("random", "average"):
        raise SpecError(f"`ties` must be 'random' or 'average', got {ties!r}")
    if ties == "average":
        r = stats.rankdata(x, axis=0, method="average")
        return r / (n + 1.0)
    rng = as_generator(seed)
    out = np.empty_like(x)
    for j in range(d):
        # lexsort: primary key the value, secondary a random key -> random tie order
        key = rng.random(n)
        order = np.lexsort((key, x[:, j]))
        out[order, j] = np.arange(1, n + 1)
    return out / (n + 1.0)


def normal_scores(u: np.ndarray) -> np.ndarray:
    """Normal scores ``z = Phi^-1(u)`` of uniforms in (0, 1) (van der Waerden scores).

    Examples
    --------
    >>> float(normal_scores(np.array([0.5]))[0])
    0.0
    """
    u = np.asarray(u, dtype=float)
    return special.ndtri(np.clip(u, 1e-300, np.nextafter(1.0, 0.0)))


@limit_threads(1)  # sums over rows: the same bits whatever the BLAS thread count
def _corr(x: np.ndarray) -> np.ndarray:
    c = np.corrcoef(x, rowvar=False)
    c = np.atleast_2d(c)
    c = 0.5 * (c + c.T)
    np.fill_diagonal(c, 1.0)
    return np.clip(c, -1.0, 1.0)


def correlation(
    data,
    method: str = "pearson",
    *,
    ties: str = "random",
    seed: SeedLike = None,
    as_frame: bool | None = None,
) -> np.ndarray | pd.DataFrame:
    """Estimate a correlation matrix from a table.

    Parameters
    ----------
    data : DataFrame or array-like (n, d)
        Numeric table, no missing values (map mixed tables to uniforms first
        with ``ColumnModel.to_uniform``; they are then numeric in (0, 1)).
    method : {"pearson", "spearman", "kendall", "normal_scores"}
        See the module docstring.
    ties : {"random", "average"}
        Tie handling of ``normal_scores``: random tie breaks (the distributional
        transform, default) or mid-ranks. ``spearman`` always uses mid-ranks
        (the textbook statistic); ``kendall`` is tau-b.
    seed : None, int, SeedSequence or Generator
        Randomness of the random tie breaks.
    as_frame : bool, optional
        Return a labelled DataFrame (default: when ``data`` is a DataFrame).

    Returns
    -------
    numpy.ndarray or pandas.DataFrame (d, d)
        Symmetric, unit diagonal, entries in [-1, 1].

    Raises
    ------
    DataError
        Missing or infinite values, fewer than 2 rows, or a constant column.

    Examples
    --------
    >>> x = np.array([[1, 2], [2, 4.1], [3, 5.9], [4, 8.2]])
    >>> round(float(correlation(x, "spearman")[0, 1]), 6)
    1.0
    """
    if method not in CORRELATION_METHODS:
        raise SpecError(f"`method` must be one of {', '.join(CORRELATION_METHODS)}, got {method!r}")
    x, names = _as_2d(data)
    _check_not_constant(x, names, "data")
    d = x.shape[1]
    if method == "pearson":
        c = _corr(x)
    elif method == "spearman":
        c = _corr(stats.rankdata(x, axis=0, method="average"))
    elif method == "normal_scores":
        u = pseudo_observations(x, ties=ties, seed=seed)
        c = _corr(normal_scores(u))
    else:  # kendall
        c = np.eye(d)
        for i in range(d):
            for j in range(i + 1, d):
                tau = stats.kendalltau(x[:, i], x[:, j]).statistic
                c[i, j] = c[j, i] = 0.0 if not np.isfinite(tau) else tau
    if as_frame or (as_frame is None and isinstance(data, pd.DataFrame)):
        return pd.DataFrame(c, index=names, columns=names)
    return c


def pearson_to_spearman(rho):
    """Spearman's rho of a Gaussian copula with correlation ``rho``: ``6/pi asin(rho/2)``.

    Examples
    --------
    >>> round(float(pearson_to_spearman(0.5)), 4)
    0.4826
    """
    return 6.0 / np.pi * np.arcsin(np.asarray(rho, dtype=float) / 2.0)


def spearman_to_pearson(rho_s):
    """Gaussian-copula correlation giving Spearman ``rho_s``: ``2 sin(pi rho_s / 6)``.

    Examples
    --------
    >>> round(float(spearman_to_pearson(pearson_to_spearman(0.3))), 12)
    0.3
    """
    return 2.0 * np.sin(np.pi * np.asarray(rho_s, dtype=float) / 6.0)


def pearson_to_kendall(rho):
    """Kendall's tau of a Gaussian (or any elliptical) copula: ``2/pi asin(rho)``.

    Examples
    --------
    >>> round(float(pearson_to_kendall(1.0)), 12)
    1.0
    """
    return 2.0 / np.pi * np.arcsin(np.asarray(rho, dtype=float))


def kendall_to_pearson(tau):
    """Elliptical-copula correlation giving Kendall ``tau``: ``sin(pi tau / 2)``.

    Examples
    --------
    >>> round(float(kendall_to_pearson(pearson_to_kendall(-0.4))), 12)
    -0.4
    """
    return np.sin(np.pi * np.asarray(tau, dtype=float) / 2.0)


_CONVERSIONS = {
    ("pearson", "spearman"): pearson_to_spearman,
    ("spearman", "pearson"): spearman_to_pearson,
    ("pearson", "kendall"): pearson_to_kendall,
    ("kendall", "pearson"): kendall_to_pearson,
}


def convert_correlation(matrix, source: str, target: str):
    """Convert a correlation matrix between measures under a Gaussian copula.

    ``"pearson"`` here means the copula's latent (normal-scores) correlation.
    The diagonal stays 1. The result may need
    :func:`~synthkit.dependence.repair.nearest_correlation`
    (conversion of a PD Spearman/Kendall matrix is not always PD).

    Examples
    --------
    >>> m = convert_correlation(np.array([[1, .5], [.5, 1]]), "spearman", "kendall")
    >>> round(float(m[0, 1]), 4)
    0.3464
    """
    alias = {"normal_scores": "pearson"}
    s, t = alias.get(source, source), alias.get(target, target)
    for name, val in (("source", s), ("target", t)):
        if val not in ("pearson", "spearman", "kendall"):
            raise SpecError(
                f"`{name}` must be one of pearson, normal_scores, spearman, kendall, got {val!r}"
            )
    m = np.array(matrix, dtype=float, copy=True)
    if s == t:
        return m
    if s != "pearson" and t != "pearson":
        m = _CONVERSIONS[(s, "pearson")](m)
        s = "pearson"
    out = _CONVERSIONS[(s, t)](m)
    out = np.asarray(out)
    if out.ndim == 2:
        np.fill_diagonal(out, 1.0)
    return out
