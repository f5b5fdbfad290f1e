"""Reading and writing tables, JSON and YAML files: atomically, bounded, without code execution.

* Tables: CSV and Parquet (pyarrow), chosen by file suffix.
* Models, datasets' metadata, archetypes: JSON with a ``format`` name and a
  ``format_version``; loading never executes code (no pickle, no ``eval``).
* Every JSON or YAML document the package reads goes through one bounded loader
  (:func:`parse_json`, :func:`parse_yaml`): the file size, the nesting depth, the
  size after YAML alias expansion and the length of integers are capped, and
  duplicate keys are refused, so a small hostile file can neither exhaust memory
  nor hang the process; every failure is a :class:`~synthkit.errors.ModelFileError`
  (JSON) or :class:`~synthkit.errors.RecipeError` (YAML) naming the file.
* Every output is written to a temporary name in the target folder and renamed
  into place (:func:`atomic_path`), so a failure never leaves a half-written file.
  A new file gets the usual permissions (``0o666`` minus the umask), a replaced
  file keeps its own; a missing folder is an error unless ``parents=True``; the
  temporary file is removed on an
  exception, on ``SIGTERM`` (the process then exits with status 143) and, if the
  process was killed outright, by the next write to the same path.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import json
import math
import os
import re
import secrets
import signal
import stat
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode
from yaml.resolver import Resolver

from .errors import DataError, ModelFileError, RecipeError

__all__ = [
    "atomic_path",
    "check_output_path",
    "make_output_folder",
    "read_table",
    "write_table",
    "write_json",
    "read_json",
    "parse_json",
    "read_yaml",
    "parse_yaml",
    "to_jsonable",
    "TABLE_SUFFIXES",
    "MAX_JSON_BYTES",
    "MAX_YAML_BYTES",
    "MAX_DEPTH",
    "MAX_YAML_NODES",
    "MAX_INT_DIGITS",
]

TABLE_SUFFIXES = (".csv", ".parquet", ".pq")

#: Largest JSON file read (bytes): a fitted model is typically tens of kilobytes.
MAX_JSON_BYTES = 256 * 2**20
#: Largest YAML recipe read (bytes).
MAX_YAML_BYTES = 2**20
#: Deepest nesting of lists / mappings accepted in a JSON or YAML document.
MAX_DEPTH = 64
#: Most nodes a YAML document may hold once its aliases are expanded.
MAX_YAML_NODES = 1_000_000
#: Most digits of an integer in a JSON document.
MAX_INT_DIGITS = 300

# --------------------------------------------------------------------------- writing

# Temporary names: ".<name>.<pid>-<8 hex>.tmp"; ".<name>.<8 chars>.tmp" from earlier versions.
_TMP_RE = r"\.{name}\.(?:(?P<pid>\d+)-)?[A-Za-z0-9_]{{8}}\.tmp"
_ACTIVE: set[str] = set()  # temporary files being written by this process
_LOCK = threading.Lock()
_SIGTERM_DEPTH = 0  # nesting of atomic_path blocks holding the SIGTERM handler (main thread)
_SIGTERM_PREVIOUS: Any = None


def _on_sigterm(signum: int, frame: Any) -> None:
    """Remove the temporary files being written, then exit with status 128 + SIGTERM (143)."""
    # no lock: the handler may interrupt this very thread while it holds _LOCK; copying the
    # set is one step under the interpreter lock
    for tmp in list(_ACTIVE):
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def _sigterm_cleanup() -> Iterator[None]:
    """Hold the SIGTERM handler while writing (main thread, default handler only)."""
    global _SIGTERM_DEPTH, _SIGTERM_PREVIOUS
    install = threading.current_thread() is threading.main_thread()
    if install and _SIGTERM_DEPTH == 0:
        previous = signal.getsignal(signal.SIGTERM)
        install = previous == signal.SIG_DFL
        if install:
            signal.signal(signal.SIGTERM, _on_sigterm)
            _SIGTERM_PREVIOUS = previous
    if install:
        _SIGTERM_DEPTH += 1
    try:
        yield
    finally:
        if install:
            _SIGTERM_DEPTH -= 1
            if _SIGTERM_DEPTH == 0:
                signal.signal(signal.SIGTERM, _SIGTERM_PREVIOUS)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process's own files are checked against _ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _remove_stale_temps(path: Path, started: float) -> None:
    """Remove temporary files for ``path`` left by a killed writer (our naming pattern only).

    A file is stale when it is older than ``started`` and the process that created it
    (recorded in its name) is gone.
    """
    pattern = re.compile(_TMP_RE.format(name=re.escape(path.name)))
    try:
        candidates = glob.glob(glob.escape(str(path.parent / f".{path.name}.")) + "*.tmp")
    except OSError:  # pragma: no cover - unreadable folder: nothing to clean
        return
    with _LOCK:
        active = {os.path.basename(tmp) for tmp in _ACTIVE}  # names are unique (pid + random)
    for name in candidates:
        match = pattern.fullmatch(os.path.basename(name))
        if match is None or os.path.basename(name) in active:
            continue
        pid = match.group("pid")
        if pid is not None and _pid_alive(int(pid)):
            continue
        with contextlib.suppress(OSError):
            if os.lstat(name).st_mtime < started:
                os.unlink(name)


_MKDIR_HINT = "create it first, or ask for it to be created (parents=True; on the command line --mkdir)"


def check_output_path(path: str | os.PathLike, *, parents: bool = False) -> Path:
    """Check that the file ``path`` can be written: its folder exists and it is not a folder.

    Writers call this before any work, so a wrong output path fails at once.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    parents : bool, default False
        Create the missing folders; otherwise a missing folder is an error.

    Raises
    ------
    DataError
        Missing folder (without ``parents``), a file where a folder should be, ``path``
        being a folder, or a folder that cannot be created.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> check_output_path(d / "new" / "x.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    synthkit.errors.DataError: cannot write ...: the folder ... does not exist; create it first, ...
    >>> check_output_path(d / "new" / "x.csv", parents=True).parent.is_dir()
    True
    """
    path = Path(path)
    try:
        return _check_output_path(path, parents)
    except OSError as exc:  # e.g. a name too long for the file system
        raise DataError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None


def _check_output_path(path: Path, parents: bool) -> Path:
    folder = path.parent
    if folder.is_dir():
        if path.is_dir():
            raise DataError(f"cannot write {str(path)!r}: it is a folder; give a file name")
        if path.exists() and not path.is_file():
            raise DataError(f"cannot write {str(path)!r}: it is not a regular file (a device, pipe "
                            "or socket would be replaced); give a file name")
        return path
    if folder.exists() or any(p.exists() and not p.is_dir() for p in folder.parents):
        raise DataError(f"cannot write {str(path)!r}: {str(folder)!r} is not a folder")
    if not parents:
        raise DataError(f"cannot write {str(path)!r}: the folder {str(folder)!r} does not exist; "
                        + _MKDIR_HINT)
    folder.mkdir(parents=True, exist_ok=True)
    return path


def make_output_folder(folder: str | os.PathLike, *, parents: bool = False) -> Path:
    """Create the output folder ``folder`` if missing; its parent must exist unless ``parents``.

    For commands whose output is a folder (``--out DIR``): the folder itself is
    created, a missing parent is an error unless ``parents=True``.

    Raises
    ------
    DataError
        Missing parent (without ``parents``), ``folder`` being a file, or a folder that
        cannot be created.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> make_output_folder(d / "out").is_dir()
    True
    """
    folder = Path(folder)
    if folder.is_dir():
        return folder
    if folder.exists():
        raise DataError(f"cannot write into {str(folder)!r}: it is a file, not a folder")
    check_output_path(folder, parents=parents)  # the parent must exist (or be created)
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create the folder {str(folder)!r}: {exc.strerror or exc}") from None
    return folder


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, parents: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    The temporary file ``.<name>.<pid>-<random>.tmp`` is created with mode ``0o666``
    minus the umask (the mode an ordinary ``open(path, "w")`` gives), so the renamed
    file has the usual permissions; when ``path`` already exists the temporary file
    gets its permission bits (``st_mode & 0o7777``) from the start, so overwriting
    never widens who can read the file. On any exception, and on ``SIGTERM`` while the
    block runs in the main thread (the process then exits with status 143), the
    temporary file is removed and ``path`` is left as it was; temporary files of
    ``path`` left by a killed process are removed by the next write.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    parents : bool, default False
        Create missing folders; otherwise a missing folder is a :class:`DataError`.

    Raises
    ------
    DataError
        Missing folder, ``path`` is a folder, or the file cannot be created or renamed
        (permissions, read-only file system, disk full, ...).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "a.txt") as tmp:
    ...     _ = tmp.write_text("hi")
    >>> (d / "a.txt").read_text()
    'hi'
    """
    path = Path(path)
    if path.is_symlink():  # write through the link, so it keeps pointing at the new file
        path = Path(os.path.realpath(path))
    started = time.time()
    check_output_path(path, parents=parents)
    try:
        keep_mode: int | None = os.stat(path).st_mode & 0o7777
    except OSError:  # a new file
        keep_mode = None
    _remove_stale_temps(path, started)
    with _sigterm_cleanup():
        for _ in range(100):  # a name clash is vanishingly rare
            tmp = str(path.parent / f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
            with _LOCK:
                _ACTIVE.add(tmp)
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
                try:
                    if keep_mode is not None:  # never wider than the file it replaces
                        os.fchmod(fd, keep_mode | stat.S_IWUSR)  # (the writer reopens it)
                finally:
                    os.close(fd)
                break
            except FileExistsError:
                with _LOCK:
                    _ACTIVE.discard(tmp)
            except OSError as exc:
                with _LOCK:
                    _ACTIVE.discard(tmp)
                raise DataError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
        else:  # pragma: no cover
            raise DataError(f"cannot write {str(path)!r}: no free temporary name in its folder")
        try:
            yield Path(tmp)
            if keep_mode is not None:  # exactly the replaced file's bits
                os.chmod(tmp, keep_mode)
            os.replace(tmp, path)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(exc, OSError):
                raise DataError(f"could not write {str(path)!r}: {exc.strerror or exc}") from None
            raise
        finally:
            with _LOCK:
                _ACTIVE.discard(tmp)


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise DataError(
            f"cannot tell the table format of {str(path)!r}: use a .csv or .parquet file name"
        )
    return suffix


#: an ISO 8601 date, optionally with a time and a UTC offset (what write_table writes)
_ISO_DATE = r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?"
#: values of a text column looked at to decide whether it holds dates
DATE_SAMPLE = 1000


def _parse_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn the text columns of a CSV table whose values are all ISO dates into datetimes.

    A column is tried when its first :data:`DATE_SAMPLE` non-missing values all match an
    ISO 8601 date (``2024-01-31``, ``2024-01-31 12:00:00``, ``2024-01-31T12:00Z``); it is
    converted only if then every non-missing value parses (``pandas.to_datetime`` with
    ``format="ISO8601"``), so a column of mixed text keeps its strings.
    """
    text = [c for c, dt in frame.dtypes.items()
            if pd.api.types.is_object_dtype(dt) or isinstance(dt, pd.StringDtype)]
    for name in text:  # object (pandas 2) or str (pandas 3) columns
        col = frame[name]
        present = col.dropna()
        head = present.iloc[:DATE_SAMPLE]
        if head.empty or not head.map(type).eq(str).all() or not head.str.fullmatch(_ISO_DATE).all():
            continue
        try:
            with warnings.catch_warnings():  # mixed UTC offsets: pandas warns, then keeps objects
                warnings.simplefilter("ignore", FutureWarning)
                parsed = pd.to_datetime(col, format="ISO8601", errors="coerce")
        except (ValueError, TypeError, OverflowError):
            continue
        if pd.api.types.is_datetime64_any_dtype(parsed) and parsed.notna().sum() == len(present):
            frame[name] = parsed
    return frame


#: A number written with a leading zero (``007``, ``01000``): an identifier or a postal code.
_LEADING_ZERO = re.compile(r"\s*[+-]?0\d")
#: Integers above this are not held exactly by a float column (2**53).
MAX_EXACT_FLOAT_INT = 2**53


def _csv_column(raw: pd.Series) -> pd.Series:
    """Type one CSV column read as text (missing cells already NaN), changing no value.

    Every value ``true``/``false`` (any case): booleans. Every value a number: numbers
    (``int64`` when all are integers and none is missing). Otherwise text, kept as
    written; so are numbers written with a leading zero (identifiers, postal codes) and
    integers too long for 64 bits. Integers beyond 2**53 in a column with missing cells
    would lose digits as floats: an error.
    """
    present = raw.dropna()
    if present.empty:
        return pd.Series(np.nan, index=raw.index, dtype=float, name=raw.name)
    if present.str.lower().isin(("true", "false")).all():
        flags = raw.str.lower().map({"true": True, "false": False})
        return flags.astype(bool) if len(present) == len(raw) else flags.astype(object)
    if present.str.match(_LEADING_ZERO).any():
        return raw
    try:
        numbers = pd.to_numeric(present)
    except (ValueError, TypeError):
        return raw
    if numbers.dtype == object:  # integers beyond 64 bits
        return raw
    if numbers.dtype.kind in "iu":
        if len(present) == len(raw):
            return numbers
        if (numbers.abs() > MAX_EXACT_FLOAT_INT).any():
            raise DataError(f"column {raw.name!r} holds integers beyond 2**53 and missing cells: a "
                            "float column cannot hold them exactly; write the table as Parquet")
    # numpy's conversion rounds correctly; pandas 2's to_numeric may miss the last digit
    return raw.astype(float)


def _read_csv(path: Path) -> pd.DataFrame:
    """A CSV table: header names unique, values typed by :func:`_csv_column`, ISO dates parsed."""
    with open(path, newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh), [])
    seen: set[str] = set()
    twice = sorted({h for h in header if h in seen or seen.add(h)})
    if twice:
        raise DataError(f"{str(path)!r}: column name(s) {', '.join(map(repr, twice))} appear more "
                        "than once in the header; rename them")
    # A row with more fields than the header is an error, never an index column
    # (pandas' default) nor dropped cells (pandas' warning with index_col=False).
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        raw = pd.read_csv(path, index_col=False, dtype=str)
    return _parse_dates(pd.DataFrame({name: _csv_column(raw[name]) for name in raw.columns},
                                     index=raw.index))


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame, with a clear error if it cannot be read.

    CSV has no column types (:func:`_csv_column`). Empty fields and pandas' missing-value
    texts (``NA``, ``N/A``, ``NULL``, ``NaN``, ...; R writes ``NA``) are missing: keep a
    text such as the country code ``NA`` in a Parquet file. Numbers written with leading
    zeros stay text; text columns holding only ISO 8601 dates are read as datetimes
    (:func:`_parse_dates`), so a table written by :func:`write_table` reads back with its
    types. A header naming a column twice is an error. Parquet keeps its own types; a
    named index (pandas' ``to_parquet`` writes one) comes back as a column.
    """
    path = Path(path)
    suffix = _suffix(path)
    if not path.is_file():
        raise DataError(f"no such data file: {str(path)!r}")
    try:
        if suffix == ".csv":
            return _read_csv(path)
        frame = pd.read_parquet(path)
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes one clear error
        raise DataError(f"could not read {str(path)!r} as {suffix[1:]}: {exc}") from None
    if any(n is not None for n in frame.index.names):
        return frame.reset_index()  # a named index is data
    return frame.reset_index(drop=True)


#: Rows per piece of a CSV file written with a progress bar, and the smallest table that shows one.
CSV_PIECE_ROWS = 100_000
WRITE_PROGRESS_MIN_ROWS = 250_000


def write_table(frame: pd.DataFrame, path: str | os.PathLike, *, parents: bool = False,
                progress: bool | None = False) -> Path:
    """Write ``frame`` to CSV or Parquet (by suffix), atomically (:func:`atomic_path`). Returns the path.

    ``parents=True`` creates missing folders; otherwise a missing folder is a :class:`DataError`.
    ``progress``: a bar over the rows of a CSV file (written in pieces of
    :data:`CSV_PIECE_ROWS` rows, the same bytes as in one piece); ``None`` shows it on a
    terminal for at least :data:`WRITE_PROGRESS_MIN_ROWS` rows.
    """
    from ._progress import progress_bar

    path = Path(path)
    suffix = _suffix(path)
    with atomic_path(path, parents=parents) as tmp:
        if suffix == ".csv":
            n = len(frame)
            bar = progress_bar(total=n, progress=progress, large=n >= WRITE_PROGRESS_MIN_ROWS,
                               desc="write", unit="rows", leave=False)
            with bar, open(tmp, "w", newline="", encoding="utf-8") as fh:
                for start in range(0, max(n, 1), CSV_PIECE_ROWS):
                    piece = frame.iloc[start:start + CSV_PIECE_ROWS]
                    piece.to_csv(fh, index=False, header=start == 0)
                    bar.update(len(piece))
        else:
            frame.to_parquet(tmp, index=False)
    return path


def to_jsonable(obj: Any) -> Any:
    """Recursively convert numpy / pandas values to JSON-able Python values.

    Non-finite floats become the strings ``"inf"``, ``"-inf"`` and ``"nan"`` so
    the output is strict JSON; :func:`from_jsonable_float` reads them back.
    """
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        if math.isfinite(f):
            return f
        return "nan" if math.isnan(f) else ("inf" if f > 0 else "-inf")
    if isinstance(obj, (pd.Timestamp, np.datetime64)):
        return pd.Timestamp(obj).isoformat()
    return obj


def from_jsonable_float(v: Any) -> float:
    """Inverse of :func:`to_jsonable` for one float (accepts "inf", "-inf", "nan")."""
    if isinstance(v, str) and v in ("inf", "-inf", "nan"):
        return float(v)
    return float(v)


def json_text(obj: Any) -> str:
    """``obj`` as the indented strict JSON :func:`write_json` writes (raises on what JSON cannot hold)."""
    return json.dumps(to_jsonable(obj), indent=2, allow_nan=False) + "\n"


def write_text(path: str | os.PathLike, text: str, *, parents: bool = False) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (:func:`atomic_path`)."""
    path = Path(path)
    with atomic_path(path, parents=parents) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def write_json(path: str | os.PathLike, obj: Any, *, parents: bool = False) -> Path:
    """Write ``obj`` as indented strict JSON, atomically (:func:`atomic_path`).

    ``parents=True`` creates missing folders; otherwise a missing folder is a :class:`DataError`.
    """
    return write_text(path, json_text(obj), parents=parents)


# --------------------------------------------------------------------------- bounded reading


def _read_text(path: Path, limit: int, error: type[ModelFileError] | type[RecipeError],
               what: str) -> str:
    """The UTF-8 text of ``path``, refusing files larger than ``limit`` bytes."""
    try:
        if not path.is_file():
            raise error(f"{str(path)!r} is a directory, not a {what}" if path.is_dir()
                        else f"no such {what}: {str(path)!r}")
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise error(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise error(f"{str(path)!r} is larger than {limit:,} bytes, the most a {what} may have")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{str(path)!r} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _check_tree(doc: Any, source: str) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` and unpaired surrogates (iterative walk)."""
    stack = [(doc, 1)]
    while stack:
        obj, depth = stack.pop()
        if isinstance(obj, str):
            if not obj.isascii():
                _check_text(obj, source)
            continue
        if depth > MAX_DEPTH:
            raise ModelFileError(f"{source}: lists or objects nest more than {MAX_DEPTH} levels deep")
        if isinstance(obj, dict):
            stack.extend((k, depth) for k in obj)
            stack.extend((v, depth + 1) for v in obj.values() if isinstance(v, (dict, list, str)))
        else:
            stack.extend((v, depth + 1) for v in obj if isinstance(v, (dict, list, str)))


def _check_text(value: str, source: str, error: type[ModelFileError] | type[RecipeError] = ModelFileError,
                where: str = "") -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise error(f"{source}:{where} the text {value[:40]!r} holds an unpaired surrogate escape "
                    f"({value[exc.start]!r}), which is not a character; fix the escape") from None


def parse_json(text: str, source: str = "<json>") -> Any:
    """Parse JSON text with bounds: size, nesting depth, integer length, no duplicate keys.

    Parameters
    ----------
    text : str
        The document.
    source : str
        Its name in error messages (a file name).

    Raises
    ------
    ModelFileError
        Invalid JSON, more than :data:`MAX_JSON_BYTES` characters, nesting deeper than
        :data:`MAX_DEPTH`, an integer longer than :data:`MAX_INT_DIGITS` digits, or a key
        given twice in one object.

    Examples
    --------
    >>> parse_json('{"a": [1, 2.5, "x"]}')
    {'a': [1, 2.5, 'x']}
    >>> parse_json('{"a": 1, "a": 2}', "m.json")
    Traceback (most recent call last):
    ...
    synthkit.errors.ModelFileError: m.json: key 'a' is given twice in one object; keep one
    """
    if len(text) > MAX_JSON_BYTES:
        raise ModelFileError(f"{source}: larger than {MAX_JSON_BYTES:,} characters, the most "
                             "a JSON document may have")

    def pairs(items: list[tuple[str, Any]]) -> dict:
        out = dict(items)
        if len(out) != len(items):
            seen: set[str] = set()
            dup = next(k for k, _ in items if k in seen or seen.add(k))
            raise ModelFileError(f"{source}: key {dup!r} is given twice in one object; keep one")
        return out

    def integer(digits: str) -> int:
        if len(digits.lstrip("-")) > MAX_INT_DIGITS:
            raise ModelFileError(f"{source}: an integer of {len(digits)} digits is too large "
                                 f"(at most {MAX_INT_DIGITS})")
        return int(digits)

    try:
        doc = json.loads(text, object_pairs_hook=pairs, parse_int=integer)
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{source} is not valid JSON: {exc}") from None
    except RecursionError:
        raise ModelFileError(f"{source}: lists or objects nest more than {MAX_DEPTH} levels "
                             "deep") from None
    if isinstance(doc, (dict, list, str)):
        _check_tree(doc, source)
    return doc


def read_json(
    path: str | os.PathLike,
    *,
    expected_format: str | None = None,
    supported_versions: tuple[int, ...] | None = None,
    text: str | None = None,
) -> dict:
    """Read a JSON document (bounded, see :func:`parse_json`), checking ``format`` and ``format_version``.

    ``text``, when given, is the document itself and ``path`` only names it in messages.

    Raises
    ------
    ModelFileError
        Missing, unreadable or too large file, invalid or too deeply nested JSON, not an
        object, wrong ``format``, or a ``format_version`` this synthkit does not know.

    Examples
    --------
    >>> read_json("<report>", text='{"format": "f", "format_version": 1}', expected_format="f")
    {'format': 'f', 'format_version': 1}
    """
    if text is None and not isinstance(path, (str, os.PathLike)):
        raise ModelFileError(f"expected the path of a file, got {type(path).__name__}")
    name = str(path)
    if text is None:
        text = _read_text(Path(path), MAX_JSON_BYTES, ModelFileError, "file")
    doc = parse_json(text, repr(name))
    if not isinstance(doc, dict):
        raise ModelFileError(f"{name!r} must hold a JSON object, got {type(doc).__name__}")
    if expected_format is not None and doc.get("format") != expected_format:
        raise ModelFileError(
            f"{name!r} is not a {expected_format} file (its `format` is "
            f"{doc.get('format')!r})"
        )
    if supported_versions is not None and doc.get("format_version") not in supported_versions:
        raise ModelFileError(
            f"{name!r} has format_version {doc.get('format_version')!r}; this synthkit "
            f"reads versions {list(supported_versions)}: upgrade synthkit or re-save the model"
        )
    return doc


class _YamlLimit(Exception):
    """A bound of the YAML loader was crossed (message, mark)."""

    def __init__(self, message: str, mark: Any = None) -> None:
        super().__init__(message)
        self.mark = mark


if getattr(yaml, "__with_libyaml__", False):
    from yaml.cyaml import CParser as _CParser

    class _YamlBase(Composer, _CParser, SafeConstructor, Resolver):  # type: ignore[misc]
        """libyaml's event parser, Python's composer (so node building can be bounded)."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
else:  # pragma: no cover - PyYAML without libyaml
    _YamlBase = yaml.SafeLoader  # type: ignore[misc,assignment]


class _BoundedLoader(_YamlBase):  # type: ignore[misc,valid-type]
    """Safe YAML loader that bounds depth and alias expansion and refuses duplicate keys.

    While composing, every node counts once and every alias counts the expanded size
    of the node it names, so the running total is the size of the document with its
    aliases expanded ("billion laughs" is refused after :data:`MAX_YAML_NODES`). The
    nesting depth, including the depth an alias brings, is capped at :data:`MAX_DEPTH`
    before any recursion goes deeper.
    """

    def __init__(self, stream: str, source: str) -> None:
        super().__init__(stream)
        self._source = source
        self._expanded = 0
        self._heights = [0]  # per open node: the largest height among its finished children
        self._anchor_size: dict[str, tuple[int, int]] = {}  # anchor -> (expanded size, height)
        self._dup_checked: set[int] = set()

    def _count(self, n: int, mark: Any) -> None:
        self._expanded += n
        if self._expanded > MAX_YAML_NODES:
            raise _YamlLimit(f"more than {MAX_YAML_NODES:,} values once aliases are expanded "
                             "(nested aliases multiply); write the values out or reuse fewer",
                             mark)

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            if event.anchor in self.anchors:
                if event.anchor not in self._anchor_size:
                    raise _YamlLimit(f"alias *{event.anchor} refers to a value that contains it "
                                     "(a structure cannot contain itself)", event.start_mark)
                size, height = self._anchor_size[event.anchor]
                self._count(size, event.start_mark)
                if len(self._heights) - 1 + height > MAX_DEPTH:
                    raise _YamlLimit(f"lists or mappings nest more than {MAX_DEPTH} levels deep "
                                     f"(through alias *{event.anchor})", event.start_mark)
                self._heights[-1] = max(self._heights[-1], height)
            return super().compose_node(parent, index)
        if len(self._heights) > MAX_DEPTH:
            raise _YamlLimit(f"lists or mappings nest more than {MAX_DEPTH} levels deep",
                             event.start_mark)
        self._count(1, event.start_mark)
        start = self._expanded
        self._heights.append(0)
        node = super().compose_node(parent, index)
        height = self._heights.pop() + 1
        self._heights[-1] = max(self._heights[-1], height)
        if getattr(event, "anchor", None) is not None:
            self._anchor_size[event.anchor] = (self._expanded - start + 1, height)
        return node

    def compose_scalar_node(self, anchor: Any) -> Any:
        node = super().compose_scalar_node(anchor)
        if not node.value.isascii():
            _check_text(node.value, self._source, RecipeError, f" line {node.start_mark.line + 1}:")
        return node

    def flatten_mapping(self, node: MappingNode) -> None:
        # Check a mapping's own keys once, before merge keys (<<) add inherited ones.
        if id(node) not in self._dup_checked:
            self._dup_checked.add(id(node))
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node.start_mark)
                except TypeError:
                    continue  # unhashable: the constructor reports it
                if first is not key_node.start_mark:
                    raise _YamlLimit(f"key {key!r} is given twice (first on line "
                                     f"{first.line + 1}); keep one", key_node.start_mark)
        super().flatten_mapping(node)

    def construct_yaml_int(self, node: Any) -> int:
        # Python's int() of a long digit string is quadratic, and a value beyond a float's
        # range fails later with OverflowError wherever it meets a float
        if len(node.value.replace("_", "").lstrip("+-")) > MAX_INT_DIGITS:
            raise _YamlLimit(f"an integer has more than {MAX_INT_DIGITS} digits", node.start_mark)
        return super().construct_yaml_int(node)


_BoundedLoader.add_constructor("tag:yaml.org,2002:int", _BoundedLoader.construct_yaml_int)


def parse_yaml(text: str, source: str = "<yaml>") -> Any:
    """Parse YAML text safely and with bounds (no code is ever executed).

    Only plain data is built (PyYAML's safe constructors). The document may be at most
    :data:`MAX_YAML_BYTES` characters, nest at most :data:`MAX_DEPTH` levels and expand
    to at most :data:`MAX_YAML_NODES` values through its aliases; a mapping may not give
    a key twice.

    Raises
    ------
    RecipeError
        Naming ``source`` (and the line when known) and what to fix.

    Examples
    --------
    >>> parse_yaml("rows: 10\\nseed: 1")
    {'rows': 10, 'seed': 1}
    >>> parse_yaml("rows: 10\\nrows: 20", "r.yaml")
    Traceback (most recent call last):
    ...
    synthkit.errors.RecipeError: r.yaml: line 2: key 'rows' is given twice (first on line 1); keep one
    """
    if len(text) > MAX_YAML_BYTES:
        raise RecipeError(f"{source}: larger than {MAX_YAML_BYTES:,} characters, the most a "
                          "recipe may have")
    loader = _BoundedLoader(text, source)
    try:
        return loader.get_single_data()
    except _YamlLimit as exc:
        line = "" if exc.mark is None else f" line {exc.mark.line + 1}:"
        raise RecipeError(f"{source}:{line} {exc}") from None
    except yaml.YAMLError as exc:
        raise RecipeError(f"{source}: not valid YAML: "
                          + str(exc).replace('"<unicode string>"', source)) from None
    except (ValueError, TypeError, KeyError, OverflowError, RecursionError) as exc:
        # PyYAML's constructors let these through for bad escapes ("\\U0011ffff"),
        # impossible dates (2020-13-45), "!!int abc", "!!bool x", ...
        raise RecipeError(f"{source}: not valid YAML: a value cannot be read "
                          f"({type(exc).__name__}: {exc}); check quoting, escapes and tags") from None
    finally:
        loader.dispose()


def read_yaml(path: str | os.PathLike) -> Any:
    """Read a YAML file with :func:`parse_yaml` (at most :data:`MAX_YAML_BYTES` bytes).

    Raises
    ------
    RecipeError
        Missing, unreadable, too large or not UTF-8 file, or a :func:`parse_yaml` error.
    """
    path = Path(path)
    return parse_yaml(_read_text(path, MAX_YAML_BYTES, RecipeError, "recipe file"), str(path))
