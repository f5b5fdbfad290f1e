"""The sampling engine: the one way a fitted model becomes rows.

A model's sample of ``n`` rows is a sequence of blocks of
:data:`~synthkit.seeding.BLOCK_ROWS` rows; block ``b`` is drawn from the
generator :func:`~synthkit.seeding.block_generator` ``(root, b)`` and nothing
else, so it can be drawn alone (:func:`block`, ``model.sample_block``), by any
thread, or on another machine. A block goes

    uniforms -> column models -> rules -> typed frame

through the model's hook ``_draw(request) -> list of arrays`` (one array per
column, in :meth:`~synthkit.columns.ColumnModel.values_from_uniform`'s form:
category codes or floats), then the rules (rejection: rows breaking them are
dropped), then :meth:`~synthkit.columns.ColumnModel.series_from_values`.

A model whose blocks depend on the whole sample (Cholesky's exact whitening)
returns that state from ``_prepare_sample(n, root, workers)``; it is computed
once per sample and handed to every block in ``request.state``.

With rules the number of blocks is not known in advance: full blocks are drawn
in order and filtered until ``n`` rows are accepted, so the rows are the same
whatever the chunking and the number of workers.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._resources import check_memory
from ..errors import RuleError, SpecError
from ..rules import apply_rules, parse_rules
from ..schema import cast_series
from ..seeding import BLOCK_ROWS, block_generator
from ._generated import check_not_generated, generated_series, generated_values

__all__ = ["BlockRequest", "block", "block_values", "sample_block", "sample_frame", "iter_chunks",
           "values_to_frame", "PROGRESS_MIN_ROWS", "MIN_ACCEPTANCE"]

#: Samples of at least this many rows show a progress bar (when stderr is a terminal).
PROGRESS_MIN_ROWS = 250_000
#: Rejection sampling gives up when the rules accept less than this share of rows.
MIN_ACCEPTANCE = 1e-4


@dataclass(frozen=True)
class BlockRequest:
    """What a model's ``_draw`` hook is asked for: ``rows`` rows of block ``index`` under ``root``.

    ``rng`` is the block's generator (the only randomness a block may use);
    ``state`` is what ``_prepare_sample`` returned for this sample (or None).
    """

    root: np.random.SeedSequence
    index: int
    rows: int
    rng: np.random.Generator
    conditions: dict | None = None
    state: Any = None


def progress_bar(n: int, progress: bool | None):
    """A bar over ``n`` rows: forced on/off by ``progress``; by default shown for
    ``n >= PROGRESS_MIN_ROWS`` when stderr is a terminal (:mod:`synthkit._progress`)."""
    from .._progress import progress_bar as bar

    return bar(total=n, progress=progress, large=n >= PROGRESS_MIN_ROWS, unit="rows", desc="sampling",
               leave=False)


def check_rows_memory(n: int, n_columns: int) -> None:
    """Refuse a sample whose ``n x n_columns`` float64 cells exceed the machine's memory."""
    check_memory(8.0 * n * max(n_columns, 1), f"a sample of {n:,} rows x {n_columns} columns",
                 "draw it in pieces with model.iter_chunks(n, chunk_rows=...) and write each "
                 "chunk out, or sample fewer rows")


def n_output_columns(model) -> int:
    """Columns of a sampled frame: the modelled ones and the generated identifier / PII ones."""
    return len(model.columns_) + len(getattr(model, "generated_", None) or [])


