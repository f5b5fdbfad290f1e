"""The one validation entry point: :func:`validate`."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from ..errors import DataError, SpecError, SynthkitError
from . import rowplan
from .checks import SECTIONS, Check, bonferroni_level, resolve_thresholds, z_value
from .prepare import PreparedTables, as_frame, prepare_tables
from .privacy import check_kept_out
from .report import ValidationReport
from .rowplan import MAX_ATTACK_ROWS, PCA_POINTS, synth_rows

__all__ = ["validate", "reference_kind"]



def _view(tables: PreparedTables, stream, stream_key: int, seed: int, k: int) -> PreparedTables:
    """The synthetic rows of the subsample ``(seed, k, stream_key)`` (:mod:`.rowplan`): gathered by
    the pass over a partitioned table, taken from the arrays otherwise."""
    if stream is not None:
        return stream.view(stream_key)
    if tables.n_synth <= k:
        return tables
    from .streaming import subsample_view

    return subsample_view(tables, synth_rows(seed, tables.n_synth, k, stream_key))


class _Timings(dict):
    """Wall-clock seconds per section; ``.cpu`` holds the process CPU seconds."""

    def __init__(self) -> None:
        super().__init__()
        self.cpu: dict[str, float] = {}
        self.bar = None  # a progress bar advanced by every lap


def _start(timings: dict, name: str) -> tuple[float, float]:
    """Start the clock of section ``name`` (and name it on the progress bar)."""
    bar = getattr(timings, "bar", None)
    if bar is not None:
        bar.set_postfix_str(name, refresh=False)
    return _now()


def _now() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _lap(timings: dict, name: str, start: tuple[float, float]) -> None:
    wall, cpu = _now()
    timings[name] = wall - start[0]
    if isinstance(timings, _Timings):
        timings.cpu[name] = cpu - start[1]
        if timings.bar is not None and name != "total":
            timings.bar.update()


def reference_kind(reference: Any, synthetic: Any = None) -> str:
    """``"archetype"``, ``"labelled"``, ``"recipe"``, ``"model"`` (fitted or declared strategy) or
    ``"table"``.

    Duck typing only: an archetype has ``max_overlap`` but no ``labels``, and the synthetic
    side has ``labels``; two labelled datasets (both with ``X`` and ``labels``) are
    ``"labelled"`` (their cluster structures are compared; asked for table sections only,
    the reference is compared as a table); a model has ``schema_`` and ``columns_``; a
    recipe is a mapping or a ``.yaml``/``.yml`` path.
    """
    if (hasattr(reference, "max_overlap") and not hasattr(reference, "labels")
            and (synthetic is None or hasattr(synthetic, "labels"))):
        return "archetype"
    if synthetic is not None and all(hasattr(d, "X") and hasattr(d, "labels")
                                     for d in (reference, synthetic)):
        return "labelled"
    if isinstance(reference, Mapping):
        return "recipe"
    if isinstance(reference, (str, os.PathLike)):
        suffix = Path(reference).suffix.lower()
        return "recipe" if suffix in (".yaml", ".yml") else "table-file"
    if hasattr(reference, "schema_") and hasattr(reference, "columns_"):
        return "model"
    return "table"


def _recipe_reference(reference):
    """Load a recipe (path or mapping) with :mod:`synthkit.recipes` (imported lazily)."""
    from .. import recipes

    if isinstance(reference, Mapping):
        rec = recipes.Recipe.from_dict(dict(reference), source="<recipe>", base_dir=Path.cwd())
    else:
        path = Path(reference)
        rec = recipes.Recipe.from_dict(recipes.load_recipe(path), source=str(path),
                                       base_dir=path.parent)
    if getattr(rec, "extend", None) is not None:  # completed real rows: the full table, else the model
        return ("table", rec.fit_data()) if rec.fit is not None else ("model", rec.build())
    if getattr(rec, "columns", None) is None and getattr(rec, "data", None) is not None:
        return "table", rec.load_data()
    return "model", rec.build()


def _sections(checks, kind: str, has_target: bool, has_rules: bool = False) -> list[str]:
    if checks is None:
        if kind == "archetype":
            return ["clusters"]
        out = ["marginals", "dependence"] + (["rules"] if has_rules else [])
        if kind == "table":
            out.append("privacy")
        if has_target:
            out.append("utility")
        return out
    if isinstance(checks, str):
        checks = [checks]
    if not isinstance(checks, Iterable):
        raise SpecError(f"`checks` must be a section name or a list of them, got {checks!r}")
    out = []
    for c in checks:
        if c not in SECTIONS:
            raise SpecError(f"unknown check section {c!r}; choose from {', '.join(SECTIONS)}")
        out.append(c)
    if "utility" in out and not has_target:
        raise SpecError("the `utility` checks need a `target` column: validate(..., target='col')")
    if "privacy" in out and kind != "table":
        raise SpecError("the `privacy` checks need real rows as the reference (a DataFrame)")
    if "clusters" in out and kind != "archetype":
        raise SpecError("the `clusters` checks need a labelled synthetic dataset and, as the reference, "
                        "an archetype or a labelled dataset (synthkit.clusters.LabelledData(X, labels))")
    if "rules" in out and not has_rules:
        raise SpecError("the `rules` checks need rules: a model or recipe with `rules`, or "
                        "validate(..., rules=['age >= 18', ...])")
    return out


def _rules_of(reference, kind: str, rules, synth: pd.DataFrame):
    """``(rules to check, the model's own rules)``, compiled (None when empty).

    The rules to check are ``rules`` when given, else the model's; ``rules`` name the
    model's columns, or the synthetic table's for a reference table.
    """
    from ..rules import compile_rules

    own = None
    if kind == "model" and getattr(reference, "rules", None):
        from ..strategies._engine import compiled_rules

        own = compiled_rules(reference)
    if rules is None:
        return own, own
    if kind == "model":
        from ..strategies._generated import table_schema

        names = list(table_schema(reference).names)
    else:
        new = set(compile_rules(rules).new_columns)
        names = [str(c) for c in synth.columns if str(c) not in new]
    return compile_rules(rules, names) or None, own


def _normal_scores(x: np.ndarray) -> np.ndarray:
    out = np.full(x.shape, np.nan)
    ok = ~np.isnan(x)
    r = stats.rankdata(x[ok])
    out[ok] = special.ndtri(r / (ok.sum() + 1))
    return out


def _declared_correlation(model, names: list[str]):
    """(matrix, type, names) a sample of ``model`` should reproduce, or (None, None, None).

    Read from the model's fitted dependence (``model.dependence_``, a
    :class:`~synthkit.strategies._state.FittedDependence`): the declared target
    with its type when there is one, else the fitted matrix with what it
    measures (normal scores, Spearman, Pearson).
    """
    from ..dependence.checks import check_correlation_matrix

    dependence = getattr(model, "dependence_", None)
    if dependence is None:
        return None, None, None
    matrix, ctype = dependence.comparable()
    if matrix is None or ctype is None:
        return None, None, None
    model_names = [cm.name for cm in model.columns_]
    try:
        m = check_correlation_matrix(matrix, model_names, what="declared correlation")
    except SynthkitError:
        return None, None, None
    return m, str(ctype), model_names


def _correlation_of(x: np.ndarray, ctype: str) -> np.ndarray:
    from .dependence import KENDALL_ROWS, kendall_matrix, pearson_matrix, spearman_matrix

    if ctype == "spearman":
        return spearman_matrix(x)
    if ctype == "kendall":
        return kendall_matrix(x[:KENDALL_ROWS])
    if ctype == "normal_scores":
        return pearson_matrix(np.column_stack([_normal_scores(x[:, j]) for j in range(x.shape[1])]))
    return pearson_matrix(x)


def _model_checks(model, synth: pd.DataFrame, thr: dict, sections: list[str], timings: dict,
                  artifacts: dict, extra_tests: int = 0) -> tuple[list[Check], dict, PreparedTables]:
    from .marginals import declared_column_checks, plot_data

    schema = getattr(model, "schema_", None)
    columns = list(getattr(model, "columns_", []) or [])
    by_name = {getattr(cm, "name", getattr(getattr(cm, "column", None), "name", None)): cm
               for cm in columns}
    tables = prepare_tables(synth, synth, schema=schema, real_name="synthetic",
                            synth_name="synthetic", schema_name="model")
    missing = [n for n in (schema.names if schema is not None else []) if n not in tables.names]
    checks: list[Check] = []
    scores: dict = {}
    # Bonferroni split: three tests per column, one per numeric pair
    d_num = len(tables.numeric())
    n_tests = ((3 * len(tables.columns) if "marginals" in sections else 0)
               + (d_num * (d_num - 1) // 2 if "dependence" in sections else 0) + extra_tests)
    alpha = bonferroni_level(thr, n_tests)
    artifacts["tests"] = {"n_tests": n_tests, "alpha": alpha}
    t0 = _now()
    if "marginals" in sections:
        if missing:
            checks.append(Check("marginals", "column_coverage", ",".join(missing),
                                1 - len(missing) / len(schema.names), 1.0, False,
                                "declared columns missing from the synthetic table"))
        ks_vals = []
        plots = {}
        for col in tables.columns:
            cm = by_name.get(col.name)
            declared_col = getattr(cm, "column", None) or tables.schema[col.name]
            marginal = getattr(cm, "marginal", None)
            if col.kind == "datetime" and callable(getattr(cm, "value_cdf", None)):
                marginal = SimpleNamespace(cdf=cm.value_cdf)  # the column's own scale
            rows = declared_column_checks(col, marginal, declared_col, thr, alpha=alpha)
            checks += rows
            for r in rows:
                if r.statistic in ("ks_distance_declared", "tv_distance_declared") and np.isfinite(r.value):
                    ks_vals.append(1 - r.value)
            plots[col.name] = _declared_plot(col, marginal, declared_col, plot_data)
        scores["marginals"] = float(np.mean(ks_vals)) if ks_vals else math.nan
        artifacts["marginal_plots"] = plots
        _lap(timings, "marginals", t0)
    if "dependence" in sections:
        t0 = _now()
        matrix, ctype, mnames = _declared_correlation(model, tables.names)
        if matrix is not None:
            num = [n for n in mnames if n in tables.names and tables[n].is_numeric]
            if len(num) >= 2:
                idx = [mnames.index(n) for n in num]
                target = matrix[np.ix_(idx, idx)]
                x = np.column_stack([tables[n].synth for n in num])
                got = _correlation_of(x, ctype)
                iu = np.triu_indices(len(num), 1)
                diff = np.abs(got - target)[iu]
            if len(num) >= 2 and not np.isfinite(diff).any():
                checks.append(Check("dependence", f"{ctype}_declared_max_abs_diff", "*", math.nan,
                                    None, None, "no synthetic correlation is defined (constant "
                                    "or non-overlapping columns): nothing to compare"))
            elif len(num) >= 2:
                from .dependence import KENDALL_ROWS, correlation_variance

                # variance of a faithful sample's coefficient around the target:
                # (1 - rho^2)^2 for normal scores, the module formulas otherwise
                xs = x[:KENDALL_ROWS] if ctype == "kendall" else x
                ok = (~np.isnan(xs)).astype(float)
                m_pair = (ok.T @ ok)[iu]
                if ctype == "normal_scores":
                    v = (1 - target**2) ** 2
                else:
                    v = correlation_variance(ctype if ctype in ("spearman", "kendall") else "pearson",
                                             xs, target)
                allows = z_value(alpha) * np.sqrt(v[iu] / np.maximum(m_pair, 1))
                excess = np.where(np.isfinite(diff), diff - np.nan_to_num(allows, nan=np.inf), -np.inf)
                k = int(np.argmax(excess))
                allow = float(allows[k])
                t = thr["corr_max_abs_diff"] + allow
                pair = f"{num[iu[0][k]]}|{num[iu[1][k]]}"
                checks.append(Check("dependence", f"{ctype}_declared_max_abs_diff", pair,
                                    float(diff[k]), t, bool(diff[k] <= t),
                                    f"synthetic {ctype} correlation vs the declared/fitted target; "
                                    f"worst pair target {target[iu][k]:+.3f}, synthetic "
                                    f"{got[iu][k]:+.3f}; allowance {allow:.4f}"))
                for (i, j) in zip(*iu, strict=True):
                    checks.append(Check("dependence", f"{ctype}_declared_difference",
                                        f"{num[i]}|{num[j]}", float(got[i, j] - target[i, j]),
                                        None, None, f"target {target[i, j]:+.3f}"))
                scores["dependence"] = float(1 - np.nanmean(diff) / 2)
                artifacts["dependence"] = {
                    "names": num, "association_real": target, "association_synth": got,
                    "labels": ("declared target", "synthetic"),
                }
        else:
            checks.append(Check("dependence", "declared_correlation", "*", math.nan, None, None,
                                "the reference declares no correlation target"))
        _lap(timings, "dependence", t0)
    return checks, scores, tables


#: PII types whose common values a generator reproduces by chance (informational leak count).
CHANCE_MATCH_TYPES = frozenset({"name", "first_name", "last_name", "city", "street", "postcode"})


def generated_column_checks(real: pd.DataFrame, synth: pd.DataFrame, roles: Mapping[str, str] | None,
                            holdout: pd.DataFrame | None = None, hits: Mapping[str, int] | None = None
                            ) -> tuple[list[Check], list, dict]:
    """The reference's identifier / PII columns, one ``real_values_emitted`` check each, and
    the role decisions of every reference column (:func:`synthkit.privacy.detect_roles`).

    The real values are the reference's and, when given, the holdout's. ``hits``: the
    counts per column when they were taken elsewhere (over a partitioned synthetic table).

    A synthetic value equal to a real identifier or PII value is a copied record
    field: the check fails on any (threshold 0), whatever the sample sizes. Person
    names, cities, streets and postcodes are the exception: a generated "Maria
    Garcia" equals some real customer's name by chance (Faker's pools hold the common
    names), so for them the count is informational (:func:`synthkit.anonymize` draws
    such values again).
    """
    from ..privacy import detect_roles, real_values_emitted

    names = {str(c): c for c in real.columns}
    decisions = detect_roles(real, dict(roles) if roles else None)
    sensitive = [names[n] for n, d in decisions.items() if d.role in ("identifier", "pii")]
    checks = []
    for c in sensitive:
        if c not in synth.columns:
            continue
        known = real[c] if holdout is None or c not in holdout.columns else pd.concat(
            [real[c], holdout[c]], ignore_index=True)
        hit = real_values_emitted(known, synth[c]) if hits is None else int(hits[c])
        d = decisions[str(c)]
        if d.pii_type in CHANCE_MATCH_TYPES:
            checks.append(Check("privacy", "real_values_emitted", str(c), float(hit), None, None,
                                f"synthetic {d.pii_type} values equal to a real one: common values "
                                "match by chance; synthkit.anonymize draws them again"))
            continue
        checks.append(Check("privacy", "real_values_emitted", str(c), float(hit), 0.0, hit == 0,
                            f"synthetic values of the {d.role} column equal to a real value "
                            f"({d.reason}); identifiers and PII must be generated, never copied"))
    return checks, sensitive, decisions


def _label_reference(artifacts: dict, label: str) -> None:
    """Name the reference ``label`` in every figure's data (instead of "real")."""
    for d in (artifacts.get("marginal_plots") or {}).values():
        d["reference_label"] = label
    if artifacts.get("dependence"):
        artifacts["dependence"]["labels"] = (label, "synthetic")
    if artifacts.get("pca"):
        artifacts["pca"]["reference_label"] = label


