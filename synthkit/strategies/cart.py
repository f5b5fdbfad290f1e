"""Sequential CART synthesis (Reiter 2005; R synthpop's default method): one tree per column."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from ..columns import _datetime_seconds
from ..dependence.copula import clip_uniform
from ..errors import FitError, ModelFileError, SpecError
from ..seeding import as_generator
from ._engine import BlockRequest
from ._state import FittedDependence
from ._trees import (
    MAX_TREE_DEPTH,
    Tree,
    fit_tree,
    leaf_bandwidths,
    leaf_knots,
    leaf_levels,
    leaf_rates,
    tree_from_dict,
)
from .base import Strategy
from .registry import register_strategy

__all__ = ["Cart", "VISIT_ORDERS", "SMOOTHINGS"]

#: The named visit orders (a list of column names is accepted too).
VISIT_ORDERS = ("levels", "data")
#: The smallest default leaf (synthpop's ``minbucket``).
MIN_LEAF = 5
#: How a continuous column is drawn within its leaf.
SMOOTHINGS = ("quantile", "density")


def _target_kind(cm) -> str:
    """``"levels"`` (categorical / boolean codes), ``"atoms"`` (a finite discrete support) or ``"knots"``."""
    if cm.coded:
        return "levels"
    if getattr(cm.marginal, "discrete", False) and hasattr(cm.marginal, "support"):
        return "atoms"
    return "knots"


def _values(cm, series: pd.Series) -> np.ndarray:
    """A column of the real table in value form (``values_from_uniform``'s): codes (-1 missing) or floats."""
    col = cm.column
    isna = series.isna().to_numpy()
    if col.kind == "boolean":
        out = np.full(len(series), -1, dtype=np.int64)
        out[~isna] = series[~isna].astype(bool).to_numpy().astype(np.int64)
        return out
    if col.kind == "categorical":
        codes = pd.Index(col.categories or []).get_indexer(series.to_numpy(dtype=object))
        return np.where(isna, -1, codes).astype(np.int64)
    if col.kind == "datetime":
        return _datetime_seconds(series)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _feature(cm, values: np.ndarray) -> np.ndarray:
    """Value form -> the trees' feature form: floats, NaN where missing (codes: -1)."""
    if cm.coded:
        return np.where(values < 0, np.nan, values.astype(float))
    return np.asarray(values, dtype=float)


def _atom_uniforms(cm) -> np.ndarray:
    """The middle of each support value's probability interval (maps back to that value)."""
    probs = np.asarray(cm.marginal.probs, dtype=float)
    cum = np.cumsum(probs)
    return clip_uniform((cum - probs / 2) / cum[-1])


@register_strategy("cart")
class Cart(Strategy):
    """Sequential CART (Reiter 2005; R synthpop's default ``"cart"`` method).

    The columns are synthesised one at a time in a visit order: the first from its
    fitted column model (the marginal layer), every later column ``j`` from a
    decision tree (scikit-learn's CART) fitted on the columns before it,
    ``X_j | X_1 .. X_{j-1}``. Each synthetic row falls into a leaf of each tree
    (the predictors being its already synthesised values) and its value is drawn
    from that leaf's distribution:

    * categorical and boolean columns: a classification tree (Gini); the leaf keeps
      the frequencies of the levels (missing being a level of its own);
    * columns with a finite discrete support (integer codes, counts, survey answers):
      a regression tree of the column's mid-distribution value
      ``(F(x-) + F(x)) / 2`` (squared error, so the levels' order guides the
      splits); the leaf keeps the frequencies of the support values;
    * continuous and datetime columns: the same regression tree; the leaf keeps at
      most 32 quantiles of ``F(x)`` (the distributional transform), drawn by linear
      interpolation (a piecewise-uniform density between quantiles, a smoothing of
      the leaf's values) and mapped back through the column model, so protected
      tails and bounds hold. ``smoothing="density"`` adds a Gaussian kernel of
      per-leaf bandwidth (Silverman's rule, as synthpop's ``smoothing="density"``)
      on the normal-score scale;
    * a nullable non-categorical column gets a second classification tree for
      whether the cell is missing (the leaf keeps its null rate); the value tree is
      fitted on the observed rows.

    The model stores the trees (children, feature, threshold, missing-value side)
    and the leaf summaries, never a record. Every leaf summarises at least
    ``min_leaf`` training rows (scikit-learn's ``min_samples_leaf``, synthpop's
    ``minbucket``), and at least ``min_count`` with ``privacy="standard"``. The
    default grows with the table, ``max(5, ceil(sqrt(n)))``: with synthpop's fixed 5,
    trees on integer-coded survey tables (statsmodels fair, anes96, randhie) reach
    leaves that nearly single out their rows, and the synthetic rows copy training
    rows more often than holdout rows do (``synthkit.validate``'s exact-copy and
    attribute-inference checks fail), while leaves of ``sqrt(n)`` rows pass them
    with an equal or higher SDMetrics quality (``benchmarks/tabular.py``). The predictors are the earlier
    columns in value form (category codes, numbers, seconds since the epoch; a
    missing value is a number below every value, :data:`~synthkit.strategies._trees.MISSING_VALUE`).

    Visit order (``visit_order``):

    * ``"levels"`` (default): fewest distinct observed values first (ties in table
      order). Low-cardinality columns are then drawn from their exact marginal or
      from small classification trees, and serve as split variables for the
      many-valued columns drawn last, whose trees have the most predictors;
    * ``"data"``: the table's order (synthpop's default). Measured with
      ``benchmarks/tabular.py`` (SDMetrics Quality, 3 seeds) on statsmodels anes96,
      fair and randhie: ``"levels"`` 0.967, 0.993, 0.987; ``"data"`` 0.957, 0.995, 0.987;
    * a list of column names: that order (unlisted columns after, in table order).

    Fitted mode only (a tree needs data).

    Parameters
    ----------
    min_leaf : int, optional
        Fewest training rows in a leaf (default ``max(5, ceil(sqrt(n)))`` for ``n`` rows).
    max_depth : int, optional
        Deepest tree (``None``: grown until ``min_leaf`` stops it, at most 64 levels).
    visit_order : {"levels", "data"} or list of str
        The order the columns are synthesised in (above).
    smoothing : {"quantile", "density"}
        How continuous columns are drawn in a leaf (above).
    fit_seed : int
        Seed of the fit's randomness (tie breaks of the trees, the distributional
        transform of discrete values).
    **params
        The common :class:`~synthkit.strategies.base.Strategy` parameters.

    Attributes
    ----------
    visit_order_ : list of str
        The columns in the order they are synthesised.

    Examples
    --------
    >>> import synthkit
    >>> from sklearn.datasets import load_wine
    >>> m = synthkit.fit(load_wine(as_frame=True).frame.iloc[:, :5], strategy="cart")
    >>> m.sample(100, seed=0).frame.shape
    (100, 5)
    """

    def __init__(self, *, min_leaf: int | None = None, max_depth: int | None = None,
                 visit_order: str | list[str] = "levels", smoothing: str = "quantile", fit_seed: int = 0,
                 **params: Any) -> None:
        super().__init__(**params)
        self.min_leaf = min_leaf
        self.max_depth = max_depth
        self.visit_order = visit_order
        self.smoothing = smoothing
        self.fit_seed = fit_seed

    def _validate_params(self) -> None:
        super()._validate_params()
        ml = self.min_leaf
        if ml is not None and (isinstance(ml, bool) or not isinstance(ml, (int, np.integer)) or ml < 1):
            raise SpecError(f"`min_leaf` must be None or a positive integer, got {ml!r}")
        md = self.max_depth
        if md is not None and (isinstance(md, bool) or not isinstance(md, (int, np.integer))
                               or not 1 <= md <= MAX_TREE_DEPTH):
            raise SpecError(f"`max_depth` must be None or an integer in [1, {MAX_TREE_DEPTH}], got {md!r}")
        vo = self.visit_order
        if not (vo in VISIT_ORDERS if isinstance(vo, str) else
                isinstance(vo, (list, tuple)) and all(isinstance(c, str) for c in vo)
                and len(set(vo)) == len(vo)):
            raise SpecError(f"`visit_order` must be one of {list(VISIT_ORDERS)} or a list of distinct "
                            f"column names, got {vo!r}")
        if self.smoothing not in SMOOTHINGS:
            raise SpecError(f"`smoothing` must be one of {list(SMOOTHINGS)}, got {self.smoothing!r}")
        fs = self.fit_seed
        if isinstance(fs, bool) or not isinstance(fs, (int, np.integer)) or fs < 0:
            raise SpecError(f"`fit_seed` must be a non-negative int, got {fs!r}")

    # ------------------------------------------------------------------ fitting
    def _min_leaf(self, n: int) -> int:
        """The fewest rows of a leaf for ``n`` training rows: ``min_leaf`` (default
        ``max(5, ceil(sqrt(n)))``), raised to ``min_count`` under the standard privacy policy."""
        ml = max(MIN_LEAF, math.ceil(math.sqrt(n))) if self.min_leaf is None else int(self.min_leaf)
        return max(ml, int(self.min_count)) if self.privacy == "standard" else ml

    def _order(self, frame: pd.DataFrame) -> list[str]:
        names = [cm.name for cm in self.columns_]
        vo = self.visit_order
        if vo == "data":
            return names
        if vo == "levels":
            distinct = [frame[n].nunique(dropna=True) for n in names]
            return [names[j] for j in np.argsort(distinct, kind="stable")]
        listed = [c for c in vo if c in names]  # (generated columns and a stratum's level column left out)
        return listed + [c for c in names if c not in listed]

    def fit(self, data: pd.DataFrame, *, progress: bool | None = None) -> Cart:
        """Fit the column models and the trees (see the class docstring); returns self.

        A table with one modelled column is refused (a stratified model's level may have one).
        ``progress`` as in :meth:`Strategy.fit <synthkit.strategies.base.Strategy.fit>`.
        """
        vo = self.visit_order
        if isinstance(vo, (list, tuple)) and isinstance(data, pd.DataFrame):
            unknown = sorted(set(map(str, vo)) - set(map(str, data.columns)))
            if unknown:
                raise SpecError(f"`visit_order` names unknown column(s) {unknown}; the columns are "
                                f"{[str(c) for c in data.columns]}")
        super().fit(data, progress=progress)
        if len(self.columns_) < 2 and self.strata_ is None:
            del self.dependence_
            raise FitError("cart needs at least two columns (the first is drawn from its marginal, "
                           "the others from trees on the columns before them); use montecarlo for one")
        return self

    def _estimate(self, frame: pd.DataFrame) -> FittedDependence:
        order = self._order(frame)
        by_name = {cm.name: cm for cm in self.columns_}
        rng = as_generator(int(self.fit_seed))
        n = len(frame)
        min_leaf = self._min_leaf(n)
        x = np.empty((n, len(order)), dtype=float)
        trees: dict[str, Tree] = {}
        missing: dict[str, Tree] = {}
        for i, name in enumerate(order):
            cm = by_name[name]
            v = _values(cm, frame[name])
            x[:, i] = _feature(cm, v)
            if i == 0:
                continue
            feats, kind = x[:, :i], _target_kind(cm)
            if kind == "levels":
                tree, leaf = fit_tree(feats, v + 1, classify=True, min_leaf=min_leaf,
                                      max_depth=self.max_depth, random_state=rng.integers(2 ** 31 - 1))
                tree.kind, tree.summary = kind, leaf_levels(leaf, v + 1, tree.n_leaves,
                                                            len(cm.column.categories or []) + 1)
                trees[name] = tree.prepare()
                continue
            obs = ~np.isnan(v)
            if not obs.all():
                mt, leaf = fit_tree(feats, ~obs, classify=True, min_leaf=min_leaf, max_depth=self.max_depth,
                                    random_state=rng.integers(2 ** 31 - 1))
                mt.kind, mt.summary = "null_rate", leaf_rates(leaf, ~obs, mt.n_leaves)
                missing[name] = mt
            xo = v[obs]
            hi, lo = cm.marginal.cdf(xo), cm.marginal.cdf_left(xo)
            mid = clip_uniform(0.5 * (lo + hi))
            u = clip_uniform(lo + rng.random(xo.size) * (hi - lo))
            tree, leaf = fit_tree(feats[obs], mid, classify=False, min_leaf=min_leaf,
                                  max_depth=self.max_depth, random_state=rng.integers(2 ** 31 - 1))
            tree.kind = "levels" if kind == "atoms" else "knots"
            if kind == "atoms":
                atom = cm.marginal.ppf_index(mid)
                tree.summary = leaf_levels(leaf, atom, tree.n_leaves, cm.marginal.support.size)
            else:
                tree.summary = leaf_knots(leaf, u, tree.n_leaves)
                if self.smoothing == "density":
                    tree.summary["bandwidth"] = leaf_bandwidths(leaf, special.ndtri(u), tree.n_leaves)
            trees[name] = tree.prepare()
        return FittedDependence(params={"order": order, "trees": trees, "missing": missing})

    def _declare(self) -> FittedDependence:
        raise SpecError("the 'cart' strategy is fitted from data only (its trees need rows); declare "
                        "the table with 'gaussian_copula' or 'montecarlo', or fit cart on a sample")

    @property
    def visit_order_(self) -> list[str]:
        """The columns in the order they are synthesised."""
        return list(self.dependence_.params["order"])

    # ----------------------------------------------------------------- sampling
    def _draw(self, request: BlockRequest) -> list[np.ndarray]:
        if request.conditions:
            raise SpecError("the 'cart' strategy does not support `conditions`")
        n, rng = request.rows, request.rng
        params = self.dependence_.params
        order, trees, missing = params["order"], params["trees"], params["missing"]
        by_name = {cm.name: cm for cm in self.columns_}
        x = np.empty((n, len(order)), dtype=float)
        out: dict[str, np.ndarray] = {}
        for i, name in enumerate(order):
            cm = by_name[name]
            pi = float(cm.column.null_fraction)
            if i == 0:
                u = rng.random(n)
                values = cm.values_from_uniform(u, rng.random(n) if pi > 0 else None)
            elif cm.coded:
                tree = trees[name]
                values = tree.draw(tree.apply(x[:, :i]), rng.random(n)) - 1
            else:
                null = None
                if name in missing:
                    mt = missing[name]
                    null = mt.draw(mt.apply(x[:, :i]), rng.random(n))
                tree = trees[name]
                leaf = tree.apply(x[:, :i])
                if tree.kind == "levels":  # a discrete support's values
                    u = _atom_uniforms(cm)[tree.draw(leaf, rng.random(n))]
                else:
                    u = tree.draw(leaf, rng.random(n))
                    if "bandwidth" in tree.summary:
                        z = special.ndtri(clip_uniform(u)) + tree.summary["bandwidth"][leaf] * \
                            rng.standard_normal(n)
                        u = special.ndtr(z)
                m = None if pi <= 0 else (np.ones(n) if null is None else np.where(null, 0.0, 1.0))
                values = cm.values_from_uniform(clip_uniform(u), m)
            out[name] = values
            x[:, i] = _feature(cm, values)
        return [out[cm.name] for cm in self.columns_]

    # --------------------------------------------------------------------- JSON
    def _dependence_to_dict(self) -> dict[str, Any]:
        params = self.dependence_.params
        return {"order": list(params["order"]),
                "trees": {k: t.to_dict() for k, t in params["trees"].items()},
                "missing": {k: t.to_dict() for k, t in params["missing"].items()}}

    def _dependence_from_dict(self, d: dict[str, Any]) -> FittedDependence:
        names = [cm.name for cm in self.columns_]
        order = d.get("order")
        if not isinstance(order, list) or sorted(map(str, order)) != sorted(names):
            raise ModelFileError(f"cart model document: `dependence.order` must list the columns {names} "
                                 "once each")
        by_name = {cm.name: cm for cm in self.columns_}
        raw_trees, raw_missing = d.get("trees"), d.get("missing", {})
        if not isinstance(raw_trees, dict) or not isinstance(raw_missing, dict):
            raise ModelFileError("cart model document: `dependence.trees` and `dependence.missing` must be "
                                 "objects {column: tree}")
        if sorted(raw_trees) != sorted(order[1:]) or not set(raw_missing) <= set(order[1:]):
            raise ModelFileError("cart model document: `dependence.trees` must hold one tree per column "
                                 "after the first of `order` (and `missing` only such columns)")
        trees, missing = {}, {}
        for i, name in enumerate(order[1:], start=1):
            cm, kind = by_name[name], _target_kind(by_name[name])
            n_classes = (len(cm.column.categories or []) + 1 if kind == "levels"
                         else cm.marginal.support.size if kind == "atoms" else None)
            want = "levels" if kind in ("levels", "atoms") else "knots"
            tree = tree_from_dict(raw_trees[name], i, n_classes, f"cart model document: tree of {name!r}")
            if tree.kind != want:
                raise ModelFileError(f"cart model document: the tree of {name!r} must have {want!r} leaves "
                                     f"for its column model, got {tree.kind!r}")
            trees[name] = tree
            if name in raw_missing:
                if kind == "levels":
                    raise ModelFileError(f"cart model document: {name!r} is categorical: its missing "
                                         "values are a level of its tree, not a tree of their own")
                mt = tree_from_dict(raw_missing[name], i, None,
                                    f"cart model document: missing tree of {name!r}")
                if mt.kind != "null_rate":
                    raise ModelFileError(f"cart model document: the missing tree of {name!r} must have "
                                         "'null_rate' leaves")
                missing[name] = mt
        return FittedDependence(params={"order": [str(c) for c in order], "trees": trees, "missing": missing})
