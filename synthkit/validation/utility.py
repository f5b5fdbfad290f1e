"""Utility: can a model trained on the synthetic table predict the real one.

Train-on-synthetic-test-on-real (TSTR) against train-on-real-test-on-real
(TRTR), Esteban, Hyland & Rätsch (2017). The task follows the target column's
kind: ``categorical``, ``boolean`` and ``integer`` targets are classified,
``continuous`` (and ``datetime``) targets are regressed.

* Model: scikit-learn ``HistGradientBoostingClassifier`` / ``Regressor``
  (native missing values; label columns passed as categorical features through
  their codes), fixed ``random_state``.
* Test rows: the holdout when one is given; otherwise a seeded 30 % split of the
  reference (TRTR trains on the other 70 %). Without a holdout the synthetic table
  was usually fitted on all reference rows, test rows included, which flatters
  TSTR slightly: pass a holdout for an unbiased comparison.
* Sizes: both models train on the same number of rows, the smaller of the real
  training rows and the synthetic rows, at most :data:`MAX_TRAIN_ROWS` (20,000), so the
  ratio compares the tables and not their sizes; at most :data:`MAX_TEST_ROWS` (10,000)
  test rows; seeded subsamples; the
  synthetic rows are those of :func:`synthkit.validation.rowplan.synth_rows` with a
  present target (the same rows for a frame and a partitioned table); the models run
  on one OpenMP thread.
* Scores: accuracy for classification, R^2 for regression; the check is
  ``TSTR / TRTR >= max(tstr_trtr_ratio - z SE, 0)`` and ``TSTR > 0``; informational when
  TRTR is not significantly above the baseline's score (R^2 0, or the accuracy of the
  majority class): ``TRTR - baseline <= z SE(TRTR)``, ``SE(TRTR)`` the standard error of
  the mean of its influence values (the target is then not predictable enough from the
  other columns for the ratio to mean anything). Both models are scored
  on the same test rows, so the ratio's test-set standard error is that of the mean
  of its paired influence values, ``SE = sd(psi) / sqrt(N)`` over the ``N`` test
  rows, with ``psi_i = (s_i - ratio r_i) / TRTR`` and ``s_i`` / ``r_i`` each model's
  influence on its score (correctness for accuracy; for R^2
  ``-(e_i^2 - mse) / v + mse ((y_i - mean y)^2 - v) / v^2``, ``v`` the test variance);
  ``z`` is the one-sided normal quantile of the per-test level ``alpha``
  (``false_fail_rate`` split over the report's tests).
"""

from __future__ import annotations

import math

import numpy as np

from .._threads import limit_threads
from ..errors import DataError
from ..seeding import as_generator
from .checks import Check, bonferroni_level, z_value
from .prepare import PreparedTables
from .rowplan import UTILITY, synth_rows

__all__ = ["MAX_TRAIN_ROWS", "MAX_TEST_ROWS", "utility_checks", "task_for_kind"]

MAX_TRAIN_ROWS = 20_000
MAX_TEST_ROWS = 10_000


def task_for_kind(kind: str) -> str:
    """``"classification"`` for label and integer targets, else ``"regression"``.

    Examples
    --------
    >>> task_for_kind("boolean"), task_for_kind("continuous")
    ('classification', 'regression')
    """
    return "classification" if kind in ("categorical", "boolean", "integer") else "regression"


def _design(tables: PreparedTables, which: str, target: str, rows) -> tuple[np.ndarray, np.ndarray]:
    feats = [c for c in tables.columns if c.name != target]
    x = np.column_stack([
        (getattr(c, which)[rows].astype(float) if c.is_numeric
         else np.where(getattr(c, which)[rows] < 0, np.nan, getattr(c, which)[rows]).astype(float))
        for c in feats
    ]) if feats else np.zeros((len(getattr(tables[target], which)[rows]), 0))
    y = getattr(tables[target], which)[rows]
    return x, y


def _sub(idx: np.ndarray, k: int, rng) -> np.ndarray:
    return np.sort(rng.choice(idx, k, replace=False)) if idx.size > k else idx


def _majority_accuracy(y_train: np.ndarray, y_test: np.ndarray) -> float:
    """Test accuracy of always predicting the training set's most frequent class."""
    values, counts = np.unique(y_train, return_counts=True)
    return float(np.mean(y_test == values[counts.argmax()]))


