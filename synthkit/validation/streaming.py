"""Validation of a partitioned synthetic table from summaries filled in one pass.

A synthetic table too large for memory (a directory of Parquet parts, one Parquet file, a
Dask DataFrame) is read once, part by part and row batch by row batch; each batch updates
mergeable summaries whose bins come from the reference table, which is in memory and known
before the pass. Memory is O(reference size + bins), never O(synthetic rows). The summaries of
the parts merge exactly (counts and sums add; label codes of synthetic-only labels are
remapped, ordered by their first row), so a sequential loop and a Dask tree merge give the same
report. :func:`synthkit.validate` then builds the same :class:`ValidationReport` as for an
in-memory frame from them:

Per numeric column (fixed edges ``e``: the reference's distinct values, its quantiles at
``2^14`` equally spaced levels, ``2^14`` equally spaced values over its range and geometric
steps beyond it)
    counts, sums of ``x - e_left`` and of its square and counts of ``x == e`` per bin, plus
    exact :class:`~synthkit.validation.summaries.Moments`.

    * **KS: exact.** ``F_r`` jumps only at the reference's values, which are edges; between
      two of them ``F_r`` is constant and ``F_s`` is monotone, so
      ``sup |F_r - F_s|`` is attained at an edge or just below the next one, and both
      ``F_s(e)`` and ``F_s(e^-)`` are counts.
    * **Wasserstein-1: exact except in bins where ``F_s`` crosses ``F_r``.** On a bin
      ``[e_i, e_{i+1})``, ``F_r`` is constant and ``int F_s`` is exact from the bin's count
      and offset sum; where ``F_r`` lies between ``F_s`` at the two ends the integral of
      ``|F_r - F_s|`` is taken for ``F_s`` linear in the bin, an error at most
      ``width * count / m`` per such bin; the sum of those bounds (divided by the scale) is
      reported in ``meta["streaming"]["wasserstein_error_bound"]``.
    * **Quantiles**: the order statistics numpy interpolates between are exact on an edge
      (a tie with a reference value) or when their bin holds one value or one repeated
      value (the bin's mean and sd from the offset sums); otherwise the bin's values are
      spread evenly over mean +- sqrt(3) sd. The error is below the bin's width (the largest,
      over the scale, is ``quantile_error_bound``, a worst case; measured errors are far
      smaller).
    * **Range violations, means, sd, null rates, integer levels: exact.**
Pairs
    Pearson from :class:`~synthkit.validation.summaries.PairwiseMoments` (exact); Spearman
    as Pearson of the mid-ranks of a two-way histogram on at most :data:`RANK_BINS` bins per
    column at the reference's quantiles (the reference's levels for a column with few of
    them: exact). The grouping error is O(1/bins^2) while the synthetic values spread over
    the bins like the reference's; when a large share of them falls in one bin (outside the
    reference's range, a sample failing its marginal checks) it grows (5e-3 measured with a
    fifth of a column below the reference's minimum). Label pairs: contingency counts,
    label-numeric: group moments (exact).
Subsampled sections
    Kendall's tau, the distance checks, utility, PCA and the attacks read the rows of
    :func:`synthkit.validation.rowplan.synth_rows`, computed up front and gathered during
    the pass: identical to the in-memory report. Exact copies and identifier leaks are
    counted over every row. The rules section runs on the rows gathered for it (its check
    details say so).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from ..parquet_dataset import check_part, has_footer_entry, read_manifest
from .dependence import SynthDependence, group_shift
from .marginals import SynthMarginal
from .prepare import FAMILY, ColumnPair, PreparedTables, _codes, _family, _label_key, _numeric_array
from .summaries import Counts, GroupMoments, Moments, PairwiseMoments

__all__ = ["PartitionedTable", "open_partitioned", "is_partitioned", "SummaryPlan", "SynthSummary",
           "summarise", "BATCH_ROWS", "GRID_POINTS", "RANK_BINS"]

#: Rows per batch read from a Parquet part.
BATCH_ROWS = 262_144
#: Quantile levels of the reference per numeric column in the fine edges.
GRID_POINTS = 2**14
#: Bins per column of the Spearman two-way histograms.
RANK_BINS = 256
#: Bins per numeric column of the label-numeric histograms (Column Pair Trends).
TREND_POINTS = 2**12
#: Distinct synthetic values kept apart from the edges (integer levels; few-level plots).
MAX_EXTRA_LEVELS = 10_000
#: Names of files a writer leaves while a dataset is incomplete.
_PARTIAL = (".tmp", ".partial", ".inprogress", ".crc")


# ------------------------------------------------------------------ sources
def is_partitioned(obj: Any) -> bool:
    """True for a Parquet path (file or directory) or a Dask DataFrame.

    Examples
    --------
    >>> is_partitioned(pd.DataFrame({"x": [1]})), is_partitioned("out/parts/")
    (False, True)
    """
    if isinstance(obj, (str, Path)):
        p = Path(obj)
        return p.is_dir() or p.suffix.lower() in (".parquet", ".pq") or str(obj).endswith("/")
    return type(obj).__module__.startswith("dask") and hasattr(obj, "npartitions")


def _parquet_parts(path: Path) -> tuple[list[Path], dict | None]:
    """The Parquet parts of ``path`` in order, and the manifest of a synthkit dataset (else None)."""
    if path.is_file():
        return [path], None
    if not path.is_dir():
        raise DataError(f"the synthetic dataset {str(path)!r} does not exist; give a Parquet file or "
                        "a directory of Parquet parts")
    partial = sorted(p.name for p in path.iterdir()
                     if p.name.endswith(_PARTIAL) or p.name.startswith(("_temporary", ".tmp"))
                     or ".tmp" in p.name)
    if partial:
        raise DataError(f"the synthetic dataset {str(path)!r} holds temporary or partial files "
                        f"{partial[:5]}: a writer is still running or failed; wait for it or "
                        "write the dataset again")
    parts = sorted((p for p in path.glob("*.parquet") if not p.name.startswith(("_", "."))),
                   key=lambda p: (len(p.name), p.name))  # part-99999 before part-100000
    if not parts:
        raise DataError(f"the directory {str(path)!r} holds no `*.parquet` part files")
    if (path / "_manifest.json").exists() or (path / "_SUCCESS").exists():  # a synthkit dataset
        doc = read_manifest(path)
        if doc is None:
            raise DataError(f"the synthetic dataset {str(path)!r} has a manifest but no `_SUCCESS` "
                            "marker: it is incomplete (an interrupted run?); finish it (sample_to_parquet "
                            "with the same arguments) before validating")
        order = [str(p["name"]) for p in doc["parts"]]
        listed = sorted(order)
        have = sorted(p.name for p in parts)
        if listed != have:
            missing = sorted(set(listed) - set(have))
            extra = sorted(set(have) - set(listed))
            raise DataError(f"the manifest of {str(path)!r} does not match its parts (missing "
                            f"{missing[:5]}, not listed {extra[:5]}): an incomplete dataset; write it "
                            "again")
        for entry in doc["parts"]:
            check_part(path / entry["name"], entry)
        return [path / name for name in order], doc  # the manifest's order
    ours = [p.name for p in parts if has_footer_entry(p)]
    if ours:
        raise DataError(f"the synthetic dataset {str(path)!r} holds parts written by synthkit "
                        f"({ours[:3]}) but no `_SUCCESS` marker: it is incomplete (an interrupted run?); "
                        "finish it (sample_to_parquet with the same arguments) before validating")
    return parts, None


class PartitionedTable:
    """A synthetic table read part by part: a Parquet file, a directory of parts, a Dask frame.

    ``parts`` are read in order (Parquet parts sorted by name); ``rows[i]`` and ``offsets[i]``
    are each part's row count and first global row. Parquet row counts come from the file
    footers; a Dask frame's from one pass of ``len`` per partition.
    """

    def __init__(self, source: Any, batch_rows: int = BATCH_ROWS) -> None:
        self.batch_rows = int(batch_rows)
        self.dask = None
        self.provenance: dict = {}  # a synthkit dataset's manifest: the levels its model merged
        if isinstance(source, (str, Path)):
            import pyarrow.parquet as pq

            self.paths, doc = _parquet_parts(Path(source))
            if doc is not None and "merged_levels" in doc:  # a synthkit dataset's provenance
                self.provenance = {"merged_levels": doc["merged_levels"]}
            rows = []
            schemas = []
            for p in self.paths:
                try:
                    md = pq.ParquetFile(p).metadata
                except Exception as exc:  # pyarrow raises several types for a broken footer
                    raise DataError(f"cannot read the Parquet part {str(p)!r}: {exc}") from None
                rows.append(md.num_rows)
                schemas.append(md.schema.to_arrow_schema().names)
            if any(s != schemas[0] for s in schemas):
                raise DataError(f"the parts of {str(source)!r} have different columns; "
                                "every part must have the same schema")
            self.rows = rows
            self.description = f"{str(source)!r}"
        else:
            self.dask = source
            self.paths = []
            self.rows = [int(x) for x in source.map_partitions(len).compute()]
            self.description = f"a Dask DataFrame of {source.npartitions} partitions"
        self.offsets = list(np.concatenate([[0], np.cumsum(self.rows)[:-1]]).astype(int))
        self.n_rows = int(sum(self.rows))
        if self.n_rows == 0:
            raise DataError(f"the synthetic table {self.description} has no rows")

    @property
    def n_parts(self) -> int:
        return len(self.rows)

    def head(self, k: int = 1000) -> pd.DataFrame:
        """The first rows (at most ``k``) of the first non-empty part."""
        for i in range(self.n_parts):
            if self.rows[i]:
                return next(self.batches(i, k))[1].head(k)
        return pd.DataFrame()

    def batches(self, i: int, batch_rows: int | None = None) -> Iterator[tuple[int, pd.DataFrame]]:
        """``(first global row, frame)`` of each row batch of part ``i``."""
        return part_batches(self.part(i), self.offsets[i], batch_rows or self.batch_rows)

    def part(self, i: int) -> Any:
        """What a worker needs to read part ``i``: its path, or the Dask partition (lazy)."""
        return self.paths[i] if self.dask is None else self.dask.get_partition(i)


def part_batches(part: Any, offset: int, batch_rows: int) -> Iterator[tuple[int, pd.DataFrame]]:
    """``(first global row, frame)`` of each batch of one part (a Parquet path or a frame)."""
    if isinstance(part, (str, Path)):
        import pyarrow.parquet as pq

        start = offset
        for batch in pq.ParquetFile(part).iter_batches(batch_size=batch_rows):
            frame = batch.to_pandas()
            yield start, frame
            start += len(frame)
        return
    frame = part if isinstance(part, pd.DataFrame) else part.compute()
    frame = frame.reset_index(drop=True)
    for s in range(0, len(frame), batch_rows):
        yield offset + s, frame.iloc[s:s + batch_rows]


def open_partitioned(source: Any, batch_rows: int = BATCH_ROWS) -> PartitionedTable:
    """A :class:`PartitionedTable` of ``source`` (checks the directory; see :func:`is_partitioned`)."""
    return PartitionedTable(source, batch_rows)


# ------------------------------------------------------------------ the plan (from the reference)
def fine_edges(a: np.ndarray, points: int = GRID_POINTS) -> np.ndarray:
    """Edges of a numeric column: the reference's distinct values, its quantiles at ``points``
    levels, ``points`` equally spaced values over its range and geometric steps
    (``range * 2^k``, ``k = -10..40``) beyond it.

    Examples
    --------
    >>> e = fine_edges(np.array([0.0, 1.0, 3.0]), points=5)
    >>> bool(np.all(np.diff(e) > 0)), {0.0, 1.0, 3.0} <= set(e.tolist())
    (True, True)
    """
    u = np.unique(a)
    q = np.quantile(a, np.linspace(0, 1, points)) if a.size else np.zeros(0)
    span = float(u[-1] - u[0]) if u.size else 1.0
    if not span > 0:
        span = max(abs(float(u[0])), 1.0) if u.size else 1.0
    steps = span * 2.0 ** np.arange(-10, 41, 1 / 256)  # a bin is 0.3% of its distance from the range
    lo, hi = (float(u[0]), float(u[-1])) if u.size else (0.0, 0.0)
    flat = np.linspace(lo, hi, points) if hi > lo else np.zeros(0)
    e = np.unique(np.concatenate([u, q, flat, lo - steps, hi + steps]))
    return e[np.isfinite(e)]


def _subset_lut(edges: np.ndarray, sub: np.ndarray) -> np.ndarray:
    """Bin of ``sub`` (``searchsorted(sub, x, 'right')``) for each bin of ``edges`` (``sub`` ⊂ ``edges``)."""
    lut = np.empty(edges.size + 1, dtype=np.int64)
    lut[0] = 0
    lut[1:] = np.searchsorted(sub, edges, side="right")
    return lut


@dataclass
class SummaryPlan:
    """What the one pass needs, fixed by the reference before it starts (picklable).

    Built by :meth:`from_tables` from the prepared reference columns; ``gather`` are the
    sorted global rows to keep (:mod:`synthkit.validation.rowplan`).
    """

    numeric: list[tuple[str, str]]          # (name, kind)
    labels: list[tuple[str, dict]]           # (name, reference label -> code)
    edges: list[np.ndarray]
    real_values: list[np.ndarray]            # distinct reference values per numeric column
    rank_edges: list[np.ndarray]
    rank_lut: list[np.ndarray]
    trend_edges: list[np.ndarray]
    trend_lut: list[np.ndarray]
    centre: np.ndarray                       # fixed centre per numeric column: co-moment and group sums
    real_hashes: np.ndarray
    gather: np.ndarray
    columns: list[str] = field(default_factory=list)    # the tables' column order (row hashes)
    sensitive: dict = field(default_factory=dict)  # name -> reference values (a Series)
    keep_columns: list[str] = field(default_factory=list)

    @classmethod
    def from_tables(cls, tables: PreparedTables, gather: np.ndarray, sensitive: dict | None = None,
                    keep_columns: list[str] | None = None) -> SummaryPlan:
        from .privacy import row_hashes

        num, lab = tables.numeric(), tables.labels()
        edges, rv, rank_e, rank_l, trend_e, trend_l = [], [], [], [], [], []
        for c in num:
            a = np.sort(c.real_valid())
            u = np.unique(a)
            fe = fine_edges(a)
            if u.size <= RANK_BINS and c.kind == "integer":  # the levels themselves
                ranks = u[1:]
            elif u.size:  # edges at evenly spaced positions of the fine grid inside the range
                inside = fe[(fe > u[0]) & (fe <= u[-1])]
                pick = np.unique(np.linspace(0, inside.size - 1, RANK_BINS).round().astype(np.int64))
                ranks = inside[pick] if inside.size else np.zeros(0)
            else:
                ranks = np.zeros(0)
            outer = fe[(fe < (u[0] if u.size else 0)) | (fe > (u[-1] if u.size else 0))][::256]
            ranks = np.unique(np.concatenate([ranks, outer]))  # values far outside keep their order
            trend = np.unique(np.quantile(a, np.linspace(0, 1, TREND_POINTS))) if a.size else np.zeros(0)
            e = np.unique(np.concatenate([fe, ranks, trend]))
            edges.append(e)
            rv.append(u)
            rank_e.append(ranks)
            rank_l.append(_subset_lut(e, ranks))
            ext = e[(e < (u[0] if u.size else 0)) | (e > (u[-1] if u.size else 0))]
            t = np.unique(np.concatenate([trend, ext]))
            trend_e.append(t)
            trend_l.append(_subset_lut(e, t))
        hr = np.unique(row_hashes([c.real for c in tables.columns]))
        return cls(
            numeric=[(c.name, c.kind) for c in num],
            labels=[(c.name, {_label_key(k): i for i, k in enumerate(c.categories[:c.n_real_categories])})
                    for c in lab],
            edges=edges, real_values=rv, rank_edges=rank_e, rank_lut=rank_l, trend_edges=trend_e,
            trend_lut=trend_l, centre=np.array([group_shift(c) for c in num], dtype=float),
            real_hashes=hr, gather=np.asarray(gather, dtype=np.int64), columns=list(tables.names),
            sensitive=dict(sensitive or {}),
            keep_columns=list(keep_columns or []),
        )


# ------------------------------------------------------------------ the summaries
@dataclass
class _NumState:
    count: np.ndarray     # (E + 1,) values in [e_{j-1}, e_j)
    offset: np.ndarray    # (E + 1,) sum of x - e_{j-1} (x - e_0 below the first edge)
    offset2: np.ndarray   # (E + 1,) sum of its squares
    equal: np.ndarray     # (E,) values equal to e_j
    moments: Moments
    extra: dict | None    # distinct values that are no edge -> count (None: too many)
    rank: np.ndarray      # (R + 1,) values per rank bin

    @classmethod
    def empty(cls, e: np.ndarray, r: int) -> _NumState:
        return cls(np.zeros(e.size + 1, np.int64), np.zeros(e.size + 1), np.zeros(e.size + 1),
                   np.zeros(e.size, np.int64), Moments(), {}, np.zeros(r + 1, np.int64))

    def merge(self, o: _NumState) -> _NumState:
        extra = None
        if self.extra is not None and o.extra is not None:
            extra = dict(self.extra)
            for k, v in o.extra.items():
                extra[k] = extra.get(k, 0) + v
            if len(extra) > MAX_EXTRA_LEVELS:
                extra = None
        return _NumState(self.count + o.count, self.offset + o.offset, self.offset2 + o.offset2,
                         self.equal + o.equal,
                         self.moments.merge(o.moments), extra, self.rank + o.rank)


@dataclass
class _LabelState:
    index: dict                       # label -> code: the reference's, then the new ones
    k_real: int
    first: list                       # first global row of each new label
    nulls: int = 0

    @property
    def size(self) -> int:
        return len(self.index)


def _grow(x: np.ndarray, axis: int, size: int) -> np.ndarray:
    if x.shape[axis] >= size:
        return x
    pad = [(0, 0)] * x.ndim
    pad[axis] = (0, size - x.shape[axis])
    return np.pad(x, pad)


def _remap(x: np.ndarray, axis: int, mapping: np.ndarray, size: int) -> np.ndarray:
    """``x`` with index ``i`` of ``axis`` moved to ``mapping[i]`` (``size`` entries)."""
    shape = list(x.shape)
    shape[axis] = size
    out = np.zeros(shape, dtype=x.dtype)
    src = np.moveaxis(x, axis, 0)
    dst = np.moveaxis(out, axis, 0)
    dst[mapping] += src
    return out


class SynthSummary:
    """The mergeable summaries of synthetic rows (see the module docstring).

    ``update(frame, offset)`` adds a batch whose first row is global row ``offset``;
    ``merge(other)`` adds the summary of other rows (any order: label codes are remapped).
    """

    def __init__(self, plan: SummaryPlan) -> None:
        self.plan = plan
        self.rows = 0
        d = len(plan.numeric)
        self.num = [_NumState.empty(e, r.size) for e, r in zip(plan.edges, plan.rank_edges, strict=True)]
        self.pm = PairwiseMoments(plan.centre)
        self.rank2 = {(i, j): np.zeros((plan.rank_edges[i].size + 1, plan.rank_edges[j].size + 1), np.int64)
                      for i in range(d) for j in range(i + 1, d)}
        self.lab = [_LabelState(dict(idx), len(idx), []) for _, idx in plan.labels]
        self.counts = [np.zeros(s.size, np.int64) for s in self.lab]
        k = len(self.lab)
        self.cont = {(i, j): np.zeros((self.lab[i].size + 1, self.lab[j].size + 1), np.int64)
                     for i in range(k) for j in range(i + 1, k)}
        self.groups = {(i, j): np.zeros((3, self.lab[i].size)) for i in range(k) for j in range(d)}
        self.trend = {(i, j): np.zeros((self.lab[i].size + 1, plan.trend_edges[j].size + 2), np.int64)
                      for i in range(k) for j in range(d)}
        self.copies = 0
        self.leaks = {name: 0 for name in plan.sensitive}
        self.gathered: list[pd.DataFrame] = []

    # -- one batch
    def update(self, frame: pd.DataFrame, offset: int) -> SynthSummary:
        plan = self.plan
        frame = frame.rename(columns=str) if not all(isinstance(c, str) for c in frame.columns) else frame
        n = len(frame)
        if n == 0:
            return self
        missing = [nm for nm, _ in plan.numeric + plan.labels if nm not in frame.columns]
        if missing:
            raise DataError(f"a part of the synthetic table lacks column(s) {missing}")
        for name, kind in plan.numeric + [(nm, "categorical") for nm, _ in plan.labels]:
            s = frame[name]
            if _family(s) != FAMILY[kind] and not s.isna().all():  # as prepare_tables checks in memory
                raise DataError(f"column {name!r} is {FAMILY[kind]} in the reference but {_family(s)} in the "
                                f"part of the synthetic table at row {offset:,} (dtype {s.dtype}); write "
                                "every part with the reference's types")
        xs, idx = [], []
        for j, (name, kind) in enumerate(plan.numeric):
            x = _numeric_array(frame[name], kind, name, "synthetic")
            if np.isinf(x).any():
                raise DataError(f"the synthetic table has infinite values in column {name!r}; replace "
                                "them with NaN")
            xs.append(x)
            idx.append(self._update_numeric(j, x))
        codes = []
        for i, (name, _) in enumerate(plan.labels):
            st = self.lab[i]
            before = st.size
            c = _codes(frame[name], st.index)
            if st.size > before:  # new labels: their first rows, then room in every array
                new = np.arange(before, st.size)
                first = np.array([np.argmax(c == k) for k in new]) + offset
                st.first.extend(int(f) for f in first)
                self._grow_label(i)
            st.nulls += int((c < 0).sum())
            self.counts[i] += np.bincount(c[c >= 0], minlength=st.size)
            codes.append(c)
        if xs:
            x = np.column_stack(xs)
            self.pm.update(x)
            for (i, j), h in self.rank2.items():
                ok = (idx[i] >= 0) & (idx[j] >= 0)
                ri = plan.rank_lut[i][idx[i][ok]]
                rj = plan.rank_lut[j][idx[j][ok]]
                h += np.bincount(ri * h.shape[1] + rj, minlength=h.size).reshape(h.shape)
        for (i, j), t in self.cont.items():
            cell = (codes[i] + 1) * t.shape[1] + (codes[j] + 1)
            t += np.bincount(cell, minlength=t.size).reshape(t.shape)
        for (i, j), g in self.groups.items():
            ok = (codes[i] >= 0) & ~np.isnan(xs[j])
            c, v = codes[i][ok], xs[j][ok] - plan.centre[j]
            size = g.shape[1]
            g[0] += np.bincount(c, minlength=size)
            g[1] += np.bincount(c, weights=v, minlength=size)
            g[2] += np.bincount(c, weights=v * v, minlength=size)
        for (i, j), t in self.trend.items():
            tb = np.where(idx[j] >= 0, plan.trend_lut[j][np.maximum(idx[j], 0)], t.shape[1] - 1)
            cell = (codes[i] + 1) * t.shape[1] + tb
            t += np.bincount(cell, minlength=t.size).reshape(t.shape)
        if plan.real_hashes.size:
            from .privacy import row_hashes

            arrays = {nm: xs[j] for j, (nm, _) in enumerate(plan.numeric)}
            arrays.update({nm: codes[i] for i, (nm, _) in enumerate(plan.labels)})
            hs = row_hashes([arrays[nm] for nm in plan.columns])
            self.copies += int(np.isin(hs, plan.real_hashes).sum())
        if plan.sensitive:
            from ..privacy import real_values_emitted

            for name, known in plan.sensitive.items():
                if name in frame.columns:
                    self.leaks[name] += real_values_emitted(known, frame[name].reset_index(drop=True))
        g = plan.gather
        lo, hi = np.searchsorted(g, [offset, offset + n])
        if hi > lo:
            keep = plan.keep_columns or list(frame.columns)
            rows = frame[keep].iloc[g[lo:hi] - offset]
            self.gathered.append(rows.set_axis(pd.RangeIndex(0, hi - lo) + int(lo), axis=0))
        self.rows += n
        return self

    def _update_numeric(self, j: int, x: np.ndarray) -> np.ndarray:
        st, e = self.num[j], self.plan.edges[j]
        st.moments.update(x)
        ok = ~np.isnan(x)
        v = x[ok]
        b = np.searchsorted(e, v, side="right")
        left = e[np.maximum(b - 1, 0)]
        st.count += np.bincount(b, minlength=e.size + 1)
        d = v - left
        st.offset += np.bincount(b, weights=d, minlength=e.size + 1)
        st.offset2 += np.bincount(b, weights=d * d, minlength=e.size + 1)
        eq = (b > 0) & (left == v)
        st.equal += np.bincount(b[eq] - 1, minlength=e.size)
        if st.extra is not None and (~eq).any():
            vals, cnt = np.unique(v[~eq], return_counts=True)
            if len(st.extra) + vals.size > MAX_EXTRA_LEVELS:
                st.extra = None
            else:
                for val, c in zip(vals.tolist(), cnt.tolist(), strict=True):
                    st.extra[val] = st.extra.get(val, 0) + c
        st.rank += np.bincount(self.plan.rank_lut[j][b], minlength=st.rank.size)
        out = np.full(x.shape, -1, dtype=np.int64)
        out[ok] = b
        return out

    def _grow_label(self, i: int) -> None:
        size = self.lab[i].size
        self.counts[i] = _grow(self.counts[i], 0, size)
        for key in self.cont:
            if key[0] == i:
                self.cont[key] = _grow(self.cont[key], 0, size + 1)
            if key[1] == i:
                self.cont[key] = _grow(self.cont[key], 1, size + 1)
        for key in self.groups:
            if key[0] == i:
                self.groups[key] = _grow(self.groups[key], 1, size)
        for key in self.trend:
            if key[0] == i:
                self.trend[key] = _grow(self.trend[key], 0, size + 1)

    # -- merging
    def merge(self, other: SynthSummary) -> SynthSummary:
        """Add the summary of other rows (this summary is updated and returned)."""
        self.rows += other.rows
        self.num = [a.merge(b) for a, b in zip(self.num, other.num, strict=True)]
        self.pm = self.pm.merge(other.pm)
        for key in self.rank2:
            self.rank2[key] = self.rank2[key] + other.rank2[key]
        maps = []
        for i, (st, so) in enumerate(zip(self.lab, other.lab, strict=True)):
            inv = {c: lbl for lbl, c in so.index.items()}
            mapping = np.empty(so.size, dtype=np.int64)
            for c in range(so.size):
                lbl = inv[c]
                if lbl not in st.index:
                    st.index[lbl] = st.size
                    st.first.append(so.first[c - so.k_real])
                elif c >= so.k_real and st.index[lbl] >= st.k_real:
                    pos = st.index[lbl] - st.k_real
                    st.first[pos] = min(st.first[pos], so.first[c - so.k_real])
                mapping[c] = st.index[lbl]
            st.nulls += so.nulls
            self._grow_label(i)
            maps.append(mapping)
            self.counts[i] = self.counts[i] + _remap(other.counts[i], 0, mapping, st.size)
        for (i, j), t in self.cont.items():
            o = _remap(other.cont[(i, j)], 0, np.r_[0, maps[i] + 1], self.lab[i].size + 1)
            self.cont[(i, j)] = t + _remap(o, 1, np.r_[0, maps[j] + 1], self.lab[j].size + 1)
        for (i, j), g in self.groups.items():
            self.groups[(i, j)] = g + _remap(other.groups[(i, j)], 1, maps[i], self.lab[i].size)
        for (i, j), t in self.trend.items():
            self.trend[(i, j)] = t + _remap(other.trend[(i, j)], 0, np.r_[0, maps[i] + 1],
                                            self.lab[i].size + 1)
        self.copies += other.copies
        for k in self.leaks:
            self.leaks[k] += other.leaks[k]
        self.gathered.extend(other.gathered)
        return self

    def finish(self) -> SynthSummary:
        """Order the synthetic-only labels by their first row (as an in-memory preparation does)
        and the gathered rows by their global row."""
        for i, st in enumerate(self.lab):
            new = st.size - st.k_real
            if new:
                order = np.argsort(np.asarray(st.first), kind="stable")
                mapping = np.arange(st.size)
                mapping[st.k_real + order] = st.k_real + np.arange(new)
                inv = {c: lbl for lbl, c in st.index.items()}
                st.index = {inv[c]: int(mapping[c]) for c in range(st.size)}
                st.index = dict(sorted(st.index.items(), key=lambda kv: kv[1]))
                st.first = [st.first[k] for k in order]
                self.counts[i] = _remap(self.counts[i], 0, mapping, st.size)
                m1 = np.r_[0, mapping + 1]
                for key in self.cont:
                    if key[0] == i:
                        self.cont[key] = _remap(self.cont[key], 0, m1, st.size + 1)
                    if key[1] == i:
                        self.cont[key] = _remap(self.cont[key], 1, m1, st.size + 1)
                for key in self.groups:
                    if key[0] == i:
                        self.groups[key] = _remap(self.groups[key], 1, mapping, st.size)
                for key in self.trend:
                    if key[0] == i:
                        self.trend[key] = _remap(self.trend[key], 0, m1, st.size + 1)
        if self.gathered:  # indexed by position in the plan's sorted rows
            self.gathered = [pd.concat(self.gathered).sort_index().reset_index(drop=True)]
        return self

    # -- results
    def categories(self, i: int) -> list:
        return list(self.lab[i].index)

    def label_counts(self, i: int) -> Counts:
        st = self.lab[i]
        return Counts(st.size, self.counts[i].copy(), st.nulls)

    def gathered_frame(self) -> pd.DataFrame:
        return self.gathered[0] if self.gathered else pd.DataFrame()


def summarise_part(plan: SummaryPlan, part: Any, offset: int, batch_rows: int = BATCH_ROWS) -> SynthSummary:
    """The :class:`SynthSummary` of one part (a Parquet path or a frame) starting at global row ``offset``."""
    s = SynthSummary(plan)
    for start, frame in part_batches(part, offset, batch_rows):
        s.update(frame, start)
    return s


def _merge(a: SynthSummary, b: SynthSummary) -> SynthSummary:
    return a.merge(b)


def _summarise_dask(source: PartitionedTable, plan: SummaryPlan, scheduler: Any) -> SynthSummary:
    """Summaries of every part computed on ``scheduler`` (:func:`synthkit.schedulers.resolve_runner`:
    ``"threads"``, ``"processes"``, ``"sync"``, a scheduler address or a ``distributed.Client``),
    one task per part running :func:`summarise_part`, the code of the sequential pass, merged
    pairwise in a tree of depth ``log2(parts)``; the plan (edges, label codes, rows to gather) is
    put in the graph once."""
    from ..schedulers import import_dask, resolve_runner

    if hasattr(scheduler, "compute") and hasattr(scheduler, "submit"):  # a distributed.Client
        runner = resolve_runner(client=scheduler)
    else:
        runner = resolve_runner(scheduler=scheduler)
    dask = import_dask()
    plan_d = dask.delayed(plan, pure=True)
    parts = source.dask.to_delayed() if source.dask is not None else source.paths
    tasks = [dask.delayed(summarise_part, pure=True)(plan_d, parts[i], source.offsets[i], source.batch_rows)
             for i in range(source.n_parts)]
    while len(tasks) > 1:
        nxt = [dask.delayed(_merge, pure=True)(tasks[k], tasks[k + 1]) for k in range(0, len(tasks) - 1, 2)]
        if len(tasks) % 2:
            nxt.append(tasks[-1])
        tasks = nxt
    return runner.run(tasks)[0]


def summarise(source: PartitionedTable, plan: SummaryPlan, *, scheduler: Any = None,
              progress: bool | None = None) -> SynthSummary:
    """One pass over ``source``: sequential with pyarrow, or one Dask task per part and a tree
    merge when ``scheduler`` is given (a ``distributed.Client`` or a Dask scheduler name)."""
    from .._progress import progress_bar

    if scheduler is not None:
        return _summarise_dask(source, plan, scheduler).finish()
    total = SynthSummary(plan)
    bar = progress_bar(total=source.n_parts, progress=progress, desc="summarise", unit="part",
                       leave=False, large=source.n_rows >= 250_000)
    try:
        for i in range(source.n_parts):
            for start, frame in source.batches(i):
                total.update(frame, start)
            bar.update()
    finally:
        bar.close()
    return total.finish()


# ------------------------------------------------------------------ statistics from the summaries
def numeric_marginal(summary: SynthSummary, j: int, a: np.ndarray) -> tuple[SynthMarginal, dict]:
    """The :class:`SynthMarginal` of numeric column ``j`` against the sorted reference ``a``,
    and its error bounds (``w1``: absolute; ``quantile``: largest bin width used)."""
    st, e = summary.num[j], summary.plan.edges[j]
    cnt, off, off2, eq = st.count, st.offset, st.offset2, st.equal
    m = int(cnt.sum())
    lt = np.cumsum(cnt)[:-1]            # synthetic values < e_i
    le = lt + eq                        # synthetic values <= e_i
    n = a.size
    fr = np.searchsorted(a, e, side="right") / n    # F_r(e_i) (constant on [e_i, e_{i+1}))
    bounds = {"w1": 0.0, "quantile": 0.0}
    if m == 0 or n == 0:
        sm = SynthMarginal(m, st.moments.nulls, st.moments, math.nan, math.nan,
                           lambda p: np.full(len(p), np.nan), 0, None)
        return sm, bounds
    u = summary.plan.real_values[j]
    pu = np.searchsorted(e, u)
    fr_u = np.searchsorted(a, u, side="right") / n
    fr_prev = np.r_[0.0, fr_u[:-1]]
    ks = float(max(np.max(np.abs(fr_u - le[pu] / m)), np.max(np.abs(fr_prev - lt[pu] / m))))
    # Wasserstein-1: below e_0, inside each [e_i, e_{i+1}), above the last edge
    w1 = -off[0] / m                                   # F_r = 0 below the reference's minimum
    w = np.diff(e)
    c_in = cnt[1:-1] - eq[:-1]                         # values inside (e_i, e_{i+1})
    o_in = off[1:-1]
    lo_f, hi_f = le[:-1] / m, lt[1:] / m               # F_s at e_i and just below e_{i+1}
    rise = (c_in * w - o_in) / m                       # int of F_s - F_s(e_i) over the bin
    f = fr[:-1]
    above = f >= hi_f
    below = f <= lo_f
    cross = ~(above | below)
    # (F_r - F_s(e_i)) w - rise, or its negative; never w times a difference of near-equal numbers
    part = np.where(above, (f - lo_f) * w - rise, (lo_f - f) * w + rise)
    if cross.any():  # F_s taken linear in the bin: |f - line| integrated exactly
        a0, a1 = lo_f[cross] - f[cross], hi_f[cross] - f[cross]
        part[cross] = w[cross] * (a0**2 + a1**2) / (2 * (a1 - a0))
        bounds["w1"] = float(np.sum(w[cross] * c_in[cross]) / m)
    w1 += float(part.sum())
    w1 += float(off[-1]) / m                           # F_r = 1 above the last edge
    outside = int(lt[pu[0]] + m - le[pu[-1]])
    lo_v, hi_v = st.moments.minimum, st.moments.maximum

    def order_stat(k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The k-th smallest values (0-based) and the width of the bin each was read from."""
        k = np.asarray(k, dtype=np.int64)
        i = np.searchsorted(le, k, side="right")      # first edge with more than k values <= it
        out = np.empty(k.shape)
        width = np.zeros(k.shape)
        for t in range(k.size):
            ii, kk = int(i.flat[t]), int(k.flat[t])
            if ii < e.size and lt[ii] <= kk:           # a tie at edge ii
                out.flat[t] = e[ii]
                continue
            left = e[ii - 1] if ii > 0 else lo_v
            right = e[ii] if ii < e.size else hi_v
            before = le[ii - 1] if ii > 0 else 0
            inside = (lt[ii] if ii < e.size else m) - before
            # the offsets give the mean and sd of the values inside the bin (ties at its left edge
            # have offset 0 and are not inside): spread them evenly over mean +- sqrt(3) sd
            mu = off[ii] / inside
            sd = math.sqrt(max(off2[ii] / inside - mu * mu, 0.0))
            base = e[ii - 1] if ii > 0 else e[0]
            left, right = max(left, lo_v), min(right, hi_v)
            lo_i = min(max(base + mu - math.sqrt(3) * sd, left), right)
            hi_i = max(min(base + mu + math.sqrt(3) * sd, right), lo_i)
            out.flat[t] = lo_i + (hi_i - lo_i) * (kk - before + 0.5) / inside
            width.flat[t] = right - left
        return out, width

    def quantiles(probs):
        pos = np.asarray(probs, dtype=float) * (m - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, m - 1)
        wgt = pos - lo
        vlo, wl = order_stat(lo)
        vhi, wh = order_stat(hi)
        bounds["quantile"] = max(bounds["quantile"], float(np.max(np.maximum(wl, wh))))
        return vlo * (1 - wgt) + vhi * wgt

    levels = None
    if st.extra is not None:
        vals = np.concatenate([e[eq > 0], np.array(list(st.extra), dtype=float)])
        cnts = np.concatenate([eq[eq > 0], np.array(list(st.extra.values()), dtype=np.int64)])
        order = np.argsort(vals, kind="stable")
        levels = (vals[order], cnts[order])
    else:  # too many distinct values: the reference's levels (exact counts) and the rest as one level
        pu = np.searchsorted(e, u)
        cu = eq[pu]
        rest = m - int(cu.sum())
        levels = (np.r_[u, np.nextafter(u[-1], np.inf)], np.r_[cu, rest]) if rest else (u, cu)
    sm = SynthMarginal(m, st.moments.nulls, st.moments, float(ks), float(w1), quantiles, outside, levels)
    return sm, bounds


