"""A partitioned sample written as a restartable Parquet dataset.

Layout of ``path/`` (one writer at a time)::

    part-00000.parquet ... part-NNNNN.parquet    one per partition, in row order
    _manifest.json                               the manifest (JSON), written after the parts
    _SUCCESS                                     written last: the dataset is complete

Each part holds a run of whole blocks (:mod:`synthkit.scale.partitioned`), with pyarrow's
default row groups, dictionary encoding for the categorical columns only (schema kind
``categorical``: category codes or text labels; never identifiers, PII or numbers), and its own entry
in its Parquet footer (key-value metadata ``synthkit``): the spec hash (sha256 of the model
hash, seed, ``n``, block rows, conditions and its block range), its rows, the sha256 of each of
its blocks' row hashes and their hash. A part is written to a hidden temporary name in the
same directory and renamed (``os.replace``), so a part file is whole or absent.

**Restarts.** Re-running the same call writes only what is missing: an existing part is kept
when its footer entry matches the requested spec and row count and (``verify=True``) its
data still hashes to its entry; otherwise (another seed, model, ``n`` or partitioning, a
truncated or unreadable file, changed contents) it is written again. Leftover temporary files
and parts beyond the new partition count are removed, and ``_SUCCESS`` and the manifest of an
earlier run are removed before any part is written. A directory holding files this writer does not make is
refused (a :class:`~synthkit.errors.DataError` listing them), never cleaned. The finished
dataset is byte-for-byte the data of an uninterrupted run (:func:`dataset_hash`).

**Clusters.** Parts are written by the workers themselves: on a multi-machine cluster
``path`` must be storage every worker and the client see at the same path (NFS, a shared
volume); the client only writes the manifest.

**Hashes.** :func:`dataset_hash` hashes the data in row order whatever its split into parts
and row groups: the rows are cut into slices of :data:`~synthkit.seeding.BLOCK_ROWS`, each
slice's row hashes (``pandas.util.hash_pandas_object(slice, index=False)``, text taken as
Python strings) are hashed with sha256, and the dataset hash is the sha256 of the column
names followed by these digests.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .._counts import check_n
from .._progress import check_progress, progress_bar
from .._version import __version__
from ..errors import DataError, SpecError
from ..io import to_jsonable
from ..parquet_dataset import (
    FOOTER_KEY,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    PART_RE,
    SUCCESS,
    check_part,
    read_footer,
    read_manifest,
)
from ..schedulers import import_dask, resolve_runner
from ..seeding import BLOCK_ROWS, SeedLike, as_seed_sequence, seed_to_json
from ..strategies._document import merged_levels
from ..strategies._engine import (
    PROGRESS_MIN_ROWS,
    _check_conditions,
    output_meta,
    output_schema,
    prepare_sample,
    sample_frame,
)
from .partitioned import ModelRef, _check_fitted, conditions_key, partition_frame, partition_layout

__all__ = ["ParquetResult", "sample_to_parquet", "read_dataset", "dataset_hash", "frame_hash",
           "read_manifest", "MANIFEST", "SUCCESS", "FORMAT_VERSION", "FOOTER_KEY"]

_TEMP_RE = re.compile(r"\.(part-\d{5,}\.parquet|_SUCCESS|_manifest\.json)\.tmp-[0-9a-f]{32}")


@dataclass
class ParquetResult:
    """What :func:`sample_to_parquet` did.

    ``rows``, ``parts``: the dataset's; ``parts_written`` / ``parts_kept``: parts this run
    wrote / found complete and kept; ``bytes_written``: bytes of the parts this run wrote;
    ``seconds``: the call's wall time; ``rows_per_second``: rows written per second.
    """

    path: Path
    rows: int
    parts: int
    seconds: float
    rows_per_second: float
    bytes_written: int
    parts_written: int
    parts_kept: int
    dataset_hash: str = ""

    def summary(self) -> str:
        """One line: rows, parts, seconds, rows/s, bytes."""
        kept = f", {self.parts_kept} kept" if self.parts_kept else ""
        return (f"wrote {self.rows:,} rows in {self.parts} parts ({self.parts_written} written{kept}) in "
                f"{self.seconds:.1f} s ({self.rows_per_second:,.0f} rows/s, "
                f"{self.bytes_written / 1e6:,.1f} MB) -> {self.path}")

    def __str__(self) -> str:
        return self.summary()


# ------------------------------------------------------------------------------- hashing
def _hashable(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with text columns as Python strings (None for missing): the same row hashes
    for object, ``string`` and ``str`` dtypes."""
    out = {}
    for c in frame.columns:
        s = frame[c]
        if isinstance(s.dtype, pd.StringDtype) or s.dtype == object:
            v = s.to_numpy(dtype=object, na_value=None)
            s = pd.Series(v, index=s.index, dtype=object)
        out[c] = s
    return pd.DataFrame(out, index=frame.index, copy=False)


