"""The result of :func:`synthkit.validate`: checks, section scores, tables and HTML."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._deprecation import warn_renamed
from ..io import from_jsonable_float, read_json, to_jsonable, write_text
from .checks import SECTIONS, Check, format_number, format_threshold
from .merged_levels import merged_levels_lines

__all__ = ["ValidationReport", "REPORT_FORMAT"]

REPORT_FORMAT = "synthkit-validation-report"

_COLUMNS = ["section", "statistic", "columns", "value", "threshold", "passed", "detail"]


@dataclass
class ValidationReport:
    """How close, how useful and how private a synthetic table is.

    Attributes
    ----------
    checks : list of Check
        One row per statistic; ``passed`` is ``None`` for informational rows.
    scores : dict
        Per-section score in [0, 1] (higher is better): ``marginals`` (SDMetrics-
        compatible Column Shapes), ``dependence`` (Column Pair Trends), ``privacy``
        (``(1 - closer_to_train_share) / (1 - pi)`` with a holdout, ``pi`` the training
        rows' share of the indexed rows (``2 * (1 - share)`` at equal sizes), else the DCR median
        ratio, capped at 1), ``utility`` (TSTR / TRTR, capped at 1), ``rules`` (share
        of the business-rule checks passed: hard-rule violations, soft-rule shares,
        derived columns; :mod:`synthkit.validation.rules`), ``clusters`` (share of
        cluster checks passed) and ``overall`` (their mean).
    meta : dict
        Sizes, column kinds, reference kind, thresholds, seconds per section.
    artifacts : dict
        Plot data (histograms, matrices, PCA coordinates, DCR arrays); not serialised.
    figures : dict
        Extra pre-rendered PNG figures (``title -> bytes``), e.g. from the cluster checks.

    Examples
    --------
    >>> import numpy as np, pandas as pd, synthkit
    >>> rng = np.random.default_rng(0)
    >>> real = pd.DataFrame({"x": rng.normal(size=300), "y": rng.normal(size=300)})
    >>> synth = pd.DataFrame({"x": rng.normal(size=300), "y": rng.normal(size=300)})
    >>> rep = synthkit.validate(real, synth)
    >>> rep.passed, sorted(rep.score)[:2]
    (True, ['dependence', 'marginals'])
    """

    checks: list[Check]
    scores: dict[str, float] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    artifacts: dict[str, Any] = field(default_factory=dict, repr=False)
    figures: dict[str, bytes] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ views
    @property
    def passed(self) -> bool:
        """True when every pass/fail check passed (informational rows ignored)."""
        return all(c.passed for c in self.checks if c.passed is not None)

    @property
    def score(self) -> dict[str, float]:
        """Per-section scores (see the class docstring)."""
        return dict(self.scores)

    def failed(self) -> list[Check]:
        """The checks that failed."""
        return [c for c in self.checks if c.passed is False]

    def sections(self) -> list[str]:
        seen = [c.section for c in self.checks]
        return [s for s in SECTIONS if s in seen] + sorted({s for s in seen} - set(SECTIONS))

    def to_frame(self, *, informational: bool = True) -> pd.DataFrame:
        """Deprecated name of :meth:`describe` (``to_frame`` is for data: datasets' rows)."""
        warn_renamed("ValidationReport.to_frame()", "ValidationReport.describe()")
        return self.describe(informational=informational)

    def describe(self, *, informational: bool = True) -> pd.DataFrame:
        """One row per check: section, statistic, columns, value, threshold, passed, detail.

        ``informational=False`` keeps only the checks with a verdict (``passed`` not None).
        """
        rows = [c.to_dict() for c in self.checks if informational or c.passed is not None]
        frame = pd.DataFrame(rows, columns=_COLUMNS)
        frame["passed"] = frame["passed"].astype(object)
        return frame

    def section_status(self) -> pd.DataFrame:
        """Per section: number of checks, failures and the score."""
        rows = []
        for s in self.sections():
            cs = [c for c in self.checks if c.section == s and c.passed is not None]
            rows.append({"section": s, "checks": len(cs),
                         "failed": sum(1 for c in cs if not c.passed),
                         "score": self.scores.get(s, math.nan)})
        return pd.DataFrame(rows, columns=["section", "checks", "failed", "score"])

    def summary(self, *, verbose: bool = False) -> str:
        """A readable text table: the verdict, section scores and the checks.

        With ``verbose=False`` only the pass/fail checks are listed (failures first);
        ``verbose=True`` adds the informational rows.
        """
        m = self.meta
        lines = [
            f"synthkit validation: {'PASSED' if self.passed else 'FAILED'}"
            f" ({len(self.failed())} of {sum(c.passed is not None for c in self.checks)} checks failed)",
            f"reference: {m.get('reference_kind', '?')}"
            + (f" ({m['n_reference']} rows)" if m.get("n_reference") is not None else "")
            + f", synthetic: {m.get('n_synthetic', '?')} rows"
            + (f", {len(m['columns'])} columns" if m.get("columns") else ""),
            *merged_levels_lines(m.get("merged_levels")),
            "",
            "section      checks  failed  score",
        ]
        for _, r in self.section_status().iterrows():
            sc = "" if not np.isfinite(r["score"]) else f"{r['score']:.3f}"
            lines.append(f"{r['section']:<12} {r['checks']:>6}  {r['failed']:>6}  {sc}")
        if np.isfinite(self.scores.get("overall", math.nan)):
            lines.append(f"{'overall':<12} {'':>6}  {'':>6}  {self.scores['overall']:.3f}")
        lines.append("")
        rows = [c for c in self.checks if verbose or c.passed is not None]
        hidden = []
        if not verbose:
            # passing per-column marginal checks are summarised in one line
            hidden = [c for c in rows if c.section == "marginals" and c.passed and c.columns != "*"]
            rows = [c for c in rows if not (c.section == "marginals" and c.passed
                                            and c.columns != "*")]
        order = self.sections()
        rows.sort(key=lambda c: (c.passed is not False,
                                 order.index(c.section) if c.section in order else 99))
        w_stat = max([len(c.statistic) for c in rows] + [9])
        w_col = min(max([len(c.columns) for c in rows] + [7]), 36)
        lines.append(f"{'':4} {'section':<10} {'statistic':<{w_stat}} {'columns':<{w_col}} "
                     f"{'value':>10} {'threshold':>13}")
        for c in rows:
            mark = {True: "ok", False: "FAIL", None: "."}[c.passed]
            cols = c.columns if len(c.columns) <= w_col else c.columns[: w_col - 1] + "~"
            thr = format_threshold(c.statistic, c.threshold, ascii=True)
            lines.append(f"{mark:<4} {c.section:<10} {c.statistic:<{w_stat}} {cols:<{w_col}} "
                         f"{format_number(c.value):>10} {thr:>13}")
        if hidden:
            ncol = len({c.columns for c in hidden})
            lines.append(f"ok   marginals  ({len(hidden)} per-column checks on {ncol} columns "
                         "passed; summary(verbose=True) lists them)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        sc = ", ".join(f"{k}={v:.3f}" for k, v in self.scores.items() if np.isfinite(v))
        return (f"ValidationReport(passed={self.passed}, checks={len(self.checks)}, "
                f"failed={len(self.failed())}, scores: {sc})")

    def _repr_html_(self) -> str:
        from .html import summary_html

        return summary_html(self)

    # ----------------------------------------------------------- serialising
    def to_dict(self) -> dict:
        """JSON-able record: format, verdict, scores, meta and the checks."""
        return to_jsonable({
            "format": REPORT_FORMAT,
            "format_version": 1,
            "passed": self.passed,
            "scores": self.scores,
            "meta": self.meta,
            "checks": [c.to_dict() for c in self.checks],
        })

    def to_json(self, path: str | os.PathLike | None = None, *, indent: int = 2,
                parents: bool = False) -> str:
        """The report as strict JSON; also written atomically to ``path`` when given
        (``parents=True`` creates a missing folder first)."""
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False)
        if path is not None:
            write_text(path, text + "\n", parents=parents)
        return text

    @classmethod
    def from_json(cls, source: str | os.PathLike) -> ValidationReport:
        """Read a report written by :meth:`to_json` (checks, scores, meta; no figures).

        ``source`` is the file's path, or the JSON text :meth:`to_json` returns (a string
        starting with ``{``).

        Examples
        --------
        >>> import synthkit
        >>> from synthkit.testing import mixed_table
        >>> t = mixed_table(200)[["income", "age"]]
        >>> r = synthkit.validate(t, t.sample(frac=1, random_state=0), checks="marginals", figures=False)
        >>> ValidationReport.from_json(r.to_json()).passed == r.passed
        True
        """
        text = source.lstrip() if isinstance(source, str) and source.lstrip().startswith("{") else None
        doc = read_json("<report text>" if text is not None else source, expected_format=REPORT_FORMAT,
                        supported_versions=(1,), text=text)
        checks = []
        for d in doc.get("checks", []):
            d = dict(d)
            d["value"] = from_jsonable_float(d["value"])
            if d.get("threshold") is not None:
                d["threshold"] = from_jsonable_float(d["threshold"])
            checks.append(Check(**d))
        scores = {k: from_jsonable_float(v) for k, v in doc.get("scores", {}).items()}
        meta = dict(doc.get("meta", {}))
        if isinstance(meta.get("thresholds"), dict):  # an informational threshold is NaN
            meta["thresholds"] = {k: from_jsonable_float(v) if v in ("nan", "inf", "-inf") else v
                                  for k, v in meta["thresholds"].items()}
        return cls(checks=checks, scores=scores, meta=meta)

    def to_html(self, path: str | os.PathLike | None = None, *, title: str | None = None,
                parents: bool = False, progress: bool | None = None) -> str:
        """A self-contained HTML page (tables + embedded PNG figures).

        Parameters
        ----------
        path : path-like, optional
            Where to write the page (atomically). The HTML text is returned either way.
        title : str, optional
            Page title.
        parents : bool
            Create a missing folder of ``path`` (and its parents) first.
        progress : bool, optional
            A progress bar over the per-column figures; by default shown on a terminal
            once drawing has taken two seconds. True or False forces it on or off.
        """
        from .._progress import check_progress
        from .html import render_html

        text = render_html(self, title=title, progress=check_progress(progress))
        if path is not None:
            write_text(path, text, parents=parents)
        return text