def _declared_plot(col, marginal, declared_col, plot_data) -> dict:
    from .marginals import counts_density

    d = plot_data(col)
    if d.get("type") == "hist" and marginal is not None and hasattr(marginal, "cdf"):
        edges = np.asarray(d["edges"])
        try:
            cdf = np.asarray(marginal.cdf(edges), dtype=float)
            d["real"] = counts_density(np.diff(cdf), 1, edges, bool(d.get("log"))).tolist()
        except Exception:
            d["real"] = [0.0] * (len(edges) - 1)
    elif d.get("type") == "bar":
        if col.kind == "integer":
            if marginal is not None and hasattr(marginal, "cdf"):
                lv = np.array([float(x) for x in d["labels"]])
                try:
                    d["real"] = (np.asarray(marginal.cdf(lv), dtype=float)
                                 - np.asarray(marginal.cdf(lv - 1), dtype=float)).tolist()
                except Exception:
                    d["real"] = [0.0] * len(lv)
        else:
            probs = getattr(marginal, "probs", None)
            freqs = list(np.asarray(probs)) if probs is not None else list(
                declared_col.frequencies or [])
            cats = [str(c) for c in (col.categories or [])]
            lookup = dict(zip(cats, freqs, strict=False))
            d["real"] = [float(lookup.get(lbl, 0.0)) for lbl in d["labels"]]
            if d.get("other"):  # the last bar holds the levels not shown
                d["real"][-1] = float(max(0.0, 1.0 - sum(d["real"][:-1])))
    d["reference_label"] = "declared"
    return d


