"""Structured data of controllable rank: low-rank matrices and CP / Tucker tensors with known factors.

The number of hidden patterns (the rank) is a parameter; :func:`validate_structure` measures
how well it can be seen again (singular-value profiles, a noise-edge rank estimate, and with
tensorly the factors recovered by CP or Tucker fits).

Examples
--------
>>> from synthkit.structured import low_rank_matrix, low_rank_tensor, validate_structure
>>> validate_structure(low_rank_matrix((40, 30), 2, noise=0.1, seed=0)).estimated_rank
2
>>> validate_structure(low_rank_tensor((10, 11, 12), 3, noise=0.1, seed=0), decompose=False).estimated_rank
(3, 3, 3)
"""

from .matrix import LowRankMatrix, low_rank_matrix
from .tensor import LowRankTensor, low_rank_tensor, unfold
from .validate import StructureReport, estimate_rank, factor_match_score, validate_structure

__all__ = [
    "LowRankMatrix",
    "LowRankTensor",
    "StructureReport",
    "estimate_rank",
    "factor_match_score",
    "low_rank_matrix",
    "low_rank_tensor",
    "unfold",
    "validate_structure",
]
