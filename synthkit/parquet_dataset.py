"""The on-disk layout of a partitioned Parquet dataset: part names, the manifest, the completion marker.

``synthkit.scale.sample_to_parquet`` writes it; its restarts, ``synthkit.scale.read_dataset`` and
validation of a partitioned table read it::

    part-00000.parquet ... part-NNNNN.parquet    one per partition, in row order
    _manifest.json                               the manifest (JSON), written after the parts
    _SUCCESS                                     written last: the dataset is complete

The manifest is data: it is read with the bounded JSON reader of :mod:`synthkit.io`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import DataError, ModelFileError
from .io import read_json

__all__ = ["MANIFEST", "SUCCESS", "FORMAT", "FORMAT_VERSION", "PART_RE", "read_manifest"]

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


def read_manifest(path: str | os.PathLike) -> dict | None:
    """The manifest of the complete dataset in ``path`` (None without ``_SUCCESS``).

    Raises
    ------
    DataError
        An unreadable, oversized or malformed manifest, or one of a format version this
        synthkit does not know.

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
    try:
        doc = read_json(file, expected_format=FORMAT, supported_versions=(FORMAT_VERSION,))
    except ModelFileError as exc:
        raise DataError(f"{exc}; re-run sample_to_parquet to rewrite the dataset") from None
    parts = doc.get("parts")
    if not isinstance(parts, list) or not all(isinstance(p, dict) and isinstance(p.get("name"), str)
                                              and PART_RE.fullmatch(p["name"]) for p in parts):
        raise DataError(f"{str(file)!r} is not a synthkit dataset manifest: its `parts` must list "
                        "part files named part-NNNNN.parquet")
    return doc
