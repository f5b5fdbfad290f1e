"""Seeds, generators and the block-seeding contract.

Every random function in synthkit takes ``seed`` (``None``, an ``int``, a
:class:`numpy.random.SeedSequence` or a :class:`numpy.random.Generator`) and
turns it into randomness through the helpers here, never through numpy's
global state.

Large samples are drawn in fixed-size blocks of :data:`BLOCK_ROWS` rows. Block
``b`` draws from ``Generator(PCG64(SeedSequence(entropy, spawn_key=key + (b,))))``,
which numpy builds in constant time for any ``b``. The rows of a sample therefore
depend only on the model, ``n`` and the seed: not on how the caller chunks the
output, nor on how many threads or workers draw the blocks.

Streams that are not indexed by a block or a counter have *reserved keys*
(:data:`RESERVED_STREAMS`): fixed values at the top of the 31-bit range, one per
purpose and all distinct, so that no block index, round or column number meets them
in practice and no two purposes share a stream.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from numbers import Integral

import numpy as np

from .errors import SpecError

__all__ = [
    "BLOCK_ROWS",
    "GENERATED_STREAM",
    "PILOT_STREAM",
    "REDRAW_STREAM",
    "RESERVED_STREAMS",
    "RULES_STREAM",
    "SeedLike",
    "as_generator",
    "as_seed_sequence",
    "block_generator",
    "child_generator",
    "child_seed",
    "data_seed",
    "iter_blocks",
    "seed_from_json",
    "seed_to_json",
]

#: Rows per random block. Part of the reproducibility contract: changing it
#: changes every sample, so it is fixed for a format version.
BLOCK_ROWS: int = 65_536

#: Reserved key under a block ``b``: generated (identifier / PII) column ``j`` of the block draws
#: from key ``(b, GENERATED_STREAM, j)`` (:mod:`synthkit.strategies._generated`).
GENERATED_STREAM: int = 2**31 - 7
#: Reserved key under a sample's root: the pilot round that sizes every block's first round of
#: rules sampling draws from key ``(PILOT_STREAM, 0)`` (:mod:`synthkit.strategies._engine`).
PILOT_STREAM: int = 2**31 - 11
#: Reserved key under a block ``b``: the rules' own draws (soft rules, noise) of round ``r`` of
#: per-row conditional sampling use key ``(b, RULES_STREAM, r)`` (:mod:`synthkit.strategies._conditional`).
RULES_STREAM: int = 2**31 - 13
#: Reserved key under a block ``b``: round ``r`` of the redraws of rows breaking the rules in
#: per-row conditional sampling draws from key ``(b, REDRAW_STREAM, r)``
#: (:mod:`synthkit.strategies._conditional`).
REDRAW_STREAM: int = 2**31 - 17
#: Every reserved stream key by purpose (distinct values).
RESERVED_STREAMS: dict[str, int] = {"generated": GENERATED_STREAM, "pilot": PILOT_STREAM,
                                    "rules": RULES_STREAM, "redraw": REDRAW_STREAM}

SeedLike = None | int | np.integer | np.random.SeedSequence | np.random.Generator


def as_seed_sequence(seed: SeedLike = None) -> np.random.SeedSequence:
    """Turn any accepted seed into a :class:`numpy.random.SeedSequence`.

    Parameters
    ----------
    seed : None, int, SeedSequence or Generator
        ``None`` draws fresh OS entropy (recorded in ``.entropy`` so the run can
        be repeated); an ``int`` >= 0 is used as entropy; a ``SeedSequence`` is
        returned as is; a ``Generator`` is asked for 128 bits of entropy (which
        advances it, as any draw would).

    Returns
    -------
    numpy.random.SeedSequence

    Examples
    --------
    >>> as_seed_sequence(7).entropy
    7
    """
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        words = seed.integers(0, 2**32, size=4, dtype=np.uint64)
        return np.random.SeedSequence([int(w) for w in words])
    if isinstance(seed, bool) or not isinstance(seed, Integral):
        raise SpecError(
            f"`seed` must be None, a non-negative int, a numpy SeedSequence or Generator, "
            f"got {type(seed).__name__} {seed!r}"
        )
    if int(seed) < 0:
        raise SpecError(f"`seed` must be a non-negative int, got {int(seed)}")
    return np.random.SeedSequence(int(seed))


def as_generator(seed: SeedLike = None) -> np.random.Generator:
    """Turn any accepted seed into a :class:`numpy.random.Generator` (PCG64).

    A ``Generator`` is returned unchanged, so callers can thread one through.

    Examples
    --------
    >>> int(as_generator(1).integers(10)) == int(as_generator(1).integers(10))
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.Generator(np.random.PCG64(as_seed_sequence(seed)))


