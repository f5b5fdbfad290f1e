"""Partitioned samples: a fitted model's sample as runs of whole blocks, one per Dask partition.

A sample of ``n`` rows is ``ceil(n / BLOCK_ROWS)`` blocks (:mod:`synthkit.strategies._engine`);
a partition is a run of consecutive whole blocks ``[start, stop)`` (a block is never split, so
every partition boundary is a multiple of :data:`~synthkit.seeding.BLOCK_ROWS`). What the blocks
share (the pilot round of a model with rules, Cholesky's exact whitening) is settled once by
:func:`~synthkit.strategies._engine.prepare_sample` into a small picklable
:class:`~synthkit.strategies._engine.SamplePlan`; each partition is then
:func:`~synthkit.strategies._engine.blocks_frame` of its blocks, cast to the one dtype per column
of :func:`~synthkit.strategies._engine.output_meta`. The concatenated partitions are therefore
``model.sample(n, seed).frame`` cast to ``output_meta(model)``, for any partitioning, scheduler or
machine.

Default partitions hold about :data:`PARTITION_BYTES` of float64 cells: ``48`` blocks
(3,145,728 rows) for a 10-column table, fewer for wider ones (at least one block, at most
:data:`MAX_PARTITION_BLOCKS`); a sample of fewer blocks is still cut into
:data:`MIN_PARTITIONS` parts (when it has that many blocks). At about a million rows per
second per core (drawn, hashed and written) a partition is a few seconds of work, so Dask's
per-task overhead (about a millisecond) is negligible and 10^10 rows make about 3,000 tasks, a
small graph; its frame is a few hundred MB at most while it is built and written (two or
three such frames per worker thread); and its Parquet file about 200 MB for 10 columns
(random floats hardly compress), within the 100 MB - 1 GB that Parquet readers handle well.

Models are sent to worker processes as their canonical JSON document (:class:`ModelRef`), not
pickled (fitted marginals hold closures); each worker process rebuilds a model once.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._counts import check_n
from ..errors import SpecError
from ..io import parse_json, to_jsonable
from ..seeding import BLOCK_ROWS, SeedLike, as_seed_sequence
from ..strategies._engine import SamplePlan, blocks_frame, cast_to_meta, output_meta, prepare_sample

__all__ = ["ModelRef", "PartitionLayout", "partition_layout", "sample_dask", "model_hash",
           "PARTITION_BYTES", "MAX_PARTITION_BLOCKS", "MIN_PARTITIONS", "MAX_ROWS", "MAX_PARTS",
           "partition_frame", "conditions_key"]

#: Target float64 size of a default partition (rows x columns x 8 bytes).
PARTITION_BYTES = 256 * 2**20
#: Most blocks in a default partition (4,194,304 rows).
MAX_PARTITION_BLOCKS = 64
#: Fewest default partitions (when the sample has that many blocks): work for a few workers.
MIN_PARTITIONS = 4
#: The most rows of a partitioned sample (2^50, about 10^15) and the most parts (10^6).
MAX_ROWS = 2**50
MAX_PARTS = 10**6


def _check_fitted(model: Any) -> None:
    check = getattr(model, "_check_fitted", None)
    if check is None or not hasattr(model, "to_dict"):
        raise SpecError(f"`model` must be a fitted synthkit model (a Strategy), got {type(model).__name__}")
    check()


def model_document(model: Any) -> str:
    """The model's canonical JSON document (``to_dict()``, sorted keys, no spaces)."""
    return json.dumps(to_jsonable(model.to_dict()), sort_keys=True, separators=(",", ":"), allow_nan=False)


def model_hash(model: Any) -> str:
    """The sha256 (hex) of the model's canonical JSON document.

    Examples
    --------
    >>> import synthkit
    >>> m = synthkit.declare({"x": {"distribution": "normal"}}, strategy="montecarlo")
    >>> len(model_hash(m))
    64
    """
    return hashlib.sha256(model_document(model).encode()).hexdigest()


_MODELS: dict[str, Any] = {}
_MODELS_LOCK = threading.Lock()


