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
    rules:                      # optional business rules (synthkit.rules.compile_rules)
      - "age >= 18"                           # hard rule
      - {rule: "risk == 'high'", keep: 0.5}   # soft rule: violators kept with probability 0.5
      - "monthly = income / 12"               # derived column

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

Extend a partial real table (an ``extend`` section; run by :meth:`Strategy.extend
<synthkit.strategies.base.Strategy.extend>`: every real row kept verbatim, the model's
other columns drawn given each row's own values)::

    name: fair_extended
    data: statsmodels:fair      # the real rows: an example name or a .csv/.parquet path,
                                # relative to the recipe's folder
    columns: [age, yrs_married, children]   # optional: keep only these columns of `data`
                                            # (and the `extend.weights` column)
    fit:                        # the model: fitted on a full table here ...
      data: statsmodels:fair
      strategy: gaussian_copula # optional (the default); one with per-row conditional draws
      params: {}                # optional strategy parameters
    # model: fair_model.json    # ... or a saved model file (relative to the recipe's folder)
    extend:
      columns: [educ, affairs]  # optional: the columns to draw (default: every model column
                                # the real rows lack)
      weights: null             # optional: a column of replication weights
      rules: ["affairs <= 20"]  # optional: rules the completed rows must satisfy
      seed: 5                   # optional, int >= 0
    output: out/fair_extended.csv

An ``extend`` recipe has no ``rows`` (one output row per real row, or per
replicate with ``weights``) and no top-level ``strategy``, ``params``, ``rules`` or
``seed`` (they belong to ``fit`` and ``extend``). Its input paths (``data``,
``fit.data``, ``model``) are read from the recipe's folder and may not leave it
(absolute paths, ``..``, symbolic links leading out) unless ``allow_outside=True``.

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
           "confine_path", "RECIPE_KEYS", "ANONYMIZE_KEYS", "EXTEND_KEYS", "FIT_KEYS"]

RECIPE_KEYS = {"name", "description", "rows", "seed", "output", "strategy", "params", "columns",
               "data", "model", "rules", "anonymize", "fit", "extend"}
#: Keys of a recipe's ``anonymize`` section.
ANONYMIZE_KEYS = {"folder", "holdout", "min_count", "roles", "locale"}
#: Keys of a recipe's ``extend`` section.
EXTEND_KEYS = {"columns", "weights", "rules", "seed"}
#: Keys of an ``extend`` recipe's ``fit`` section.
FIT_KEYS = {"data", "strategy", "params"}
#: Top-level keys an ``extend`` recipe does not take (they belong to ``fit`` or ``extend``).
_NOT_IN_EXTEND = {"rows": "one output row per real row (`extend.weights` replicates rows)",
                  "seed": "put it in `extend.seed`", "strategy": "put it in `fit.strategy`",
                  "params": "put them in `fit.params`",
                  "rules": "put them in `extend.rules` (or the model's own in `fit.params.rules`)",
                  "anonymize": "a release is made from a `data` recipe without `extend`"}


