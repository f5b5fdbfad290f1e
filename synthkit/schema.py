"""Column kinds and table schemas, inferred from a DataFrame or declared.

A :class:`Schema` is the contract between a real table and its synthetic
copies: column order, kinds, dtypes, bounds, null fractions and categories.
Every strategy returns frames with exactly the schema's column order and dtypes.

Kinds
-----
``continuous``
    real-valued (floats, or integers with many distinct values that are rounded back).
``integer``
    discrete integer-valued. A numeric column is ``integer`` when all its values are
    whole numbers and it has at most :data:`DISCRETE_MAX_LEVELS` distinct values,
    *whatever its dtype*: survey answers coded 1.0-5.0 in a float column are
    ``integer``, not ``continuous``. Whole-number columns with more levels (counts,
    amounts) are ``continuous`` with ``decimals=0`` and are rounded back.
``categorical``
    strings, objects and pandas categoricals: a finite set of labels.
``boolean``
    two-valued ``bool`` columns.
``datetime``
    ``datetime64`` columns (timezone-naive or aware).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError, SpecError

__all__ = [
    "KINDS", "Column", "Schema", "infer_schema", "infer_column", "check_frame", "cast_series",
    "DISCRETE_MAX_LEVELS",
]

KINDS = ("continuous", "integer", "categorical", "boolean", "datetime")

#: Integer-valued columns with at most this many distinct values are discrete.
DISCRETE_MAX_LEVELS = 30


def _to_py(v: Any) -> Any:
    """Convert numpy / pandas scalars to plain JSON-able Python values."""
    if v is None:
        return None
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return v


@dataclass
class Column:
    """One column of a table.

    Parameters
    ----------
    name : str
        Column name.
    kind : {"continuous", "integer", "categorical", "boolean", "datetime"}
        Statistical kind (see module docstring).
    dtype : str
        The pandas dtype to restore on sampled frames (e.g. ``"float64"``,
        ``"int64"``, ``"Int64"``, ``"category"``, ``"object"``, ``"bool"``,
        ``"datetime64[ns]"``).
    minimum, maximum : float, optional
        Bounds for numeric and datetime columns (datetimes as ISO strings).
        Sampled values never fall outside them.
    null_fraction : float
        Fraction of missing values, in [0, 1).
    categories : list, optional
        Labels of a categorical or boolean column, in order.
    frequencies : list of float, optional
        Observed frequency of each category (sums to 1 over non-null values).
    decimals : int, optional
        Number of decimals seen in the data (continuous columns stored with a
        fixed precision are rounded back to it), ``None`` for full precision.

    Examples
    --------
    >>> Column("age", "integer", "int64", minimum=18, maximum=99).kind
    'integer'
    """

    name: str
    kind: str
    dtype: str = "float64"
    minimum: Any = None
    maximum: Any = None
    null_fraction: float = 0.0
    categories: list | None = None
    frequencies: list | None = None
    decimals: int | None = None
    n_unique: int | None = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise SpecError(
                f"column {self.name!r}: unknown kind {self.kind!r}; expected one of {', '.join(KINDS)}"
            )
        if not (0.0 <= float(self.null_fraction) < 1.0):
            raise SpecError(
                f"column {self.name!r}: `null_fraction` must be in [0, 1), got {self.null_fraction}"
            )
        if (
            self.minimum is not None
            and self.maximum is not None
            and self.kind in ("continuous", "integer")
            and float(self.minimum) > float(self.maximum)
        ):
            raise SpecError(
                f"column {self.name!r}: `minimum` ({self.minimum}) must not exceed "
                f"`maximum` ({self.maximum})"
            )

    @property
    def is_numeric(self) -> bool:
        return self.kind in ("continuous", "integer")

    def to_dict(self) -> dict:
        d = {k: _to_py(v) for k, v in asdict(self).items()}
        if d["categories"] is not None:
            d["categories"] = [_to_py(c) for c in d["categories"]]
        if d["frequencies"] is not None:
            d["frequencies"] = [float(f) for f in d["frequencies"]]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Column:
        try:
            return cls(**d)
        except TypeError as exc:
            raise SpecError(f"malformed column record {d!r}: {exc}") from None


@dataclass
class Schema:
    """An ordered collection of :class:`Column` s.

    Examples
    --------
    >>> import pandas as pd
    >>> s = infer_schema(pd.DataFrame({"x": [1.5, 2.5, 3.1], "c": ["a", "b", "a"]}))
    >>> [c.kind for c in s.columns]
    ['continuous', 'categorical']
    """

    columns: list[Column]

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise SpecError(f"duplicate column names in schema: {dup}")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def __getitem__(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def __iter__(self):
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def to_dict(self) -> dict:
        return {"columns": [c.to_dict() for c in self.columns]}

    @classmethod
    def from_dict(cls, d: dict) -> Schema:
        if not isinstance(d, dict) or not isinstance(d.get("columns"), list):
            raise SpecError("a schema record must be a mapping with a `columns` list")
        return cls([Column.from_dict(c) for c in d["columns"]])

    def to_frame(self) -> pd.DataFrame:
        """One row per column: name, kind, dtype, bounds, null fraction, #categories."""
        rows = []
        for c in self.columns:
            rows.append(
                {
                    "column": c.name,
                    "kind": c.kind,
                    "dtype": c.dtype,
                    "min": c.minimum,
                    "max": c.maximum,
                    "null_fraction": c.null_fraction,
                    "n_categories": None if c.categories is None else len(c.categories),
                }
            )
        return pd.DataFrame(rows)

    def cast(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return ``frame`` with the schema's column order and dtypes."""
        out = {}
        for c in self.columns:
            out[c.name] = cast_series(frame[c.name], c)
        return pd.DataFrame(out, index=frame.index)


def cast_series(s: pd.Series, col: Column) -> pd.Series:
    """Cast one series to the dtype recorded for ``col`` (nullable ints/bools if NaN)."""
    dtype = col.dtype
    if dtype == "category":
        cats = pd.Index(col.categories or [])
        return pd.Series(pd.Categorical(s, categories=cats), index=s.index, name=s.name)
    if dtype.startswith("datetime64"):
        return pd.to_datetime(s).astype(dtype)
    if dtype in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"):
        if s.isna().any():
            return s.astype(dtype.capitalize().replace("Uint", "UInt"))
        return s.astype(dtype)
    if dtype == "bool" and s.isna().any():
        return s.astype("boolean")
    try:
        return s.astype(dtype)
    except (TypeError, ValueError):
        return s


def check_frame(data: Any, *, what: str = "data") -> pd.DataFrame:
    """Check a table at the boundary and return it as a DataFrame.

    Raises :class:`~synthkit.errors.DataError` for non-tabular input, an empty
    table, duplicate column names, or infinite values (naming the columns).
    """
    if isinstance(data, np.ndarray):
        if data.ndim != 2:
            raise DataError(f"{what} must be 2-D (rows x columns), got an array of shape {data.shape}")
        data = pd.DataFrame(data, columns=[f"x{i}" for i in range(data.shape[1])])
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"{what} must be a pandas DataFrame, got {type(data).__name__}")
    if data.shape[0] == 0 or data.shape[1] == 0:
        raise DataError(f"{what} is empty ({data.shape[0]} rows x {data.shape[1]} columns)")
    if data.columns.duplicated().any():
        dup = list(data.columns[data.columns.duplicated()])
        raise DataError(f"{what} has duplicate column names: {dup}")
    num = data.select_dtypes(include=[np.number])
    if num.shape[1]:
        bad = [c for c in num.columns if np.isinf(num[c].to_numpy(dtype=float, na_value=np.nan)).any()]
        if bad:
            raise DataError(
                f"{what} has infinite values in column(s) {bad}; replace them with NaN "
                "(treated as missing) or finite values"
            )
    return data


