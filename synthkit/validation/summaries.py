"""Mergeable summaries: the statistics a validation is built from.

Each summary is filled from one block of rows with ``update`` and combined with
another summary of the same shape with ``merge``, so the same code validates an
in-memory frame (one block) or a partitioned table (one summary per partition,
merged). The merge formulas are exact:

* :class:`Moments` - count, mean and central moments up to order 4, combined
  with the pairwise update of Chan, Golub & LeVeque (1979) generalised to higher
  orders by Pébay (2008);
* :class:`Histogram` - counts on fixed bin edges (plus under/overflow);
* :class:`Counts` - counts of integer codes (categories, levels, cells of a
  two-way table);
* :class:`PairwiseMoments` - pairwise-complete co-moment sums of a block of
  numeric columns (shifted by a fixed centre for numerical stability), giving
  the Pearson matrix with the rows where both columns are present, as pandas'
  ``DataFrame.corr`` does;
* :class:`GroupMoments` - count, sum and sum of squares of a numeric column per
  category, giving the correlation ratio.

Statistics that need the whole sample sorted (KS distance, quantiles,
Wasserstein distance, ranks for Spearman, Kendall's tau) are computed on the
sorted column (exact) in :mod:`synthkit.validation.marginals` /
:mod:`synthkit.validation.dependence`; on a partitioned table they come from
counts on fixed edges taken from the reference (KS exact, the others within
stated bounds; :mod:`synthkit.validation.streaming`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Moments", "Histogram", "Counts", "PairwiseMoments", "GroupMoments"]


@dataclass
class Moments:
    """Count, mean, central moment sums M2..M4, min, max and null count of a column.

    Examples
    --------
    >>> a, b = Moments(), Moments()
    >>> _ = a.update(np.array([1.0, 2.0])), b.update(np.array([3.0, np.nan]))
    >>> m = a.merge(b); (m.n, m.mean, m.nulls)
    (3, 2.0, 1)
    """

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0
    m3: float = 0.0
    m4: float = 0.0
    minimum: float = np.inf
    maximum: float = -np.inf
    nulls: int = 0

    def update(self, x: np.ndarray) -> Moments:
        x = np.asarray(x, dtype=float)
        nan = np.isnan(x)
        other = Moments(nulls=int(nan.sum()))
        v = x[~nan]
        if v.size:
            mu = float(v.mean())
            d = v - mu
            d2 = d * d
            other.n = int(v.size)
            other.mean = mu
            other.m2 = float(d2.sum())
            other.m3 = float((d2 * d).sum())
            other.m4 = float((d2 * d2).sum())
            other.minimum = float(v.min())
            other.maximum = float(v.max())
        merged = self.merge(other)
        self.__dict__.update(merged.__dict__)
        return self

    def merge(self, other: Moments) -> Moments:
        """Combine two summaries (Pébay 2008, eqs. 2.1-2.3 for orders 2-4)."""
        na, nb = self.n, other.n
        n = na + nb
        out = Moments(
            minimum=min(self.minimum, other.minimum),
            maximum=max(self.maximum, other.maximum),
            nulls=self.nulls + other.nulls,
        )
        if n == 0:
            return out
        if na == 0 or nb == 0:
            src = self if nb == 0 else other
            out.n, out.mean, out.m2, out.m3, out.m4 = src.n, src.mean, src.m2, src.m3, src.m4
            return out
        delta = other.mean - self.mean
        out.n = n
        out.mean = self.mean + delta * nb / n
        out.m2 = self.m2 + other.m2 + delta**2 * na * nb / n
        out.m3 = (
            self.m3 + other.m3
            + delta**3 * na * nb * (na - nb) / n**2
            + 3 * delta * (na * other.m2 - nb * self.m2) / n
        )
        out.m4 = (
            self.m4 + other.m4
            + delta**4 * na * nb * (na * na - na * nb + nb * nb) / n**3
            + 6 * delta**2 * (na * na * other.m2 + nb * nb * self.m2) / n**2
            + 4 * delta * (na * other.m3 - nb * self.m3) / n
        )
        return out

    @property
    def var(self) -> float:
        """Sample variance (ddof=1)."""
        return self.m2 / (self.n - 1) if self.n > 1 else float("nan")

    @property
    def std(self) -> float:
        return float(np.sqrt(self.var))

    @property
    def kurtosis(self) -> float:
        """Non-excess kurtosis m4 / m2^2 (3 for a normal)."""
        return self.n * self.m4 / self.m2**2 if self.m2 > 0 else float("nan")

    @property
    def null_rate(self) -> float:
        total = self.n + self.nulls
        return self.nulls / total if total else float("nan")


@dataclass
class Histogram:
    """Counts on fixed bin edges; values below/above the edges are counted apart.

    Examples
    --------
    >>> h = Histogram(np.array([0.0, 1.0, 2.0])).update(np.array([0.5, 1.5, 1.7, 3.0]))
    >>> h.counts.tolist(), h.above
    ([1, 2], 1)
    """

    edges: np.ndarray
    counts: np.ndarray = field(default=None)  # type: ignore[assignment]
    below: int = 0
    above: int = 0

    def __post_init__(self) -> None:
        self.edges = np.asarray(self.edges, dtype=float)
        if self.counts is None:
            self.counts = np.zeros(len(self.edges) - 1, dtype=np.int64)

    def update(self, x: np.ndarray) -> Histogram:
        v = np.asarray(x, dtype=float)
        v = v[~np.isnan(v)]
        lo, hi = self.edges[0], self.edges[-1]
        self.below += int((v < lo).sum())
        self.above += int((v > hi).sum())
        inside = v[(v >= lo) & (v <= hi)]
        idx = np.searchsorted(self.edges, inside, side="right") - 1
        idx = np.clip(idx, 0, len(self.counts) - 1)
        self.counts += np.bincount(idx, minlength=len(self.counts))
        return self

    def merge(self, other: Histogram) -> Histogram:
        if not np.array_equal(self.edges, other.edges):
            raise ValueError("histograms with different edges cannot be merged")
        return Histogram(self.edges, self.counts + other.counts, self.below + other.below,
                         self.above + other.above)

    def density(self) -> np.ndarray:
        total = self.counts.sum() + self.below + self.above
        width = np.diff(self.edges)
        return self.counts / max(total, 1) / np.where(width > 0, width, 1.0)


@dataclass
class Counts:
    """Counts of non-negative integer codes (negative codes = missing).

    Examples
    --------
    >>> Counts(3).update(np.array([0, 2, 2, -1])).counts.tolist()
    [1, 0, 2]
    """

    size: int
    counts: np.ndarray = field(default=None)  # type: ignore[assignment]
    nulls: int = 0

    def __post_init__(self) -> None:
        if self.counts is None:
            self.counts = np.zeros(self.size, dtype=np.int64)

    def update(self, codes: np.ndarray) -> Counts:
        codes = np.asarray(codes)
        valid = codes >= 0
        self.nulls += int((~valid).sum())
        self.counts += np.bincount(codes[valid], minlength=self.size)[: self.size]
        return self

    def merge(self, other: Counts) -> Counts:
        return Counts(self.size, self.counts + other.counts, self.nulls + other.nulls)

    def frequencies(self) -> np.ndarray:
        total = self.counts.sum()
        return self.counts / total if total else np.zeros(self.size)

    @property
    def null_rate(self) -> float:
        total = int(self.counts.sum()) + self.nulls
        return self.nulls / total if total else float("nan")


@dataclass
class PairwiseMoments:
    """Pairwise-complete co-moment sums of ``d`` numeric columns.

    With ``M`` the presence indicator and ``X0`` the shifted values (0 where
    missing), the sums are ``N = M'M``, ``S = X0'M`` (sum of column i over rows
    where j is present), ``Q = (X0**2)'M`` and ``P = X0'X0``; all add up over blocks.

    Examples
    --------
    >>> x = np.array([[1.0, 2.0], [2.0, 4.1], [3.0, 6.2], [4.0, np.nan]])
    >>> pm = PairwiseMoments(np.zeros(2)).update(x)
    >>> round(float(pm.correlation()[0, 1]), 6)
    1.0
    """

    shift: np.ndarray
    N: np.ndarray = field(default=None)  # type: ignore[assignment]
    S: np.ndarray = field(default=None)  # type: ignore[assignment]
    Q: np.ndarray = field(default=None)  # type: ignore[assignment]
    P: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        d = len(self.shift)
        for name in ("N", "S", "Q", "P"):
            if getattr(self, name) is None:
                setattr(self, name, np.zeros((d, d)))

    def update(self, x: np.ndarray) -> PairwiseMoments:
        x = np.asarray(x, dtype=float)
        present = ~np.isnan(x)
        m = present.astype(float)
        x0 = np.where(present, x - self.shift, 0.0)
        self.N += m.T @ m
        self.S += x0.T @ m
        self.Q += (x0 * x0).T @ m
        self.P += x0.T @ x0
        return self

    def merge(self, other: PairwiseMoments) -> PairwiseMoments:
        if not np.array_equal(self.shift, other.shift):
            raise ValueError("pairwise moments with different shifts cannot be merged")
        return PairwiseMoments(self.shift, self.N + other.N, self.S + other.S,
                               self.Q + other.Q, self.P + other.P)

    def correlation(self) -> np.ndarray:
        """Pearson matrix on pairwise-complete rows (NaN where undefined)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            n = self.N
            cov = self.P - self.S * self.S.T / n
            var_i = self.Q - self.S**2 / n
            var_j = var_i.T
            r = cov / np.sqrt(var_i * var_j)
        r = np.clip(r, -1.0, 1.0)
        r[n < 2] = np.nan
        np.fill_diagonal(r, np.where(np.diag(var_i) > 0, 1.0, np.nan))
        return r


