"""Business rules in validation: the reference sample of a model with rules, and the rule checks.

A model with rules (:mod:`synthkit.rules`) samples its distribution *conditioned* on them: hard
rules remove rows, soft rules thin out the rows violating them, derived columns add or replace
columns. That distribution has no closed form, so :func:`~synthkit.validate` judges a sample of
such a model (or of a declared recipe with ``rules``) against a Monte Carlo reference drawn from
the model itself:

* :func:`reference_rows` rows: ``max(100,000, 10 m)`` for ``m`` synthetic rows, at most
  :data:`REFERENCE_MAX_ROWS` rows and :data:`REFERENCE_MAX_CELLS` cells, drawn by
  ``model.sample(rows, seed=REFERENCE_SEED)`` (:func:`reference_sample`). The fixed seed makes
  the report reproducible; it is far from the seeds people type, so the reference does not share
  its rows with the sample it judges (a sample drawn with that very seed is compared with itself);
* the marginal and dependence sections are then the two-sample checks of a reference table,
  whose allowances are derived from both sizes; each check's detail names the reference.

The ``rules`` section (:func:`rule_checks`), for a model or recipe with rules or
``validate(..., rules=[...])``; ``z`` is the two-sided normal quantile of the per-test level:

* ``hard_rule_violations``, per hard rule: the number of synthetic rows violating it. Threshold
  0: every row must satisfy a hard rule. The check is exact (a faithful sample never fails it),
  so it takes no share of the false-fail budget.
* ``soft_rule_rate_difference``, per soft rule ``{"rule": r, "keep": p}``: ``|q_s - q_r|``, the
  shares of synthetic and reference rows violating ``r``. If ``q0`` is the violation share of the
  rows the other rules keep, a kept row violates ``r`` with probability
  ``q = p q0 / (p q0 + 1 - q0)`` (the keep draw multiplies the odds of a violation by ``p``); the
  reference share estimates it, and both counts are binomial, so the allowance is ``z``
  two-proportion standard errors ``sqrt(q~ (1 - q~) (1/n + 1/m))`` with
  ``q~ = (k_r + 1/2) / (n + 1)`` read from the reference alone (a synthetic table cannot widen its
  own check), plus the effect size ``thresholds["soft_rule_rate_difference"]`` (default 0). With
  a reference table, the expected share is the real table's.
* ``derived_mismatch_share``, per derived column without ``noise()``: the share of synthetic rows
  whose value differs from the expression recomputed on that row (numbers agree to 9 significant
  digits; both missing agree). Threshold 0, exact like the hard rules. A replacing column that
  reads the value it replaces (``income = round(income, -2)``) cannot be recomputed from the
  output: informational row.
* a derived column with one ``noise(normal, loc, scale)`` or ``noise(uniform, low, high)`` call
  that enters the expression affinely: with ``f(v)`` the expression evaluated with the noise's
  standard draw set to ``v`` (the draw is ``N(0, 1)`` or ``U(0, 1)``, then shifted and scaled), each
  row's draw is recovered as ``e = (y - f(0)) / (f(1) - f(0))``. ``derived_noise_mean_z`` and
  ``derived_noise_sd_z`` are the z statistics of the mean and variance of ``e``:
  ``(mean - mu) / sqrt(var / m)`` and ``(s^2 - var) / sqrt((mu4 - var^2) / m)`` with the declared
  draw's moments (normal: ``mu = 0, var = 1, mu4 = 3``; uniform: ``1/2, 1/12, 1/80``); each passes
  below ``z``. When a rule reads the column (directly or through other derived columns) the kept
  rows' noise is conditioned by it: the moments then come from the reference's recovered draws,
  and ``1/m`` becomes ``1/n + 1/m``. A uniform draw outside ``[0, 1]`` is a mismatch
  (``derived_mismatch_share``). Expressions where the noise does not enter affinely
  (``round(x + noise(...))``, ``exp(noise(...))``) or with several ``noise`` calls get an
  informational row.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from synthkit.rules import compile_rules
>>> from synthkit.validation.checks import DEFAULT_THRESHOLDS
>>> rs = compile_rules(["x >= 0", "y = 2 * x"], columns=["x"])
>>> synth = pd.DataFrame({"x": [0.5, 1.0, -1.0], "y": [1.0, 2.0, 5.0]})
>>> checks, _ = rule_checks(rs, synth, None, DEFAULT_THRESHOLDS, alpha=0.01)
>>> [(c.statistic, c.value, c.passed) for c in checks]
[('hard_rule_violations', 1.0, False), ('derived_mismatch_share', 0.3333333333333333, False)]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..errors import RuleError
from .checks import Check, z_value

__all__ = ["REFERENCE_SEED", "REFERENCE_MIN_ROWS", "REFERENCE_MAX_ROWS", "REFERENCE_MAX_CELLS",
           "reference_rows", "reference_sample", "rule_checks", "rule_test_count", "rule_count"]

#: Seed of the reference sample drawn from a model with rules (fixed: reproducible reports; far
#: from the seeds people type, so the reference does not replay the sample it judges).
REFERENCE_SEED = 7_340_586_921
#: Fewest rows of the reference sample (below the cell cap).
REFERENCE_MIN_ROWS = 100_000
#: Reference rows per synthetic row, between :data:`REFERENCE_MIN_ROWS` and :data:`REFERENCE_MAX_ROWS`.
REFERENCE_ROWS_PER_ROW = 10
#: Most rows of the reference sample.
REFERENCE_MAX_ROWS = 1_000_000
#: Most cells (rows times columns) of the reference sample; never below 10,000 rows.
REFERENCE_MAX_CELLS = 20_000_000
#: Relative tolerance of a recomputed derived number.
DERIVED_RTOL = 1e-9

# moments (mean, variance, 4th central moment) of the standard draws of noise()
_STANDARD = {"normal": (0.0, 1.0, 3.0), "uniform": (0.5, 1.0 / 12.0, 1.0 / 80.0)}


def reference_rows(n_synthetic: int, n_columns: int) -> int:
    """Rows of the reference sample for ``n_synthetic`` rows of ``n_columns`` columns.

    ``min(max(100,000, 10 m), 1,000,000, max(20,000,000 // columns, 10,000))``.

    Examples
    --------
    >>> reference_rows(2_000, 5), reference_rows(50_000, 5), reference_rows(10**7, 5)
    (100000, 500000, 1000000)
    >>> reference_rows(2_000, 400)
    50000
    """
    rows = max(REFERENCE_MIN_ROWS, REFERENCE_ROWS_PER_ROW * int(n_synthetic))
    cap = max(REFERENCE_MAX_CELLS // max(int(n_columns), 1), 10_000)
    return int(min(rows, REFERENCE_MAX_ROWS, cap))


def rule_count(ruleset: Any) -> int:
    """Hard, soft and derived rules of ``ruleset`` together (0 for None)."""
    if not ruleset:
        return 0
    return len(ruleset.hard) + len(ruleset.soft) + len(ruleset.derived)


def reference_sample(model: Any, n_synthetic: int, *, progress: bool | None = None
                     ) -> tuple[pd.DataFrame, str]:
    """A Monte Carlo reference of ``model`` under its rules: ``(frame, description)``.

    ``model.sample(reference_rows(...), seed=REFERENCE_SEED)`` with columns named as text.

    Examples
    --------
    >>> import synthkit
    >>> model = synthkit.declare({"x": {"distribution": "normal"}}, rules=["x <= 1"])
    >>> frame, note = reference_sample(model, 100)
    >>> len(frame), bool(frame["x"].max() <= 1), note
    (100000, True, 'reference: 100,000 rows drawn from the model under its 1 rule')
    """
    from ..strategies._engine import compiled_rules, output_schema

    rows = reference_rows(n_synthetic, len(output_schema(model).names))
    frame = model.sample(rows, seed=REFERENCE_SEED, progress=progress).frame
    if not all(isinstance(c, str) for c in frame.columns):
        frame = frame.rename(columns=str)
    k = rule_count(compiled_rules(model))
    under = f" under its {k} rule{'' if k == 1 else 's'}" if k else ""
    return frame, f"reference: {rows:,} rows drawn from the model{under}"


# ------------------------------------------------------------------------------ expressions
def _noise_calls(tree: Any) -> list[Any]:
    """The ``noise(...)`` calls of an expression tree."""
    from ..rules.language import Call, children

    out, stack = [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Call) and node.func == "noise":
            out.append(node)
        stack.extend(children(node))
    return out


def _reads_itself(d: Any) -> bool:
    return bool(d.replace and d.name in d.names)


def _noise_checked(d: Any) -> bool:
    """Whether the noise of derived column ``d`` gets the two z tests."""
    return bool(d.uses_noise) and not _reads_itself(d) and len(_noise_calls(d.tree)) == 1


def rule_test_count(ruleset: Any) -> int:
    """Elementary statistical tests of the rules section: one per soft rule, two per noise check.

    Examples
    --------
    >>> from synthkit.rules import compile_rules
    >>> rule_test_count(compile_rules(["x > 0", {"rule": "x < 2", "keep": 0.5},
    ...                                "y = x + noise(normal, 0, 1)"], columns=["x"]))
    3
    """
    if not ruleset:
        return 0
    return len(ruleset.soft) + 2 * sum(_noise_checked(d) for d in ruleset.derived)


def _read_by_rules(ruleset: Any) -> set[str]:
    """Names the hard and soft rules read, directly or through derived columns."""
    derived = {d.name: d for d in ruleset.derived}
    todo = set()
    for rule in [*ruleset.hard, *(r for r, _ in ruleset.soft)]:
        todo |= set(rule.names)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in derived:
            todo |= set(derived[name].names) - {name}
    return seen


class _FixedDraws:
    """Stands in for the generator of ``noise()``: every standard draw equals ``value``."""

    def __init__(self, value: float) -> None:
        self.value = float(value)

    def standard_normal(self, size: int | None = None) -> np.ndarray:
        return np.full(size, self.value)

    def random(self, size: int | None = None) -> np.ndarray:
        return np.full(size, self.value)

    def normal(self, loc: Any = 0.0, scale: Any = 1.0, size: int | None = None) -> np.ndarray:
        return loc + scale * np.full(size, self.value)

    def uniform(self, low: Any = 0.0, high: Any = 1.0, size: int | None = None) -> np.ndarray:
        return low + (high - low) * np.full(size, self.value)


def _numbers(s: pd.Series) -> np.ndarray:
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _agree(actual: pd.Series, expected: pd.Series) -> np.ndarray:
    """Row-wise agreement of a synthetic column with its recomputed values (missing == missing)."""
    kind = expected.dtype.kind if not isinstance(expected.dtype, pd.CategoricalDtype) else "O"
    if kind in "iuf":
        a, e = _numbers(actual), expected.to_numpy(dtype=float, na_value=np.nan)
        both = np.isnan(a) & np.isnan(e)
        with np.errstate(invalid="ignore"):
            return both | np.isclose(a, e, rtol=DERIVED_RTOL, atol=1e-12)
    if kind == "M":
        a = pd.to_datetime(actual, errors="coerce").to_numpy(dtype="datetime64[ns]")
        e = pd.to_datetime(expected).to_numpy(dtype="datetime64[ns]")
        return (np.isnat(a) & np.isnat(e)) | (a == e)
    if kind == "b":  # true/false (a table read from a file may hold them as text or 0/1)
        e = expected.to_numpy(dtype=bool)
        if pd.api.types.is_bool_dtype(actual.dtype) and not actual.isna().any():
            return actual.to_numpy(dtype=bool) == e
        text = actual.astype(object).astype(str).str.strip().str.lower()
        true, false = text.isin(["true", "1", "1.0"]).to_numpy(), text.isin(["false", "0", "0.0"]).to_numpy()
        return (e & true) | (~e & false)
    a_obj = actual.astype(object)
    a_na, e_na = pd.isna(a_obj).to_numpy(), pd.isna(expected).to_numpy()
    eq = a_obj.astype(str).to_numpy() == expected.astype(object).astype(str).to_numpy()
    return (a_na & e_na) | (eq & ~a_na & ~e_na)


def _with_dates(frame: pd.DataFrame, names: Any) -> pd.DataFrame:
    """``frame`` with the columns ``names`` as datetimes (a table read from a file holds text)."""
    todo = [c for c in names if c in frame.columns and not pd.api.types.is_datetime64_any_dtype(frame[c])]
    if not todo:
        return frame
    out = frame.copy()
    for c in todo:
        try:
            out[c] = pd.to_datetime(out[c])
        except (TypeError, ValueError):
            continue
    return out


def _complete(frame: pd.DataFrame, ruleset: Any, rng: np.random.Generator) -> tuple[pd.DataFrame, list[str]]:
    """``frame`` with the derived columns it lacks computed (in evaluation order)."""
    absent = [d.name for d in ruleset.derived if d.name not in frame.columns]
    if not absent:
        return frame, []
    out = frame.copy()
    for d in ruleset.derived:
        if d.name in absent:
            out[d.name] = d.values(out, rng)
    return out, absent


def _draws(d: Any, frame: pd.DataFrame) -> tuple[np.ndarray | None, str]:
    """The standard draws of ``d``'s noise recovered from ``frame`` (finite rows), or ``(None, why)``."""
    f = [d.values(frame, _FixedDraws(v)) for v in (0.0, 1.0, 2.0)]
    if any(s.dtype.kind not in "iuf" for s in f):
        return None, "the expression does not give numbers"
    f0, f1, f2 = (s.to_numpy(dtype=float) for s in f)
    y = _numbers(frame[d.name])
    slope = f1 - f0
    finite = np.isfinite(y) & np.isfinite(f0) & np.isfinite(f1) & np.isfinite(f2)
    with np.errstate(invalid="ignore"):
        affine = np.isclose(f2 - f0, 2 * slope, rtol=DERIVED_RTOL, atol=1e-12)
    if not affine[finite].all():
        return None, "the noise does not enter the expression affinely, so its draws cannot be recovered"
    use = finite & (slope != 0)
    return (y[use] - f0[use]) / slope[use], ""


def _evaluate(rule: Any, frame: pd.DataFrame) -> tuple[np.ndarray | None, str]:
    try:
        return np.asarray(rule.evaluate(frame), dtype=bool), ""
    except RuleError as exc:
        return None, str(exc)


# ------------------------------------------------------------------------------------ checks
def rule_checks(ruleset: Any, synthetic: pd.DataFrame, reference: pd.DataFrame | None,
                thr: dict, *, alpha: float, rng: np.random.Generator | None = None,
                reference_note: str = "reference: the reference table",
                datetimes: Any = ()) -> tuple[list[Check], dict]:
    """The ``rules`` section: one or two checks per hard rule, soft rule and derived column.

    Parameters
    ----------
    ruleset : RuleSet
        Compiled rules (:func:`synthkit.rules.compile_rules`).
    synthetic : DataFrame
        The synthetic rows, columns named as text; derived columns it lacks are computed.
    reference : DataFrame, optional
        Rows of the reference distribution (a table, or a model's sample under its rules):
        the expected violation share of each soft rule, and the expected noise of a derived
        column a rule reads. Without it those checks are informational.
    thr : dict
        Resolved thresholds (``soft_rule_rate_difference``).
    alpha : float
        Level of one elementary test (the report's Bonferroni share).
    rng : Generator, optional
        Draws the noise of derived columns absent from a table (``validate`` passes one
        derived from its ``seed``).
    reference_note : str
        Names the reference in the details.
    datetimes : list of str
        Columns read as dates (text in a table read from a file is converted first).

    Returns
    -------
    (list of Check, dict)
        The checks, and ``{"rows": [...], "score": share of checks passed}`` for the report.
    """
    from ..seeding import as_generator

    rng = as_generator(rng)
    m = len(synthetic)
    z = z_value(alpha)
    synth, absent = _complete(_with_dates(synthetic, datetimes), ruleset, rng)
    ref = None
    if reference is not None:
        ref, _ = _complete(_with_dates(reference, datetimes), ruleset, rng)
    n = 0 if ref is None else len(ref)
    checks: list[Check] = []
    rows: list[dict] = []

    def add(kind: str, text: str, check: Check, synthetic_txt: str, expected_txt: str,
            allowance_txt: str = "") -> None:
        checks.append(check)
        rows.append({"kind": kind, "rule": text, "statistic": check.statistic, "synthetic": synthetic_txt,
                     "expected": expected_txt, "allowance": allowance_txt, "passed": check.passed,
                     "detail": check.detail})

    for rule in ruleset.hard:
        ok, err = _evaluate(rule, synth)
        if ok is None:
            add("hard", rule.text, Check("rules", "hard_rule_violations", rule.text, math.nan, 0.0, False,
                                         f"cannot be evaluated on the synthetic table: {err}"),
                "error", "0 rows")
            continue
        v = int((~ok).sum())
        add("hard", rule.text,
            Check("rules", "hard_rule_violations", rule.text, float(v), 0.0, v == 0,
                  f"{v:,} of {m:,} synthetic rows violate this hard rule; every row must satisfy it"),
            f"{v:,} rows ({v / max(m, 1):.2%})", "0 rows")

    for rule, keep in ruleset.soft:
        ok, err = _evaluate(rule, synth)
        ok_r, err_r = (None, "no reference rows") if ref is None else _evaluate(rule, ref)
        if ok is None:
            add("soft", rule.text, Check("rules", "soft_rule_rate_difference", rule.text, math.nan, None,
                                         False, f"cannot be evaluated on the synthetic table: {err}"),
                "error", "")
            continue
        ks = int((~ok).sum())
        qs = ks / max(m, 1)
        if ok_r is None:
            add("soft", rule.text,
                Check("rules", "soft_rule_rate_difference", rule.text, math.nan, None, None,
                      f"synthetic violation share {qs:.4f} ({ks:,} of {m:,} rows, keep {keep:g}); "
                      f"no expected share: {err_r}"),
                f"{qs:.4f}", "")
            continue
        kr = int((~ok_r).sum())
        qr = kr / max(n, 1)
        qt = (kr + 0.5) / (n + 1)
        allow = z * math.sqrt(qt * (1 - qt) * (1 / max(n, 1) + 1 / max(m, 1)))
        t = float(thr["soft_rule_rate_difference"]) + allow
        diff = abs(qs - qr)
        add("soft", rule.text,
            Check("rules", "soft_rule_rate_difference", rule.text, diff, t, bool(diff <= t),
                  f"share of rows violating the soft rule (keep {keep:g}): synthetic {qs:.4f} ({ks:,} of "
                  f"{m:,}), expected {qr:.4f} ({kr:,} of {n:,}); allowance z*SE = {allow:.4f}; "
                  f"{reference_note}"),
            f"{qs:.4f} ({ks:,} of {m:,})", f"{qr:.4f} ({kr:,} of {n:,})", f"{t:.4f}")

    conditioned = _read_by_rules(ruleset)
    for d in ruleset.derived:
        if d.name in absent:
            add("derived", d.text, Check("rules", "derived_mismatch_share", d.name, math.nan, None, None,
                                         f"column {d.name!r} is absent from the synthetic table: "
                                         "not checked"),
                "absent", "")
            continue
        if _reads_itself(d):
            add("derived", d.text, Check("rules", "derived_mismatch_share", d.name, math.nan, None, None,
                                         f"{d.text!r} reads the model's value of {d.name!r}, which it "
                                         "replaces in the output: it cannot be recomputed"),
                "not recomputable", "")
            continue
        try:
            if not d.uses_noise:
                agree = _agree(synth[d.name], d.values(synth, None))
                bad = int((~agree).sum())
                add("derived", d.text,
                    Check("rules", "derived_mismatch_share", d.name, bad / max(m, 1), 0.0, bad == 0,
                          f"{bad:,} of {m:,} synthetic rows differ from {d.text!r} recomputed on the row"),
                    f"{bad:,} rows differ", "0 rows")
                continue
            if not _noise_checked(d):
                add("derived", d.text, Check("rules", "derived_noise", d.name, math.nan, None, None,
                                             f"{d.text!r} draws noise more than once: its draws "
                                             "cannot be recovered, not checked"), "not checked", "")
                continue
            rows_added = _noise_rows(d, synth, ref, d.name in conditioned, z, m, n, reference_note)
        except RuleError as exc:
            add("derived", d.text, Check("rules", "derived_mismatch_share", d.name, math.nan, 0.0, False,
                                         f"cannot be evaluated on the synthetic table: {exc}"), "error", "")
            continue
        for check, s_txt, e_txt, a_txt in rows_added:
            add("derived", d.text, check, s_txt, e_txt, a_txt)
    decided = [c for c in checks if c.passed is not None]
    score = sum(bool(c.passed) for c in decided) / len(decided) if decided else math.nan
    return checks, {"rows": rows, "score": score, "reference": reference_note}


def _noise_rows(d: Any, synth: pd.DataFrame, ref: pd.DataFrame | None, conditioned: bool, z: float,
                m: int, n: int, note: str) -> list[tuple[Check, str, str, str]]:
    """The checks of one derived column's noise (see the module docstring)."""
    dist = _noise_calls(d.tree)[0].args[0].name
    e, why = _draws(d, synth)
    if e is None:
        return [(Check("rules", "derived_noise", d.name, math.nan, None, None, f"{why}: not checked"),
                 "not checked", "", "")]
    out = []
    if dist == "uniform":
        bad = int(((e < -1e-9) | (e > 1 + 1e-9)).sum())
        out.append((Check("rules", "derived_mismatch_share", d.name, bad / max(m, 1), 0.0, bad == 0,
                          f"{bad:,} of {m:,} synthetic rows lie outside the range the uniform noise of "
                          f"{d.text!r} can give"), f"{bad:,} rows out of range", "0 rows", ""))
    k = len(e)
    if conditioned:
        e_r = None if ref is None else _draws(d, ref)[0]
        if e_r is None or len(e_r) < 2:
            return out + [(Check("rules", "derived_noise", d.name, math.nan, None, None,
                                 "a rule reads this column, so its kept rows' noise is not the declared "
                                 "distribution, and there are no reference rows to compare with"),
                           "not checked", "", "")]
        mu, var = float(e_r.mean()), float(e_r.var(ddof=1))
        mu4 = float(np.mean((e_r - mu) ** 4))
        factor = 1 / len(e_r) + 1 / max(k, 1)
        source = f"the reference's draws (a rule reads this column); {note}"
    else:
        mu, var, mu4 = _STANDARD[dist]
        factor = 1 / max(k, 1)
        source = f"the declared {dist} draw"
    if k < 2 or var <= 0:
        return out + [(Check("rules", "derived_noise", d.name, math.nan, None, None,
                             f"{k} usable rows: not checked"), "not checked", "", "")]
    mean_s, var_s = float(e.mean()), float(e.var(ddof=1))
    z_mean = (mean_s - mu) / math.sqrt(var * factor)
    z_var = (var_s - var) / math.sqrt(max(mu4 - var**2, 1e-300) * factor)
    what = "N(0, 1)" if dist == "normal" else "U(0, 1)"
    out.append((Check("rules", "derived_noise_mean_z", d.name, abs(z_mean), z, bool(abs(z_mean) <= z),
                      f"mean of the {what} draws recovered from {k:,} synthetic rows: {mean_s:+.4f}, "
                      f"expected {mu:+.4f} ({source}); |z| must stay below {z:.2f}"),
                f"mean {mean_s:+.4f}", f"{mu:+.4f}", f"|z| {abs(z_mean):.2f} <= {z:.2f}"))
    out.append((Check("rules", "derived_noise_sd_z", d.name, abs(z_var), z, bool(abs(z_var) <= z),
                      f"sd of the {what} draws recovered from {k:,} synthetic rows: {math.sqrt(var_s):.4f}, "
                      f"expected {math.sqrt(var):.4f} ({source}); |z| of the variance must stay below "
                      f"{z:.2f}"),
                f"sd {math.sqrt(var_s):.4f}", f"{math.sqrt(var):.4f}", f"|z| {abs(z_var):.2f} <= {z:.2f}"))
    return out
