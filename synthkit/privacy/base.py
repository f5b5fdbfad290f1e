"""The column-generator contract, and the strict reader of generator records.

A :class:`ColumnGenerator` writes the values of one identifier or PII column for a batch
of row slots. ``generate(slots, key, rng)`` is a pure function of the global row-slot
indices ``slots``, the sample's 64-bit ``key`` and the state of the block generator ``rng``:
no global state, no Faker seed. Its record (``to_dict``) is JSON-able and never holds a
value of the real column; :class:`Record` reads one back with type and size checks.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..errors import ModelFileError, SpecError, reject_unknown_keys
from .keyed import keyed_uniform

__all__ = ["ColumnGenerator", "Record", "column_salt", "null_fraction_of", "spread_sample", "NULL_STREAM",
           "SAMPLE_VALUES"]

#: Keyed stream of the null mask of identifier columns.
NULL_STREAM = 0x6E756C6C
#: Values examined per column when detecting a role or learning a format.
SAMPLE_VALUES = 4000


def column_salt(name: Any) -> int:
    """A 64-bit salt from a column name, so that two id columns of one sample differ.

    Examples
    --------
    >>> column_salt("id") == column_salt("id") != column_salt("order_id")
    True
    """
    return int.from_bytes(hashlib.blake2b(str(name).encode(), digest_size=8).digest(), "little")


def null_fraction_of(series: Any) -> float:
    """Fraction of missing values of a series (0 for an empty one)."""
    n = len(series)
    return float(series.isna().sum()) / n if n else 0.0


def spread_sample(values: pd.Series, size: int = SAMPLE_VALUES) -> pd.Series:
    """At most ``size`` values at evenly spaced positions (deterministic, no seed).

    Examples
    --------
    >>> spread_sample(pd.Series(range(10)), 3).tolist()
    [0, 4, 9]
    """
    if len(values) <= size:
        return values
    return values.iloc[np.unique(np.linspace(0, len(values) - 1, size).round().astype(np.int64))]


def _check_slots(slots: Any) -> np.ndarray:
    arr = np.asarray(slots)
    if arr.ndim != 1 or not (arr.dtype.kind in "iu" or arr.size == 0):
        raise SpecError(f"`slots` must be a 1-d array of non-negative integers, got dtype {arr.dtype} "
                        f"and shape {arr.shape}")
    arr = arr.astype(np.int64)
    if arr.size and int(arr.min()) < 0:
        raise SpecError(f"`slots` must be non-negative row-slot indices, got {int(arr.min())}")
    return arr


class ColumnGenerator:
    """Base of the generators of identifier and PII columns.

    Subclasses set :attr:`KIND` (the record tag), implement :meth:`_values` and
    :meth:`_params`, and a ``from_record`` class method reading :meth:`_params` back.

    Attributes
    ----------
    role : str
        ``"identifier"`` or ``"pii"``.
    pii_type : str or None
        One of :data:`synthkit.privacy.roles.PII_TYPES` for PII columns.
    null_fraction : float
        Fraction of rows left null.
    """

    KIND: ClassVar[str] = ""
    #: Null masks drawn from ``(slot, key)`` (identifiers) rather than from ``rng``.
    KEYED_NULLS: ClassVar[bool] = False

    role: str = "pii"
    pii_type: str | None = None

    def __init__(self, null_fraction: float = 0.0, salt: int = 0):
        if not (isinstance(null_fraction, (int, float)) and 0.0 <= null_fraction < 1.0):
            raise SpecError(f"`null_fraction` must be in [0, 1), got {null_fraction!r}")
        self.null_fraction = float(null_fraction)
        self.salt = int(salt) % 2**64

    # -- generation -------------------------------------------------------------
    def _values(self, slots: np.ndarray, key: int, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def generate(self, slots: np.ndarray, key: int, rng: np.random.Generator) -> np.ndarray:
        """Values for row slots ``slots`` of the sample keyed by ``key``, using ``rng``.

        Returns an object array of ``str`` (``None`` where null), or an ``int64`` array for
        integer identifiers without nulls (an object array of ``int`` / ``None`` with them).

        Examples
        --------
        >>> from synthkit.privacy.identifiers import SequentialId
        >>> SequentialId(600).generate(np.arange(3), 1, np.random.default_rng(0)).tolist()
        [600, 601, 602]
        """
        slots = _check_slots(slots)
        if not isinstance(rng, np.random.Generator):
            raise SpecError(f"`rng` must be a numpy Generator, got {type(rng).__name__}")
        values = self._values(slots, key, rng)
        if self.null_fraction <= 0.0:
            return values if values.dtype == np.int64 else values.astype(object)
        if self.KEYED_NULLS:
            null = keyed_uniform(slots, key, (self.salt + NULL_STREAM) % 2**64) < self.null_fraction
        else:
            null = rng.random(len(slots)) < self.null_fraction
        out = values.astype(object)
        out[null] = None
        return out

    # -- records ----------------------------------------------------------------
    def _params(self) -> dict[str, Any]:
        raise NotImplementedError

    def _read_extras(self, r: Record) -> None:
        """Read the record fields that are not parameters of ``from_record`` (none by default)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able record of the generator; it holds no value of the real column."""
        return {"generator": self.KIND, "role": self.role, "pii_type": self.pii_type,
                "null_fraction": self.null_fraction, **self._params()}

    @property
    def description(self) -> str:
        """One line saying how values are made (and any guarantee about real values)."""
        return self.KIND

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.description})"


class Record:
    """Checked access to the fields of one generator record read from a file.

    Every accessor raises :class:`~synthkit.errors.ModelFileError` naming the field,
    what it must be and what was found.

    Examples
    --------
    >>> r = Record({"generator": "x", "width": 3}, {"width"}, "x")
    >>> r.int("width", 0, 10)
    3
    """

    COMMON = frozenset({"generator", "role", "pii_type", "null_fraction"})

    def __init__(self, d: Any, allowed: set[str] | frozenset[str], where: str):
        self.where = f"privacy generator {where!r}"
        if not isinstance(d, dict):
            raise ModelFileError(f"{self.where}: a record must be a mapping, got {type(d).__name__}")
        reject_unknown_keys(d, set(allowed) | self.COMMON, self.where, ModelFileError)
        self.d = d

    def fail(self, key: str, expected: str) -> ModelFileError:
        value = self.d.get(key, "<missing>")
        shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
        return ModelFileError(f"{self.where}: `{key}` must be {expected}, got {shown}")

    def _get(self, key: str, default: Any) -> Any:
        if key not in self.d:
            if default is ...:
                raise self.fail(key, "present")
            return default
        return self.d[key]

    def int(self, key: str, lo: int, hi: int, default: Any = ...) -> int:
        v = self._get(key, default)
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise self.fail(key, f"an integer in [{lo}, {hi}]")
        return v

    def float(self, key: str, lo: float, hi: float, default: Any = ..., hi_open: bool = False) -> float:
        v = self._get(key, default)
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) \
            and lo <= v and (v < hi if hi_open else v <= hi)
        if not ok:
            raise self.fail(key, f"a number in [{lo}, {hi}{')' if hi_open else ']'}")
        return float(v)

    def bool(self, key: str, default: Any = ...) -> bool:
        v = self._get(key, default)
        if not isinstance(v, bool):
            raise self.fail(key, "true or false")
        return v

    def str(self, key: str, max_len: int, pattern: str | None = None, default: Any = ...) -> str:
        v = self._get(key, default)
        if not isinstance(v, str) or len(v) > max_len or not v.isprintable() or (
                pattern is not None and re.fullmatch(pattern, v) is None):
            extra = f" matching {pattern}" if pattern else ""
            raise self.fail(key, f"a printable string of at most {max_len} characters{extra}")
        return v

    def choice(self, key: str, choices: tuple, default: Any = ...) -> Any:
        v = self._get(key, default)
        if not isinstance(v, (str, type(None))) or v not in choices:
            raise self.fail(key, f"one of {list(choices)}")
        return v

    def list(self, key: str, max_items: int, default: Any = ...) -> list:
        v = self._get(key, default)
        if not isinstance(v, list) or len(v) > max_items:
            raise self.fail(key, f"a list of at most {max_items} items")
        return v

    def floats(self, key: str, max_items: int, lo: float, hi: float) -> list[float]:
        v = self.list(key, max_items)
        if not all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
                   and lo <= x <= hi for x in v):
            raise self.fail(key, f"a list of numbers in [{lo}, {hi}]")
        return [float(x) for x in v]

    def shares(self, key: str, n: int) -> list[float]:
        v = self.floats(key, n, 0.0, 1.0)
        if len(v) != n or abs(sum(v) - 1.0) > 1e-6:
            raise self.fail(key, f"{n} shares in [0, 1] summing to 1")
        return v
