"""Reading and writing tables and JSON model files, atomically and without code execution.

* Tables: CSV and Parquet (pyarrow), chosen by file suffix.
* Models, datasets' metadata, archetypes: JSON with a ``format`` name and a
  ``format_version``; loading never executes code (no pickle, no ``eval``).
* Every output is written to a temporary name in the target folder and renamed
  into place (:func:`atomic_path`), so a failure never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError, ModelFileError

__all__ = [
    "atomic_path",
    "read_table",
    "write_table",
    "write_json",
    "read_json",
    "to_jsonable",
    "TABLE_SUFFIXES",
]

TABLE_SUFFIXES = (".csv", ".parquet", ".pq")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On any exception the temporary file is removed and ``path`` is left as it was.

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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise DataError(
            f"cannot tell the table format of {str(path)!r}: use a .csv or .parquet file name"
        )
    return suffix


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame, with a clear error if it cannot be read."""
    path = Path(path)
    suffix = _suffix(path)
    if not path.is_file():
        raise DataError(f"no such data file: {str(path)!r}")
    try:
        if suffix == ".csv":
            return pd.read_csv(path)
        return pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes one clear error
        raise DataError(f"could not read {str(path)!r} as {suffix[1:]}: {exc}") from None


def write_table(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``frame`` to CSV or Parquet (by suffix), atomically. Returns the path."""
    path = Path(path)
    suffix = _suffix(path)
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            frame.to_csv(tmp, index=False)
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


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as indented strict JSON, atomically."""
    path = Path(path)
    text = json.dumps(to_jsonable(obj), indent=2, allow_nan=False)
    with atomic_path(path) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")
    return path


def read_json(
    path: str | os.PathLike,
    *,
    expected_format: str | None = None,
    supported_versions: tuple[int, ...] | None = None,
) -> dict:
    """Read a JSON document, checking its ``format`` and ``format_version`` fields.

    Raises
    ------
    ModelFileError
        Missing or unreadable file, invalid JSON, not an object, wrong ``format``,
        or a ``format_version`` this synthkit does not know.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"no such file: {str(path)!r}")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{str(path)!r} is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ModelFileError(f"{str(path)!r} must hold a JSON object, got {type(doc).__name__}")
    if expected_format is not None and doc.get("format") != expected_format:
        raise ModelFileError(
            f"{str(path)!r} is not a {expected_format} file (its `format` is "
            f"{doc.get('format')!r})"
        )
    if supported_versions is not None and doc.get("format_version") not in supported_versions:
        raise ModelFileError(
            f"{str(path)!r} has format_version {doc.get('format_version')!r}; this synthkit "
            f"reads versions {list(supported_versions)}: upgrade synthkit or re-save the model"
        )
    return doc
