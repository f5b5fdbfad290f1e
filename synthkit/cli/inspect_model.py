"""``synthkit inspect MODEL``: what a model file holds, as text or JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

from . import add_command


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "inspect", help="show what a model file holds",
                    description="Show what a model file written by `synthkit fit` holds: strategy, "
                                "parameters, format version, columns (kind, marginal, null fraction), "
                                "dependence, rules and the protections the file records.",
                    examples=["synthkit inspect wine.json",
                              "synthkit inspect wine.json --json > wine-summary.json"])
    p.add_argument("model", help="model file written by `synthkit fit`")
    p.add_argument("--json", action="store_true", help="print the summary as JSON (machine-readable)")
    p.set_defaults(func=cmd_inspect)


def _shape(value: Any) -> list[int] | None:
    """The shape of a rectangular nested list (a matrix), else None."""
    if not isinstance(value, list) or not value or not all(isinstance(r, list) for r in value):
        return None
    widths = {len(r) for r in value}
    return [len(value), widths.pop()] if len(widths) == 1 else None


def _dependence(doc: dict) -> dict:
    """Summary of a model document's ``dependence`` entry: matrices by shape, scalars as they are."""
    dep = doc.get("dependence") or {}
    strata = doc.get("strata")
    if strata:
        levels = strata.get("levels") or []
        return {"type": "stratified", "by": strata.get("by"),
                "levels": len(levels), "fitted_levels": sum(m is not None for m in levels),
                "pooled": strata.get("pooled") is not None}
    if not isinstance(dep, dict) or not dep:
        return {"type": "none (independent columns)"}
    out: dict[str, Any] = {}
    for key, value in dep.items():
        shape = _shape(value)
        if shape is not None:
            out[key] = f"{shape[0]}x{shape[1]} matrix"
        elif isinstance(value, list):
            out[key] = f"list of {len(value)}"
        elif isinstance(value, dict):
            out[key] = f"{len(value)} entries"
        else:
            out[key] = value
    bic = dep.get("bic") if isinstance(dep.get("bic"), list) else []
    rows = [r for r in bic if isinstance(r, dict) and isinstance(r.get("bic"), (int, float))]
    if isinstance(dep.get("mixture"), dict) and rows:  # gmm: the model BIC chose, best k per structure
        best: dict[Any, dict] = {}
        for r in rows:
            t = r.get("covariance_type")
            if r.get("admissible", True) and (t not in best or r["bic"] < best[t]["bic"]):
                best[t] = r
        chosen = next((r for r in rows if r.get("chosen")), None)
        if chosen is not None:
            out["mixture"] = f"{chosen.get('k')} components, {chosen.get('covariance_type')} covariances"
        out["bic"] = ", ".join(f"{t} k={r.get('k')} {r['bic']:.1f}" for t, r in best.items())
    matrix = next((k for k, v in dep.items() if _shape(v) is not None), None)
    head: dict[str, Any] = {"type": doc.get("strategy")}
    if matrix is not None:
        head.update(matrix=matrix, size="x".join(map(str, _shape(dep[matrix]))))
    return {**head, **out}


def _protections(doc: dict) -> dict:
    """What the file records about the safeguards applied at fit time."""
    out: dict[str, Any] = {}
    dep = doc.get("dependence") if isinstance(doc.get("dependence"), dict) else {}
    repair = dep.get("repair")
    if isinstance(repair, dict):
        out["correlation repair"] = (
            f"repaired to positive definite (largest change {repair.get('max_change', float('nan')):.3g})"
            if repair.get("repaired") else "not needed")
    params = doc.get("params") or {}
    if params.get("rules"):
        out["rules"] = f"{len(params['rules'])} rule(s) enforced when sampling"
    privacy = doc.get("privacy") if isinstance(doc.get("privacy"), dict) else {}
    policy = privacy.get("policy") if isinstance(privacy.get("policy"), dict) else {}
    if policy:
        out["privacy"] = ", ".join(f"{k}={v}" for k, v in policy.items())
    elif privacy.get("declared"):
        out["privacy"] = "declared columns: no data was fitted, nothing to protect"
    for g in privacy.get("generated") or []:
        if isinstance(g, dict):
            out[f"generated {g.get('column')}"] = (f"{g.get('role')}"
                                                  + (f" ({g['type']})" if g.get("type") else "")
                                                  + f": {g.get('reason', '')}")
    for i, rec in enumerate(privacy.get("protections") or []):
        if isinstance(rec, dict):
            what = rec.get("protection", "protection")
            rest = ", ".join(f"{k}={v}" for k, v in rec.items() if k not in ("protection", "column"))
            out[f"{what} [{rec.get('column', '*')}]#{i}"] = rest
    return out


def summarize(path: str) -> dict:
    """The summary of the model file ``path`` (checked by loading it first)."""
    from ..api import load
    from ..io import read_json

    load(path)  # a malformed or unknown-version file fails here with a clear message
    doc = read_json(path)
    columns = []
    for entry in doc.get("columns") or []:
        col = entry.get("column") or {}
        marginal = entry.get("marginal") or {}
        name = marginal.get("type") or marginal.get("name") or marginal.get("family")
        if marginal.get("method"):
            name = f"{name} ({marginal['method']})"
        columns.append({"name": col.get("name"), "kind": col.get("kind"), "marginal": name,
                        "null_fraction": col.get("null_fraction"), "role": col.get("role", "ordinary")})
    for entry in doc.get("generated") or []:
        col = entry.get("column") or {}
        gen = entry.get("generator") or {}
        columns.insert(min(int(entry.get("position", len(columns))), len(columns)),
                       {"name": col.get("name"), "kind": "generated",
                        "marginal": f"generator ({gen.get('generator', '?')})",
                        "null_fraction": col.get("null_fraction"), "role": col.get("role")})
    params = doc.get("params") or {}
    return {
        "file": str(path),
        "format": doc.get("format"),
        "format_version": doc.get("format_version"),
        "synthkit_version": doc.get("synthkit_version"),
        "strategy": doc.get("strategy"),
        "n_train": doc.get("n_train"),
        "params": params,
        "columns": columns,
        "dependence": _dependence(doc),
        "rules": list(params.get("rules") or []),
        "protections": _protections(doc),
    }


def _text(summary: dict) -> str:
    import pandas as pd

    lines = [f"model file      {summary['file']}",
             f"format          {summary['format']} version {summary['format_version']} "
             f"(written by synthkit {summary['synthkit_version']})",
             f"strategy        {summary['strategy']}",
             f"training rows   {summary['n_train']}"]
    shown = {k: v for k, v in summary["params"].items() if v is not None and k != "rules"}
    lines.append("parameters      " + (", ".join(f"{k}={json.dumps(v)}" for k, v in shown.items())
                                      or "(none)"))
    table = pd.DataFrame(summary["columns"], columns=["name", "kind", "role", "marginal", "null_fraction"])
    lines += ["", f"columns ({len(table)}):",
              table.to_string(index=False, float_format=lambda x: f"{x:.3g}") if len(table) else "(none)"]
    lines += ["", "dependence:"]
    lines += [f"  {k}: {v}" for k, v in summary["dependence"].items()]
    lines += ["", "rules:"] + ([f"  {r}" for r in summary["rules"]] or ["  (none)"])
    lines += ["", "protections:"] + ([f"  {k.split('#')[0]}: {v}" for k, v in summary["protections"].items()]
                                     or ["  (none recorded in the file)"])
    return "\n".join(lines)


def cmd_inspect(args: argparse.Namespace) -> int:
    summary = summarize(args.model)
    print(json.dumps(summary, indent=2) if args.json else _text(summary))
    return 0
