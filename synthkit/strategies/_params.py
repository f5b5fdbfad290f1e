"""Constructor parameters of a strategy, scikit-learn style (a mixin of the base class).

``__init__`` stores its keyword arguments as attributes of the same names;
:meth:`Parameters.get_params` reads them back (so ``type(m)(**m.get_params())``
rebuilds an unfitted copy), :meth:`Parameters.set_params` changes them (checked
at the next ``fit``), and the ``repr`` shows those that differ from their defaults.
"""

from __future__ import annotations

import inspect
from typing import Any

from ..dependence.hierarchy import check_hierarchies_param
from ..errors import SpecError

__all__ = ["Parameters", "check_common_params", "policy"]


class Parameters:
    """Mixin: ``get_params`` / ``set_params`` / ``repr`` from the ``__init__`` signatures."""

    @classmethod
    def _param_names(cls) -> list[str]:
        names: list[str] = []
        for klass in cls.__mro__:
            if klass is not object and "__init__" in klass.__dict__:
                for p in inspect.signature(klass.__init__).parameters.values():
                    if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) \
                            and p.name not in names:
                        names.append(p.name)
        return names

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters, by name (scikit-learn style): ``type(m)(**m.get_params())``.

        ``deep`` is accepted for scikit-learn's ``clone``; the parameters hold no estimators,
        so it changes nothing.

        Examples
        --------
        >>> from sklearn.base import clone
        >>> from synthkit.strategies.montecarlo import MonteCarlo
        >>> clone(MonteCarlo(criterion="aic")).criterion
        'aic'
        """
        return {k: getattr(self, k) for k in self._param_names()}

    def _params_to_json(self) -> dict[str, Any]:
        """:meth:`get_params` in the JSON-able form written to model files and provenance."""
        return self.get_params()

    def set_params(self, **params: Any) -> Parameters:
        """Change constructor parameters (scikit-learn style; checked at the next ``fit``).

        Examples
        --------
        >>> from synthkit.strategies.montecarlo import MonteCarlo
        >>> MonteCarlo().set_params(criterion="aic").criterion
        'aic'
        """
        names = self._param_names()
        unknown = sorted(set(params) - set(names))
        if unknown:
            raise SpecError(f"unknown parameter(s) {unknown} for {type(self).__name__}; its "
                            f"parameters are {sorted(names)}")
        for k, v in params.items():
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        defaults: dict[str, Any] = {}
        for klass in type(self).__mro__:
            if "__init__" in klass.__dict__ and klass is not object:
                for p in inspect.signature(klass.__init__).parameters.values():
                    defaults.setdefault(p.name, p.default)
        shown = [f"{k}={v!r}" for k, v in self._params_to_json().items()
                 if not _same(v, defaults.get(k, inspect.Parameter.empty))]
        return f"{type(self).__name__}({', '.join(shown)})"


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (ValueError, TypeError):
        return a is b


def check_common_params(model: Any) -> None:
    """Check the parameters every strategy has (``marginals`` ... ``locale``)."""
    if not isinstance(model.marginals, (str, dict)):
        raise SpecError(f"`marginals` must be a method name or a dict, got {model.marginals!r}")
    if model.criterion not in ("aic", "bic"):
        raise SpecError(f"`criterion` must be 'aic' or 'bic', got {model.criterion!r}")
    if isinstance(model.ks_tolerance, bool) or not (isinstance(model.ks_tolerance, (int, float))
                                                   and 0 < model.ks_tolerance <= 1):
        raise SpecError(f"`ks_tolerance` must be in (0, 1], got {model.ks_tolerance!r}")
    from ._engine import check_rules_syntax

    check_rules_syntax(model.rules)
    if model.stratify is not None and not isinstance(model.stratify, str):
        raise SpecError(f"`stratify` must be None, 'auto' or a column name, got {model.stratify!r}")
    policy(model)
    if model.roles is not None and (not isinstance(model.roles, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in model.roles.items())):
        raise SpecError(f"`roles` must be a dict {{column: role}} of strings, e.g. "
                        f"{{'email': 'pii'}}, got {model.roles!r}")
    if model.locale is not None and not isinstance(model.locale, str):
        raise SpecError(f"`locale` must be None or a locale name such as 'en_US', got {model.locale!r}")
    check_hierarchies_param(getattr(model, "hierarchies", None))


def policy(model: Any):
    """The :class:`~synthkit.privacy.PrivacyPolicy` of a strategy's ``privacy`` / ``min_count``."""
    from ..privacy import PrivacyPolicy

    if model.privacy not in ("standard", "off"):
        raise SpecError(f"`privacy` must be 'standard' or 'off', got {model.privacy!r}")
    return PrivacyPolicy(mode=model.privacy, min_count=model.min_count)