def child_seed(root: SeedLike, *key: int) -> np.random.SeedSequence:
    """The child stream of ``root`` at path ``key``, built in constant time.

    ``child_seed(root, a, b)`` is ``SeedSequence(root.entropy, spawn_key=root.spawn_key + (a, b))``,
    i.e. the same sequence as ``root.spawn(a + 1)[a].spawn(b + 1)[b]``, but built
    without creating the earlier children and without mutating ``root``. This is
    the one way synthkit splits a caller's seed into independent named streams.

    Parameters
    ----------
    root : None, int, SeedSequence or Generator
        The caller's seed (turned into a sequence by :func:`as_seed_sequence`).
    *key : int
        Non-negative path below ``root``.

    Examples
    --------
    >>> root = np.random.SeedSequence(5)
    >>> child_seed(root, 2).spawn_key, child_seed(root, 2, 0).spawn_key
    ((2,), (2, 0))
    >>> child_seed(root, 2).generate_state(1) == root.spawn(3)[2].generate_state(1)
    array([ True])
    """
    root = as_seed_sequence(root)
    path = tuple(int(k) for k in key)
    if any(k < 0 for k in path):
        raise SpecError(f"child-seed keys must be non-negative ints, got {key!r}")
    return np.random.SeedSequence(
        root.entropy, spawn_key=tuple(root.spawn_key) + path, pool_size=root.pool_size
    )


def child_generator(root: SeedLike, *key: int) -> np.random.Generator:
    """A PCG64 generator on :func:`child_seed` ``(root, *key)``.

    Examples
    --------
    >>> g = child_generator(np.random.SeedSequence(5), 1)
    >>> float(g.random()) == float(child_generator(np.random.SeedSequence(5), 1).random())
    True
    """
    return np.random.Generator(np.random.PCG64(child_seed(root, *key)))


def block_generator(root: np.random.SeedSequence, block: int) -> np.random.Generator:
    """The generator of block ``block`` under ``root``, built in constant time.

    Equivalent to ``root.spawn(block + 1)[block]`` (it is :func:`child_generator`
    ``(root, block)``) but without creating the ``block`` earlier children, and
    without mutating ``root``.
    """
    return child_generator(root, block)


def data_seed(*arrays: np.ndarray, salt: str = "") -> np.random.SeedSequence:
    """A seed derived from the bytes of ``arrays`` (and ``salt``): same data, same seed.

    For the few random steps of *fitting* (e.g. a subsample of a large column) that
    must stay deterministic for the same data without a seed argument: the entropy
    is the first 128 bits of the BLAKE2b digest of the arrays' dtypes, shapes and
    bytes, so different data give unrelated streams and no constant seed is shared
    across inputs.

    Examples
    --------
    >>> x = np.arange(5.0)
    >>> data_seed(x).entropy == data_seed(x.copy()).entropy != data_seed(x + 1).entropy
    True
    """
    h = hashlib.blake2b(salt.encode(), digest_size=16)
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return np.random.SeedSequence(int.from_bytes(h.digest(), "little"))


@dataclass(frozen=True)
class Block:
    """One random block: rows ``[start, stop)`` of the sample, and its generator index."""

    index: int
    start: int
    stop: int

    @property
    def size(self) -> int:
        return self.stop - self.start


def iter_blocks(n: int, block_rows: int = BLOCK_ROWS) -> Iterator[Block]:
    """Yield the blocks covering ``n`` rows, in order."""
    for b, start in enumerate(range(0, n, block_rows)):
        yield Block(b, start, min(start + block_rows, n))


def seed_to_json(seq: np.random.SeedSequence) -> dict:
    """A JSON-able record of a seed sequence (for provenance)."""
    entropy = seq.entropy
    if isinstance(entropy, (list, tuple, np.ndarray)):
        entropy = [int(e) for e in entropy]
    else:
        entropy = int(entropy)
    return {"entropy": entropy, "spawn_key": [int(k) for k in seq.spawn_key]}


def seed_from_json(record: dict) -> np.random.SeedSequence:
    """The seed sequence recorded by :func:`seed_to_json`.

    Examples
    --------
    >>> seq = child_seed(7, 3)
    >>> seed_from_json(seed_to_json(seq)).generate_state(2).tolist() == seq.generate_state(2).tolist()
    True
    """
    try:
        entropy = record["entropy"]
        key = tuple(int(k) for k in record.get("spawn_key", ()))
    except (KeyError, TypeError, ValueError, AttributeError):
        raise SpecError(f"a seed record must be {{'entropy': int, 'spawn_key': [int, ...]}}, "
                        f"got {record!r}") from None
    return np.random.SeedSequence(entropy, spawn_key=key)
