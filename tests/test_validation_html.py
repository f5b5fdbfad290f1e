"""The HTML report: one self-contained page, every image embedded, renders in Chromium."""

from __future__ import annotations

import base64
import html
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from test_validation import fair_mixed, independent_draw

from synthkit.validation import validate


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images: list[dict] = []
        self.external: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "img":
            self.images.append(a)
        for key in ("src", "href"):
            v = a.get(key)
            if v and not (v.startswith("data:") or v.startswith("#")):
                self.external.append(v)
        if tag in ("link", "script", "iframe"):
            self.external.append(tag)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    real = fair_mixed()
    synth = independent_draw(real, 2000, seed=1)
    rep = validate(real, synth, target="had_affair")
    path = tmp_path_factory.mktemp("html") / "report.html"
    text = rep.to_html(path, title="fair: independent marginals")
    return rep, path, text


def test_every_image_is_an_embedded_png(page):
    rep, path, text = page
    assert path.read_text(encoding="utf-8") == text
    p = _Collect()
    p.feed(text)
    assert not p.external, p.external               # self-contained
    assert p.images
    for img in p.images:
        src = img["src"]
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000
        assert img.get("alt")
    alts = [img["alt"] for img in p.images]
    # one marginal overlay per column, heatmaps, PCA and DCR histograms
    assert sum(a.startswith("marginal: ") for a in alts) == len(rep.meta["columns"])
    assert any(a.startswith("association heatmaps") for a in alts)
    assert any(a.startswith("PCA") for a in alts)
    assert any(a.startswith("distance to closest record") for a in alts)
    assert "FAILED" in text and "fair: independent marginals" in text
    for section in ("marginals", "dependence", "privacy", "utility"):
        assert f'id="{section}"' in text


def test_report_escapes_column_names():
    real = pd.DataFrame({"<b>x</b>": np.arange(50.0) % 7, "y&z": np.arange(50.0)})
    text = validate(real, real.sample(frac=1, random_state=0), checks="marginals").to_html()
    assert "<b>x</b>" not in text and "&lt;b&gt;x&lt;/b&gt;" in text


def test_html_write_is_atomic(tmp_path, page, monkeypatch):
    rep, _, _ = page
    target = tmp_path / "r.html"
    target.write_text("old")
    import synthkit.validation.html as h

    def boom(*a, **k):
        raise RuntimeError("render failed")

    monkeypatch.setattr(h, "render_html", boom)
    with pytest.raises(RuntimeError):
        rep.to_html(target)
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_renders_in_headless_chromium(page, tmp_path):
    _, path, _ = page
    shot = tmp_path / "shot.png"
    base = ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(base + ["--dump-dom", path.as_uri()], capture_output=True, text=True,
                         timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    # the browser parsed the whole page: the last section and every image are in its DOM
    assert "Thresholds" in dom.stdout
    assert dom.stdout.count("data:image/png;base64,") == page[2].count("data:image/png;base64,")
    run = subprocess.run(base + [f"--screenshot={shot}", "--window-size=1200,3000",
                                 path.as_uri()], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_constant_date_column_validates_and_renders():
    """numpy's +-0.5 widening of a constant range is lost at nanosecond scale (it raised)."""
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"snapshot": pd.Timestamp("2024-03-31"), "balance": rng.normal(size=80)})
    synth = pd.DataFrame({"snapshot": pd.Timestamp("2024-03-31"), "balance": rng.normal(size=400)})
    rep = validate(real, synth, checks=["marginals", "dependence"])
    const = validate(real.assign(snapshot=1.0), synth.assign(snapshot=1.0), checks=["marginals", "dependence"])
    assert rep.scores == pytest.approx(const.scores, nan_ok=True)  # as a constant number column
    assert "snapshot" in rep.to_html()


def test_a_real_table_report_says_it_is_confidential(page):
    from synthkit.validation.html import CONFIDENTIAL

    assert html.escape(CONFIDENTIAL) in page[2]


def test_informational_thresholds_survive_a_json_round_trip(page, tmp_path):
    from synthkit.validation.report import ValidationReport

    rep = page[0]
    back = ValidationReport.from_json(rep.to_json(tmp_path / "r.json") and tmp_path / "r.json")
    nan_keys = [k for k, v in rep.meta["thresholds"].items() if isinstance(v, float) and np.isnan(v)]
    assert nan_keys and all(np.isnan(back.meta["thresholds"][k]) for k in nan_keys)
    shown = "informational</td></tr>"
    assert back.to_html().count(shown) == page[2].count(shown) >= len(nan_keys)


def test_the_figures_show_a_progress_bar_when_asked(page, capsys, monkeypatch):
    import re

    from synthkit.errors import SpecError

    rep, _, text = page
    n_columns = len(rep.artifacts["marginal_plots"])
    stamp = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")
    capsys.readouterr()
    quiet = rep.to_html(progress=False, title="fair: independent marginals")
    assert capsys.readouterr().err == ""
    assert stamp.sub("", quiet) == stamp.sub("", text)  # the page does not depend on the bar
    rep.to_html(progress=True)
    err = capsys.readouterr().err
    assert "report figures:" in err and f" 0/{n_columns} " in err, err
    with pytest.raises(SpecError, match="progress"):
        rep.to_html(progress="yes")


def test_the_figures_bar_counts_every_column(page, recorded_bars):
    rep, _, _ = page
    n_columns = len(rep.artifacts["marginal_plots"])
    rep.to_html(progress=True)
    assert [(b.n, b.total, b.disable) for b in recorded_bars["report figures"]] == [
        (n_columns, n_columns, False)]