def check_n(n: Any) -> int:
    """Validate a row count (a positive integer)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        if isinstance(n, float) and n.is_integer() and n > 0:
            return int(n)
        raise SpecError(f"`n` must be a positive integer, got {n!r}")
    if n <= 0:
        raise SpecError(f"`n` must be a positive integer, got {n}")
    return int(n)


def check_workers(workers: Any) -> int:
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise SpecError(f"`workers` must be a positive integer, got {workers!r}")
    return int(workers)


def values_to_frame(model, values: list[np.ndarray]) -> pd.DataFrame:
    """The typed frame (internal string names, schema dtypes) of per-column value arrays.

    ``values`` holds the modelled columns (``model.columns_``) and then, for a model
    with identifier / PII columns, the generated ones; the frame has the table's order.
    """
    d = len(model.columns_)
    frame = pd.DataFrame({cm.name: cm.series_from_values(v)
                          for cm, v in zip(model.columns_, values[:d], strict=True)}, copy=False)
    frame = restore_dtypes(model, frame)
    generated = getattr(model, "generated_", None) or []
    if generated and len(values) > d:  # (rules see the modelled columns only)
        order = list(frame.columns)
        extra = {}
        for g, v in sorted(zip(generated, values[d:], strict=True), key=lambda gv: gv[0].position):
            order.insert(min(g.position, len(order)), g.name)
            extra[g.name] = generated_series(g, v)
        frame = pd.concat([frame, pd.DataFrame(extra, index=frame.index)], axis=1)[order]
    return frame


def restore_dtypes(model, frame: pd.DataFrame) -> pd.DataFrame:
    """Cast each column to its schema dtype where the typed values did not already have it."""
    for col in model.schema_:
        s = frame[col.name]
        if str(s.dtype) != col.dtype and not (col.dtype.lower().startswith("int")
                                              and str(s.dtype).startswith("Int")):
            try:
                frame[col.name] = cast_series(s, col)
            except (TypeError, ValueError):
                pass
    return frame


def missing_layout(model) -> dict[int, int]:
    """Column index -> the column of the uniforms holding its missingness uniform.

    A model listing columns in ``missing_columns_`` draws ``(n, d + m)`` uniforms:
    the ``d`` values, then one missingness uniform per listed column; otherwise
    each column's null mass sits at the bottom of its single uniform.
    """
    pos = {cm.name: j for j, cm in enumerate(model.columns_)}
    d = len(model.columns_)
    return {pos[c]: d + k for k, c in enumerate(getattr(model, "missing_columns_", None) or [])}


def values_from_uniforms(model, u: np.ndarray) -> list[np.ndarray]:
    """Per-column values of ``(n, d [+ m])`` uniforms through the model's column models."""
    lay = missing_layout(model)
    return [cm.values_from_uniform(u[:, j], u[:, lay[j]] if j in lay else None)
            for j, cm in enumerate(model.columns_)]


def block_values(model, b: int, root: np.random.SeedSequence, rows: int = BLOCK_ROWS, *,
                 conditions: dict | None = None, state: Any = None) -> list[np.ndarray]:
    """Block ``b`` of ``model`` as per-column value arrays, rows breaking its rules removed."""
    sampler = model._sampler()
    values = sampler._draw(BlockRequest(root, int(b), int(rows), block_generator(root, b),
                                        conditions or None, state))
    rules = parse_rules(model.rules, model.schema_.names) if model.rules else []
    kept = np.arange(int(rows))
    if rules:
        keep = apply_rules(values_to_frame(model, values), rules)
        keep = np.asarray(keep, dtype=bool)
        values = [v[keep] for v in values]
        kept = kept[keep]
    return values + generated_values(model, b, root, kept)


def block(model, b: int, root: np.random.SeedSequence, rows: int = BLOCK_ROWS, *,
          conditions: dict | None = None, state: Any = None) -> pd.DataFrame:
    """Block ``b`` of ``model`` as a typed frame (see module docstring).

    Examples
    --------
    >>> import numpy as np, synthkit
    >>> m = synthkit.declare({"x": {"distribution": "normal"}}, strategy="montecarlo")
    >>> block(m, 3, np.random.SeedSequence(0), rows=4).shape
    (4, 1)
    """
    return values_to_frame(model, block_values(model, b, root, rows, conditions=conditions, state=state))


def sample_block(model, b: Any, root: np.random.SeedSequence, n: int | None = None, *,
                 conditions: dict | None = None) -> pd.DataFrame:
    """Block ``b`` of the sample of ``n`` rows under ``root`` as a typed frame.

    Without rules these are rows ``[b * BLOCK_ROWS, (b + 1) * BLOCK_ROWS)`` of the
    sample (its whole-sample state, such as Cholesky's exact whitening, included);
    with rules, the accepted rows of the block's ``BLOCK_ROWS`` draws.
    """
    if isinstance(b, bool) or not isinstance(b, (int, np.integer)) or b < 0:
        raise SpecError(f"`b` must be a non-negative block index, got {b!r}")
    b = int(b)
    n = BLOCK_ROWS * (b + 1) if n is None else check_n(n)
    rows = BLOCK_ROWS if model.rules else min(BLOCK_ROWS, n - b * BLOCK_ROWS)
    if rows <= 0:
        raise SpecError(f"`b` must be a block index in [0, {-(-n // BLOCK_ROWS)}) for n={n}, got {b}")
    _check_conditions(model, conditions)
    state = None if model.rules else model._sampler()._prepare_sample(n, root, 1)
    return block(model, b, root, rows, conditions=conditions, state=state)


