"""Column roles and generated columns for anonymized synthesis.

* :mod:`.roles`: which columns are identifiers, PII or quasi-identifiers, and why
  (:func:`detect_roles`, :func:`parse_role`, :class:`RoleDecision`).
* :mod:`.identifiers`: format-preserving ids, unique within a sample and disjoint from the
  real ids by construction where possible.
* :mod:`.fakes`: realistic PII fakes composed from Faker's locale pools.
* :mod:`.protections`: what ``privacy="standard"`` does to the modelled columns at fit time
  (:class:`PrivacyPolicy`, :func:`protect_frame`, :func:`protect_columns`).
* :mod:`.generators`: :func:`fit_generator`, :func:`generator_from_dict` and the leak check
  :func:`real_values_emitted`.
"""

from .base import ColumnGenerator
from .generators import fit_generator, generator_from_dict, real_values_emitted
from .protections import PrivacyPolicy, protect_columns, protect_frame
from .roles import PII_TYPES, ROLES, RoleDecision, detect_roles, parse_role

__all__ = [
    "ROLES", "PII_TYPES", "RoleDecision", "parse_role", "detect_roles", "ColumnGenerator", "fit_generator",
    "generator_from_dict", "real_values_emitted", "PrivacyPolicy", "protect_frame", "protect_columns",
]
