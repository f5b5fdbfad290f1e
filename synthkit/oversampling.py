"""Oversampling imbalanced classes: duplication, the SMOTE family, or class-conditional synthesis.

:func:`oversample` adds rows to the smaller classes of a labelled table until each reaches a
target count. The original rows are kept verbatim, in order, followed by the new rows.

* ``"naive"``: random duplication of a class's rows (imbalanced-learn's ``RandomOverSampler``).
* ``"smote"``, ``"borderline"``, ``"adasyn"``, ``"kmeans_smote"``: interpolation between a row
  and one of its ``k`` nearest same-class neighbours, ``x_new = x_i + u (x_nn - x_i)``,
  ``u ~ U(0, 1)`` (SMOTE, Chawla et al. 2002), with the seeds chosen near the class border
  (Borderline-SMOTE, Han et al. 2005), in proportion to the share of other-class neighbours
  (ADASYN, He et al. 2008) or inside k-means clusters dense in the class (K-Means-SMOTE,
  Douzas et al. 2018); all through imbalanced-learn. Numeric columns only.
* ``"smotenc"``: SMOTE for mixed tables (SMOTE-NC): numeric columns are interpolated, each
  categorical column takes the most frequent value among the neighbours.
* ``"synthetic"``: a synthkit strategy (default ``gaussian_copula``) is fitted on each grown
  class's rows and the new rows are sampled from it: draws from the class's fitted joint
  distribution rather than points on segments between real rows. The privacy checks of
  :func:`synthkit.validate` (exact copies, distance to closest record, nearest-neighbour
  distance ratio) compare each class's new rows with its real rows; the verdict is in the result.

Integer and boolean columns of interpolated rows are rounded back to their dtype; categorical
columns are encoded as integer codes for imbalanced-learn and decoded to their categories.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._deprecation import renamed_keyword, warn_renamed
from ._progress import check_progress, progress_bar
from ._resources import check_memory
from .errors import DataError, FitError, SpecError
from .schema import check_unique_columns
from .seeding import SeedLike, as_seed_sequence, child_seed

__all__ = ["METHODS", "OversampleResult", "oversample"]

#: Method name -> imbalanced-learn class (``None``: synthkit's class-conditional synthesis).
METHODS: dict[str, str | None] = {
    "naive": "RandomOverSampler",
    "smote": "SMOTE",
    "borderline": "BorderlineSMOTE",
    "adasyn": "ADASYN",
    "smotenc": "SMOTENC",
    "kmeans_smote": "KMeansSMOTE",
    "synthetic": None,
}
_NEIGHBOUR_METHODS = {"smote", "borderline", "smotenc", "kmeans_smote"}
_MAX_INTEGER_CLASSES = 20
#: New rows from which ``"synthetic"`` shows a progress bar on a terminal by default.
PROGRESS_MIN_ROWS = 10_000


@dataclass
class OversampleResult:
    """The oversampled table and what was added.

    Attributes
    ----------
    frame : DataFrame
        The original rows (verbatim, in order, index reset) followed by the new rows.
    counts_before, counts_after : dict
        Rows per class before and after.
    method : str
        The method used.
    is_new : ndarray of bool
        True for the rows added by oversampling (``frame.loc[is_new]``).
    privacy : dict
        ``{class: ValidationReport}`` of the privacy checks of the new rows against the
        class's real rows (``"synthetic"`` only; empty otherwise).
    """

    frame: pd.DataFrame
    counts_before: dict
    counts_after: dict
    method: str
    is_new: np.ndarray
    privacy: dict = field(default_factory=dict)

    @property
    def privacy_passed(self) -> bool | None:
        """True when every class's new rows passed the privacy checks; None when not run."""
        if not self.privacy:
            return None
        return all(rep.passed for rep in self.privacy.values())

    def __repr__(self) -> str:
        verdict = {None: "not run", True: "passed", False: "FAILED"}[self.privacy_passed]
        return (f"OversampleResult(method={self.method!r}, rows {len(self.frame) - int(self.is_new.sum())}"
                f" -> {len(self.frame)}, counts {self.counts_before} -> {self.counts_after}, "
                f"privacy {verdict})")