@dataclass
class GroupMoments:
    """Count, sum and sum of squares of a numeric column within each category.

    Examples
    --------
    >>> g = GroupMoments(2).update(np.array([0, 0, 1, 1]), np.array([1.0, 1.0, 3.0, 3.0]))
    >>> float(g.correlation_ratio())
    1.0
    """

    size: int
    count: np.ndarray = field(default=None)  # type: ignore[assignment]
    total: np.ndarray = field(default=None)  # type: ignore[assignment]
    sumsq: np.ndarray = field(default=None)  # type: ignore[assignment]
    shift: float = 0.0

    def __post_init__(self) -> None:
        for name in ("count", "total", "sumsq"):
            if getattr(self, name) is None:
                setattr(self, name, np.zeros(self.size))

    def update(self, codes: np.ndarray, x: np.ndarray) -> GroupMoments:
        ok = (codes >= 0) & ~np.isnan(x)
        c, v = codes[ok], x[ok] - self.shift
        self.count += np.bincount(c, minlength=self.size)[: self.size]
        self.total += np.bincount(c, weights=v, minlength=self.size)[: self.size]
        self.sumsq += np.bincount(c, weights=v * v, minlength=self.size)[: self.size]
        return self

    def merge(self, other: GroupMoments) -> GroupMoments:
        return GroupMoments(self.size, self.count + other.count, self.total + other.total,
                            self.sumsq + other.sumsq, self.shift)

    def correlation_ratio(self) -> float:
        """eta = sqrt(between-group sum of squares / total sum of squares) (Pearson 1903)."""
        n = self.count.sum()
        if n < 2:
            return float("nan")
        grand = self.total.sum() / n
        sst = self.sumsq.sum() - n * grand**2
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(self.count > 0, self.total / np.maximum(self.count, 1), 0.0)
        ssb = float((self.count * (means - grand) ** 2).sum())
        if sst <= 0:
            return float("nan")
        return float(np.sqrt(min(max(ssb / sst, 0.0), 1.0)))
