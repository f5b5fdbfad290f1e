"""The dataset type every tabular strategy returns."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import ModelFileError, SpecError
from .io import read_json, read_table, write_json, write_table
from .schema import Schema, cast_series

__all__ = ["SyntheticDataset"]


@dataclass
class SyntheticDataset:
    """A synthetic table with its schema and provenance.

    Attributes
    ----------
    frame : pandas.DataFrame
        The synthetic rows, with the schema's column order and dtypes.
    schema : Schema
        The schema of the fitted or declared table.
    provenance : dict
        ``strategy``, ``params``, ``n``, ``seed`` (entropy and spawn key of the
        root seed sequence), ``synthkit_version`` and any strategy notes.

    Examples
    --------
    >>> import synthkit, pandas as pd
    >>> m = synthkit.fit(pd.DataFrame({"x": [0.1, 0.5, 0.9, 1.3, 2.0]}))
    >>> ds = m.sample(10, seed=0)
    >>> ds.frame.shape
    (10, 1)
    """

    frame: pd.DataFrame
    schema: Schema
    provenance: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.frame)

    def to_frame(self) -> pd.DataFrame:
        """The synthetic table (same object as :attr:`frame`)."""
        return self.frame

    def save(self, path: str | os.PathLike) -> Path:
        """Write the table (CSV or Parquet, by suffix) and ``<path>.meta.json``, atomically."""
        path = Path(path)
        write_table(self.frame, path)
        write_json(
            path.with_name(path.name + ".meta.json"),
            {
                "format": "synthkit-dataset",
                "format_version": 1,
                "schema": self.schema.to_dict(),
                "provenance": self.provenance,
            },
        )
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> SyntheticDataset:
        """Read a dataset written by :meth:`save`: the table and its ``<path>.meta.json``.

        Each column is cast back to its schema dtype (a CSV file stores text), so the
        frame has the dtypes it was saved with.

        Raises
        ------
        ModelFileError
            A missing or malformed ``.meta.json``, or a table whose columns are not
            the schema's.

        Examples
        --------
        >>> import tempfile, pathlib, synthkit, pandas as pd
        >>> ds = synthkit.fit(pd.DataFrame({"x": [0.1, 0.5, 0.9, 1.3, 2.0]})).sample(10, seed=0)
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     back = SyntheticDataset.load(ds.save(pathlib.Path(tmp) / "s.csv"))
        >>> back.frame.equals(ds.frame)
        True
        """
        path = Path(path)
        meta = read_json(path.with_name(path.name + ".meta.json"),
                         expected_format="synthkit-dataset", supported_versions=(1,))
        try:
            schema = Schema.from_dict(meta.get("schema"))
        except SpecError as exc:
            raise ModelFileError(f"{str(path)!r}: malformed dataset schema: {exc}") from None
        frame = read_table(path)
        frame.columns = [str(c) for c in frame.columns]
        if list(frame.columns) != schema.names:
            raise ModelFileError(f"{str(path)!r}: columns {list(frame.columns)} are not the "
                                 f"schema's {schema.names}")
        for col in schema:
            frame[col.name] = cast_series(frame[col.name], col)
        provenance = meta.get("provenance")
        return cls(schema.relabel(frame), schema, provenance if isinstance(provenance, dict) else {})