#: Largest |scaled value| (in inter-quartile ranges from the median) the PCA scatter uses.
PCA_CLIP = 5.0


def _pca_data(tables: PreparedTables, seed, also_missing: frozenset[str] | set[str] = frozenset()
              ) -> dict | None:
    from sklearn.decomposition import PCA

    from ..seeding import as_generator
    from .privacy import MixedEncoder

    if len(tables.columns) < 2 or tables.n_real < 3:
        return None
    rng = as_generator(seed)
    enc = MixedEncoder(tables.columns, also_missing=also_missing)
    ir = rng.choice(tables.n_real, min(PCA_POINTS, tables.n_real), replace=False)
    m = min(len(ir), tables.n_synth)  # drawn: m rows of each (the first m of ir are random too)
    is_ = synth_rows(seed, tables.n_synth, m, rowplan.PCA)
    # numbers are (x - median) / IQR; clipped at +-PCA_CLIP so one long tail does not make
    # the first component and crowd every other row into a corner
    xr = np.clip(enc.transform({c.name: c.real[ir] for c in tables.columns}), -PCA_CLIP, PCA_CLIP)
    xs = np.clip(enc.transform({c.name: c.synth[is_] for c in tables.columns}), -PCA_CLIP, PCA_CLIP)
    if xr.shape[1] < 2:
        return None
    import warnings

    with warnings.catch_warnings():  # constant reference rows: 0/0 explained variance
        warnings.simplefilter("ignore", RuntimeWarning)
        pca = PCA(n_components=2, random_state=0).fit(xr)
        return {"real": pca.transform(xr[:m]), "synth": pca.transform(xs),
                "explained": np.nan_to_num(pca.explained_variance_ratio_).tolist()}