@dataclass
class Recipe:
    """A parsed, checked recipe.

    Examples
    --------
    >>> r = Recipe.from_dict({"rows": 10, "columns": {"x": {"distribution": "normal"}}})
    >>> r.rows
    10
    """

    rows: int | None
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
    rules: list[Any] | None = None
    anonymize: dict[str, Any] | None = None
    base_dir: Path = field(default_factory=Path.cwd)
    #: ``extend`` recipes: the section, the ``fit`` section and the given columns kept from ``data``.
    extend: dict[str, Any] | None = None
    fit: dict[str, Any] | None = None
    given: list[str] | None = None

    @classmethod
    def from_dict(cls, doc: Any, source: str = "<recipe>", base_dir: Path | None = None) -> Recipe:
        """Check a recipe mapping; every problem is a :class:`RecipeError` naming ``source``."""

        def fail(key: str, expected: str, got: Any = None) -> RecipeError:
            shown = "" if got is None else f", got {got!r}"
            return RecipeError(f"{source}: key `{key}`: expected {expected}{shown}")

        if not isinstance(doc, dict):
            raise RecipeError(f"{source}: a recipe must be a YAML mapping of keys to values")
        reject_unknown_keys(doc, RECIPE_KEYS, source, RecipeError)
        if "extend" in doc:
            return cls._extend_from_dict(doc, source, base_dir, fail)
        if "fit" in doc:
            raise RecipeError(f"{source}: key `fit`: only a recipe with an `extend` section takes a `fit` "
                              "section (a `data` recipe fits on `data` itself)")
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
                                  or not all(isinstance(r, (str, dict)) for r in rules)):
            raise fail("rules", "a list of rules: expressions (strings) or mappings such as "
                                "{rule: ..., keep: 0.5} or {derive: 'name = ...'}", rules)
        if rules:
            from .rules import compile_rules

            try:
                compile_rules(rules)
            except SynthkitError as exc:
                raise RecipeError(f"{source}: key `rules`: {exc}") from None
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

    @classmethod
    def _extend_from_dict(cls, doc: dict, source: str, base_dir: Path | None, fail: Any) -> Recipe:
        """Check an ``extend`` recipe (see the module docstring)."""

        def names(key: str, value: Any) -> list[str]:
            if (not isinstance(value, list) or not value
                    or not all(isinstance(c, str) and c for c in value)):
                raise fail(key, "a non-empty list of column names", value)
            if len(set(value)) < len(value):
                raise fail(key, "column names without repeats", value)
            return list(value)

        for key, why in _NOT_IN_EXTEND.items():
            if key in doc:
                raise RecipeError(f"{source}: key `{key}` does not apply to an `extend` recipe: {why}")
        ext = doc["extend"]
        ext = {} if ext is None else ext
        if not isinstance(ext, dict):
            raise fail("extend", f"a mapping with keys {sorted(EXTEND_KEYS)}", ext)
        reject_unknown_keys(ext, EXTEND_KEYS, f"{source}: key `extend`", RecipeError)
        if not isinstance(doc.get("data"), str) or not doc["data"]:
            raise fail("data", f"the real rows to complete: a .csv/.parquet path or one of {list(EXAMPLES)}",
                       doc.get("data"))
        given = None if doc.get("columns") is None else names("columns", doc["columns"])
        if ("model" in doc) == ("fit" in doc):
            raise RecipeError(f"{source}: an `extend` recipe needs exactly one of `model` (a saved model "
                              "file, .json) or `fit` (a mapping: data, strategy, params)")
        model, fit = doc.get("model"), doc.get("fit")
        if model is not None and (not isinstance(model, str) or Path(model).suffix.lower() != ".json"):
            raise fail("model", "a model file path ending in .json", model)
        if fit is not None:
            if not isinstance(fit, dict):
                raise fail("fit", f"a mapping with keys {sorted(FIT_KEYS)}", fit)
            reject_unknown_keys(fit, FIT_KEYS, f"{source}: key `fit`", RecipeError)
            if not isinstance(fit.get("data"), str) or not fit["data"]:
                raise fail("fit.data", f"the table to fit: a .csv/.parquet path or one of {list(EXAMPLES)}",
                           fit.get("data"))
            if not isinstance(fit.get("strategy", DEFAULT_STRATEGY), str):
                raise fail("fit.strategy", "a strategy name", fit["strategy"])
            if not isinstance(fit.get("params") or {}, dict):
                raise fail("fit.params", "a mapping of strategy parameters", fit["params"])
            fit = {"data": fit["data"], "strategy": fit.get("strategy", DEFAULT_STRATEGY),
                   "params": dict(fit.get("params") or {})}
        if ext.get("columns") is not None:
            names("extend.columns", ext["columns"])
        weights = ext.get("weights")
        if weights is not None and (not isinstance(weights, str) or not weights):
            raise fail("extend.weights", "the name of a column of `data` holding replication weights",
                       weights)
        seed = ext.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise fail("extend.seed", "a non-negative integer", seed)
        rules = ext.get("rules")
        if rules is not None:
            if not isinstance(rules, list) or not all(isinstance(r, (str, dict)) for r in rules):
                raise fail("extend.rules", "a list of rules: expressions (strings) or mappings such as "
                                           "{rule: ..., keep: 0.5}", rules)
            from .rules import compile_rules

            try:
                compile_rules(rules)
            except SynthkitError as exc:
                raise RecipeError(f"{source}: key `extend.rules`: {exc}") from None
        output = doc.get("output")
        if output is not None and (not isinstance(output, str)
                                   or Path(output).suffix.lower() not in TABLE_SUFFIXES):
            raise fail("output", "a path ending in .csv or .parquet", output)
        return cls(
            rows=None, source=source, name=str(doc.get("name", Path(source).stem)),
            description=str(doc.get("description", "")), seed=seed, output=output,
            strategy=fit["strategy"] if fit else DEFAULT_STRATEGY,
            params=fit["params"] if fit else {}, data=doc["data"], model=model,
            rules=rules, base_dir=base_dir or Path.cwd(), extend=dict(ext), fit=fit, given=given,
        )

    def inputs(self) -> list[tuple[str, str]]:
        """``(key, path)`` of the files this recipe reads (example names left out)."""
        found = [("data", self.data)]
        if self.extend is not None:
            found += [("model", self.model)] if self.fit is None else [("fit.data", self.fit["data"])]
        return [(k, p) for k, p in found if p is not None and p not in EXAMPLES]

    def fit_data(self):
        """The full table an ``extend`` recipe's model is fitted on (``fit.data``)."""
        assert self.fit is not None
        return self._table(self.fit["data"], "fit.data")

    def run_extend(self) -> Any:
        """Complete the rows of ``data`` with the model (``extend`` recipes): a SyntheticDataset."""
        assert self.extend is not None
        model = self.build()
        real = self.load_data()
        try:
            return model.extend(real, self.extend.get("columns"), seed=self.seed, rules=self.rules,
                                weights=self.extend.get("weights"))
        except SynthkitError as exc:
            raise RecipeError(f"{self.source}: key `extend`: {exc}") from None

    def build(self) -> Strategy:
        """The fitted or declared model this recipe describes (an ``extend`` recipe's model:
        loaded from ``model``, or fitted on ``fit.data``)."""
        if self.extend is not None and self.fit is None:
            from .api import load

            try:
                return load(self._path(self.model))
            except SynthkitError as exc:
                raise RecipeError(f"{self.source}: key `model`: {exc}") from None
        try:
            klass = get_strategy(self.strategy)
        except SynthkitError as exc:
            key = "fit.strategy" if self.fit is not None else "strategy"
            raise RecipeError(f"{self.source}: key `{key}`: {exc}") from None
        params = dict(self.params)
        fitted = self.fit is not None  # an extend recipe's `fit:` section
        if self.rules and not fitted:
            params["rules"] = self.rules
        try:
            if fitted:
                return klass(**params).fit(self.fit_data())
            if self.columns is not None:
                try:
                    columns = declare_columns(self.columns)
                except SynthkitError as exc:
                    raise RecipeError(f"{self.source}: key `columns`: {exc}") from None
                return klass.from_spec(columns, **params)
            return klass(**params).fit(self.load_data())
        except TypeError as exc:
            raise RecipeError(f"{self.source}: key `{'fit.params' if fitted else 'params'}`: {exc}") from None
        except RecipeError:
            raise
        except SynthkitError as exc:
            raise RecipeError(f"{self.source}: {'key `fit`: ' if fitted else ''}{exc}") from None

    def load_data(self):
        """The real table named by ``data`` (an example name or a file path), restricted to the
        given ``columns`` of an ``extend`` recipe (and its ``extend.weights`` column)."""
        assert self.data is not None
        frame = self._table(self.data, "data")
        if self.given is not None:
            have = {str(c): c for c in frame.columns}
            missing = [c for c in self.given if c not in have]
            if missing:
                raise RecipeError(f"{self.source}: key `columns`: {missing} are not columns of `data` "
                                  f"({self.data}); its columns are {list(have)}")
            weights = (self.extend or {}).get("weights")
            keep = self.given + ([weights] if weights in have and weights not in self.given else [])
            frame = frame[[have[c] for c in keep]]
        return frame

    def _path(self, value: str) -> Path:
        path = Path(value)
        return path if path.is_absolute() else self.base_dir / path

    def _table(self, value: str, key: str):
        if value in EXAMPLES:
            return load_example(value)
        path = self._path(value)
        if not path.is_file() and Path(value).suffix.lower() not in TABLE_SUFFIXES:
            path = Path(value)  # not a table file: an example name, misspelt or not
        try:
            return load_table(path)
        except SynthkitError as exc:
            raise RecipeError(f"{self.source}: key `{key}`: {exc}") from None


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
    ['bank_customers', 'cluster_suite', 'extend_partial', 'survey_release', 'wine_fit']
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


