"""Benchmark: does oversampling the rare class help a classifier, and which way.

Three imbalanced public tables:

* ``breast_cancer``: scikit-learn's breast cancer table, malignant tumours (the positive class)
  subsampled to 5% of the rows (30 numeric columns);
* ``fair``: statsmodels' extramarital affairs survey, ``affairs > 0`` as the outcome, the positive
  rows subsampled to 5% (8 numeric columns; the five integer-coded scales as integers, so every
  method's new values are codes);
* ``randhie``: statsmodels' RAND health insurance experiment, ``mdvis >= 10`` (ten or more
  doctor visits a year, 5.7% of the rows) as the outcome; self-rated health as one categorical
  column (excellent / good / fair / poor) and 6 numeric columns.

For each of ``--seeds`` seeds, a stratified 70/30 split; the training part is oversampled by each
method (``synthkit.oversample``: none, naive, smote, borderline, adasyn, kmeans_smote, smotenc
where the table has a categorical column, synthetic); a scikit-learn
``HistGradientBoostingClassifier`` is trained on it and scored on the untouched real test part:
balanced accuracy and minority-class F1 at the 0.5 threshold, PR-AUC (average precision) and the
Brier score (calibration: lower is better). The numeric-only methods see the categorical column
one-hot encoded; the classifier always sees the one-hot table. The table prints mean and standard
error over the seeds, and ``privacy`` the share of ``synthetic`` runs whose new rows passed the
privacy checks of ``synthkit.validate``.

Run::

    python benchmarks/oversample.py            # 3 tables x 5 seeds (4-9 min on 2 shared cores)
    python benchmarks/oversample.py --quick    # 2 seeds, every method (~2 min)
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")

METHODS = ["none", "naive", "smote", "borderline", "adasyn", "kmeans_smote", "smotenc", "synthetic"]
TARGET = "y"


def rare_subset(df: pd.DataFrame, share: float, seed: int = 0) -> pd.DataFrame:
    """``df`` with its positive rows subsampled to ``share`` of the result (fixed data seed)."""
    rng = np.random.default_rng(seed)
    pos, neg = df[df[TARGET] == 1], df[df[TARGET] == 0]
    k = int(round(share * len(neg) / (1 - share)))
    keep = np.sort(rng.choice(len(pos), size=min(k, len(pos)), replace=False))
    return pd.concat([neg, pos.iloc[keep]]).sort_index().reset_index(drop=True)


def load_tables() -> dict[str, pd.DataFrame]:
    import statsmodels.api as sm
    from sklearn.datasets import load_breast_cancer

    bc = load_breast_cancer(as_frame=True).frame
    bc[TARGET] = (bc.pop("target") == 0).astype("int64")  # malignant = positive
    fair = sm.datasets.fair.load_pandas().data
    fair[TARGET] = (fair.pop("affairs") > 0).astype("int64")
    # the survey's integer-coded scales as integers (as stored, float64, SMOTE's new values fall
    # between the codes); age, years married and children are bracket midpoints and stay floats
    for col in ("rate_marriage", "religious", "educ", "occupation", "occupation_husb"):
        fair[col] = fair[col].astype("int64")
    rh = sm.datasets.randhie.load_pandas().data
    rh[TARGET] = (rh.pop("mdvis") >= 10).astype("int64")
    level = np.select([rh.hlthg == 1, rh.hlthf == 1, rh.hlthp == 1], ["good", "fair", "poor"], "excellent")
    rh = rh.drop(columns=["hlthg", "hlthf", "hlthp"])
    rh.insert(0, "health", pd.Categorical(level, categories=["excellent", "good", "fair", "poor"]))
    return {"breast_cancer": rare_subset(bc, 0.05), "fair": rare_subset(fair, 0.05), "randhie": rh}


def one_hot(df: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as 0/1 integer indicators (every category, fixed order)."""
    cats = [c for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)]
    return pd.get_dummies(df, columns=cats, dtype="int64") if cats else df


def score(train: pd.DataFrame, test: pd.DataFrame, seed: int) -> dict[str, float]:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import average_precision_score, balanced_accuracy_score, brier_score_loss, f1_score

    x_train, x_test = one_hot(train).drop(columns=TARGET), one_hot(test).drop(columns=TARGET)
    x_train = x_train.reindex(columns=x_test.columns, fill_value=0)
    clf = HistGradientBoostingClassifier(random_state=seed).fit(x_train, train[TARGET])
    p = clf.predict_proba(x_test)[:, 1]
    y = test[TARGET].to_numpy()
    hard = (p >= 0.5).astype(int)
    return {"bal_acc": balanced_accuracy_score(y, hard), "f1_min": f1_score(y, hard, zero_division=0.0),
            "pr_auc": average_precision_score(y, p), "brier": brier_score_loss(y, p)}


def run(tables: dict[str, pd.DataFrame], seeds: int) -> pd.DataFrame:
    from sklearn.model_selection import train_test_split

    import synthkit

    rows = []
    for name, df in tables.items():
        mixed = any(isinstance(df[c].dtype, pd.CategoricalDtype) for c in df.columns)
        for s in range(seeds):
            train, test = train_test_split(df, test_size=0.3, stratify=df[TARGET], random_state=s)
            for method in METHODS:
                if method == "smotenc" and not mixed:
                    continue
                t0 = time.perf_counter()
                passed = np.nan
                if method == "none":
                    grown = train
                else:
                    numeric_only = method not in ("naive", "smotenc", "synthetic")
                    base = one_hot(train) if numeric_only else train
                    res = synthkit.oversample(base, target=TARGET, method=method, seed=1000 + s)
                    grown = res.frame
                    if res.privacy_passed is not None:
                        passed = float(res.privacy_passed)
                seconds = time.perf_counter() - t0
                rows.append({"table": name, "method": method, "seed": s, "rows": len(grown),
                             **score(grown, test, s), "privacy": passed, "seconds": seconds})
            print(f"  {name}: seed {s} done", flush=True)
    return pd.DataFrame(rows)


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    metrics = ["bal_acc", "f1_min", "pr_auc", "brier"]
    g = results.groupby(["table", "method"], sort=False)
    n = g.size()
    out = pd.DataFrame(index=g.size().index)
    for m in metrics:
        mean, se = g[m].mean(), g[m].std(ddof=1) / np.sqrt(n)
        out[m] = [f"{a:.3f} ± {b:.3f}" for a, b in zip(mean, se, strict=True)]
    out["privacy"] = g["privacy"].mean().map(lambda v: "" if np.isnan(v) else f"{v:.0%}")
    out["rows"] = g["rows"].mean().round().astype(int)
    out["seconds"] = g["seconds"].mean().round(2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="2 seeds")
    args = ap.parse_args()
    from threadpoolctl import threadpool_limits

    # one thread for BLAS and OpenMP: the classifier's OpenMP threads stall on a shared machine
    # (a 0.3 s fit took two minutes), and every method is then timed alike
    threadpool_limits(1)
    seeds = 2 if args.quick else args.seeds
    tables = load_tables()
    for name, df in tables.items():
        print(f"{name}: {len(df)} rows, {df.shape[1] - 1} columns, {df[TARGET].mean():.1%} positive")
    results = run(tables, seeds)
    print(f"\nmean ± standard error over {seeds} seeds (test set: 30% of the real rows, never oversampled)")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(summarise(results).to_string())


if __name__ == "__main__":
    main()