def rank_correlation(summary: SynthSummary) -> np.ndarray:
    """Spearman matrix from the two-way rank histograms: Pearson of bin mid-ranks on
    pairwise-complete rows (mid-ranks over each column's non-missing values)."""
    d = len(summary.num)
    mid = []
    for st in summary.num:
        c = st.rank.astype(float)
        mid.append(np.cumsum(c) - c + (c + 1) / 2)
    r = np.eye(d)
    for (i, j), h in summary.rank2.items():
        h = h.astype(float)
        nn = h.sum()
        if nn < 2:
            r[i, j] = r[j, i] = np.nan
            continue
        ri, rj = mid[i], mid[j]
        si, sj = h.sum(axis=1), h.sum(axis=0)
        mi, mj = si @ ri / nn, sj @ rj / nn
        cov = (ri - mi) @ h @ (rj - mj)
        vi, vj = si @ (ri - mi) ** 2, sj @ (rj - mj) ** 2
        r[i, j] = r[j, i] = cov / math.sqrt(vi * vj) if vi > 0 and vj > 0 else np.nan
    for j, st in enumerate(summary.num):
        if not (st.moments.n > 1 and st.moments.maximum > st.moments.minimum):
            r[j, j] = np.nan
    return np.clip(r, -1.0, 1.0)


