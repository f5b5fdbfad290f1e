"""The release workflow: fit with privacy on, sample, attack, write, decide.

:func:`anonymize` turns a confidential table into a synthetic release with its
evidence:

1. the rows are split at random into a *training* part (default 80 %) and a
   *holdout* the generator never sees - the control group of the attacks;
2. a strategy (default ``gaussian_copula``) is fitted on the training rows with
   ``privacy="standard"``: identifier / PII columns are generated, rare levels and
   extremes are protected, the model stores no record (:mod:`synthkit.privacy`);
3. the release is sampled (default: as many rows as the input table); a
   generated identifier / PII value that happens to equal a real one is drawn
   again (from a stream of the same seed, so the release stays reproducible);
4. :func:`synthkit.validate` compares the release with the training rows -
   fidelity, and privacy by distances and by attacks (singling-out,
   linkability, attribute inference against the holdout, membership inference);
5. the release, the model, an HTML report and a machine-readable verdict are
   written. The release *passes* when every privacy check passes; fidelity
   failures are reported but do not block it.

An existing release can be audited the same way: give ``synthetic=`` (and the
``holdout`` rows that were kept out of its fitting) instead of fitting.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError, SpecError
from .schema import check_frame
from .seeding import SeedLike, as_seed_sequence, child_generator
from .validation.privacy import check_kept_out

__all__ = ["anonymize", "run_release_recipe", "AnonymizationResult", "MIN_HOLDOUT_ROWS"]

#: The attacks need at least this many holdout (control) rows.
MIN_HOLDOUT_ROWS = 50
#: Rounds of redrawing generated values that equal a real value.
_REDRAW_ROUNDS = 8
#: Key of the redraw streams under the release's seed (the split, fit and sample use 0, 1, 2).
_REDRAW_STREAM = 3


@dataclass
class AnonymizationResult:
    """What :func:`anonymize` made: the release, its model, its report and the verdict.

    ``passed`` is True when every privacy check passed; ``verdict`` is the
    machine-readable summary written as ``verdict.json``.
    """

    synthetic: pd.DataFrame
    model: Any
    report: Any
    verdict: dict[str, Any]
    paths: dict[str, Path]

    @property
    def passed(self) -> bool:
        return bool(self.verdict["passed"])


def _split(frame: pd.DataFrame, holdout: float,
           rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    if isinstance(holdout, bool) or not isinstance(holdout, (int, float)) or not 0 < holdout < 1:
        raise SpecError("`holdout` must be the share of rows kept out of fitting, in (0, 1), "
                        f"got {holdout!r}")
    n = len(frame)
    k = int(round(holdout * n))
    if k < MIN_HOLDOUT_ROWS or n - k < MIN_HOLDOUT_ROWS:
        raise DataError(f"the table has {n} rows: the attacks need at least {MIN_HOLDOUT_ROWS} training "
                        f"and {MIN_HOLDOUT_ROWS} holdout rows (holdout={holdout})")
    order = rng.permutation(n)
    return frame.iloc[np.sort(order[k:])], frame.iloc[np.sort(order[:k])]


def _redraw_real_values(model: Any, synthetic: pd.DataFrame, real: pd.DataFrame,
                        root: np.random.SeedSequence) -> dict[str, int]:
    """Draw again every generated PII value equal to a real one (vectorised, seeded); counts per column.

    Values compare as in :func:`synthkit.privacy.real_values_emitted`. Identifiers need no
    redraw: their formats exclude every real id by construction.
    """
    from .privacy.generators import real_value_mask

    counts: dict[str, int] = {}
    labels = model.schema.labels()
    for j, g in enumerate(model.generated_):
        name = labels.get(g.name, g.name)
        if name not in real.columns or g.column.role != "pii":
            continue
        col = synthetic[name]
        redrawn = 0
        for r in range(_REDRAW_ROUNDS):
            hit = np.flatnonzero(real_value_mask(real[name], col))
            if hit.size == 0:
                break
            rng = child_generator(root, _REDRAW_STREAM, j, r)
            slots = np.int64(2**40 + r * 2**32) + hit.astype(np.int64)
            values = col.to_numpy(dtype=object).copy()
            values[hit] = g.generator.generate(slots, int(rng.integers(0, 2**63 - 1)), rng)
            col = pd.Series(values, index=col.index, name=name).astype(col.dtype)
            redrawn += int(hit.size)
        synthetic[name] = col
        counts[str(name)] = redrawn
    return counts


def _release_params(params: dict[str, Any] | None, **given: Any) -> dict[str, Any]:
    """The strategy parameters of a release: ``params`` plus the release's privacy arguments."""
    params = dict(params or {})
    if params.get("privacy", "standard") != "standard":
        raise SpecError(f"a release is always fitted with privacy='standard', got params "
                        f"privacy={params['privacy']!r}")
    defaults = {"roles": None, "min_count": 5, "locale": None}
    for key, value in given.items():
        if key in params and value != defaults[key] and params[key] != value:
            raise SpecError(f"`{key}` is given twice, as an argument ({value!r}) and in `params` "
                            f"({params[key]!r}); give it once")
        params[key] = params.get(key, value) if value == defaults[key] else value
    return {**params, "privacy": "standard"}


