"""The on-disk layout of a partitioned Parquet dataset: part names, the manifest, the completion marker.

``synthkit.scale.sample_to_parquet`` writes it; its restarts, ``synthkit.scale.read_dataset`` and
validation of a partitioned table read it::

    part-00000.parquet ... part-NNNNN.parquet    one per partition, in row order
    _manifest.json                               the manifest (JSON), written after the parts
    _SUCCESS                                     written last: the dataset is complete

The manifest is data: it is read with the bounded JSON reader of :mod:`synthkit.io`.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from .errors import DataError, ModelFileError
from .io import parse_json, read_json

__all__ = ["MANIFEST", "SUCCESS", "FORMAT", "FORMAT_VERSION", "PART_RE", "FOOTER_KEY", "read_manifest",
           "has_footer_entry", "read_footer", "check_part"]

#: The manifest's file name.
MANIFEST = "_manifest.json"
#: Written last (JSON: the manifest's name, sha256 and the rows): its presence marks a complete dataset.
SUCCESS = "_SUCCESS"
#: The manifest's ``format`` field.
FORMAT = "synthkit-parquet"
#: Version of the manifest and footer format.
FORMAT_VERSION = 1
#: The name of part ``i``: ``part-`` and at least five digits.
PART_RE = re.compile(r"part-(\d{5,})\.parquet")
#: The key of a part's entry in its Parquet footer's key-value metadata.
FOOTER_KEY = b"synthkit"
#: The most bytes read from ``_SUCCESS`` (a few lines of JSON).
_SUCCESS_MAX_BYTES = 2**16


def read_manifest(path: str | os.PathLike) -> dict | None:
    """The manifest of the complete dataset in ``path`` (None without ``_SUCCESS``).

    Raises
    ------
    DataError
        An unreadable, oversized or malformed manifest, one of a format version this
        synthkit does not know, one whose sha256 is not the one ``_SUCCESS`` records
        (edited or replaced), or one listing a part twice.

    Examples
    --------
    >>> import tempfile
    >>> read_manifest(tempfile.mkdtemp()) is None
    True
    """
    path = Path(path)
    if not (path / SUCCESS).is_file():
        return None
    file = path / MANIFEST
    rewrite = "re-run sample_to_parquet to rewrite the dataset"
    try:
        doc = read_json(file, expected_format=FORMAT, supported_versions=(FORMAT_VERSION,))
        with open(path / SUCCESS, "rb") as fh:
            text = fh.read(_SUCCESS_MAX_BYTES + 1).decode("utf-8", "replace")
        marker = parse_json(text, str(path / SUCCESS))
    except ModelFileError as exc:
        raise DataError(f"{exc}; {rewrite}") from None
    except OSError as exc:
        raise DataError(f"cannot read {str(path / SUCCESS)!r} ({exc}); {rewrite}") from None
    with open(file, "rb") as fh:  # read_json bounded its size
        digest = hashlib.sha256(fh.read()).hexdigest()
    if not isinstance(marker, dict) or marker.get("sha256") != digest:
        raise DataError(f"{str(file)!r} is not the manifest its {SUCCESS} marker records (edited or "
                        f"replaced); {rewrite}")
    parts = doc.get("parts")
    if not isinstance(parts, list) or not all(isinstance(p, dict) and isinstance(p.get("name"), str)
                                              and PART_RE.fullmatch(p["name"]) for p in parts):
        raise DataError(f"{str(file)!r} is not a synthkit dataset manifest: its `parts` must list "
                        "part files named part-NNNNN.parquet")
    names = [p["name"] for p in parts]
    if len(set(names)) != len(names):
        raise DataError(f"{str(file)!r} lists a part more than once; {rewrite}")
    return doc


def has_footer_entry(file: str | os.PathLike) -> bool:
    """Whether the Parquet file carries a ``synthkit`` footer entry (a part this writer made).

    False for a file pyarrow cannot read as Parquet.

    Examples
    --------
    >>> import tempfile, pyarrow as pa, pyarrow.parquet as pq
    >>> f = tempfile.mkdtemp() + "/part-00000.parquet"
    >>> pq.write_table(pa.table({"x": [1.0]}), f)
    >>> has_footer_entry(f)
    False
    """
    import pyarrow.parquet as pq

    try:
        return FOOTER_KEY in (pq.read_metadata(file).metadata or {})
    except Exception:  # noqa: BLE001 - pyarrow raises several types for a broken footer
        return False


def read_footer(file: str | os.PathLike) -> tuple[dict, int]:
    """A part's footer entry (parsed with the bounded JSON reader) and its row count.

    Raises whatever pyarrow raises for a missing or broken file, ``KeyError`` without an entry.
    """
    import pyarrow.parquet as pq

    md = pq.read_metadata(file)
    return parse_json((md.metadata or {})[FOOTER_KEY].decode("utf-8"), f"the footer of {file}"), md.num_rows


def check_part(file: str | os.PathLike, entry: dict) -> None:
    """Refuse a part whose footer entry is not the one the manifest lists for it.

    The footer's spec hash, rows and data hash and the file's row count must equal the
    manifest entry's: a part copied over another, one from another run, or one rewritten
    without its entry is a :class:`~synthkit.errors.DataError` when read, never data. (A
    value edited in place under an unchanged footer is found by re-hashing:
    ``sample_to_parquet(..., verify=True)`` or ``dataset_hash``.)

    Examples
    --------
    >>> import tempfile, pyarrow as pa, pyarrow.parquet as pq
    >>> f = tempfile.mkdtemp() + "/part-00000.parquet"
    >>> pq.write_table(pa.table({"x": [1.0]}), f)
    >>> check_part(f, {"name": "part-00000.parquet", "rows": 1, "spec": "s", "data_hash": "h"})
    Traceback (most recent call last):
    ...
    synthkit.errors.DataError: the part ... is not the part the manifest lists ...
    """
    rewrite = "re-run sample_to_parquet with the same arguments to rewrite it"
    try:
        footer, rows = read_footer(file)
    except Exception:  # noqa: BLE001 - missing, truncated, foreign or without an entry
        footer, rows = None, None
    if (not isinstance(footer, dict) or rows != entry.get("rows")
            or any(footer.get(k) != entry.get(k) for k in ("spec", "rows", "data_hash"))):
        raise DataError(f"the part {str(file)!r} is not the part the manifest lists under that name "
                        "(unreadable, from another run, or copied over it); " + rewrite)