class ModelRef:
    """A model as sent to a Dask task: the live object in this process, its JSON document elsewhere.

    Pickling keeps the canonical document and its hash only; the receiving process rebuilds the
    model with ``Strategy.from_dict`` once per hash (a JSON round trip samples the same rows).
    """

    def __init__(self, model: Any) -> None:
        self._model = model
        self.document = model_document(model)
        self.hash = hashlib.sha256(self.document.encode()).hexdigest()

    def __dask_tokenize__(self) -> str:
        return self.hash

    def __getstate__(self) -> dict:
        return {"document": self.document, "hash": self.hash}

    def __setstate__(self, state: dict) -> None:
        self.document, self.hash, self._model = state["document"], state["hash"], None

    @property
    def model(self) -> Any:
        if self._model is None:
            with _MODELS_LOCK:
                model = _MODELS.get(self.hash)
                if model is None:
                    from ..strategies.base import Strategy

                    model = _MODELS[self.hash] = Strategy.from_dict(parse_json(self.document, "a model"))
            self._model = model
        return self._model


@dataclass(frozen=True)
class PartitionLayout:
    """The partitions of a sample: partition ``i`` holds blocks ``[bounds[i], bounds[i + 1])``,
    rows ``[bounds[i] BLOCK_ROWS, min(bounds[i + 1] BLOCK_ROWS, n))``."""

    n: int
    bounds: tuple[int, ...]

    @property
    def parts(self) -> int:
        return len(self.bounds) - 1

    def blocks(self, i: int) -> tuple[int, int]:
        """The block range ``(start, stop)`` of partition ``i``."""
        return self.bounds[i], self.bounds[i + 1]

    def rows(self, i: int) -> tuple[int, int]:
        """The row range ``(start, stop)`` of partition ``i``."""
        return self.bounds[i] * BLOCK_ROWS, min(self.bounds[i + 1] * BLOCK_ROWS, self.n)


