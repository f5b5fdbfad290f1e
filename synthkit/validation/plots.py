"""Matplotlib figures of a validation report, rendered to PNG bytes.

Uses the non-interactive Agg canvas directly (``matplotlib.figure.Figure`` +
``FigureCanvasAgg``), so it never touches pyplot's global state or the user's
backend. Every function takes the report's plot data (see
:func:`synthkit.validation.validate`) and returns PNG bytes.
"""

from __future__ import annotations

import io

import numpy as np

__all__ = [
    "figure_to_png",
    "marginal_png",
    "heatmaps_png",
    "pca_png",
    "dcr_png",
    "REAL_COLOR",
    "SYNTH_COLOR",
]

REAL_COLOR = "#1f77b4"
SYNTH_COLOR = "#ff7f0e"
DPI = 80


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
        centers = (edges[:-1] + edges[1:]) / 2
        if d.get("datetime"):
            centers = centers.astype("datetime64[ns]")
        ax.fill_between(centers, d["real"], step="mid", alpha=0.35, color=REAL_COLOR,
                        label=ref_label)
        ax.step(centers, d["real"], where="mid", color=REAL_COLOR, lw=1)
        ax.step(centers, d["synth"], where="mid", color=SYNTH_COLOR, lw=1.6, label="synthetic")
        ax.set_ylabel("density")
        if d.get("datetime"):
            fig.autofmt_xdate()
            ax.set_yticks([])  # a density per nanosecond has no readable unit
            ax.set_ylabel("density")
    elif d.get("type") == "bar":
        labels = [str(x)[:14] for x in d["labels"]]
        x = np.arange(len(labels))
        ax.bar(x - 0.2, d["real"], width=0.4, color=REAL_COLOR, label=ref_label)
        ax.bar(x + 0.2, d["synth"], width=0.4, color=SYNTH_COLOR, label="synthetic")
        ax.set_xticks(x, labels, rotation=45 if len(labels) > 6 else 0, ha="right"
                      if len(labels) > 6 else "center", fontsize=7)
        ax.set_ylabel("frequency")
        if d.get("truncated"):
            name = f"{name} (top {len(labels)})"
    else:
        ax.text(0.5, 0.5, "no values", ha="center", va="center", transform=ax.transAxes)
    ax.set_title(str(name), fontsize=10)
    ax.legend(fontsize=7, frameon=False)
    ax.tick_params(labelsize=7)
    return figure_to_png(fig)


def heatmaps_png(names: list[str], real: np.ndarray, synth: np.ndarray,
                 labels: tuple[str, str] = ("real", "synthetic")) -> bytes:
    """Association heatmaps: reference, synthetic and their difference."""
    d = len(names)
    size = min(4.5, 1.6 + 0.22 * d)
    fig = _figure(3 * size + 1.0, size + 0.6)
    axes = fig.subplots(1, 3)
    diff = np.asarray(synth) - np.asarray(real)
    im = None
    for ax, mat, title in zip(axes, (real, synth, diff),
                              (labels[0], labels[1], f"{labels[1]} - {labels[0]}"), strict=True):
        im = ax.imshow(np.asarray(mat, dtype=float), vmin=-1, vmax=1, cmap="RdBu_r")
        ax.set_title(title, fontsize=10)
        short = [str(n)[:12] for n in names]
        if d <= 30:
            ax.set_xticks(range(d), short, rotation=90, fontsize=6)
            ax.set_yticks(range(d), short if ax is axes[0] else [""] * d, fontsize=6)
        else:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.colorbar(im, ax=axes, shrink=0.8)
    return figure_to_png(fig)


def pca_png(d: dict) -> bytes:
    """Scatter of the first two principal components (fitted on the reference)."""
    fig = _figure(4.6, 3.8)
    ax = fig.add_subplot()
    r, s = np.asarray(d["real"]), np.asarray(d["synth"])
    ax.scatter(r[:, 0], r[:, 1], s=5, alpha=0.45, color=REAL_COLOR, label="real", lw=0)
    ax.scatter(s[:, 0], s[:, 1], s=5, alpha=0.45, color=SYNTH_COLOR, label="synthetic", lw=0)
    ev = d.get("explained", [np.nan, np.nan])
    ax.set_xlabel(f"PC1 ({100 * ev[0]:.0f}% of real variance)", fontsize=8)
    ax.set_ylabel(f"PC2 ({100 * ev[1]:.0f}%)", fontsize=8)
    ax.set_title("PCA of the scaled rows", fontsize=10)
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
    ax.hist(np.clip(b, 0, hi), bins=bins, density=True, alpha=0.45, color=REAL_COLOR,
            label=f"baseline: {d.get('baseline', '')}")
    ax.hist(np.clip(s, 0, hi), bins=bins, density=True, histtype="step", lw=1.6,
            color=SYNTH_COLOR, label="synthetic -> reference")
    p1 = float(np.quantile(b, 0.01)) if b.size else 0.0
    ax.axvline(p1, color="k", ls=":", lw=1, label="baseline 1st percentile")
    ax.set_xlabel("distance to closest record (scaled)", fontsize=8)
    ax.set_ylabel("density", fontsize=8)
    ax.set_title("Distance to closest record", fontsize=10)
    ax.legend(fontsize=7, frameon=False)
    ax.tick_params(labelsize=7)
    return figure_to_png(fig)