@renamed_keyword("df", "data")
def oversample(data: pd.DataFrame, target: str, method: str = "smote", ratio: Any = None,
               seed: SeedLike = None, *, strategy: str = "gaussian_copula",
               params: Mapping[str, Any] | None = None, check_privacy: bool = True,
               progress: bool | None = None, privacy: bool | None = None) -> OversampleResult:
    """Add rows to the smaller classes of ``data[target]``.

    Parameters
    ----------
    data : DataFrame
        The labelled table.
    target : str
        The class column (categorical, boolean, string or integer codes; not continuous).
    method : str
        ``"naive"``, ``"smote"`` (default), ``"borderline"``, ``"adasyn"``, ``"smotenc"``,
        ``"kmeans_smote"`` or ``"synthetic"`` (see the module docstring).
    ratio : None, float or dict
        The count each class is brought to (classes are never reduced):

        * ``None`` (default): every class to the largest class's count;
        * a float ``r`` in (0, 1]: every class to at least ``ceil(r * n_max)`` rows, ``n_max``
          the largest class's count (``0.5``: each minority class half the majority's size);
        * a dict ``{class: count}``: those classes to those total counts (others unchanged).

        ADASYN draws about, not exactly, the asked count (its per-row weights are rounded).
    seed : None, int, SeedSequence or Generator
        Seed of the new rows: the same seed gives the same table.
    strategy : str
        The synthkit strategy fitted on each class for ``"synthetic"`` (default ``gaussian_copula``).
    params : dict, optional
        Extra parameters of the imbalanced-learn sampler (e.g. ``{"k_neighbors": 3}``) or, for
        ``"synthetic"``, of the strategy (its ``privacy`` defaults to ``"off"`` here: the real
        rows are in the output as they are, and a release's protections would only distort a
        small class). By default the SMOTE family uses
        ``k_neighbors = min(5, smallest grown class - 1)``; K-Means-SMOTE uses
        ``min(8, smallest grown class // (2 (k_neighbors + 1)))`` k-means clusters (at least 1)
        and ``cluster_balance_threshold=0.0`` (every cluster holding more than ``k_neighbors`` rows
        of the class is used, weighted by its sparsity; imbalanced-learn's ``"auto"`` rejects every
        cluster of a strongly imbalanced table).
    check_privacy : bool
        Run the privacy checks on the ``"synthetic"`` rows (default True). (The protection
        policy of the fitted models, ``privacy="standard"`` or ``"off"`` as in
        :func:`synthkit.fit`, goes in ``params``.)
    progress : bool, optional
        A progress bar over the classes fitted by ``"synthetic"``: shown by default when stderr is
        a terminal and at least :data:`PROGRESS_MIN_ROWS` rows are drawn; True or False forces it.

    Returns
    -------
    OversampleResult

    Raises
    ------
    DataError
        Unknown or continuous ``target``, missing target values, a single class, a grown class
        with one row, missing values or non-numeric columns a method cannot use.
    SpecError
        Unknown ``method`` or malformed ``ratio``.
    FitError
        imbalanced-learn could not draw the rows (e.g. K-Means-SMOTE finds no cluster dense
        enough in the class).

    Examples
    --------
    >>> import pandas as pd, synthkit
    >>> data = pd.DataFrame({"x": [0.1, 0.4, 0.2, 0.9, 0.5, 0.3, 0.8, 0.7], "y": [0, 0, 0, 0, 0, 1, 1, 1]})
    >>> res = synthkit.oversample(data, target="y", method="smote", seed=0)
    >>> res.counts_before, res.counts_after
    ({0: 5, 1: 3}, {0: 5, 1: 5})
    >>> res.frame.iloc[:8].equals(data)
    True
    """
    check_progress(progress)
    if privacy is not None:  # the former name of check_privacy
        warn_renamed("oversample(privacy=...)", "oversample(check_privacy=...)")
        check_privacy = privacy
    if not isinstance(check_privacy, (bool, np.bool_)):
        raise SpecError(f"`check_privacy` must be True or False, got {check_privacy!r} (the models' "
                        "protection policy, 'standard' or 'off', goes in `params`)")
    if method not in METHODS:
        raise SpecError(f"unknown oversampling `method` {method!r}: use one of {', '.join(METHODS)}")
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    y = _check_target(data, target)
    counts = y.value_counts(sort=False)
    counts = counts[counts > 0]  # unused categories of a categorical target are not classes
    counts = counts.reindex(sorted(counts.index, key=_sort_key))
    if len(counts) < 2:
        which = f"a single class ({counts.index[0]!r})" if len(counts) else "no rows"
        raise DataError(f"`target` {target!r} has {which}: oversampling needs at least two classes")
    goal = _goal_counts(counts, ratio)
    grown = {c: int(n) for c, n in goal.items() if n > counts[c]}
    small = [c for c in grown if counts[c] < 2]
    if small:
        raise DataError(f"class {small[0]!r} of {target!r} has 1 row: new rows cannot be drawn from a "
                        "single example; drop or merge that class, or leave it out of `ratio` "
                        "(a dict of the classes to grow)")
    n_new = sum(n - int(counts[c]) for c, n in grown.items())
    check_memory(32.0 * n_new * data.shape[1], f"{n_new:,} new rows x {data.shape[1]} columns",
                 "ask for fewer rows (`ratio`)")
    params = dict(params or {})
    features = data.drop(columns=[target])
    if features.shape[1] == 0:
        raise DataError(f"the table has no column besides {target!r}: nothing to oversample")
    ss = as_seed_sequence(seed)
    reports: dict = {}
    if not grown:
        new = data.iloc[:0]
    elif method == "synthetic":
        new, reports = _synthetic(data, target, counts, grown, ss, strategy, params, bool(check_privacy),
                                  progress)
    else:
        new = _imblearn(data, target, method, counts, grown, ss, params)
    frame = pd.concat([data, new], ignore_index=True) if len(new) else data.reset_index(drop=True)
    is_new = np.zeros(len(frame), dtype=bool)
    is_new[len(data):] = True
    after = frame[target].value_counts(sort=False)
    return OversampleResult(
        frame=frame,
        counts_before={_plain(c): int(n) for c, n in counts.items()},
        counts_after={_plain(c): int(after.get(c, 0)) for c in counts.index},
        method=method, is_new=is_new, privacy=reports,
    )


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _sort_key(value: Any) -> tuple:
    return (type(value).__name__, value) if not isinstance(value, (int, float, np.number)) \
        else ("", float(value))


