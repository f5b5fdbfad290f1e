"""Build and execute notebooks/07_repair.ipynb (run: python notebooks/make_07_repair.py)."""

from build import build_notebook

cells = [
    ("md", """# 07 · Repairing real data: imputation, stitching, oversampling

Three jobs on real tables that are not synthesis from scratch, but synthesis *around* real rows:

1. **multiple imputation**: fill the missing cells of a table by draws from a model given each row's
   observed values, `m` times, and combine the analyses of the `m` completed tables by Rubin's rules
   (`synthkit.impute`, `synthkit.pool`);
2. **stitching** (statistical matching): join two tables that share only a few columns
   (`synthkit.stitch`);
3. **oversampling** a rare class before training a classifier (`synthkit.oversample`).

`SYNTHKIT_FAST=1` uses fewer repetitions (the test suite runs this notebook that way)."""),
    ("code", """import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from sklearn.datasets import load_diabetes
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, balanced_accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

import synthkit

threadpool_limits(1)  # small tables: one thread per numeric library (more threads only wait on each other)
FAST = os.environ.get("SYNTHKIT_FAST") == "1"
REPS = 8 if FAST else 100  # repetitions of the coverage experiment
SEEDS = 2 if FAST else 5  # train/test splits of the oversampling comparison
pd.set_option("display.width", 140)
pd.set_option("display.max_colwidth", 100)"""),
    ("md", """## 1. Multiple imputation on the diabetes table

scikit-learn's diabetes table (442 patients, 10 measurements and the disease progression `target`, in
their original units) with 20% of its cells removed completely at random. The serum block `s1`–`s4`
is nearly collinear (`s1` on the other ten columns: R² = 0.98), a hard case for any imputation model.

* **Mean fill** puts each column's observed mean in its holes: the spread of a column with a share
  `p` filled shrinks to about `1 - p` of the truth, every correlation is pulled towards 0, and an
  analysis of the filled table treats the invented values as observed.
* **`synthkit.impute`** fits a Gaussian copula on the incomplete table (marginals from the observed
  values; the latent correlation of the values and of one missingness indicator per column, estimated
  by stochastic EM) and draws each missing cell from its conditional distribution given the row's
  observed cells. With `m=20` it returns 20 completed tables, independent draws.

**Variance ratio** below: a column's variance in the completed table over its variance in the
complete table (the mean over the 20 tables for synthkit). 1 is right; the dashed line is `1 - p`,
what mean fill is expected to give."""),
    ("code", """diabetes = load_diabetes(as_frame=True, scaled=False).frame
share = 0.2
holes = diabetes.mask(np.random.default_rng(0).random(diabetes.shape) < share)
print(f"{len(diabetes)} rows x {diabetes.shape[1]} columns, {holes.isna().to_numpy().mean():.1%} "
      "of the cells removed")

mean_fill = holes.fillna(holes.mean())
tables = synthkit.impute(holes, m=20, seed=1)

ratios = pd.DataFrame({
    "mean fill": mean_fill.var() / diabetes.var(),
    "synthkit.impute (m=20)": np.mean([t.var() / diabetes.var() for t in tables], axis=0),
})
fig, ax = plt.subplots(figsize=(7, 4))
rows = np.arange(len(ratios))
for (label, col), marker, color in zip(ratios.items(), ["s", "o"], ["#DD8452", "#4C72B0"]):
    ax.scatter(col, rows, marker=marker, s=50, color=color, label=label, zorder=3)
ax.axvline(1.0, color="black", lw=1)
ax.axvline(1 - share, color="grey", lw=1, ls="--", label=f"1 - share missing = {1 - share:.1f}")
ax.set_yticks(rows, ratios.index)
ax.invert_yaxis()
ax.set_xlim(0.5, 1.3)
ax.set_xlabel("variance of the completed column / variance of the complete column")
ax.set_title("Spread kept by each way of filling 20% holes")
ax.legend(loc="lower right", fontsize=9)
fig.tight_layout()
ratios.round(3).T"""),
    ("md", """Every pair of columns: the correlation in the complete table (x) against the one in the filled
table (y; for synthkit the mean over the 20 tables). Points on the diagonal are correlations kept;
mean fill's points fall towards the horizontal axis."""),
    ("code", """upper = np.triu_indices(diabetes.shape[1], 1)
true_corr = diabetes.corr().to_numpy()[upper]
imputed_corr = {"mean fill": mean_fill.corr().to_numpy()[upper],
                "synthkit.impute (m=20)": np.mean([t.corr().to_numpy() for t in tables], axis=0)[upper]}
fig, ax = plt.subplots(figsize=(5, 5))
for (label, corr), marker, color in zip(imputed_corr.items(), ["s", "o"], ["#DD8452", "#4C72B0"]):
    err = np.abs(corr - true_corr).mean()
    ax.scatter(true_corr, corr, marker=marker, s=22, color=color, alpha=0.8,
               label=f"{label}: mean |error| {err:.3f}")
ax.plot([-1, 1], [-1, 1], color="black", lw=1)
ax.set_xlim(-0.6, 1.0)
ax.set_ylim(-0.6, 1.0)
ax.set_aspect("equal")
ax.set_xlabel("correlation in the complete table")
ax.set_ylabel("correlation in the filled table")
ax.set_title(f"The {len(true_corr)} pairwise correlations")
ax.legend(loc="upper left", fontsize=9)
fig.tight_layout()"""),
    ("md", """### Does the 95% interval cover?

The analysis: the OLS coefficient of `bmi` in `target ~ bmi + bp + s5`. Each repetition removes a new
20% of the cells, imputes 20 tables, fits the regression on each and pools the 20 fits by Rubin's rules
(`synthkit.pool`: `Q = mean(q_i)`, `T = W + (1 + 1/m) B` with `W` the mean squared standard error and
`B` the variance of the estimates, a *t* interval with Barnard–Rubin degrees of freedom). Mean fill
fits the regression once on the filled table and takes its ordinary interval.

The vertical line is the coefficient on the complete table. An interval for the population
coefficient that is honest about the holes covers this value at least 95% of the time (more, since it
also holds the sampling error of the complete table itself); one that misses it more often is biased or
too narrow. Each row below is one repetition; intervals that miss are drawn in red. (The fast run of
this notebook imputes the regression's four columns only; the full run imputes all eleven.)"""),
    ("code", """X = ["bmi", "bp", "s5"]
cover_table = diabetes[X + ["target"]] if FAST else diabetes


def ols_bmi(table):
    fit = sm.OLS(table["target"], sm.add_constant(table[X])).fit()
    return fit.params["bmi"], fit.bse["bmi"] ** 2, fit.df_resid


truth, _, df_complete = ols_bmi(diabetes)
intervals = {"synthkit.impute (m=20) + pool": [], "mean fill": []}
for rep in range(REPS):
    cut = cover_table.mask(np.random.default_rng(100 + rep).random(cover_table.shape) < share)
    fits = np.array([ols_bmi(t)[:2] for t in synthkit.impute(cut, m=20, seed=rep)])
    pooled = synthkit.pool(fits[:, 0], fits[:, 1], df_complete=df_complete)
    intervals["synthkit.impute (m=20) + pool"].append(pooled.conf_int(0.95))
    q, v, df = ols_bmi(cut.fillna(cut.mean()))
    half = stats.t.ppf(0.975, df) * np.sqrt(v)
    intervals["mean fill"].append([q - half, q + half])

fig, axes = plt.subplots(1, 2, figsize=(11, 2.6 + 0.07 * REPS), sharex=True, sharey=True)
for ax, (label, iv) in zip(axes, intervals.items()):
    iv = np.asarray(iv, dtype=float)
    hit = (iv[:, 0] <= truth) & (truth <= iv[:, 1])
    ax.hlines(np.arange(REPS), iv[:, 0], iv[:, 1], colors=np.where(hit, "#4C72B0", "#C44E52"), lw=1.5)
    ax.axvline(truth, color="black", lw=1.2)
    ax.set_title(f"{label}\\ncovers in {hit.sum()} of {REPS} repetitions ({hit.mean():.0%})")
    ax.set_xlabel("95% interval of the bmi coefficient (target units per kg/m²)")
    print(f"{label:32s} coverage {hit.mean():.2f} ({hit.sum()} of {REPS}), "
          f"mean interval width {np.mean(iv[:, 1] - iv[:, 0]):.2f}")
axes[0].set_ylabel("repetition")
fig.suptitle(f"{REPS} repetitions, new holes each time; black line: the coefficient on the complete table "
             f"({truth:.2f})")
fig.tight_layout()"""),
    ("md", """Mean fill misses on one side: a filled `bmi` is the column mean whatever the patient's
`target`, which flattens the slope, and its interval is *narrower* than the pooled one although the
filled table holds less information. The pooled intervals are wider by the between-imputation variance
`(1 + 1/m) B`, the part of the uncertainty that comes from the cells never seen."""),
    ("md", """## 2. Stitching two sources that share a few columns

Two samples of one population: the left table holds the shared columns `X` and its own `Y`, the right
table `X` and its own `Z`; no row holds `Y` and `Z` together. `synthkit.stitch` gives every left row a `Z`:

* `method="hotdeck"`: the `Z` of a real right row (the donor), drawn among the `k = 5` nearest on `X`
  by Gower distance;
* `method="model"`: `Z` drawn from a Gaussian copula fitted on the right table, given the row's `X`;
* `auxiliary=`: a small table holding `Y` and `Z` together (here 5% of the rows asked every question),
  whose `Y`-`Z` dependence enters the model (and, for the hot-deck, the choice of donor).

**The conditional-independence assumption.** Without auxiliary data both methods can only assume that
`Y` and `Z` are independent given `X`: the stitched table's `Y`-`Z` dependence is what flows through the
shared columns, and nothing else. Where `X` explains the pair, matching recovers its correlations;
where `X` says little about it, no matching on `X` can, and only data holding `Y` and `Z` together helps.

The real table: statsmodels' `fair` survey (6,366 women), split at random into two halves, in two
arrangements:

* **A**, shared columns that carry the dependence: `X` = age, education, religiousness; `Y` = years
  married, marriage rating; `Z` = children, affairs;
* **B**, shared columns that say little about the pair: `X` = education, religiousness, occupation;
  `Y` = years married, marriage rating; `Z` = age, children."""),
    ("code", """fair = synthkit.datasets.load_example("statsmodels:fair")
truth_corr = fair.corr()
arrangements = {
    "A: X = age, educ, religious": (["age", "educ", "religious"], ["yrs_married", "rate_marriage"],
                                    ["children", "affairs"]),
    "B: X = educ, religious, occupation": (["educ", "religious", "occupation"],
                                           ["yrs_married", "rate_marriage"], ["age", "children"]),
}


def cross_error(frame, y, z):
    \"\"\"Mean |error| of the left-only x right-only correlations against the complete table.\"\"\"
    return float(np.abs(frame[y + z].corr().loc[y, z] - truth_corr.loc[y, z]).to_numpy().mean())


errors, stitched, results = {}, {}, {}
for name, (on, y, z) in arrangements.items():
    idx = np.random.default_rng(0).permutation(len(fair))
    left, right = fair.iloc[idx[: len(fair) // 2]][on + y], fair.iloc[idx[len(fair) // 2:]][on + z]
    aux = fair.iloc[idx[: len(fair) // 20]][y + z]
    random_join = left.assign(**{c: right[c].sample(len(left), replace=True, random_state=0).to_numpy()
                                 for c in z})
    runs = {"hotdeck": synthkit.stitch(left, right, on=on, method="hotdeck", seed=0),
            "model": synthkit.stitch(left, right, on=on, method="model", seed=0)}
    for method in ["hotdeck", "model"]:
        runs[f"{method} + auxiliary"] = synthkit.stitch(left, right, on=on, method=method, auxiliary=aux,
                                                        seed=0)
    results[name] = runs
    stitched[name] = {"random join": random_join, **{k: r.frame for k, r in runs.items()}}
    errors[name] = {k: cross_error(f, y, z) for k, f in stitched[name].items()}
errors = pd.DataFrame(errors)
print(f"left {len(left)} rows, right {len(right)} rows, auxiliary {len(aux)} rows")
errors.round(3)"""),
    ("md", """The bars: how far the stitched table's `Y`×`Z` correlations are from the complete table's (mean
absolute error over the four pairs). For scale, one correlation estimated from the 3,183 left rows has
a standard error of at most `1/sqrt(3183) = 0.018`, from the 318 auxiliary rows at most 0.056."""),
    ("code", """fig, ax = plt.subplots(figsize=(9, 4))
width = 0.16
colors = ["#8C8C8C", "#4C72B0", "#55A868", "#DD8452", "#C44E52"]
for i, (method, color) in enumerate(zip(errors.index, colors)):
    ax.bar(np.arange(errors.shape[1]) + (i - 2) * width, errors.loc[method], width, label=method, color=color)
ax.set_xticks(np.arange(errors.shape[1]), errors.columns)
ax.set_ylabel("mean |error| of the Y x Z correlations")
ax.set_title("Cross-source correlations of the stitched table vs the complete table")
ax.legend(fontsize=9, ncol=2)
fig.tight_layout()"""),
    ("md", """In **A** the shared columns carry the pair (age drives both years married and children), so both
matching methods beat a random join by far. In **B** they do not: under the conditional-independence
assumption hot-deck and model are no better than a random join (the strong `yrs_married`-`age`
correlation of 0.89 is lost), and 318 rows holding `Y` and `Z` together bring most of it back. The
correlations themselves, arrangement B:"""),
    ("code", """name = "B: X = educ, religious, occupation"
on, y, z = arrangements[name]
pairs = pd.DataFrame({k: f[y + z].corr().loc[y, z].stack()
                      for k, f in {"complete table": fair, **stitched[name]}.items()})
pairs.index = [f"{a} x {b}" for a, b in pairs.index]
pairs.round(2)"""),
    ("md", """How close were the matches? The hot-deck's distance is Gower's: per shared column `|a - b|` over
the column's interquartile range (1 for two different categories), averaged over the columns. The
`fair` columns take few distinct values, so most recipients find an exact twin on `X`. With auxiliary
data the hot-deck matches on `X` *and* on intermediate `Z` values drawn from the model, so its
distances are larger: the price of donating real `Z` values that honour the auxiliary dependence."""),
    ("code", """runs = results["A: X = age, educ, religious"]
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
for ax, key in zip(axes, ["hotdeck", "hotdeck + auxiliary"]):
    runs[key].plot_distances(ax=ax, bins=30, color="#4C72B0")
    ax.set_title(f"{key}: matched on {', '.join(runs[key].matched_on)}", fontsize=10)
fig.suptitle("Arrangement A: Gower distance from each left row to its donor")
fig.tight_layout()
pd.DataFrame({k: runs[k].summary() for k in ["hotdeck", "hotdeck + auxiliary"]}).round(3)"""),
    ("md", """## 3. Oversampling a rare class

scikit-learn's breast cancer table (30 numeric measurements of a tumour), with the malignant tumours
subsampled to 5% of the rows: 357 benign, 19 malignant. Each seed draws a stratified 70/30 split; the
training part alone is oversampled until both classes have the same count, a gradient-boosting
classifier (`HistGradientBoostingClassifier`) is trained on it and scored on the untouched real test part:

* `naive`: copies of random malignant rows;
* `smote`: new rows on the segments between a malignant row and one of its 5 nearest malignant
  neighbours, `x_i + u (x_nn - x_i)`, `u ~ U(0, 1)`; `borderline`: the same from the rows near the class
  border; `adasyn`: more new rows around the rows surrounded by the other class (imbalanced-learn);
* `synthetic`: a Gaussian copula fitted on the malignant training rows alone, sampled; the new rows'
  distance to the real rows is checked by synthkit's privacy checks.

Scores: balanced accuracy and malignant-class F1 at the 0.5 threshold, and PR-AUC (average precision,
threshold-free). The test part holds only 6 malignant tumours, so each score moves in coarse steps: the
error bars (one standard error over the seeds) say which differences are noise."""),
    ("code", """cancer = synthkit.datasets.load_example("sklearn:breast_cancer")
rng = np.random.default_rng(0)
benign = cancer[cancer["target"] == "benign"]
malignant = cancer[cancer["target"] == "malignant"]
n_rare = round(0.05 * len(benign) / 0.95)
rare = pd.concat([benign, malignant.iloc[np.sort(rng.choice(len(malignant), n_rare, replace=False))]])
rare = rare.sort_index().reset_index(drop=True)
rare["target"] = rare["target"].cat.remove_unused_categories()
print(rare["target"].value_counts().to_string())

METHODS = ["none", "naive", "smote", "borderline", "adasyn", "synthetic"]
scores, oversampled = [], {}
for s in range(SEEDS):
    train, test = train_test_split(rare, test_size=0.3, stratify=rare["target"], random_state=s)
    y_test = (test["target"] == "malignant").to_numpy()
    for method in METHODS:
        grown = train
        if method != "none":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = synthkit.oversample(train, target="target", method=method, seed=1000 + s)
            grown = res.frame
            oversampled[s, method] = res
        clf = HistGradientBoostingClassifier(random_state=s)
        clf.fit(grown.drop(columns="target"), grown["target"] == "malignant")
        p = clf.predict_proba(test.drop(columns="target"))[:, 1]
        scores.append({"seed": s, "method": method,
                       "balanced accuracy": balanced_accuracy_score(y_test, p >= 0.5),
                       "malignant F1": f1_score(y_test, p >= 0.5),
                       "PR-AUC": average_precision_score(y_test, p)})
scores = pd.DataFrame(scores)
summary = scores.groupby("method", sort=False).agg(["mean", "sem"]).drop(columns="seed")
summary.round(3)"""),
    ("code", """metrics = ["balanced accuracy", "malignant F1", "PR-AUC"]
fig, ax = plt.subplots(figsize=(11, 4))
width = 0.13
colors = ["#8C8C8C", "#DD8452", "#4C72B0", "#64B5CD", "#8172B3", "#55A868"]
for i, (method, color) in enumerate(zip(METHODS, colors)):
    mean = [summary.loc[method, (m, "mean")] for m in metrics]
    sem = [summary.loc[method, (m, "sem")] for m in metrics]
    ax.bar(np.arange(len(metrics)) + (i - 2.5) * width, mean, width, yerr=sem, capsize=2, label=method,
           color=color)
ax.set_xticks(np.arange(len(metrics)), metrics)
ax.set_ylim(0.5, 1.02)
ax.set_ylabel(f"score on the real test part\\n(mean and standard error, {SEEDS} seeds)")
ax.set_title("Gradient boosting trained on the oversampled training part")
ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1), title="oversampling")
fig.tight_layout()"""),
    ("md", """On this table the classifier separates the classes well even from the 13 malignant training
rows: no method beats no oversampling by more than a standard error, and `synthetic`, a copula
estimated from those 13 rows, is the lowest on balanced accuracy and F1 (0.878 and 0.780). (Where the classes overlap more, balancing them raises balanced accuracy and minority F1 at the 0.5
threshold, since it moves the threshold, while the threshold-free PR-AUC barely moves:
`python benchmarks/oversample.py` runs two such tables.)"""),
    ("md", """The `synthetic` rows are draws from a model, not points between real rows. Each run compares
them with the real rows of their class: exact copies, the distance to the closest real record (DCR) and
the nearest-neighbour distance ratio (NNDR), each against the same distances among the real rows
themselves. `res.privacy_passed` is the verdict and `res.privacy` holds the reports:"""),
    ("code", """print({f"seed {s}": oversampled[s, "synthetic"].privacy_passed for s in range(SEEDS)})
print(oversampled[0, "synthetic"].privacy["malignant"].summary())"""),
    ("md", """The same checks on the new rows of the other methods (seed 0): copies are copies, and SMOTE's
points on a segment between two real rows often sit very close to one of them."""),
    ("code", """train, _ = train_test_split(rare, test_size=0.3, stratify=rare["target"], random_state=0)
real = train[train["target"] == "malignant"].drop(columns="target")
checks = {}
for method in METHODS[1:]:
    res = oversampled[0, method]
    new = res.frame.loc[res.is_new].drop(columns="target")
    rep = synthkit.validate(real, new, checks="privacy", figures=False, seed=7)
    checks[method] = {"new rows": len(new), "passed": rep.passed,
                      "failed checks": ", ".join(c.statistic for c in rep.failed()) or "-"}
pd.DataFrame(checks).T"""),
]

if __name__ == "__main__":
    build_notebook(cells, "07_repair.ipynb", timeout=1800)  # the full coverage run: 100 x 20 imputations