def _slice_digest(frame: pd.DataFrame) -> str:
    rows = pd.util.hash_pandas_object(_hashable(frame), index=False).to_numpy().astype("<u8")
    return hashlib.sha256(rows.tobytes()).hexdigest()


def _block_digests(frame: pd.DataFrame) -> list[str]:
    """sha256 of the row hashes of each BLOCK_ROWS slice of ``frame``."""
    return [_slice_digest(frame.iloc[s:s + BLOCK_ROWS]) for s in range(0, len(frame), BLOCK_ROWS)]


def _chain(columns: list, digests: list[str]) -> str:
    h = hashlib.sha256(json.dumps([str(c) for c in columns]).encode())
    for d in digests:
        h.update(d.encode())
    return h.hexdigest()


def frame_hash(frame: pd.DataFrame) -> str:
    """The hash :func:`dataset_hash` gives a dataset holding ``frame``'s rows (cast ``frame`` to
    :func:`~synthkit.strategies._engine.output_meta` first to compare with a written sample).

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"x": [1.0, 2.0], "t": ["a", None]})
    >>> frame_hash(a) == frame_hash(a.astype({"t": "string"}))
    True
    """
    return _chain(list(frame.columns), _block_digests(frame))


def _rechunked(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """The rows of ``frames`` in slices of BLOCK_ROWS rows (the last one shorter)."""
    carry: pd.DataFrame | None = None
    for f in frames:
        if carry is not None and len(carry):
            f = pd.concat([carry, f], ignore_index=True)
        full = len(f) // BLOCK_ROWS * BLOCK_ROWS
        for s in range(0, full, BLOCK_ROWS):
            yield f.iloc[s:s + BLOCK_ROWS]
        carry = f.iloc[full:]
    if carry is not None and len(carry):
        yield carry


# ------------------------------------------------------------------------------- reading
def _part_files(path: Path, complete: bool) -> tuple[list[Path], dict | None]:
    if not path.is_dir():
        raise DataError(f"{path} is not a directory holding a partitioned dataset")
    manifest = read_manifest(path)
    if manifest is not None:
        return [path / p["name"] for p in manifest["parts"]], manifest
    if complete:
        raise DataError(f"{path} has no {SUCCESS} marker: the dataset is incomplete (an interrupted "
                        "run?). Re-run sample_to_parquet with the same arguments to finish it, or pass "
                        "complete=False to read the parts present")
    names = sorted((f for f in os.listdir(path) if PART_RE.fullmatch(f)), key=lambda f: int(f[5:-8]))
    return [path / f for f in names], None


def _manifest_dtypes(manifest: dict | None) -> dict[str, Any]:
    if manifest is None:
        return {}
    out = {}
    schema = manifest.get("schema", [])
    for c in schema if isinstance(schema, list) else []:
        dtype = c.get("dtype") if isinstance(c, dict) else None
        if isinstance(dtype, str) and isinstance(c.get("name"), str):
            try:
                cats = c.get("categories") or []
                out[c["name"]] = pd.CategoricalDtype(list(cats)) if dtype == "category" \
                    else pd.api.types.pandas_dtype(dtype)
            except (TypeError, ValueError) as exc:
                raise DataError(f"the manifest's schema has an unusable dtype for column {c['name']!r} "
                                f"({exc}); re-run sample_to_parquet to rewrite the dataset") from None
    return out


def _read_part(file: Path, dtypes: dict[str, Any]) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        frame = pq.read_table(file).to_pandas()
    except (OSError, ValueError) as exc:  # missing, truncated or not Parquet (pyarrow's errors)
        raise DataError(f"cannot read the part {file} ({exc}); re-run sample_to_parquet with the same "
                        "arguments to rewrite it") from None
    for c in frame.columns:
        want = dtypes.get(str(c))
        if want is not None and frame[c].dtype != want:
            try:
                frame[c] = frame[c].astype(want)
            except (TypeError, ValueError):
                pass
    return frame


def _iter_parts(path: str | os.PathLike, complete: bool) -> Iterator[pd.DataFrame]:
    files, manifest = _part_files(Path(path), complete)
    dtypes = _manifest_dtypes(manifest)
    for i, f in enumerate(files):
        if manifest is not None:
            check_part(f, manifest["parts"][i])
        yield _read_part(f, dtypes)


def read_dataset(path: str | os.PathLike, *, complete: bool = True) -> pd.DataFrame:
    """The dataset in ``path`` (written by :func:`sample_to_parquet`) as one pandas frame.

    Reads the parts listed by the manifest, in order, with pyarrow, each column in the dtype the
    manifest records. Without a manifest (an unfinished run) this is a
    :class:`~synthkit.errors.DataError` unless ``complete=False`` (the parts present, in order).
    """
    frames = list(_iter_parts(path, complete))
    if not frames:
        raise DataError(f"{path} holds no parts")
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)


