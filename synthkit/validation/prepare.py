"""Align a reference table and a synthetic table column by column.

Both tables are checked at the boundary (non-empty, no infinite values, no
all-missing column), their common columns are found and each is turned into
the array form the statistics need:

* numeric kinds (``continuous``, ``integer``, ``datetime``): a float64 array
  with NaN for missing values (datetimes as nanoseconds since the epoch,
  timezone-aware ones in UTC);
* discrete labels (``categorical``, ``boolean``): integer codes into a shared
  category list (the reference's categories first, then the synthetic ones
  never seen in the reference), ``-1`` for missing.

The column kind is the reference's (:func:`synthkit.schema.infer_schema`):
integer-coded floats with few levels are kind ``integer`` and are treated as
discrete where it matters (total-variation distance of the levels).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataError
from ..schema import Schema, check_frame, infer_column

__all__ = ["ColumnPair", "PreparedTables", "prepare_tables", "as_frame", "FAMILY"]

#: kinds that may be compared with each other
FAMILY = {
    "continuous": "numeric",
    "integer": "numeric",
    "datetime": "datetime",
    "categorical": "label",
    "boolean": "label",
}


@dataclass
class ColumnPair:
    """One column of both tables in array form (see module docstring)."""

    name: str
    kind: str
    real: np.ndarray
    synth: np.ndarray
    categories: list | None = None   # label columns only
    n_real_categories: int = 0       # how many of ``categories`` occur in the reference

    @property
    def is_numeric(self) -> bool:
        return self.kind in ("continuous", "integer", "datetime")

    @property
    def is_label(self) -> bool:
        return self.kind in ("categorical", "boolean")

    @property
    def is_discrete(self) -> bool:
        """Labels and integer-coded columns with few levels."""
        return self.kind in ("categorical", "boolean", "integer")

    def real_valid(self) -> np.ndarray:
        return self.real[~np.isnan(self.real)] if self.is_numeric else self.real[self.real >= 0]

    def synth_valid(self) -> np.ndarray:
        return self.synth[~np.isnan(self.synth)] if self.is_numeric else self.synth[self.synth >= 0]

    def null_rates(self) -> tuple[float, float]:
        if self.is_numeric:
            return float(np.isnan(self.real).mean()), float(np.isnan(self.synth).mean())
        return float((self.real < 0).mean()), float((self.synth < 0).mean())


@dataclass
class PreparedTables:
    """The aligned columns of a reference and a synthetic table."""

    columns: list[ColumnPair]
    schema: Schema
    n_real: int
    n_synth: int
    only_real: list[str] = field(default_factory=list)
    only_synth: list[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> ColumnPair:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def numeric(self) -> list[ColumnPair]:
        return [c for c in self.columns if c.is_numeric]

    def labels(self) -> list[ColumnPair]:
        return [c for c in self.columns if c.is_label]


def as_frame(obj, what: str) -> pd.DataFrame:
    """Return the DataFrame held by ``obj`` (a DataFrame, or anything with ``.frame``)."""
    if isinstance(obj, pd.DataFrame):
        return obj
    frame = getattr(obj, "frame", None)
    if isinstance(frame, pd.DataFrame):
        return frame
    if isinstance(obj, np.ndarray):
        return check_frame(obj, what=what)
    raise DataError(
        f"{what} must be a pandas DataFrame or a dataset with a `.frame` DataFrame, "
        f"got {type(obj).__name__}"
    )


def _all_missing(frame: pd.DataFrame) -> list[str]:
    return [str(c) for c in frame.columns if frame[c].isna().all()]


def _family(s: pd.Series) -> str:
    """The kind family of a series from its dtype (what :func:`infer_column` decides, cheaply)."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return "label"
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return "datetime"
    if isinstance(s.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(s.dtype):
        return "label"
    return "numeric"


def _numeric_array(s: pd.Series, kind: str, name: str, what: str) -> np.ndarray:
    if kind == "datetime":
        if not pd.api.types.is_datetime64_any_dtype(s.dtype):
            try:
                s = pd.to_datetime(s)
            except (TypeError, ValueError):
                raise DataError(
                    f"column {name!r} is a datetime in the reference but not in the {what} "
                    f"table (dtype {s.dtype}); convert it with pandas.to_datetime"
                ) from None
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        s = s.astype("datetime64[ns]")
        out = s.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(float)
        out[s.isna().to_numpy()] = np.nan
        return out
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    if pd.api.types.is_bool_dtype(s.dtype):
        s = s.astype(float)
    try:
        return pd.to_numeric(s, errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise DataError(
            f"column {name!r} is numeric ({kind}) in the reference but holds non-numeric "
            f"values in the {what} table (dtype {s.dtype}); the kinds must match"
        ) from None


def _label_key(v):
    """Normalise a label so that 1, 1.0, np.int64(1) and True/np.True_ compare equal."""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)) and float(v).is_integer():
        return int(v)
    return v


