"""Decision trees as plain arrays: fitting, vectorised traversal, leaf summaries and their JSON form.

A tree is stored as scikit-learn keeps it (``tree_``): per node the children
(``-1`` for a leaf), the feature index, the threshold and the side missing
values go to. A row goes left at a node when ``x <= threshold`` (``x`` as
float32, as scikit-learn compares). Leaves are numbered in node order.

A missing feature value is the number :data:`MISSING_VALUE`, below every value
(values are clipped to ``±FEATURE_LIMIT``), both when a tree is fitted and when it
is applied: scikit-learn never sees a missing value, so every version of it keeps
``min_samples_leaf`` in every leaf (its missing-value support before 1.9 could leave
fewer rows in a leaf) and the traversal is the one it learned. The stored
missing-value side is kept for documents that hold one.

Each leaf keeps a summary of its training rows, never the rows:

* ``levels``: the frequencies of the classes seen in the leaf (sparse: class
  index and probability), sampled by inverse CDF;
* ``knots``: at most :data:`MAX_KNOTS` quantiles of the leaf's values on the
  column's uniform scale (``F(x)``), at equally spaced probabilities, sampled by
  linear interpolation (a piecewise-uniform density between knots; optionally a
  Gaussian kernel of per-leaf bandwidth on the normal-score scale);
* ``null_rate``: the share of missing values in the leaf.

:func:`tree_from_dict` checks a document's tree before use (sizes, indices,
acyclicity, depth, summaries), so a hostile file raises
:class:`~synthkit.errors.ModelFileError` instead of hanging or indexing out of range.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ModelFileError

__all__ = ["Tree", "fit_tree", "leaf_levels", "leaf_knots", "leaf_rates", "MAX_KNOTS", "MAX_NODES",
           "MAX_TREE_DEPTH", "tree_from_dict"]

#: Most quantiles a leaf keeps of a continuous column.
MAX_KNOTS = 32
#: Most nodes a stored tree may have.
MAX_NODES = 2_000_000
#: Deepest tree fitted or read (``max_depth=None`` fits at most this deep).
MAX_TREE_DEPTH = 64


@dataclass
class Tree:
    """One fitted tree and its leaf summary (see module docstring).

    ``kind`` is ``"levels"`` (``offsets``, ``index``, ``prob``), ``"knots"``
    (``offsets``, ``values``, optional ``bandwidth``) or ``"null_rate"`` (``rate``).
    """

    left: np.ndarray
    right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    kind: str
    summary: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_leaves(self) -> int:
        return int((self.left < 0).sum())

    def leaf_ids(self) -> np.ndarray:
        """Node index -> leaf index (leaves numbered in node order; -1 for internal nodes)."""
        is_leaf = self.left < 0
        return np.where(is_leaf, np.cumsum(is_leaf) - 1, -1)

    def apply(self, x: np.ndarray) -> np.ndarray:
        """The leaf index of every row of ``x`` (``(n, p)``): a loop over depth, not over rows.

        Examples
        --------
        >>> t = Tree(np.array([1, -1, -1]), np.array([2, -1, -1]), np.array([0, -1, -1]),
        ...          np.array([0.5, 0.0, 0.0]), np.array([True, False, False]), "null_rate")
        >>> t.apply(np.array([[0.2], [0.9], [np.nan]])).tolist()
        [0, 1, 0]
        """
        x = tree_features(x)
        n = x.shape[0]
        node = np.zeros(n, dtype=np.int64)
        rows = np.arange(n)
        active = rows[self.left[node] >= 0]
        while active.size:
            nd = node[active]
            v = x[active, self.feature[nd]]
            go_left = np.where(np.isnan(v), self.missing_left[nd], v <= self.threshold[nd])
            node[active] = np.where(go_left, self.left[nd], self.right[nd])
            active = active[self.left[node[active]] >= 0]
        return self.leaf_ids()[node]

    # --------------------------------------------------------------- sampling
    def draw(self, leaf: np.ndarray, v: np.ndarray) -> np.ndarray:
        """The leaf-summary draw for uniforms ``v``: class index, uniform value or null flag."""
        s = self.summary
        if self.kind == "null_rate":
            return v < s["rate"][leaf]
        if self.kind == "levels":
            off = s["offsets"]
            e = np.searchsorted(s["_cum"], leaf + v, side="right")
            e = np.clip(e, off[leaf], off[leaf + 1] - 1)
            return s["index"][e]
        off, vals = s["offsets"], s["values"]
        k = off[leaf + 1] - off[leaf]
        pos = v * (k - 1)
        i = np.minimum(np.floor(pos).astype(np.int64), np.maximum(k - 2, 0))
        frac = pos - i
        j = off[leaf] + i
        nxt = np.minimum(j + 1, off[leaf + 1] - 1)
        return vals[j] * (1.0 - frac) + vals[nxt] * frac

    def prepare(self) -> Tree:
        """Derive the sampling caches of the summary (the per-leaf cumulative probabilities)."""
        if self.kind == "levels":
            s = self.summary
            off, prob = s["offsets"], s["prob"]
            leaf = np.repeat(np.arange(off.size - 1), np.diff(off))
            cum = np.cumsum(prob)
            start = np.concatenate([[0.0], cum])[off[:-1]]
            end = cum[off[1:] - 1]
            within = (cum - start[leaf]) / (end - start)[leaf]
            within[off[1:] - 1] = 1.0
            s["_cum"] = leaf + within
        return self

    # ------------------------------------------------------------------- JSON
    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "left": self.left.tolist(), "right": self.right.tolist(), "feature": self.feature.tolist(),
            "threshold": self.threshold.tolist(), "missing_left": self.missing_left.astype(int).tolist(),
            "kind": self.kind,
        }
        out.update({k: v.tolist() for k, v in self.summary.items() if not k.startswith("_")})
        return out


#: Largest magnitude of a feature value; larger ones are clipped to it.
FEATURE_LIMIT = 1e38
#: The feature value of a missing cell (float32, below ``-FEATURE_LIMIT``).
MISSING_VALUE = -3e38


def tree_features(x: np.ndarray) -> np.ndarray:
    """Features as the trees see them: float32, clipped to ``±FEATURE_LIMIT``, missing -> ``MISSING_VALUE``.

    Examples
    --------
    >>> f = tree_features(np.array([[1.5, np.nan, 1e300]]))
    >>> f[0, 0], bool(f[0, 1] < -FEATURE_LIMIT), bool(f[0, 2] <= FEATURE_LIMIT)
    (np.float32(1.5), True, True)
    """
    x = np.asarray(x, dtype=float)
    return np.where(np.isnan(x), MISSING_VALUE, np.clip(x, -FEATURE_LIMIT, FEATURE_LIMIT)).astype(np.float32)


def fit_tree(x: np.ndarray, y: np.ndarray, *, classify: bool, min_leaf: int, max_depth: int | None,
             random_state: int) -> tuple[Tree, np.ndarray]:
    """A CART tree of ``y`` on ``x`` (scikit-learn) as a :class:`Tree`, and each row's leaf index.

    Classification trees split on the Gini impurity, regression trees on the squared
    error; every leaf holds at least ``min_leaf`` rows (scikit-learn's ``min_samples_leaf``).
    """
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    depth = MAX_TREE_DEPTH if max_depth is None else min(int(max_depth), MAX_TREE_DEPTH)
    est_cls = DecisionTreeClassifier if classify else DecisionTreeRegressor
    est = est_cls(min_samples_leaf=int(min_leaf), max_depth=depth, random_state=int(random_state))
    x = tree_features(x)
    est.fit(x, y)
    t = est.tree_
    left = t.children_left.astype(np.int64)
    is_leaf = left < 0
    missing = getattr(t, "missing_go_to_left", np.zeros(left.size, dtype=bool))
    tree = Tree(left=np.where(is_leaf, -1, left),
                right=np.where(is_leaf, -1, t.children_right).astype(np.int64),
                feature=np.where(is_leaf, -1, t.feature).astype(np.int64),
                threshold=np.where(is_leaf, 0.0, t.threshold).astype(float),
                missing_left=np.where(is_leaf, False, np.asarray(missing, dtype=bool)), kind="")
    return tree, tree.leaf_ids()[est.apply(x)]


def leaf_levels(leaf: np.ndarray, cls: np.ndarray, n_leaves: int, n_classes: int) -> dict[str, np.ndarray]:
    """Sparse per-leaf class frequencies: ``offsets`` (``n_leaves + 1``), ``index``, ``prob``."""
    counts = np.bincount(leaf * n_classes + cls, minlength=n_leaves * n_classes).reshape(n_leaves, n_classes)
    nz_leaf, nz_cls = np.nonzero(counts)
    sizes = counts.sum(axis=1)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(nz_leaf, minlength=n_leaves))])
    return {"offsets": offsets.astype(np.int64), "index": nz_cls.astype(np.int64),
            "prob": counts[nz_leaf, nz_cls] / sizes[nz_leaf]}


def leaf_knots(leaf: np.ndarray, u: np.ndarray, n_leaves: int) -> dict[str, np.ndarray]:
    """Per-leaf quantiles of ``u``: ``min(MAX_KNOTS, size)`` knots at probabilities ``k / (K - 1)``."""
    order = np.lexsort((u, leaf))
    us = u[order]
    sizes = np.bincount(leaf, minlength=n_leaves)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    k = np.minimum(MAX_KNOTS, sizes)
    offsets = np.concatenate([[0], np.cumsum(k)])
    owner = np.repeat(np.arange(n_leaves), k)
    j = np.arange(offsets[-1]) - offsets[owner]
    p = np.where(k[owner] > 1, j / np.maximum(k[owner] - 1, 1), 0.0)
    pos = starts[owner] + p * (sizes[owner] - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, starts[owner] + sizes[owner] - 1)
    frac = pos - lo
    values = us[lo] * (1.0 - frac) + us[hi] * frac
    return {"offsets": offsets.astype(np.int64), "values": _monotone(values, owner)}


def _monotone(values: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Knots made non-decreasing within each leaf (interpolation rounding)."""
    if values.size == 0:
        return values
    span = float(values.max() - values.min()) + 1.0
    shift = owner * span  # leaves on disjoint ranges, so one running maximum serves all
    return np.clip(np.maximum.accumulate(values + shift) - shift, values.min(), values.max())


def leaf_rates(leaf: np.ndarray, flag: np.ndarray, n_leaves: int) -> dict[str, np.ndarray]:
    """Per-leaf share of ``flag`` (the null rate)."""
    sizes = np.bincount(leaf, minlength=n_leaves)
    return {"rate": np.bincount(leaf, weights=flag.astype(float), minlength=n_leaves) / sizes}


def leaf_bandwidths(leaf: np.ndarray, z: np.ndarray, n_leaves: int) -> np.ndarray:
    """Silverman's rule per leaf (``0.9 min(sd, IQR / 1.34) n^-1/5``, R's ``bw.nrd0``) of ``z``."""
    sizes = np.bincount(leaf, minlength=n_leaves).astype(float)
    mean = np.bincount(leaf, weights=z, minlength=n_leaves) / sizes
    var = np.bincount(leaf, weights=(z - mean[leaf]) ** 2, minlength=n_leaves) / np.maximum(sizes - 1, 1)
    sd = np.sqrt(var)
    knots = leaf_knots(leaf, z, n_leaves)
    tree = Tree(np.array([-1]), np.array([-1]), np.array([-1]), np.array([0.0]), np.array([False]), "knots",
                knots)
    ids = np.arange(n_leaves)
    iqr = (tree.draw(ids, np.full(n_leaves, 0.75)) - tree.draw(ids, np.full(n_leaves, 0.25))) / 1.34
    spread = np.where(iqr > 0, np.minimum(sd, iqr), sd)
    return 0.9 * spread * sizes ** -0.2


# ----------------------------------------------------------------------- loading
def _number_list(d: dict, key: str, what: str, kind: str) -> np.ndarray:
    """``d[key]`` as a 1-d float array, or a ModelFileError saying it must be a list of ``kind``."""
    raw = d.get(key)
    try:
        a = np.asarray(raw, dtype=float) if isinstance(raw, list) else None
    except (TypeError, ValueError):
        a = None
    if a is None or a.ndim != 1:
        raise ModelFileError(f"{what}: `{key}` must be a list of {kind}")
    return a


def _int_array(d: dict, key: str, what: str) -> np.ndarray:
    a = _number_list(d, key, what, "integers")
    if not np.all(np.isfinite(a)) or not np.all(a == np.round(a)) or (a.size and np.abs(a).max() > 2 ** 53):
        raise ModelFileError(f"{what}: `{key}` must be a list of integers")
    return a.astype(np.int64)


def _float_array(d: dict, key: str, what: str, lo: float = -np.inf, hi: float = np.inf, *,
                 infinite: bool = False) -> np.ndarray:
    a = _number_list(d, key, what, "numbers")
    finite = ~np.isnan(a) if infinite else np.isfinite(a)
    if not np.all(finite) or (a.size and (a.min() < lo or a.max() > hi)):
        raise ModelFileError(f"{what}: `{key}` must be a list of {'' if infinite else 'finite '}numbers "
                             f"in [{lo}, {hi}]")
    return a


def _offsets(d: dict, n_leaves: int, what: str, max_per_leaf: int | None) -> np.ndarray:
    off = _int_array(d, "offsets", what)
    if off.size != n_leaves + 1 or off[0] != 0 or np.any(np.diff(off) < 1) or (
            max_per_leaf is not None and np.any(np.diff(off) > max_per_leaf)):
        limit = "" if max_per_leaf is None else f" and at most {max_per_leaf}"
        raise ModelFileError(f"{what}: `offsets` must start at 0 and give every one of the {n_leaves} "
                             f"leaves at least one{limit} entr(y/ies)")
    return off


def tree_from_dict(d: Any, n_features: int, n_classes: int | None, what: str) -> Tree:
    """A :class:`Tree` read from its JSON form, checked (see module docstring).

    ``n_features``: the columns the tree may split on; ``n_classes``: the number of
    classes of a ``levels`` summary (None for other kinds).
    """
    if not isinstance(d, dict):
        raise ModelFileError(f"{what} must be an object")
    left, right = _int_array(d, "left", what), _int_array(d, "right", what)
    feature = _int_array(d, "feature", what)
    threshold = _float_array(d, "threshold", what, infinite=True)  # inf: "missing or not" splits
    missing = _int_array(d, "missing_left", what)
    m = left.size
    if not 1 <= m <= MAX_NODES or any(a.size != m for a in (right, feature, threshold, missing)):
        raise ModelFileError(f"{what}: `left`, `right`, `feature`, `threshold` and `missing_left` must "
                             f"have one entry per node (1 to {MAX_NODES:,} nodes)")
    is_leaf = left < 0
    idx = np.arange(m)
    bad = (is_leaf != (right < 0)) | (is_leaf & ((left != -1) | (right != -1) | (feature != -1)))
    bad |= ~is_leaf & ((left <= idx) | (right <= idx) | (left >= m) | (right >= m)
                       | (feature < 0) | (feature >= n_features))
    bad |= ~np.isin(missing, (0, 1))
    children = np.concatenate([left[~is_leaf], right[~is_leaf]])
    if bad.any() or children.size != m - 1 or np.unique(children).size != m - 1 or (children == 0).any():
        raise ModelFileError(f"{what}: the node arrays do not form a binary tree over {n_features} "
                             "feature(s) (children after their parent, each node reached once)")
    frontier, depth = np.array([0]), 0
    while frontier.size:  # children come after parents: no cycle; bounded depth
        frontier = frontier[~is_leaf[frontier]]
        frontier = np.concatenate([left[frontier], right[frontier]])
        depth += frontier.size > 0
        if depth > MAX_TREE_DEPTH:
            raise ModelFileError(f"{what}: the tree is deeper than {MAX_TREE_DEPTH} levels")
    tree = Tree(left, right, feature, threshold, missing.astype(bool), str(d.get("kind")))
    n_leaves = tree.n_leaves
    if tree.kind == "null_rate":
        rate = _float_array(d, "rate", what, 0.0, 1.0)
        if rate.size != n_leaves:
            raise ModelFileError(f"{what}: `rate` must have one entry per leaf ({n_leaves})")
        tree.summary = {"rate": rate}
    elif tree.kind == "levels" and n_classes is not None:
        off = _offsets(d, n_leaves, what, n_classes)
        index = _int_array(d, "index", what)
        prob = _float_array(d, "prob", what, 0.0, 1.0)
        if index.size != off[-1] or prob.size != off[-1] or (index.size and (
                index.min() < 0 or index.max() >= n_classes)):
            raise ModelFileError(f"{what}: `index` and `prob` must have {off[-1]} entries, classes in "
                                 f"[0, {n_classes})")
        sums = np.add.reduceat(prob, off[:-1])
        if not np.allclose(sums, 1.0, atol=1e-6) or np.any(prob <= 0):
            raise ModelFileError(f"{what}: each leaf's class probabilities must be positive and sum to 1")
        tree.summary = {"offsets": off, "index": index, "prob": prob}
    elif tree.kind == "knots":
        off = _offsets(d, n_leaves, what, MAX_KNOTS)
        values = _float_array(d, "values", what, 0.0, 1.0)
        if values.size != off[-1]:
            raise ModelFileError(f"{what}: `values` must have {off[-1]} entries")
        owner = np.repeat(np.arange(n_leaves), np.diff(off))
        if np.any(np.diff(values)[owner[1:] == owner[:-1]] < 0):
            raise ModelFileError(f"{what}: each leaf's knots must be non-decreasing")
        tree.summary = {"offsets": off, "values": values}
        if "bandwidth" in d:
            bw = _float_array(d, "bandwidth", what, 0.0, 10.0)
            if bw.size != n_leaves:
                raise ModelFileError(f"{what}: `bandwidth` must have one entry per leaf ({n_leaves})")
            tree.summary["bandwidth"] = bw
    else:
        raise ModelFileError(f"{what}: unknown leaf summary kind {d.get('kind')!r}")
    return tree.prepare()