def synth_dependence_summary(summary: SynthSummary, tables: PreparedTables,
                             kendall_rows: np.ndarray | None) -> SynthDependence:
    """The :class:`SynthDependence` of the summaries (Kendall from the gathered rows)."""
    out = SynthDependence()
    num, lab = tables.numeric(), tables.labels()
    if len(num) >= 2:
        out.pearson = summary.pm.correlation()
        out.spearman = rank_correlation(summary)
        out.complete = summary.pm.N
        out.kendall_rows = kendall_rows
    li = {c.name: i for i, c in enumerate(lab)}
    ni = {c.name: j for j, c in enumerate(num)}
    for a in lab:
        for b in lab:
            if li[a.name] < li[b.name]:
                out.contingency[(a.name, b.name)] = summary.cont[(li[a.name], li[b.name])]
        for c in num:
            g = summary.groups[(li[a.name], ni[c.name])]
            out.groups[(a.name, c.name)] = GroupMoments(g.shape[1], g[0].copy(), g[1].copy(), g[2].copy(),
                                                        float(summary.plan.centre[ni[c.name]]))
    return out


def sdmetrics_parts(summary: SynthSummary, tables: PreparedTables, dep_art: dict,
                    ks: dict) -> tuple[dict, dict]:
    """Column Shapes and Column Pair Trends (:mod:`synthkit.validation.sdmetrics_scores`) from
    the summaries: KS exact, label TV exact, correlation and contingency similarity exact; a
    label-numeric pair bins the numeric column on ten equal bins of the synthetic range, read off
    a histogram on :data:`TREND_POINTS` reference quantiles (linear inside a bin)."""
    from .dependence import contingency_counts, cramers_v, pearson_matrix
    from .marginals import tv_distance
    from .sdmetrics_scores import _digitize_own

    cols = tables.columns
    num = tables.numeric()
    lab = tables.labels()
    li = {c.name: i for i, c in enumerate(lab)}
    ni = {c.name: j for j, c in enumerate(num)}
    shapes = {}
    for c in cols:
        if c.is_numeric:
            shapes[c.name] = 1.0 - ks[c.name] if np.isfinite(ks[c.name]) else math.nan
        else:
            k = len(c.categories)
            cs = Counts(k, _grow(summary.counts[li[c.name]], 0, k))
            shapes[c.name] = 1.0 - tv_distance(Counts(k).update(c.real).frequencies(), cs.frequencies())
    pearson_r = dep_art.get("pearson_real")
    pearson_s = dep_art.get("pearson_synth")
    if pearson_r is None and len(num) >= 2:
        pearson_r = pearson_matrix(np.column_stack([c.real for c in num]))
        pearson_s = summary.pm.correlation()

    def constant_real(x):
        v = x[~np.isnan(x)]
        return v.size == 0 or bool(np.all(v == v[0]))

    def constant_synth(j):
        mo = summary.num[j].moments
        return mo.n == 0 or mo.minimum == mo.maximum

    trends = {}
    for i, a in enumerate(cols):
        for b in cols[i + 1:]:
            key = f"{a.name}|{b.name}"
            if a.is_numeric and b.is_numeric:
                if (constant_real(a.real) or constant_real(b.real) or constant_synth(ni[a.name])
                        or constant_synth(ni[b.name])):
                    trends[key] = (math.nan, math.nan)
                    continue
                rr = pearson_r[ni[a.name], ni[b.name]]
                rs = pearson_s[ni[a.name], ni[b.name]]
                sc = 1.0 - abs(rr - rs) / 2 if np.isfinite(rr) and np.isfinite(rs) else math.nan
                trends[key] = (sc, abs(rr))
            elif a.is_label and b.is_label:
                tr = contingency_counts(a.real, len(a.categories), b.real, len(b.categories))
                ts = summary.cont[(li[a.name], li[b.name])]
                trends[key] = (1.0 - tv_distance(tr.ravel() / tr.sum(), ts.ravel() / ts.sum()),
                               cramers_v(tr))
            else:
                lb, nm = (a, b) if a.is_label else (b, a)
                j = ni[nm.name]
                tr = contingency_counts(lb.real, len(lb.categories), _digitize_own(nm.real), 12)
                ts = _trend_table(summary, li[lb.name], j)
                trends[key] = (1.0 - tv_distance(tr.ravel() / tr.sum(), ts.ravel() / ts.sum()),
                               cramers_v(tr))
    return shapes, trends


