"""The :class:`Marginal` interface shared by every univariate distribution.

A marginal is a univariate distribution with a vectorised ``cdf`` and ``ppf``,
``sample(n, seed)`` by inversion (``ppf`` of uniforms, so one uniform maps to one
value and copulas can drive it), and a JSON round trip through ``to_dict`` /
:func:`marginal_from_dict`. Concrete types register themselves by their
``type`` name so that loading a model file never executes code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
from scipy import special

from .._counts import check_n
from ..errors import ModelFileError
from ..seeding import SeedLike, as_generator

__all__ = ["Marginal", "marginal_from_dict", "register_marginal"]

_MARGINAL_TYPES: dict[str, type[Marginal]] = {}


def register_marginal(cls: type[Marginal]) -> type[Marginal]:
    """Class decorator: make ``cls`` loadable by :func:`marginal_from_dict`."""
    _MARGINAL_TYPES[cls.type_name] = cls
    return cls


class Marginal(ABC):
    """A univariate distribution used for one column.

    Subclasses set ``type_name`` and implement ``cdf``, ``ppf``, ``to_dict``
    and ``_from_dict``. ``discrete`` marginals also implement ``cdf_left``
    (``P(X < x)``), used by the distributional transform.
    """

    type_name: ClassVar[str] = ""
    discrete: ClassVar[bool] = False

    @abstractmethod
    def cdf(self, x: np.ndarray) -> np.ndarray:
        """``P(X <= x)``, vectorised."""

    @abstractmethod
    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Generalised inverse ``inf{x : F(x) >= u}``, vectorised over ``u`` in [0, 1]."""

    def cdf_left(self, x: np.ndarray) -> np.ndarray:
        """``P(X < x)``; equals :meth:`cdf` for continuous marginals."""
        return self.cdf(x)

    def ppf_normal(self, z: np.ndarray) -> np.ndarray:
        """``F^{-1}(Φ(z))``: the value that the normal score ``z`` selects.

        Default: ``ppf`` of ``Φ(z)`` clipped into ``[2^-53, 1 - 2^-53]``; marginals
        with a table in normal-score space answer without evaluating ``Φ``.

        Examples
        --------
        >>> from synthkit.marginals import ParametricMarginal
        >>> float(ParametricMarginal("norm", {"loc": 1.0, "scale": 2.0}).ppf_normal(0.5))
        2.0
        """
        u = np.atleast_1d(special.ndtr(np.asarray(z, dtype=float)))
        return self.ppf(np.clip(u, 2.0**-53, 1.0 - 2.0**-53, out=u)).reshape(np.shape(z))

    def sample(self, n: int, seed: SeedLike = None) -> np.ndarray:
        """Draw ``n`` values by inversion of ``n`` uniforms from ``seed``'s generator.

        Examples
        --------
        >>> from synthkit.marginals import ParametricMarginal
        >>> ParametricMarginal("norm", {"loc": 0, "scale": 1}).sample(3, seed=0).shape
        (3,)
        """
        return self.ppf(as_generator(seed).random(check_n(n)))

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """JSON-able description, with a ``type`` key naming the marginal type."""

    @classmethod
    @abstractmethod
    def _from_dict(cls, d: dict[str, Any]) -> Marginal: ...

    def __repr__(self) -> str:
        d = self.to_dict()
        brief = {k: v for k, v in d.items() if not isinstance(v, list) or len(v) <= 4}
        return f"{type(self).__name__}({brief})"


def marginal_from_dict(d: dict[str, Any]) -> Marginal:
    """Rebuild a marginal from :meth:`Marginal.to_dict` output (no code is executed).

    Raises
    ------
    ModelFileError
        Unknown ``type`` or malformed fields.
    """
    if not isinstance(d, dict) or not isinstance(d.get("type"), str):
        got = f"type {d.get('type')!r}" if isinstance(d, dict) else type(d).__name__
        raise ModelFileError(f"a marginal record must be a mapping with a `type` name, got {got}")
    cls = _MARGINAL_TYPES.get(d["type"])
    if cls is None:
        raise ModelFileError(
            f"unknown marginal type {d['type']!r}; known: {sorted(_MARGINAL_TYPES)}"
        )
    try:
        return cls._from_dict(d)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ModelFileError):
            raise
        raise ModelFileError(f"malformed {d['type']!r} marginal record: {exc}") from None
