"""Build and execute notebooks/06_rules_and_partial_data.ipynb (run: python notebooks/make_06_rules_and_partial_data.py)."""

from build import build_notebook

cells = [
    ("md", """# 06 · Business rules, partial real data, categorical structure, GMM and CART

What a data team reaches for after "fit and sample":

1. **business rules**: hard rules every row keeps, soft ("less likely") rules and derived columns,
   with a report of what each rule cost and how much it moved the columns;
2. **synthesis around real data**: new synthetic columns drawn onto a real partial table
   (`model.extend`), and conditional sampling from a table of conditions;
3. **categorical structure**: hierarchies (a code and its group) kept exactly, nominal levels in a
   data-driven order;
4. two more strategies: the **Gaussian mixture** (`"gmm"`) and **sequential CART** (`"cart"`).

`SYNTHKIT_FAST=1` uses smaller samples (the test suite runs this notebook that way)."""),
    ("code", """import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import synthkit
from synthkit.recipes import find_recipe, load_recipe

FAST = os.environ.get("SYNTHKIT_FAST") == "1"
N = 3_000 if FAST else 20_000
pd.set_option("display.max_colwidth", 80)
pd.set_option("display.width", 140)"""),
    ("md", """## 1. Business rules on a declared bank-customer table

The packaged `bank_customers` recipe declares 16 columns and 14 rules of three kinds:

* **hard** rules (`"age >= 18"`, `"if age < 21 then children == 0"`): every row satisfies them. A simple
  bound on one column is not a rejection: the column is drawn from its truncated distribution;
* **derived** columns (`"monthly_income = round(annual_income / 12, 2)"`,
  `"segment = if annual_income >= 100000 then 'premium' else ..."`): computed on every row, usable by
  the later rules;
* **soft** rules (`{rule: "children <= 2", keep: 0.4}`): a row breaking one is kept with probability
  `keep`, so such rows become rarer but do not vanish."""),
    ("code", """recipe = load_recipe(find_recipe("bank_customers"))
for rule in recipe["rules"]:
    print(rule)
model = synthkit.declare(recipe["columns"], strategy=recipe["strategy"], rules=recipe["rules"])
bank = model.sample(N, seed=42)
print()
print(bank.rules_report)"""),
    ("md", """Every hard rule holds on every row, and each soft rule's violations are as rare as its `keep`
says. A rule that rejects a violating row with probability `1 - keep` multiplies the odds of a
violation by exactly `keep`: with `q` the violation share before filtering, the share after is
`keep * q / (keep * q + 1 - q)`. `validate` checks both against a reference sample drawn from the model
under its rules (counts for hard rules; a two-proportion test for soft ones; recomputation for derived
columns)."""),
    ("code", """report = synthkit.validate(model, bank, figures=False)
print(report.summary().splitlines()[0])
rules_rows = report.describe().query("section == 'rules'")
rules_rows[["statistic", "columns", "value", "threshold", "passed"]]"""),
    ("md", """How much did filtering move each column? The report compares the rows drawn with the rows
accepted (Kolmogorov–Smirnov distance for numbers, total variation for categories)."""),
    ("code", """shift = bank.rules_report.shift().sort_values("value").tail(10)
fig, ax = plt.subplots(figsize=(7, 3.6))
colors = ["#4C72B0" if m == "ks" else "#DD8452" for m in shift["measure"]]
ax.barh(shift.index.astype(str), shift["value"], color=colors)
ax.set_xlabel("drawn vs accepted rows: KS distance (blue) or total variation (orange)")
ax.set_title("Columns the rules moved most")
fig.tight_layout()"""),
    ("md", """## 2. Synthesis around partial real data

A team holds a real table with some columns (here the first four of statsmodels' `fair` survey) and
wants the other attributes added synthetically, consistent with each real row. `model.extend` draws the
missing columns from the fitted Gaussian copula **conditioned on every row's observed values**
(continuous values as points of the latent normal, discrete ones as intervals): exact conditional
sampling, no rejection. The cross-correlations between the given and the drawn columns then match the
complete table's, which an independent draw of the missing columns cannot do."""),
    ("code", """fair = synthkit.datasets.load_example("statsmodels:fair")
rng = np.random.default_rng(0)
test_rows = rng.permutation(len(fair))[: len(fair) // 2]
train, test = fair.drop(index=fair.index[test_rows]), fair.iloc[test_rows]
given, drawn = list(fair.columns[:4]), list(fair.columns[4:])
fair_model = synthkit.fit(train, strategy="gaussian_copula")

extended = fair_model.extend(test[given], seed=1).frame
independent = pd.concat([test[given], fair_model.sample(len(test), seed=2).frame[drawn]
                         .set_axis(test.index)], axis=1)


def cross(frame):
    return frame.astype(float).corr().loc[given, drawn]


truth = cross(test)
errors = pd.Series({"extend (conditional)": (cross(extended) - truth).abs().to_numpy().mean(),
                    "independent draw": (cross(independent) - truth).abs().to_numpy().mean()},
                   name="mean |error| of the given x drawn correlations")
print(errors.round(4).to_string())
fig, axes = plt.subplots(1, 3, figsize=(12, 3.4), sharey=True)
for ax, (title, frame) in zip(axes, [("real table", test), ("extended", extended),
                                     ("independent draw", independent)]):
    im = ax.imshow(cross(frame).to_numpy(), vmin=-0.5, vmax=0.5, cmap="RdBu_r")
    ax.set_title(title)
    ax.set_xticks(range(len(drawn)), drawn, rotation=45, ha="right")
    ax.set_yticks(range(len(given)), given)
_ = fig.colorbar(im, ax=axes, shrink=0.8, label="correlation (given x drawn)")"""),
    ("md", """A **table of conditions** asks for rows with given values, one request per row or a count per
condition; missing cells are free. For the copula strategies it is exact conditioning, not rejection."""),
    ("code", """conditions = pd.DataFrame({"rate_marriage": [1.0, 5.0], "children": [3.0, 0.0]})
cond = fair_model.sample(conditions=conditions, counts=[500, 500], seed=3).frame
cond.groupby(["rate_marriage", "children"])[["age", "yrs_married", "affairs"]].mean().round(2)"""),
    ("md", """## 3. Categorical structure the copulas lose

A column determined by another (an occupation code and its group, a postcode and its city) is a
*hierarchy*. One latent dimension per column cannot keep such a map exactly, so synthkit detects
hierarchies at fit, models the finer column and derives the coarser one by the stored level map: every
sampled row respects it, for every strategy. Here a 4-level income band is derived from the ANES 1996
survey's 24-level income code."""),
    ("code", """anes = synthkit.datasets.load_example("statsmodels:anes96").drop(columns=["logpopul"])
anes["income_band"] = pd.cut(anes["income"], [0, 8, 16, 20, 24], labels=["low", "middle", "upper", "top"])
anes["income"] = anes["income"].astype(int).astype(str)  # a nominal code
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    kept = synthkit.fit(anes, strategy="gaussian_copula")
    lost = synthkit.fit(anes, strategy="gaussian_copula", hierarchies=None)
print(kept.schema.describe().set_index("column").loc[["income", "income_band"], ["kind", "structure"]])
truth_map = anes.groupby("income", observed=True)["income_band"].first()


def agreement(frame):
    return float((frame["income"].map(truth_map).astype(str) == frame["income_band"].astype(str)).mean())


pd.Series({"hierarchies='auto' (default)": agreement(kept.sample(N, seed=4).frame),
           "hierarchies=None": agreement(lost.sample(N, seed=4).frame)},
          name="rows whose band matches their income code")"""),
    ("md", """## 4. Gaussian mixture: clusters as a synthesis engine

`strategy="gmm"` fits scikit-learn's `GaussianMixture` in the normal-score space of the columns, with the
number of components chosen by BIC, and maps every dimension back through the mixture's own marginal
CDF, so each column keeps its fitted marginal exactly. On the wine table one copula loses the
non-monotone colour-intensity-by-class structure; the mixture keeps it."""),
    ("code", """wine = synthkit.datasets.load_example("sklearn:wine")
gmm = synthkit.fit(wine, strategy="gmm")
copula = synthkit.fit(wine, strategy="gaussian_copula", stratify=None)
fig = gmm.plot_bic()


def eta(frame):  # correlation ratio of colour intensity by class
    y = frame["color_intensity"].astype(float)
    groups = y.groupby(frame["target"].astype(str), observed=True)
    return float(np.sqrt((groups.count() * (groups.mean() - y.mean()) ** 2).sum() / ((y - y.mean()) ** 2).sum()))


pd.Series({"real": eta(wine), "gaussian_copula": eta(copula.sample(N, seed=5).frame),
           "gmm": eta(gmm.sample(N, seed=5).frame)}, name="correlation ratio").round(3)"""),
    ("md", """## 5. Sequential CART on an integer-coded survey

`strategy="cart"` synthesises one column at a time from a decision tree on the columns before it (Reiter
2005; R synthpop's default), drawing from each leaf's stored distribution (leaves of at least
`max(5, sqrt(n))` rows; the model file keeps leaf frequencies and quantiles, never records). On survey
tables with integer-coded answers it keeps the pairwise structure better than one Gaussian copula."""),
    ("code", """survey = synthkit.datasets.load_example("statsmodels:anes96").drop(columns=["logpopul"])
scores = {}
for name in ["gaussian_copula", "cart"]:
    m = synthkit.fit(survey, strategy=name)
    rep = synthkit.validate(survey, m.sample(len(survey), seed=6), figures=False, checks=["marginals", "dependence"])
    scores[name] = rep.scores
pd.DataFrame(scores).round(3)"""),
]

if __name__ == "__main__":
    build_notebook(cells, "06_rules_and_partial_data.ipynb")
