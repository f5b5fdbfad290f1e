"""The dataset type every tabular strategy returns."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import ModelFileError, SpecError
from .io import read_json, read_table, write_json, write_table
from .schema import Column, Schema, cast_series

__all__ = ["SyntheticDataset", "RulesReport"]


@dataclass
class RulesReport:
    """What a sample's rules cost and changed (``SyntheticDataset.rules_report``).

    Attributes
    ----------
    rules : list of dict
        Per rule: ``rule`` (its text), ``kind`` (``"hard"``, ``"soft"``, ``"bound"``: a hard
        bound on one column drawn exactly, without rejection, or ``"derived"``), ``share``
        (the share of the drawn rows satisfying it, before soft rules' keep draws), ``keep``
        (soft rules) and ``mass`` (bounds: the model's probability of the bound).
    drawn, accepted, rows : int
        Rows drawn over all rounds, rows the rules accepted among them, rows returned.
    rounds, blocks, pilot_rows : int
        Rounds of draws over all blocks, blocks, rows of the pilot round (0: none).
    first : (DataFrame, ndarray) or None
        The first round of the first block: its drawn rows and the accepted mask, from
        which :meth:`shift` measures how much filtering moved each column.

    Examples
    --------
    >>> import synthkit
    >>> m = synthkit.declare({"x": {"distribution": "normal"}}, rules=["x > 0"], strategy="montecarlo")
    >>> r = m.sample(1000, seed=0).rules_report
    >>> r.rows, r.accepted >= 1000, round(r.rules[0]["share"], 1)
    (1000, True, 0.5)
    """

    rules: list[dict]
    drawn: int = 0
    accepted: int = 0
    rows: int = 0
    rounds: int = 0
    blocks: int = 0
    pilot_rows: int = 0
    first: tuple | None = field(default=None, repr=False)
    columns: list[str] = field(default_factory=list, repr=False)
    _shift: pd.DataFrame | None = field(default=None, init=False, repr=False)

    @property
    def acceptance(self) -> float:
        """Share of the drawn rows the rules accepted."""
        return self.accepted / self.drawn if self.drawn else float("nan")

    def to_frame(self) -> pd.DataFrame:
        """One row per rule: ``kind``, ``share`` of drawn rows satisfying it, ``keep``, ``mass``."""
        frame = pd.DataFrame(self.rules, columns=["rule", "kind", "share", "keep", "mass", "column"])
        return frame.dropna(axis=1, how="all").set_index("rule")

    def shift(self) -> pd.DataFrame:
        """How much filtering moved each column's marginal, on the first round of the first block.

        Per column, between the drawn rows and the accepted ones: the two-sample
        Kolmogorov-Smirnov distance ``sup_x |F_drawn(x) - F_accepted(x)|`` for numeric and
        date columns, the total variation ``1/2 sum_v |p_drawn(v) - p_accepted(v)|`` for
        categorical, boolean and text columns (missing values count as a value; numeric
        distances use the observed values).
        """
        if self._shift is None:
            rows = []
            if self.first is not None:
                frame, keep = self.first
                keep = np.asarray(keep, dtype=bool)
                for c in self.columns:
                    measure, value = _shift_of(frame[c], keep)
                    rows.append({"column": c, "measure": measure, "value": value,
                                 "drawn": int(keep.size), "accepted": int(keep.sum())})
            self._shift = pd.DataFrame(rows, columns=["column", "measure", "value", "drawn", "accepted"]
                                       ).set_index("column")
        return self._shift

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able record (for provenance and ``.meta.json``)."""
        from .io import to_jsonable

        shift = self.shift()
        return to_jsonable({
            "rules": self.rules, "drawn": self.drawn, "accepted": self.accepted, "rows": self.rows,
            "rounds": self.rounds, "blocks": self.blocks, "pilot_rows": self.pilot_rows,
            "shift": [{"column": c, **r} for c, r in shift.to_dict(orient="index").items()],
        })

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RulesReport:
        """The report :meth:`to_dict` wrote (the shift as recorded)."""
        out = cls([dict(r) for r in d.get("rules", []) if isinstance(r, dict)],
                  **{k: int(d.get(k, 0)) for k in ("drawn", "accepted", "rows", "rounds", "blocks",
                                                    "pilot_rows")})
        shift = pd.DataFrame([r for r in d.get("shift", []) if isinstance(r, dict)],
                             columns=["column", "measure", "value", "drawn", "accepted"])
        out._shift = shift.set_index("column")
        return out

    def __str__(self) -> str:
        lines = [f"rules: {self.accepted:,} of {self.drawn:,} drawn rows accepted ({self.acceptance:.1%}), "
                 f"{self.rows:,} returned, {self.rounds} round(s) in {self.blocks} block(s)"]
        for r in self.rules:
            if r["kind"] == "derived":
                lines.append(f"  derived  {r['rule']}")
                continue
            extra = (f", keep {r['keep']:g}" if r["kind"] == "soft"
                     else f", drawn exactly (model mass {r['mass']:.1%})" if r["kind"] == "bound" else "")
            lines.append(f"  {r['kind']:<7}  {r['rule']}: holds on {r['share']:.1%} of drawn rows{extra}")
        shift = self.shift()
        if len(shift):
            worst = shift.sort_values("value", ascending=False).head(5)
            moved = ", ".join(f"{c} {row.measure} {row.value:.3f}" for c, row in worst.iterrows())
            lines.append(f"  filtering moved (first round, drawn vs accepted): {moved}")
        return "\n".join(lines)


def _shift_of(s: pd.Series, keep: np.ndarray) -> tuple[str, float]:
    """KS distance (numeric, dates) or total variation (labels) between ``s`` and ``s[keep]``."""
    from scipy import stats

    if not keep.any():
        return "none", float("nan")
    dtype = s.dtype
    numeric = (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
               and not isinstance(dtype, pd.CategoricalDtype))
    if numeric or pd.api.types.is_datetime64_any_dtype(dtype):
        if numeric:
            x = s.to_numpy(dtype=float, na_value=np.nan)
        else:
            t = s.dt.tz_convert(None) if getattr(s.dt, "tz", None) is not None else s
            x = t.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
            x[t.isna().to_numpy()] = np.nan
        ok = ~np.isnan(x)
        a, b = x[ok], x[ok & keep]
        if a.size == 0 or b.size == 0:
            return "ks", float("nan")
        return "ks", float(stats.ks_2samp(a, b).statistic)
    codes, _ = pd.factorize(s.astype(object), use_na_sentinel=False)
    k = int(codes.max()) + 1 if codes.size else 0
    p = np.bincount(codes, minlength=k) / codes.size
    q = np.bincount(codes[keep], minlength=k) / keep.sum()
    return "tv", float(0.5 * np.abs(p - q).sum())


def _cast_losslessly(values: pd.Series, col: Column, path: Path) -> pd.Series:
    """Cast a column read back to the dtype its metadata records, refusing a lossy cast.

    The metadata is a file: an integer dtype for fractions (``int8`` for ``-0.597``) would
    truncate them, one for labels would fail deep in pandas.
    """
    try:
        out = cast_series(values, col)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ModelFileError(f"{str(path)!r}: column {col.name!r} cannot be read as the metadata's "
                             f"dtype {col.dtype!r}: {exc}") from None
    if pd.api.types.is_float_dtype(values.dtype) and pd.api.types.is_integer_dtype(out.dtype):
        before = values.to_numpy(dtype=float, na_value=np.nan)
        after = out.to_numpy(dtype=float, na_value=np.nan)
        if not np.array_equal(before, after, equal_nan=True):
            raise ModelFileError(f"{str(path)!r}: column {col.name!r} does not fit the metadata's "
                                 f"dtype {col.dtype!r} (its values would change)")
    return out


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
    rules_report : RulesReport or None
        For a model with rules: rows drawn and accepted, each rule's share, and how much
        filtering moved each column (saved in ``.meta.json`` as provenance ``rules``).

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
    rules_report: RulesReport | None = None

    def __len__(self) -> int:
        return len(self.frame)

    def to_frame(self) -> pd.DataFrame:
        """The synthetic table (same object as :attr:`frame`)."""
        return self.frame

    def save(self, path: str | os.PathLike, *, parents: bool = False,
             progress: bool | None = False) -> Path:
        """Write the table (CSV or Parquet, by suffix) and ``<path>.meta.json``, atomically.

        ``parents=True`` creates a missing folder (and its parents) first; ``progress``
        shows a bar over the rows of a CSV file (:func:`synthkit.io.write_table`).
        """
        path = Path(path)
        write_table(self.frame, path, parents=parents, progress=progress)
        write_json(
            path.with_name(path.name + ".meta.json"),
            {
                "format": "synthkit-dataset",
                "format_version": 1,
                "schema": self.schema.to_dict(),
                "provenance": (self.provenance if self.rules_report is None
                               else {**self.provenance, "rules": self.rules_report.to_dict()}),
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
        if not isinstance(path, (str, os.PathLike)):
            raise ModelFileError(f"expected the path of a saved dataset, got {type(path).__name__}")
        path = Path(path)
        meta_path = path.with_name(path.name + ".meta.json")
        try:
            alone = path.is_file() and not meta_path.exists()
        except OSError:  # (a name too long: read_json says so)
            alone = False
        if alone:
            raise ModelFileError(f"{str(path)!r} has no {meta_path.name!r} next to it: a dataset is read "
                                 "with the metadata SyntheticDataset.save writes (a model file is read "
                                 "with synthkit.load)")
        meta = read_json(meta_path, expected_format="synthkit-dataset", supported_versions=(1,))
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
            frame[col.name] = _cast_losslessly(frame[col.name], col, path)
        provenance = meta.get("provenance")
        provenance = provenance if isinstance(provenance, dict) else {}
        report = provenance.get("rules")
        report = RulesReport.from_dict(report) if isinstance(report, dict) else None
        return cls(schema.relabel(frame), schema, provenance, report)
