"""A data-driven latent order for the levels of nominal categorical columns.

A copula drives a categorical column through one latent score: level ``k``
occupies the probability interval ``[F(k-), F(k)]`` of the column's uniform (see
:class:`~synthkit.marginals.CategoricalMarginal`), so the dependence a copula
can carry is dependence that rises or falls along the order of those intervals.
In code (alphabetical) order that is arbitrary: "Divorced < Married < Never
married < Widowed" tells nothing about age. This module orders each nominal
column's levels along the main direction of its associations instead:

1. **Partners.** Each other column's association with the column ``C`` (``K``
   levels, ``N`` rows where both are observed), and the level scores it gives:

   * an *ordered* column ``X`` (numeric, datetime, boolean, or a categorical with
     an ordered pandas dtype): the bias-adjusted correlation ratio of its normal
     scores ``z = Phi^-1(rank / (N + 1))``,
     ``eta_adj = sqrt(max(0, 1 - (1 - eta^2) (N - 1) / (N - K)))`` with
     ``eta^2 = sum_k n_k (zbar_k - zbar)^2 / sum_i (z_i - zbar)^2``;
   * a *nominal* column (``L`` levels): the bias-corrected Cramér's V
     (Bergsma 2013), ``V = sqrt(phi2_c / min(K_c - 1, L_c - 1))`` with
     ``phi2_c = max(0, chi^2 / N - (K - 1)(L - 1) / (N - 1))``,
     ``K_c = K - (K - 1)^2 / (N - 1)``, ``L_c`` likewise.

   Both are correlation-like measures in [0, 1] corrected for the number of
   levels, so a 500-level column does not weigh more for its many levels alone.
   A partner counts only when its association is significant at :data:`ALPHA`
   (the one-way ANOVA F test of ``eta^2``, the chi-square test of independence),
   so a column associated with nothing keeps its code order rather than one
   drawn from noise. The partner's level scores ``s_j``: with an ordered partner,
   level ``k``'s mean normal score ``zbar_k``; with a nominal one, its row
   coordinate on the first dimension of the correspondence analysis of the
   ``K x L`` table (the first left singular vector ``u_1`` of
   ``D_r^{-1/2} (P - r c^T) D_c^{-1/2}``, scaled as ``u_1 / sqrt(r)``): the level
   scores maximally correlated with some scoring of the partner.
2. **Level scores.** With level weights ``w_k = n_k / N``, each partner's scores
   centred and normalised, ``a_j = W^{1/2} (s_j - w^T s_j) / ||.||``, and weighted
   by its strength ``r_j``: the scores of ``C`` are ``f = W^{-1/2} u`` with ``u`` the
   first left singular vector of ``[r_1 a_1, r_2 a_2, ...]``, the direction that
   maximises ``sum_j r_j^2 cos^2(u, a_j)``. With a single partner these are its own
   scores (its level means, or the first correspondence-analysis dimension).
3. **Order.** Levels sorted by score (ties, and levels absent from the data, in
   code order). A column that determines a coarser one (a hierarchy,
   :mod:`synthkit.dependence.hierarchy`) is ordered group by group: groups by the
   frequency-weighted mean score of their levels, levels by their own score
   within each group, so each group is one interval of the latent scale.

Columns with fewer than three levels, ordered pandas categoricals, booleans and
integer columns keep their natural order; a column with no associated partner
keeps code order. Only the latent order changes: labels, codes, frequencies and
the pandas dtype of sampled columns stay as they were.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import special, stats

__all__ = ["level_orders", "order_levels", "level_codes", "association"]

#: Nominal columns with fewer levels than this keep their code order (two levels: only a sign).
MIN_LEVELS = 3
#: A partner counts only when its association is significant at this level (F / chi-square test).
ALPHA = 1e-3


def level_codes(series: pd.Series, categories: Sequence) -> np.ndarray:
    """Code of each value among ``categories`` (``-1`` for missing values and unknown labels).

    Examples
    --------
    >>> level_codes(pd.Series(["b", None, "a"]), ["a", "b"]).tolist()
    [1, -1, 0]
    """
    codes = pd.Index(list(categories)).get_indexer(series.to_numpy(dtype=object))
    codes[series.isna().to_numpy()] = -1
    return codes.astype(np.int64)


def _normal_scores(series: pd.Series) -> np.ndarray:
    """``Phi^-1(rank / (m + 1))`` of the observed values (average ranks for ties), NaN if missing."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = pd.Series(series.cat.codes.where(series.notna()), index=series.index, dtype=float)
    elif pd.api.types.is_bool_dtype(series.dtype) or series.dtype == object:
        # missing values (None, NaN, pd.NA of a nullable boolean) stay missing; True / False -> 1 / 0
        series = pd.to_numeric(series.astype(object).where(series.notna(), np.nan), errors="coerce")
    r = series.rank(method="average").to_numpy(dtype=float, na_value=np.nan)
    m = np.count_nonzero(~np.isnan(r))
    return special.ndtri(r / (m + 1.0))