def _check_conditions(model, conditions: dict | None) -> None:
    if not conditions:
        return
    check_not_generated(model, conditions, "`conditions`")
    if not model.supports_conditions:
        raise SpecError(f"the {model.name!r} strategy does not support `conditions`; "
                        "use strategy='gaussian_copula'")
    unknown = sorted(set(conditions) - set(model.schema_.names))
    if unknown:
        raise SpecError(f"`conditions` name unknown column(s) {unknown}")
    if model._sampler() is not model:
        raise SpecError("`conditions` are not supported by stratified models; fit with stratify=None")


def _iter_values(model, n: int, root, conditions, workers: int) -> Iterator[list[np.ndarray]]:
    """The sample's blocks in order (value arrays), ``n`` rows in all."""
    _check_conditions(model, conditions)
    rules = parse_rules(model.rules, model.schema_.names)
    state = None if rules else model._sampler()._prepare_sample(n, root, workers)

    def draw(br: tuple[int, int]) -> list[np.ndarray]:
        return block_values(model, br[0], root, br[1], conditions=conditions, state=state)

    if not rules:
        sizes = [(b, min(BLOCK_ROWS, n - s)) for b, s in enumerate(range(0, n, BLOCK_ROWS))]
        if workers == 1:
            yield from map(draw, sizes)
        else:
            with ThreadPoolExecutor(workers) as pool:
                yield from pool.map(draw, sizes)
        return
    # rejection sampling: full blocks in order, filtered, until n rows are accepted
    accepted = drawn = b = 0
    pool = ThreadPoolExecutor(workers) if workers > 1 else None
    try:
        while accepted < n:
            batch = [(b + k, BLOCK_ROWS) for k in range(workers)]
            b += workers
            for values in (pool.map(draw, batch) if pool else map(draw, batch)):
                drawn += BLOCK_ROWS
                kept = len(values[0]) if values else 0
                if accepted + kept == 0 or (accepted + kept) / drawn < MIN_ACCEPTANCE:
                    raise RuleError(
                        f"the rules {[r.text for r in rules]} accept {accepted + kept} of {drawn} "
                        "sampled rows; no usable sample satisfies them: check the rules against "
                        "the columns' ranges")
                take = min(kept, n - accepted)
                accepted += take
                yield values if take == kept else [v[:take] for v in values]
                if accepted == n:
                    break
    finally:
        if pool is not None:
            pool.shutdown()


def sample_frame(model, n: int, root: np.random.SeedSequence, *, conditions: dict | None = None,
                 progress: bool | None = None, workers: int = 1) -> pd.DataFrame:
    """The whole sample of ``n`` rows as one typed frame (internal names).

    Without rules the blocks' values are written into preallocated columns (no
    per-block frames, no concatenation copy).
    """
    workers = check_workers(workers)
    d = n_output_columns(model)
    check_rows_memory(n, d)
    outs: list[np.ndarray] | None = None
    parts: list[list[np.ndarray]] = []
    start = 0
    bar = progress_bar(n, progress)
    try:
        for values in _iter_values(model, n, root, conditions, workers):
            rows = len(values[0]) if values else 0
            if model.rules:
                parts.append(values)
            else:
                if outs is None:
                    outs = [np.empty(n, dtype=v.dtype) for v in values]
                for j, v in enumerate(values):
                    outs[j][start:start + rows] = v
            start += rows
            bar.update(rows)
    finally:
        bar.close()
    if outs is None:
        outs = [np.concatenate([p[j] for p in parts]) for j in range(d)]
    return values_to_frame(model, outs)


def iter_chunks(model, n: int, root: np.random.SeedSequence, chunk_rows: int, *,
                conditions: dict | None = None, progress: bool | None = None,
                workers: int = 1) -> Iterator[pd.DataFrame]:
    """The sample as consecutive typed frames of ``chunk_rows`` rows (internal names)."""
    workers = check_workers(workers)
    d = n_output_columns(model)
    check_rows_memory(min(n, chunk_rows), d)
    bar = progress_bar(n, progress)
    buffer: list[list[np.ndarray]] = []
    buffered = 0
    try:
        for values in _iter_values(model, n, root, conditions, workers):
            rows = len(values[0]) if values else 0
            bar.update(rows)
            buffer.append(values)
            buffered += rows
            while buffered >= chunk_rows:
                joined = [np.concatenate([p[j] for p in buffer]) if len(buffer) > 1 else buffer[0][j]
                          for j in range(d)]
                yield values_to_frame(model, [v[:chunk_rows] for v in joined])
                buffer = [[v[chunk_rows:] for v in joined]]
                buffered -= chunk_rows
        if buffered:
            yield values_to_frame(model, [np.concatenate([p[j] for p in buffer]) for j in range(d)])
    finally:
        bar.close()