def dataset_hash(path: str | os.PathLike, *, complete: bool = True) -> str:
    """A hash of the data of the dataset in ``path``, in row order, whatever its parts and row groups.

    Computed from the data read back (module docstring), part by part; equal to
    :func:`frame_hash` of the same rows, e.g. ``model.sample(n, seed).frame`` cast to
    ``output_meta(model)``.
    """
    columns: list | None = None
    digests = []
    for chunk in _rechunked(_iter_parts(path, complete)):
        columns = list(chunk.columns) if columns is None else columns
        digests.append(_slice_digest(chunk))
    if columns is None:
        raise DataError(f"{path} holds no rows")
    return _chain(columns, digests)


# ------------------------------------------------------------------------------- writing
def _part_name(i: int, parts: int) -> str:
    return f"part-{i:0{max(5, len(str(parts - 1)))}d}.parquet"


def _spec_hash(spec: dict, blocks: tuple[int, int]) -> str:
    return hashlib.sha256(json.dumps({**spec, "blocks": list(blocks)}, sort_keys=True).encode()).hexdigest()


def _kept_entry(file: Path, want: dict, verify: bool) -> dict | None:
    """The manifest entry of an existing part if it is the requested one, else None.

    The footer must carry the requested spec and rows, one block hash per block and their
    ``data_hash``; ``verify`` re-hashes the data. The entry is the requested one (name, blocks,
    row range) with the footer's hashes: nothing else is taken from the file.
    """
    try:
        entry, rows = read_footer(file)
        hashes = entry.get("block_hashes")
        start, stop = want["blocks"]
        if (entry.get("spec") != want["spec"] or entry.get("rows") != want["rows"] or rows != want["rows"]
                or not isinstance(hashes, list) or len(hashes) != stop - start
                or not all(isinstance(h, str) for h in hashes)
                or entry.get("data_hash") != hashlib.sha256("".join(hashes).encode()).hexdigest()):
            return None
        if verify and _block_digests(_read_part(file, {})) != hashes:
            return None
        return {**want, "block_hashes": hashes, "data_hash": entry["data_hash"],
                "bytes": file.stat().st_size}
    except Exception:  # noqa: BLE001 - any unreadable or foreign file is rewritten
        return None


def _write_part(shared: tuple, directory: str, entry: dict, dictionary: list[str]) -> dict:
    """Draw one partition and write it (temporary name, then rename); its manifest entry."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    ref, plan = shared
    start, stop = entry["blocks"]
    # block by block into Arrow (compact: text as one buffer), so that a part costs about one
    # Arrow copy of its rows and one block's frame, not several pandas copies of the whole part
    digests, tables = [], []
    for b in range(start, stop):
        frame = partition_frame(ref, plan, b, b + 1)
        digests.append(_slice_digest(frame))
        tables.append(pa.Table.from_pandas(frame, preserve_index=False))
        del frame
    table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    del tables
    entry = {**entry, "rows": table.num_rows, "block_hashes": digests,
             "data_hash": hashlib.sha256("".join(digests).encode()).hexdigest()}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           FOOTER_KEY: json.dumps(entry).encode()})
    final = os.path.join(directory, entry["name"])
    tmp = os.path.join(directory, f".{entry['name']}.tmp-{uuid.uuid4().hex}")
    try:
        pq.write_table(table, tmp, use_dictionary=dictionary if dictionary else False)
        os.replace(tmp, final)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return {**entry, "bytes": os.path.getsize(final)}


def _prepare_directory(path: Path) -> None:
    """Create ``path`` or check that it holds only this writer's files; remove leftover temporary files."""
    if path.exists() and not path.is_dir():
        raise DataError(f"{path} is a file: the partitioned dataset is a directory; give a directory path "
                        "(e.g. out/) or a .parquet file name for one file")
    if not path.exists():
        if not path.parent.is_dir():
            raise DataError(f"the folder {path.parent} does not exist: create it first")
        path.mkdir(exist_ok=True)
        return
    names = os.listdir(path)
    mine = (f for f in names if PART_RE.fullmatch(f) or f in (MANIFEST, SUCCESS) or _TEMP_RE.fullmatch(f))
    odd = sorted(f for f in mine if os.path.islink(path / f) or not os.path.isfile(path / f))
    if odd:
        raise DataError(f"{path} holds {', '.join(odd[:5])}, not files this writer made (folders or "
                        "links); write to an empty or new directory, or remove them")
    ours = (MANIFEST, SUCCESS)
    foreign = sorted(f for f in names if not (f in ours or PART_RE.fullmatch(f) or _TEMP_RE.fullmatch(f)))
    if foreign:
        shown = foreign[:5] + (["..."] if len(foreign) > 5 else [])
        raise DataError(f"{path} holds files this writer did not make ({', '.join(shown)}); write to an "
                        "empty or new directory, or remove them")
    for f in names:
        if _TEMP_RE.fullmatch(f):
            os.unlink(path / f)


