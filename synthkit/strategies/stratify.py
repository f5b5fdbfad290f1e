"""Stratified synthesis: one model per level of a low-cardinality column.

A single copula over a category's codes can only express dependence that rises
or falls with the code order. Real tables often hold *class structure* instead:
in scikit-learn's wine data class 1 has the lowest colour intensity and classes
0 and 2 the highest, so no ordering of the three labels lets one latent normal
carry it (the correlation ratio of colour intensity given the class is 0.76 in
the data and below 0.2 from any single copula).

Stratifying fits the strategy separately within each level of a chosen column
``S`` (a finite mixture with weights ``P(S = s)``)::

    P(X, S) = P(S) · P(X | S),     P(X | S = s) = the strategy fitted on rows with S = s,

so class-conditional marginals and dependence are both kept. Levels with fewer
than ``min_rows`` rows share one pooled model (fitted on all rows). Sampling a
block draws ``S`` from its marginal with the block's generator, then every level's
rows from that level's model with a generator spawned from the block's seed
sequence with key ``(b, level + 1)``, so the block-seeding contract holds.

``stratify="auto"`` picks, among categorical / boolean / discrete columns with 2
to :data:`MAX_LEVELS` levels whose every level has ``min_rows`` rows, the one
with the largest mean rank correlation ratio ``η²`` (between-level share of the
variance of the other numeric columns' ranks), if that mean is at least
:data:`AUTO_MIN_ETA2`; otherwise no stratification.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..columns import ColumnModel
from ..errors import ModelFileError, SpecError
from ..schema import cast_series

if TYPE_CHECKING:  # pragma: no cover
    from .base import Strategy

__all__ = ["Strata", "choose_stratify_column", "MAX_LEVELS", "AUTO_MIN_ETA2"]

MAX_LEVELS = 12
AUTO_MIN_ETA2 = 0.2


def _level_codes(cm: ColumnModel, series: pd.Series) -> np.ndarray:
    """Level index of each row in ``cm``'s support order (-1 for missing)."""
    m = cm.marginal
    isna = series.isna().to_numpy()
    codes = np.full(len(series), -1, dtype=np.int64)
    obs = series[~isna]
    if cm.coded:
        if cm.column.kind == "boolean":
            codes[~isna] = obs.astype(bool).to_numpy().astype(np.int64)
        else:
            codes[~isna] = pd.Index(cm.column.categories or []).get_indexer(obs.to_numpy(dtype=object))
    else:
        codes[~isna] = np.searchsorted(m.support, obs.to_numpy(dtype=float))
    return codes


def _n_levels(cm: ColumnModel) -> int | None:
    support = getattr(cm.marginal, "support", None)
    if not cm.marginal.discrete or support is None:
        return None
    return int(np.asarray(support).size)


def choose_stratify_column(frame: pd.DataFrame, columns: list[ColumnModel], min_rows: int) -> str | None:
    """The ``"auto"`` choice (module docstring), or None."""
    numeric = [cm.name for cm in columns if cm.column.kind in ("continuous", "integer", "datetime")]
    best, best_score = None, AUTO_MIN_ETA2
    for cm in columns:
        k = _n_levels(cm)
        if k is None or not 2 <= k <= MAX_LEVELS or cm.column.null_fraction > 0:
            continue
        codes = _level_codes(cm, frame[cm.name])
        counts = np.bincount(codes[codes >= 0], minlength=k)
        if counts.min() < min_rows:
            continue
        others = [c for c in numeric if c != cm.name]
        if not others:
            continue
        eta2 = []
        for c in others:
            r = frame[c].rank().to_numpy()
            ok = ~np.isnan(r)
            if ok.sum() < 3 or np.var(r[ok]) == 0:
                continue
            means = np.bincount(codes[ok], weights=r[ok], minlength=k) / np.maximum(
                np.bincount(codes[ok], minlength=k), 1)
            between = np.sum(np.bincount(codes[ok], minlength=k) * (means - r[ok].mean()) ** 2)
            eta2.append(between / (np.var(r[ok]) * ok.sum()))
        score = float(np.mean(eta2)) if eta2 else 0.0
        if score > best_score:
            best, best_score = cm.name, score
    return best


