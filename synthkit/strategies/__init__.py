"""Generation strategies; importing this package registers the built-in ones."""

from . import (
    cart,  # noqa: F401  (registers "cart")
    cholesky,  # noqa: F401  (registers "cholesky")
    gaussian_copula,  # noqa: F401  (registers "gaussian_copula")
    gmm,  # noqa: F401  (registers "gmm")
    iman_conover,  # noqa: F401  (registers "iman_conover")
    montecarlo,  # noqa: F401  (registers "montecarlo")
    stratify,  # noqa: F401  (registers the "stratified" meta-strategy)
    t_copula,  # noqa: F401  (registers "t_copula")
    vine,  # noqa: F401  (registers "vine")
)
from .base import Strategy
from .registry import available_strategies, get_strategy, register_strategy

__all__ = ["Strategy", "available_strategies", "get_strategy", "register_strategy"]
