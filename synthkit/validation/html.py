"""A self-contained HTML page for a :class:`~synthkit.validation.report.ValidationReport`.

One file, no external resources: inline CSS, every figure an ``<img>`` with a
``data:image/png;base64`` URI, tables escaped with :func:`html.escape`.
"""

from __future__ import annotations

import base64
import html
import math
from datetime import UTC, datetime

import numpy as np

from .._version import __version__
from .checks import format_number, format_threshold
from .merged_levels import merged_levels_lines

__all__ = ["render_html", "summary_html"]

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1180px;
color:#222;padding:0 16px}
h1{font-size:1.6em;margin-bottom:4px}h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:36px}
.verdict{display:inline-block;padding:4px 12px;border-radius:4px;font-weight:bold;color:#fff}
.pass{background:#2e7d32}.fail{background:#c62828}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.failed td{background:#fdecea}td.ok{color:#2e7d32}td.bad{color:#c62828;font-weight:bold}
td.info{color:#888}.grid{display:flex;flex-wrap:wrap;gap:8px}.grid img{border:1px solid #eee}
.muted{color:#666;font-size:13px}details{margin:8px 0}summary{cursor:pointer;font-weight:bold}
figure{margin:8px 0}figcaption{font-size:12px;color:#555;max-width:760px}
img{max-width:100%;height:auto}
.notice{background:#fff8e1;border-left:4px solid #f9a825;padding:6px 10px;font-size:13px}
"""

#: the notice on a report that draws a reference table's values
CONFIDENTIAL = ("Confidential: this report shows summaries of the reference (real) table: its "
                "histograms, ranges, label frequencies and a scatter of its rows. Share it only "
                "with those allowed to see that table; the synthetic table can be released "
                "without it.")


def _img(png: bytes, alt: str) -> str:
    b64 = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{b64}">'


def _num(v) -> str:
    try:
        return format_number(v)
    except (TypeError, ValueError):
        return html.escape(str(v))


def _design_line(meta: dict) -> str:
    """The holdout's size and how the false-fail budget is split (empty when unknown)."""
    bits = []
    if meta.get("n_holdout") is not None:
        bits.append(f"holdout: {meta['n_holdout']} rows")
    budget = (meta.get("thresholds") or {}).get("false_fail_rate")
    if meta.get("n_tests") and meta.get("alpha") is not None and budget is not None:
        bits.append(f"false-fail budget {format_number(budget)} split over {meta['n_tests']} "
                    f"elementary tests (Bonferroni: each at level {format_number(meta['alpha'])})")
    if not bits:
        return ""
    return f'<p class="muted">{html.escape(" · ".join(bits))}</p>'


def _threshold(c) -> str:
    try:
        return format_threshold(c.statistic, c.threshold)
    except (TypeError, ValueError):
        return str(c.threshold)


def _checks_table(checks, *, with_section: bool = False) -> str:
    head = ("<tr>" + ("<th>section</th>" if with_section else "")
            + "<th>status</th><th>statistic</th><th>columns</th><th>value</th>"
            "<th>threshold</th><th>detail</th></tr>")
    rows = []
    for c in checks:
        status, cls = {True: ("pass", "ok"), False: ("FAIL", "bad"), None: ("info", "info")}[c.passed]
        rows.append(
            f'<tr class="{"failed" if c.passed is False else ""}">'
            + (f"<td>{html.escape(c.section)}</td>" if with_section else "")
            + f'<td class="{cls}">{status}</td><td>{html.escape(c.statistic)}</td>'
            f"<td>{html.escape(c.columns)}</td><td class=\"num\">{_num(c.value)}</td>"
            f"<td class=\"num\">{html.escape(_threshold(c))}</td><td>{html.escape(c.detail)}</td></tr>"
        )
    return f"<table>{head}{''.join(rows)}</table>"


_SHORT = {
    "column_shape": "shape score", "ks_distance_declared": "KS (declared)",
    "tv_distance_declared": "TV (declared)", "ks_distance": "KS", "wasserstein_iqr": "W1 / IQR",
    "tv_distance": "TV", "mean_difference_sd": "mean diff / sd", "sd_log_ratio": "|log sd ratio|",
    "quantile_difference_iqr": "quantile diff / IQR", "range_violation_rate": "out of range",
    "unseen_category_rate": "unseen labels", "missing_rate_difference": "missing diff",
    "mean_difference": "mean diff",
}


def _pivot_table(checks) -> str:
    """Per-column table of the marginal checks: one row per column, one cell per statistic."""
    stats_order: list[str] = [s for s in _SHORT if any(c.statistic == s for c in checks)]
    by_col: dict[str, dict] = {}
    for c in checks:
        if c.statistic not in stats_order:
            stats_order.append(c.statistic)
        by_col.setdefault(c.columns, {})[c.statistic] = c
    head = "<tr><th>column</th>" + "".join(
        f'<th title="{html.escape(s)}">{html.escape(_SHORT.get(s, s))}</th>' for s in stats_order
    ) + "</tr>"
    rows = []
    for col, cells in by_col.items():
        bad = any(c.passed is False for c in cells.values())
        tds = []
        for s in stats_order:
            c = cells.get(s)
            if c is None:
                tds.append("<td></td>")
                continue
            cls = {True: "num", False: "num bad", None: "num info"}[c.passed]
            tip = html.escape(f"threshold {_threshold(c)}; {c.detail}", quote=True)
            tds.append(f'<td class="{cls}" title="{tip}">{_num(c.value)}</td>')
        rows.append(f'<tr class="{"failed" if bad else ""}"><td>{html.escape(col)}</td>'
                    + "".join(tds) + "</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _ci(v: float, ci) -> str:
    return f"{_num(v)} [{_num(ci[0])}, {_num(ci[1])}]"


def _attacks_table(results) -> str:
    """One row per attack: rates against training and holdout rows, risk, and what it means."""
    head = ("<tr><th>attack</th><th>target</th><th>attacks</th><th>training rate [CI]</th>"
            "<th>holdout rate [CI]</th><th>random guess</th><th>risk [CI]</th><th>what it means</th></tr>")
    rows = []
    for r in results:
        risk = "AUC " + _ci(r.risk, r.risk_ci) if r.attack == "membership" else _ci(r.risk, r.risk_ci)
        rows.append(f"<tr><td>{html.escape(r.attack)}</td><td>{html.escape(r.target or '')}</td>"
                    f"<td class='num'>{r.n_attacks}</td><td class='num'>{_ci(r.train_rate, r.train_ci)}</td>"
                    f"<td class='num'>{_ci(r.control_rate, r.control_ci)}</td>"
                    f"<td class='num'>{_num(r.baseline_rate)}</td><td class='num'>{risk}</td>"
                    f"<td>{html.escape(r.explanation)}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _rules_table(rows) -> str:
    """One row per rule check: kind, rule, synthetic value, expected value, allowance, verdict."""
    head = ("<tr><th>status</th><th>kind</th><th>rule</th><th>statistic</th><th>synthetic</th>"
            "<th>expected</th><th>allowed</th></tr>")
    out = []
    for r in rows:
        status, cls = {True: ("pass", "ok"), False: ("FAIL", "bad"), None: ("info", "info")}[r["passed"]]
        out.append(f'<tr class="{"failed" if r["passed"] is False else ""}" '
                   f'title="{html.escape(r.get("detail", ""), quote=True)}">'
                   f'<td class="{cls}">{status}</td><td>{html.escape(r["kind"])}</td>'
                   f"<td>{html.escape(r['rule'])}</td><td>{html.escape(r['statistic'])}</td>"
                   f"<td class='num'>{html.escape(r['synthetic'])}</td>"
                   f"<td class='num'>{html.escape(r['expected'])}</td>"
                   f"<td class='num'>{html.escape(r['allowance'])}</td></tr>")
    return f"<table>{head}{''.join(out)}</table>"


def summary_html(report) -> str:
    """The verdict and the per-section table (used by notebooks' rich display)."""
    verdict = "PASSED" if report.passed else "FAILED"
    rows = "".join(
        f"<tr><td>{html.escape(str(r['section']))}</td><td class='num'>{r['checks']}</td>"
        f"<td class='num'>{r['failed']}</td><td class='num'>{_num(r['score'])}</td></tr>"
        for _, r in report.section_status().iterrows()
    )
    failed = report.failed()
    fail_table = _checks_table(failed, with_section=True) if failed else "<p>No check failed.</p>"
    return (f"<div><b>synthkit validation: {verdict}</b>"
            f"<table><tr><th>section</th><th>checks</th><th>failed</th><th>score</th></tr>{rows}"
            f"</table>{fail_table}</div>")


def _section_figures(report, section: str, progress: bool | None = None) -> list[tuple[str, bytes]]:
    from .._progress import progress_bar
    from . import plots

    art = report.artifacts
    figs: list[tuple[str, bytes]] = []
    if section == "marginals":
        columns = marginal_figure_columns(report)
        for name, d in progress_bar(columns.items(), total=len(columns), progress=progress,
                                    large=False, desc="report figures", unit="column", leave=False):
            figs.append((f"marginal: {name}", plots.marginal_png(name, d)))
    elif section == "dependence":
        dep = art.get("dependence") or {}
        labels = tuple(dep.get("labels", ("real", "synthetic")))
        if dep.get("names") and len(dep["names"]) >= 2 and dep.get("association_real") is not None:
            figs.append(("association heatmaps (Pearson for numeric pairs, Cramér's V for label "
                         "pairs, correlation ratio for mixed pairs)",
                         plots.heatmaps_png(dep["names"], dep["association_real"],
                                            dep["association_synth"], labels)))
        if dep.get("spearman_real") is not None and len(dep.get("numeric_names", [])) >= 2:
            figs.append(("Spearman correlation heatmaps (numeric columns)",
                         plots.heatmaps_png(dep["numeric_names"], dep["spearman_real"],
                                            dep["spearman_synth"], labels)))
        if art.get("pca") is not None:
            n_pca = len(art["pca"]["real"])
            figs.append((f"PCA scatter of real vs synthetic rows: {n_pca} rows of each table (a "
                         "seeded random subsample of the larger one), synthetic drawn first",
                         plots.pca_png(art["pca"])))
    elif section == "privacy":
        p = art.get("privacy")
        if p and p.get("attacks"):
            figs.append(("attack success against training rows vs unseen holdout rows, with Wilson "
                         "intervals", plots.attacks_png(p["attacks"])))
        if p and len(p.get("dcr_synth", [])):
            figs.append(("distance to closest record", plots.dcr_png(p)))
    return figs


#: most per-column distribution figures in a report (the columns with the lowest scores)
MARGINAL_FIGURES = 40


def marginal_figure_columns(report) -> dict:
    """The plot data of the columns whose distributions the report draws, in table order:
    all of them up to :data:`MARGINAL_FIGURES`, else the columns with a failed marginal check
    and then the lowest per-column scores (:func:`column_scores`) up to that many."""
    data = report.artifacts.get("marginal_plots") or {}
    if len(data) <= MARGINAL_FIGURES:
        return dict(data)
    scores, failed, _ = column_scores(report)
    rank = sorted(data, key=lambda name: (name not in failed, scores.get(name, math.inf), str(name)))
    keep = set(rank[:MARGINAL_FIGURES])
    return {name: d for name, d in data.items() if name in keep}


def column_scores(report) -> tuple[dict[str, float], set[str], str]:
    """Per-column scores of the marginal checks, the columns with a failed check, and the
    score's name: Column Shapes (``1 - KS`` or ``1 - TV``) for a reference table, ``1 -``
    the declared KS / TV distance for a model."""
    marg = [c for c in report.checks if c.section == "marginals" and c.columns != "*"]
    failed = {c.columns for c in marg if c.passed is False}
    shapes = {c.columns: float(c.value) for c in marg if c.statistic == "column_shape"}
    if shapes:
        return shapes, failed, "Column Shapes score per column"
    declared = {c.columns: 1.0 - float(c.value) for c in marg
                if c.statistic in ("ks_distance_declared", "tv_distance_declared")}
    return declared, failed, "1 - declared KS / TV distance per column"


_INTRO = {
    "marginals": "Per-column distances between the reference and synthetic distributions. "
                 "Thresholds add a sampling allowance derived from the table sizes.",
    "dependence": "Pairwise dependence: Pearson/Spearman/Kendall matrices, Cramér's V, "
                  "correlation ratios, and SDMetrics-compatible Column Pair Trends.",
    "privacy": "Attacks (with a holdout): singling out, linkability, attribute inference and "
               "membership inference against training rows vs unseen holdout rows; exact copies, "
               "distance to closest record (DCR), nearest-neighbour distance ratio (NNDR) and the "
               "closer-to-train share, on scaled mixed-type rows.",
    "utility": "Train on synthetic, test on real (TSTR) vs train on real, test on real (TRTR).",
    "rules": "Business rules: rows violating each hard rule (must be 0), each soft rule's share of "
             "violating rows vs the reference's, each derived column recomputed on its rows (and the "
             "noise it draws). Hover a row for its detail.",
    "clusters": "Archetype checks: requested vs achieved overlap, cluster sizes and shapes.",
}


def render_html(report, *, title: str | None = None, progress: bool | None = None) -> str:
    """The full page: verdict, section scores, per-section tables and figures.

    ``progress``: a bar over the per-column figures (the slow part of the page);
    by default shown on a terminal once drawing has taken two seconds.
    """
    meta = report.meta
    title = title or "synthkit validation report"
    verdict = "PASSED" if report.passed else "FAILED"
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        f"<title>{html.escape(title)}</title>",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p><span class="verdict {"pass" if report.passed else "fail"}">{verdict}</span> '
        f'<span class="muted">{len(report.failed())} of '
        f"{sum(c.passed is not None for c in report.checks)} checks failed &middot; "
        f"reference: {html.escape(str(meta.get('reference_kind', '?')))}"
        + (f" ({meta['n_reference']} rows)" if meta.get("n_reference") is not None else "")
        + f" &middot; synthetic: {html.escape(str(meta.get('n_synthetic', '-')))} rows &middot; "
        + (f"{len(meta['columns'])} columns &middot; " if meta.get("columns") else "")
        + f"synthkit {__version__} &middot; {when}"
        "</span></p>",
    ]
    parts.extend(f'<p class="muted">{html.escape(line)}</p>'
                 for line in merged_levels_lines(meta.get("merged_levels")))
    parts.append(_design_line(meta))
    if meta.get("reference_kind") in ("table", "labelled"):
        parts.append(f'<p class="notice">{html.escape(CONFIDENTIAL)}</p>')
    rows = "".join(
        f"<tr><td><a href='#{html.escape(str(r['section']))}'>{html.escape(str(r['section']))}</a>"
        f"</td><td class='num'>{r['checks']}</td><td class='num'>{r['failed']}</td>"
        f"<td class='num'>{_num(r['score'])}</td></tr>"
        for _, r in report.section_status().iterrows()
    )
    overall = report.scores.get("overall", math.nan)
    parts.append("<h2>Summary</h2><table><tr><th>section</th><th>checks</th><th>failed</th>"
                 f"<th>score</th></tr>{rows}<tr><td><b>overall</b></td><td></td><td></td>"
                 f"<td class='num'><b>{_num(overall)}</b></td></tr></table>")
    scores, failed_cols, score_name = column_scores(report)
    if scores:
        from .plots import column_scores_png

        cap = (f"{score_name}, lowest first (1 = same distribution); red bars: columns with a "
               "failed marginal check, grey: all checks passed")
        png = column_scores_png(scores, failed_cols, title=score_name)
        parts.append(f'<figure id="column-scores">{_img(png, cap)}'
                     f"<figcaption>{html.escape(cap)}</figcaption></figure>")
    failed = report.failed()
    if failed:
        parts.append("<h3>Failed checks</h3>" + _checks_table(failed, with_section=True))
    for section in report.sections():
        checks = [c for c in report.checks if c.section == section]
        decided = [c for c in checks if c.passed is not None]
        info = [c for c in checks if c.passed is None]
        parts.append(f'<h2 id="{html.escape(section)}">{html.escape(section.capitalize())}</h2>')
        parts.append(f'<p class="muted">{html.escape(_INTRO.get(section, ""))}</p>')
        if decided and section == "marginals":
            per_col = [c for c in decided if c.columns != "*"]
            rest = [c for c in decided if c.columns == "*"]
            pivot_rows = [c for c in checks if c.columns != "*"]  # informational cells in grey
            if rest:
                parts.append(_checks_table(rest))
            if per_col:
                parts.append('<p class="muted">Per column (failed cells in red; hover a cell for '
                             "its threshold and detail; grey = informational):</p>"
                             + _pivot_table(pivot_rows))
                parts.append(f"<details><summary>all {len(per_col)} per-column checks with "
                             f"thresholds</summary>{_checks_table(per_col)}</details>")
        elif section == "rules" and (report.artifacts.get("rules") or {}).get("rows"):
            parts.append(_rules_table(report.artifacts["rules"]["rows"]))
            info = []
        elif decided:
            parts.append(_checks_table(decided))
        attacks = (report.artifacts.get("privacy") or {}).get("attacks") if section == "privacy" else None
        if attacks:
            parts.append('<p class="muted">Attacks on training rows and, identically, on holdout rows the '
                         "generator never saw: the excess of the training success over the holdout success "
                         "is what the synthetic table discloses (risk 0 = nothing; intervals at the "
                         "checks' level).</p>" + _attacks_table(attacks))
        if info:
            parts.append(f"<details><summary>{len(info)} informational rows</summary>"
                         f"{_checks_table(info)}</details>")
        figs = _section_figures(report, section, progress)
        n_plots = len(report.artifacts.get("marginal_plots") or {})
        if section == "marginals" and n_plots > MARGINAL_FIGURES:
            parts.append(f'<p class="muted">Distributions of the {MARGINAL_FIGURES} columns with a '
                         f"failed check or the lowest scores, of {n_plots} (in table order).</p>")
        if section == "clusters":
            figs += list(report.figures.items())
        if figs:
            parts.append('<div class="grid">')
            for cap, png in figs:
                parts.append(f"<figure>{_img(png, cap)}<figcaption>{html.escape(cap)}"
                             "</figcaption></figure>")
            parts.append("</div>")
    extra = dict(report.figures) if "clusters" not in report.sections() else {}
    if extra:
        parts.append("<h2>Figures</h2><div class='grid'>")
        for cap, png in extra.items():
            parts.append(f"<figure>{_img(png, cap)}<figcaption>{html.escape(cap)}</figcaption></figure>")
        parts.append("</div>")
    secs = meta.get("seconds") or {}
    if secs:
        t = ", ".join(f"{html.escape(k)} {v:.2f} s" for k, v in secs.items()
                      if isinstance(v, (int, float)) and np.isfinite(v))
        parts.append(f"<h2>Run</h2><p class='muted'>Seconds per section: {t}</p>")
    thr = meta.get("thresholds") or {}
    if thr:
        trs = "".join(f"<tr><td>{html.escape(k)}</td><td class='num'>"
                      f"{'informational' if isinstance(v, float) and math.isnan(v) else _num(v)}"
                      "</td></tr>" for k, v in thr.items())
        parts.append("<details><summary>Thresholds (effect-size part; checks add a "
                     f"sampling allowance)</summary><table>{trs}</table></details>")
    parts.append("</body></html>")
    return "\n".join(parts)
