"""Real example tables that ship with synthkit's dependencies (no download).

Names: ``sklearn:wine``, ``sklearn:breast_cancer``, ``sklearn:iris``,
``sklearn:diabetes``, ``statsmodels:macrodata``, ``statsmodels:fair``,
``statsmodels:grunfeld``, ``statsmodels:anes96`` (a survey with integer-coded answers),
``statsmodels:randhie`` (20,190 rows of health-insurance data). Class targets are returned
as categorical labels.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pandas as pd

from .errors import DataError

__all__ = ["load_example", "load_table", "EXAMPLES"]

EXAMPLES = ("sklearn:wine", "sklearn:breast_cancer", "sklearn:iris", "sklearn:diabetes",
            "statsmodels:macrodata", "statsmodels:fair", "statsmodels:grunfeld", "statsmodels:anes96",
            "statsmodels:randhie")


def _did_you_mean(name: str) -> str:
    """``"did you mean 'sklearn:wine'? "`` for a name close to an example name (difflib), else ``""``.

    Both the whole name and its part after ``source:`` are compared, so ``wine`` and
    ``sklearn:wnie`` both suggest ``sklearn:wine``.
    """
    close = difflib.get_close_matches(name, EXAMPLES, n=1, cutoff=0.6)
    if not close:
        keys = {e.split(":", 1)[1]: e for e in EXAMPLES}
        key = name.rsplit(":", 1)[-1]
        close = [keys[k] for k in difflib.get_close_matches(key, list(keys), n=1, cutoff=0.6)]
    return f"did you mean {close[0]!r}? " if close else ""


def _unknown_example(name: str) -> DataError:
    return DataError(f"unknown example {name!r}; {_did_you_mean(name)}examples: {', '.join(EXAMPLES)}")


def load_table(name_or_path: str | os.PathLike) -> pd.DataFrame:
    """The table named on a command line or in a recipe: an example name or a table file.

    An example name (:data:`EXAMPLES`) loads that example (:func:`load_example`); an
    existing file, or a name ending in ``.csv``/``.parquet``, is read with
    :func:`synthkit.io.read_table`. Anything else is refused: a ``source:name`` form
    or a name close to an example name as an unknown example (with the closest
    examples suggested), other names as a file of unknown format.

    Raises
    ------
    DataError
        Unknown example name, missing or unreadable file, or a name that is neither.

    Examples
    --------
    >>> load_table("sklearn:iris").shape
    (150, 5)
    >>> load_table("sklearn:wnie")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    synthkit.errors.DataError: unknown example 'sklearn:wnie'; did you mean 'sklearn:wine'? examples: ...
    """
    from .io import TABLE_SUFFIXES, read_table

    name = os.fspath(name_or_path)
    if name in EXAMPLES:
        return load_example(name)
    path = Path(name)
    if path.suffix.lower() in TABLE_SUFFIXES or path.is_file():
        return read_table(path)
    source = name.split(":", 1)[0] if ":" in name else ""
    if source in {e.split(":", 1)[0] for e in EXAMPLES} or (
            path.parent == Path(".") and not path.suffix and _did_you_mean(name)):
        raise _unknown_example(name)
    raise DataError(f"{name!r} is neither a table file (.csv or .parquet) nor an example name; "
                    f"examples: {', '.join(EXAMPLES)}")


def load_example(name: str) -> pd.DataFrame:
    """Load a real example table by name (see module docstring).

    Examples
    --------
    >>> load_example("sklearn:wine").shape
    (178, 14)
    """
    if name not in EXAMPLES:
        raise _unknown_example(name)
    source, key = name.split(":", 1)
    if source == "sklearn":
        from sklearn import datasets

        bunch = getattr(datasets, f"load_{key}")(as_frame=True)
        frame = bunch.frame.copy()
        if "target" in frame and hasattr(bunch, "target_names") and key != "diabetes":
            names = list(bunch.target_names)
            frame["target"] = pd.Categorical.from_codes(frame["target"].astype(int), names)
        return frame
    from statsmodels import datasets as smd

    frame = getattr(smd, key).load_pandas().data.copy()
    if key == "grunfeld":
        frame["firm"] = frame["firm"].astype(str)
    return frame
