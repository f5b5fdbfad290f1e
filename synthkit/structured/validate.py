"""Checking the structure of a matrix or tensor: spectra, rank estimates, recovered factors.

Rank rule (every unfolding, an ``m x n`` matrix with ``M = min(m, n)``, ``N = max(m, n)``):
count the singular values above the noise edge

    t = sigma * sqrt(mu + 2.0234 * s),   mu = (sqrt(N - 1) + sqrt(M))**2,
    s = (sqrt(N - 1) + sqrt(M)) * (1 / sqrt(N - 1) + 1 / sqrt(M))**(1/3),

the 99% point of the largest singular value of ``sigma`` times an ``m x n`` standard Gaussian
matrix: Johnstone (2001, "On the distribution of the largest eigenvalue in principal components
analysis", Ann. Statist. 29(2)) shows ``(lambda_max - mu) / s`` tends to the Tracy-Widom law of
order 1, whose 99% quantile is 2.0234 (Tracy & Widom 1996). ``sqrt(mu)`` is the Marchenko-Pastur
edge ``sigma * (sqrt(m) + sqrt(n))``. Without a known ``sigma`` it is estimated from the median
singular value ``s_med`` as ``s_med / sqrt(N * mu_beta)``, ``mu_beta`` the median of the
Marchenko-Pastur law of ratio ``beta = M / N`` (Gavish & Donoho 2014, "The optimal hard threshold
for singular values is 4/sqrt(3)", IEEE Trans. Inf. Theory 60(8)); this assumes the rank is well
below ``M / 2``. A spike ``s`` of the signal crosses the edge when ``s > sigma * (m * n) ** 0.25``
(Benaych-Georges & Nadakuditi 2012). Below the noise floor the threshold is numpy's numerical
rank tolerance ``s_max * N * eps``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
from scipy import integrate, optimize
from scipy.linalg import subspace_angles

from ..errors import DataError, SpecError
from ..seeding import SeedLike, as_generator
from .matrix import LowRankMatrix, check_noise
from .tensor import LowRankTensor, unfold

__all__ = ["StructureReport", "estimate_rank", "factor_match_score", "mp_median", "noise_edge",
           "validate_structure"]

#: 99% quantile of the Tracy-Widom law of order 1 (Tracy & Widom 1996, table).
TW1_Q99 = 2.0234
_TENSORLY_HINT = "tensor decompositions need tensorly: pip install 'synthkit[tensor]'"


@functools.lru_cache(maxsize=256)
def mp_median(beta: float) -> float:
    """Median of the Marchenko-Pastur law of ratio ``beta`` in (0, 1] (unit variance).

    The law of the eigenvalues of ``E E' / N`` for an ``M x N`` standard Gaussian ``E``,
    ``beta = M / N``: density ``sqrt((b - x)(x - a)) / (2 pi beta x)`` on
    ``[a, b] = [(1 - sqrt(beta))**2, (1 + sqrt(beta))**2]``; the median solves
    ``int_a^m f = 1/2`` (scipy quad and brentq).

    Examples
    --------
    >>> round(mp_median(1.0), 4)
    0.6528
    """
    if not 0 < beta <= 1:
        raise SpecError(f"`beta` must be in (0, 1], got {beta!r}")
    a, b = (1 - math.sqrt(beta)) ** 2, (1 + math.sqrt(beta)) ** 2

    def density(t: float) -> float:  # 0 at t = 0 (beta = 1: an integrable 1/sqrt(t) singularity)
        return math.sqrt(max((b - t) * (t - a), 0.0)) / (2 * math.pi * beta * t) if t > 0 else 0.0

    def cdf(x: float) -> float:
        return integrate.quad(density, a, x, limit=200)[0]

    return float(optimize.brentq(lambda x: cdf(x) - 0.5, a, b, xtol=1e-12))


def noise_edge(m: int, n: int, sigma: float) -> float:
    """The 99% point of the largest singular value of ``sigma`` times an ``m x n`` N(0, 1) matrix.

    Johnstone's centring and scaling with the Tracy-Widom 99% quantile (module docstring).

    Examples
    --------
    >>> round(noise_edge(100, 100, 1.0), 2)  # the Marchenko-Pastur edge is 20
    20.53
    """
    big, small = max(m, n), min(m, n)
    a, b = math.sqrt(max(big - 1, 1)), math.sqrt(small)
    mu = (a + b) ** 2
    scale = (a + b) * (1 / a + 1 / b) ** (1 / 3)
    return sigma * math.sqrt(mu + TW1_Q99 * scale)


def estimate_rank(x: np.ndarray, noise: float | None = None) -> dict[str, Any]:
    """The rank of a noisy matrix by the noise-edge rule (module docstring).

    Parameters
    ----------
    x : 2-d array
    noise : float, optional
        Standard deviation of the noise entries; estimated from the median singular value if
        omitted.

    Returns
    -------
    dict
        ``rank``, ``threshold``, ``noise`` (used or estimated) and ``singular_values``.

    Examples
    --------
    >>> from synthkit.structured import low_rank_matrix
    >>> estimate_rank(low_rank_matrix((60, 40), 3, noise=0.1, seed=0).data)["rank"]
    3
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise DataError(f"estimate_rank needs a 2-d array, got {x.ndim} dimensions")
    m, n = x.shape
    s = np.linalg.svd(x, compute_uv=False)
    if noise is None:
        small, big = min(m, n), max(m, n)
        sigma = float(np.median(s)) / math.sqrt(big * mp_median(small / big))
    else:
        sigma = check_noise(noise)
    tol = (float(s[0]) if s.size else 0.0) * max(m, n) * np.finfo(float).eps
    threshold = max(noise_edge(m, n, sigma), tol)
    return {"rank": int(np.sum(s > threshold)), "threshold": threshold, "noise": sigma, "singular_values": s}