def default_partition_blocks(n_columns: int) -> int:
    """Blocks per default partition: about :data:`PARTITION_BYTES` of float64 cells, in
    ``[1, MAX_PARTITION_BLOCKS]``."""
    per_block = BLOCK_ROWS * 8 * max(int(n_columns), 1)
    return int(min(MAX_PARTITION_BLOCKS, max(1, PARTITION_BYTES // per_block)))


def conditions_key(value: Any) -> Any:
    """``conditions`` in a type-preserving JSON form, for the hash of a sample's spec.

    :func:`~synthkit.io.to_jsonable` (a manifest's readable copy) writes a float NaN as the
    text ``"nan"``, so ``{"c": nan}`` (rows missing ``c``) and ``{"c": "nan"}`` (the label) would
    share a spec; here every leaf keeps its type and its ``repr``.

    Examples
    --------
    >>> conditions_key({"c": float("nan")}) == conditions_key({"c": "nan"})
    False
    >>> conditions_key({"x": np.float64(1.5)}) == conditions_key({"x": 1.5})
    True
    """
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: repr(kv[0]))
        return {"dict": [[conditions_key(k), conditions_key(v)] for k, v in items]}
    if isinstance(value, (list, tuple)):
        return {type(value).__name__: [conditions_key(v) for v in value]}
    if isinstance(value, np.ndarray):
        return {"array": [conditions_key(v) for v in value.tolist()]}
    if isinstance(value, np.generic):
        value = value.item()
    return {type(value).__name__: repr(value)}


def partition_layout(n: int, partitions: int | None = None, n_columns: int = 10) -> PartitionLayout:
    """Split the ``ceil(n / BLOCK_ROWS)`` blocks of a sample into ``partitions`` runs of whole blocks.

    ``partitions`` runs differ by at most one block (the first ones hold the extra block); it is
    capped at the number of blocks. Default: runs of at most :func:`default_partition_blocks`
    blocks, and at least :data:`MIN_PARTITIONS` runs when there are that many blocks (so that a
    small sample still keeps a few workers busy).

    Examples
    --------
    >>> partition_layout(300_000, 2).bounds
    (0, 3, 5)
    >>> partition_layout(10, 4).parts
    1
    """
    n = check_n(n)
    if n > MAX_ROWS:
        raise SpecError(f"a partitioned sample holds at most {MAX_ROWS:,} rows (2^50), got n={n:,}; "
                        "write several datasets with different seeds")
    blocks = -(-n // BLOCK_ROWS)
    if partitions is None:
        partitions = max(math.ceil(blocks / default_partition_blocks(n_columns)), min(blocks, MIN_PARTITIONS))
    elif isinstance(partitions, bool) or not isinstance(partitions, (int, np.integer)) or partitions < 1:
        raise SpecError(f"`partitions` must be a positive integer, got {partitions!r}")
    p = int(min(int(partitions), blocks))
    if p > MAX_PARTS:
        raise SpecError(f"a partitioned sample has at most {MAX_PARTS:,} parts, got {p:,}; "
                        "give fewer `partitions`")
    q, r = divmod(blocks, p)
    bounds = [0]
    for i in range(p):
        bounds.append(bounds[-1] + q + (1 if i < r else 0))
    return PartitionLayout(n, tuple(bounds))


def partition_frame(ref: ModelRef, plan: SamplePlan, start_block: int, stop_block: int) -> pd.DataFrame:
    """Blocks ``[start_block, stop_block)`` of ``plan``'s sample: public names, :func:`output_meta`
    dtypes, the index their rows' positions in the sample."""
    model = ref.model
    frame = cast_to_meta(blocks_frame(model, plan, start_block, stop_block), output_meta(model))
    start = start_block * BLOCK_ROWS
    frame.index = pd.RangeIndex(start, start + len(frame))
    return frame


class _Partition:
    """The ``from_map`` function: partition ``(start, stop)`` blocks of one plan."""

    def __init__(self, ref: ModelRef, plan: SamplePlan, token: str) -> None:
        self.ref, self.plan, self.token = ref, plan, token

    def __dask_tokenize__(self) -> str:  # the spec's hash: the model, seed, n and conditions
        return self.token

    def __call__(self, blocks: tuple[int, int]) -> pd.DataFrame:
        return partition_frame(self.ref, self.plan, blocks[0], blocks[1])


def sample_dask(model: Any, n: int, *, seed: SeedLike, partitions: int | None = None,
                conditions: dict | None = None) -> Any:
    """The sample of ``n`` rows drawn with ``seed`` as a lazy :class:`dask.dataframe.DataFrame`.

    Built with ``dask.dataframe.from_map`` and ``meta=output_meta(model)``: partition ``i`` is
    :func:`~synthkit.strategies._engine.blocks_frame` of a run of whole blocks
    (:func:`partition_layout`), so ``sample_dask(model, n, seed=s).compute()`` equals
    ``model.sample(n, seed=s).frame`` cast to ``output_meta(model)``, index included, for any
    ``partitions`` and any scheduler. Divisions are known (the partitions' first row
    positions). The pilot round of a model with rules and Cholesky's exact whitening are
    computed here, once, before the graph is built.

    Parameters
    ----------
    model : Strategy
        A fitted model.
    n : int
        Rows (> 0).
    seed : None, int, SeedSequence
        The sample's root seed (``None``: fresh entropy).
    partitions : int, optional
        Number of partitions (capped at the number of blocks); default: about
        :data:`PARTITION_BYTES` of cells each (module docstring).
    conditions : dict, optional
        Fixed values or ranges per column, as in ``model.sample``.

    Examples
    --------
    >>> import pytest, synthkit
    >>> _ = pytest.importorskip("dask.dataframe")
    >>> m = synthkit.declare({"x": {"distribution": "normal"}}, strategy="montecarlo")
    >>> ddf = sample_dask(m, 100_000, seed=1, partitions=2)
    >>> ddf.npartitions, ddf.divisions
    (2, (0, 65536, 99999))
    >>> ddf.compute().equals(m.sample(100_000, seed=1).frame)
    True
    """
    from ..schedulers import import_dask

    import_dask()
    import dask.dataframe as dd

    _check_fitted(model)
    n = check_n(n)
    meta = output_meta(model)
    layout = partition_layout(n, partitions, len(meta.columns))
    plan = prepare_sample(model, n, as_seed_sequence(seed), conditions)
    ref = ModelRef(model)
    token = hashlib.sha256(json.dumps([ref.hash, repr(plan.root.entropy), list(plan.root.spawn_key), n,
                                       conditions_key(conditions or None)]).encode()).hexdigest()
    divisions = tuple(layout.rows(i)[0] for i in range(layout.parts)) + (n - 1,)
    return dd.from_map(_Partition(ref, plan, token), [layout.blocks(i) for i in range(layout.parts)],
                       meta=meta, divisions=divisions, label="synthkit-sample", enforce_metadata=False)
