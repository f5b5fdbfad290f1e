"""Stratified synthesis: one model per level of a low-cardinality column.

A single copula over a category's codes can only express dependence that rises
or falls with the code order. Real tables often hold *class structure* instead:
in scikit-learn's wine data class 1 has the lowest colour intensity and classes
0 and 2 the highest, so no ordering of the three labels lets one latent normal
carry it (the correlation ratio of colour intensity given the class is 0.76 in
the data and below 0.2 from any single copula).

Stratifying (:class:`Stratified`, or ``stratify=`` on any strategy) fits the
strategy separately within each level of a chosen column ``S`` (a finite mixture with weights ``P(S = s)``)::

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

from typing import Any

import numpy as np
import pandas as pd

from ..columns import ColumnModel
from ..errors import ModelFileError, SpecError
from ..schema import DISCRETE_MAX_LEVELS, check_frame
from ..seeding import child_seed
from . import _engine
from ._engine import BlockRequest
from ._params import policy
from ._state import FittedDependence
from .base import Strategy
from .registry import get_strategy, register_strategy

__all__ = ["Stratified", "choose_stratify_column", "MAX_LEVELS", "AUTO_MIN_ETA2"]

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


@register_strategy("stratified", listed=False)
class Stratified(Strategy):
    """A mixture of one model per level of a column (see module docstring), over any strategy.

    A meta-strategy: each level's model is ``strategy`` with ``params``, fitted
    on that level's rows and sampled only through the public engine
    (:func:`synthkit.strategies._engine.block_values`). ``stratify=`` on any
    strategy is shorthand for it. The pooled model (all rows) is fitted only
    when some level is too small for a model of its own.

    Parameters
    ----------
    strategy : str
        The registered strategy fitted within each level.
    params : dict, optional
        Its parameters (``rules`` apply to the assembled rows, set them here on
        the wrapper).
    by : str
        The level column, or ``"auto"`` (the column with the strongest class
        structure; without one, a single pooled model).
    **base
        The common :class:`~synthkit.strategies.base.Strategy` parameters.

    Examples
    --------
    >>> import synthkit
    >>> from sklearn.datasets import load_wine
    >>> m = Stratified(strategy="montecarlo", by="target").fit(load_wine(as_frame=True).frame)
    >>> m.sample(5, seed=0).frame.shape
    (5, 14)
    """

    def __init__(self, *, strategy: str = "gaussian_copula", params: dict | None = None,
                 by: str = "auto", **base: Any) -> None:
        super().__init__(**base)
        self.strategy = strategy
        self.params = params
        self.by = by

    def _validate_params(self) -> None:
        super()._validate_params()
        if self.stratify is not None:
            raise SpecError("`stratify` is not a parameter of 'stratified'; give `by`")
        if not isinstance(self.by, str):
            raise SpecError(f"`by` must be 'auto' or a column name, got {self.by!r}")
        if self.params is not None and not isinstance(self.params, dict):
            raise SpecError(f"`params` must be a dict of {self.strategy!r} parameters, got {self.params!r}")
        klass = get_strategy(self.strategy)
        if klass is Stratified:
            raise SpecError("`strategy` must be a strategy other than 'stratified'")
        try:
            klass(**self._level_params())._validate_params()
        except TypeError as exc:
            raise SpecError(f"`params` do not fit strategy {self.strategy!r}: {exc}") from None

    def _level_params(self) -> dict[str, Any]:
        return {**(self.params or {}), "stratify": None, "rules": None, "hierarchies": None}

    def _estimate(self, frame: pd.DataFrame) -> FittedDependence:
        by = self.by
        min_rows = _min_rows(self.columns_)
        if by == "auto":
            by = choose_stratify_column(frame, self.columns_, min_rows)
        self._fit_levels(frame, by, min_rows, get_strategy(self.strategy), self._level_params())
        return FittedDependence()

    def _declare(self) -> FittedDependence:
        raise SpecError("`stratify` needs data: it applies to fitted models only")

    @classmethod
    def wrap(cls, owner: Strategy, frame: pd.DataFrame) -> Stratified | None:
        """The strata of ``owner`` (fitted: ``columns_``/``schema_`` set), or None for none."""
        by, min_rows = owner.stratify, _min_rows(owner.columns_)
        if by == "auto":
            by = choose_stratify_column(frame, owner.columns_, min_rows)
            if by is None:
                return None
        elif by not in owner.schema_.names:
            raise SpecError(f"`stratify` names unknown column {by!r}; columns are {owner.schema_.names}")
        params = {**owner.get_params(), "stratify": None, "rules": None, "hierarchies": None}
        obj = cls(strategy=owner.name, params=params, by=by)
        obj.schema_, obj.columns_, obj.n_train_ = owner.schema_, owner.columns_, owner.n_train_
        obj._fit_levels(frame, by, min_rows, type(owner), params)
        obj._set_state(owner.schema_, owner.columns_, FittedDependence(), n_train=owner.n_train_)
        return obj

    def _fit_levels(self, frame: pd.DataFrame, by: str | None, min_rows: int, klass: type,
                    params: dict[str, Any]) -> None:
        if by is None:  # no level column: one pooled model
            self.by_, self.levels_, self.missing_ = None, [], []
            self.pooled_, _ = _fit_level(klass, params, frame)
            return
        if by not in self.schema_.names:
            raise SpecError(f"`stratify` names unknown column {by!r}; columns are {self.schema_.names}")
        cm = next(c for c in self.columns_ if c.name == by)
        k = _n_levels(cm)
        if k is None or k > 10 * MAX_LEVELS:
            raise SpecError(
                f"`stratify` column {by!r} must be categorical, boolean or discrete with at most "
                f"{10 * MAX_LEVELS} levels"
            )
        codes = _level_codes(cm, frame[by])
        others = [c.name for c in self.columns_ if c.name != by]
        if not others:
            raise SpecError(f"`stratify` column {by!r} is the only column; nothing to stratify")
        # Columns whose marginal is empirical on all rows stay empirical within levels (no
        # family search); the others are selected again on each level's rows.
        params = dict(params)
        declared = params["marginals"] if isinstance(params.get("marginals"), dict) else {}
        default = params.get("marginals") if isinstance(params.get("marginals"), str) else "auto"
        params["marginals"] = {
            c.name: declared.get(c.name, "empirical" if c.describe() == "ecdf" else default)
            for c in self.columns_ if c.name != by
        }
        sub = frame[others]

        continuous = tuple(c.name for c in self.columns_ if c.column.kind == "continuous")

        def fit_one(rows: np.ndarray) -> tuple[Strategy, list[str]]:
            return _fit_level(klass, params, sub.loc[rows], continuous)

        models: list[Strategy | None] = []
        missing: list[list[str]] = []
        for level in range(k):
            rows = codes == level
            model, empty = fit_one(rows) if rows.sum() >= min_rows else (None, [])
            models.append(model)
            missing.append(empty)
        pooled = None
        if any(m is None for m in models) or (codes < 0).any():
            pooled, _ = fit_one(np.ones(len(frame), dtype=bool))
        self.by_, self.levels_, self.missing_, self.pooled_ = by, models, missing, pooled

    def _strata_protections(self) -> list[dict]:
        """The protections of the level models, each record with its ``"stratum"``: the level's
        index in the ``by`` column's levels, or ``"pooled"`` for the model of small levels and
        missing ones."""
        models = [(i, m) for i, m in enumerate(self.levels_) if m is not None]
        if self.pooled_ is not None:
            models.append(("pooled", self.pooled_))
        return [{**r, "stratum": s} for s, m in models for r in m.privacy_.get("protections", [])]

    def _on_state(self) -> None:
        if not hasattr(self, "levels_"):
            self.by_, self.levels_, self.missing_, self.pooled_ = None, [], [], None

    def _level_model(self, level: int) -> tuple[Strategy, list[str]]:
        if 0 <= level < len(self.levels_) and self.levels_[level] is not None:
            return self.levels_[level], self.missing_[level]
        return self.pooled_, []

    # ------------------------------------------------------------ drawing
    def _draw(self, request: BlockRequest) -> list[np.ndarray]:
        if request.conditions:
            raise SpecError("`conditions` are not supported by stratified models; fit with stratify=None")
        n, rng = request.rows, request.rng
        # the levels' blocks: keys (b, level + 1) under the sample's root
        sub_root = child_seed(request.root, request.index)
        if self.by_ is None:
            return _engine.block_values(self.pooled_, 0, sub_root, n)
        names = [cm.name for cm in self.columns_]
        jby = names.index(self.by_)
        by_cm = self.columns_[jby]
        by_values = by_cm.values_from_uniform(rng.random(n))
        if by_cm.coded:
            levels = np.asarray(by_values, dtype=np.int64)
        else:
            levels = np.full(n, -1, dtype=np.int64)
            ok = ~np.isnan(by_values)
            levels[ok] = np.searchsorted(by_cm.marginal.support, by_values[ok])
        out = [by_values if j == jby else
               np.full(n, -1 if cm.coded else np.nan, dtype=np.int64 if cm.coded else float)
               for j, cm in enumerate(self.columns_)]
        for level in np.unique(levels):
            idx = np.flatnonzero(levels == level)
            model, _ = self._level_model(int(level))
            part = _engine.block_values(model, int(level) + 1, sub_root, idx.size)
            for cm, v in zip(model.columns_, part, strict=True):
                j = names.index(cm.name)
                out[j][idx] = _to_parent(self.columns_[j], cm, v)
        return out

    # ------------------------------------------------------------ persistence
    def _dependence_to_dict(self) -> dict[str, Any]:
        return {"strata": self.strata_to_dict()}

    def _dependence_from_dict(self, d: dict[str, Any]) -> FittedDependence:
        if not isinstance(d.get("strata"), dict):
            raise ModelFileError("stratified model document: `dependence.strata` is missing")
        self._read_strata(d["strata"])
        return FittedDependence()

    def strata_to_dict(self) -> dict[str, Any]:
        """The levels' model documents (the ``strata`` entry of a model document)."""
        return {"by": self.by_,
                "levels": [None if m is None else m.to_dict() for m in self.levels_],
                "missing": self.missing_,
                "pooled": None if self.pooled_ is None else self.pooled_.to_dict()}

    def _read_strata(self, d: dict[str, Any]) -> None:
        try:
            self.levels_ = [None if m is None else Strategy.from_dict(m) for m in d["levels"]]
            self.pooled_ = None if d.get("pooled") is None else Strategy.from_dict(d["pooled"])
            self.by_ = None if d["by"] is None else str(d["by"])
            self.missing_ = [list(x) for x in d.get("missing", [])]
        except (KeyError, TypeError) as exc:
            raise ModelFileError(f"malformed `strata` entry in the model file: {exc}") from None
        if self.by_ is not None and self.by_ not in self.schema_.names:
            raise ModelFileError(f"`strata.by` names unknown column {self.by_!r}")
        if self.pooled_ is None and (self.by_ is None or any(m is None for m in self.levels_)):
            raise ModelFileError("malformed `strata` entry in the model file: a level has no model")

    @classmethod
    def strata_from_dict(cls, owner: Strategy, d: Any) -> Stratified:
        """The strata of ``owner`` from its document's ``strata`` entry."""
        if not isinstance(d, dict):
            raise ModelFileError("malformed `strata` entry in the model file: not an object")
        obj = cls(strategy=owner.name, params={**owner.get_params(), "stratify": None, "rules": None},
                  by=str(d.get("by")))
        obj.schema_, obj.columns_, obj.n_train_ = owner.schema_, owner.columns_, owner.n_train_
        obj._read_strata(d)
        obj._set_state(owner.schema_, owner.columns_, FittedDependence(), n_train=owner.n_train_)
        return obj


