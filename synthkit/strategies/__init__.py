"""Generation strategies; importing this package registers the built-in ones."""

from . import montecarlo  # noqa: F401  (registers "montecarlo")
from .base import Strategy
from .registry import available_strategies, get_strategy, register_strategy

__all__ = ["Strategy", "available_strategies", "get_strategy", "register_strategy"]
