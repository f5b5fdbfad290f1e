"""Low-rank matrices with a known singular value decomposition.

``X = U diag(s) V' + noise * E``: ``U`` (m x r) and ``V`` (n x r) Haar-random orthonormal
(QR of a Gaussian matrix with the signs of ``R``'s diagonal moved into ``Q``, Mezzadri 2007,
"How to generate random matrices from the classical compact groups"), ``s`` the declared
singular values and ``E`` iid N(0, 1).

Signal-to-noise convention: ``snr = ||U diag(s) V'||_F**2 / (m * n * noise**2)``, the mean
square of a signal entry over the noise variance. A named singular-value profile is scaled
so that the signal's mean square entry is 1 (``sum(s**2) = m * n``), so ``snr = 1 / noise**2``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np

from .._resources import check_memory
from .._threads import limit_threads
from ..errors import SpecError
from ..seeding import SeedLike, as_seed_sequence, child_generator, seed_to_json

__all__ = ["LowRankMatrix", "PROFILES", "haar_orthonormal", "low_rank_matrix", "profile_values"]

#: Named singular-value (or CP weight) profiles, largest first, before scaling.
PROFILES = ("equal", "linear", "geometric")
#: Ratio of the first to the last value of the "geometric" profile.
GEOMETRIC_RATIO = 10.0
#: Bytes per cell counted against the machine's memory (signal, noise and data arrays of float64).
_BYTES_PER_CELL = 24


def profile_values(
    profile: str | Sequence[float] | np.ndarray, rank: int, what: str,
) -> tuple[np.ndarray, bool]:
    """The ``rank`` values of a named profile (unscaled) or a checked explicit sequence.

    Parameters
    ----------
    profile : {"equal", "linear", "geometric"} or sequence of float
        ``"equal"``: all 1; ``"linear"``: ``(rank - r + 1) / rank`` for ``r = 1..rank`` (from 1 down
        to ``1/rank``); ``"geometric"``: ``GEOMETRIC_RATIO ** (-(r - 1) / (rank - 1))`` (from 1 down
        to 1/10). A sequence is used as given: ``rank`` finite values > 0.
    rank : int
    what : str
        The argument's name, for error messages.

    Returns
    -------
    values : numpy.ndarray
    named : bool
        Whether ``profile`` was a name (the caller then scales the values).

    Examples
    --------
    >>> profile_values("linear", 4, "singular_values")[0].tolist()
    [1.0, 0.75, 0.5, 0.25]
    """
    if isinstance(profile, str):
        r = np.arange(1, rank + 1, dtype=float)
        if profile == "equal":
            return np.ones(rank), True
        if profile == "linear":
            return (rank - r + 1) / rank, True
        if profile == "geometric":
            return GEOMETRIC_RATIO ** (-(r - 1) / max(rank - 1, 1)), True
        raise SpecError(f"`{what}` must be one of {list(PROFILES)} or a sequence of {rank} numbers, "
                        f"got {profile!r}")
    try:
        values = np.asarray(profile, dtype=float)
    except (TypeError, ValueError):
        raise SpecError(f"`{what}` must be one of {list(PROFILES)} or a sequence of {rank} numbers, "
                        f"got {profile!r}") from None
    if values.ndim != 1 or values.size != rank:
        raise SpecError(f"`{what}` must have one value per component ({rank}), got shape {values.shape}")
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise SpecError(f"`{what}` must be finite and > 0 (a zero value drops its component, so the "
                        f"rank would be lower than {rank}), got {values.tolist()}")
    return values, False


def check_shape(shape: Sequence[int], *, min_order: int, max_order: int) -> tuple[int, ...]:
    """``shape`` as a tuple of ints >= 1 with ``min_order <= len(shape) <= max_order`` (else SpecError)."""
    if isinstance(shape, Integral) or isinstance(shape, (str, bytes)):
        raise SpecError(f"`shape` must be a sequence of ints, got {shape!r}")
    try:
        dims = tuple(shape)
    except TypeError:
        raise SpecError(f"`shape` must be a sequence of ints, got {shape!r}") from None
    if not min_order <= len(dims) <= max_order:
        want = f"{min_order}" if min_order == max_order else f"{min_order} to {max_order}"
        raise SpecError(f"`shape` must have {want} entries, got {len(dims)}: {dims!r}")
    if any(isinstance(d, bool) or not isinstance(d, Integral) or d < 1 for d in dims):
        raise SpecError(f"every entry of `shape` must be an int >= 1, got {dims!r}")
    dims = tuple(int(d) for d in dims)
    cells = math.prod(dims)
    check_memory(_BYTES_PER_CELL * float(cells), f"an array of shape {dims} ({cells:,} cells)",
                 "ask for a smaller shape")
    return dims


#: The largest noise standard deviation (1e100 times the unit signal: any larger overflows its square).
MAX_NOISE = 1e100


def check_noise(noise: float) -> float:
    """``noise`` as a float >= 0 (else SpecError)."""
    if isinstance(noise, bool) or not isinstance(noise, Real) or not math.isfinite(float(noise)) \
            or not 0 <= float(noise) <= MAX_NOISE:
        raise SpecError(f"`noise` (the standard deviation of the added N(0, noise**2) entries) must be "
                        f"a number in [0, {MAX_NOISE:g}], got {noise!r}")
    return float(noise)


def check_rank(rank: int, what: str = "rank") -> int:
    """``rank`` as an int >= 1 (else SpecError)."""
    if isinstance(rank, bool) or not isinstance(rank, Integral) or rank < 1:
        raise SpecError(f"`{what}` must be an int >= 1, got {rank!r}")
    return int(rank)


def haar_orthonormal(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """An ``n x k`` matrix with orthonormal columns, uniform (Haar) on the Stiefel manifold.

    QR of an ``n x k`` standard Gaussian matrix, with column ``j`` of ``Q`` multiplied by the
    sign of ``R[j, j]`` so that the factorisation is unique and ``Q`` exactly Haar-distributed
    (Mezzadri 2007).

    Examples
    --------
    >>> q = haar_orthonormal(5, 3, np.random.default_rng(0))
    >>> bool(np.allclose(q.T @ q, np.eye(3)))
    True
    """
    q, r = np.linalg.qr(rng.standard_normal((n, k)))
    signs = np.sign(np.diag(r))
    signs[signs == 0] = 1.0
    return q * signs


@dataclass(frozen=True, eq=False)
class LowRankMatrix:
    """A generated low-rank matrix and its ground truth.

    Attributes
    ----------
    data : numpy.ndarray
        ``U diag(s) V' + noise * E`` (m x n).
    factors : tuple of numpy.ndarray
        ``(U, s, V)``: orthonormal ``U`` (m x rank), singular values ``s`` (rank,), largest
        first, orthonormal ``V`` (n x rank).
    rank : int
    noise : float
        Standard deviation of the added Gaussian entries.
    seed : dict
        The seed record (:func:`synthkit.seeding.seed_to_json`): ``seed_from_json(seed)``
        given back as ``seed=`` repeats the draw exactly.
    """

    data: np.ndarray
    factors: tuple[np.ndarray, np.ndarray, np.ndarray]
    rank: int
    noise: float
    seed: dict

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.data.shape)  # type: ignore[return-value]

    @property
    def singular_values(self) -> np.ndarray:
        return self.factors[1]

    @property
    @limit_threads(1)
    def signal(self) -> np.ndarray:
        """The noiseless matrix ``U diag(s) V'``."""
        u, s, v = self.factors
        return (u * s) @ v.T

    @property
    def snr(self) -> float:
        """``sum(s**2) / (m * n * noise**2)`` (``inf`` without noise)."""
        power = float(np.sum(self.factors[1] ** 2)) / self.data.size
        return math.inf if self.noise == 0 else power / self.noise**2

    def __repr__(self) -> str:
        return (f"LowRankMatrix(shape={self.shape}, rank={self.rank}, noise={self.noise:g}, "
                f"snr={self.snr:.3g})")