def _check_target(df: pd.DataFrame, target: str) -> pd.Series:
    check_unique_columns(df, "the table")
    if isinstance(target, (list, tuple, set, dict)) or (
            not isinstance(target, str) and target not in df.columns):
        raise DataError(f"`target` must name one column of the table, got {target!r}")
    if target not in df.columns:
        cols = ", ".join(map(str, list(df.columns)[:10]))
        raise DataError(f"`target` {target!r} is not a column of the table (columns: {cols}); "
                        "pass the name of the class column")
    y = df[target]
    if y.isna().any():
        raise DataError(f"`target` {target!r} has {int(y.isna().sum())} missing values: drop those rows "
                        "or fill them with a class of their own")
    if pd.api.types.is_float_dtype(y.dtype):
        values = y.to_numpy(dtype=float)
        if not np.all(values == np.round(values)):
            raise DataError(f"`target` {target!r} is continuous (non-integer floats): oversampling needs "
                            "classes; bin it first (e.g. pd.cut) or pass a class column")
    if (pd.api.types.is_numeric_dtype(y.dtype) and not pd.api.types.is_bool_dtype(y.dtype)
            and y.nunique() > max(_MAX_INTEGER_CLASSES, len(y) // 2)):
        raise DataError(f"`target` {target!r} has {y.nunique()} distinct numbers in {len(y)} rows: it "
                        "looks continuous, not a class; bin it first (e.g. pd.cut) or pass a class column")
    return y


def _goal_counts(counts: pd.Series, ratio: Any) -> dict:
    n_max = int(counts.max())
    if ratio is None:
        return {c: n_max for c in counts.index}
    if isinstance(ratio, Mapping):
        unknown = [c for c in ratio if c not in counts.index]
        if unknown:
            raise SpecError(f"`ratio` names class {unknown[0]!r}, which is not in the target (classes: "
                            f"{', '.join(map(repr, counts.index))})")
        goal = {c: int(n) for c, n in counts.items()}
        for c, n in ratio.items():
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < counts[c]:
                raise SpecError(f"`ratio` count of class {c!r} must be an integer >= its current "
                                f"{int(counts[c])} rows (oversampling never removes rows), got {n!r}")
            goal[c] = int(n)
        return goal
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float, np.number)) or not 0 < ratio <= 1:
        raise SpecError("`ratio` must be None (every class to the largest), a number in (0, 1] (each "
                        f"class to that share of the largest) or a dict of counts, got {ratio!r}")
    want = int(np.ceil(float(ratio) * n_max))
    return {c: max(int(n), want) for c, n in counts.items()}


