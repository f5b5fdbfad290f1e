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
``generated``
    identifier and PII columns of a privacy-protected model: their values are made by a
    generator (:mod:`synthkit.privacy`), never modelled or copied, so the schema keeps only
    their name, dtype and null fraction.

Roles
-----
Every column also has a ``role`` (:data:`ROLES`): ``identifier`` (keys), ``pii``
(names, e-mails, phones, addresses...), ``quasi_identifier`` (age, postcode, dates:
harmless alone, identifying together) or ``ordinary``, with ``role_reason`` saying why
(detected from names and values by :func:`synthkit.privacy.detect_roles`, or declared).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from ._deprecation import warn_renamed
from .errors import DataError, SpecError

__all__ = [
    "KINDS", "GENERATED", "ROLES", "Column", "Schema", "infer_schema", "infer_column", "check_frame",
    "cast_series", "DISCRETE_MAX_LEVELS", "MAX_DECIMALS", "column_label", "integer_dtype_range",
    "known_dtype", "timestamp_seconds",
]

KINDS = ("continuous", "integer", "categorical", "boolean", "datetime")

#: The kind of a column whose values come from a generator (identifier / PII).
GENERATED = "generated"

#: Column roles (see module docstring).
ROLES = ("ordinary", "identifier", "pii", "quasi_identifier")

#: Integer-valued columns with at most this many distinct values are discrete.
DISCRETE_MAX_LEVELS = 30

#: Largest ``decimals`` a column may round to (float64 holds about 15 significant digits).
MAX_DECIMALS = 15

#: Category labels that survive a JSON model file unchanged.
_LABEL_TYPES = (str, bool, int, float, np.str_, np.bool_, np.integer, np.floating)


