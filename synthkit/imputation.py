"""Imputation of missing values from a fitted model, and Rubin's rules to pool analyses.

:func:`impute` fills each missing cell by drawing from the model's conditional
distribution given the row's *evidence* (:func:`~synthkit.strategies._conditional.evidence`):
every observed value pins (continuous) or bounds (discrete, categorical) its latent
uniform, and every missing cell of a column with a missingness dimension fixes that
dimension to "missing" (``[0, pi]``) while its value dimension is left free. The value is
thus drawn from ``X_j | X_obs, M_j = 1``: under missing at random the indicator adds
nothing once the observed values are given, and where the model found missingness tied to
other columns it is accounted for exactly (the latent missingness model of
:mod:`synthkit.strategies._latent`). A column whose null mass sits at the bottom of its
one uniform (older model files) draws its value from the non-missing part ``[pi, 1]``.

With ``m > 1`` the completed tables are independent draws: table ``i`` is drawn from
``child_seed(seed, i, 0)`` in the engine's blocks of ``BLOCK_ROWS`` rows
(:func:`~synthkit.seeding.block_generator`), so it is the same whatever ``m``; only the
rows with a hole are drawn. From one fitted model the between-imputation variance holds
the draws' uncertainty given the model's parameters but not the parameters' own, which
matters when many values are missing (at half of them missing the pooled variance of a
mean comes out about a quarter too small). ``bootstrap=True`` makes the imputation
*proper* (Rubin 1987, the approximate Bayesian bootstrap): table ``i`` is drawn from the
model's strategy and parameters refitted to a bootstrap resample of the rows
(``child_generator(seed, i, 1)``), at the cost of ``m`` fits.

:func:`pool` combines one analysis of each completed table (Rubin 1987; Barnard &
Rubin 1999): ``Q = mean(q_i)``, ``W = mean(u_i)``, ``B = var(q_i)`` (``ddof=1``),
``T = W + (1 + 1/m) B``, ``lambda = (1 + 1/m) B / T``, ``nu_old = (m - 1) / lambda^2``,
``nu_obs = (nu_com + 1) / (nu_com + 3) nu_com (1 - lambda)`` and
``nu = 1 / (1 / nu_old + 1 / nu_obs)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from ._deprecation import renamed_keyword
from ._progress import progress_bar
from ._resources import check_memory
from .errors import DataError, SpecError
from .schema import check_unique_columns
from .seeding import BLOCK_ROWS, SeedLike, as_seed_sequence, block_generator, child_generator, child_seed

__all__ = ["impute", "pool", "PooledEstimate"]


#: Most completed tables one call makes (multiple imputation uses 5 to 100).
MAX_IMPUTATIONS = 1000


def _check_m(m: Any) -> int:
    if isinstance(m, (bool, np.bool_)) or not isinstance(m, Integral) or not 1 <= int(m) <= MAX_IMPUTATIONS:
        raise SpecError(f"`m` (the number of completed tables) must be an integer from 1 to "
                        f"{MAX_IMPUTATIONS}, got {m!r}; use m=1 for one completed table, m=5 to 50 for "
                        "multiple imputation")
    return int(m)


def _check_table(df: Any) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"`impute` takes a pandas DataFrame, got {type(df).__name__}")
    if len(df) == 0:
        raise DataError("the table to impute has no rows")
    check_unique_columns(df, "the table to impute")
    empty = [str(c) for c in df.columns if df[c].isna().all()]
    if empty:
        raise DataError(f"column(s) {empty} are entirely missing: there is nothing to learn their values "
                        "from; drop them (or declare their distribution in a model and pass `model=`)")
    return df


def _fill(model: Any, frame: pd.DataFrame, root: np.random.SeedSequence, bar: Any) -> pd.DataFrame:
    """One draw of the model's columns of ``frame`` (internal names), missing cells drawn.

    The rows are drawn in blocks of ``BLOCK_ROWS`` from ``block_generator(root, b)``, as the
    engine; ``bar`` (a progress bar or None) advances by one per block.
    """
    from .strategies._conditional import evidence
    from .strategies._engine import missing_layout, values_to_frame

    ev = evidence(model, frame, missing_is_evidence=True, strict=False, error=DataError,
                  what="the table's")
    lay = missing_layout(model)
    for j, cm in enumerate(model.columns_):
        pi = float(cm.column.null_fraction)
        if cm.name in frame.columns and j not in lay and pi > 0:
            rows = frame[cm.name].isna().to_numpy()  # null mass at the bottom of its one uniform:
            ev.lower[rows, j], ev.upper[rows, j] = pi, 1.0  # draw from the values' part
    parts: list[list[np.ndarray]] = []
    for b, s in enumerate(range(0, len(frame), BLOCK_ROWS)):
        idx = slice(s, min(s + BLOCK_ROWS, len(frame)))
        u = model._uniforms_given(ev.lower[idx], ev.upper[idx], block_generator(root, b))
        parts.append([cm.values_from_uniform(u[:, j], np.ones(len(u)) if j in lay else None)
                      for j, cm in enumerate(model.columns_)])
        if bar is not None:
            bar.update(1)
    return values_to_frame(model, [np.concatenate([p[j] for p in parts]) for j in range(len(model.columns_))])


def _refit(model: Any, df: pd.DataFrame, rng: np.random.Generator) -> Any:
    """``model``'s strategy with its parameters, fitted to a bootstrap resample of ``df``'s rows."""
    rows = rng.integers(0, len(df), size=len(df))
    return type(model)(**model.get_params()).fit(df.iloc[rows].reset_index(drop=True))


@renamed_keyword("df", "data")
def impute(data: pd.DataFrame, model: Any = None, m: int = 1, seed: SeedLike = None, *,
           bootstrap: bool = False, progress: bool | None = None) -> pd.DataFrame | list[pd.DataFrame]:
    """Fill the missing values of ``data`` by draws from a fitted model given each row's observed values.

    Each missing cell is drawn from the model's conditional distribution given the row's
    observed cells and the fact that the cell is missing (module docstring); observed
    values are never changed. With ``m > 1`` (multiple imputation) the tables are
    independent draws of ``seed``'s blocks; analyse each and combine with :func:`pool`.

    Parameters
    ----------
    data : DataFrame
        The table with missing values (``NaN`` / ``None`` / ``pd.NA``).
    model : Strategy, optional
        A fitted model of ``data``'s columns drawing given per-row evidence
        (``supports_conditions``: gaussian_copula, gmm, montecarlo). Default: a
        ``gaussian_copula`` fitted on ``data`` itself (its missingness model included)
        with ``privacy="off"``: the completed table holds the observed values anyway, and
        the release protections (top-coding) would only bias the imputed cells.
    m : int
        Number of completed tables.
    seed : None, int, SeedSequence or Generator
    bootstrap : bool
        Draw each table from the model refitted to a bootstrap resample of the rows
        (proper multiple imputation: the parameters' uncertainty enters the
        between-imputation variance); costs ``m`` fits.
    progress : bool, optional
        Progress bar over the blocks drawn (default: on a terminal for long work).

    Returns
    -------
    DataFrame or list of DataFrame
        One completed table (``m == 1``) or ``m`` of them, with ``data``'s index, columns and
        observed values.

    Examples
    --------
    >>> import numpy as np, pandas as pd, synthkit
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=500)
    >>> data = pd.DataFrame({"x": x, "y": x + rng.normal(scale=0.3, size=500)})
    >>> data.loc[::5, "y"] = np.nan
    >>> out = impute(data, seed=1)
    >>> int(out["y"].isna().sum()), bool(out["x"].equals(data["x"]))
    (0, True)
    """
    from .strategies._conditional import _check_model

    m = _check_m(m)
    data = _check_table(data)
    check_memory(2.0 * m * float(data.memory_usage(index=True, deep=False).sum()),
                 f"{m} completed copies of a {len(data):,}-row table", "lower `m`")
    root = as_seed_sequence(seed)
    holes = {c: data[c].isna().to_numpy() for c in data.columns if data[c].isna().any()}
    if model is not None:
        _check_model(model, "imputation")
    elif holes:
        model = _fit(data)
    if not isinstance(bootstrap, (bool, np.bool_)):
        raise SpecError(f"`bootstrap` must be True or False, got {bootstrap!r}")
    outs = [data.copy() for _ in range(m)]
    if not holes:
        return outs[0] if m == 1 else outs
    names = {cm.name for cm in model.columns_}
    outside = [str(c) for c in holes if str(c) not in names]
    if outside:
        raise DataError(f"column(s) {outside} have missing values but are not columns the model draws "
                        f"{sorted(names)}; fit the model on a table with them (identifier-like columns "
                        "are generated, not modelled: fill or drop them first)")
    # only the rows with a hole are drawn
    incomplete = np.flatnonzero(np.logical_or.reduce(list(holes.values())))
    frame = data.iloc[incomplete][[c for c in data.columns if str(c) in names]].rename(columns=str)
    frame = frame.reset_index(drop=True)
    blocks = -(-len(frame) // BLOCK_ROWS)
    with progress_bar(total=m * blocks, progress=progress, large=m * len(frame) > BLOCK_ROWS or bootstrap,
                      desc="imputing", unit="block") as bar:
        for i, out in enumerate(outs):
            # table i from its own seed: the same whatever m
            table_model = _refit(model, data, child_generator(root, i, 1)) if bootstrap else model
            drawn = _fill(table_model, frame, child_seed(root, i, 0), bar)
            for c, rows in holes.items():
                _assign(out, c, rows, drawn[str(c)].to_numpy()[rows[incomplete]])
    return outs[0] if m == 1 else outs


def _fit(df: pd.DataFrame) -> Any:
    """The default model: a ``gaussian_copula`` with ``privacy="off"``.

    The completed table holds every observed value, so the release protections would
    guard nothing; their top-coding would only pull imputed tails inside the protected
    range (under missingness at random, a slope of 0.62 where the complete data have 0.8).
    """
    from .api import fit

    return fit(df, "gaussian_copula", privacy="off")


def _assign(out: pd.DataFrame, c: Any, rows: np.ndarray, values: np.ndarray) -> None:
    """Write ``values`` into ``out[c]`` at ``rows``, keeping the column's dtype where it can."""
    s = out[c]
    if isinstance(s.dtype, pd.CategoricalDtype):
        new = pd.Series(values, dtype=object)
        extra = [v for v in pd.unique(new.dropna()) if v not in s.cat.categories]
        if extra:
            s = s.cat.add_categories(extra)
        arr = s.to_numpy(dtype=object).copy()
        arr[rows] = values
        out[c] = pd.Categorical(arr, categories=s.cat.categories, ordered=s.cat.ordered)
        return
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        arr = s.to_numpy(dtype=float, na_value=np.nan).copy()
        arr[rows] = np.asarray(values, dtype=float)
        if pd.api.types.is_integer_dtype(s.dtype) and np.all(arr == np.round(arr)):
            out[c] = pd.array(arr.astype(np.int64), dtype=s.dtype)
        else:
            out[c] = pd.Series(arr, index=out.index).astype(s.dtype if pd.api.types.is_float_dtype(s.dtype)
                                                            else float)
        return
    arr = s.copy()
    arr.iloc[np.flatnonzero(rows)] = values
    out[c] = arr


