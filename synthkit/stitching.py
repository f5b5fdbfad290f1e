"""Statistical matching: join two tables that share only some variables.

Two samples of one population hold the shared variables ``X`` (``on``) and, apart,
``Y`` (the left table's own columns) and ``Z`` (the right table's own columns). Statistical
matching (D'Orazio, Di Zio & Scanu, *Statistical Matching: Theory and Practice*, Wiley 2006)
builds one table holding ``X, Y, Z`` for every left (recipient) row:

* ``method="hotdeck"``: nearest-neighbour distance hot-deck. Each recipient receives the
  ``Z`` values of one right (donor) row, drawn uniformly among the donors no farther on
  ``X`` than its ``k``-th nearest (random choice among near-ties, exact ties included).
  The distance is Gower's: the mean, over the matching variables observed on both rows,
  of a per-variable dissimilarity: ``|a - b| / s`` for a numeric variable, ``s`` its
  interquartile range over both tables (a robust spread in place of Gower's range; the
  range, then 1, when it is zero); ``1`` for two different categories; ``1 - r / 100``
  for a text key, ``r`` the ``rapidfuzz`` similarity of the two strings
  (``token_sort_ratio`` by default). Numbers are always compared as numbers. An optional
  ``donor_cap`` bounds how often one donor is used (constrained matching, assigned in
  rounds: each unmatched recipient draws among its nearest donors with room left, and an
  over-asked donor keeps a random subset of its recipients).
* ``method="model"``: a synthkit model (``gaussian_copula`` by default) is fitted on the
  right table and each recipient's ``Z`` is drawn from its conditional distribution given
  the recipient's ``X`` (:meth:`~synthkit.strategies.base.Strategy.extend`).

Both rest on the **conditional-independence assumption** (CIA): ``Y`` and ``Z`` are
independent given ``X``. Without information on ``(Y, Z)`` jointly the data cannot tell
anything else, and the stitched table's ``Y``-``Z`` dependence is only what flows through
``X``. An ``auxiliary`` table holding ``Y`` and ``Z`` together (a small complete sample, an
earlier survey) replaces the assumption: the model is fitted on the three tables stacked
(``X``-``Y`` pairs from the left table, ``X``-``Z`` from the right, ``Y``-``Z`` from the
auxiliary rows; the cells a table lacks are missing values of the stacked file, whose
latent correlation is estimated from every row by stochastic EM), so its conditional
distribution of ``Z`` given ``X`` *and* ``Y`` carries the auxiliary ``Y``-``Z``
dependence. The left rows' ``Z`` are then imputed in the stacked file
(:func:`~synthkit.impute`: file concatenation); the missingness the stacking creates
only tells which table a row came from, missing completely at random given the values
when the tables sample one population. Text keys take no part in the model. ``method="model"``
draws ``Z`` given each recipient's ``X`` and ``Y``; ``method="hotdeck"`` uses these draws
as intermediate values and matches on ``X`` and ``Z`` to a real donor, whose real ``Z``
values are donated (the mixed method of D'Orazio et al.).

Examples
--------
>>> import synthkit
>>> from sklearn.datasets import load_wine
>>> wine = load_wine(as_frame=True).frame
>>> left = wine[["alcohol", "malic_acid", "ash", "color_intensity"]].iloc[::2]
>>> right = wine[["alcohol", "malic_acid", "ash", "proline"]].iloc[1::2]
>>> res = synthkit.stitch(left, right, on=["alcohol", "malic_acid", "ash"], seed=0)
>>> list(res.frame.columns)
['alcohol', 'malic_acid', 'ash', 'color_intensity', 'proline']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError, SpecError
from .schema import check_unique_columns
from .seeding import SeedLike, as_seed_sequence, child_generator, child_seed

__all__ = ["stitch", "StitchResult", "match_distances"]

METHODS = ("hotdeck", "model")
#: Fewest auxiliary rows observing a left-only and a right-only column together.
MIN_AUXILIARY_ROWS = 20
# distance cells computed at once (recipient rows x donor rows) when matching in blocks
_BLOCK_CELLS = 2_000_000


@dataclass
class StitchResult:
    """The stitched table and how close each recipient was to its match.

    Attributes
    ----------
    frame : DataFrame
        The left table's rows (same order and index) with the right table's own columns.
    distances : ndarray
        One Gower distance per left row: to its donor (``hotdeck``), or to the nearest
        right row on ``on`` (``model``: how far the conditioning values lie from the data
        the model was fitted on).
    donors : Index or None
        The right table's index label donated to each left row (``hotdeck``).
    method : str
    on : list of str
        The shared variables.
    matched_on : list of str
        The variables of the distance (``on``, plus the right table's own columns for a
        hot-deck with auxiliary data).
    """

    frame: pd.DataFrame
    distances: np.ndarray
    donors: pd.Index | None
    method: str
    on: list[str]
    matched_on: list[str]
    info: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> pd.Series:
        """Distribution of the match distances: count, mean, quantiles, share exact.

        Rows whose match keys are all missing have no distance (``inf``): they are
        counted in ``"no keys"`` and left out of the other figures.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> r = StitchResult(pd.DataFrame(), np.array([0.0, 0.1, 0.3]), None, "hotdeck", [], [])
        >>> float(r.summary()["exact share"])
        0.3333333333333333
        """
        every = np.asarray(self.distances, dtype=float)
        d = every[np.isfinite(every)]
        q = np.quantile(d, [0.0, 0.25, 0.5, 0.75, 0.9, 1.0]) if len(d) else [np.nan] * 6
        out = {"count": float(len(d)), "mean": float(d.mean()) if len(d) else np.nan,
               "min": q[0], "25%": q[1], "50%": q[2], "75%": q[3], "90%": q[4], "max": q[5],
               "exact share": float((d == 0).mean()) if len(d) else np.nan,
               "no keys": float(len(every) - len(d))}
        if self.donors is not None and len(self.donors):
            out["max donor uses"] = float(pd.Series(self.donors).value_counts().iloc[0])
        return pd.Series(out, name="match distance")

    def plot_distances(self, ax: Any = None, bins: int = 30, **kwargs: Any) -> Any:
        """Histogram of the match distances (matplotlib); returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3), layout="constrained")  # labels inside the figure
        d = np.asarray(self.distances, dtype=float)
        d = d[np.isfinite(d)]
        ax.hist(d, bins=bins, **kwargs)
        exact = float(np.mean(d == 0)) if d.size else 0.0
        ax.set_xlabel("Gower distance to the match" + (f" ({exact:.1%} exact matches)" if exact else ""))
        ax.set_ylabel("left rows")
        ax.set_title(f"stitch ({self.method}) on {', '.join(map(str, self.on))}")
        return ax


