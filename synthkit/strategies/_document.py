"""Column fitting, parameter display, provenance and the model document of a strategy.

The model document (format ``synthkit-model`` v1) holds the strategy's name and
parameters, the schema, one entry per column model, the strategy's dependence
entry and, for stratified models, the strata. :func:`read_model` checks a
document as strictly as ``fit`` checks parameters (a hand-edited file must not
be used as is) and ends, like ``fit``, in the model's ``_set_state``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._version import __version__
from ..columns import ColumnModel
from ..dependence.hierarchy import hierarchies_from_dict, hierarchies_to_dict
from ..errors import ModelFileError, SpecError, SynthkitError
from ..io import to_jsonable
from ..schema import Schema
from ..seeding import BLOCK_ROWS, seed_to_json
from ._generated import generated_from_dict, generated_to_dict, table_schema
from ._state import FittedDependence
from .registry import get_strategy

__all__ = ["MODEL_FORMAT", "MODEL_FORMAT_VERSION", "fit_columns", "read_model", "write_model"]

MODEL_FORMAT = "synthkit-model"
MODEL_FORMAT_VERSION = 1


def fit_columns(frame: pd.DataFrame, schema: Schema, marginals: str | dict, criterion: str,
                ks_tolerance: float, policy: Any = None,
                bar: Any = None) -> tuple[list[ColumnModel], list[dict]]:
    """One fitted :class:`~synthkit.columns.ColumnModel` per column of ``frame``, with the
    records of the protections ``policy`` applied to them (bounded quantile functions);
    ``bar`` (a progress bar or None) advances by one per column."""
    methods = marginals if isinstance(marginals, dict) else {}
    unknown = sorted(set(methods) - set(schema.names))
    if unknown:
        raise SpecError(f"`marginals` names unknown column(s) {unknown}")
    default = marginals if isinstance(marginals, str) else "auto"
    columns = []
    integer_methods = ("auto", "pmf", "poisson", "nbinom", "binom", "empirical")
    for col in schema:
        method = methods.get(col.name, default)
        if col.kind == "integer" and method not in integer_methods:
            if col.name in methods:  # asked for this column: say so (a table-wide default falls back)
                raise SpecError(f"`marginals`: {method!r} is not a marginal of integer column "
                                f"{col.name!r}; use one of {list(integer_methods)}")
            method = "auto"
        columns.append(ColumnModel.fit(frame[col.name], col, method=method, criterion=criterion,
                                       ks_tolerance=ks_tolerance))
        if bar is not None:
            bar.update(1)
    if policy is None:
        return columns, []
    from ..privacy import protect_columns

    return protect_columns(columns, len(frame), policy)


def provenance(model: Any, n: int, root: np.random.SeedSequence, conditions: dict | None) -> dict:
    out = {"strategy": model.name, "params": to_jsonable(model._params_to_json()), "n": int(n),
           "seed": seed_to_json(root), "block_rows": BLOCK_ROWS, "synthkit_version": __version__}
    if conditions:
        out["conditions"] = to_jsonable(conditions)
    merged = merged_levels(getattr(model, "privacy_", None))
    if merged:
        out["merged_levels"] = merged
    return out


def merged_levels(privacy: Any) -> list[dict]:
    """The model's rare-level merges: ``{"column", "into", "min_count"}`` per merged column.

    Read from a model's ``privacy_`` record (:func:`synthkit.privacy.protect_frame`): a
    categorical column whose levels held by fewer than ``min_count`` rows were merged into
    one new level ``into`` (never the merged labels themselves). Validation compares the
    reference the same way.
    """
    records = privacy.get("protections") if isinstance(privacy, dict) else None
    return [{"column": r["column"], "into": r["into"], "min_count": int(r["min_count"])}
            for r in records or [] if isinstance(r, dict) and r.get("protection") == "rare_levels"
            and r.get("levels_merged") and r.get("into") not in (None, "missing", "redistributed")]


def write_model(model: Any) -> dict[str, Any]:
    strata = model.strata_
    return to_jsonable({
        "format": MODEL_FORMAT,
        "format_version": MODEL_FORMAT_VERSION,
        "synthkit_version": __version__,
        "strategy": model.name,
        "params": model._params_to_json(),
        "n_train": model.n_train_,
        "schema": {**model.schema_.to_dict(), **_determined_entry(model)},
        "columns": [c.to_dict() for c in model.columns_],
        "dependence": model._dependence_to_dict() if strata is None else {},
        "strata": None if strata is None else strata.strata_to_dict(),
        "generated": generated_to_dict(model.generated_),
        "privacy": model.privacy_,
    })


def read_model(cls: type | None, d: Any) -> Any:
    """The model of a document written by :func:`write_model` (``cls`` None: the named strategy)."""
    if not isinstance(d, dict):
        raise ModelFileError("a model document must be a JSON object")
    if d.get("format") != MODEL_FORMAT:
        raise ModelFileError(f"not a synthkit model (format {d.get('format')!r})")
    if d.get("format_version") != MODEL_FORMAT_VERSION:
        raise ModelFileError(
            f"unknown model format_version {d.get('format_version')!r}; this synthkit "
            f"reads version {MODEL_FORMAT_VERSION}: upgrade synthkit or re-fit the model"
        )
    for key in ("strategy", "params", "schema", "columns"):
        if key not in d:
            raise ModelFileError(f"model document is missing the `{key}` entry")
    try:
        klass = get_strategy(d["strategy"]) if cls is None else cls
    except SpecError as exc:
        raise ModelFileError(f"model document: {exc}") from None
    if not isinstance(d["params"], dict) or not isinstance(d["columns"], list):
        raise ModelFileError("model document: `params` must be an object and `columns` a list")
    try:
        obj = klass(**d["params"])
    except TypeError as exc:
        raise ModelFileError(f"model parameters do not match strategy {d['strategy']!r}: {exc}") from None
    try:
        schema = Schema.from_dict(d["schema"])
        columns = [ColumnModel.from_dict(c) for c in d["columns"]]
    except SpecError as exc:
        raise ModelFileError(f"malformed model document: {exc}") from None
    if [c.name for c in columns] != schema.names:
        raise ModelFileError("model document: `columns` do not match the `schema`")
    obj.hierarchies_ = hierarchies_from_dict(d["schema"].get("determined"), schema)
    try:  # parameters are checked as at fit time: a hand-edited file must not be used as is
        obj._validate_params()
    except SynthkitError as exc:
        raise ModelFileError(f"model document: invalid `params`: {exc}") from None
    n_train = d.get("n_train")
    if n_train is not None and (isinstance(n_train, bool) or not isinstance(n_train, int) or n_train < 1):
        raise ModelFileError(f"model document: `n_train` must be a positive integer or null, "
                             f"got {n_train!r}")
    obj.schema_, obj.columns_, obj.n_train_ = schema, columns, n_train  # for the hook
    strata = None
    if d.get("strata"):
        strata = get_strategy("stratified").strata_from_dict(obj, d["strata"])
        dependence = FittedDependence()
    else:
        raw = d.get("dependence") or {}
        if not isinstance(raw, dict):
            raise ModelFileError(f"{obj.name} model document: `dependence` must be an object, got "
                                 f"{type(raw).__name__}")
        dependence = obj._dependence_from_dict(raw)
    try:
        obj._set_state(schema, columns, dependence, n_train=n_train, strata=strata)
    except SpecError as exc:
        raise ModelFileError(f"{obj.name} model document: {exc}") from None
    obj.generated_ = generated_from_dict(d.get("generated"), len(columns) + len(obj.hierarchies_))
    obj.privacy_ = _privacy_entry(d.get("privacy"), obj)
    try:
        table_schema(obj)  # the whole table's column names must be distinct
    except SpecError as exc:
        raise ModelFileError(f"model document: {exc}") from None
    try:  # rules are compiled against the whole table's columns, as at fit time
        from ._engine import check_rules

        check_rules(obj)
    except SynthkitError as exc:
        raise ModelFileError(f"model document: invalid `params`: {exc}") from None
    return obj


def _determined_entry(model: Any) -> dict[str, Any]:
    """The ``determined`` entry of the schema section: columns derived from another one."""
    hierarchies = getattr(model, "hierarchies_", None) or []
    return {"determined": hierarchies_to_dict(hierarchies)} if hierarchies else {}


def _privacy_entry(entry: Any, model: Any) -> dict[str, Any]:
    """The document's ``privacy`` record (what ran), checked to be a plain record."""
    if entry is None:
        return dict(model.privacy_)
    if not isinstance(entry, dict) or not isinstance(entry.get("protections", []), list):
        raise ModelFileError("model document: `privacy` must be an object with a `protections` list")
    if entry.get("policy") is not None:
        from ..privacy import PrivacyPolicy

        try:
            PrivacyPolicy.from_dict(entry["policy"])
        except SynthkitError as exc:
            raise ModelFileError(f"model document: `privacy.policy`: {exc}") from None
    return entry