def factor_match_score(true_factors: list[np.ndarray], est_factors: list[np.ndarray]) -> float:
    """Factor match score: mean over true components of the product over modes of ``|cos|``.

    Components are paired by the Hungarian algorithm (:func:`scipy.optimize.linear_sum_assignment`)
    on the congruence ``C[r, s] = prod_n |a_n,r . b_n,s| / (||a_n,r|| ||b_n,s||)``, which makes the
    score invariant to the order, sign and scale of the components; a true component left without
    a partner (fewer estimated components) counts 0. 1 means every factor recovered.

    Examples
    --------
    >>> a = [np.eye(3)[:, :2], np.eye(4)[:, :2]]
    >>> factor_match_score(a, [-2 * f[:, ::-1] for f in a])
    1.0
    """
    if len(true_factors) != len(est_factors):
        raise SpecError(f"the factor lists must have one matrix per mode, got {len(true_factors)} and "
                        f"{len(est_factors)}")
    congruence = np.ones((true_factors[0].shape[1], est_factors[0].shape[1]))
    for a, b in zip(true_factors, est_factors, strict=True):
        a = a / np.linalg.norm(a, axis=0)
        b = b / np.where(np.linalg.norm(b, axis=0) > 0, np.linalg.norm(b, axis=0), 1.0)
        congruence *= np.abs(a.T @ b)
    rows, cols = optimize.linear_sum_assignment(congruence, maximize=True)
    return float(congruence[rows, cols].sum() / congruence.shape[0])


