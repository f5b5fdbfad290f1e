"""Validation of declared correlation matrices.

A declared matrix may come as a nested list, a numpy array, a labelled
DataFrame, or a mapping of pairs (``{"age,income": 0.4}`` or
``{("age", "income"): 0.4}``, unlisted pairs 0). :func:`check_correlation_matrix`
turns any of these into a float array aligned with the table's columns, or
raises a :class:`~synthkit.errors.SpecError` saying what is wrong and how to
fix it. Positive definiteness is *not* required here: see
:func:`synthkit.dependence.repair.nearest_correlation`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import SpecError

__all__ = ["check_correlation_matrix", "is_positive_definite", "min_eigenvalue"]

#: Tolerance on symmetry, the unit diagonal and the [-1, 1] range.
TOL = 1e-8


def _from_pairs(spec: Mapping, names: Sequence[str], what: str) -> np.ndarray:
    idx = {n: i for i, n in enumerate(names)}
    m = np.eye(len(names))
    seen: set[tuple[int, int]] = set()
    for key, value in spec.items():
        if isinstance(key, str):
            parts = [p.strip() for p in key.split(",")]
        else:
            parts = list(key)
        if len(parts) != 2:
            raise SpecError(
                f"{what}: pair key {key!r} must name two columns, like 'age,income' or "
                "('age', 'income')"
            )
        a, b = (str(p) for p in parts)
        unknown = [p for p in (a, b) if p not in idx]
        if unknown:
            raise SpecError(
                f"{what}: pair {key!r} names unknown column(s) {unknown}; "
                f"the table has {list(names)}"
            )
        if a == b:
            raise SpecError(f"{what}: pair {key!r} correlates a column with itself; drop it")
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise SpecError(
                f"{what}: value of pair {key!r} must be a number, got {value!r}"
            ) from None
        i, j = idx[a], idx[b]
        pair = (min(i, j), max(i, j))
        if pair in seen and m[i, j] != v:
            raise SpecError(f"{what}: pair {a},{b} is given twice with different values")
        seen.add(pair)
        m[i, j] = m[j, i] = v
    return m


def check_correlation_matrix(
    matrix,
    names: Sequence[str] | None = None,
    *,
    what: str = "correlation",
) -> np.ndarray:
    """Check a declared correlation matrix and return it as a float array.

    Parameters
    ----------
    matrix : array-like, DataFrame or mapping of pairs
        The declared matrix. A DataFrame must be labelled with ``names`` (in any
        order; it is reordered). A mapping gives pairs, the others are 0.
    names : sequence of str, optional
        The table's column names, in order: the matrix must match them.
    what : str
        How to call the matrix in error messages.

    Returns
    -------
    numpy.ndarray (d, d)
        Symmetric (exactly), unit diagonal, entries in [-1, 1].

    Raises
    ------
    SpecError
        Not 2-D or not square, NaN or non-numeric entries, asymmetric, diagonal
        not 1, entries outside [-1, 1], or labels/size not matching ``names``.

    Examples
    --------
    >>> check_correlation_matrix([[1, 0.5], [0.5, 1]]).tolist()
    [[1.0, 0.5], [0.5, 1.0]]
    >>> check_correlation_matrix({"a,b": 0.3}, ["a", "b", "c"])[0, 1]
    np.float64(0.3)
    """
    if isinstance(matrix, Mapping):
        if names is None:
            raise SpecError(f"{what}: a mapping of pairs needs the column names")
        return check_correlation_matrix(_from_pairs(matrix, names, what), names, what=what)
    if isinstance(matrix, pd.DataFrame):
        rows = [str(i) for i in matrix.index]
        cols = [str(c) for c in matrix.columns]
        if rows != cols:
            raise SpecError(
                f"{what}: a DataFrame matrix must have the same labels on rows and columns, "
                f"got rows {rows} and columns {cols}"
            )
        if names is not None:
            missing = [n for n in names if n not in cols]
            extra = [c for c in cols if c not in names]
            if missing or extra:
                raise SpecError(
                    f"{what}: matrix columns do not match the table: missing {missing}, "
                    f"unknown {extra}; label it with exactly the columns {list(names)}"
                )
            matrix = matrix.loc[list(names), list(names)]
        try:
            m = matrix.to_numpy(dtype=float)
        except (TypeError, ValueError):
            raise SpecError(f"{what}: matrix entries must be numbers") from None
    else:
        try:
            m = np.array(matrix, dtype=float)
        except (TypeError, ValueError):
            raise SpecError(
                f"{what}: matrix must be a square array of numbers, got {type(matrix).__name__}"
            ) from None
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise SpecError(f"{what}: matrix must be square (d x d), got shape {m.shape}")
    d = m.shape[0]
    if d == 0:
        raise SpecError(f"{what}: matrix is empty; give one row and column per table column")
    if names is not None and d != len(names):
        raise SpecError(
            f"{what}: matrix is {d} x {d} but the table has {len(names)} columns {list(names)}; "
            "give one row and column per table column, in the table's order"
        )
    if np.isnan(m).any() or np.isinf(m).any():
        i, j = np.argwhere(~np.isfinite(m))[0]
        raise SpecError(
            f"{what}: matrix has a non-finite entry at ({_lab(i, names)}, {_lab(j, names)}); "
            "every entry must be a number in [-1, 1]"
        )
    asym = np.abs(m - m.T)
    if asym.max() > TOL:
        i, j = np.unravel_index(np.argmax(asym), asym.shape)
        raise SpecError(
            f"{what}: matrix must be symmetric, but entry ({_lab(i, names)}, {_lab(j, names)}) "
            f"= {m[i, j]:g} and ({_lab(j, names)}, {_lab(i, names)}) = {m[j, i]:g}"
        )
    diag = np.diag(m)
    if np.abs(diag - 1.0).max() > TOL:
        i = int(np.argmax(np.abs(diag - 1.0)))
        raise SpecError(f"{what}: diagonal entries must be 1, got {diag[i]:g} for {_lab(i, names)}")
    if np.abs(m).max() > 1.0 + TOL:
        i, j = np.unravel_index(np.argmax(np.abs(m)), m.shape)
        raise SpecError(
            f"{what}: entry ({_lab(i, names)}, {_lab(j, names)}) must be in [-1, 1], "
            f"got {m[i, j]:g}"
        )
    m = 0.5 * (m + m.T)
    np.fill_diagonal(m, 1.0)
    return np.clip(m, -1.0, 1.0)


def _lab(i, names) -> str:
    return repr(names[int(i)]) if names is not None else str(int(i))


def min_eigenvalue(matrix) -> float:
    """Smallest eigenvalue of a symmetric matrix.

    Examples
    --------
    >>> round(min_eigenvalue([[1, .5], [.5, 1]]), 12)
    0.5
    """
    return float(np.linalg.eigvalsh(np.asarray(matrix, dtype=float))[0])


def is_positive_definite(matrix, threshold: float = 0.0) -> bool:
    """True when the Cholesky factorization succeeds and the smallest eigenvalue > ``threshold``.

    Examples
    --------
    >>> is_positive_definite([[1, 1.0], [1.0, 1]])
    False
    """
    m = np.asarray(matrix, dtype=float)
    try:
        np.linalg.cholesky(m)
    except np.linalg.LinAlgError:
        return False
    return min_eigenvalue(m) > threshold