def _random_state(ss: np.random.SeedSequence, key: int) -> int:
    """An integer seed for imbalanced-learn / scikit-learn, from the child stream ``key``."""
    return int(child_seed(ss, key).generate_state(1)[0])


class _Codec:
    """Columns <-> a float matrix for imbalanced-learn: categorical columns as integer codes."""

    def __init__(self, features: pd.DataFrame, method: str):
        self.columns = list(features.columns)
        self.dtypes = features.dtypes
        self.categorical: list[int] = []
        self.categories: dict[int, pd.Index] = {}
        missing = [c for c in self.columns if features[c].isna().any()]
        if missing:
            raise DataError(f"method {method!r} cannot use rows with missing values (columns "
                            f"{', '.join(map(str, missing[:8]))}): fill them first, or use "
                            "method='synthetic' or 'naive'")
        for j, c in enumerate(self.columns):
            dt = features[c].dtype
            if pd.api.types.is_bool_dtype(dt) or pd.api.types.is_numeric_dtype(dt):
                continue
            if pd.api.types.is_datetime64_any_dtype(dt) or isinstance(dt, pd.PeriodDtype):
                raise DataError(f"column {c!r} holds dates, which method {method!r} cannot interpolate: "
                                "convert it to a number (e.g. days since a reference date) or use "
                                "method='synthetic' or 'naive'")
            self.categorical.append(j)
        if self.categorical and method != "smotenc":
            names = ", ".join(str(self.columns[j]) for j in self.categorical[:8])
            raise DataError(f"method {method!r} interpolates numbers, but columns {names} are "
                            "categorical: use method='smotenc' (mixed types), 'synthetic' or 'naive'")
        if method == "smotenc" and not self.categorical:
            raise DataError("method 'smotenc' is for tables with categorical columns and this one has "
                            "none: use method='smote'")
        if method == "smotenc" and len(self.categorical) == len(self.columns):
            raise DataError("method 'smotenc' needs at least one numeric column and every column is "
                            "categorical: use method='synthetic' or 'naive'")

    def encode(self, features: pd.DataFrame) -> np.ndarray:
        out = np.empty(features.shape, dtype=float)
        for j, c in enumerate(self.columns):
            col = features[c]
            if j in self.categorical:
                codes, uniques = pd.factorize(col, sort=False)
                self.categories[j] = uniques
                out[:, j] = codes
            else:
                out[:, j] = col.to_numpy(dtype=float)
        return out

    def decode(self, x: np.ndarray, index: pd.RangeIndex) -> pd.DataFrame:
        cols = {}
        for j, c in enumerate(self.columns):
            dt = self.dtypes.iloc[j]
            v = x[:, j]
            if j in self.categorical:
                values = self.categories[j].take(np.rint(v).astype(np.intp))
                cols[c] = pd.Series(values, index=index).astype(dt)
            elif pd.api.types.is_bool_dtype(dt):
                cols[c] = pd.Series(v >= 0.5, index=index).astype(dt)
            elif pd.api.types.is_integer_dtype(dt):
                cols[c] = pd.Series(np.rint(v), index=index).astype(dt)
            else:
                cols[c] = pd.Series(v, index=index).astype(dt)
        return pd.DataFrame(cols, index=index)