def _schema_record(meta: pd.DataFrame) -> list[dict]:
    out = []
    for c, dtype in meta.dtypes.items():
        name = str(dtype)
        if isinstance(dtype, pd.CategoricalDtype):
            name = "category"
        elif isinstance(dtype, pd.StringDtype):
            name = f"string[{dtype.storage}]"
        rec = {"name": str(c), "dtype": name}
        if isinstance(dtype, pd.CategoricalDtype):
            rec["categories"] = to_jsonable(list(dtype.categories))
        out.append(rec)
    return out


def _write_json(path: Path, name: str, doc: dict) -> str:
    """Write ``doc`` to ``path / name`` (temporary name, then rename); the text's sha256."""
    text = json.dumps(to_jsonable(doc), indent=1, allow_nan=False) + "\n"
    tmp = path / f".{name}.tmp-{uuid.uuid4().hex}"
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path / name)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise
    return hashlib.sha256(text.encode()).hexdigest()


def sample_to_parquet(model: Any, n: int, path: str | os.PathLike, *, seed: SeedLike,
                      partitions: int | None = None, client: Any = None, scheduler: str | None = None,
                      workers: int | None = None, progress: bool | None = None,
                      conditions: dict | None = None, verify: bool = True) -> ParquetResult:
    """Write the sample of ``n`` rows drawn with ``seed`` as a partitioned Parquet dataset in ``path``.

    The parts, in order, hold ``model.sample(n, seed).frame`` cast to
    :func:`~synthkit.strategies._engine.output_meta`, for any ``partitions`` and scheduler;
    re-running the same call after an interruption writes only the missing or damaged parts
    (module docstring: layout, footers, manifest, restarts).

    Parameters
    ----------
    model : Strategy
        A fitted model.
    n : int
        Rows (> 0).
    path : str or PathLike
        The dataset's directory (created if missing; its parent must exist). It may hold only
        files this writer makes.
    seed : None, int or SeedSequence
        The sample's root seed. Give one: a restart with ``seed=None`` draws a new sample.
    partitions : int, optional
        Number of parts (runs of whole blocks); default about 3 million rows each for 10
        columns (:mod:`synthkit.scale.partitioned`).
    client : distributed.Client, optional
        Run on this cluster (``path`` must be storage the workers share).
    scheduler : str, optional
        ``"threads"`` (default), ``"processes"``, or a scheduler address ``"tcp://host:port"``
        (default: ``DASK_SCHEDULER_ADDRESS`` when set, else threads).
    workers : int, optional
        Threads or processes of a local scheduler (default: one per core).
    progress : bool, optional
        A bar advancing per part (default: on a terminal, for samples of 250,000 rows or more).
    conditions : dict, optional
        Fixed values or ranges per column, as in ``model.sample``.
    verify : bool
        Re-hash the data of existing parts before keeping them (default); False trusts their footers.

    Returns
    -------
    ParquetResult

    Examples
    --------
    >>> import tempfile, pytest, synthkit
    >>> _ = pytest.importorskip("dask.dataframe")
    >>> from synthkit.scale import sample_to_parquet, read_dataset
    >>> m = synthkit.declare({"x": {"distribution": "normal"}}, strategy="montecarlo")
    >>> out = tempfile.mkdtemp() + "/sample"
    >>> res = sample_to_parquet(m, 1000, out, seed=1)
    >>> res.rows, res.parts_written, sorted(os.listdir(out))
    (1000, 1, ['_SUCCESS', '_manifest.json', 'part-00000.parquet'])
    >>> read_dataset(out).equals(m.sample(1000, seed=1).frame)
    True
    >>> import shutil; shutil.rmtree(os.path.dirname(out))
    """
    t0 = time.perf_counter()
    _check_fitted(model)
    n = check_n(n)
    progress = check_progress(progress)
    if isinstance(conditions, pd.DataFrame):
        raise SpecError("a conditions table (DataFrame) is drawn whole: use model.sample(conditions=table) "
                        "and write the frame; partitioned samples take a dict of fixed values or ranges")
    if path is None or (not isinstance(path, (str, os.PathLike))):
        raise SpecError(f"`path` must be a directory path, got {path!r}")
    dask = import_dask()
    runner = resolve_runner(client, scheduler, workers)
    root = as_seed_sequence(seed)
    meta = output_meta(model)
    layout = partition_layout(n, partitions, len(meta.columns))
    _check_conditions(model, conditions)
    # every input is checked before the folder is touched: the plan runs the rules' pilot,
    # and one row drawn under the conditions checks their values
    plan = prepare_sample(model, n, root, conditions, runner.workers or 1)
    if conditions:
        sample_frame(model, 1, root, conditions=conditions, progress=False)
    path = Path(path)
    _prepare_directory(path)

    ref = ModelRef(model)
    spec = {"format_version": FORMAT_VERSION, "model_hash": ref.hash, "seed": seed_to_json(root), "n": n,
            "block_rows": BLOCK_ROWS, "conditions": conditions_key(conditions or None)}
    entries = []
    for i in range(layout.parts):
        blocks = layout.blocks(i)
        start, stop = layout.rows(i)
        entries.append({"name": _part_name(i, layout.parts), "blocks": list(blocks), "rows": stop - start,
                        "row_range": [start, stop], "spec": _spec_hash(spec, blocks)})
    done: dict[str, dict] = {}
    for e in entries:
        file = path / e["name"]
        kept = _kept_entry(file, e, verify) if file.exists() else None
        if kept is not None:
            done[e["name"]] = kept
    todo = [e for e in entries if e["name"] not in done]
    (path / SUCCESS).unlink(missing_ok=True)  # the dataset is incomplete until this run ends
    (path / MANIFEST).unlink(missing_ok=True)
    wanted = {e["name"] for e in entries}
    for f in os.listdir(path):
        if PART_RE.fullmatch(f) and f not in wanted:
            os.unlink(path / f)

    written: list[dict] = []
    if todo:
        shared = dask.delayed((ref, plan), pure=True, traverse=False,
                              name=f"synthkit-plan-{entries[0]['spec'][:16]}")
        dictionary = [str(c) for c, col in zip(meta.columns, output_schema(model), strict=True)
                      if col.kind == "categorical"]
        write = dask.delayed(_write_part, pure=True)
        where = str(path.resolve())  # two folders of one spec on one cluster are two sets of tasks
        tasks = [write(shared, str(path), e, dictionary, dask_key_name="synthkit-part-" + hashlib.sha256(
            (where + e["spec"]).encode()).hexdigest()) for e in todo]
        bar = progress_bar(total=len(entries), progress=progress, large=n >= PROGRESS_MIN_ROWS, unit="parts",
                           desc="writing", initial=len(done), leave=False)
        try:
            written = runner.run(tasks, on_done=lambda: bar.update(1))
        finally:
            bar.close()
    for w in written:
        done[w["name"]] = w
    parts = [done[e["name"]] for e in entries]
    keys = ("name", "rows", "blocks", "row_range", "spec", "data_hash", "bytes")
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION,
                "synthkit_version": __version__, "n": n, "rows": n, "block_rows": BLOCK_ROWS,
                "seed": spec["seed"], "model_hash": ref.hash, "conditions": to_jsonable(conditions or None),
                "schema": _schema_record(meta), "rows_per_part": [p["rows"] for p in parts],
                "merged_levels": merged_levels(getattr(model, "privacy_", None)),
                "dataset_hash": _chain(list(meta.columns), [d for p in parts for d in p["block_hashes"]]),
                "parts": [{k: p[k] for k in keys} for p in parts]}
    digest = _write_json(path, MANIFEST, manifest)
    _write_json(path, SUCCESS, {"manifest": MANIFEST, "sha256": digest, "rows": n})
    seconds = time.perf_counter() - t0
    rows_written = sum(w["rows"] for w in written)
    return ParquetResult(path, n, layout.parts, seconds, rows_written / max(seconds, 1e-9),
                         int(sum(w["bytes"] for w in written)), len(written), len(entries) - len(written),
                         manifest["dataset_hash"])