def confine_path(path: str | Path, key: str, source: str, base: Path, action: str = "write") -> None:
    """Refuse a recipe path that would write (``action``) outside ``base``: absolute, with ``..``,
    or leading out through a symbolic link (the path is resolved as the writer would)."""
    p = Path(path)
    how = (f"pass allow_outside=True (`synthkit run --allow-outside`) to {action} there, or give "
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
    on_sample: Any = None,
) -> list[Path]:
    """Run a recipe file, example recipe name (:func:`find_recipe`) or mapping; return the paths it wrote.

    ``rows`` and ``seed`` override the recipe's values; ``out_dir`` makes the outputs
    land in that folder under their own names (the folder is created if missing). The
    folders of the outputs must exist unless ``parents=True``; this is checked before
    any sampling. The recipe's paths must stay inside the working directory (inside
    ``out_dir`` when it is given) unless ``allow_outside=True``: absolute paths, ``..``
    and symbolic links leading elsewhere are a :class:`RecipeError`; so are the files an
    ``extend`` recipe reads outside its own folder. An ``extend`` recipe writes the real
    rows completed by :meth:`Recipe.run_extend` (``seed`` overrides ``extend.seed``; ``rows``
    does not apply). ``on_sample`` (optional)
    is called with the sampled :class:`~synthkit.dataset.SyntheticDataset` (e.g. to show its
    rules report).
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
    if "extend" in doc:
        if rows is not None:
            raise RecipeError(f"{source}: `rows` does not apply to an `extend` recipe: it writes one row "
                              "per real row of `data` (`extend.weights` replicates rows)")
        if seed is not None and isinstance(doc["extend"], (dict, type(None))):
            doc = {**doc, "extend": {**(doc["extend"] or {}), "seed": seed}}
    else:
        if rows is not None:
            doc = {**doc, "rows": rows}
        if seed is not None:
            doc = {**doc, "seed": seed}
    recipe = Recipe.from_dict(doc, source, base)
    if recipe.extend is not None and not allow_outside:
        for key, p in recipe.inputs():
            confine_path(p, key, source, base, action="read")

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
    model_path = (None if not recipe.model or recipe.extend is not None
                  else check_output_path(place(recipe.model, "model"), parents=parents))
    if recipe.extend is not None:
        ds = recipe.run_extend()
        if on_sample is not None:
            on_sample(ds)
        return [write_table(ds.frame, output, progress=progress)]
    model = recipe.build()
    ds = model.sample(recipe.rows, seed=recipe.seed, progress=progress)
    if on_sample is not None:
        on_sample(ds)
    written = [write_table(ds.frame, output, progress=progress)]
    if model_path is not None:
        written.append(model.save(model_path))
    return written