def _imblearn(df: pd.DataFrame, target: str, method: str, counts: pd.Series, grown: dict,
              ss: np.random.SeedSequence, params: dict) -> pd.DataFrame:
    import imblearn.over_sampling as ios

    # classes as codes 0..K-1 in `counts`' order: imbalanced-learn needs labels of one type
    labels = list(counts.index)
    code = {c: i for i, c in enumerate(labels)}
    y = df[target].map(code).to_numpy(dtype=np.intp)
    klass = getattr(ios, METHODS[method])
    kwargs = {"sampling_strategy": {code[c]: n for c, n in grown.items()},
              "random_state": _random_state(ss, 0)}
    if method == "naive":
        if params.get("shrinkage") is not None:
            raise SpecError("method='naive' duplicates rows exactly; `shrinkage` (a smoothed bootstrap) is "
                            "not supported: use method='smote' or 'synthetic' for new values")
        sampler = _make(klass, kwargs, params)
        # duplicate row numbers, so that every column keeps its values and dtype exactly
        _, _ = _run(sampler, np.arange(len(df)).reshape(-1, 1), y, method)
        take = sampler.sample_indices_[len(df):]
        return df.iloc[take]
    features = df.drop(columns=[target])
    codec = _Codec(features, method)
    x = codec.encode(features)
    smallest = min(int(counts[c]) for c in grown)
    if method in _NEIGHBOUR_METHODS and "k_neighbors" not in params:
        kwargs["k_neighbors"] = min(5, smallest - 1)
    if method == "adasyn" and "n_neighbors" not in params:
        kwargs["n_neighbors"] = min(5, smallest - 1)  # also searched within the class
    if method == "smotenc":
        kwargs["categorical_features"] = codec.categorical
    if method == "kmeans_smote" and "kmeans_estimator" not in params:
        from sklearn.cluster import MiniBatchKMeans

        # at most 8 clusters, and one per 2 (k + 1) rows of the smallest grown class, so that some
        # clusters hold the k + 1 rows of the class that SMOTE needs inside a cluster
        k = params.get("k_neighbors", kwargs.get("k_neighbors", 5))
        k = k if isinstance(k, int) else 5
        n_clusters = max(1, min(8, smallest // (2 * (k + 1))))
        kwargs["kmeans_estimator"] = MiniBatchKMeans(n_clusters=n_clusters, n_init=3,
                                                     random_state=_random_state(ss, 1))
    if method == "kmeans_smote" and "cluster_balance_threshold" not in params:
        kwargs["cluster_balance_threshold"] = 0.0
    sampler = _make(klass, kwargs, params)
    x_res, y_res = _run(sampler, x, y, method)
    if not np.array_equal(x_res[:len(df)], x):  # imbalanced-learn keeps the originals first
        raise FitError(f"imbalanced-learn's {METHODS[method]} reordered the original rows; "
                       "this version of imbalanced-learn is not supported")
    x_new, y_new = x_res[len(df):], np.asarray(y_res[len(df):])
    if method != "adasyn":  # (ADASYN's counts are approximate by design)
        x_new, y_new = _exact_counts(x_new, y_new, {code[c]: n - int(counts[c]) for c, n in grown.items()},
                                     labels, method)
    index = pd.RangeIndex(len(df), len(df) + len(x_new))
    new = codec.decode(x_new, index)
    new.insert(list(df.columns).index(target), target,
               pd.Series(np.asarray(labels, dtype=object)[y_new], index=index).astype(df[target].dtype))
    return new[list(df.columns)]


def _exact_counts(x_new: np.ndarray, y_new: np.ndarray, asked: dict[int, int], labels: list,
                  method: str) -> tuple[np.ndarray, np.ndarray]:
    """The new rows cut to the count asked for each class (the first ones, in the sampler's order).

    K-Means-SMOTE rounds its per-cluster counts up (a few rows too many); a class short of its
    count (Borderline-SMOTE draws only next to rows with neighbours of other classes) is refused.
    """
    keep = np.zeros(len(y_new), dtype=bool)
    for k, need in asked.items():
        rows = np.flatnonzero(y_new == k)
        if len(rows) < need:
            why = (" (it draws only next to the class's rows whose neighbours are mostly of other "
                   "classes, and this class has too few of them)" if method == "borderline" else "")
            raise FitError(f"imbalanced-learn's {METHODS[method]} drew {len(rows)} of the {need} new rows "
                           f"asked for class {_plain(labels[k])!r}{why}: use method='smote'")
        keep[rows[:need]] = True
    return x_new[keep], y_new[keep]


def _make(klass: type, kwargs: dict, params: dict):
    merged = {**kwargs, **params}
    try:
        return klass(**merged)
    except TypeError as exc:
        raise SpecError(f"{klass.__name__} does not take these `params`: {exc}; see imbalanced-learn's "
                        f"documentation of {klass.__name__}") from None


def _run(sampler, x: np.ndarray, y: np.ndarray, method: str):
    try:
        return sampler.fit_resample(x, y)
    except (RuntimeError, ValueError) as exc:
        fix = {"kmeans_smote": "pass params={'kmeans_estimator': ...} with another number of clusters, "
                               "or use method='smote'",
               "adasyn": "no row of a grown class has a neighbour of another class; use "
                         "method='smote'"}.get(method, "check `params` or use another method")
        raise FitError(f"imbalanced-learn's {type(sampler).__name__} could not draw the rows ({exc}): "
                       f"{fix}") from None


def _synthetic(df: pd.DataFrame, target: str, counts: pd.Series, grown: dict,
               ss: np.random.SeedSequence, strategy: str, params: dict,
               privacy: bool, progress: bool | None) -> tuple[pd.DataFrame, dict]:
    from .api import fit
    from .validation import validate

    pieces = []
    reports = {}
    order = list(counts.index)
    n_new_total = sum(goal - int(counts[c]) for c, goal in grown.items())
    bar = progress_bar(grown.items(), total=len(grown), progress=progress,
                       large=n_new_total >= PROGRESS_MIN_ROWS, desc="oversample: classes", unit="class")
    for c, goal in bar:
        k = order.index(c)
        real = df.loc[df[target] == c].drop(columns=[target])
        n_new = goal - int(counts[c])
        try:
            # The real rows are in the output as they are, so a release's protections (rare levels
            # merged, extremes coded to the median) would protect nothing and distort a small class.
            model = fit(real, strategy=strategy, **{"privacy": "off", **params})
        except FitError as exc:
            raise FitError(f"could not fit {strategy!r} on the {len(real)} rows of class {c!r} ({exc}); "
                           "use method='smote' or 'naive' for very small classes") from None
        drawn = model.sample(n_new, seed=child_seed(ss, k, 0)).frame
        drawn = drawn[list(real.columns)]
        for col in real.columns:
            if drawn[col].dtype != real[col].dtype:
                try:
                    cast = drawn[col].astype(real[col].dtype)
                except (TypeError, ValueError):
                    continue
                if cast.isna().sum() > drawn[col].isna().sum():  # a value the dtype cannot hold
                    raise FitError(f"the {strategy!r} model of class {_plain(c)!r} drew values of "
                                   f"{col!r} outside its dtype {real[col].dtype}")
                drawn[col] = cast
        drawn.insert(list(df.columns).index(target), target,
                     pd.Series([c] * n_new, index=drawn.index).astype(df[target].dtype))
        pieces.append(drawn[list(df.columns)])
        if privacy:
            reports[_plain(c)] = rep = validate(real, drawn.drop(columns=[target]), checks="privacy",
                                                figures=False, seed=child_seed(ss, k, 1))
            if not rep.passed:
                import warnings

                failed = ", ".join(ch.statistic for ch in rep.failed())
                warnings.warn(f"the new rows of class {_plain(c)!r} fail privacy checks ({failed}): they sit "
                              "too close to the class's real rows; see `result.privacy`", stacklevel=3)
    return pd.concat(pieces, ignore_index=True), reports
