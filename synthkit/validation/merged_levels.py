"""Compare a reference table the way the model saw it: its rare levels merged.

A model fitted with ``privacy="standard"`` (the default) merges the levels of a
categorical column held by fewer than ``k = min_count`` rows into one new level,
``"other"`` (:func:`synthkit.privacy.protect_frame`), and its samples say so in their
provenance (``provenance["merged_levels"]``: column, merged level, ``k``; never the
merged labels; a partitioned dataset of :func:`synthkit.scale.sample_to_parquet` in its
manifest). Compared with the raw reference, every synthetic ``"other"`` would be a
label the reference lacks and every rare level a label the synthetic table lacks, so a
faithful sample of a long-tailed column would fail ``unseen_category_rate``. The
reference (and the holdout) is therefore compared after the same rule: a level held by
fewer than ``k`` reference rows becomes the merged level,

    x -> into   if  #{reference rows with label x} < k   (x != into),

and the report's ``meta["merged_levels"]`` states, per column, how many levels and rows
moved. A holdout label that the reference does not keep (rare there, or absent) moves
the same way. A synthetic table without that provenance (a plain ``DataFrame``) is
compared with the raw reference, so an invented ``"other"`` is still an unseen label.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..errors import DataError

#: Largest ``min_count`` read from a synthetic table's provenance (a file is data).
MAX_MIN_COUNT = 1_000_000


def merged_levels_of(synthetic: Any) -> list[dict]:
    """The ``merged_levels`` records of a synthetic dataset's provenance, checked.

    Parameters
    ----------
    synthetic : object
        A synthetic dataset, or a partitioned table read from a synthkit manifest (anything
        with a ``provenance`` mapping); other objects have none.

    Returns
    -------
    list of dict
        ``{"column": str, "into": str, "min_count": int}`` per merged column.

    Raises
    ------
    DataError
        A malformed record (it may come from a ``.meta.json`` file).

    Examples
    --------
    >>> class Sample:
    ...     provenance = {"merged_levels": [{"column": "city", "into": "other", "min_count": 5}]}
    >>> merged_levels_of(Sample())
    [{'column': 'city', 'into': 'other', 'min_count': 5}]
    """
    provenance = getattr(synthetic, "provenance", None)
    records = provenance.get("merged_levels") if isinstance(provenance, dict) else None
    if records is None:
        return []
    if not isinstance(records, list):
        raise DataError("the synthetic table's provenance `merged_levels` must be a list")
    out = []
    for r in records:
        ok = (isinstance(r, dict) and isinstance(r.get("column"), str) and isinstance(r.get("into"), str)
              and isinstance(r.get("min_count"), int) and not isinstance(r.get("min_count"), bool)
              and 1 <= r["min_count"] <= MAX_MIN_COUNT)
        if not ok:
            raise DataError("a `merged_levels` record of the synthetic table's provenance must be "
                            f"{{'column': str, 'into': str, 'min_count': 1..{MAX_MIN_COUNT}}}, "
                            f"got {r!r:.200}")
        out.append({"column": r["column"], "into": r["into"], "min_count": r["min_count"]})
    return out


def merge_like_model(reference: pd.DataFrame, holdout: pd.DataFrame | None,
                     merges: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame | None, list[dict]]:
    """The reference and holdout with the levels the model merged moved to its merged level.

    Parameters
    ----------
    reference : pandas.DataFrame
        The real table the synthetic one is compared with (not modified).
    holdout : pandas.DataFrame or None
        Held-out real rows (not modified): a label the reference does not keep moves too.
    merges : list of dict
        :func:`merged_levels_of` records; columns absent from ``reference`` are skipped.

    Returns
    -------
    reference, holdout : pandas.DataFrame
        New frames (the inputs when nothing moved).
    notes : list of dict
        Per column that moved: ``column``, ``into``, ``min_count``, ``levels`` (reference
        levels merged) and ``rows`` (reference rows moved).

    Examples
    --------
    >>> ref = pd.DataFrame({"city": ["a"] * 6 + ["b"] * 2 + ["c"]})
    >>> new, _, notes = merge_like_model(ref, None, [{"column": "city", "into": "other", "min_count": 5}])
    >>> new["city"].tolist().count("other"), notes[0]["levels"], notes[0]["rows"]
    (3, 2, 3)
    """
    notes = []
    for m in merges:
        name, into, k = m["column"], m["into"], m["min_count"]
        if name not in reference.columns:
            continue
        counts = reference[name].value_counts(dropna=True)
        kept = set(counts.index[(counts >= k) | (counts.index == into)])
        rare = counts[~counts.index.isin(kept)]
        if rare.empty:
            continue
        reference = reference.assign(**{name: _moved(reference[name], kept, into)})
        if holdout is not None and name in holdout.columns:
            holdout = holdout.assign(**{name: _moved(holdout[name], kept, into)})
        notes.append({"column": name, "into": into, "min_count": k, "levels": int(rare.size),
                      "rows": int(rare.sum())})
    return reference, holdout, notes


def _moved(s: pd.Series, kept: set, into: str) -> pd.Series:
    """``s`` with every non-missing label outside ``kept`` replaced by ``into``."""
    move = s.notna() & ~s.isin(kept)
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = [c for c in s.cat.categories if c in kept]
        values = s.astype(object).where(~move, into)
        return pd.Series(pd.Categorical(values, categories=cats + ([into] if into not in cats else []),
                                        ordered=s.cat.ordered), index=s.index, name=s.name)
    if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        s = s.astype(object)  # numbers merged into a text level (protect_frame does the same)
    return s.where(~move, into)


def merged_levels_lines(notes: list[dict] | None) -> list[str]:
    """One readable line per column whose reference levels were merged (for report headers).

    Examples
    --------
    >>> merged_levels_lines([{"column": "city", "into": "other", "min_count": 5, "levels": 148,
    ...                       "rows": 377}])  # doctest: +NORMALIZE_WHITESPACE
    ["reference column 'city': 148 levels held by fewer than 5 rows (377 rows) compared as
      'other', the level the model merged them into"]
    """
    return [f"reference column {n['column']!r}: {n['levels']} level{'' if n['levels'] == 1 else 's'} "
            f"held by fewer than {n['min_count']} rows ({n['rows']} rows) compared as {n['into']!r}, "
            "the level the model merged them into" for n in notes or []]
