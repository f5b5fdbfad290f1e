"""Matplotlib figures of a validation report, rendered to PNG bytes.

Uses the non-interactive Agg canvas directly (``matplotlib.figure.Figure`` +
``FigureCanvasAgg``), so it never touches pyplot's global state or the user's
backend. Every function takes the report's plot data (see
:func:`synthkit.validation.validate`) and returns PNG bytes.
"""

from __future__ import annotations

import io
import os.path
import warnings
from collections import Counter

import numpy as np

__all__ = [
    "figure_to_png",
    "marginal_png",
    "heatmaps_png",
    "pca_png",
    "dcr_png",
    "attacks_png",
    "column_scores_png",
    "column_scores_figure",
    "heatmaps_figure",
    "label_step",
    "literal",
    "short_label",
    "short_labels",
    "REAL_COLOR",
    "SYNTH_COLOR",
]

REAL_COLOR = "#1f77b4"
SYNTH_COLOR = "#ff7f0e"
FAIL_COLOR = "#c62828"
PASS_COLOR = "#90a4ae"
#: heatmap cells whose association is undefined (NaN), apart from white = 0
UNDEFINED_COLOR = "#9e9e9e"
DPI = 80
#: smallest room (pixels) given to one tick label of a heatmap
LABEL_PX = 11.0
#: font size (points) of heatmap tick labels
LABEL_PT = 8
#: heatmaps of more columns than this use a 2 x 2 grid of larger panels
WIDE_HEATMAP = 12
#: most columns drawn in the per-column score chart (the lowest scores)
SCORE_BARS = 40


def literal(text) -> str:
    """``text`` as matplotlib draws it verbatim: every ``$`` escaped, so a column name or
    label holding ``$`` is never parsed as mathtext (which fails on ``"$^$"`` and turns
    ``"US$ (in $)"`` into maths).

    Examples
    --------
    >>> literal("price in $")
    'price in \\\\$'
    """
    return str(text).replace("$", "\\$")


def short_label(name, width: int = 16) -> str:
    """``name`` cut in the middle to ``width`` characters (start and end kept, so
    ``balance_q1`` and ``balance_q2`` stay apart), as drawn verbatim (:func:`literal`).

    Examples
    --------
    >>> short_label("account_balance_q1", 12), short_label("account_balance_q2", 12)
    ('account_\u2026_q1', 'account_\u2026_q2')
    """
    s = str(name)
    if len(s) > width:
        tail = (width - 1) // 3
        s = s[: width - 1 - tail] + "\u2026" + s[len(s) - tail:]
    return literal(s)


def short_labels(names, width: int = 16) -> list[str]:
    """:func:`short_label` of each name, told apart where two would read the same.

    Names that collide when cut (``sensor_channel_17_calibrated``, ``sensor_channel_18_...``)
    keep the part where they differ: their common prefix and suffix are elided (``…``)
    and the distinct middle is shown with as much of the prefix as fits. Names that
    still read the same end in ``#i``, their position (from 1) in ``names``.

    Examples
    --------
    >>> short_labels(["amount_in_x_usd_" + "a" * 9, "amount_in_y_usd_" + "a" * 9, "id"], 12)
    ['…mount_in_x…', '…mount_in_y…', 'id']
    """
    out = [short_label(n, width) for n in names]
    groups: dict[str, list[int]] = {}
    for i, s in enumerate(out):
        groups.setdefault(s, []).append(i)
    for members in groups.values():
        if len(members) > 1:
            for i, label in zip(members, _distinct_parts([names[i] for i in members], width), strict=True):
                out[i] = label
    seen = Counter(out)
    return [s if seen[s] == 1 else short_label(n, max(width - 1 - len(str(i + 1)), 4)) + f"#{i + 1}"
            for i, (s, n) in enumerate(zip(out, names, strict=True))]


