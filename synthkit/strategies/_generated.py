"""Identifier and PII columns of a fitted model: split off at fit time, generated per block.

At fit time (``privacy="standard"``) the columns whose role
(:func:`synthkit.privacy.detect_roles`, or the user's ``roles``) is ``identifier``
or ``pii`` leave the modelled table: the strategy never sees them, no marginal or
category of theirs is stored, and each gets a column generator
(:func:`synthkit.privacy.fit_generator`) that learned only its format.

At sampling time block ``b``'s rows occupy the row *slots* ``b * BLOCK_ROWS + i``
(``i`` the row's place in the block, which holds at most ``BLOCK_ROWS`` rows with or
without rules): unique within a sample whatever the chunking, the threads or the rules. Generated column
``j`` is drawn from the generator of key ``(b, GENERATED_STREAM, j)`` under the
sample's root (independent of the block's own uniforms), and identifier bijections
are keyed by one 64-bit key per column and sample, so ids are unique within the sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ModelFileError, SpecError, SynthkitError
from ..schema import GENERATED, Column, Schema, integer_dtype_range
from ..seeding import BLOCK_ROWS, GENERATED_STREAM, child_generator, child_seed

__all__ = ["GeneratedColumn", "GENERATED_STREAM", "generated_values", "table_schema",
           "generated_to_dict", "generated_from_dict", "MAX_GENERATED"]

#: Most generated columns a model file may declare.
MAX_GENERATED = 1_000


@dataclass(frozen=True)
class GeneratedColumn:
    """One identifier / PII column: its schema entry, its place in the table and its generator."""

    column: Column
    position: int
    generator: Any

    @property
    def name(self) -> str:
        return self.column.name


def generated_column(series: pd.Series, decision: Any, position: int, *, min_count: int,
                     locale: str | None, label: Any = None) -> GeneratedColumn:
    """Fit the generator of one identifier / PII column (only its format is learned)."""
    from ..privacy import fit_generator
    from ..privacy.base import null_fraction_of

    column = Column(str(series.name), GENERATED, str(series.dtype), null_fraction=null_fraction_of(series),
                    role=decision.role, role_reason=decision.reason,
                    extra={} if label is None else {"label": label})
    return GeneratedColumn(column, int(position), fit_generator(series, decision, min_count=min_count,
                                                               locale=locale))


def table_schema(model: Any) -> Schema:
    """The whole table's schema: the modelled columns, the columns they determine
    (:mod:`synthkit.dependence.hierarchy`) and the generated ones, in table order."""
    from ..dependence.hierarchy import insert_schema_columns

    generated = getattr(model, "generated_", None) or []
    hierarchies = getattr(model, "hierarchies_", None) or []
    if not generated and not hierarchies:
        return model.schema_
    columns = insert_schema_columns(list(model.schema_.columns), hierarchies)
    for g in sorted(generated, key=lambda g: g.position):
        columns.insert(min(g.position, len(columns)), g.column)
    return Schema(columns)


def _keys(root: np.random.SeedSequence, count: int) -> list[int]:
    """One 64-bit bijection key per generated column for the sample under ``root``."""
    return [int(child_seed(root, GENERATED_STREAM, j).generate_state(1, np.uint64)[0])
            for j in range(count)]


def generated_values(model: Any, b: int, root: np.random.SeedSequence, kept: np.ndarray) -> list[np.ndarray]:
    """Values of the model's generated columns for block ``b``'s kept draws ``kept`` (indices)."""
    generated = getattr(model, "generated_", None) or []
    if not generated:
        return []
    slots = int(b) * BLOCK_ROWS + np.asarray(kept, dtype=np.int64)
    keys = _keys(root, len(generated))
    return [g.generator.generate(slots, keys[j], child_generator(root, int(b), GENERATED_STREAM, j))
            for j, g in enumerate(generated)]


def generated_series(g: GeneratedColumn, values: np.ndarray) -> pd.Series:
    """The typed output column of generated values: the real column's dtype where it holds
    them (an ``int16`` id column whose generated ids pass 32767 becomes ``int64``), else as drawn."""
    s = pd.Series(values, name=g.name)
    dtype = g.column.dtype
    span = integer_dtype_range(dtype) if dtype.lower().startswith(("int", "uint")) else None
    if span is not None:
        x = pd.to_numeric(s, errors="coerce")
        if x.notna().sum() < s.notna().sum():  # not integers (a hand-edited dtype): as drawn
            return s
        if len(x.dropna()) and not (span[0] <= x.min() and x.max() <= span[1]):
            dtype = "int64"
        return x.astype(dtype.capitalize().replace("Uint", "UInt") if x.isna().any() else dtype)
    if dtype not in ("object",) and not dtype.startswith("str"):
        try:
            return s.astype(dtype)
        except (TypeError, ValueError):
            return s
    return s


def generated_to_dict(generated: list[GeneratedColumn]) -> list[dict]:
    return [{"column": g.column.to_dict(), "position": g.position, "generator": g.generator.to_dict()}
            for g in generated]


def generated_from_dict(entries: Any, n_modelled: int) -> list[GeneratedColumn]:
    """The generated columns of a model document (strict: a hand-edited file is checked)."""
    from ..privacy import generator_from_dict

    if entries is None:
        return []
    if not isinstance(entries, list) or len(entries) > MAX_GENERATED:
        raise ModelFileError(f"model document: `generated` must be a list of at most {MAX_GENERATED} "
                             "column entries")
    out = []
    for e in entries:
        if not isinstance(e, dict) or not {"column", "position", "generator"} <= set(e):
            raise ModelFileError("model document: a `generated` entry needs `column`, `position` and "
                                 "`generator`")
        pos = e["position"]
        if isinstance(pos, bool) or not isinstance(pos, int) or not 0 <= pos <= n_modelled + len(entries):
            raise ModelFileError(f"model document: generated column position {pos!r} is out of range")
        try:
            column = Column.from_dict(e["column"])
            generator = generator_from_dict(e["generator"])
        except SynthkitError as exc:
            raise ModelFileError(f"model document: malformed generated column: {exc}") from None
        if column.kind != GENERATED:
            raise ModelFileError(f"model document: generated column {column.name!r} must have kind "
                                 f"{GENERATED!r}")
        out.append(GeneratedColumn(column, pos, generator))
    positions = [g.position for g in out]
    if len(set(positions)) != len(positions):
        raise ModelFileError("model document: two generated columns share a position")
    return out


def correlation_names(correlation: Any) -> list[str]:
    """Column names a declared ``correlation`` target refers to (pair keys ``"a,b"`` or a labelled matrix)."""
    if isinstance(correlation, pd.DataFrame):
        return [str(c) for c in correlation.columns]
    if isinstance(correlation, dict):
        names = []
        for key in correlation:
            parts = key if isinstance(key, (tuple, list)) else str(key).split(",")
            names += [str(p).strip() for p in parts]
        return names
    return []


def check_not_generated(model: Any, names: Any, what: str) -> None:
    """Refuse ``what`` (rules, conditions, a correlation target) naming identifier / PII columns."""
    generated = {g.name: g for g in getattr(model, "generated_", None) or []}
    bad = [n for n in names if n in generated]
    if bad:
        roles = ", ".join(f"{n!r} ({generated[n].column.role})" for n in bad)
        raise SpecError(f"{what} name(s) {roles}: identifier and PII columns are generated, not "
                        "modelled, so they cannot be used there; declare the column's role "
                        "'ordinary' (roles={...}) if it is not sensitive")