def _verdict(report: Any, n_train: int, n_holdout: int, n_rows: int, redrawn: dict[str, int],
             model: Any) -> dict[str, Any]:
    table = report.describe()
    failed = table[table["passed"] == False]  # noqa: E712 - None means informational
    privacy_failed = failed[failed["section"] == "privacy"]
    risks = []
    for row in table[(table["section"] == "privacy")].itertuples():
        risks.append({"check": row.statistic, "columns": row.columns, "value": _num(row.value),
                      "threshold": _num(row.threshold),
                      "passed": None if row.passed is None or pd.isna(row.passed) else bool(row.passed)})
    first = privacy_failed.iloc[0] if len(privacy_failed) else None
    return {
        "passed": bool(len(privacy_failed) == 0),
        "first_privacy_failure": None if first is None else
        {"check": first["statistic"], "columns": first["columns"], "value": _num(first["value"]),
         "threshold": _num(first["threshold"])},
        "privacy_failures": [f"{r.statistic} [{r.columns}]" for r in privacy_failed.itertuples()],
        "fidelity_failures": [f"{r.section} {r.statistic} [{r.columns}]"
                              for r in failed[failed["section"] != "privacy"].itertuples()],
        "quality": _num(report.scores.get("overall", float("nan"))),
        "rows": {"training": n_train, "holdout": n_holdout, "synthetic": n_rows},
        "generated_columns": [] if model is None else
        [{"column": g.name, "role": g.column.role, "reason": g.column.role_reason}
         for g in model.generated_],
        "generated_values_redrawn": redrawn,
        "protections": [] if model is None else model.privacy_.get("protections", []),
        "privacy_checks": risks,
    }


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else None