@limit_threads(1)  # QR and products: the same bits whatever the BLAS thread count
def low_rank_matrix(
    shape: Sequence[int], rank: int, *, singular_values: str | Sequence[float] | None = None,
    noise: float = 0.0, seed: SeedLike = None,
) -> LowRankMatrix:
    """A matrix of known rank: ``X = U diag(s) V' + noise * E``.

    Parameters
    ----------
    shape : (m, n)
    rank : int
        ``1 <= rank <= min(m, n)``.
    singular_values : {"linear", "equal", "geometric"} or sequence of float, default "linear"
        A named profile (:func:`profile_values`; from 1 down to ``1/rank``, all equal, or from 1
        down to 1/10 geometrically), scaled so that ``sum(s**2) = m * n`` (the signal's mean square
        entry is 1 and ``snr = 1 / noise**2``); or ``rank`` values > 0 used as given (sorted
        largest first).
    noise : float, default 0
        Standard deviation ``sigma`` of the iid ``N(0, sigma**2)`` entries added. The largest
        singular value of the noise alone is close to ``sigma * (sqrt(m) + sqrt(n))`` (the
        Marchenko-Pastur edge); a signal singular value ``s`` stands out of it when
        ``s > sigma * (m * n) ** 0.25`` (Benaych-Georges & Nadakuditi 2012).
    seed : None, int, SeedSequence or Generator
        ``U``, ``V`` and ``E`` come from independent child streams of ``seed``: the same seed gives
        the same ``U`` and ``V`` whatever the noise.

    Returns
    -------
    LowRankMatrix

    Examples
    --------
    >>> res = low_rank_matrix((30, 20), 3, noise=0.0, seed=1)
    >>> int(np.linalg.matrix_rank(res.data)), res.data.shape
    (3, (30, 20))
    >>> bool(np.allclose(np.linalg.svd(res.data, compute_uv=False)[:3], res.singular_values))
    True
    """
    m, n = check_shape(shape, min_order=2, max_order=2)
    rank = check_rank(rank)
    if rank > min(m, n):
        raise SpecError(f"`rank` must be at most min(shape) = {min(m, n)} for a {m} x {n} matrix, "
                        f"got {rank}")
    noise = check_noise(noise)
    s, named = profile_values("linear" if singular_values is None else singular_values, rank,
                              "singular_values")
    if named:
        s = s * math.sqrt(m * n / float(np.sum(s**2)))
    s = np.sort(s)[::-1].copy()
    root = as_seed_sequence(seed)
    u = haar_orthonormal(m, rank, child_generator(root, 0))
    v = haar_orthonormal(n, rank, child_generator(root, 1))
    data = (u * s) @ v.T
    if noise > 0:
        data += noise * child_generator(root, 2).standard_normal((m, n))
    return LowRankMatrix(data=data, factors=(u, s, v), rank=rank, noise=noise, seed=seed_to_json(root))
