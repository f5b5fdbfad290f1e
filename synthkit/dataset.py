"""The dataset type every tabular strategy returns."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .io import write_json, write_table
from .schema import Schema

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
