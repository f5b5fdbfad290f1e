"""YAML recipes for cluster benchmark suites.

A recipe with a top-level ``clusters:`` key (dispatched here by
:func:`synthkit.recipes.run_recipe`) builds a suite of labelled datasets::

    clusters:
      output: out/cluster_suite   # folder (relative to the working directory);
                                  # `out_dir` / `synthkit run --out` overrides it
      format: csv                 # csv (default) or parquet
      seed: 2024                  # one seed for the whole suite (default 0)
      n_datasets: 3               # default datasets per archetype
      archetypes:
        - name: blobs-2d          # required, unique; used as the sub-folder name
          description: five spherical clusters in 2 dimensions with some overlap
          n_datasets: 2           # optional override
          params:                 # optional Archetype parameters (override the description)
            n_samples: 400
        - name: oblong-10d
          params: {n_clusters: 10, dim: 10, aspect_ref: 3, max_overlap: 0.05}

Each archetype needs a ``description`` or ``params`` (or both). Written files:
``<output>/<name>/archetype.json``, ``<output>/<name>/dataset_NNN.<format>``
(+ ``.meta.json`` with the mixture and the overlap certificate) and
``<output>/summary.csv`` (one row per dataset). Archetype ``a``, dataset ``d``
uses child ``d`` of child ``a`` of the suite seed, so adding archetypes at the
end does not change earlier datasets.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..errors import RecipeError, SynthkitError, reject_unknown_keys
from ..io import make_output_folder, write_table
from ..seeding import as_seed_sequence, child_seed
from .archetype import Archetype

__all__ = ["run_cluster_recipe", "parse_cluster_recipe"]

_TOP_KEYS = {"output", "format", "seed", "n_datasets", "archetypes"}
_ARCH_KEYS = {"name", "description", "params", "n_datasets"}


def _err(source: str, key: str, expected: str, got) -> RecipeError:
    return RecipeError(f"{source}: `{key}` must be {expected}, got {got!r}")


#: Largest number of datasets drawn per archetype in one run (recipe or command line).
MAX_DATASETS = 100_000


def _pos_int(source, key, value):
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DATASETS:
        raise _err(source, key, f"a positive integer up to {MAX_DATASETS:,}", value)
    return value


def parse_cluster_recipe(doc: dict, source: str) -> dict:
    """Check a recipe document and return ``{output, format, seed, archetypes: [(name, Archetype, n)]}``.

    Raises
    ------
    RecipeError
        Naming the file, the key and what is expected.
    """
    if not isinstance(doc, dict) or "clusters" not in doc:
        raise RecipeError(f"{source}: a cluster recipe needs a top-level `clusters:` mapping")
    c = doc["clusters"]
    if not isinstance(c, dict):
        raise _err(source, "clusters", "a mapping with `archetypes:`", c)
    reject_unknown_keys(c, _TOP_KEYS, f"{source}: `clusters`", RecipeError)
    output = c.get("output", "cluster_suite")
    if not isinstance(output, str) or not output:
        raise _err(source, "clusters.output", "a folder path", output)
    fmt = c.get("format", "csv")
    if fmt not in ("csv", "parquet"):
        raise _err(source, "clusters.format", "'csv' or 'parquet'", fmt)
    seed = c.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise _err(source, "clusters.seed", "a non-negative integer", seed)
    default_n = _pos_int(source, "clusters.n_datasets", c.get("n_datasets", 1))
    archs = c.get("archetypes")
    if not isinstance(archs, list) or not archs:
        raise _err(source, "clusters.archetypes", "a non-empty list of archetypes", archs)
    out = []
    names = set()
    for i, a in enumerate(archs):
        where = f"clusters.archetypes[{i}]"
        if not isinstance(a, dict):
            raise _err(source, where, "a mapping with `name` and `description` or `params`", a)
        reject_unknown_keys(a, _ARCH_KEYS, f"{source}: {where}", RecipeError)
        name = a.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
            raise _err(source, f"{where}.name",
                       "a name of letters, digits, '-', '_' or '.' (used as a folder name)", name)
        if name in names:
            raise RecipeError(f"{source}: archetype name {name!r} is used twice")
        names.add(name)
        desc = a.get("description")
        params = a.get("params", {})
        if desc is None and not params:
            raise RecipeError(f"{source}: {where} ({name}) needs a `description` or `params`")
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise _err(source, f"{where}.params", "a mapping of Archetype parameters", params)
        n = _pos_int(source, f"{where}.n_datasets", a.get("n_datasets", default_n))
        try:
            if desc is not None:
                if not isinstance(desc, str):
                    raise _err(source, f"{where}.description", "a string", desc)
                arch = Archetype.from_description(desc, **{**params, "name": name})
            else:
                arch = Archetype(**{**params, "name": name})
        except RecipeError:
            raise
        except TypeError as exc:
            raise RecipeError(f"{source}: {where}.params ({name}): {exc}") from None
        except SynthkitError as exc:
            raise RecipeError(f"{source}: {where} ({name}): {exc}") from None
        out.append((name, arch, n))
    return {"output": output, "format": fmt, "seed": seed, "archetypes": out}


def run_cluster_recipe(doc: dict, source: str, out_dir: str | None = None,
                       progress: bool | None = None, parents: bool = False) -> list[Path]:
    """Run a cluster recipe (see the module docstring); return the written paths.

    Parameters
    ----------
    doc : dict
        The recipe, already parsed (:func:`synthkit.recipes.load_recipe`).
    source : str
        The recipe's file name (used in error messages).
    out_dir : str, optional
        Output folder overriding the recipe's ``clusters.output``. It is created if
        missing; its parent must exist unless ``parents=True``.

    Returns
    -------
    list of pathlib.Path
        Archetype JSON files, dataset tables (their ``.meta.json`` sit beside them)
        and ``summary.csv``.

    Examples
    --------
    >>> import tempfile
    >>> doc = {"clusters": {"archetypes": [{"name": "a", "params": {"n_clusters": 2}}]}}
    >>> paths = run_cluster_recipe(doc, "<doc>", tempfile.mkdtemp(), progress=False)
    >>> sorted(p.name for p in paths)
    ['archetype.json', 'dataset_000.csv', 'summary.csv']
    """
    spec = parse_cluster_recipe(doc, source)
    root_dir = make_output_folder(out_dir if out_dir is not None else spec["output"], parents=parents)
    root = as_seed_sequence(spec["seed"])
    written: list[Path] = []
    rows = []
    for a_idx, (name, arch, n) in enumerate(spec["archetypes"]):
        folder = make_output_folder(root_dir / name)
        written.append(arch.save(folder / "archetype.json"))
        width = max(3, len(str(n - 1)))  # names sort in drawing order
        for d, ds in enumerate(arch.iter_sample(n, child_seed(root, a_idx), progress=progress)):
            path = ds.save(folder / f"dataset_{d:0{width}d}.{spec['format']}")
            written.append(path)
            rows.append({"archetype": name, "dataset": d, "path": str(path),
                         **ds.summary()})
    written.append(write_table(pd.DataFrame(rows), root_dir / "summary.csv"))
    return written