def anonymize(
    data: pd.DataFrame,
    *,
    strategy: str = "gaussian_copula",
    rows: int | None = None,
    holdout: float | pd.DataFrame = 0.2,
    seed: SeedLike = 0,
    roles: dict[str, str] | None = None,
    min_count: int = 5,
    locale: str | None = None,
    params: dict[str, Any] | None = None,
    synthetic: pd.DataFrame | None = None,
    out_dir: str | os.PathLike | None = None,
    parents: bool = False,
    progress: bool | None = None,
) -> AnonymizationResult:
    """Make (or audit) an anonymized synthetic release of ``data`` with its evidence.

    Parameters
    ----------
    data : DataFrame
        The confidential table (with ``synthetic=``: the rows the release was fitted on).
    strategy : str
        The generation strategy (default ``"gaussian_copula"``), fitted with ``privacy="standard"``.
    rows : int, optional
        Rows of the release (default: as many as ``data``).
    holdout : float or DataFrame
        Share of ``data`` kept out of fitting as the attacks' control group (default 0.2),
        or the holdout rows themselves (required with ``synthetic=``).
    seed : int, SeedSequence or Generator
        Seed of the split, the fit's random steps, the sample and the attacks.
    roles, min_count, locale : optional
        Column roles, the protections' ``k`` and the PII locale (see :class:`~synthkit.Strategy`).
    params : dict, optional
        Further parameters of the strategy (a release is always fitted with
        ``privacy="standard"``; ``roles``, ``min_count`` and ``locale`` may be given here or
        as arguments, not both).
    synthetic : DataFrame, optional
        Audit this release instead of making one (nothing is fitted).
    out_dir : path, optional
        Folder to write ``synthetic.csv``, ``model.json`` (not when auditing),
        ``report.html`` and ``verdict.json``. The report is for the data owner: it shows
        summaries of the real rows (histograms, ranges, a PCA of real rows); the release is
        ``synthetic.csv``, ``model.json`` and ``verdict.json``.
    parents : bool
        Create the output folder's missing parents.
    progress : bool, optional
        Progress bars (default: on a terminal for long work).

    Returns
    -------
    AnonymizationResult
        ``.passed`` is False when a privacy check failed; ``.verdict["first_privacy_failure"]``
        names the check that caught it first.

    Examples
    --------
    >>> import synthkit
    >>> df = synthkit.datasets.load_example("sklearn:breast_cancer")
    >>> res = synthkit.anonymize(df, seed=1)  # out_dir="release/" writes the files
    >>> res.synthetic.shape == df.shape, isinstance(res.passed, bool)
    (True, True)
    """
    from .api import fit
    from .io import json_text, make_output_folder, write_table, write_text
    from .validation import validate

    frame = check_frame(data)
    root = as_seed_sequence(seed)
    params = _release_params(params, roles=roles, min_count=min_count, locale=locale)
    if rows is not None:
        from ._counts import check_n

        rows = check_n(rows, "rows")  # before the output folder is made
    out = make_output_folder(out_dir, parents=parents) if out_dir is not None else None
    if isinstance(holdout, pd.DataFrame):
        train, hold = frame, check_frame(holdout, what="the holdout table")
        check_kept_out(train, hold)
    elif synthetic is not None:
        raise SpecError("auditing a release (`synthetic=`) needs the `holdout` rows that were kept out "
                        "of its fitting, as a DataFrame")
    else:
        train, hold = _split(frame, holdout, child_generator(root, 0))
    model = None
    redrawn: dict[str, int] = {}
    if synthetic is None:
        model = fit(train, strategy=strategy, progress=progress, **params)
        n = len(frame) if rows is None else rows
        release = model.sample(n, seed=child_generator(root, 1), progress=progress).frame
        redrawn = _redraw_real_values(model, release, frame, root)
    else:
        release = check_frame(synthetic, what="the synthetic table")
    report = validate(train, release, holdout=hold, roles=params["roles"], seed=child_generator(root, 2),
                      progress=progress)
    verdict = _verdict(report, len(train), len(hold), len(release), redrawn, model)
    paths: dict[str, Path] = {}
    if out is not None:
        # everything that can fail on the data first: a failure leaves the folder as it was
        page, verdict_json = report.to_html(progress=progress), json_text(verdict)
        if synthetic is None:
            paths["synthetic"] = write_table(release, out / "synthetic.csv")
            paths["model"] = model.save(out / "model.json")
        paths["report"] = write_text(out / "report.html", page)
        paths["verdict"] = write_text(out / "verdict.json", verdict_json)
    return AnonymizationResult(release, model, report, verdict, paths)


def run_release_recipe(path: str | os.PathLike | dict, *, out_dir: str | os.PathLike | None = None,
                       rows: int | None = None, seed: int | None = None, parents: bool = False,
                       allow_outside: bool = False, progress: bool | None = None) -> AnonymizationResult:
    """Run a recipe with an ``anonymize`` section (see :mod:`synthkit.recipes`) through :func:`anonymize`.

    The release is written to the section's ``folder`` (inside ``out_dir`` when given),
    which must stay inside the working directory unless ``allow_outside=True``.
    """
    from .errors import RecipeError, SynthkitError
    from .recipes import Recipe, confine_path, find_recipe, load_recipe

    if isinstance(path, dict):
        doc, source, base = path, "<recipe>", Path.cwd()
    else:
        found = find_recipe(path)
        doc, source, base = load_recipe(found), str(found), found.resolve().parent
    doc = {**doc, **({} if rows is None else {"rows": rows}), **({} if seed is None else {"seed": seed})}
    recipe = Recipe.from_dict(doc, source, base)
    if recipe.anonymize is None:
        raise RecipeError(f"{source}: not a release recipe (no `anonymize` section); run it with "
                          "`synthkit run`")
    spec = recipe.anonymize
    folder = Path(spec["folder"]) if out_dir is None else Path(out_dir) / Path(spec["folder"]).name
    if not allow_outside:
        confine_path(folder if out_dir is None else Path(spec["folder"]).name, "anonymize.folder", source,
                     Path.cwd() if out_dir is None else Path(out_dir))
    try:
        return anonymize(recipe.load_data(), strategy=recipe.strategy, rows=recipe.rows,
                         seed=0 if recipe.seed is None else recipe.seed, holdout=spec.get("holdout", 0.2),
                         roles=spec.get("roles"), min_count=spec.get("min_count", 5),
                         locale=spec.get("locale"), params=recipe.params, out_dir=folder,
                         parents=parents, progress=progress)
    except RecipeError:
        raise
    except SynthkitError as exc:
        raise RecipeError(f"{source}: {exc}") from None
