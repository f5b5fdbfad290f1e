"""YAML recipes: declare a table (or point at data to fit) and run it.

A recipe is a YAML mapping, read with :func:`synthkit.io.read_yaml` (PyYAML's
safe loader with bounds on size, nesting and alias expansion, refusing duplicate
keys; no code is ever executed). Two forms:

Declared table (no data)::

    name: bank_customers
    rows: 10000                 # > 0
    seed: 42                    # optional, int >= 0
    output: out/bank_customers.csv   # .csv or .parquet; optional
    strategy: gaussian_copula   # optional (the default); any registered strategy
    params: {}                  # optional strategy parameters
    columns:                    # see synthkit.spec for the column keys
      age: {distribution: normal, params: {loc: 45, scale: 14}, min: 18, max: 95, kind: integer}
      risk: {categories: [low, medium, high], probs: [0.5, 0.35, 0.15]}
    rules:                      # optional business rules (synthkit.rules)
      - "age >= 18"

Fit from data::

    name: wine
    data: sklearn:wine          # an example name (synthkit.datasets) or a .csv/.parquet path,
                                # relative to the recipe's folder
    strategy: gaussian_copula   # optional (the default)
    rows: 20000
    seed: 7
    output: out/wine_synthetic.csv
    model: out/wine_model.json  # optional: also save the fitted model

Anonymized release (a ``data`` recipe with an ``anonymize`` section; run by
:func:`synthkit.anonymize`: holdout split, privacy-protected fit, sample, attacks)::

    name: customers_release
    data: customers.csv
    rows: 5000
    seed: 3
    anonymize:
      folder: out/customers_release  # synthetic.csv, model.json, report.html, verdict.json
      holdout: 0.2                   # optional: share kept out as the attacks' control
      min_count: 5                   # optional: k of the protections
      roles: {email: pii, customer_no: identifier}   # optional role overrides
      locale: en_GB                  # optional: locale of generated PII

A recipe with a top-level ``clusters`` key describes cluster benchmark
datasets and is run by :func:`synthkit.clusters.recipe.run_cluster_recipe`.

Relative ``output`` and ``model`` paths (and a cluster recipe's ``output``
folder) are taken from the working directory; with ``out_dir`` the files are
written there under their own names. A recipe file is not trusted to write
anywhere: an absolute path, a ``..`` component, or a path whose symbolic links
lead out of the working directory (of ``out_dir``) is refused unless the caller
passes ``allow_outside=True`` (``synthkit run --allow-outside``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .datasets import EXAMPLES, load_example, load_table
from .errors import RecipeError, SynthkitError, reject_unknown_keys
from .io import TABLE_SUFFIXES, read_yaml
from .spec import declare_columns
from .strategies.base import Strategy
from .strategies.registry import DEFAULT_STRATEGY, get_strategy

__all__ = ["Recipe", "ExampleRecipe", "find_recipe", "list_examples", "load_recipe", "run_recipe",
           "confine_path", "RECIPE_KEYS", "ANONYMIZE_KEYS"]

RECIPE_KEYS = {"name", "description", "rows", "seed", "output", "strategy", "params", "columns",
               "data", "model", "rules", "anonymize"}
#: Keys of a recipe's ``anonymize`` section.
ANONYMIZE_KEYS = {"folder", "holdout", "min_count", "roles", "locale"}


@dataclass
class Recipe:
    """A parsed, checked recipe.

    Examples
    --------
    >>> r = Recipe.from_dict({"rows": 10, "columns": {"x": {"distribution": "normal"}}})
    >>> r.rows
    10
    """

    rows: int
    source: str = "<recipe>"
    name: str = "recipe"
    description: str = ""
    seed: int | None = None
    output: str | None = None
    strategy: str = DEFAULT_STRATEGY
    params: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, Any] | None = None
    data: str | None = None
    model: str | None = None
    rules: list[str] | None = None
    anonymize: dict[str, Any] | None = None
    base_dir: Path = field(default_factory=Path.cwd)

    @classmethod
    def from_dict(cls, doc: Any, source: str = "<recipe>", base_dir: Path | None = None) -> Recipe:
        """Check a recipe mapping; every problem is a :class:`RecipeError` naming ``source``."""

        def fail(key: str, expected: str, got: Any = None) -> RecipeError:
            shown = "" if got is None else f", got {got!r}"
            return RecipeError(f"{source}: key `{key}`: expected {expected}{shown}")

        if not isinstance(doc, dict):
            raise RecipeError(f"{source}: a recipe must be a YAML mapping of keys to values")
        reject_unknown_keys(doc, RECIPE_KEYS, source, RecipeError)
        if "rows" not in doc:
            raise fail("rows", "the number of rows to generate (a positive integer)")
        rows = doc["rows"]
        if isinstance(rows, bool) or not isinstance(rows, int) or rows <= 0:
            raise fail("rows", "a positive integer", rows)
        seed = doc.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise fail("seed", "a non-negative integer", seed)
        has_cols, has_data = "columns" in doc, "data" in doc
        if has_cols == has_data:
            raise RecipeError(
                f"{source}: a recipe needs exactly one of `columns` (a declared table) or "
                "`data` (a table to fit)"
            )
        if has_cols and (not isinstance(doc["columns"], dict) or not doc["columns"]):
            raise fail("columns", "a mapping of column name -> declaration", doc["columns"])
        if has_data and not isinstance(doc["data"], str):
            raise fail("data", f"a .csv/.parquet path or one of {list(EXAMPLES)}", doc["data"])
        for key in ("output", "model"):
            val = doc.get(key)
            if val is not None and not isinstance(val, str):
                raise fail(key, "a file path", val)
        if doc.get("output") and Path(doc["output"]).suffix.lower() not in TABLE_SUFFIXES:
            raise fail("output", "a path ending in .csv or .parquet", doc["output"])
        if doc.get("model") and Path(doc["model"]).suffix.lower() != ".json":
            raise fail("model", "a path ending in .json (a model file)", doc["model"])
        strategy = doc.get("strategy", DEFAULT_STRATEGY)
        if not isinstance(strategy, str):
            raise fail("strategy", "a strategy name", strategy)
        params = doc.get("params") or {}
        if not isinstance(params, dict):
            raise fail("params", "a mapping of strategy parameters", params)
        rules = doc.get("rules")
        if rules is not None and (not isinstance(rules, list)
                                  or not all(isinstance(r, str) for r in rules)):
            raise fail("rules", "a list of rule expressions (strings)", rules)
        anonymize = doc.get("anonymize")
        if anonymize is not None:
            if not has_data or not isinstance(anonymize, dict):
                raise fail("anonymize", "a mapping (folder, holdout, min_count, roles, locale) in a "
                                        "recipe with `data`", anonymize)
            reject_unknown_keys(anonymize, ANONYMIZE_KEYS, f"{source}: key `anonymize`", RecipeError)
            folder = anonymize.get("folder", f"out/{doc.get('name', Path(source).stem)}")
            if not isinstance(folder, str) or not folder:
                raise fail("anonymize.folder", "a folder path", folder)
            anonymize = {**anonymize, "folder": folder}
        return cls(
            rows=rows, source=source, name=str(doc.get("name", Path(source).stem)),
            description=str(doc.get("description", "")), seed=seed, output=doc.get("output"),
            strategy=strategy, params=dict(params), columns=doc.get("columns"),
            data=doc.get("data"), model=doc.get("model"), rules=rules, anonymize=anonymize,
            base_dir=base_dir or Path.cwd(),
        )

    def build(self) -> Strategy:
        """The fitted or declared model this recipe describes."""
        try:
            klass = get_strategy(self.strategy)
        except SynthkitError as exc:
            raise RecipeError(f"{self.source}: key `strategy`: {exc}") from None
        params = dict(self.params)
        if self.rules:
            params["rules"] = self.rules
        try:
            if self.columns is not None:
                try:
                    columns = declare_columns(self.columns)
                except SynthkitError as exc:
                    raise RecipeError(f"{self.source}: key `columns`: {exc}") from None
                return klass.from_spec(columns, **params)
            return klass(**params).fit(self.load_data())
        except TypeError as exc:
            raise RecipeError(f"{self.source}: key `params`: {exc}") from None
        except RecipeError:
            raise
        except SynthkitError as exc:
            raise RecipeError(f"{self.source}: {exc}") from None

    def load_data(self):
        """The real table named by ``data`` (an example name or a file path)."""
        assert self.data is not None
        if self.data in EXAMPLES:
            return load_example(self.data)
        path = Path(self.data)
        if not path.is_absolute():
            path = self.base_dir / path
        if not path.is_file() and Path(self.data).suffix.lower() not in TABLE_SUFFIXES:
            path = Path(self.data)  # not a table file: an example name, misspelt or not
        try:
            return load_table(path)
        except SynthkitError as exc:
            raise RecipeError(f"{self.source}: key `data`: {exc}") from None


@dataclass(frozen=True)
class ExampleRecipe:
    """An example recipe shipped inside the package (``synthkit/examples/recipes``)."""

    name: str
    path: Path
    description: str


def _examples_dir() -> Path:
    return Path(__file__).resolve().parent / "examples" / "recipes"


def list_examples() -> list[ExampleRecipe]:
    """The example recipes shipped with synthkit, sorted by name.

    Each has its ``name`` (what ``synthkit run NAME`` accepts), the ``path`` of its
    installed YAML file and a one-line ``description`` (its first comment line).

    Examples
    --------
    >>> [r.name for r in list_examples()]
    ['bank_customers', 'cluster_suite', 'survey_release', 'wine_fit']
    """
    found = []
    for path in sorted(_examples_dir().glob("*.yaml")):
        with open(path, encoding="utf-8") as fh:
            first = fh.readline().strip()
        found.append(ExampleRecipe(path.stem, path, first.lstrip("#").strip()))
    return found


def find_recipe(name_or_path: str | os.PathLike) -> Path:
    """The recipe file for a path or the name of a packaged example recipe.

    An existing file is returned as is; otherwise a bare name (``"bank_customers"``,
    or ``"bank_customers.yaml"``) names an example from :func:`list_examples`.

    Raises
    ------
    RecipeError
        Neither an existing file nor an example name (the message lists the examples).

    Examples
    --------
    >>> find_recipe("bank_customers").name
    'bank_customers.yaml'
    """
    path = Path(name_or_path)
    if path.is_file():
        return path
    examples = {r.name: r.path for r in list_examples()}
    stem = path.stem if path.suffix.lower() in (".yaml", ".yml") else path.name
    if path.parent == Path(".") and stem in examples:
        return examples[stem]
    raise RecipeError(
        f"{os.fspath(name_or_path)}: no such recipe file, nor an example recipe name; the examples "
        f"are {', '.join(sorted(examples))} (`synthkit.recipes.list_examples()`)"
    )


def load_recipe(path: str | os.PathLike) -> dict:
    """Read a YAML recipe file into a mapping, safely and with bounds (:func:`synthkit.io.read_yaml`).

    Raises
    ------
    RecipeError
        Missing, too large or malformed file (bad YAML, nesting too deep, aliases expanding
        too far, a key given twice), or a document that is not a mapping.
    """
    doc = read_yaml(path)
    if not isinstance(doc, dict):
        raise RecipeError(f"{path}: a recipe must be a YAML mapping of keys to values")
    return doc


def confine_path(path: str | Path, key: str, source: str, base: Path) -> None:
    """Refuse a recipe path that would write outside ``base``: absolute, with ``..``, or
    leading out through a symbolic link (the path is resolved as the writer would)."""
    p = Path(path)
    how = ("pass allow_outside=True (`synthkit run --allow-outside`) to write there, or give "
           f"a relative path inside {str(base)!r}")
    if p.is_absolute() or p.anchor:
        raise RecipeError(f"{source}: key `{key}`: an absolute path ({str(p)!r}) is not allowed in "
                          f"a recipe; {how}")
    if ".." in p.parts:
        raise RecipeError(f"{source}: key `{key}`: `..` ({str(p)!r}) is not allowed in a recipe; {how}")
    root = base.resolve()
    if not (root / p).resolve().is_relative_to(root):
        raise RecipeError(f"{source}: key `{key}`: {str(p)!r} leads out of {str(base)!r} through a "
                          f"symbolic link; {how}")


def run_recipe(
    path: str | os.PathLike | dict,
    *,
    out_dir: str | os.PathLike | None = None,
    rows: int | None = None,
    seed: int | None = None,
    progress: bool | None = None,
    parents: bool = False,
    allow_outside: bool = False,
) -> list[Path]:
    """Run a recipe file, example recipe name (:func:`find_recipe`) or mapping; return the paths it wrote.

    ``rows`` and ``seed`` override the recipe's values; ``out_dir`` makes the outputs
    land in that folder under their own names (the folder is created if missing). The
    folders of the outputs must exist unless ``parents=True``; this is checked before
    any sampling. The recipe's paths must stay inside the working directory (inside
    ``out_dir`` when it is given) unless ``allow_outside=True``: absolute paths, ``..``
    and symbolic links leading elsewhere are a :class:`RecipeError`.
    """
    from .io import check_output_path, make_output_folder, write_table

    if isinstance(path, dict):
        doc, source, base = path, "<recipe>", Path.cwd()
    else:
        path = find_recipe(path)
        doc, source, base = load_recipe(path), str(path), path.resolve().parent
    if "clusters" in doc:
        from .clusters.recipe import run_cluster_recipe

        folder = doc["clusters"].get("output") if isinstance(doc["clusters"], dict) else None
        if out_dir is None and isinstance(folder, str) and folder and not allow_outside:
            confine_path(folder, "clusters.output", source, Path.cwd())

        if rows is not None:
            raise RecipeError(f"{source}: `rows` does not apply to a cluster recipe; set "
                              "`n_samples` in each archetype's params")
        if seed is not None and isinstance(doc["clusters"], dict):
            doc = {**doc, "clusters": {**doc["clusters"], "seed": seed}}
        return run_cluster_recipe(doc, source, None if out_dir is None else str(out_dir),
                                  progress=progress, parents=parents)
    if rows is not None:
        doc = {**doc, "rows": rows}
    if seed is not None:
        doc = {**doc, "seed": seed}
    recipe = Recipe.from_dict(doc, source, base)

    def place(p: str, key: str) -> Path:
        q = Path(p) if out_dir is None else Path(out_dir) / Path(p).name
        if not allow_outside:
            confine_path(q if out_dir is None else Path(p).name, key, source,
                      Path.cwd() if out_dir is None else Path(out_dir))
        return q

    if out_dir is not None:
        make_output_folder(out_dir, parents=parents)
    if recipe.anonymize is not None:
        raise RecipeError(f"{source}: a recipe with an `anonymize` section makes a release: run it with "
                          "`synthkit anonymize RECIPE` or synthkit.release.run_release_recipe(RECIPE)")
    output = check_output_path(place(recipe.output or f"{recipe.name}.csv", "output"), parents=parents)
    model_path = (None if not recipe.model
                  else check_output_path(place(recipe.model, "model"), parents=parents))
    model = recipe.build()
    ds = model.sample(recipe.rows, seed=recipe.seed, progress=progress)
    written = [write_table(ds.frame, output)]
    if model_path is not None:
        written.append(model.save(model_path))
    return written