def _to_png_figures(figs) -> dict[str, bytes]:
    """Normalise what ``cluster_figures`` returns into ``title -> PNG bytes``."""
    from .plots import figure_to_png

    out: dict[str, bytes] = {}
    if figs is None:
        return out
    items = figs.items() if isinstance(figs, Mapping) else (
        (f[0], f[1]) if isinstance(f, tuple) else (f"cluster figure {i + 1}", f)
        for i, f in enumerate(figs)
    )
    for title, fig in items:
        if isinstance(fig, (bytes, bytearray)):
            out[str(title)] = bytes(fig)
        elif hasattr(fig, "savefig"):
            out[str(title)] = figure_to_png(fig)
    return out


def _archetype_report(reference, synthetic, thr, timings, meta) -> ValidationReport:
    import importlib

    t0 = _now()
    try:
        clusters = importlib.import_module("synthkit.validation.clusters")
    except ImportError:
        raise DataError(
            "cluster validation needs synthkit.validation.clusters, which is not available in "
            "this installation"
        ) from None
    checks = list(clusters.cluster_checks(reference, synthetic, thr))
    figures: dict[str, bytes] = {}
    if hasattr(clusters, "cluster_figures"):
        figures = _to_png_figures(clusters.cluster_figures(reference, synthetic))
    _lap(timings, "clusters", t0)
    decided = [c for c in checks if c.passed is not None]
    score = (sum(bool(c.passed) for c in decided) / len(decided)) if decided else math.nan
    labels = getattr(synthetic, "labels", None)
    meta.update(reference_kind="archetype", n_reference=None,
                n_synthetic=int(len(labels)) if labels is not None else None, columns=[])
    scores = {"clusters": score, "overall": score}
    return ValidationReport(checks=checks, scores=scores, meta=meta, figures=figures)


#: Fewest rows of each table that the distribution sections (marginals, dependence,
#: utility, rules) give verdicts on: below, their sampling allowances (normal
#: approximations, a tail quantile band, correlations of a handful of points) are not to
#: be trusted. The privacy section has its own minimums (per check).
MIN_ROWS = 20
_SIZED_SECTIONS = ("marginals", "dependence", "utility", "rules")


def check_sizes(n_reference: int | None, n_synthetic: int,
                sections: Iterable[str] = _SIZED_SECTIONS) -> None:
    """Refuse tables too small to judge (fewer than :data:`MIN_ROWS` rows) in ``sections``.

    Examples
    --------
    >>> try:
    ...     check_sizes(100, 5)
    ... except DataError as exc:
    ...     print(str(exc).split(";")[0])
    the synthetic table has 5 rows
    >>> check_sizes(100, 5, ["privacy"])  # distance checks have their own minimums
    """
    if not set(sections) & set(_SIZED_SECTIONS):
        return
    for what, n in (("reference", n_reference), ("synthetic", n_synthetic)):
        if n is not None and n < MIN_ROWS:
            raise DataError(f"the {what} table has {n} rows; validation needs at least {MIN_ROWS} "
                            f"rows in each table to give verdicts ({', '.join(_SIZED_SECTIONS)}; "
                            "checks='privacy' has its own minimums)")