def association(codes: np.ndarray, k: int, partner: tuple) -> tuple[float, np.ndarray]:
    """Strength of ``codes``' association with ``partner`` and the ``k`` level scores it gives.

    ``partner`` is ``("ordered", z)`` (normal scores, NaN where missing) or
    ``("nominal", codes2, l)``; see the module docstring for the formulas.
    Returns ``(0.0, zeros)`` when there is too little data or the association is not
    significant at :data:`ALPHA`.

    Examples
    --------
    >>> c = np.array([0, 0, 1, 1, 2, 2] * 20)
    >>> z = np.array([0.1, 0.2, -1.0, -1.1, 1.0, 1.2] * 20)
    >>> s, scores = association(c, 3, ("ordered", z))
    >>> bool(s > 0.9), np.argsort(scores).tolist()
    (True, [1, 0, 2])
    """
    zeros = np.zeros(k)
    if partner[0] == "ordered":
        z = partner[1]
        ok = (codes >= 0) & ~np.isnan(z)
        c, z = codes[ok], z[ok]
        n = c.size
        counts = np.bincount(c, minlength=k).astype(float)
        used = int(np.count_nonzero(counts))
        if n < used + 2 or used < 2:
            return 0.0, zeros
        means = np.bincount(c, weights=z, minlength=k) / np.maximum(counts, 1.0)
        total = float(np.sum((z - z.mean()) ** 2))
        if not total > 0:
            return 0.0, zeros
        eta2 = float(np.sum(counts * (means - z.mean()) ** 2)) / total
        if eta2 >= 1.0:
            return 1.0, np.where(counts > 0, means, z.mean())
        f = (eta2 / (used - 1)) / ((1.0 - eta2) / (n - used))
        if stats.f.sf(f, used - 1, n - used) > ALPHA:
            return 0.0, zeros
        adj = 1.0 - (1.0 - eta2) * (n - 1) / (n - used)
        return float(np.sqrt(max(adj, 0.0))), np.where(counts > 0, means, z.mean())
    c2, l2 = partner[1], int(partner[2])
    ok = (codes >= 0) & (c2 >= 0)
    c, c2 = codes[ok], c2[ok]
    n = c.size
    if n < 3:
        return 0.0, zeros
    table = np.bincount(c * l2 + c2, minlength=k * l2).reshape(k, l2).astype(float)
    rows, cols = table.sum(axis=1) > 0, table.sum(axis=0) > 0
    sub = table[np.ix_(rows, cols)]
    kr, kc = sub.shape
    if kr < 2 or kc < 2:
        return 0.0, zeros
    p = sub / n
    r, cm = p.sum(axis=1), p.sum(axis=0)
    expected = np.outer(r, cm)
    resid = (p - expected) / np.sqrt(expected)
    phi2 = float(np.sum(resid ** 2))
    if stats.chi2.sf(n * phi2, (kr - 1) * (kc - 1)) > ALPHA:
        return 0.0, zeros
    phi2c = max(0.0, phi2 - (kr - 1) * (kc - 1) / (n - 1))
    krc, kcc = kr - (kr - 1) ** 2 / (n - 1), kc - (kc - 1) ** 2 / (n - 1)
    denom = min(krc - 1, kcc - 1)
    v = float(np.sqrt(phi2c / denom)) if denom > 0 else 0.0
    u, _, _ = np.linalg.svd(resid, full_matrices=False)
    f = u[:, 0] / np.sqrt(r)
    present = np.flatnonzero(rows)
    if np.sum(r * f * present) < 0:  # a fixed sign: the direction closest to code order
        f = -f
    scores = zeros.copy()
    scores[present] = f
    return v, scores


def _joint_scores(codes: np.ndarray, k: int, partners: Sequence[tuple]) -> np.ndarray:
    """Step 2 of the module docstring: the first principal axis of the partners' level scores."""
    ok = codes >= 0
    w = np.bincount(codes[ok], minlength=k) / max(int(ok.sum()), 1)
    blocks = []
    for partner in partners:
        strength, s = association(codes, k, partner)
        if strength <= 0:
            continue
        sw = np.sqrt(w) * (s - np.sum(w * s))
        norm = np.sqrt(np.sum(sw ** 2))
        if norm > 0:
            blocks.append((strength * sw / norm)[:, None])
    if not blocks:
        return np.zeros(k)
    u, _, _ = np.linalg.svd(np.hstack(blocks), full_matrices=False)
    f = np.where(w > 0, u[:, 0] / np.sqrt(np.maximum(w, 1e-300)), 0.0)
    if np.sum(w * f * np.arange(k)) < 0:
        f = -f
    return f


