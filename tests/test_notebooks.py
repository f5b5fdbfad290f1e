"""Execute every notebook in notebooks/ (small n through SYNTHKIT_FAST=1)."""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
#: Notebooks that take 20 s or more even with SYNTHKIT_FAST=1: run with ``pytest -m slow``.
SLOW = {"02_cluster_benchmarks.ipynb", "04_validation.ipynb", "05_anonymization.ipynb",
        "07_repair.ipynb", "09_scale.ipynb"}


def test_there_are_notebooks():
    assert any(p.name == "01_montecarlo.ipynb" for p in NOTEBOOKS)


@pytest.mark.parametrize("path", [pytest.param(p, marks=pytest.mark.slow) if p.name in SLOW else p
                                  for p in NOTEBOOKS], ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes(path, monkeypatch):
    monkeypatch.setenv("SYNTHKIT_FAST", "1")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    assert os.environ["SYNTHKIT_FAST"] == "1"