def validate(
    reference: Any,
    synthetic: Any,
    *,
    holdout: pd.DataFrame | None = None,
    target: str | None = None,
    checks: str | Iterable[str] | None = None,
    thresholds: Mapping[str, float] | None = None,
    seed: Any = 0,
    figures: bool = True,
    progress: bool | None = None,
    roles: Mapping[str, str] | None = None,
    rules: Any = None,
    scheduler: Any = None,
) -> ValidationReport:
    """Tell how close, how useful and how private a synthetic table is.

    Parameters
    ----------
    reference : DataFrame, strategy, recipe or archetype
        * a real table (``DataFrame``, or a dataset with ``.frame``): every section;
        * a fitted or declared synthkit strategy (anything with ``schema_`` and
          ``columns_``, whose ``columns_[i].marginal.cdf`` is the declared CDF):
          one-sample KS / declared frequencies per column, and the declared
          correlation (the model's ``dependence_``: a declared target with its
          type, or the fitted matrix with what it measures). A strategy with
          ``rules`` samples its distribution conditioned on them, which has no
          closed form: the reference is then a Monte Carlo sample of the model
          under its rules (``model.sample(rows, seed=REFERENCE_SEED)``, at least
          100,000 rows: :mod:`synthkit.validation.rules`), compared by the
          two-sample checks of a reference table (derived columns included), and
          the ``rules`` section runs;
        * a recipe (YAML path or mapping, loaded by :mod:`synthkit.recipes`): a
          declared recipe validates like a strategy, a ``data:`` recipe against its data,
          an ``extend`` recipe against its ``fit.data`` (else its model);
        * a cluster archetype (has ``max_overlap``; ``synthetic`` has ``labels``):
          the cluster checks of :mod:`synthkit.validation.clusters`;
        * a labelled dataset (``X`` and ``labels``: ``synthkit.clusters.LabelledData(X,
          labels)`` for real points, a ``ClusterDataset``) with a labelled ``synthetic``:
          the cluster-structure checks of :mod:`synthkit.validation.labelled` (section
          ``"clusters"``, the default); table sections named in ``checks`` compare the
          two as tables.
    synthetic : DataFrame, dataset, Parquet path or Dask DataFrame
        The synthetic table (a ``SyntheticDataset`` or anything with ``.frame``), or a table
        larger than memory: a Parquet file, a directory of ``*.parquet`` parts (read in name
        order; one with temporary files or an incomplete ``_manifest.json`` is refused) or a
        ``dask.dataframe.DataFrame``. Such a table is read once, batch by batch, into mergeable
        summaries (:mod:`synthkit.validation.streaming`): the report has the same sections and
        rows, with scores within about 1e-3 of an in-memory validation of the same rows (Wasserstein,
        quantiles and Spearman are read from histograms; ``spearman_relative_frobenius`` divides
        Spearman's grouping error by ``||R_r - I||``), and
        ``meta["streaming"]`` says how many rows and parts were summarised.
    holdout : DataFrame, optional
        Real rows *not* used to fit the generator: baseline of the privacy checks
        (DCR, closer-to-train share), control group of the attacks (singling out,
        linkability, inference, membership: :mod:`synthkit.validation.attacks`; columns
        declared ``quasi_identifier`` in ``roles`` are the attacker's auxiliary columns,
        every column otherwise) and test set of the utility check. Without it the
        attacks are skipped with an informational row.
    target : str, optional
        Column predicted in the utility check (TSTR vs TRTR).
    checks : str or list of str, optional
        Sections to run (``"marginals"``, ``"dependence"``, ``"rules"``, ``"privacy"``,
        ``"utility"``, ``"clusters"``); default: every section that applies.
    thresholds : dict, optional
        Overrides of :data:`synthkit.validation.checks.DEFAULT_THRESHOLDS`: the
        effect size of each check, and ``false_fail_rate`` (default 0.05), the chance
        that a faithful synthetic table fails any check. That rate is split equally
        over the report's ``n_tests`` elementary tests (Bonferroni; ``meta["alpha"]``
        per test) and each check adds to its effect size the ``1 - alpha`` sampling
        allowance of its statistic, derived from both table sizes (see
        :mod:`synthkit.validation.marginals`, :mod:`~synthkit.validation.dependence`,
        :mod:`~synthkit.validation.privacy`). The SDMetrics-compatible Column Shapes /
        Column Pair Trends scores are informational unless given a threshold.
    seed : int, SeedSequence or Generator
        Seed of the subsamples (Kendall, privacy, utility, PCA); the report is
        reproducible for a fixed seed. The reference sample of a model with rules
        has its own fixed seed (:data:`synthkit.validation.rules.REFERENCE_SEED`).
    figures : bool
        Compute the data of the HTML figures (histograms, PCA); False skips them.
    progress : bool, optional
        A progress bar over the sections and columns: shown by default when either
        table has at least ``PROGRESS_MIN_ROWS`` (250,000) rows and stderr is a
        terminal; True or False forces it on or off.
    roles : dict, optional
        ``{column: role}`` overriding the roles detected on a reference table
        (:func:`synthkit.privacy.detect_roles`). Identifier and PII columns are not
        compared for fidelity (they are generated, not modelled); the privacy section
        counts the synthetic values that equal a real one (``real_values_emitted``, which
        must be 0).
    rules : list, optional
        Business rules (:func:`synthkit.rules.compile_rules` forms) to check in the
        ``rules`` section (:func:`synthkit.validation.rules.rule_checks`): violations
        of each hard rule (must be 0), each soft rule's violation share against the
        reference's, each derived column recomputed on its rows. Default: the rules
        of a model or recipe reference; with a reference table the expected shares
        are the table's.

    scheduler : distributed.Client or str, optional
        With a partitioned ``synthetic``: summarise one part per Dask task on this scheduler
        and merge the summaries in a tree (:func:`synthkit.validation.streaming.summarise`); default a
        sequential pass in this process.

    Returns
    -------
    ValidationReport

    Raises
    ------
    DataError
        Empty tables, no common columns, mismatched column kinds, all-missing
        columns, a ``target`` missing from a table (messages name the columns).
    SpecError
        Unknown sections or malformed thresholds.
    RuleError
        ``rules`` that do not parse or name unknown columns.
    FitError
        An unfitted strategy as the reference.

    Examples
    --------
    >>> import numpy as np, pandas as pd, synthkit
    >>> rng = np.random.default_rng(0)
    >>> real = pd.DataFrame({"x": rng.normal(size=500)})
    >>> rep = synthkit.validate(real, pd.DataFrame({"x": rng.normal(size=500)}))
    >>> rep.passed
    True
    """
    from .._progress import check_progress
    from ..seeding import as_generator, child_generator

    check_progress(progress)
    thr = resolve_thresholds(thresholds)
    rng = as_generator(seed)
    seeds = rng.integers(0, 2**31 - 1, size=4)
    timings = _Timings()
    meta: dict[str, Any] = {"thresholds": thr, "seconds": timings, "cpu_seconds": timings.cpu}
    t_start = _now()

    kind = reference_kind(reference, synthetic)
    if (kind != "archetype" and hasattr(reference, "max_overlap")
            and not hasattr(reference, "labels")):
        raise DataError("an archetype reference needs a labelled cluster dataset (with `labels`) "
                        f"as the synthetic side, got {type(synthetic).__name__}")
    if kind == "labelled":
        asked = ["clusters"] if checks is None else [checks] if isinstance(checks, str) else list(checks)
        if "clusters" not in asked:
            kind = "table"
        else:
            from .labelled import labelled_checks

            others = [c for c in asked if c != "clusters"]
            if rules is not None and not others:
                raise SpecError("`rules` are checked on a table: add a table section, e.g. "
                                "checks=['clusters', 'rules']")
            rep = (validate(reference, synthetic, holdout=holdout, target=target, checks=others,
                            thresholds=thresholds, seed=seed, figures=figures, progress=progress,
                            roles=roles, rules=rules) if others else None)
            t0 = _now()
            c_checks = labelled_checks(reference, synthetic, thr, seed=child_generator(int(seeds[3]), 2))
            _lap(timings, "clusters", t0)
            decided = [c for c in c_checks if c.passed is not None]
            score = sum(bool(c.passed) for c in decided) / len(decided) if decided else math.nan
            if rep is None:
                meta.update(reference_kind="labelled", n_reference=len(reference.labels),
                            n_synthetic=len(synthetic.labels), columns=[])
                _lap(timings, "total", t_start)
                return ValidationReport(checks=c_checks, scores={"clusters": score, "overall": score},
                                        meta=meta)
            rep.checks.extend(c_checks)
            rep.scores["clusters"] = score
            finite = [v for k, v in rep.scores.items() if k != "overall" and np.isfinite(v)]
            rep.scores["overall"] = float(np.mean(finite)) if finite else math.nan
            rep.meta["reference_kind"] = "labelled"
            return rep
    if kind == "archetype":
        _sections(checks, kind, target is not None)
        if rules is not None:
            raise SpecError("`rules` are checked on a table: an archetype reference has none")
        rep = _archetype_report(reference, synthetic, thr, timings, meta)
        _lap(timings, "total", t_start)
        return rep
    if kind == "table-file":
        from ..io import read_table

        reference = read_table(reference)
        kind = "table"
    if kind == "recipe":
        kind, reference = _recipe_reference(reference)
    from .streaming import is_partitioned

    source = None  # a partitioned synthetic table, summarised in one pass (validation/streaming.py)
    if is_partitioned(synthetic):
        from .streaming import open_partitioned

        source = open_partitioned(synthetic)
        synth_frame = source.head()
    else:
        if scheduler is not None:
            raise SpecError("`scheduler` summarises a partitioned synthetic table (a Parquet directory "
                            "or a Dask frame) part by part; this synthetic table is in memory")
        synth_frame = as_frame(synthetic, "the synthetic table")
    if scheduler is not None and not (hasattr(scheduler, "compute") and hasattr(scheduler, "submit")):
        from ..schedulers import resolve_runner

        resolve_runner(scheduler=scheduler)  # a name or an address, checked before reading
    n_synth_rows = source.n_rows if source is not None else len(synth_frame)
    ruleset, model_rules = _rules_of(reference, kind, rules, synth_frame)
    sections = _sections(checks, kind, target is not None, ruleset is not None)
    artifacts: dict[str, Any] = {}
    all_checks: list[Check] = []
    scores: dict[str, float] = {}
    from .rules import REFERENCE_SEED, reference_sample, rule_checks, rule_count, rule_test_count

    n_rule_tests = rule_test_count(ruleset) if "rules" in sections else 0
    model_ref = None  # a model with rules: judged against its own sample under them
    reference_note = "reference: the reference table"
    if kind == "model":
        if target is not None or holdout is not None:
            raise SpecError("`target` (utility) and `holdout` (privacy) need real rows as the "
                            "reference, not a model: validate(real_frame, synthetic, ...)")
        if model_rules is None and source is not None:
            raise SpecError("a partitioned synthetic table is validated against real rows (a DataFrame) "
                            "or a model with rules (compared with its own sample); for a model without "
                            "rules, validate(model, model.sample(n).frame) on a sample that fits in memory")
        if model_rules is None:
            check_sizes(None, len(synth_frame), sections)
            all_checks, scores, tables = _model_checks(reference, synth_frame, thr, sections, timings,
                                                       artifacts, extra_tests=n_rule_tests)
            meta.update(reference_kind=f"model ({type(reference).__name__})", n_reference=None,
                        n_synthetic=tables.n_synth, columns=tables.names,
                        kinds={c.name: c.kind for c in tables.columns}, **artifacts.pop("tests"))
            if "rules" in sections:
                t0 = _now()
                ref_rows = None  # soft rules and noise read the model's own sample
                if ruleset.soft or any(d.uses_noise for d in ruleset.derived):
                    ref_rows, reference_note = reference_sample(reference, tables.n_synth, progress=progress)
                dates = [c.name for c in tables.columns if c.kind == "datetime"]
                r_checks, r_art = rule_checks(ruleset, synth_frame.rename(columns=str), ref_rows, thr,
                                              alpha=meta["alpha"], rng=child_generator(int(seeds[3]), 1),
                                              reference_note=reference_note, datetimes=dates)
                all_checks += r_checks
                scores["rules"] = r_art.pop("score")
                artifacts["rules"] = r_art
                _lap(timings, "rules", t0)
            finite = [v for v in scores.values() if np.isfinite(v)]
            scores["overall"] = float(np.mean(finite)) if finite else math.nan
            _lap(timings, "total", t_start)
            return ValidationReport(all_checks, scores, meta, artifacts)
        model_ref = reference
        t0 = _now()
        real_frame, reference_note = reference_sample(reference, n_synth_rows, progress=progress)
        synth_frame = synth_frame.rename(columns=str)
        _lap(timings, "reference_sample", t0)
    elif (not isinstance(reference, pd.DataFrame) and callable(getattr(reference, "fit", None))
            and callable(getattr(reference, "sample", None))):
        from ..errors import FitError

        raise FitError(f"the reference {type(reference).__name__} has no `schema_`/`columns_`: "
                       "fit it (or declare its columns) before validating against it")
    else:
        real_frame = as_frame(reference, "the reference table")
    if target is not None:
        missing = [w for w, f in (("reference", real_frame), ("synthetic", synth_frame))
                   if target not in f.columns]
        if holdout is not None and target not in as_frame(holdout, "the holdout table").columns:
            missing.append("holdout")
        if missing:
            raise DataError(f"target column {target!r} is missing from the {' and '.join(missing)} "
                            f"table(s)")
    if holdout is not None:
        holdout = as_frame(holdout, "the holdout table")
        check_kept_out(real_frame, holdout)
    rules_frames = (synth_frame.rename(columns=str), real_frame.rename(columns=str))
    prepare_kw: dict[str, Any] = {}
    if model_ref is None:
        from .merged_levels import merge_like_model, merged_levels_of

        # the levels the model merged for privacy are merged in the reference (and holdout) too
        merges = merged_levels_of(synthetic if source is None else source)
        real_frame, holdout, merged = merge_like_model(real_frame, holdout, merges)
        if merged:
            meta["merged_levels"] = merged
        leak_checks, sensitive, decisions = generated_column_checks(real_frame, synth_frame, roles, holdout)
    else:  # the model's identifier / PII columns are generated by format, not modelled
        from ..strategies._engine import output_schema

        leak_checks, decisions = [], {}
        sensitive = [g.name for g in getattr(model_ref, "generated_", None) or []]
        prepare_kw = {"schema": output_schema(model_ref), "real_name": "reference sample",
                      "schema_name": "model"}
    pre_drop = (real_frame, synth_frame, holdout)  # the identifier / PII columns still in
    if sensitive:
        real_frame = real_frame.drop(columns=[c for c in sensitive if c in real_frame.columns])
        synth_frame = synth_frame.drop(columns=[c for c in sensitive if c in synth_frame.columns])
        if holdout is not None:
            holdout = holdout.drop(columns=[c for c in sensitive if c in holdout.columns])
    t0 = _now()
    tables = prepare_tables(real_frame, synth_frame, **prepare_kw)
    stream = None
    if source is not None:
        from .streaming import stream_pass

        known = {}
        if model_ref is None:
            for c in sensitive:
                if c in pre_drop[1].columns:
                    h = pre_drop[2]
                    known[c] = pre_drop[0][c] if h is None or c not in h.columns else pd.concat(
                        [pre_drop[0][c], h[c]], ignore_index=True)
        stream = stream_pass(source, tables, sections, [int(x) for x in seeds],
                             has_holdout=holdout is not None, known=known, figures=figures,
                             rules=ruleset is not None and "rules" in sections, scheduler=scheduler,
                             progress=progress)
        tables = stream.tables
        if known:
            leak_checks, _, _ = generated_column_checks(pre_drop[0], pre_drop[1], roles, pre_drop[2],
                                                        hits=stream.leaks)
        rules_frames = (stream.rules_frame, rules_frames[1])
    check_sizes(tables.n_real, tables.n_synth, sections)
    hold = None
    if holdout is not None:
        # prepare_tables names columns by str(name): select the reference's the same way
        hold = prepare_tables(real_frame.rename(columns=str)[tables.names],
                              as_frame(holdout, "the holdout table"),
                              schema=tables.schema, synth_name="holdout")
        missing = [n for n in tables.names if n not in hold.names]
        if missing:
            raise DataError(f"the holdout table lacks column(s) {missing} of the reference")
        if hold.n_synth < MIN_ROWS:  # the attacks' control rates and the membership AUC
            raise DataError(f"the holdout table has {hold.n_synth} rows; the privacy attacks need "
                            f"at least {MIN_ROWS} held-out rows (a membership AUC of 1 is likely "
                            "by chance on a handful)")
        # align category codes of the holdout with the main preparation
        for c in hold.columns:
            main = tables[c.name]
            if c.is_label:
                remap = {cat: i for i, cat in enumerate(main.categories)}
                extra = [cat for cat in c.categories if cat not in remap]
                for cat in extra:
                    remap[cat] = len(remap)
                table = np.array([remap[cat] for cat in c.categories], dtype=np.int64)
                c.synth = np.where(c.synth >= 0, table[np.maximum(c.synth, 0)], -1)
                if extra:
                    main.categories = list(main.categories) + extra
    _lap(timings, "prepare", t0)
    kind_text = "table"
    if model_ref is not None:
        k = rule_count(model_rules)
        kind_text = f"model ({type(model_ref).__name__}) under its {k} rule{'' if k == 1 else 's'}"
        meta["reference_sample"] = {"rows": tables.n_real, "seed": REFERENCE_SEED, "note": reference_note}
    meta.update(reference_kind=kind_text, n_reference=tables.n_real, n_synthetic=tables.n_synth,
                n_holdout=None if hold is None else hold.n_synth, columns=tables.names,
                kinds={c.name: c.kind for c in tables.columns},
                only_in_reference=tables.only_real, only_in_synthetic=tables.only_synth,
                target=target)
    # the false-fail budget, split equally over the elementary tests of the report
    from .attacks import attack_test_count
    from .dependence import dependence_test_count
    from .marginals import marginal_test_count
    from .privacy import privacy_test_count

    # the attacker's auxiliary columns: the declared quasi-identifiers (default: every column)
    qis = [n for n in tables.names if n in decisions and decisions[n].role == "quasi_identifier"
           and decisions[n].reason == "declared"]  # the attacker's knowledge: declared quasi-identifiers
    n_attack_tests = attack_test_count(tables.names, quasi_identifiers=qis) if hold is not None else 0
    n_tests = ((sum(marginal_test_count(c) for c in tables.columns) if "marginals" in sections else 0)
               + (dependence_test_count(tables) if "dependence" in sections else 0)
               + (privacy_test_count(hold is not None, attacks=n_attack_tests)
                  if "privacy" in sections else 0)
               + (1 if "utility" in sections else 0) + n_rule_tests)
    alpha = bonferroni_level(thr, n_tests)
    meta.update(n_tests=n_tests, alpha=alpha)
    from .._progress import progress_bar
    from ..strategies.base import PROGRESS_MIN_ROWS

    # one step per section, per column's marginals, per attack, and for the figures
    n_steps = (1 + len(tables.columns) * ("marginals" in sections) + len(sections)
               + ("marginals" in sections or "dependence" in sections) + bool(figures)
               + n_attack_tests * ("privacy" in sections))
    timings.bar = progress_bar(total=n_steps, initial=1, progress=progress, desc="validate",
                               unit="step", leave=False,
                               large=max(tables.n_real, tables.n_synth) >= PROGRESS_MIN_ROWS)

    sorted_cache: dict = {}
    dep_art: dict = {}
    if "marginals" in sections:
        from .marginals import column_checks, plot_data

        t0 = _start(timings, "marginals")
        if tables.only_real:
            all_checks.append(Check("marginals", "column_coverage", ",".join(tables.only_real),
                                    1 - len(tables.only_real) / (len(tables.names) + len(tables.only_real)),
                                    1.0, False, "reference columns missing from the synthetic table"))
        if tables.only_synth:
            all_checks.append(Check("marginals", "extra_columns", ",".join(tables.only_synth),
                                    float(len(tables.only_synth)), None, None,
                                    "synthetic columns not in the reference (not validated)"))
        plots = {}
        for col in tables.columns:
            side = None if stream is None else stream.marginal(col)
            all_checks += column_checks(col, thr, sorted_cache, alpha=alpha, synth=side)
            if figures:
                plots[col.name] = (plot_data(col, sorted_cache.get(col.name)) if stream is None
                                   else stream.plot(col, side))
            timings.bar.update()
        artifacts["marginal_plots"] = plots
        _lap(timings, "marginals", t0)
    if "dependence" in sections:
        from .dependence import dependence_checks

        t0 = _start(timings, "dependence")
        dep_checks, dep_art = dependence_checks(tables, thr, seed=int(seeds[0]), alpha=alpha,
                                                synth=None if stream is None else stream.dependence())
        all_checks += dep_checks
        artifacts["dependence"] = dep_art
        _lap(timings, "dependence", t0)
    if "marginals" in sections or "dependence" in sections:
        from .sdmetrics_scores import sdmetrics_checks

        t0 = _start(timings, "scores")
        shapes, trends = (None, None) if stream is None else stream.sdmetrics(dep_art, sorted_cache)
        sd_checks, sd_art = sdmetrics_checks(tables, thr, sorted_cache=sorted_cache,
                                             dep_artifacts=dep_art, shapes=shapes, trends=trends)
        all_checks += [c for c in sd_checks if c.section in sections]
        if "marginals" in sections:
            scores["marginals"] = sd_art["column_shapes_score"]
        if "dependence" in sections and np.isfinite(sd_art["column_pair_trends_score"]):
            scores["dependence"] = sd_art["column_pair_trends_score"]
        artifacts["sdmetrics"] = sd_art
        _lap(timings, "sdmetrics_scores", t0)
    sorted_cache.clear()
    if model_ref is not None:  # every fidelity check names its reference
        for c in all_checks:
            c.detail = f"{c.detail}; {reference_note}" if c.detail else reference_note
    if "rules" in sections:
        t0 = _start(timings, "rules")
        r_checks, r_art = rule_checks(ruleset, rules_frames[0], rules_frames[1], thr, alpha=alpha,
                                      rng=child_generator(int(seeds[3]), 1), reference_note=reference_note,
                                      datetimes=[c.name for c in tables.columns if c.kind == "datetime"])
        if stream is not None:  # the rules read the gathered rows, not every row
            for c in r_checks:
                c.detail = f"{c.detail}; {stream.rules_note}" if c.detail else stream.rules_note
        all_checks += r_checks
        scores["rules"] = r_art.pop("score")
        artifacts["rules"] = r_art
        _lap(timings, "rules", t0)
    if "privacy" in sections:
        from .attacks import attack_checks, no_holdout_check
        from .privacy import privacy_checks

        t0 = _start(timings, "privacy")
        # the attacks lead the privacy rows: a failing attack is the first privacy failure named
        if hold is not None:
            a_view = _view(tables, stream, rowplan.ATTACKS, int(seeds[1]), MAX_ATTACK_ROWS)
            a_checks, a_results = attack_checks(a_view, hold, thr, alpha=alpha, quasi_identifiers=qis,
                                                seed=child_generator(int(seeds[1]), 1), bar=timings.bar)
            timings.bar.set_postfix_str("privacy distances", refresh=False)
        else:
            a_checks, a_results = [no_holdout_check()], []
        if stream is None:
            p_checks, p_art = privacy_checks(tables, thr, holdout=hold, seed=int(seeds[1]), alpha=alpha)
        else:
            p_checks, p_art = privacy_checks(stream.view(rowplan.PRIVACY), thr, holdout=hold,
                                             seed=int(seeds[1]), alpha=alpha,
                                             copies=(stream.summary.copies, tables.n_synth),
                                             synth_missing=stream.numeric_with_nulls())
        all_checks += a_checks + leak_checks + p_checks
        scores["privacy"] = p_art.pop("score")
        p_art["attacks"] = a_results
        artifacts["privacy"] = p_art
        _lap(timings, "privacy", t0)
    if "utility" in sections:
        from .utility import utility_checks

        t0 = _start(timings, "utility")
        u_tables = tables if stream is None else stream.view(rowplan.UTILITY)
        u_checks, u_art = utility_checks(u_tables, target, thr, holdout=hold, seed=int(seeds[2]), alpha=alpha)
        all_checks += u_checks
        scores["utility"] = u_art["score"]
        artifacts["utility"] = u_art
        _lap(timings, "utility", t0)
    if figures:
        t0 = _start(timings, "pca")
        artifacts["pca"] = (_pca_data(tables, int(seeds[3])) if stream is None else
                            _pca_data(stream.view(rowplan.PCA), int(seeds[3]), stream.numeric_with_nulls()))
        _lap(timings, "pca", t0)
    if model_ref is not None:  # the reference is the model's own sample under its rules
        _label_reference(artifacts, "model under rules (Monte Carlo)")
    if stream is not None:
        meta["streaming"] = stream.meta()
    finite = [v for v in scores.values() if np.isfinite(v)]
    scores["overall"] = float(np.mean(finite)) if finite else math.nan
    _lap(timings, "total", t_start)
    timings.bar.close()
    timings.bar = None
    return ValidationReport(all_checks, scores, meta, artifacts)