@dataclass(frozen=True, eq=False)
class StructureReport:
    """What :func:`validate_structure` measured.

    Attributes
    ----------
    kind : {"matrix", "cp", "tucker"}
    spectrum : pandas.DataFrame
        One row per mode and singular value: ``mode``, ``k`` (1-based), ``singular_value``,
        ``threshold``, ``above``.
    modes : pandas.DataFrame
        One row per mode (unfolding): ``mode``, ``rows``, ``columns``, ``noise`` (used or estimated),
        ``threshold``, ``estimated_rank``, ``true_rank`` and ``max_angle_deg`` (the largest principal
        angle between the true factor's column space and the unfolding's leading left singular
        vectors, when the truth is known).
    estimated_rank : int or tuple of int
        Matrix rank, or the estimated multilinear rank (one per mode); a CP rank is at least its
        largest entry.
    rule : str
    fit : pandas.DataFrame or None
        ``rank`` and ``relative_error`` ``||X - X_r||_F / ||X||_F`` of the rank-``r`` fit
        (truncated SVD, tensorly ``parafac`` or ``tucker``), for ``r = 1 .. rank + 2``.
    factor_match : float or None
        :func:`factor_match_score` of the fit at the true rank against the true factors
        (matrix: the SVD's ``U`` and ``V``; CP: ``parafac``); ``None`` without the truth, for Tucker
        (its factors are defined up to rotation: see ``max_angle_deg``) or without tensorly.
    notes : tuple of str
    """

    kind: str
    spectrum: pd.DataFrame
    modes: pd.DataFrame
    estimated_rank: int | tuple[int, ...]
    rule: str
    fit: pd.DataFrame | None = None
    factor_match: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __repr__(self) -> str:
        fm = "n/a" if self.factor_match is None else f"{self.factor_match:.4f}"
        return (f"StructureReport(kind={self.kind!r}, estimated_rank={self.estimated_rank}, "
                f"factor_match={fm})\n{self.modes.to_string(index=False)}")


def _import_tensorly(required: bool) -> Any:
    try:
        import tensorly
        from tensorly import decomposition  # noqa: F401
    except ImportError:
        if required:
            raise ImportError(_TENSORLY_HINT) from None
        return None
    return tensorly


