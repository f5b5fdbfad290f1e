"""Build and execute notebooks/05_anonymization.ipynb (run: python notebooks/make_05_anonymization.py)."""

from build import build_notebook

cells = [
    ("md", """# 05 · Anonymized synthesis: releasing a customer table

A data team wants to share its customer table with an outside analytics partner. The table
holds contact details (ids, names, e-mails, phones, addresses) next to survey answers that
include a sensitive one. This notebook follows the release:

1. the table and the role synthkit gives each column;
2. what a naive fit (`privacy="off"`) leaks, and what `privacy="standard"` (the default) does instead;
3. attacks on two releases: a *leaky* one (a resample of real rows) and the synthkit one;
4. what the protections cost in fidelity;
5. the whole workflow in one call: `synthkit.anonymize` (and `synthkit anonymize` on the command line).

Every file is written into a temporary folder; names are shown relative to it."""),
    ("code", """import json
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from faker import Faker

import synthkit
from synthkit.privacy import real_values_emitted
from synthkit.validation.attacks import attacks_frame

FAST = os.environ.get("SYNTHKIT_FAST") == "1"
workdir = tempfile.TemporaryDirectory()
folder = Path(workdir.name)  # every file of this notebook goes here
pd.set_option("display.max_colwidth", 90)"""),
    ("md", """## 1. The customer table

The survey answers are real: statsmodels' `fair` data (6,366 women answering a 1974
magazine survey on marriage; `affairs` is the time spent in extramarital affairs, the
sensitive answer). The contact columns are made up here with Faker, seeded locally
(`Faker.seed_instance`), and numpy's seeded generator, and joined row by row: they stand
for the customer master data a real table would carry. (`SYNTHKIT_FAST=1` takes a random
subset of the rows.)"""),
    ("code", """survey = synthkit.datasets.load_example("statsmodels:fair")
rng = np.random.default_rng(2024)
if FAST:
    survey = survey.iloc[np.sort(rng.choice(len(survey), 2_000, replace=False))]
survey = survey.reset_index(drop=True)
n = len(survey)

fake = Faker("en_US")
fake.seed_instance(2024)
first = [fake.first_name() for _ in range(n)]
last = [fake.last_name() for _ in range(n)]
contact = pd.DataFrame({
    "customer_id": [f"CUS-{i:08d}" for i in 10_000_000 + rng.choice(90_000_000, n, replace=False)],
    "customer_no": 100_000 + rng.choice(900_000, n, replace=False),
    "name": [f"{a} {b}" for a, b in zip(first, last)],
    "email": [f"{a}.{b}{k}@{fake.free_email_domain()}".lower()
              for a, b, k in zip(first, last, rng.integers(1, 100, n))],
    "phone": [fake.basic_phone_number() for _ in range(n)],
    "address": [fake.address().replace("\\n", ", ") for _ in range(n)],
})
customers = pd.concat([contact, survey], axis=1)
contact_cols, survey_cols = list(contact.columns), list(survey.columns)
print(customers.shape)
customers.head(3)"""),
    ("md", """The team keeps a random fifth of the customers out of everything that follows: this
*holdout* is the control group of the attacks in section 3 (people the generator never saw)."""),
    ("code", """order = rng.permutation(n)
cut = n // 5
holdout, train = customers.iloc[np.sort(order[:cut])], customers.iloc[np.sort(order[cut:])]
print(f"training rows: {len(train)}, holdout rows: {len(holdout)}")"""),
    ("md", """`synthkit.fit` (default `privacy="standard"`) first gives every column a role, with the
reason: **identifier** and **pii** columns are *generated* (format-preserving ids, fakes
composed from Faker's locale data), never modelled from their values; **quasi_identifier**
marks columns an attacker may know (age, occupation...); the rest are **ordinary**.
Detection is conservative and any role can be set with `roles={column: role}`."""),
    ("code", """model = synthkit.fit(train)
model.schema.describe()[["column", "kind", "role", "why"]]"""),
    ("md", """## 2. Before and after: `privacy="off"` vs `privacy="standard"`

`privacy="off"` is the raw behaviour: every column is modelled from its values, so the
fitted model *is* a copy of the contact data (`email` becomes a categorical marginal with one
level per customer), and synthkit warns about it."""),
    ("code", """with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    naive = synthkit.fit(train, privacy="off")
for w in caught:
    print(f"{w.category.__name__}: {w.message}")"""),
    ("md", """Two questions per contact column: how many values of a synthetic sample (as many rows as
the training table) equal a training customer's value, and how many training customers'
values the saved model file holds (every string and number in the JSON file compared with
the column's values)."""),
    ("code", """def json_leaves(path):
    \"\"\"Every string and number in a JSON file.\"\"\"
    found, stack = [], [json.loads(Path(path).read_text())]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)
        elif isinstance(x, (str, int, float)) and not isinstance(x, bool):
            found.append(x)
    return pd.Series(found, dtype=object)


rows = []
for label, m in (("off", naive), ("standard", model)):
    sample = m.sample(len(train), seed=1).frame
    path = m.save(folder / f"model_{label}.json")
    stored = json_leaves(path)
    for c in contact_cols:
        real = train[c]
        rows.append({"privacy": label, "column": c,
                     "real values in the sample": real_values_emitted(real, sample[c]),
                     "real values in the model file": real_values_emitted(stored, real)})
    print(f"privacy={label!r}: {path.name} is {path.stat().st_size / 1e3:,.0f} kB")
leaks = pd.DataFrame(rows).pivot(index="column", columns="privacy").loc[contact_cols]
leaks"""),
    ("md", """With `privacy="standard"` the model file holds no real contact value, so nothing can be
copied. A few generated names can still *coincide* with a customer's name (common first
and last names meet by chance): the model cannot avoid what it does not store, so
`synthkit.anonymize` (section 5) compares the release with the real table and draws such
values again, and `synthkit.validate` counts them (`real_values_emitted`, which must be 0).

The model also records which protections ran on the modelled columns (`model.privacy_`):
levels held by fewer than `min_count` rows merged, the extremes top/bottom coded,
numeric marginals stored as a bounded quantile function."""),
    ("code", """print(model.privacy_["policy"])
protections = pd.DataFrame(model.privacy_["protections"])
protections[protections["protection"] != "support_check"].dropna(axis=1, how="all")"""),
    ("code", """checked = protections[protections["protection"] == "support_check"]
print(f"support checks: {len(checked)} columns, values held by fewer than k rows: "
      f"{int(checked['values_below_min_count'].sum())}")"""),
    ("md", """`synthkit inspect` shows the same from the file alone, e.g. before handing a model over:"""),
    ("code", """out = subprocess.run([sys.executable, "-m", "synthkit", "inspect", "model_standard.json"],
                     cwd=folder, capture_output=True, text=True, check=True)
print(out.stdout)"""),
    ("md", """## 3. Attacking the release

`synthkit.validate(train, synthetic, holdout=holdout)` runs four attacks (Giomi et al.,
PETS 2023) of someone holding the release against real people, each on training
customers *and* on holdout customers: what the release teaches about people in general
helps equally against both, so only the excess success on training customers is
disclosure.

* **singling out**: predicates that pick exactly one synthetic row (`age <= 22 and educ >= 17 and ...`):
  how often do they pick exactly one real customer?
* **linkability**: two holders of half the columns each join their records through the
  nearest synthetic rows;
* **attribute inference**: knowing a customer's other answers, guess one (e.g. `affairs`)
  from the nearest synthetic row;
* **membership**: was this person in the training data? (distance to the closest
  synthetic row; the risk is the AUC, 0.5 = a coin toss).

The *leaky* release is a resample (bootstrap) of training rows: realistic, and a copy."""),
    ("code", """leaky = train.sample(len(train), replace=True, random_state=3)
release = model.sample(len(train), seed=1).frame
reports = {"leaky (resampled rows)": synthkit.validate(train, leaky, holdout=holdout),
           "synthkit (privacy='standard')": synthkit.validate(train, release, holdout=holdout)}
level = 1 - 2 * next(iter(reports.values())).meta["alpha"]


def attack_table(report):
    t = attacks_frame(report.artifacts["privacy"]["attacks"])
    t["attack"] = np.where(t["target"].notna(), "inference: " + t["target"].fillna(""), t["attack"])
    t["attack"] = t["attack"].replace({"singling_out_univariate": "singling out (1 column)",
                                       "singling_out_multivariate": "singling out (3 columns)",
                                       "membership": "membership (AUC)"})
    t["interval"] = [f"[{lo:.2f}, {hi:.2f}]" for lo, hi in t["risk_ci"]]
    return t.set_index("attack")


tables = {name: attack_table(rep) for name, rep in reports.items()}
side = pd.concat({name: t[["risk", "interval"]] for name, t in tables.items()}, axis=1)
print(f"risk = excess success on training customers over holdout ones (membership: AUC); "
      f"intervals at level {level:.4f}")
side.round(3)"""),
    ("code", """fig, (ax, ax_m) = plt.subplots(1, 2, figsize=(10, 5.5), gridspec_kw={"width_ratios": [3, 1]})
names = [a for a in next(iter(tables.values())).index if a != "membership (AUC)"]
y = np.arange(len(names))
for k, (name, t) in enumerate(tables.items()):
    risk = t.loc[names, "risk"].to_numpy()
    ci = np.array(t.loc[names, "risk_ci"].tolist())
    off = (k - 0.5) * 0.38
    ax.barh(y + off, risk, height=0.36, label=name, color=f"C{k}")
    ax.errorbar(risk, y + off, xerr=[risk - ci[:, 0], ci[:, 1] - risk], fmt="none", ecolor="k",
                elinewidth=0.8, capsize=2)
    m = t.loc["membership (AUC)"]
    ax_m.bar(k, m["risk"], color=f"C{k}", width=0.6)
    ax_m.errorbar(k, m["risk"], yerr=[[m["risk"] - m["risk_ci"][0]], [m["risk_ci"][1] - m["risk"]]],
                  fmt="none", ecolor="k", capsize=3)
ax.axvline(0, color="k", lw=0.8)
ax.axvline(0.1, color="grey", ls="--", lw=0.8)
ax.set_xlim(-0.6, 1)
ax.set_yticks(y, names, fontsize=9)
ax.invert_yaxis()
ax.set_xlabel("excess risk (training vs holdout customers); dashed: the check's limit 0.1")
fig.legend(*ax.get_legend_handles_labels(), loc="upper center", ncol=2, fontsize=9,
           bbox_to_anchor=(0.5, 0.96), frameon=False)
ax.set_title("singling out, linkability, inference")
ax_m.axhline(0.5, color="k", lw=0.8)
ax_m.axhline(0.6, color="grey", ls="--", lw=0.8)
ax_m.set_xticks([0, 1], ["leaky", "synthkit"], fontsize=9)
ax_m.set_ylim(0.4, 1)
ax_m.set_ylabel("AUC (0.5 = coin toss; dashed: limit 0.6)")
ax_m.set_title("membership")
fig.suptitle(f"Attack risk of two releases (whiskers: {level:.2%} intervals, cut at -0.6); a check fails "
             "when the lower whisker passes the dashed line", fontsize=10)
plt.tight_layout(rect=(0, 0, 1, 0.92))"""),
    ("md", """In plain words, for the sensitive answer and for membership:"""),
    ("code", """for name, t in tables.items():
    inf, mem = t.loc["inference: affairs"], t.loc["membership (AUC)"]
    failed = [f"{c.statistic} [{c.columns}]" for c in reports[name].checks
              if c.section == "privacy" and c.passed is False]
    print(f"{name}:\\n"
          f"  knowing a customer's other answers, the attacker guesses her `affairs` answer "
          f"(within 5%) for {inf.train_rate:.0%} of training customers vs {inf.control_rate:.0%} "
          f"of holdout customers\\n"
          f"  he tells training customers from others with AUC {mem.risk:.2f} (0.5 = a coin toss)\\n"
          f"  privacy checks failed: {len(failed)}: {', '.join(failed[:3])}{' ...' if len(failed) > 3 else ''}")"""),
    ("md", """The leaky release helps the attacker much more against the people it was made from
than against anyone else, on every inference and on membership. Against the synthkit
release the training and holdout success rates are close: what it teaches holds for the
population, not for its customers. (Where a risk is slightly negative, the holdout
customers happened to be the easier targets; the intervals cover 0.) A
`real_values_emitted [name]` failure of the synthkit sample is the chance coincidence of
names seen in section 2, which `synthkit.anonymize` removes (section 5)."""),
    ("md", """## 4. What the protections cost

Fidelity on the survey columns (the ordinary and quasi-identifier ones), for the samples
of the two models of section 2: SDMetrics-compatible Column Shapes and Column Pair Trends
scores (1 = identical) and the number of failed fidelity checks. The largest value of
`affairs` belongs to a single respondent: with `privacy="off"` the model keeps it as its
maximum (`schema.describe()`), with `"standard"` the tail is top coded."""),
    ("code", """rows = {}
for label, m in (("off", naive), ("standard", model)):
    sample = m.sample(len(train), seed=2).frame[survey_cols]
    rep = synthkit.validate(train[survey_cols], sample, checks=["marginals", "dependence"])
    rows[f"privacy={label!r}"] = {
        "Column Shapes": round(rep.scores["marginals"], 3),
        "Column Pair Trends": round(rep.scores["dependence"], 3),
        "fidelity checks failed": sum(c.passed is False for c in rep.checks),
        "model's max of affairs": round(m.schema.describe().set_index("column").loc["affairs", "max"], 2)}
print("largest real values of affairs (training rows):", train["affairs"].nlargest(4).round(2).tolist())
pd.DataFrame.from_dict(rows, orient="index")"""),
    ("md", """Here the two scores differ by about 0.01 at most: the survey columns hold no level rarer
than `min_count`, so the protections change little beyond the tail of `affairs`."""),
    ("md", """## 5. The release in one call

`synthkit.anonymize` does all of the above: holdout split, privacy fit, sample, redraw of
any generated value equal to a real one, attacks, and the files of the release. The verdict
*passes* when every privacy check passes (fidelity failures are reported, not blocking)."""),
    ("code", """result = synthkit.anonymize(customers, seed=7, out_dir=folder / "release")
v = result.verdict
print("passed:", result.passed, "| first privacy failure:", v["first_privacy_failure"])
print("rows:", v["rows"], "| quality:", round(v["quality"], 3))
print("generated columns:", [g["column"] for g in v["generated_columns"]])
print("generated values drawn again (equal to a real value):", v["generated_values_redrawn"])
print("files:", sorted(str(p.relative_to(folder)) for p in result.paths.values()))
print("real values in the release:",
      {c: real_values_emitted(customers[c], result.synthetic[c]) for c in contact_cols})
checks = result.report.describe()
(checks[checks["section"] == "privacy"][["statistic", "columns", "value", "threshold", "passed"]]
 .reset_index(drop=True).round(4))"""),
    ("code", """result.synthetic.head(3)"""),
    ("md", """The same from the command line is `synthkit anonymize customers.csv -o release`; its exit
status is 1 when a privacy check fails, so a release pipeline can stop on it. Auditing the
leaky release of section 3 (`--synthetic`, with the holdout rows kept out of it):"""),
    ("code", """train.to_csv(folder / "train.csv", index=False)
holdout.to_csv(folder / "holdout.csv", index=False)
leaky.to_csv(folder / "leaky.csv", index=False)
audit = subprocess.run([sys.executable, "-m", "synthkit", "anonymize", "train.csv", "--synthetic", "leaky.csv",
                        "--holdout", "holdout.csv", "-o", "audit", "--mkdir"],
                       cwd=folder, capture_output=True, text=True)
lines = audit.stdout.splitlines()
print("exit status:", audit.returncode)
print(f"privacy checks failed: {sum(line.strip().startswith('FAIL') for line in lines)}")
print("\\n".join(lines[-3:]))"""),
    ("md", """`release/` is what the team hands over: `synthetic.csv`, `model.json` (no real contact value;
`synthkit inspect` lists its protections), `report.html` (`report.to_html()`: fidelity and the
attacks with their intervals) and `verdict.json` (the machine-readable decision)."""),
    ("code", """workdir.cleanup()"""),
]

build_notebook(cells, "05_anonymization.ipynb", timeout=600)
