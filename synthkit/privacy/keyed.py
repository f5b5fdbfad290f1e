"""Keyed functions of a row slot: hashes and bijections that depend on ``(slot, key)`` only.

Generated identifiers must not depend on how a sample is split into blocks, so their
randomness comes from the row's global slot index and the sample's 64-bit key, not from
a block generator. Two tools serve them:

* :func:`mix64`, the SplitMix64 finalizer (Steele, Lea & Flood, OOPSLA 2014), a bijection
  of 64-bit words with full avalanche, used as a keyed hash;
* :class:`FeistelPermutation`, a balanced Feistel network whose round function is
  ``mix64`` of the right half and a round key, restricted to ``[0, size)`` by cycle-walking
  (Black & Rogaway, CT-RSA 2002): a keyed permutation of ``[0, size)``, hence distinct
  outputs for distinct slots.
"""

from __future__ import annotations

import numpy as np

from ..errors import SpecError

__all__ = ["mix64", "keyed_words", "keyed_uniform", "FeistelPermutation", "MAX_FEISTEL_SIZE"]

#: Largest domain :class:`FeistelPermutation` accepts (two 31-bit halves).
MAX_FEISTEL_SIZE = 2**62

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_ROUNDS = 8


def mix64(x: np.ndarray | int) -> np.ndarray:
    """SplitMix64 finalizer of ``x`` (a bijection of uint64, wrapping arithmetic).

    ``z = x + 0x9E3779B97F4A7C15``; ``z = (z ^ z >> 30) * 0xBF58476D1CE4E5B9``;
    ``z = (z ^ z >> 27) * 0x94D049BB133111EB``; return ``z ^ z >> 31``.

    Examples
    --------
    >>> int(mix64(np.array([0], dtype=np.uint64))[0])
    16294208416658607535
    """
    z = np.asarray(x, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = z + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def _as_key(key: int) -> np.uint64:
    if isinstance(key, bool) or not isinstance(key, (int, np.integer)):
        raise SpecError(f"`key` must be an int (64-bit), got {type(key).__name__} {key!r}")
    return np.uint64(int(key) % 2**64)


def keyed_words(slots: np.ndarray, key: int, stream: int) -> np.ndarray:
    """64 pseudo-random bits per slot, a function of ``(slot, key, stream)`` only.

    ``mix64(mix64(slot ^ mix64(key + stream)) + key)``: different streams give unrelated
    words for the same slot.

    Examples
    --------
    >>> s = np.arange(3)
    >>> bool((keyed_words(s, 7, 0) == keyed_words(s, 7, 0)).all())
    True
    >>> bool((keyed_words(s, 7, 0) != keyed_words(s, 7, 1)).all())
    True
    """
    k = _as_key(key)
    with np.errstate(over="ignore"):
        sk = mix64(np.array([k + np.uint64(stream % 2**64)], dtype=np.uint64))[0]
        return mix64(mix64(np.asarray(slots).astype(np.uint64) ^ sk) + k)


def keyed_uniform(slots: np.ndarray, key: int, stream: int) -> np.ndarray:
    """Uniform floats in ``[0, 1)`` per slot from the top 53 bits of :func:`keyed_words`.

    Examples
    --------
    >>> u = keyed_uniform(np.arange(10_000), 3, 0)
    >>> bool(0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.02)
    True
    """
    return (keyed_words(slots, key, stream) >> np.uint64(11)).astype(np.float64) / 2.0**53


class FeistelPermutation:
    """A keyed permutation of ``[0, size)``: balanced Feistel network with cycle-walking.

    The domain is embedded in ``[0, 4**h)`` with ``h = ceil(bits(size - 1) / 2)``; each of
    the 8 rounds maps ``(L, R)`` to ``(R, L ^ (mix64(R ^ k_r) & mask))`` with round keys
    ``k_r = mix64(key + stream + r)``. A value that lands outside ``[0, size)`` is encrypted
    again until it falls inside (cycle-walking), which keeps the map a bijection of the
    domain; since ``4**h < 4 * size`` a value needs fewer than 4 rounds on average.

    Parameters
    ----------
    size : int
        Domain size, in ``[1, 2**62]``.
    key : int
        64-bit key.
    stream : int
        Salt separating permutations that share a key (e.g. one per column).

    Examples
    --------
    >>> p = FeistelPermutation(1000, key=42, stream=1)
    >>> y = p(np.arange(1000))
    >>> sorted(y.tolist()) == list(range(1000))
    True
    """

    def __init__(self, size: int, key: int, stream: int = 0):
        size = int(size)
        if not 1 <= size <= MAX_FEISTEL_SIZE:
            raise SpecError(f"a keyed permutation needs a domain size in [1, 2**62], got {size}")
        self.size = size
        self.half = max(1, ((size - 1).bit_length() + 1) // 2)
        self.mask = np.uint64((1 << self.half) - 1)
        k = _as_key(key)
        with np.errstate(over="ignore"):
            base = k + np.uint64(stream % 2**64)
            self.round_keys = mix64(base + np.arange(_ROUNDS, dtype=np.uint64))

    def _encrypt(self, x: np.ndarray) -> np.ndarray:
        h = np.uint64(self.half)
        left, right = x >> h, x & self.mask
        for rk in self.round_keys:
            left, right = right, left ^ (mix64(right ^ rk) & self.mask)
        return (left << h) | right

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """The permuted values (uint64) of ``values`` (integers in ``[0, size)``)."""
        x = np.asarray(values)
        if x.size and (int(x.min()) < 0 or int(x.max()) >= self.size):
            raise SpecError(f"keyed permutation: values must lie in [0, {self.size}), "
                            f"got [{int(x.min())}, {int(x.max())}]")
        y = self._encrypt(x.astype(np.uint64))
        out = np.flatnonzero(y >= np.uint64(self.size))
        while out.size:  # cycle-walking: re-encrypt until inside the domain
            y[out] = self._encrypt(y[out])
            out = out[y[out] >= np.uint64(self.size)]
        return y