def _codes(s: pd.Series, index: dict) -> np.ndarray:
    values = s.astype(object).to_numpy()
    out = np.full(len(values), -1, dtype=np.int64)
    isna = pd.isna(values)
    inv, uniq = pd.factorize(values[~isna], sort=False)
    mapped = np.empty(len(uniq), dtype=np.int64)
    for j, u in enumerate(uniq):
        key = _label_key(u)
        if key not in index:
            index[key] = len(index)
        mapped[j] = index[key]
    out[~isna] = mapped[inv] if len(uniq) else out[~isna]
    return out


def prepare_tables(
    real: pd.DataFrame,
    synth: pd.DataFrame,
    *,
    schema: Schema | None = None,
    real_name: str = "reference",
    synth_name: str = "synthetic",
    schema_name: str | None = None,
) -> PreparedTables:
    """Check both tables and align their common columns.

    Parameters
    ----------
    real, synth : pandas.DataFrame
        The reference (real) table and the synthetic table.
    schema : Schema, optional
        Column kinds to use instead of inferring them from ``real``.
    real_name, synth_name : str
        The tables' names in error messages.
    schema_name : str, optional
        Where ``schema``'s kinds come from, in error messages (default ``real_name``).

    Returns
    -------
    PreparedTables

    Raises
    ------
    DataError
        Empty tables, infinite values, all-missing columns, no common columns, or a
        column whose kinds differ between the tables (each message names the columns).

    Examples
    --------
    >>> import pandas as pd
    >>> p = prepare_tables(pd.DataFrame({"x": [1.5, 2.0]}), pd.DataFrame({"x": [1.0, 3.5]}))
    >>> p.names, p.n_synth
    (['x'], 2)
    """
    real = check_frame(real, what=f"the {real_name} table")
    synth = check_frame(synth, what=f"the {synth_name} table")
    if not all(isinstance(c, str) for c in real.columns):
        real = real.rename(columns=str)
    if not all(isinstance(c, str) for c in synth.columns):
        synth = synth.rename(columns=str)
    common = [c for c in real.columns if c in set(synth.columns)]
    if not common:
        raise DataError(
            f"the {real_name} and {synth_name} tables have no column in common "
            f"({real_name}: {list(real.columns)[:10]}, {synth_name}: {list(synth.columns)[:10]}); "
            "rename the columns so that they match"
        )
    bad = _all_missing(real[common])
    if bad:
        raise DataError(
            f"column(s) {bad} of the {real_name} table are entirely missing (all NaN); "
            "drop them before validating"
        )
    bad = _all_missing(synth[common])
    if bad:
        raise DataError(
            f"column(s) {bad} of the {synth_name} table are entirely missing (all NaN); "
            "the generator produced no values for them"
        )
    if schema is None:
        cols_schema = [infer_column(real[c], c) for c in common]
    else:
        cols_schema = []
        for c in common:
            try:
                cols_schema.append(schema[c])
            except KeyError:
                cols_schema.append(infer_column(real[c], c))
    mismatched = []
    for col in cols_schema:
        sfam = _family(synth[col.name])
        if sfam != FAMILY[col.kind]:
            skind = infer_column(synth[col.name], col.name).kind
            mismatched.append(f"{col.name!r} ({schema_name or real_name}: {col.kind}, "
                              f"{synth_name}: {skind})")
    if mismatched:
        raise DataError(
            "column kinds differ between the tables: " + ", ".join(mismatched)
            + "; cast the synthetic columns to the reference's types (schema.cast)"
        )
    pairs = []
    for col in cols_schema:
        name = col.name
        if FAMILY[col.kind] in ("numeric", "datetime"):
            pairs.append(
                ColumnPair(
                    name, col.kind,
                    _numeric_array(real[name], col.kind, name, real_name),
                    _numeric_array(synth[name], col.kind, name, synth_name),
                )
            )
        else:
            index: dict = {}
            for cat in col.categories or []:
                index.setdefault(_label_key(cat), len(index))
            r = _codes(real[name], index)
            n_real_cats = len(index)
            s = _codes(synth[name], index)
            pairs.append(
                ColumnPair(name, col.kind, r, s, categories=list(index), n_real_categories=n_real_cats)
            )
    return PreparedTables(
        columns=pairs,
        schema=Schema(cols_schema),
        n_real=len(real),
        n_synth=len(synth),
        only_real=[c for c in real.columns if c not in set(common)],
        only_synth=[c for c in synth.columns if c not in set(real.columns)],
    )
