"""Fitting, reading and checking the generators of identifier and PII columns.

:func:`fit_generator` picks the generator of a column from its :class:`RoleDecision`;
:func:`generator_from_dict` reads a record back strictly; :func:`real_values_emitted`
is the leak check: how many synthetic values equal a real one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import ModelFileError, SpecError
from .base import ColumnGenerator, Record
from .fakes import (
    AddressFake,
    CityFake,
    EmailFake,
    FreeTextFake,
    IpFake,
    NameFake,
    TemplateFake,
    UrlFake,
    fit_fake,
)
from .identifiers import SequentialId, TemplateId, UuidId, fit_identifier
from .roles import PII_TYPES, RoleDecision

__all__ = ["fit_generator", "generator_from_dict", "real_values_emitted", "real_value_mask", "GENERATORS"]

#: Record tag -> generator class.
GENERATORS: dict[str, type[ColumnGenerator]] = {
    cls.KIND: cls for cls in (SequentialId, TemplateId, UuidId, NameFake, EmailFake, TemplateFake,
                              AddressFake, CityFake, IpFake, UrlFake, FreeTextFake)
}
_FIELDS: dict[str, frozenset[str]] = {
    "sequential_id": frozenset({"start", "prefix", "suffix", "width", "as_int", "salt"}),
    "template_id": frozenset({"template", "as_int", "note", "salt"}),
    "uuid": frozenset({"version", "upper", "hyphens", "salt"}),
}


def fit_generator(series: pd.Series, decision: RoleDecision, *, min_count: int = 5,
                  locale: str | None = None) -> ColumnGenerator:
    """The generator of an identifier or PII column, learned from its real values.

    Parameters
    ----------
    series : pandas.Series
        The real column (its name salts identifier permutations).
    decision : RoleDecision
        Its role; ``identifier`` and ``pii`` columns only.
    min_count : int
        Fewest rows a learned detail needs (an e-mail domain kept by name, a constant
        character of a template).
    locale : str, optional
        Faker locale of the fakes; by default guessed from the values, else ``"en_US"``.

    Examples
    --------
    >>> s = pd.Series(range(1, 51), name="id")
    >>> g = fit_generator(s, RoleDecision("id", "identifier", None, "declared"))
    >>> g.generate(np.arange(3), 0, np.random.default_rng(0)).tolist()
    [60, 61, 62]
    """
    if not isinstance(series, pd.Series):
        raise SpecError(f"fit_generator needs a pandas Series, got {type(series).__name__}")
    if not isinstance(decision, RoleDecision):
        raise SpecError(f"fit_generator needs a RoleDecision, got {type(decision).__name__}")
    if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
        raise SpecError(f"`min_count` must be a positive int, got {min_count!r}")
    if decision.role == "identifier":
        return fit_identifier(series, min_count=min_count)
    if decision.role == "pii":
        return fit_fake(series, decision.pii_type or "token", min_count=min_count, locale=locale)
    raise SpecError(f"column {decision.column!r} has role {decision.role!r}: only identifier and pii columns "
                    "are generated, the others are modelled")


def generator_from_dict(d: Any) -> ColumnGenerator:
    """Read a generator record written by ``to_dict``, checking every field.

    Raises
    ------
    ModelFileError
        Not a mapping, an unknown generator or field, a field of the wrong type or
        out of bounds (template longer than 256, widths beyond int64, unknown locale...).

    Examples
    --------
    >>> from synthkit.privacy.identifiers import SequentialId
    >>> generator_from_dict(SequentialId(600).to_dict()).start
    600
    >>> generator_from_dict({"generator": "magic"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    synthkit.errors.ModelFileError: unknown privacy generator 'magic'; expected one of address, city, ...
    """
    if not isinstance(d, dict):
        raise ModelFileError(f"a privacy generator record must be a mapping, got {type(d).__name__}")
    kind = d.get("generator")
    if not isinstance(kind, str) or kind not in GENERATORS:
        raise ModelFileError(f"unknown privacy generator {kind!r}; "
                             f"expected one of {', '.join(sorted(GENERATORS))}")
    cls = GENERATORS[kind]
    fields = _FIELDS.get(kind, getattr(cls, "FIELDS", frozenset()))
    r = Record(d, fields, kind)
    r.choice("role", (cls.role,), default=cls.role)
    if cls.role == "pii":
        r.choice("pii_type", PII_TYPES, default=getattr(cls, "pii_type", None))
    else:
        r.choice("pii_type", (None,), default=None)
    try:
        gen = cls.from_record(r)  # type: ignore[attr-defined]
        gen._read_extras(r)
    except SpecError as exc:
        if isinstance(exc, ModelFileError):
            raise
        raise ModelFileError(f"{r.where}: {exc}") from None
    if gen.pii_type != d.get("pii_type", gen.pii_type):
        raise r.fail("pii_type", f"{gen.pii_type!r} for a {kind!r} generator")
    return gen


def _normalised(s: pd.Series) -> pd.Series:
    """Non-null values as stripped strings; whole floats as integers; e-mails lower-cased."""
    s = pd.Series(s).dropna()
    if pd.api.types.is_float_dtype(s.dtype):
        x = s.to_numpy(dtype=float)
        whole = (x == np.round(x)) & (np.abs(x) < 2.0**63)
        out = s.astype(str).to_numpy(dtype=object)
        out[whole] = x[whole].astype(np.int64).astype(str)
        s = pd.Series(out, index=s.index, dtype=object)
    elif pd.api.types.is_object_dtype(s.dtype):
        s = s.map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else v)
    text = s.astype(str).str.strip()
    email = text.str.contains("@", regex=False)
    return text.where(~email, text.str.lower())


def real_values_emitted(real: pd.Series, synthetic: pd.Series) -> int:
    """How many non-null synthetic values equal a real value (after string normalisation).

    Values compare as ``str(value).strip()``, whole floats as integers (``12.0`` is ``12``)
    and e-mail addresses lower-cased: the leak check of generated columns, which should
    return 0.

    Examples
    --------
    >>> real_values_emitted(pd.Series(["Ann@X.com", "7"]), pd.Series(["ann@x.com ", 7.0, None, "b@x.com"]))
    2
    """
    return int(real_value_mask(real, synthetic).sum())


def real_value_mask(real: pd.Series, synthetic: pd.Series) -> np.ndarray:
    """Which synthetic values equal a real value, compared as :func:`real_values_emitted` does.

    Examples
    --------
    >>> real_value_mask(pd.Series(["a", "b"]), pd.Series(["b", None, "c"])).tolist()
    [True, False, False]
    """
    r = set(_normalised(real).tolist())
    synthetic = pd.Series(synthetic).reset_index(drop=True)
    hit = _normalised(synthetic).isin(r)
    return hit.reindex(synthetic.index, fill_value=False).to_numpy(dtype=bool)