def _is_label(v: Any) -> bool:
    """Whether a model file can hold ``v`` as a category: a string, boolean or finite number."""
    return isinstance(v, _LABEL_TYPES) and not (isinstance(v, (float, np.floating)) and not np.isfinite(v))


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
    role : {"ordinary", "identifier", "pii", "quasi_identifier"}
        The column's privacy role (see module docstring).
    role_reason : str
        Why the column has its role ("declared", "98% of values match an e-mail pattern"...).
    determined_by : str, optional
        The column whose value determines this one (a hierarchy such as occupation code ->
        occupation group, see :mod:`synthkit.dependence.hierarchy`): sampled values of this
        column are derived from that column's by the stored level map.

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
    role: str = "ordinary"
    role_reason: str = ""
    determined_by: str | None = None

    def __post_init__(self) -> None:
        def fail(msg: str) -> SpecError:
            return SpecError(f"column {self.name!r}: {msg}")

        if not isinstance(self.name, str):
            raise SpecError(f"a column name must be a string, got {self.name!r}")
        if self.kind not in KINDS and self.kind != GENERATED:
            raise fail(f"unknown kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if self.role not in ROLES:
            raise fail(f"unknown role {self.role!r}; expected one of {', '.join(ROLES)}")
        if not isinstance(self.role_reason, str):
            raise fail(f"`role_reason` must be a string, got {self.role_reason!r}")
        if self.kind == GENERATED and self.role not in ("identifier", "pii"):
            raise fail(f"a generated column has role 'identifier' or 'pii', got {self.role!r}")
        if self.kind != GENERATED:
            _check_dtype(self.name, self.kind, self.dtype)
        elif not isinstance(self.dtype, str) or not known_dtype(self.dtype):
            raise fail(f"unknown dtype {self.dtype!r}; use a pandas dtype name such as 'object' or 'int64'")
        if isinstance(self.null_fraction, bool) or not isinstance(self.null_fraction, Real) \
                or not (0.0 <= float(self.null_fraction) < 1.0):
            raise fail(f"`null_fraction` must be a number in [0, 1), got {self.null_fraction!r}")
        for key in ("minimum", "maximum"):
            _check_bound(self, key)
        if (
            self.minimum is not None
            and self.maximum is not None
            and self.kind in ("continuous", "integer")
            and float(self.minimum) > float(self.maximum)
        ):
            raise fail(f"`minimum` ({self.minimum}) must not exceed `maximum` ({self.maximum})")
        for key in ("categories", "frequencies"):
            if getattr(self, key) is not None and not isinstance(getattr(self, key), list):
                raise fail(f"`{key}` must be a list, got {getattr(self, key)!r}")
        if self.kind in ("categorical", "boolean") and not self.categories:
            raise fail(f"a {self.kind} column needs a non-empty `categories` list")
        if self.kind == "boolean" and self.categories != [False, True]:
            raise fail(f"the `categories` of a boolean column are [false, true], got {self.categories!r}")
        d = self.decimals
        if d is not None and (isinstance(d, bool) or not isinstance(d, Integral)
                              or not 0 <= d <= MAX_DECIMALS):
            raise fail(f"`decimals` must be an integer in [0, {MAX_DECIMALS}] or None, got {d!r}")
        if not isinstance(self.extra, dict):
            raise fail(f"`extra` must be a mapping, got {self.extra!r}")
        if self.determined_by is not None and (not isinstance(self.determined_by, str)
                                               or self.kind not in ("categorical", "boolean", "integer")):
            raise fail("`determined_by` names the determining column of a categorical, boolean or "
                       f"integer column, got {self.determined_by!r} on a {self.kind} column")

    @property
    def is_numeric(self) -> bool:
        return self.kind in ("continuous", "integer")

    def to_dict(self) -> dict:
        d = {k: _to_py(v) for k, v in asdict(self).items()}
        if d["categories"] is not None:
            d["categories"] = [_to_py(c) for c in d["categories"]]
        if d["frequencies"] is not None:
            d["frequencies"] = [float(f) for f in d["frequencies"]]
        if d["determined_by"] is None:
            del d["determined_by"]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Column:
        try:
            column = cls(**d)
        except TypeError as exc:
            raise SpecError(f"malformed column record {d!r}: {exc}") from None
        _check_categories(column.name, column.categories)
        return column


def _check_categories(name: str, categories: list | None) -> None:
    """Refuse categories read from a file that are not distinct labels.

    A label is a string, a finite number or a boolean: a ``null`` would make missing values
    the model does not count (they belong to ``null_fraction``), a list or mapping would
    be written out as its text, and a label given twice would take both shares.
    """
    seen: set[tuple[str, Any]] = set()
    for c in categories or []:
        if not _is_label(c):
            raise SpecError(f"column {name!r}: a category must be a string, a finite number or a "
                            f"boolean (missing values are `null_fraction`), got {c!r}")
        key = (type(c).__name__, c)
        if key in seen:
            raise SpecError(f"column {name!r}: category {c!r} is given twice in `categories`")
        seen.add(key)


def _check_dtype(name: str, kind: str, dtype: Any) -> None:
    """Refuse a dtype pandas does not know, or one that cannot hold values of ``kind``."""
    try:
        dt = pd.api.types.pandas_dtype(dtype) if isinstance(dtype, str) else None
    except (TypeError, ValueError):
        dt = None
    if dt is None:
        raise SpecError(
            f"column {name!r}: unknown dtype {dtype!r}; use a pandas dtype name such as "
            "'float64', 'int64', 'Int64', 'bool', 'category', 'object' or 'datetime64[ns]'"
        )
    types = pd.api.types
    numeric = types.is_numeric_dtype(dt) and not types.is_bool_dtype(dt) \
        and not types.is_complex_dtype(dt)
    fits = {
        "continuous": numeric,
        "integer": numeric,
        "boolean": types.is_bool_dtype(dt) or types.is_object_dtype(dt)
        or isinstance(dt, pd.CategoricalDtype),
        "datetime": types.is_datetime64_any_dtype(dt),
        "categorical": isinstance(dt, pd.CategoricalDtype) or types.is_string_dtype(dt)
        or (types.is_numeric_dtype(dt) and not types.is_complex_dtype(dt)),
    }[kind]
    if not fits:
        raise SpecError(f"column {name!r}: dtype {dtype!r} cannot hold the values of a {kind} column")


def known_dtype(dtype: str) -> bool:
    """Whether pandas knows the dtype name ``dtype``.

    Examples
    --------
    >>> known_dtype("Int64"), known_dtype("int65")
    (True, False)
    """
    try:
        pd.api.types.pandas_dtype(dtype)
    except (TypeError, ValueError):
        return False
    return True


def integer_dtype_range(dtype: str) -> tuple[int, int] | None:
    """``(lowest, highest)`` value of an integer dtype (``None`` for other dtypes).

    Examples
    --------
    >>> integer_dtype_range("int8"), integer_dtype_range("float64")
    ((-128, 127), None)
    """
    dt = pd.api.types.pandas_dtype(dtype)
    if not pd.api.types.is_integer_dtype(dt):
        return None
    info = np.iinfo(np.dtype(getattr(dt, "numpy_dtype", None) or dt))
    return int(info.min), int(info.max)


def _check_bound(col: Column, key: str) -> None:
    v = getattr(col, key)
    if v is None:
        return
    if col.kind == "datetime":
        timestamp_seconds(v, f"column {col.name!r}: `{key}`")
        return
    if not col.is_numeric:
        return
    if isinstance(v, bool) or not isinstance(v, Real) or not np.isfinite(float(v)):
        raise SpecError(f"column {col.name!r}: `{key}` must be a finite number, got {v!r}")
    span = integer_dtype_range(col.dtype)
    if span is not None and not float(span[0]) <= float(v) <= float(span[1]):  # float: as stored
        raise SpecError(
            f"column {col.name!r}: `{key}` ({v}) is outside what dtype {col.dtype!r} holds "
            f"[{span[0]}, {span[1]}]; use a wider dtype such as 'int64' or change the bound"
        )


def timestamp_seconds(v: Any, what: str) -> float:
    """Seconds since the epoch (UTC) of a date string or datetime ``v``, checked.

    Raises :class:`~synthkit.errors.SpecError` naming ``what`` when ``v`` is not a
    date or lies outside the nanosecond range pandas can hold (1677-09-22 to 2262-04-11).

    Examples
    --------
    >>> timestamp_seconds("1970-01-02", "`min`")
    86400.0
    """
    datelike = isinstance(v, (str, np.datetime64)) or hasattr(v, "isoformat")
    if isinstance(v, (bool, Real)) or not datelike:
        raise SpecError(f"{what} must be a date such as '2020-01-31' or '2020-01-31 12:00', got {v!r}")
    try:
        ts = pd.Timestamp(v)
    except (TypeError, ValueError, OverflowError) as exc:
        raise SpecError(f"{what} must be a date such as '2020-01-31', got {v!r} ({exc})") from None
    if ts is pd.NaT:
        raise SpecError(f"{what} must be a date such as '2020-01-31', got {v!r}")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    if not pd.Timestamp.min <= ts <= pd.Timestamp.max:
        raise SpecError(
            f"{what} ({v!r}) is outside the dates synthkit can represent, "
            f"{pd.Timestamp.min.date()} to {pd.Timestamp.max.date()}"
        )
    return ts.as_unit("ns").value / 1e9


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
        if not self.columns:
            raise SpecError("a schema needs at least one column")
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

    def labels(self) -> dict[str, Any]:
        """Column name -> the original non-string label (``Column.extra["label"]``) of the table.

        A table whose columns are labelled ``0, 1, ...`` is modelled under the names
        ``"0", "1", ...``; sampled frames get the original labels back (:meth:`relabel`).
        """
        return {c.name: c.extra["label"] for c in self.columns if "label" in c.extra}

    def relabel(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with the original column labels of the table (see :meth:`labels`).

        Examples
        --------
        >>> import pandas as pd
        >>> s = Schema([Column("0", "continuous", extra={"label": 0})])
        >>> s.relabel(pd.DataFrame({"0": [1.5]})).columns.tolist()
        [0]
        """
        labels = self.labels()
        return frame.rename(columns=labels) if labels else frame

    @classmethod
    def from_dict(cls, d: dict) -> Schema:
        if not isinstance(d, dict) or not isinstance(d.get("columns"), list):
            raise SpecError("a schema record must be a mapping with a `columns` list")
        return cls([Column.from_dict(c) for c in d["columns"]])

    def to_frame(self) -> pd.DataFrame:
        """Deprecated name of :meth:`describe` (``to_frame`` is for data: datasets' rows)."""
        warn_renamed("Schema.to_frame()", "Schema.describe()")
        return self.describe()

    def describe(self) -> pd.DataFrame:
        """One row per column: name, kind, dtype, bounds, null fraction, #categories, role, why
        and structure (``"determined by code"`` for a column derived from another one).

        Examples
        --------
        >>> infer_schema(pd.DataFrame({"a": [1.5, 2.25]})).describe()["kind"].tolist()
        ['continuous']
        """
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
                    "role": c.role,
                    "why": c.role_reason,
                    "structure": "" if c.determined_by is None else f"determined by {c.determined_by}",
                }
            )
        return pd.DataFrame(rows)

    def cast(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return ``frame`` with the schema's column order and dtypes."""
        missing = [c.name for c in self.columns if c.name not in frame.columns]
        if missing:
            raise DataError(f"the table lacks column(s) {missing} of the schema")
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


def check_unique_columns(data: pd.DataFrame, what: str = "data") -> None:
    """Raise :class:`~synthkit.errors.DataError` naming the duplicate column names of ``data``."""
    if not data.columns.is_unique:
        dup = list(data.columns[data.columns.duplicated()])
        raise DataError(f"{what} has duplicate column names {dup}; rename them")


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
    if isinstance(data.columns, pd.MultiIndex) or any(isinstance(c, tuple) for c in data.columns):
        raise DataError(
            f"{what} has hierarchical (MultiIndex or tuple) column labels such as "
            f"{data.columns[0]!r}; flatten them first, e.g. "
            "df.columns = ['_'.join(map(str, c)) for c in df.columns]"
        )
    check_unique_columns(data, what)
    cplx = [c for c in data.columns if pd.api.types.is_complex_dtype(data[c].dtype)]
    if cplx:
        raise DataError(
            f"{what} has complex-valued column(s) {cplx}; synthkit models real numbers: "
            "split each into its real and imaginary parts (numpy.real / numpy.imag)"
        )
    for c in data.columns:
        if data[c].dtype == object:
            _check_hashable(data[c], c, what)
    num = data.select_dtypes(include=[np.number])
    if num.shape[1]:
        bad = [c for c in num.columns if np.isinf(num[c].to_numpy(dtype=float, na_value=np.nan)).any()]
        if bad:
            raise DataError(
                f"{what} has infinite values in column(s) {bad}; replace them with NaN "
                "(treated as missing) or finite values"
            )
    return data


def _check_hashable(s: pd.Series, name: Any, what: str) -> None:
    """Refuse an object column holding lists, dicts, sets or other unhashable cells."""
    try:
        pd.unique(s.to_numpy())
    except TypeError:
        kinds = sorted({type(v).__name__ for v in s.dropna().to_numpy()
                        if getattr(type(v), "__hash__", None) is None})
        raise DataError(
            f"{what}: column {name!r} holds {'/'.join(kinds) or 'unhashable'} cells; every cell "
            "must be one scalar value: expand the cells into columns, or convert them to "
            f"strings with df[{name!r}].astype(str)"
        ) from None


def _check_labels(labels: pd.Index, name: str) -> None:
    """Refuse category labels a model file cannot hold (dates, durations, bytes, objects...)."""
    bad = [v for v in labels if not _is_label(v)]
    if not bad:
        return
    kind = type(bad[0]).__name__
    if isinstance(bad[0], (pd.Timedelta, np.timedelta64)):
        fix = f"convert durations to numbers, e.g. df[{name!r}].dt.total_seconds()"
    elif hasattr(bad[0], "isoformat"):
        fix = f"convert dates with pandas.to_datetime(df[{name!r}])"
    elif isinstance(bad[0], (complex, np.complexfloating)):
        fix = "split it into its real and imaginary parts (numpy.real / numpy.imag)"
    elif hasattr(bad[0], "__float__"):
        fix = f"convert it to numbers with df[{name!r}].astype(float)"
    else:
        fix = f"convert it to text with df[{name!r}].astype(str)"
    raise DataError(
        f"column {name!r} holds {kind} values such as {bad[0]!r}; a column's values must be "
        f"numbers, strings, booleans or datetimes: {fix}"
    )


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
            name, "boolean", dtype,  # (an object column of True / False / None stays object)
            null_fraction=null_fraction, categories=cats,
            frequencies=[float(vc.get(False, 0.0)), float(vc.get(True, 0.0))], n_unique=len(vc),
        )
    if pd.api.types.is_complex_dtype(s.dtype):
        raise DataError(
            f"column {name!r} is complex-valued; synthkit models real numbers: split it into "
            "its real and imaginary parts (numpy.real / numpy.imag)"
        )
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        for v in (nonnull.min(), nonnull.max()):
            if not pd.Timestamp.min <= pd.Timestamp(v).tz_localize(None) <= pd.Timestamp.max:
                raise DataError(
                    f"column {name!r} has dates ({v}) outside the range synthkit can represent, "
                    f"{pd.Timestamp.min.date()} to {pd.Timestamp.max.date()}; shift or clip them"
                )
        return Column(
            name, "datetime", dtype, minimum=_to_py(nonnull.min()), maximum=_to_py(nonnull.max()),
            null_fraction=null_fraction, n_unique=int(nonnull.nunique()),
            extra={"resolution": datetime_resolution(nonnull)},
        )
    if isinstance(s.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(s.dtype):
        try:
            vc = nonnull.value_counts(normalize=True, sort=False)
        except TypeError:
            _check_hashable(nonnull, name, "data")
            raise
        _check_labels(vc.index, name)
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
        Empty table, infinite values, an all-missing column, cells that are not scalars
        (lists, dicts), complex numbers, or column labels that are not strings or numbers.
        Integer and float labels are kept in ``Column.extra["label"]`` (see
        :meth:`Schema.relabel`).

    Examples
    --------
    >>> import pandas as pd
    >>> infer_schema(pd.DataFrame({"q1": [1.0, 2.0, 5.0, 4.0]}))["q1"].kind
    'integer'
    """
    data = check_frame(data)
    labels = [column_label(c) for c in data.columns]
    columns = [infer_column(data[c], str(c)) for c in data.columns]
    for col, label in zip(columns, labels, strict=True):
        if label is not None:
            col.extra["label"] = label
    return Schema(columns)


def column_label(label: Any) -> int | float | None:
    """The label to restore on output for a non-string column label (``None`` for strings).

    Integer and float labels (``0, 1, 2.5``) are modelled under their string form and
    restored on sampled frames; other non-string labels are refused.

    Raises
    ------
    DataError
        A label that is neither a string nor a finite number (``None``, booleans, dates...).

    Examples
    --------
    >>> column_label("age"), column_label(3)
    (None, 3)
    """
    if isinstance(label, str):
        return None
    if isinstance(label, (int, np.integer)) and not isinstance(label, (bool, np.bool_)):
        return int(label)
    if isinstance(label, (float, np.floating)) and np.isfinite(label):
        return float(label)
    raise DataError(
        f"column label {label!r} ({type(label).__name__}) is not a string or a number; "
        "rename the columns, e.g. df.columns = df.columns.map(str)"
    )