# -- kinds and the distance ---------------------------------------------------------------------

def _kind(s: pd.Series) -> str:
    """``"categorical"``, ``"datetime"`` or ``"numeric"``: the kinds a key may be matched across
    (dates compare as seconds since the epoch, so a date key matches dates only)."""
    if pd.api.types.is_bool_dtype(s):
        return "categorical"
    if pd.api.types.is_datetime64_any_dtype(s):
        return "datetime"
    if pd.api.types.is_numeric_dtype(s):
        return "numeric"
    return "categorical"


def _as_float(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(s):
        # seconds since the epoch, whatever the resolution
        return ((s - pd.Timestamp(0, tz=getattr(s.dt, "tz", None))) / pd.Timedelta(seconds=1)).to_numpy(
            dtype=float, na_value=np.nan)
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


class _Distance:
    """Gower distance between the rows of two tables on the matching variables."""

    def __init__(self, left: pd.DataFrame, right: pd.DataFrame, cols: list[str],
                 text_keys: Sequence[str], scorer: Any) -> None:
        self.parts: list[tuple[str, np.ndarray, np.ndarray, Any]] = []
        for c in cols:
            a, b = left[c], right[c]
            if c in text_keys:
                la = a.astype("string").to_numpy(dtype=object, na_value=None)
                lb = b.astype("string").to_numpy(dtype=object, na_value=None)
                self.parts.append(("text", la, lb, scorer))
            elif _kind(a) in ("numeric", "datetime"):
                fa, fb = _as_float(a), _as_float(b)
                both = np.concatenate([fa, fb])
                both = both[np.isfinite(both)]
                s = 0.0
                if len(both):
                    q1, q3 = np.quantile(both, [0.25, 0.75])
                    s = q3 - q1 if q3 > q1 else float(np.ptp(both))
                self.parts.append(("numeric", fa, fb, s if s > 0 else 1.0))
            else:
                cats = pd.Index(pd.concat([a, b], ignore_index=True).dropna().astype(str).unique())
                ca = cats.get_indexer(a.astype(str).where(a.notna(), None)).astype(float)
                cb = cats.get_indexer(b.astype(str).where(b.notna(), None)).astype(float)
                ca[ca < 0] = np.nan
                cb[cb < 0] = np.nan
                self.parts.append(("categorical", ca, cb, None))

    def block(self, rows: np.ndarray, donors: np.ndarray | None = None) -> np.ndarray:
        """Distances of left rows ``rows`` to right rows ``donors`` (all by default)."""
        total = None
        count = None
        for kind, a, b, extra in self.parts:
            bb = b if donors is None else b[donors]
            if kind == "text":
                from rapidfuzz import process

                aa = a[rows]
                oka, okb = ~pd.isna(aa), ~pd.isna(bb)
                d = np.full((len(aa), len(bb)), np.nan)
                if oka.any() and okb.any():
                    sim = process.cdist(list(aa[oka]), list(bb[okb]), scorer=extra, dtype=np.float64,
                                        workers=1)
                    d[np.ix_(oka, okb)] = 1.0 - np.asarray(sim) / 100.0
            elif kind == "numeric":
                d = np.abs(a[rows][:, None] - bb[None, :]) / extra
            else:
                aa = a[rows]
                d = (aa[:, None] != bb[None, :]).astype(float)
                d[np.isnan(aa)[:, None] | np.isnan(bb)[None, :]] = np.nan
            ok = ~np.isnan(d)
            total = np.where(ok, d, 0.0) if total is None else total + np.where(ok, d, 0.0)
            count = ok.astype(float) if count is None else count + ok
        with np.errstate(invalid="ignore", divide="ignore"):
            out = total / count
        out[count == 0] = np.inf  # nothing observed on both rows: matched last
        return out


def _blocks(n_rows: int, n_donors: int):
    step = max(1, _BLOCK_CELLS // max(n_donors, 1))
    for start in range(0, n_rows, step):
        yield np.arange(start, min(start + step, n_rows))


def match_distances(left: pd.DataFrame, right: pd.DataFrame, on: Sequence[str], *,
                    text_keys: Sequence[str] | None = None, scorer: Any = None) -> np.ndarray:
    """The Gower distance matrix (left rows x right rows) :func:`stitch` matches on.

    Per variable observed on both rows: ``|a - b| / IQR`` (numeric, compared as numbers),
    ``1`` for different categories, ``1 - ratio / 100`` for a text key (``rapidfuzz``
    ``token_sort_ratio``); the distance is their mean.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"n": [7, 30]})
    >>> b = pd.DataFrame({"n": [8, 62]})
    >>> d = match_distances(a, b, ["n"])
    >>> bool(d[0, 0] < d[1, 1])
    True
    """
    on = _check_on(left, right, on)
    text_keys = _check_text_keys(left, right, on, text_keys)
    dist = _Distance(left, right, on, text_keys, _scorer(scorer))
    return dist.block(np.arange(len(left)))


def _scorer(scorer: Any) -> Any:
    if scorer is None:
        from rapidfuzz import fuzz

        return fuzz.token_sort_ratio
    if isinstance(scorer, str):
        from rapidfuzz import fuzz

        if not hasattr(fuzz, scorer):
            raise SpecError(f"`scorer` {scorer!r} is not a rapidfuzz.fuzz scorer; use e.g. "
                            f"'token_sort_ratio', 'token_set_ratio', 'ratio' or 'WRatio'")
        return getattr(fuzz, scorer)
    return scorer


# -- checks ----------------------------------------------------------------------------------------

def _check_frame(df: Any, name: str) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise SpecError(f"`{name}` must be a pandas DataFrame, got {type(df).__name__}")
    if len(df) == 0:
        raise DataError(f"`{name}` has no rows; stitching needs rows on both sides")
    check_unique_columns(df, f"`{name}`")
    return df


def _check_on(left: pd.DataFrame, right: pd.DataFrame, on: Any) -> list[str]:
    if isinstance(on, str):
        on = [on]
    if on is None or len(on) == 0:
        raise SpecError("`on` must name the shared columns to match on, e.g. on=['age', 'sex']")
    on = list(on)
    if len(set(on)) != len(on):
        raise SpecError(f"`on` names a column twice: {on}")
    for side, df in (("left", left), ("right", right)):
        lacking = [c for c in on if c not in df.columns]
        if lacking:
            raise SpecError(f"`on` columns {lacking} are missing from the {side} table (its columns: "
                            f"{list(df.columns)[:12]}); match only on columns both tables hold")
    for c in on:
        kl, kr = _kind(left[c]), _kind(right[c])
        if kl != kr:
            raise DataError(f"`on` column {c!r} is {kl} ({left[c].dtype}) in the left table but {kr} "
                            f"({right[c].dtype}) in the right; convert one side so both hold the same "
                            f"kind of value")
        if left[c].notna().sum() == 0 or right[c].notna().sum() == 0:
            raise DataError(f"`on` column {c!r} is entirely missing on one side; drop it from `on`")
    return on


def _check_text_keys(left: pd.DataFrame, right: pd.DataFrame, on: list[str], text_keys: Any) -> list[str]:
    if text_keys is None:
        return []
    if isinstance(text_keys, str):
        text_keys = [text_keys]
    text_keys = list(text_keys)
    for c in text_keys:
        if c not in on:
            raise SpecError(f"text key {c!r} is not one of `on` {on}; add it to `on`")
        if _kind(left[c]) in ("numeric", "datetime"):
            raise SpecError(f"text key {c!r} holds numbers ({left[c].dtype}); numbers are compared "
                            f"numerically, so drop it from `text_keys`")
    return text_keys


def _check_int(value: Any, name: str, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise SpecError(f"`{name}` must be a positive integer{' or None' if allow_none else ''}, "
                        f"got {value!r}")
    return int(value)


# -- matching ----------------------------------------------------------------------------------------

def _hotdeck(dist: _Distance, n_left: int, n_right: int, k: int, cap: int | None,
             rng: np.random.Generator, progress: bool | None) -> tuple[np.ndarray, np.ndarray]:
    """Donor position and distance per recipient: random among the ``k`` nearest with room."""
    from ._progress import progress_bar

    donor = np.full(n_left, -1, dtype=np.int64)
    dist_out = np.full(n_left, np.nan)
    uses = np.zeros(n_right, dtype=np.int64)
    pending = np.arange(n_left)
    bar = progress_bar(total=n_left, progress=progress, large=n_left * n_right > 5_000_000,
                       desc="stitch", unit="row")
    try:
        while len(pending):
            room = np.flatnonzero(uses < cap) if cap is not None else np.arange(n_right)
            kk = min(k, len(room))
            choice = np.empty(len(pending), dtype=np.int64)
            chosen_d = np.empty(len(pending))
            for blk in _blocks(len(pending), len(room)):
                d = dist.block(pending[blk], room)
                # uniform among the donors no farther than the k-th nearest (ties with it included):
                # the largest of independent uniform keys over that set
                kth = np.partition(d, kk - 1, axis=1)[:, kk - 1]
                keys = rng.random(d.shape)
                keys[d > kth[:, None]] = -1.0
                pick = keys.argmax(axis=1)
                rows = np.arange(len(blk))
                choice[blk] = room[pick]
                chosen_d[blk] = d[rows, pick]
            if cap is None:
                accepted = np.ones(len(pending), dtype=bool)
            else:
                # each donor keeps a random subset of its requests, as many as it has room for
                order = rng.permutation(len(pending))
                rank = pd.Series(choice[order]).groupby(choice[order]).cumcount().to_numpy()
                accepted = np.empty(len(pending), dtype=bool)
                accepted[order] = rank < (cap - uses[choice[order]])
            take = pending[accepted]
            donor[take] = choice[accepted]
            dist_out[take] = chosen_d[accepted]
            np.add.at(uses, choice[accepted], 1)
            pending = pending[~accepted]
            bar.update(int(accepted.sum()))
    finally:
        bar.close()
    return donor, dist_out


def _nearest(dist: _Distance, n_left: int, n_right: int) -> np.ndarray:
    out = np.empty(n_left)
    for blk in _blocks(n_left, n_right):
        out[blk] = dist.block(blk).min(axis=1)
    return out


def stitch(left: pd.DataFrame, right: pd.DataFrame, on: Sequence[str], *, method: str = "hotdeck",
           k: int = 5, donor_cap: int | None = None, text_keys: Sequence[str] | None = None,
           auxiliary: pd.DataFrame | None = None, strategy: str = "gaussian_copula",
           scorer: Any = None, seed: SeedLike = None, progress: bool | None = None,
           **fit_params: Any) -> StitchResult:
    """Join two tables sharing the columns ``on`` by statistical matching.

    For each left (recipient) row, the right table's own columns are taken from a donor
    right row, drawn among the ``k`` nearest by Gower distance on ``on``
    (``method="hotdeck"``), or drawn from a synthkit model of the right table given the
    row's ``on`` values (``method="model"``). See :mod:`synthkit.stitching` for the
    distance, the donor cap and the conditional-independence assumption.

    Parameters
    ----------
    left, right : DataFrame
        The recipient and donor tables. Columns other than ``on`` must not appear in both.
    on : list of str
        Shared columns to match on; each must hold the same kind (numeric or categorical)
        on both sides.
    method : {"hotdeck", "model"}
    k : int
        Hot-deck: the donor is drawn uniformly among the donors no farther than the
        ``k``-th nearest (the ``k`` nearest and any tied with the ``k``-th; ``k=1``: the
        nearest, ties broken at random).
    donor_cap : int, optional
        Hot-deck: the most times one donor may be used; ``donor_cap * len(right)`` must
        be at least ``len(left)``.
    text_keys : list of str, optional
        Columns of ``on`` holding text (names, addresses) compared fuzzily with
        ``rapidfuzz`` (``scorer``, ``token_sort_ratio`` by default). Hot-deck only.
    auxiliary : DataFrame, optional
        A table holding left-only and right-only columns together (and possibly ``on``):
        its ``Y``-``Z`` dependence replaces the conditional-independence assumption.
    strategy : str
        The model fitted for ``method="model"`` and for ``auxiliary`` (one with per-row
        conditional draws); ``**fit_params`` are passed to :func:`synthkit.fit`. Their
        ``roles`` also tell hot-deck which right-only columns are identifiers or PII, which
        are generated in their format rather than donated (detected when not declared).
    scorer : callable or str, optional
        A ``rapidfuzz.fuzz`` scorer (or its name) for the text keys.
    seed : None, int, SeedSequence or Generator
        Randomness; the same seed gives the same table.
    progress : bool, optional
        Progress bar (default: on a terminal, for large tables).

    Returns
    -------
    StitchResult
        ``frame`` (the left rows, same order and index, with the right table's own
        columns), the match ``distances`` and their ``summary()`` / ``plot_distances()``.

    Examples
    --------
    >>> import pandas as pd, synthkit
    >>> left = pd.DataFrame({"age": [20, 40, 60], "income": [1.0, 2.0, 3.0]})
    >>> right = pd.DataFrame({"age": [21, 59, 41], "spend": [10.0, 30.0, 20.0]})
    >>> synthkit.stitch(left, right, on=["age"], k=1, seed=0).frame["spend"].tolist()
    [10.0, 20.0, 30.0]
    """
    left = _check_frame(left, "left")
    right = _check_frame(right, "right")
    if method not in METHODS:
        raise SpecError(f"`method` must be one of {list(METHODS)}, got {method!r}")
    on = _check_on(left, right, on)
    text_keys = _check_text_keys(left, right, on, text_keys)
    k = _check_int(k, "k")
    donor_cap = _check_int(donor_cap, "donor_cap", allow_none=True)
    y_cols = [c for c in left.columns if c not in on]
    z_cols = [c for c in right.columns if c not in on]
    both = [c for c in y_cols if c in z_cols]
    if both:
        raise SpecError(f"columns {both} are in both tables but not in `on`; add them to `on` or "
                        f"rename one side's")
    if not z_cols:
        raise SpecError("the right table has no columns besides `on`: nothing to donate")
    if method == "model" and text_keys:
        raise SpecError("text keys are matched only by method='hotdeck'; drop `text_keys` or use "
                        "method='hotdeck'")
    if method == "hotdeck" and donor_cap is not None and donor_cap * len(right) < len(left):
        raise SpecError(f"donor_cap={donor_cap} allows at most {donor_cap * len(right)} matches from "
                        f"{len(right)} donors, but the left table has {len(left)} rows; raise "
                        f"`donor_cap` to at least {-(-len(left) // len(right))} or leave it None")
    if method == "model" and donor_cap is not None:
        raise SpecError("`donor_cap` applies to method='hotdeck' only; leave it None")
    if auxiliary is not None:
        auxiliary = _check_frame(auxiliary, "auxiliary")
        unknown = [c for c in auxiliary.columns if c not in set(on) | set(y_cols) | set(z_cols)]
        if unknown:
            raise SpecError(f"auxiliary columns {unknown} are in neither table; drop them")
        ay = [c for c in y_cols if c in auxiliary.columns]
        az = [c for c in z_cols if c in auxiliary.columns]
        if not ay or not az:
            raise SpecError("`auxiliary` must hold at least one left-only column and one right-only "
                            f"column together (left-only: {y_cols[:8]}, right-only: {z_cols[:8]})")
        joint = int((auxiliary[ay].notna().any(axis=1) & auxiliary[az].notna().any(axis=1)).sum())
        if joint < MIN_AUXILIARY_ROWS:
            raise DataError(
                f"`auxiliary` has {joint} row(s) where a left-only column ({ay[:4]}) and a right-only "
                f"one ({az[:4]}) are both observed; their joint distribution needs at least "
                f"{MIN_AUXILIARY_ROWS} such rows (with fewer, stitch without `auxiliary`)")
    root = as_seed_sequence(seed)
    scorer = _scorer(scorer)
    info: dict[str, Any] = {"n_left": len(left), "n_right": len(right), "k": k, "donor_cap": donor_cap,
                            "text_keys": text_keys, "auxiliary_rows": 0 if auxiliary is None else
                            len(auxiliary)}

    drawn = None
    if method == "model" or auxiliary is not None:
        from .api import fit
        from .imputation import impute

        if auxiliary is None:
            train, given = right[on + z_cols], left[on]
        else:
            # X-Y pairs from the left table, X-Z from the right, Y-Z from the auxiliary rows
            # text keys (names, addresses) are matched, never modelled
            keys = [c for c in on if c not in set(text_keys or ())]
            train = pd.concat([left[keys + ay], right[keys + z_cols],
                               auxiliary[[c for c in keys + ay + z_cols if c in auxiliary.columns]]],
                              ignore_index=True)
        model = fit(train, strategy=strategy, **fit_params)
        if auxiliary is None:
            drawn = model.extend(given.reset_index(drop=True), z_cols, seed=child_seed(root, 0)).frame
        else:
            # file concatenation: the left rows' right-only values are missing cells of the
            # stacked table, imputed given each row's values and which source it came from
            drawn = impute(train, model, seed=child_seed(root, 0), progress=progress)
            drawn = drawn.iloc[:len(left)][z_cols].reset_index(drop=True)
        info["strategy"] = strategy

    if method == "model":
        frame = left.copy()
        for c in z_cols:
            frame[c] = drawn[c].array
        dist = _Distance(left, right, on, text_keys, scorer)
        distances = _nearest(dist, len(left), len(right))
        return StitchResult(frame, distances, None, method, on, list(on), info)

    matched_on = list(on)
    lmatch, rmatch = left, right
    if drawn is not None:
        # mixed method: match on X and the intermediate (model-drawn) Z values
        lmatch = left[on].reset_index(drop=True).assign(**{c: drawn[c].to_numpy() for c in z_cols})
        rmatch = right[on + z_cols]
        matched_on = on + z_cols
    dist = _Distance(lmatch, rmatch, matched_on, text_keys, scorer)
    pos, distances = _hotdeck(dist, len(left), len(right), k, donor_cap,
                              child_generator(root, 1), progress)
    frame = left.copy()
    donated = right[z_cols].iloc[pos]
    for c in z_cols:
        frame[c] = donated[c].array
    roles = {c: r for c, r in (fit_params.get("roles") or {}).items() if c in set(map(str, z_cols))}
    generated = _generate_identifiers(right[z_cols], len(left), child_seed(root, 2), roles)
    for c, values in generated.items():
        frame[c] = values.array
    info["generated"] = list(generated)
    return StitchResult(frame, distances, right.index[pos], method, on, matched_on, info)


def _generate_identifiers(donors: pd.DataFrame, n: int, root: np.random.SeedSequence,
                          roles: dict[str, str]) -> dict[str, pd.Series]:
    """New values for the donors' identifier and PII columns (:func:`synthkit.privacy.detect_roles`,
    with the declared ``roles``): a donor's record number or name is never given to a recipient,
    only its format is learned."""
    from .privacy import detect_roles
    from .seeding import GENERATED_STREAM
    from .strategies._generated import _keys, generated_column, generated_series

    out = {}
    decisions = detect_roles(donors, roles)
    keys = _keys(root, donors.shape[1])  # the engine's keys and streams of generated columns
    for j, c in enumerate(donors.columns):
        decision = decisions[str(c)]
        if decision.role not in ("identifier", "pii"):
            continue
        g = generated_column(donors[c], decision, j, min_count=5, locale=None)
        values = g.generator.generate(np.arange(n, dtype=np.int64), keys[j],
                                      child_generator(root, GENERATED_STREAM, j))
        out[c] = generated_series(g, values)
    return out