class Strata:
    """Per-level models of a stratified strategy (see module docstring)."""

    def __init__(self, by: str, models: list[Strategy | None], pooled: Strategy | None,
                 missing: list[list[str]]):
        self.by = by
        self.models = models      # one per level (None: the level uses `pooled`)
        self.pooled = pooled
        self.missing = missing    # per level: columns with no observed value in it

    @classmethod
    def fit(cls, owner: Strategy, frame: pd.DataFrame, by: str, min_rows: int) -> Strata:
        cm = next(c for c in owner.columns_ if c.name == by)
        k = _n_levels(cm)
        if k is None or k > 10 * MAX_LEVELS:
            raise SpecError(
                f"`stratify` column {by!r} must be categorical, boolean or discrete with at most "
                f"{10 * MAX_LEVELS} levels"
            )
        codes = _level_codes(cm, frame[by])
        others = [c.name for c in owner.columns_ if c.name != by]
        if not others:
            raise SpecError(f"`stratify` column {by!r} is the only column; nothing to stratify")
        params = {**owner.get_params(), "stratify": None}
        # Columns whose marginal is empirical on all rows stay empirical within levels (no
        # family search); the others are selected again on each level's rows.
        declared = params["marginals"] if isinstance(params.get("marginals"), dict) else {}
        default = params["marginals"] if isinstance(params.get("marginals"), str) else "auto"
        params["marginals"] = {
            c.name: declared.get(c.name, "empirical" if c.describe() == "ecdf" else default)
            for c in owner.columns_ if c.name != by
        }
        if params.get("rules"):
            params["rules"] = None  # rules apply to the assembled rows
        sub = frame[others]

        def fit_one(rows: np.ndarray) -> tuple[Strategy, list[str]]:
            part = sub.loc[rows]
            empty = [c for c in others if part[c].isna().all()]
            model = type(owner)(**params).fit(part.drop(columns=empty))
            return model, empty

        models: list[Strategy | None] = []
        missing: list[list[str]] = []
        pooled = None
        for level in range(k):
            rows = codes == level
            if rows.sum() >= min_rows:
                model, empty = fit_one(rows)
                models.append(model)
                missing.append(empty)
            else:
                models.append(None)
                missing.append([])
        if any(m is None for m in models) or (codes < 0).any():
            pooled, _ = fit_one(np.ones(len(frame), dtype=bool))
        return cls(by, models, pooled, missing)

    def model(self, level: int) -> tuple[Strategy, list[str]]:
        if 0 <= level < len(self.models) and self.models[level] is not None:
            return self.models[level], self.missing[level]
        return self.pooled, []

    def sample_block(self, owner: Strategy, n: int, rng: np.random.Generator,
                     root: np.random.SeedSequence, block: int) -> pd.DataFrame:
        by_cm = next(c for c in owner.columns_ if c.name == self.by)
        values = by_cm.values_from_uniform(rng.random(n))
        if by_cm.coded:
            levels = np.asarray(values, dtype=np.int64)
        else:
            levels = np.full(n, -1, dtype=np.int64)
            ok = ~np.isnan(values)
            levels[ok] = np.searchsorted(by_cm.marginal.support, values[ok])
        numeric = {cm.name for cm in owner.columns_ if cm.column.kind in ("continuous", "integer")}
        out: dict[str, np.ndarray] = {}
        for cm in owner.columns_:
            if cm.name != self.by:
                out[cm.name] = np.empty(n, dtype=float if cm.name in numeric else object)
        for level in np.unique(levels):
            idx = np.flatnonzero(levels == level)
            model, empty = self.model(int(level))
            child = np.random.SeedSequence(root.entropy,
                                           spawn_key=tuple(root.spawn_key) + (block, int(level) + 1))
            part = model._sample_block(idx.size, np.random.Generator(np.random.PCG64(child)))
            for name in out:
                if name in empty:
                    out[name][idx] = np.nan if name in numeric else None
                elif name in numeric:
                    out[name][idx] = part[name].to_numpy(dtype=float, na_value=np.nan)
                else:
                    out[name][idx] = part[name].to_numpy(dtype=object)
        frame = {}
        for cm in owner.columns_:
            if cm.name == self.by:
                frame[cm.name] = by_cm.series_from_values(values)
            else:
                frame[cm.name] = cast_series(pd.Series(out[cm.name], name=cm.name), cm.column)
        return pd.DataFrame(frame, copy=False)

    def to_dict(self) -> dict[str, Any]:
        return {"by": self.by,
                "levels": [None if m is None else m.to_dict() for m in self.models],
                "missing": self.missing,
                "pooled": None if self.pooled is None else self.pooled.to_dict()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Strata:
        from .base import Strategy

        try:
            models = [None if m is None else Strategy.from_dict(m) for m in d["levels"]]
            pooled = None if d.get("pooled") is None else Strategy.from_dict(d["pooled"])
            return cls(str(d["by"]), models, pooled, [list(x) for x in d.get("missing", [])])
        except (KeyError, TypeError) as exc:
            raise ModelFileError(f"malformed `strata` entry in the model file: {exc}") from None