def _influence(task: str, yt: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Each test row's influence on the score (accuracy or R^2; see the module docstring)."""
    if task == "classification":
        return (pred == yt).astype(float)
    e2 = (yt - pred) ** 2
    mse = e2.mean()
    dev2 = (yt - yt.mean()) ** 2
    v = dev2.mean()
    if not v > 0:
        return np.zeros(len(yt))
    return -(e2 - mse) / v + mse * (dev2 - v) / v**2


def utility_checks(tables: PreparedTables, target: str, thr: dict, *,
                   holdout: PreparedTables | None = None, seed=0,
                   alpha: float | None = None) -> tuple[list[Check], dict]:
    """TSTR vs TRTR for ``target`` (see the module docstring).

    ``alpha`` is the level of the ratio check (default ``false_fail_rate``).

    Returns
    -------
    checks : list of Check
    artifacts : dict
        ``task``, ``metric``, ``tstr``, ``trtr``, ``ratio`` and the sizes.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.metrics import accuracy_score, r2_score

    if target not in tables.names:
        raise DataError(f"target column {target!r} is not a common column of the tables "
                        f"(common columns: {tables.names})")
    if len(tables.columns) < 2:
        raise DataError(f"target column {target!r} is the only common column: no features to "
                        "predict it from")
    rng = as_generator(seed)
    tcol = tables[target]
    task = task_for_kind(tcol.kind)
    feats = [c for c in tables.columns if c.name != target]
    # label codes as categorical features (HistGradientBoosting allows < 255 levels)
    cat_mask = np.array([c.is_label and len(c.categories or []) < 250 for c in feats])

    def valid_rows(arr):
        return np.flatnonzero(~np.isnan(arr)) if tcol.is_numeric else np.flatnonzero(arr >= 0)

    real_rows = valid_rows(tcol.real)
    # the seeded synthetic rows of the plan shared with partitioned tables, target present
    plan = synth_rows(seed, tables.n_synth, MAX_TRAIN_ROWS, UTILITY)
    synth_idx = plan[valid_rows(tcol.synth[plan])]
    if holdout is not None:
        hold_rows = valid_rows(holdout[target].synth)
        test_src, test_rows = holdout, _sub(hold_rows, MAX_TEST_ROWS, rng)
        test_which = "synth"
        train_rows = real_rows
        split = "holdout"
    else:
        perm = rng.permutation(real_rows)
        n_test = max(1, int(round(0.3 * perm.size)))
        test_rows = np.sort(perm[:n_test])
        train_rows = np.sort(perm[n_test:])
        test_src, test_which = tables, "real"
        test_rows = _sub(test_rows, MAX_TEST_ROWS, rng)
        split = "30% of the reference"
    # equal training sizes: the ratio compares the two tables, not the amounts of data
    train_rows = _sub(train_rows, min(MAX_TRAIN_ROWS, synth_idx.size), rng)
    synth_idx = _sub(synth_idx, train_rows.size, rng)
    if train_rows.size < 5 or test_rows.size < 5 or synth_idx.size < 5:
        raise DataError(f"too few rows with a non-missing target {target!r} for the utility check "
                        f"(train {train_rows.size}, test {test_rows.size}, synthetic {synth_idx.size})")

    xr, yr = _design(tables, "real", target, train_rows)
    xs, ys = _design(tables, "synth", target, synth_idx)
    xt, yt = _design(test_src, test_which, target, test_rows)
    seed_int = int(rng.integers(2**31 - 1))
    kw = dict(random_state=seed_int, categorical_features=cat_mask if cat_mask.any() else None)

    def fit_score(x, y):
        if task == "classification":
            if np.unique(y).size < 2:
                pred = np.full(len(yt), y[0])
            else:
                pred = HistGradientBoostingClassifier(**kw).fit(x, y).predict(xt)
            return float(accuracy_score(yt, pred)), _influence(task, yt, pred)
        pred = HistGradientBoostingRegressor(**kw).fit(x, y).predict(xt)
        return float(r2_score(yt, pred)), _influence(task, yt, pred)

    # One OpenMP thread: on these sizes the speed-up of more threads is small, and on a
    # busy machine spinning OpenMP threads made a 50k-row fit 20x slower (measured).
    with limit_threads(1, "openmp"):
        trtr, infl_r = fit_score(xr, yr)
        tstr, infl_s = fit_score(xs, ys)
    metric = "accuracy" if task == "classification" else "r2"
    sizes = (f"{task} of {target!r} by {metric}; test rows: {split} ({test_rows.size}); trained on "
             f"{train_rows.size} real / {synth_idx.size} synthetic rows")
    checks = [
        Check("utility", f"trtr_{metric}", target, trtr, None, None, sizes),
        Check("utility", f"tstr_{metric}", target, tstr, None, None, sizes),
    ]
    a = bonferroni_level(thr, 1) if alpha is None else alpha
    z = z_value(a, two_sided=False)
    n_test = len(infl_r)
    se_trtr = float(infl_r.std(ddof=1)) / math.sqrt(n_test) if n_test > 1 else math.inf
    baseline = 0.0 if task == "regression" else _majority_accuracy(yr, yt)
    if trtr - baseline > z * se_trtr:
        ratio = tstr / trtr
        psi = (infl_s - ratio * infl_r) / trtr
        se = float(psi.std(ddof=1)) / math.sqrt(n_test) if n_test > 1 else 0.0
        allow = z * se
        t = max(thr["tstr_trtr_ratio"] - allow, 0.0)
        checks.append(Check("utility", "tstr_trtr_ratio", target, ratio, t, bool(ratio >= t and ratio > 0),
                            "TSTR / TRTR; higher is better (at least the threshold minus the "
                            f"paired test-set allowance {allow:.4f}, and above 0)"))
        score = float(min(1.0, max(0.0, ratio))) if np.isfinite(ratio) else math.nan
    else:
        ratio = tstr / trtr if trtr > 0 else math.nan
        score = math.nan  # nothing was measured: no score to average into `overall`
        checks.append(Check("utility", "tstr_trtr_ratio", target, ratio, None, None,
                            f"TRTR {metric} {trtr:.3f} is not significantly above the "
                            f"{'mean' if task == 'regression' else 'majority class'}'s {baseline:.3f} "
                            f"(standard error {se_trtr:.3f}): the target is not predictable enough "
                            "for the ratio to mean anything"))
    art = {"task": task, "metric": metric, "tstr": tstr, "trtr": trtr, "ratio": ratio, "score": score}
    return checks, art