def _partners(frame: pd.DataFrame, columns: Sequence, nominal: set[str]) -> dict[str, tuple]:
    out: dict[str, tuple] = {}
    for cm in columns:
        name, col = cm.name, cm.column
        if name in nominal:
            cats = list(col.categories or [])
            out[name] = ("nominal", level_codes(frame[name], cats), len(cats))
        elif col.kind == "categorical":
            cats = list(col.categories or [])
            codes = level_codes(frame[name], cats).astype(float)
            codes[codes < 0] = np.nan
            out[name] = ("ordered", _normal_scores(pd.Series(codes)))
        else:
            out[name] = ("ordered", _normal_scores(frame[name]))
    return out


def level_orders(frame: pd.DataFrame, columns: Sequence, *, fixed: Sequence[str] = (),
                 groups: Mapping[str, Sequence[np.ndarray]] | None = None) -> dict[str, list[int]]:
    """The latent order of each nominal column's levels (module docstring), by column name.

    Parameters
    ----------
    frame : DataFrame
        The modelled table (protected already).
    columns : sequence of ColumnModel
        Its fitted column models; only ``categorical`` ones with at least
        :data:`MIN_LEVELS` categories, not named in ``fixed``, are ordered.
    fixed : sequence of str
        Columns whose category order is meaningful (ordered pandas categoricals).
    groups : mapping, optional
        ``{column: [group id of each code, ...]}`` (one array per column it determines,
        coarsest first) for columns that determine coarser ones: their levels are
        ordered group by group, nested groups within groups.

    Returns
    -------
    dict
        ``{column: codes in latent order}`` for the columns whose order is not code order.

    Examples
    --------
    >>> from synthkit.columns import ColumnModel
    >>> df = pd.DataFrame({"c": ["a", "b", "c"] * 30, "x": [5.0, -5.0, 0.0] * 30})
    >>> level_orders(df, [ColumnModel.fit(df[c]) for c in df])
    {'c': [0, 2, 1]}
    """
    groups = dict(groups or {})
    nominal = {cm.name for cm in columns if cm.column.kind == "categorical"
               and len(cm.column.categories or []) >= MIN_LEVELS and cm.name not in set(fixed)}
    if not nominal:
        return {}
    partners = _partners(frame, columns, nominal)
    out: dict[str, list[int]] = {}
    for cm in columns:
        if cm.name not in nominal:
            continue
        k = len(cm.column.categories or [])
        codes = partners[cm.name][1]
        scores = _joint_scores(codes, k, [p for other, p in partners.items() if other != cm.name])
        keys = [np.arange(k), scores]
        counts = np.bincount(codes[codes >= 0], minlength=k).astype(float)
        for g in reversed(list(groups.get(cm.name, []))):  # finest first: the coarsest sorts first
            gid = np.asarray(g, dtype=np.int64)
            gw = np.bincount(gid, weights=counts, minlength=gid.max() + 1)
            gs = np.bincount(gid, weights=counts * scores, minlength=gid.max() + 1) / np.maximum(gw, 1.0)
            keys += [gid, gs[gid]]  # groups by score (then id: a tie never interleaves two groups)
        order = np.lexsort(keys)
        if not np.array_equal(order, np.arange(k)):
            out[cm.name] = [int(i) for i in order]
    return out


def order_levels(frame: pd.DataFrame, columns: Sequence, hierarchies: Sequence = ()) -> list:
    """``columns`` with the data-driven latent order of :func:`level_orders` set on their
    categorical marginals (the fit-time step of a strategy; ``frame`` is the modelled table).

    Ordered pandas categoricals keep their order; a column that determines others
    (``hierarchies``) is ordered group by group.
    """
    from .hierarchy import descendant_groups

    fixed = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)
             and frame[c].dtype.ordered]
    models = {cm.name: cm for cm in columns}
    groups = descendant_groups(hierarchies, models) if hierarchies else {}
    orders = level_orders(frame, columns, fixed=fixed, groups=groups)
    for cm in columns:
        if cm.name in orders:
            cm.marginal = cm.marginal.with_order(orders[cm.name])
    return list(columns)