def _decimals(x: np.ndarray, max_decimals: int = 6) -> int | None:
    """Smallest number of decimals that represents every value exactly (None if > max)."""
    sample = x[: min(len(x), 5000)]
    for d in range(max_decimals + 1):
        if np.allclose(np.round(sample, d), sample, rtol=0, atol=1e-9 * max(1.0, np.abs(sample).max())):
            return d
    return None


def datetime_resolution(s: pd.Series) -> str:
    """Coarsest unit among day, hour, minute, second that every timestamp is a multiple of."""
    s = pd.to_datetime(s)
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_localize(None)  # wall-clock time decides the resolution
    ns = s.astype("datetime64[ns]").astype("int64").to_numpy()
    for unit, size in (("D", 86_400), ("h", 3_600), ("min", 60), ("s", 1)):
        if np.all(ns % (size * 1_000_000_000) == 0):
            return unit
    return "ns"


def infer_column(s: pd.Series, name: str | None = None) -> Column:
    """Infer the :class:`Column` describing one series (see module docstring)."""
    name = str(s.name if name is None else name)
    n = len(s)
    nulls = int(s.isna().sum())
    nonnull = s.dropna()
    null_fraction = nulls / n if n else 0.0
    dtype = str(s.dtype)
    if len(nonnull) == 0:
        raise DataError(
            f"column {name!r} is entirely missing (all {n} values are NaN/None); "
            "drop it or declare its distribution in a recipe"
        )
    if null_fraction >= 1.0:  # pragma: no cover - guarded above
        raise DataError(f"column {name!r} is entirely missing")

    if pd.api.types.is_bool_dtype(s.dtype) or (
        s.dtype == object and nonnull.map(type).isin([bool, np.bool_]).all()
    ):
        vc = nonnull.astype(bool).value_counts(normalize=True)
        cats = [False, True]
        return Column(
            name, "boolean", "bool" if dtype in ("bool", "object") else dtype,
            null_fraction=null_fraction, categories=cats,
            frequencies=[float(vc.get(False, 0.0)), float(vc.get(True, 0.0))], n_unique=len(vc),
        )
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return Column(
            name, "datetime", dtype, minimum=_to_py(nonnull.min()), maximum=_to_py(nonnull.max()),
            null_fraction=null_fraction, n_unique=int(nonnull.nunique()),
            extra={"resolution": datetime_resolution(nonnull)},
        )
    if isinstance(s.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(s.dtype):
        vc = nonnull.value_counts(normalize=True, sort=False)
        if isinstance(s.dtype, pd.CategoricalDtype):
            cats = list(s.cat.categories)
            vc = vc.reindex(cats, fill_value=0.0)
            dtype = "category"
        else:
            try:
                cats = sorted(vc.index.tolist())
            except TypeError:
                cats = vc.index.tolist()
            vc = vc.reindex(cats)
        return Column(
            name, "categorical", dtype, null_fraction=null_fraction,
            categories=[_to_py(c) for c in cats], frequencies=[float(f) for f in vc.to_numpy()],
            n_unique=int(len(vc)),
        )
    x = nonnull.to_numpy(dtype=float)
    n_unique = int(np.unique(x).size)
    integral = bool(np.all(np.isfinite(x)) and np.all(x == np.round(x)))
    lo, hi = float(x.min()), float(x.max())
    if integral and n_unique <= DISCRETE_MAX_LEVELS:
        kind = "integer"
    else:
        kind = "continuous"
    decimals = 0 if integral else _decimals(x)
    return Column(
        name, kind, dtype, minimum=lo, maximum=hi, null_fraction=null_fraction,
        decimals=decimals, n_unique=n_unique,
    )


def infer_schema(data: pd.DataFrame) -> Schema:
    """Infer a :class:`Schema` from a DataFrame.

    Parameters
    ----------
    data : pandas.DataFrame
        The real table. Must be non-empty, without infinite values.

    Returns
    -------
    Schema

    Raises
    ------
    DataError
        Empty table, infinite values, or an all-missing column.

    Examples
    --------
    >>> import pandas as pd
    >>> infer_schema(pd.DataFrame({"q1": [1.0, 2.0, 5.0, 4.0]}))["q1"].kind
    'integer'
    """
    data = check_frame(data)
    return Schema([infer_column(data[c], str(c)) for c in data.columns])