# ---------------------------------------------------------------------- pooling
@dataclass(frozen=True)
class PooledEstimate:
    """Rubin's rules: one analysis repeated on ``m`` completed tables, combined.

    Attributes (arrays of the estimates' shape): ``estimate`` (mean of the estimates),
    ``within`` (``W``, mean of their variances), ``between`` (``B``), ``total``
    (``T = W + (1 + 1/m) B``), ``df`` (Barnard–Rubin degrees of freedom), ``m``.
    """

    estimate: np.ndarray
    within: np.ndarray
    between: np.ndarray
    total: np.ndarray
    df: np.ndarray
    m: int

    @property
    def std_error(self) -> np.ndarray:
        """``sqrt(T)``."""
        return np.sqrt(self.total)

    @property
    def riv(self) -> np.ndarray:
        """Relative increase in variance due to missing values, ``(1 + 1/m) B / W``."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return (1 + 1 / self.m) * self.between / self.within

    @property
    def fmi(self) -> np.ndarray:
        """Fraction of missing information, ``(r + 2 / (nu + 3)) / (r + 1)``."""
        r = self.riv
        return (r + 2 / (self.df + 3)) / (r + 1)

    def conf_int(self, level: float = 0.95) -> np.ndarray:
        """``estimate -/+ t_{nu, (1 + level) / 2} sqrt(T)``, last axis (low, high)."""
        from scipy import stats

        if not 0 < level < 1:
            raise SpecError(f"`level` must be in (0, 1), got {level!r}")
        half = stats.t.ppf(0.5 + level / 2, self.df) * self.std_error
        return np.stack([self.estimate - half, self.estimate + half], axis=-1)

    def p_value(self, null: float = 0.0) -> np.ndarray:
        """Two-sided p-value of ``estimate = null`` on ``t_nu``."""
        from scipy import stats

        return 2 * stats.t.sf(np.abs((self.estimate - null) / self.std_error), self.df)


def pool(estimates: Any, variances: Any, df_complete: float | None = None) -> PooledEstimate:
    """Combine an analysis of ``m`` completed tables by Rubin's rules (Barnard–Rubin df).

    Parameters
    ----------
    estimates : array-like, shape (m,) or (m, p)
        The estimate(s) from each completed table.
    variances : array-like, same shape
        Their squared standard errors.
    df_complete : float, optional
        Degrees of freedom of the analysis on complete data (``n - p`` for a
        regression); default infinite (``nu = nu_old``).

    Returns
    -------
    PooledEstimate

    Examples
    --------
    >>> r = pool([1.0, 1.2, 0.8], [0.04, 0.05, 0.03])
    >>> float(r.estimate), round(float(r.total), 4), round(float(r.df), 1)
    (1.0, 0.0933, 6.1)
    """
    try:
        q = np.asarray(estimates, dtype=float)
        u = np.asarray(variances, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"`estimates` and `variances` must be numbers, one per completed table: "
                        f"{exc}") from None
    if q.ndim not in (1, 2) or q.shape != u.shape:
        raise SpecError(f"`estimates` and `variances` must have the same shape (m,) or (m, p), got "
                        f"{q.shape} and {u.shape}")
    m = q.shape[0]
    if m < 2:
        raise SpecError(f"pooling needs at least 2 completed tables' estimates, got {m}; impute with m >= 2")
    if not (np.all(np.isfinite(q)) and np.all(np.isfinite(u))) or (u < 0).any():
        raise DataError("`estimates` must be finite and `variances` finite and non-negative")
    if df_complete is not None and not (np.isfinite(df_complete) and df_complete > 0):
        raise SpecError(f"`df_complete` must be a positive number, got {df_complete!r}")
    qbar = q.mean(axis=0)
    w = u.mean(axis=0)
    b = q.var(axis=0, ddof=1)
    t = w + (1 + 1 / m) * b
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.where(t > 0, (1 + 1 / m) * b / t, 0.0)
        inv_old = lam**2 / (m - 1)
        if df_complete is None:
            inv_obs = np.zeros_like(lam)
        else:
            nu = float(df_complete)
            inv_obs = 1.0 / ((nu + 1) / (nu + 3) * nu * (1 - lam))
        df = 1.0 / (inv_old + inv_obs)
    return PooledEstimate(qbar, w, b, t, np.asarray(df, dtype=float), m)