def _fit_level(klass: type, params: dict[str, Any], frame: pd.DataFrame,
               continuous: tuple[str, ...] = ()) -> tuple[Strategy, list[str]]:
    """A level's model fitted on its rows of the owner's (already protected) modelled table.

    The rows are protected again as a part of the table (:func:`~synthkit.privacy.protect_frame`
    with ``labels="redistribute"``, ``sparse="missing"``): the level's own extremes are
    top/bottom coded, its labels held by fewer than ``min_count`` of its rows are redistributed
    over its other labels (never a new label: the owner maps the level's labels to its own), and
    a column with fewer than ``min_count`` values in the level is left out of it (sampled missing
    there). The whole table's ``continuous`` columns stay continuous in the level (coded and
    stored as bounded quantile functions, empirical where the level's few values of them would
    otherwise be fitted as a discrete support of rare values). Returns the model, whose
    ``privacy_`` records these protections, and the columns it leaves out.
    """
    from ..privacy import protect_frame

    model = klass(**params)
    model._validate_params()
    active = policy(model).active
    continuous = tuple(continuous) if active else ()
    frame, records = protect_frame(check_frame(frame), policy(model), labels="redistribute", sparse="missing",
                                   continuous=continuous)
    empty = [c for c in frame.columns if frame[c].isna().all()]
    if isinstance(model.marginals, dict):
        model.marginals = {c: v for c, v in model.marginals.items() if c not in empty}
        for c in continuous:  # few values in this level: empirical, not a pmf of rare atoms
            if c in model.marginals and c not in empty and frame[c].nunique() <= DISCRETE_MAX_LEVELS:
                model.marginals[c] = "empirical"
    model._fit_frame(frame.drop(columns=empty), None, records, continuous)
    return model, empty


def _min_rows(columns: list[ColumnModel]) -> int:
    return max(20, 2 * (len(columns) - 1))


def _to_parent(parent: ColumnModel, child: ColumnModel, values: np.ndarray) -> np.ndarray:
    """A level model's values of a column in the whole table's value form (codes remapped)."""
    if parent.coded:
        mapping = pd.Index(list(parent.column.categories or [])).get_indexer(
            list(child.column.categories or []))
        mapping = np.append(mapping, -1)  # code -1 (missing) stays missing
        return mapping[np.asarray(values, dtype=np.int64)]
    values = np.asarray(values, dtype=float)
    if child.column.dtype.lower().startswith(("int", "uint")) and not child.marginal.discrete:
        values = np.round(values)  # as the level model's typed column
    return values
