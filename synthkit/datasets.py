"""Real example tables that ship with synthkit's dependencies (no download).

Names: ``sklearn:wine``, ``sklearn:breast_cancer``, ``sklearn:iris``,
``sklearn:diabetes``, ``statsmodels:macrodata``, ``statsmodels:fair``,
``statsmodels:grunfeld``. Class targets are returned as categorical labels.
"""

from __future__ import annotations

import pandas as pd

from .errors import DataError

__all__ = ["load_example", "EXAMPLES"]

EXAMPLES = ("sklearn:wine", "sklearn:breast_cancer", "sklearn:iris", "sklearn:diabetes",
            "statsmodels:macrodata", "statsmodels:fair", "statsmodels:grunfeld")


def load_example(name: str) -> pd.DataFrame:
    """Load a real example table by name (see module docstring).

    Examples
    --------
    >>> load_example("sklearn:wine").shape
    (178, 14)
    """
    if name not in EXAMPLES:
        raise DataError(f"unknown example dataset {name!r}; available: {', '.join(EXAMPLES)}")
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
