"""``Archetype``: a distribution over labelled cluster datasets with certified overlap.

An archetype fixes the *kind* of dataset (number of clusters, dimension,
shapes, sizes, families, how much clusters may overlap); every call of
:meth:`Archetype.sample` draws a new mixture from it (shapes, sizes, families,
centers) and then the points, so datasets are similar but different. One seed
controls everything: the seed's sequence is split into fixed child streams
(0 shapes, 1 sizes, 2 family assignment, 3 calibration reference draws,
4 centers, 5 points, 6 non-convex transform).

Pluggable parts (each documents its method): :class:`~synthkit.clusters.covariances.CovarianceSampler`,
:func:`~synthkit.clusters.sizes.group_sizes`, :func:`~synthkit.clusters.centers.place_centers`,
:mod:`~synthkit.clusters.distributions`, :mod:`~synthkit.clusters.nonconvex`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np

from .._resources import check_memory
from .._version import __version__
from ..errors import ModelFileError, SpecError
from ..io import read_json, write_json
from ..overlap import single_thread_blas
from ..seeding import SeedLike, as_seed_sequence, seed_to_json
from .centers import place_centers
from .covariances import CovarianceSampler
from .dataset import ClusterDataset
from .distributions import ClusterDistribution, parse_distribution
from .mixture import DEFAULT_N_REFERENCE, MixtureModel, child_seed
from .nonconvex import NONCONVEX_KINDS, distort, remeasure, wrap_sphere
from .sizes import group_sizes, largest_remainder

__all__ = ["Archetype", "ARCHETYPE_FORMAT"]

ARCHETYPE_FORMAT = "synthkit-archetype"


def _gen(seq: np.random.SeedSequence) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(seq))


@dataclass
class Archetype:
    """Describe a family of labelled cluster datasets and draw from it.

    Parameters
    ----------
    n_clusters : int
        Number of clusters ``k >= 1``.
    dim : int
        Dimension ``p >= 1``.
    n_samples : int
        Points per dataset (``>= n_clusters``).
    aspect_ref : float
        Geometric mean of the clusters' aspect ratios (longest / shortest axis), ``>= 1``.
    aspect_maxmin : float
        Largest aspect ratio divided by the smallest, exactly (``>= 1``).
    radius_maxmin : float
        Largest cluster radius (geometric mean of its axis standard deviations)
        divided by the smallest, exactly (``>= 1``).
    scale : float
        Geometric mean of the radii (``> 0``).
    imbalance_ratio : float
        Largest cluster size divided by the smallest (``>= 1``, up to rounding).
    min_overlap, max_overlap : float
        Each cluster's nearest-neighbour overlap must be ``>= min_overlap`` and
        every pairwise overlap ``<= max_overlap``; ``0 < min < max < 1``. Overlap is
        twice the minimax error of the best linear rule (:mod:`synthkit.overlap`).
    distributions : sequence
        Families (``"normal"``, ``("student_t", {"df": 4})``, ...), see
        :mod:`synthkit.clusters.distributions`.
    distribution_proportions : sequence of float, optional
        Share of clusters per family (default equal); counts by largest remainder.
    name : str
    nonconvex : {None, "distort", "sphere"}
        Optional shape transformation after sampling (overlap re-measured).
    distortion_strength : float
        Lipschitz bound of the distortion, in (0, 1).
    on_fail : {"raise", "return"}
        When the overlap constraints cannot be certified: raise
        :class:`~synthkit.errors.OverlapError` or return the best dataset with
        ``placement["certified"] == False``.
    max_restarts : int
        Restarts of the center placement.
    n_reference : int
        Reference draws per non-normal family for the certified best-linear overlap
        (its standard error shrinks as ``1 / sqrt(n_reference)``).

    Examples
    --------
    >>> arch = Archetype(n_clusters=4, dim=3, n_samples=200, max_overlap=0.05, min_overlap=0.001)
    >>> ds = arch.sample(seed=7)
    >>> ds.placement["certified"], ds.X.shape
    (True, (200, 3))
    """

    n_clusters: int = 6
    dim: int = 2
    n_samples: int = 500
    aspect_ref: float = 1.5
    aspect_maxmin: float = 2.0
    radius_maxmin: float = 3.0
    scale: float = 1.0
    imbalance_ratio: float = 2.0
    min_overlap: float = 1e-3
    max_overlap: float = 0.05
    distributions: Sequence[Any] = ("normal",)
    distribution_proportions: Sequence[float] | None = None
    name: str = "archetype"
    nonconvex: str | None = None
    distortion_strength: float = 0.6
    on_fail: str = "raise"
    max_restarts: int = 5
    n_reference: int = DEFAULT_N_REFERENCE
    _families: list[ClusterDistribution] = field(default_factory=list, repr=False,
                                                 compare=False)

    def __post_init__(self):
        self._validate()

    # ------------------------------------------------------------ checking
    def _validate(self) -> None:
        def integer(name, lo):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, Integral):
                if isinstance(v, Real) and float(v).is_integer():
                    v = int(v)
                else:
                    raise SpecError(f"`{name}` must be an integer >= {lo}, got {v!r}")
            if v < lo:
                raise SpecError(f"`{name}` must be an integer >= {lo}, got {v}")
            setattr(self, name, int(v))

        def real(name, lo, strict=False, hint=""):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, Real) or not math.isfinite(float(v)):
                raise SpecError(f"`{name}` must be a finite number, got {v!r}")
            v = float(v)
            if v < lo or (strict and v == lo):
                rel = ">" if strict else ">="
                raise SpecError(f"`{name}` must be {rel} {lo:g}{hint}, got {v:g}")
            setattr(self, name, v)

        integer("n_clusters", 1)
        integer("dim", 1)
        integer("n_samples", 1)
        integer("max_restarts", 1)
        integer("n_reference", 1000)
        if self.n_samples < self.n_clusters:
            raise SpecError(
                f"`n_samples` ({self.n_samples}) must be at least `n_clusters` "
                f"({self.n_clusters}): every cluster needs a point"
            )
        k, p = self.n_clusters, self.dim  # points, one p x p factor per cluster, k x k overlaps
        check_memory(8.0 * (self.n_samples * p + k * p * p + k * k),
                     f"an archetype with {k:,} clusters, {p:,} dimensions and {self.n_samples:,} "
                     "points", "lower `n_clusters`, `dim` or `n_samples`")
        ratio_hint = " (a ratio of largest to smallest; 1 means all equal)"
        for name in ("aspect_ref", "aspect_maxmin", "radius_maxmin", "imbalance_ratio"):
            v = getattr(self, name)
            if isinstance(v, Real) and not isinstance(v, bool) and float(v) <= 0:
                raise SpecError(f"`{name}` must be a positive ratio >= 1, got {float(v):g}")
            real(name, 1.0, hint=ratio_hint)
        real("scale", 0.0, strict=True)
        for name in ("min_overlap", "max_overlap"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, Real) or not (0 < float(v) < 1):
                raise SpecError(
                    f"`{name}` must be in (0, 1) (twice a classification error rate), got {v!r}"
                )
            setattr(self, name, float(v))
        if self.min_overlap >= self.max_overlap:
            raise SpecError(
                f"`min_overlap` ({self.min_overlap:g}) must be smaller than `max_overlap` "
                f"({self.max_overlap:g})"
            )
        if self.nonconvex is not None and self.nonconvex not in NONCONVEX_KINDS:
            raise SpecError(f"`nonconvex` must be None or one of {list(NONCONVEX_KINDS)}, "
                            f"got {self.nonconvex!r}")
        v = self.distortion_strength
        if isinstance(v, bool) or not isinstance(v, Real) or not (0 < float(v) < 1):
            raise SpecError(f"`distortion_strength` must be in (0, 1), got {v!r}")
        self.distortion_strength = float(v)
        if self.on_fail not in ("raise", "return"):
            raise SpecError(f"`on_fail` must be 'raise' or 'return', got {self.on_fail!r}")
        dists = self.distributions
        if isinstance(dists, (str, dict, ClusterDistribution)):
            dists = [dists]
        if isinstance(dists, tuple) and len(dists) == 2 and isinstance(dists[1], dict):
            dists = [dists]
        dists = list(dists)
        if not dists:
            raise SpecError("`distributions` must name at least one family, e.g. ['normal']")
        self._families = [parse_distribution(d) for d in dists]
        self.distributions = [d.to_dict() for d in self._families]
        props = self.distribution_proportions
        if props is None:
            props = [1.0] * len(dists)
        props = list(props)
        if len(props) != len(dists):
            raise SpecError(
                f"`distribution_proportions` must have one entry per distribution "
                f"({len(dists)}), got {len(props)}"
            )
        if any(not isinstance(x, Real) or not math.isfinite(x) or x < 0 for x in props) or \
                sum(props) <= 0:
            raise SpecError(f"`distribution_proportions` must be non-negative numbers with a "
                            f"positive sum, got {props}")
        self.distribution_proportions = [float(x) / sum(props) for x in props]
        self.name = str(self.name)

    # ------------------------------------------------------------ sampling
    def covariance_sampler(self) -> CovarianceSampler:
        return CovarianceSampler(self.aspect_ref, self.aspect_maxmin, self.radius_maxmin,
                                 self.scale)

    def _assign_families(self, rng: np.random.Generator) -> list[ClusterDistribution]:
        counts = largest_remainder(np.asarray(self.distribution_proportions), self.n_clusters)
        assigned = [f for f, c in zip(self._families, counts, strict=True) for _ in range(c)]
        order = rng.permutation(self.n_clusters)
        return [assigned[i] for i in order]

    def sample_mixture(self, seed: SeedLike = None) -> tuple[MixtureModel, dict]:
        """Draw a mixture model (shapes, sizes, families, certified centers) and its certificate."""
        with single_thread_blas():  # many small QR / eigh / solve calls: see single_thread_blas
            return self._sample_mixture(as_seed_sequence(seed))

    def _sample_mixture(self, root: np.random.SeedSequence) -> tuple[MixtureModel, dict]:
        k, p = self.n_clusters, self.dim
        factors, _ = self.covariance_sampler().sample(k, p, _gen(child_seed(root, 0)))
        sizes = group_sizes(self.n_samples, k, self.imbalance_ratio, _gen(child_seed(root, 1)))
        families = self._assign_families(_gen(child_seed(root, 2)))
        mixture = MixtureModel(np.zeros((k, p)), factors, families, sizes,
                               reference_seed=seed_to_json(child_seed(root, 3)),
                               n_reference=self.n_reference)
        refs = mixture.references()
        placement = place_centers(factors, self.min_overlap, self.max_overlap,
                                  _gen(child_seed(root, 4)), references=refs,
                                  on_fail=self.on_fail, max_restarts=self.max_restarts)
        mixture.centers = placement.centers
        return mixture, placement.to_dict()

    def sample(self, seed: SeedLike = None) -> ClusterDataset:
        """Draw one labelled dataset.

        Parameters
        ----------
        seed : None, int, SeedSequence or Generator

        Returns
        -------
        ClusterDataset

        Raises
        ------
        OverlapError
            If the overlap constraints cannot be certified and ``on_fail="raise"``.
        """
        root = as_seed_sequence(seed)
        mixture, placement = self.sample_mixture(root)
        with single_thread_blas():  # small GEMMs are slower multi-threaded (see overlap.py)
            X, labels = mixture.sample(child_seed(root, 5))
        nonconvex = None
        if self.nonconvex is not None:
            rng = _gen(child_seed(root, 6))
            if self.nonconvex == "distort":
                X, info = distort(X, rng, strength=self.distortion_strength)
            else:
                X, info = wrap_sphere(X)
            info.update(remeasure(X, labels))
            nonconvex = info
        provenance = {
            "archetype": self.name,
            "seed": seed_to_json(root),
            "synthkit_version": __version__,
        }
        return ClusterDataset(X, labels, mixture, archetype=self, placement=placement,
                              provenance=provenance, nonconvex=nonconvex)

    def iter_sample(self, n_datasets: int, seed: SeedLike = None,
                    progress: bool | None = None) -> Iterator[ClusterDataset]:
        """Yield ``n_datasets`` different datasets; dataset ``d`` uses child ``d`` of the seed."""
        if isinstance(n_datasets, bool) or not isinstance(n_datasets, Integral) or n_datasets < 1:
            raise SpecError(f"`n_datasets` must be a positive integer, got {n_datasets!r}")
        from tqdm import tqdm

        root = as_seed_sequence(seed)
        disable = None if progress is None else not progress
        for d in tqdm(range(int(n_datasets)), desc=self.name, disable=disable):
            yield self.sample(child_seed(root, d))

    def sample_many(self, n_datasets: int, seed: SeedLike = None,
                    progress: bool | None = None) -> list[ClusterDataset]:
        """``n_datasets`` reproducible, different datasets (one seed controls all of them).

        Examples
        --------
        >>> a = Archetype(n_clusters=2, dim=2, n_samples=20)
        >>> [d.X.shape for d in a.sample_many(2, seed=0)]
        [(20, 2), (20, 2)]
        """
        return list(self.iter_sample(n_datasets, seed, progress))

    # ------------------------------------------------------------ files
    def to_dict(self) -> dict:
        """JSON-able record (``format: "synthkit-archetype"``, ``format_version: 1``)."""
        params = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
        params["distributions"] = [d.to_dict() for d in self._families]
        params["distribution_proportions"] = list(self.distribution_proportions)
        return {"format": ARCHETYPE_FORMAT, "format_version": 1, "params": params}

    @classmethod
    def from_dict(cls, d: dict) -> Archetype:
        if not isinstance(d, dict):
            raise ModelFileError(f"an archetype must be a mapping, got {type(d).__name__}")
        if d.get("format", ARCHETYPE_FORMAT) != ARCHETYPE_FORMAT:
            raise ModelFileError(f"not a {ARCHETYPE_FORMAT} document (format {d.get('format')!r})")
        if d.get("format_version", 1) != 1:
            raise ModelFileError(f"archetype format_version {d.get('format_version')!r} is not "
                                 f"supported (this synthkit reads version 1)")
        params = d.get("params", d)
        if not isinstance(params, dict):
            raise ModelFileError(f"archetype `params` must be a mapping, got {type(params).__name__}")
        params = {k: v for k, v in params.items() if k not in ("format", "format_version")}
        cls._check_names(params)
        return cls(**params)

    @classmethod
    def _check_names(cls, params: dict) -> None:
        known = {f.name for f in fields(cls) if not f.name.startswith("_")}
        unknown = set(params) - known
        if unknown:
            raise SpecError(f"unknown archetype parameter(s) {sorted(unknown, key=str)}; known: "
                            f"{sorted(known)}")

    def save(self, path: str | os.PathLike) -> Path:
        """Write the archetype as JSON (atomic)."""
        return write_json(path, self.to_dict())

    @classmethod
    def load(cls, path: str | os.PathLike) -> Archetype:
        """Read an archetype written by :meth:`save`."""
        return cls.from_dict(read_json(path, expected_format=ARCHETYPE_FORMAT,
                                       supported_versions=(1,)))

    @classmethod
    def from_description(cls, text: str, *, strict: bool = True, **overrides) -> Archetype:
        """Build an archetype from an English description (offline, deterministic).

        See :mod:`synthkit.clusters.describe` for the vocabulary. Unknown words
        raise :class:`~synthkit.errors.SpecError` listing them; with
        ``strict=False`` they are skipped and listed in the archetype's ``name``.
        Keyword ``overrides`` set parameters directly (e.g. ``n_samples=2000``).

        Examples
        --------
        >>> a = Archetype.from_description("ten oblong clusters in 50 dimensions")
        >>> a.n_clusters, a.dim
        (10, 50)
        """
        from .describe import parse_description

        params = parse_description(text, strict=strict)
        cls._check_names(overrides)
        params.update(overrides)
        return cls(**params)

    def replace(self, **changes) -> Archetype:
        """A copy with some parameters changed (validated)."""
        params = self.to_dict()["params"]
        self._check_names(changes)
        params.update(changes)
        return Archetype(**params)