def count_below(summary: SynthSummary, j: int, t: np.ndarray) -> np.ndarray:
    """Synthetic values of numeric column ``j`` below ``t``: exact at an edge, linear inside a bin."""
    st, e = summary.num[j], summary.plan.edges[j]
    lt = np.concatenate([[0], np.cumsum(st.count)])        # values < e_i at index i + 1; all at the end
    le = lt[1:-1] + st.equal
    t = np.asarray(t, dtype=float)
    i = np.searchsorted(e, t, side="right")              # t in [e_{i-1}, e_i)
    on_edge = (i > 0) & (e[np.maximum(i - 1, 0)] == t)
    out = np.empty(t.shape)
    out[on_edge] = lt[i[on_edge]]
    inner = ~on_edge
    ii = i[inner]
    lo = np.where(ii > 0, e[np.maximum(ii - 1, 0)], st.moments.minimum)
    hi = np.where(ii < e.size, e[np.minimum(ii, e.size - 1)], st.moments.maximum)
    base = np.where(ii > 0, le[np.maximum(ii - 1, 0)], 0)
    top = lt[ii + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.clip(np.where(hi > lo, (t[inner] - lo) / (hi - lo), 1.0), 0.0, 1.0)
    out[inner] = base + (top - base) * frac
    return out


def _trend_table(summary: SynthSummary, i: int, j: int) -> np.ndarray:
    """Counts of (label incl. missing, SDMetrics bin) of the synthetic side, from the
    label-numeric histogram: ten equal bins of the synthetic ``[min, max]`` (``numpy.digitize``
    codes 1..10 in columns 2..11; the maximum and the missing values share code 11, column 12).
    Inside a bin of the label-numeric histogram each label is spread like the column as a whole
    (:func:`count_below`, exact at the fine edges)."""
    mo = summary.num[j].moments
    h = summary.trend[(i, j)].astype(float)
    te = summary.plan.trend_edges[j]
    out = np.zeros((h.shape[0], 13))                   # column c + 1 counts digitize code c
    out[:, 12] = h[:, -1]                              # missing numeric values (code 11)
    if mo.n == 0:
        return out
    body = h[:, :-1]                                   # trend bins 0..T: [te_{b-1}, te_b)
    cum = np.concatenate([np.zeros((h.shape[0], 1)), np.cumsum(body, axis=1)], axis=1)
    try:
        edges = np.histogram_bin_edges(np.array([mo.minimum, mo.maximum]))
    except ValueError:  # one value beyond numpy's +-0.5 widening: numpy's code 6, as in memory
        out[:, 7] = body.sum(axis=1)
        return out
    b = np.searchsorted(te, edges, side="right")       # the trend bin of each edge
    lo_c = count_below(summary, j, te[np.maximum(b - 1, 0)])
    hi_c = count_below(summary, j, te[np.minimum(b, te.size - 1)])
    at_c = count_below(summary, j, edges)
    lo_c = np.where(b > 0, lo_c, 0.0)
    hi_c = np.where(b < te.size, hi_c, float(mo.n))
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.clip(np.where(hi_c > lo_c, (at_c - lo_c) / (hi_c - lo_c), 0.0), 0.0, 1.0)
    at = cum[:, b] + body[:, b] * frac                 # per label: values < each edge
    out[:, 2:12] = np.diff(at, axis=1)
    out[:, 12] += body.sum(axis=1) - at[:, -1]         # values at the maximum: code 11
    return out


def _plot_numeric(summary: SynthSummary, j: int, col: ColumnPair, sm: SynthMarginal,
                  top: int) -> dict:
    """The bars or histogram of a numeric column from the summaries."""
    from .marginals import _levels_tv_counts, _quantiles_sorted, counts_density, hist_density, hist_edges

    a = np.sort(col.real_valid())
    if col.kind in ("integer", "continuous") and sm.levels is not None:
        _, levels, pr, ps = _levels_tv_counts(a, *sm.levels)
        if levels.size <= top:
            return {"type": "bar", "labels": [f"{v:g}" for v in levels], "real": pr.tolist(),
                    "synth": ps.tolist(), "truncated": False}
    if a.size == 0:
        return {"type": "empty"}
    lo, hi = _quantiles_sorted(a, (0.001, 0.999))
    if sm.m:
        qs = sm.quantiles((0.001, 0.999))
        lo, hi = min(lo, qs[0]), max(hi, qs[1])
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges, log = hist_edges(a, lo, hi, log_ok=col.kind != "datetime")
    dens = counts_density(np.diff(count_below(summary, j, edges)), sm.m, edges, log)
    return {"type": "hist", "edges": edges.tolist(), "real": hist_density(a, edges, log).tolist(),
            "synth": dens.tolist(), "datetime": col.kind == "datetime", "log": log}


def plot_numeric(summary: SynthSummary, j: int, col: ColumnPair, sm: SynthMarginal,
                 top: int = 20) -> dict:
    """:func:`synthkit.validation.marginals.plot_data` of a numeric column from the summaries,
    with the exact missing shares."""
    from .marginals import with_missing

    return with_missing(_plot_numeric(summary, j, col, sm, top), col, sm.moments.null_rate)


def gathered_tables(tables: PreparedTables, summary: SynthSummary, frame: pd.DataFrame,
                    n_synth: int) -> PreparedTables:
    """``tables`` with the gathered synthetic rows ``frame`` as ``.synth`` (label codes over the
    full category lists of the summaries) and ``n_synth`` rows."""
    labels = {nm: i for i, (nm, _) in enumerate(summary.plan.labels)}
    cols = []
    for c in tables.columns:
        if c.is_numeric:
            s = _numeric_array(frame[c.name], c.kind, c.name, "synthetic") if len(frame) else np.zeros(0)
            cols.append(ColumnPair(c.name, c.kind, c.real, s))
        else:
            i = labels[c.name]
            index = dict(summary.lab[i].index)
            s = _codes(frame[c.name], index) if len(frame) else np.zeros(0, np.int64)
            cats = summary.categories(i)
            cols.append(ColumnPair(c.name, c.kind, c.real, s, categories=cats,
                                   n_real_categories=c.n_real_categories))
    return PreparedTables(cols, tables.schema, tables.n_real, int(n_synth), list(tables.only_real),
                          list(tables.only_synth))


def subsample_view(tables: PreparedTables, rows: np.ndarray) -> PreparedTables:
    """``tables`` with only the synthetic ``rows`` (positions in ``.synth``)."""
    cols = [ColumnPair(c.name, c.kind, c.real, c.synth[rows], categories=c.categories,
                       n_real_categories=c.n_real_categories) for c in tables.columns]
    return PreparedTables(cols, tables.schema, tables.n_real, int(len(rows)), list(tables.only_real),
                          list(tables.only_synth))


def check_kinds(tables: PreparedTables, summary: SynthSummary) -> None:
    """Refuse an all-missing synthetic column, as :func:`prepare_tables` does for a frame."""
    bad = [nm for (nm, _), st in zip(summary.plan.numeric, summary.num, strict=True) if st.moments.n == 0]
    bad += [nm for i, (nm, _) in enumerate(summary.plan.labels) if summary.counts[i].sum() == 0]
    if bad:
        raise DataError(f"column(s) {bad} of the synthetic table are entirely missing (all NaN); "
                        "the generator produced no values for them")


# ------------------------------------------------------------------ the pass, as validate() uses it
#: Synthetic rows the rules section reads from a partitioned table (a seeded subsample).
RULE_ROWS = 200_000


class StreamResult:
    """The summaries of one pass and the gathered rows, in the forms the sections read."""

    def __init__(self, source: PartitionedTable, tables: PreparedTables, summary: SynthSummary,
                 positions: dict, rules_rows: int | None, known: dict) -> None:
        self.source = source
        self.summary = summary
        self.positions = positions
        frame = summary.gathered_frame()
        self.tables = gathered_tables(tables, summary, frame, source.n_rows)
        self._frame = frame
        self._num = {nm: j for j, (nm, _) in enumerate(summary.plan.numeric)}
        self._lab = {nm: i for i, (nm, _) in enumerate(summary.plan.labels)}
        self._marg: dict = {}
        self.bounds = {"wasserstein_error_bound": 0.0, "quantile_error_bound": 0.0}
        self.leaks = {c: summary.leaks[str(c)] for c in known}
        self.rules_rows = rules_rows
        self.rules_note = (f"rules checked on a seeded subsample of {rules_rows:,} of the "
                           f"{source.n_rows:,} synthetic rows" if rules_rows is not None else "")

    @property
    def rules_frame(self) -> pd.DataFrame | None:
        from .rowplan import RULES

        if RULES not in self.positions:
            return None
        return self._frame.iloc[self.positions[RULES]].reset_index(drop=True).rename(columns=str)

    def view(self, key: int) -> PreparedTables:
        """The tables restricted to the gathered rows of subsample ``key`` (:mod:`.rowplan`)."""
        return subsample_view(self.tables, self.positions[key])

    def numeric_with_nulls(self) -> set[str]:
        return {nm for (nm, _), st in zip(self.summary.plan.numeric, self.summary.num, strict=True)
                if st.moments.nulls > 0}

    def _counts(self, col: ColumnPair) -> Counts:
        c = self.summary.label_counts(self._lab[col.name])
        k = len(col.categories or [])
        return Counts(k, _grow(c.counts, 0, k), c.nulls)

    def marginal(self, col: ColumnPair) -> SynthMarginal | Counts:
        """The synthetic side of ``col`` for :func:`~synthkit.validation.marginals.column_checks`."""
        if col.is_label:
            return self._counts(col)
        if col.name not in self._marg:
            from .marginals import _quantiles_sorted, _scale

            a = np.sort(col.real_valid())
            sm, b = numeric_marginal(self.summary, self._num[col.name], a)
            q = _quantiles_sorted(a, (0.25, 0.75)) if a.size else np.zeros(2)
            scale, _ = _scale(float(q[1] - q[0]), float(a.std(ddof=1)) if a.size > 1 else 0.0)
            if sm.m:
                from .marginals import QUANTILES

                sm.quantiles(QUANTILES)  # records the bound of the quantiles the checks read
            self.bounds["wasserstein_error_bound"] = max(self.bounds["wasserstein_error_bound"],
                                                         b["w1"] / scale)
            self.bounds["quantile_error_bound"] = max(self.bounds["quantile_error_bound"],
                                                      b["quantile"] / scale)
            self._marg[col.name] = sm
        return self._marg[col.name]

    def plot(self, col: ColumnPair, side: Any) -> dict:
        from .marginals import plot_data

        if col.is_label:
            return plot_data(col, synth_counts=side)
        return plot_numeric(self.summary, self._num[col.name], col, side)

    def dependence(self) -> SynthDependence:
        from .dependence import _stack
        from .rowplan import KENDALL

        num = self.tables.numeric()
        rows = None
        if KENDALL in self.positions and len(num) >= 2:
            rows = _stack([c.synth[self.positions[KENDALL]] for c in num])
        out = synth_dependence_summary(self.summary, self.tables, rows)
        size = {c.name: len(c.categories or []) for c in self.tables.labels()}
        for (a, b), t in out.contingency.items():
            out.contingency[(a, b)] = _grow(_grow(t, 0, size[a] + 1), 1, size[b] + 1)
        for (a, c), g in out.groups.items():
            k = size[a]
            out.groups[(a, c)] = GroupMoments(k, _grow(g.count, 0, k), _grow(g.total, 0, k),
                                              _grow(g.sumsq, 0, k), g.shift)
        return out

    def sdmetrics(self, dep_art: dict, sorted_cache: dict) -> tuple[dict, dict]:
        ks = {}
        for c in self.tables.numeric():
            ks[c.name] = sorted_cache.get(("ks", c.name), None)
            if ks[c.name] is None:
                ks[c.name] = self.marginal(c).ks
        size = {c.name: len(c.categories or []) for c in self.tables.labels()}
        for key, t in list(self.summary.trend.items()):  # room for the holdout's extra labels
            name = self.summary.plan.labels[key[0]][0]
            self.summary.trend[key] = _grow(t, 0, size[name] + 1)
        for (i, j), t in list(self.summary.cont.items()):
            a, b = self.summary.plan.labels[i][0], self.summary.plan.labels[j][0]
            self.summary.cont[(i, j)] = _grow(_grow(t, 0, size[a] + 1), 1, size[b] + 1)
        return sdmetrics_parts(self.summary, self.tables, dep_art, ks)

    def meta(self) -> dict:
        return {"rows": self.source.n_rows, "parts": self.source.n_parts, "source": self.source.description,
                "gathered_rows": int(len(self._frame)), "rules_rows": self.rules_rows, **self.bounds,
                "note": f"synthetic side summarised in one pass from {self.source.n_rows:,} rows in "
                        f"{self.source.n_parts} parts"}


def stream_pass(source: PartitionedTable, tables: PreparedTables, sections: list[str], seeds: list[int], *,
                has_holdout: bool, known: dict, figures: bool, rules: bool, scheduler: Any = None,
                progress: bool | None = None) -> StreamResult:
    """Plan the subsamples, make the one pass over ``source`` and return the results.

    ``tables``: the reference prepared against the first synthetic rows (kinds, reference arrays);
    ``seeds``: the four section seeds of :func:`synthkit.validate`; ``known``: identifier / PII
    column -> its reference values (leaks counted over every row).
    """
    from .dependence import KENDALL_ROWS
    from .privacy import MAX_QUERY_ROWS
    from .rowplan import (
        ATTACKS,
        KENDALL,
        MAX_ATTACK_ROWS,
        PCA,
        PCA_POINTS,
        PRIVACY,
        RULES,
        UTILITY,
        synth_rows,
    )
    from .utility import MAX_TRAIN_ROWS

    m = source.n_rows
    want: dict[int, tuple[int, int]] = {}
    if "dependence" in sections and len(tables.numeric()) >= 2:
        want[KENDALL] = (seeds[0], KENDALL_ROWS)
    if "privacy" in sections:
        want[PRIVACY] = (seeds[1], MAX_QUERY_ROWS)
        if has_holdout:
            want[ATTACKS] = (seeds[1], MAX_ATTACK_ROWS)
    if "utility" in sections:
        want[UTILITY] = (seeds[2], MAX_TRAIN_ROWS)
    if figures and len(tables.columns) >= 2 and tables.n_real >= 3:
        want[PCA] = (seeds[3], min(PCA_POINTS, tables.n_real, m))
    if rules:
        want[RULES] = (seeds[3], RULE_ROWS)
    idx = {key: synth_rows(seed, m, k, key) for key, (seed, k) in want.items()}
    gather = np.unique(np.concatenate(list(idx.values()))) if idx else np.zeros(0, np.int64)
    plan = SummaryPlan.from_tables(tables, gather, sensitive={str(c): v for c, v in known.items()})
    summary = summarise(source, plan, scheduler=scheduler, progress=progress)
    check_kinds(tables, summary)
    positions = {key: np.searchsorted(gather, rows) for key, rows in idx.items()}
    rules_rows = len(idx[RULES]) if RULES in idx and len(idx[RULES]) < m else None
    out = StreamResult(source, tables, summary, positions, rules_rows, known)
    if rules and rules_rows is None:
        out.rules_note = f"rules checked on all {m:,} synthetic rows, gathered in the pass"
    return out
