"""Build and execute a notebook from a list of ``("md" | "code", source)`` cells (the make_* scripts)."""

from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def build_notebook(cells: list[tuple[str, str]], name: str, *, timeout: int = 600) -> Path:
    """Execute ``cells`` in a fresh Python 3 kernel (in this folder) and write ``name`` here."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
                for kind, src in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(HERE)}}).execute()
    path = HERE / name
    nbformat.write(nb, path)
    print("wrote", path)
    return path