def _check_fit_rank(rank: Any, kind: str, shape: tuple[int, ...]) -> int | tuple[int, ...]:
    """``rank`` for a fit of ``kind`` on an array of ``shape`` (else SpecError): an int from 1 to the
    largest possible rank; for Tucker also one such int per mode, each at most that mode's size."""
    def one(r: Any, top: int, what: str) -> int:
        if isinstance(r, bool) or not isinstance(r, Integral) or not 1 <= r <= top:
            raise SpecError(f"`rank` must be an int from 1 to {top} ({what}), got {r!r}")
        return int(r)

    if kind == "matrix":
        return one(rank, min(shape), "the smaller dimension")
    if kind == "cp":
        return one(rank, math.prod(shape) // max(shape), "prod(shape) / max(shape)")
    if isinstance(rank, Integral) and not isinstance(rank, bool):
        return one(rank, min(shape), "every mode's size")
    try:
        ranks = tuple(rank)
    except TypeError:
        raise SpecError(f"`rank` of a Tucker fit must be an int or one int per mode, got {rank!r}") from None
    if len(ranks) != len(shape):
        raise SpecError(f"`rank` of a Tucker fit needs one entry per mode ({len(shape)}), got {rank!r}")
    return tuple(one(r, d, f"mode {n}'s size") for n, (r, d) in enumerate(zip(ranks, shape, strict=True)))


def validate_structure(
    obj: LowRankMatrix | LowRankTensor | np.ndarray, *, noise: float | None = None,
    rank: int | tuple[int, ...] | None = None, kind: str | None = None, decompose: bool | None = None,
    n_iter_max: int = 500, seed: SeedLike = None,
) -> StructureReport:
    """Singular-value profile, rank estimate and recovered factors of a matrix or tensor.

    Parameters
    ----------
    obj : LowRankMatrix, LowRankTensor or array (2 or more dimensions)
        A generated result (its truth is compared) or plain data.
    noise : float, optional
        Known noise standard deviation for the rank rule; by default estimated from each
        unfolding's median singular value (module docstring).
    rank : int or tuple, optional
        Rank of the fits (default: the true rank of a generated result, else the estimate).
    kind : {"cp", "tucker"}, optional
        Decomposition of a tensor (default: the generated kind, else "cp").
    decompose : bool, optional
        Fit CP/Tucker models with tensorly (tensors only). ``None``: when tensorly is installed;
        ``True`` without it raises ImportError with the install command.
    n_iter_max : int, default 500
        Iterations of each tensorly fit (tolerance 1e-10, SVD initialisation).
    seed : None, int, SeedSequence or Generator
        For the random part of a tensorly initialisation (a rank above a mode's dimension).

    Returns
    -------
    StructureReport

    Examples
    --------
    >>> from synthkit.structured import low_rank_matrix
    >>> rep = validate_structure(low_rank_matrix((50, 40), 4, noise=0.05, seed=3))
    >>> rep.estimated_rank, round(rep.factor_match, 2)
    (4, 1.0)
    """
    truth = obj if isinstance(obj, (LowRankMatrix, LowRankTensor)) else None
    try:
        x = np.asarray(truth.data if truth is not None else obj, dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"validate_structure needs a numeric array, got {type(obj).__name__}") from None
    if isinstance(n_iter_max, bool) or not isinstance(n_iter_max, Integral) or n_iter_max < 1:
        raise SpecError(f"`n_iter_max` must be an int >= 1, got {n_iter_max!r}")
    if x.ndim < 2:
        raise DataError(f"validate_structure needs a matrix or tensor (2 or more dimensions), got {x.ndim}")
    if not np.all(np.isfinite(x)):
        raise DataError("the array has NaN or infinite entries; structure checks need finite values")
    if kind is not None and kind not in ("cp", "tucker"):
        raise SpecError(f"`kind` must be 'cp' or 'tucker', got {kind!r}")
    if x.ndim == 2 and not isinstance(truth, LowRankTensor):
        kind_ = "matrix"
    else:
        kind_ = kind or (truth.kind if isinstance(truth, LowRankTensor) else "cp")
    order = x.ndim
    if rank is not None:
        rank = _check_fit_rank(rank, kind_, x.shape)

    if isinstance(truth, LowRankMatrix):
        true_factors = [truth.factors[0], truth.factors[2]]
        true_ranks: tuple[int, ...] | None = (truth.rank, truth.rank)
    elif isinstance(truth, LowRankTensor):
        true_factors = list(truth.factors)
        true_ranks = tuple(min(r, d, x.size // d) for r, d in zip(truth.ranks, x.shape, strict=True))
    else:
        true_factors, true_ranks = [], None

    spectra, rows = [], []
    for n in range(order):
        xn = unfold(x, n)
        est = estimate_rank(xn, noise)
        s = est["singular_values"]
        spectra.append(pd.DataFrame({"mode": n, "k": np.arange(1, s.size + 1), "singular_value": s,
                                     "threshold": est["threshold"], "above": s > est["threshold"]}))
        angle = np.nan
        if true_ranks is not None:
            u = np.linalg.svd(xn, full_matrices=False)[0][:, :true_ranks[n]]
            angle = float(np.degrees(subspace_angles(true_factors[n], u).max()))
        rows.append({"mode": n, "rows": xn.shape[0], "columns": xn.shape[1], "noise": est["noise"],
                     "threshold": est["threshold"], "estimated_rank": est["rank"],
                     "true_rank": np.nan if true_ranks is None else true_ranks[n], "max_angle_deg": angle})
    modes = pd.DataFrame(rows)
    spectrum = pd.concat(spectra, ignore_index=True)
    source = ("given" if noise is not None
              else "estimated from the median singular value (Gavish & Donoho 2014)")
    rule = ("singular values above the 99% Tracy-Widom point of the noise's largest singular value "
            f"(Johnstone 2001); noise {source}")
    estimated: int | tuple[int, ...] = (int(modes["estimated_rank"].iloc[0]) if kind_ == "matrix"
                                        else tuple(int(r) for r in modes["estimated_rank"]))
    notes: list[str] = []

    if kind_ == "matrix":
        fit_rank = int(rank if rank is not None else (truth.rank if truth is not None else estimated))
        s = spectrum.loc[spectrum["mode"] == 0, "singular_value"].to_numpy()
        total = float(np.sum(s**2))
        ranks = np.arange(1, min(fit_rank + 2, s.size) + 1)
        tail = np.sqrt(np.maximum(total - np.cumsum(s**2)[ranks - 1], 0.0) / max(total, np.finfo(float).tiny))
        fit = pd.DataFrame({"rank": ranks, "relative_error": tail})  # Eckart-Young: exact best rank-r error
        fms = None
        if truth is not None:
            u, _, vt = np.linalg.svd(x, full_matrices=False)
            fms = factor_match_score(true_factors, [u[:, :fit_rank], vt[:fit_rank].T])
        return StructureReport(kind_, spectrum, modes, estimated, rule, fit, fms, tuple(notes))

    tl = None if decompose is False else _import_tensorly(required=bool(decompose))
    if tl is None:
        if decompose is None:
            notes.append(f"no CP/Tucker fit: {_TENSORLY_HINT}")
        return StructureReport(kind_, spectrum, modes, estimated, rule, None, None, tuple(notes))
    from tensorly.decomposition import parafac, tucker

    random_state = int(as_generator(seed).integers(2**31 - 1))
    norm = float(np.linalg.norm(x))
    fits, fms = [], None
    if kind_ == "cp":
        if rank is not None:
            target = int(rank if np.ndim(rank) == 0 else max(rank))  # type: ignore[arg-type]
        elif isinstance(truth, LowRankTensor) and truth.kind == "cp":
            target = int(truth.rank)  # type: ignore[arg-type]
        else:
            target = max(estimated) if isinstance(estimated, tuple) else estimated
        bound = math.prod(x.shape) // max(x.shape)
        for r in range(1, min(max(target, 1) + 2, bound) + 1):
            try:
                cp = parafac(x, r, n_iter_max=n_iter_max, init="svd", tol=1e-10, normalize_factors=True,
                             random_state=random_state)
            except np.linalg.LinAlgError as exc:  # e.g. a rank above an exactly low-rank tensor's
                fits.append({"rank": r, "relative_error": np.nan})
                notes.append(f"the CP fit at rank {r} failed ({exc}): more components than the data hold")
                continue
            fits.append({"rank": r, "relative_error": float(np.linalg.norm(x - tl.cp_to_tensor(cp))) / norm})
            if r == target and isinstance(truth, LowRankTensor) and truth.kind == "cp":
                fms = factor_match_score(true_factors, list(cp.factors))
    else:
        if rank is not None:
            target_ranks = tuple(int(r) for r in np.broadcast_to(rank, (order,)))
        elif isinstance(truth, LowRankTensor):
            target_ranks = truth.ranks
        else:
            target_ranks = estimated  # type: ignore[assignment]
        for r in range(1, max(target_ranks) + 3):
            ranks_r = [min(r, d) for d in x.shape]
            try:
                core, factors = tucker(x, rank=ranks_r, n_iter_max=n_iter_max, init="svd", tol=1e-10,
                                       random_state=random_state)
            except np.linalg.LinAlgError as exc:
                fits.append({"rank": r, "ranks": tuple(ranks_r), "relative_error": np.nan})
                notes.append(f"the Tucker fit at ranks {tuple(ranks_r)} failed ({exc})")
                continue
            err = float(np.linalg.norm(x - tl.tucker_to_tensor((core, factors)))) / norm
            fits.append({"rank": r, "ranks": tuple(ranks_r), "relative_error": err})
        notes.append("Tucker factors are defined up to rotation: compare subspaces (max_angle_deg)")
    return StructureReport(kind_, spectrum, modes, estimated, rule, pd.DataFrame(fits), fms, tuple(notes))
