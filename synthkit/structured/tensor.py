"""Low-rank tensors (CP and Tucker) with known factors.

* **CP** (CANDECOMP/PARAFAC, Kolda & Bader 2009, "Tensor decompositions and applications",
  SIAM Review 51(3)): ``X = sum_r w_r a1_r o a2_r o ... o aN_r + noise * E``, unit-norm factor
  columns ``a_n,r`` and weights ``w_r``.
* **Tucker**: ``X = G x_1 U1 x_2 U2 ... x_N UN + noise * E``, a core ``G`` of shape
  ``(R1, ..., RN)`` and unit-norm factor columns; the multilinear rank is ``(R1, ..., RN)``.

Factor columns (``factor_structure``), each scaled to unit norm:

* ``"gaussian"``: iid N(0, 1);
* ``"nonnegative"``: iid |N(0, 1)| (half-normal); a Tucker core is then |N(0, 1)| too, so the
  whole tensor is >= 0 before noise;
* ``"sparse"``: N(0, 1) times a Bernoulli(1 - sparsity) mask; a column left with no nonzero gets
  one at a uniformly drawn row, so the expected share of zeros in a column of length ``I`` is
  ``sparsity - sparsity**I / I``;
* ``"collinear"``: every pair of columns of a mode has cosine exactly ``collinearity``:
  ``A = Q L'`` with ``Q`` Haar orthonormal and ``L`` the Cholesky factor of the target Gram matrix
  ``(1 - c) I + c 11'``. Two CP components then have congruence ``c**N`` (product over the ``N``
  modes), the classic hard case ("swamps") for CP alternating least squares.

A named weight profile or the default core is scaled so that the signal's mean square entry is 1:
``snr = ||signal||_F**2 / (prod(shape) * noise**2) = 1 / noise**2``.
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
from .matrix import check_noise, check_rank, check_shape, haar_orthonormal, profile_values

__all__ = ["FACTOR_STRUCTURES", "KINDS", "LowRankTensor", "MAX_ORDER", "low_rank_tensor", "unfold"]

KINDS = ("cp", "tucker")
FACTOR_STRUCTURES = ("gaussian", "nonnegative", "sparse", "collinear")
#: Largest tensor order accepted.
MAX_ORDER = 8


def unfold(x: np.ndarray, mode: int) -> np.ndarray:
    """The mode-``mode`` unfolding: ``x.shape[mode]`` rows, the other indices (C order) as columns.

    Examples
    --------
    >>> unfold(np.arange(24).reshape(2, 3, 4), 1).shape
    (3, 8)
    """
    return np.moveaxis(x, mode, 0).reshape(x.shape[mode], -1)


@dataclass(frozen=True, eq=False)
class LowRankTensor:
    """A generated low-rank tensor and its ground truth.

    Attributes
    ----------
    data : numpy.ndarray
        The tensor (signal plus noise).
    factors : tuple of numpy.ndarray
        One ``shape[n] x rank_n`` matrix per mode, unit-norm columns.
    weights : numpy.ndarray or None
        CP weights ``w_r`` (``None`` for Tucker).
    core : numpy.ndarray or None
        Tucker core (``None`` for CP).
    rank : int or tuple of int
        CP rank, or the Tucker multilinear rank (one per mode).
    kind : {"cp", "tucker"}
    factor_structure : str
    noise : float
    seed : dict
        The seed record (:func:`synthkit.seeding.seed_to_json`).
    collinearity, sparsity : float or None
        The values used (``None`` when the factor structure does not use them).
    """

    data: np.ndarray
    factors: tuple[np.ndarray, ...]
    weights: np.ndarray | None
    core: np.ndarray | None
    rank: int | tuple[int, ...]
    kind: str
    factor_structure: str
    noise: float
    seed: dict
    collinearity: float | None = None
    sparsity: float | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.data.shape)

    @property
    def ranks(self) -> tuple[int, ...]:
        """Number of factor columns per mode."""
        return tuple(f.shape[1] for f in self.factors)

    @property
    @limit_threads(1)
    def signal(self) -> np.ndarray:
        """The noiseless tensor."""
        if self.kind == "cp":
            return _cp_signal(self.weights, self.factors)
        return _tucker_signal(self.core, self.factors)

    @property
    def snr(self) -> float:
        """Mean square signal entry over the noise variance (``inf`` without noise)."""
        power = float(np.sum(self.signal**2)) / self.data.size
        return math.inf if self.noise == 0 else power / self.noise**2

    def __repr__(self) -> str:
        return (f"LowRankTensor(kind={self.kind!r}, shape={self.shape}, rank={self.rank}, "
                f"factor_structure={self.factor_structure!r}, noise={self.noise:g})")


def _cp_signal(weights: np.ndarray, factors: Sequence[np.ndarray]) -> np.ndarray:
    """``sum_r w_r a1_r o ... o aN_r`` via the Khatri-Rao product of modes 2..N (C order)."""
    rank = factors[0].shape[1]
    kr = factors[1]
    for f in factors[2:]:
        kr = (kr[:, None, :] * f[None, :, :]).reshape(-1, rank)
    shape = tuple(f.shape[0] for f in factors)
    return ((factors[0] * weights) @ kr.T).reshape(shape)


def _tucker_signal(core: np.ndarray, factors: Sequence[np.ndarray]) -> np.ndarray:
    """``core x_1 U1 ... x_N UN`` by successive mode products."""
    x = core
    for n, u in enumerate(factors):
        x = np.moveaxis(np.tensordot(u, x, axes=(1, n)), 0, n)
    return x


def _factor(n_rows: int, n_cols: int, structure: str, rng: np.random.Generator,
            collinearity: float, sparsity: float) -> np.ndarray:
    """One factor matrix with unit-norm columns of the given structure."""
    if structure == "collinear":
        gram = (1.0 - collinearity) * np.eye(n_cols) + collinearity
        return haar_orthonormal(n_rows, n_cols, rng) @ np.linalg.cholesky(gram).T
    a = rng.standard_normal((n_rows, n_cols))
    if structure == "nonnegative":
        a = np.abs(a)
    elif structure == "sparse":
        mask = rng.random((n_rows, n_cols)) >= sparsity
        rows = rng.integers(0, n_rows, size=n_cols)  # drawn always: the stream does not depend on the mask
        empty = np.flatnonzero(~mask.any(axis=0))
        mask[rows[empty], empty] = True
        a = a * mask
    return a / np.linalg.norm(a, axis=0)


#: Draws of the factors before a sparse structure that keeps the rank is given up.
MAX_FACTOR_DRAWS = 1000


def _keeps_rank(factors: Sequence[np.ndarray], kind: str) -> bool:
    """Whether factors drawn for a rank keep it: every Tucker factor of full column rank; for
    CP, both factors of a matrix of full column rank, and in a higher-order tensor no two
    components parallel in all modes but one (``a∘b∘c + a∘b'∘c = a∘(b + b')∘c``: they
    would merge into one)."""
    if kind == "tucker" or len(factors) == 2:
        return all(int(np.linalg.matrix_rank(f)) == f.shape[1] for f in factors)
    parallel_modes = np.zeros((factors[0].shape[1],) * 2, dtype=int)
    for f in factors:  # unit-norm columns: |cos| = 1 when parallel
        parallel_modes += np.abs(f.T @ f) > 1.0 - 1e-12
    np.fill_diagonal(parallel_modes, 0)
    return not (parallel_modes >= len(factors) - 1).any()


def _full_rank_factors(shape, ranks, kind, structure, root, collinearity, sparsity) -> tuple[np.ndarray, ...]:
    """The factor matrices (mode ``n`` from child stream ``(0, n)``), drawn again from the same
    streams while a sparse draw loses rank (other structures keep it with probability 1)."""
    gens = [child_generator(root, 0, n) for n in range(len(shape))]
    for _ in range(MAX_FACTOR_DRAWS):
        factors = tuple(_factor(d, r, structure, g, collinearity, sparsity)
                        for d, r, g in zip(shape, ranks, gens, strict=True))
        if structure != "sparse" or _keeps_rank(factors, kind):
            return factors
    raise SpecError(f"{MAX_FACTOR_DRAWS} draws of sparse factors with sparsity {sparsity:g} all lost rank "
                    f"{ranks[0] if kind == 'cp' else ranks} in shape {shape}; lower `sparsity` or the rank")


def _check_fraction(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0.0 <= float(value) < 1.0:
        raise SpecError(f"`{name}` must be a number in [0, 1), got {value!r}")
    return float(value)


def _tucker_ranks(rank: int | Sequence[int], shape: tuple[int, ...]) -> tuple[int, ...]:
    order = len(shape)
    if isinstance(rank, Integral) and not isinstance(rank, bool):
        ranks = (check_rank(rank),) * order
    else:
        try:
            ranks = tuple(rank)  # type: ignore[arg-type]
        except TypeError:
            raise SpecError(f"`rank` of a Tucker tensor must be an int or one int per mode, got {rank!r}") \
                from None
        if len(ranks) != order:
            raise SpecError(f"`rank` of a Tucker tensor needs one entry per mode ({order}), got {rank!r}")
        ranks = tuple(check_rank(r, "rank") for r in ranks)
    for n, (r, dim) in enumerate(zip(ranks, shape, strict=True)):
        if r > dim:
            raise SpecError(f"Tucker rank {r} of mode {n} exceeds that mode's dimension {dim}; "
                            f"use a rank <= {dim}")
        others = math.prod(ranks) // r
        if r > others:
            raise SpecError(f"Tucker rank {r} of mode {n} exceeds the product of the other modes' ranks "
                            f"({others}): no core has that multilinear rank; lower it to <= {others}")
    return ranks


@limit_threads(1)  # QR and products: the same bits whatever the BLAS thread count
def low_rank_tensor(
    shape: Sequence[int], rank: int | Sequence[int], *, kind: str = "cp",
    factor_structure: str = "gaussian", weights: str | Sequence[float] | None = None,
    core: np.ndarray | None = None, noise: float = 0.0, collinearity: float = 0.5,
    sparsity: float = 0.5, seed: SeedLike = None,
) -> LowRankTensor:
    """A tensor of known CP rank or Tucker multilinear rank, plus Gaussian noise.

    Parameters
    ----------
    shape : sequence of int
        2 to :data:`MAX_ORDER` (8) dimensions, each >= 1.
    rank : int, or (Tucker) one int per mode
        CP: ``1 <= rank <= prod(shape) / max(shape)``. Every ``I1 x ... x IN`` tensor is a sum
        of at most ``prod(shape) / max(shape)`` rank-one terms (one per fibre along the longest
        mode), so a larger CP rank cannot be the tensor's rank. Tucker: ``rank_n <= shape[n]`` and
        ``rank_n <= prod of the other ranks`` (the mode-n unfolding of the core has rank at most
        that).
    kind : {"cp", "tucker"}
    factor_structure : {"gaussian", "nonnegative", "sparse", "collinear"}
        How the factor columns are drawn (module docstring). "collinear" needs
        ``shape[n] >= rank_n`` in every mode.
    weights : {"equal", "linear", "geometric"} or sequence of float, default "equal"
        CP weights: a named profile scaled to a unit mean-square signal entry, or ``rank`` values
        > 0 used as given.
    core : array of shape ``rank``, optional
        Tucker core used as given (its unfoldings must have the ranks ``rank``); by default iid
        N(0, 1) (|N(0, 1)| for "nonnegative") scaled to a unit mean-square signal entry.
    noise : float, default 0
        Standard deviation of the iid N(0, noise**2) entries added.
    collinearity : float in [0, 1), default 0.5
        Cosine between any two factor columns of a mode ("collinear" only).
    sparsity : float in [0, 1), default 0.5
        Probability that a factor entry is 0 ("sparse" only). A draw that would lose rank (a
        Tucker factor without full column rank, or two CP components parallel in every mode) is
        drawn again from the same stream, so the returned rank is the data's.
    seed : None, int, SeedSequence or Generator
        Mode ``n``'s factor, the core and the noise come from independent child streams.

    Returns
    -------
    LowRankTensor

    Examples
    --------
    >>> res = low_rank_tensor((6, 7, 8), 3, seed=0)
    >>> [int(np.linalg.matrix_rank(unfold(res.data, n))) for n in range(3)]
    [3, 3, 3]
    >>> res = low_rank_tensor((6, 7, 8), (2, 3, 4), kind="tucker", seed=0)
    >>> [int(np.linalg.matrix_rank(unfold(res.data, n))) for n in range(3)]
    [2, 3, 4]
    """
    shape = check_shape(shape, min_order=2, max_order=MAX_ORDER)
    if kind not in KINDS:
        raise SpecError(f"`kind` must be one of {list(KINDS)}, got {kind!r}")
    if factor_structure not in FACTOR_STRUCTURES:
        raise SpecError(f"`factor_structure` must be one of {list(FACTOR_STRUCTURES)}, "
                        f"got {factor_structure!r}")
    noise = check_noise(noise)
    collinearity = _check_fraction(collinearity, "collinearity")
    sparsity = _check_fraction(sparsity, "sparsity")
    if kind == "cp":
        rank = check_rank(rank)  # type: ignore[arg-type]
        bound = math.prod(shape) // max(shape)
        if rank > bound:
            raise SpecError(f"CP rank {rank} exceeds prod(shape) / max(shape) = {bound} for shape {shape}: "
                            f"every tensor of that shape has rank <= {bound}; use a rank <= {bound}")
        if core is not None:
            raise SpecError("`core` is for kind='tucker'; a CP tensor takes `weights`")
        ranks = (rank,) * len(shape)
        kr_cells = float(math.prod(shape[1:])) * rank  # the Khatri-Rao product behind the signal
        check_memory(8.0 * (kr_cells + math.prod(shape)),
                     f"a CP tensor of shape {shape} and rank {rank} ({kr_cells:,.0f} cells of its "
                     "Khatri-Rao product)", "ask for a smaller shape or rank")
    else:
        ranks = _tucker_ranks(rank, shape)
        rank = ranks
        if weights is not None:
            raise SpecError("`weights` are for kind='cp'; give a Tucker tensor's `core` instead")
    if factor_structure == "collinear" and any(r > d for r, d in zip(ranks, shape, strict=True)):
        raise SpecError(f"collinear factors need every mode's dimension >= its rank (columns with a given "
                        f"Gram matrix need that many dimensions), got shape {shape} and rank {rank}")

    root = as_seed_sequence(seed)
    factors = _full_rank_factors(shape, ranks, kind, factor_structure, root, collinearity, sparsity)
    if kind == "cp":
        w, named = profile_values("equal" if weights is None else weights, ranks[0], "weights")
        signal = _cp_signal(w, factors)
        g = None
    else:
        named = core is None
        if named:
            g = child_generator(root, 1).standard_normal(ranks)
            if factor_structure == "nonnegative":
                g = np.abs(g)
        else:
            try:
                g = np.asarray(core, dtype=float)
            except (TypeError, ValueError):
                raise SpecError(f"`core` must be an array of numbers of shape {ranks}, got {core!r:.80}") \
                    from None
            if g.shape != ranks:
                raise SpecError(f"`core` must have shape {ranks} (the Tucker rank), got {g.shape}")
            if not np.all(np.isfinite(g)):
                raise SpecError("`core` must be finite")
            have = tuple(int(np.linalg.matrix_rank(unfold(g, n))) for n in range(g.ndim))
            if have != ranks:
                raise SpecError(f"`core` has multilinear rank {have}, not {ranks}: the tensor's rank would "
                                "be lower than declared; give a core whose unfoldings have full rank")
        signal = _tucker_signal(g, factors)
        w = None
    if named:
        norm2 = float(np.sum(signal**2))
        if norm2 == 0:  # pragma: no cover - a zero signal from continuous draws has probability 0
            raise SpecError("the drawn signal is zero; use another seed")
        scale = math.sqrt(signal.size / norm2)
        signal *= scale
        if w is not None:
            w = w * scale
        else:
            g = g * scale
    data = signal
    if noise > 0:
        data = data + noise * child_generator(root, 2).standard_normal(shape)
    return LowRankTensor(
        data=data, factors=factors, weights=w, core=g, rank=rank, kind=kind,
        factor_structure=factor_structure, noise=noise, seed=seed_to_json(root),
        collinearity=collinearity if factor_structure == "collinear" else None,
        sparsity=sparsity if factor_structure == "sparse" else None,
    )