def _distinct_parts(names: list[str], width: int) -> list[str]:
    """Each name cut to ``width`` around where the names differ (see :func:`short_labels`)."""
    p = len(os.path.commonprefix(names))
    s = len(os.path.commonprefix([n[::-1] for n in names]))
    room = max(width - 2, 4)
    out = []
    for n in names:
        tail = min(s, len(n) - p)
        mid = n[p:len(n) - tail]
        if len(mid) >= room:
            start, core = p, short_label(mid, room)
        else:
            start = max(0, p - (room - len(mid)))
            core = n[start:len(n) - tail]
        out.append(("…" if start > 0 else "") + core + ("…" if tail > 0 else ""))
    return out


def _ordinal(k: int) -> str:
    """``2nd``, ``3rd``, ``4th``, ``11th``, ``21st``."""
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def label_step(n_labels: int, panel_inches: float) -> int:
    """Label every ``k``-th of ``n_labels`` ticks so each label gets ``LABEL_PX`` pixels.

    Examples
    --------
    >>> label_step(30, 4.4), label_step(90, 4.4)
    (1, 3)
    """
    return max(1, int(np.ceil(LABEL_PX * n_labels / (panel_inches * DPI))))


def _figure(w: float, h: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_to_png(fig) -> bytes:
    """PNG bytes of a matplotlib figure (closes it when it came from pyplot)."""
    buf = io.BytesIO()
    if getattr(fig, "canvas", None) is None or fig.canvas.__class__.__name__ == "FigureCanvasBase":
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    with warnings.catch_warnings():
        # a name in a script the font lacks (CJK with the default DejaVu Sans) is drawn as
        # boxes; matplotlib warns once per glyph, in the middle of a command's output
        warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        fig.savefig(buf, format="png", dpi=DPI)
    try:
        import matplotlib.pyplot as plt

        if plt.fignum_exists(getattr(fig, "number", -1)):
            plt.close(fig)
    except Exception:  # pragma: no cover - pyplot unavailable
        pass
    return buf.getvalue()


def marginal_png(name: str, d: dict) -> bytes:
    """Overlay of the reference and synthetic distribution of one column."""
    ref_label = d.get("reference_label", "real")
    fig = _figure(4.2, 2.8)
    ax = fig.add_subplot()
    if d.get("type") == "hist":
        edges = np.asarray(d["edges"])
        centers = np.sqrt(edges[:-1] * edges[1:]) if d.get("log") else (edges[:-1] + edges[1:]) / 2
        if d.get("datetime"):
            centers = centers.astype("datetime64[ns]")
        ax.fill_between(centers, d["real"], step="mid", alpha=0.35, color=REAL_COLOR,
                        label=literal(ref_label))
        ax.step(centers, d["real"], where="mid", color=REAL_COLOR, lw=1)
        ax.step(centers, d["synth"], where="mid", color=SYNTH_COLOR, lw=1.6, label="synthetic")
        ax.set_ylabel("density per log10 unit" if d.get("log") else "density")
        ax.set_xlabel("value (log scale)" if d.get("log") else "value", fontsize=8)
        if d.get("log"):
            ax.set_xscale("log")
        if d.get("datetime"):
            # rotated dates (fig.autofmt_xdate would call subplots_adjust, which the constrained
            # layout refuses with a warning)
            ax.tick_params(axis="x", labelrotation=30)
            ax.set_yticks([])  # a density per nanosecond has no readable unit
            ax.set_ylabel("density")
    elif d.get("type") == "bar":
        labels = short_labels(d["labels"], 14)
        x = np.arange(len(labels))
        ax.bar(x - 0.2, d["real"], width=0.4, color=REAL_COLOR, label=literal(ref_label))
        ax.bar(x + 0.2, d["synth"], width=0.4, color=SYNTH_COLOR, label="synthetic")
        ax.set_xticks(x, labels, rotation=45 if len(labels) > 6 else 0, ha="right"
                      if len(labels) > 6 else "center", fontsize=7)
        ax.set_ylabel("frequency")
        ax.set_xlabel("label", fontsize=8)
    else:
        ax.text(0.5, 0.5, "no values", ha="center", va="center", transform=ax.transAxes)
    top = ""
    if d.get("type") == "bar" and d.get("truncated"):
        shown = len(d["labels"]) - bool(d.get("other"))
        top = f" (top {shown}{' + other' if d.get('other') else ''})"
    missing = d.get("missing")
    note = (f"\nmissing: {literal(ref_label)} {missing[0]:.1%}, synthetic {missing[1]:.1%}"
            if missing and max(missing) > 0 else "")
    ax.set_title(short_label(name, 40) + top + note, fontsize=10 if not note else 9)
    ax.legend(fontsize=7, loc="best", framealpha=0.8)
    ax.tick_params(labelsize=7)
    return figure_to_png(fig)


def heatmaps_png(names: list[str], real: np.ndarray, synth: np.ndarray,
                 labels: tuple[str, str] = ("real", "synthetic")) -> bytes:
    """PNG of :func:`heatmaps_figure`."""
    return figure_to_png(heatmaps_figure(names, real, synth, labels))


def heatmaps_figure(names: list[str], real: np.ndarray, synth: np.ndarray,
                    labels: tuple[str, str] = ("real", "synthetic")):
    """Association heatmaps: reference, synthetic and their difference.

    Up to ``WIDE_HEATMAP`` columns the three panels sit in a row; wider tables get a
    2 x 2 grid (the fourth cell holds the colour scale), so each panel is about 350
    pixels wide. Every column is labelled (names cut in the middle to 16 characters, x labels rotated)
    while each label has ``LABEL_PX`` pixels; wider tables label every ``k``-th column
    (:func:`label_step`) and say so in the figure.
    """
    d = len(names)
    diff = np.asarray(synth, dtype=float) - np.asarray(real, dtype=float)
    mats = (real, synth, diff)
    worst = ""
    off = np.where(np.eye(d, dtype=bool), np.nan, np.abs(diff))
    if d >= 2 and np.isfinite(off).any():  # the one number the shared +-1 scale cannot show
        worst = f"\n(largest |difference| {np.nanmax(off):.3f})"
    titles = tuple(literal(t) for t in (labels[0], labels[1], f"{labels[1]} - {labels[0]}{worst}"))
    if d <= WIDE_HEATMAP:
        size = 1.8 + 0.22 * d
        fig = _figure(3 * size + 1.2, size + 1.0)
        axes = list(fig.subplots(1, 3))
        side, spare = size - 1.0, None
    else:
        fig = _figure(14.0, 12.6)
        grid = fig.subplots(2, 2)
        axes, spare = [grid[0, 0], grid[0, 1], grid[1, 0]], grid[1, 1]
        side = 4.4
    k = label_step(d, side)
    ticks = np.arange(0, d, k)
    labels_all = short_labels(names)
    short = [labels_all[i] for i in ticks]
    from matplotlib import colormaps

    cmap = colormaps["RdBu_r"].with_extremes(bad=UNDEFINED_COLOR)
    undefined = any(np.isnan(np.asarray(m, dtype=float)).any() for m in mats)
    im = None
    for ax, mat, title in zip(axes, mats, titles, strict=True):
        im = ax.imshow(np.asarray(mat, dtype=float), vmin=-1, vmax=1, cmap=cmap)
        ax.set_title(title, fontsize=11)
        ax.set_xticks(ticks, short, rotation=90, fontsize=LABEL_PT)
        ax.set_yticks(ticks, short, fontsize=LABEL_PT)
    note = (f"{d} columns in table order" + (f"; every {_ordinal(k)} column labelled" if k > 1 else "")
            + ("; grey: undefined (a constant column)" if undefined else ""))
    if spare is None:
        fig.colorbar(im, ax=axes, shrink=0.8)
        if k > 1 or undefined:
            fig.supxlabel(note, fontsize=9)
    else:
        spare.axis("off")
        cax = spare.inset_axes([0.08, 0.62, 0.84, 0.07])
        fig.colorbar(im, cax=cax, orientation="horizontal")
        cax.tick_params(labelsize=9)
        spare.text(0.5, 0.45, note, ha="center", va="top", fontsize=11, transform=spare.transAxes)
    return fig


def column_scores_png(scores: dict[str, float], failed: set[str] | frozenset = frozenset(),
                      *, title: str = "Column Shapes score per column") -> bytes:
    """PNG of :func:`column_scores_figure`."""
    return figure_to_png(column_scores_figure(scores, failed, title=title))


def column_scores_figure(scores: dict[str, float], failed: set[str] | frozenset = frozenset(),
                         *, title: str = "Column Shapes score per column"):
    """Horizontal bars of one score per column, lowest first; ``failed`` columns in red.

    At most ``SCORE_BARS`` bars (the lowest scores); the title says when some are left out.
    """
    items = sorted(((str(k), float(v)) for k, v in scores.items() if np.isfinite(v)),
                   key=lambda kv: (kv[1], kv[0]))
    shown = items[:SCORE_BARS]
    n = max(len(shown), 1)
    fig = _figure(7.0, 1.0 + 0.2 * n)
    ax = fig.add_subplot()
    y = np.arange(len(shown))[::-1]
    colors = [FAIL_COLOR if name in failed else PASS_COLOR for name, _ in shown]
    ax.barh(y, [v for _, v in shown], color=colors, height=0.75)
    ax.set_yticks(y, short_labels([name for name, _ in shown], 28), fontsize=9)
    for yi, (_, v) in zip(y, shown, strict=True):
        ax.text(min(v, 1.0) + 0.005, yi, f"{v:.3f}", va="center", fontsize=8)
    ax.set_xlim(0, 1.08)
    ax.set_ylim(-0.6, len(shown) - 0.4)
    ax.set_xlabel("score (1 = same distribution)", fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    extra = f"\nthe {len(shown)} lowest of {len(items)} columns; " if len(items) > len(shown) else "; "
    n_bad = sum(name in failed for name, _ in items)
    ax.set_title(f"{literal(title)}{extra}red: a failed check ({n_bad})", fontsize=10)
    return fig


def pca_png(d: dict) -> bytes:
    """Scatter of the first two principal components (fitted on the reference).

    ``d["real"]`` and ``d["synth"]`` hold equally many rows (a seeded subsample of the
    larger table, see :func:`synthkit.validation.validate`), so neither buries the other.
    """
    fig = _figure(4.6, 3.8)
    ax = fig.add_subplot()
    r, s = np.asarray(d["real"]), np.asarray(d["synth"])
    ax.scatter(s[:, 0], s[:, 1], s=6, alpha=0.5, color=SYNTH_COLOR, label=f"synthetic ({len(s)})",
               lw=0)
    ax.scatter(r[:, 0], r[:, 1], s=6, alpha=0.5, color=REAL_COLOR,
               label=literal(f"{d.get('reference_label', 'real')} ({len(r)})"), lw=0)
    ev = d.get("explained", [np.nan, np.nan])
    ax.set_xlabel(f"PC1 ({100 * ev[0]:.0f}% of real variance)", fontsize=8)
    ax.set_ylabel(f"PC2 ({100 * ev[1]:.0f}%)", fontsize=8)
    ax.set_title("PCA of the scaled rows (clipped at 5 IQR)", fontsize=10)
    ax.legend(fontsize=7, markerscale=3, frameon=False)
    ax.tick_params(labelsize=7)
    return figure_to_png(fig)


def dcr_png(d: dict) -> bytes:
    """Histograms of the distance to the closest record: synthetic vs baseline."""
    fig = _figure(5.0, 3.0)
    ax = fig.add_subplot()
    s, b = np.asarray(d["dcr_synth"]), np.asarray(d["dcr_baseline"])
    hi = float(np.quantile(np.r_[s, b], 0.99)) if s.size + b.size else 1.0
    hi = hi if hi > 0 else 1.0
    bins = np.linspace(0, hi, 40)
    width = bins[1] - bins[0]

    def shown(x):  # distances beyond the cut are left out, not piled into the last bin
        total = max(x.size, 1)
        x = x[x <= hi]
        return x, np.full(x.size, 1.0 / (total * width))

    beyond = float(np.mean(np.r_[s, b] > hi)) if s.size + b.size else 0.0
    xb, wb = shown(b)
    xs, ws = shown(s)
    ax.hist(xb, bins=bins, weights=wb, alpha=0.45, color=REAL_COLOR,
            label=literal(f"baseline: {d.get('baseline', '')}"))
    ax.hist(xs, bins=bins, weights=ws, histtype="step", lw=1.6,
            color=SYNTH_COLOR, label="synthetic -> reference")
    p1 = float(np.quantile(b, 0.01)) if b.size else 0.0
    ax.axvline(p1, color="k", ls=":", lw=1, label="baseline 1st percentile")
    ax.set_xlabel(f"distance to closest record (scaled)\naxis cut at the 99th percentile: "
                  f"{beyond:.1%} of distances beyond it", fontsize=8)
    ax.set_ylabel("density", fontsize=8)
    ax.set_title("Distance to closest record", fontsize=10)
    ax.legend(fontsize=7, loc="upper right", framealpha=0.85)
    ax.tick_params(labelsize=7)
    return figure_to_png(fig)


def _attack_label(r) -> str:
    name = {"singling_out_univariate": "singling out (1 column)",
            "singling_out_multivariate": "singling out (columns combined)",
            "linkability": "linkability", "membership": "membership (DCR)"}.get(r.attack, r.attack)
    return f"inference: {short_label(r.target, 20)}" if r.attack == "inference" else name


def attacks_png(results) -> bytes:
    """Success rates of each attack against training rows and unseen (control) rows.

    One pair of bars per attack (:class:`~synthkit.validation.attacks.AttackResult`), with
    the Wilson intervals as whiskers and the random-guess rate as a black tick where it
    applies; a training bar well beyond its control bar is the disclosure the synthetic
    table causes. Attacks whose excess risk is undefined (a control rate of 1, as when the
    target column is constant) are left out and named under the axis.
    """
    rs = [r for r in results if np.isfinite(r.train_rate) and np.isfinite(r.control_rate)
          and np.isfinite(r.risk)]
    unmeasured = [_attack_label(r) for r in results if r not in rs]
    n = max(len(rs), 1)
    fig = _figure(6.4, 1.2 + 0.42 * n)
    ax = fig.add_subplot()
    y = np.arange(len(rs))[::-1]
    h = 0.38
    for off, rate, ci, color, label in ((h / 2, "train_rate", "train_ci", REAL_COLOR, "training rows"),
                                        (-h / 2, "control_rate", "control_ci", PASS_COLOR,
                                         "unseen (holdout) rows")):
        v = np.array([getattr(r, rate) for r in rs])
        lo = np.array([getattr(r, ci)[0] for r in rs])
        hi = np.array([getattr(r, ci)[1] for r in rs])
        err = np.vstack([np.maximum(v - lo, 0), np.maximum(hi - v, 0)])
        ax.barh(y + off, v, height=h, color=color, label=label, xerr=err,
                error_kw={"elinewidth": 1, "capsize": 2, "ecolor": "#333"})
    guess = np.array([getattr(r, "baseline_rate", np.nan) for r in rs], dtype=float)
    known = np.isfinite(guess)
    if known.any():
        ax.scatter(guess[known], y[known], marker="|", s=260, color="k", lw=1.6, zorder=3,
                   label="random guess")
    ax.set_yticks(y, [_attack_label(r) for r in rs], fontsize=8)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(-0.6, len(rs) - 0.4)
    note = ("" if not unmeasured else
            "\nnot measurable (no excess risk defined): " + ", ".join(short_label(u, 30) for u in unmeasured))
    ax.set_xlabel("attack success rate (whiskers: Wilson interval)" + note, fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    ax.set_title("Attacks: success against training vs unseen rows", fontsize=10)
    below = -0.5 / n - 0.06 - (0.25 / n if note else 0.0)  # under the axis label
    ax.legend(fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, below), ncol=3)
    return figure_to_png(fig)
