"""Component pools from Faker's locale data: first names, streets, cities, sentences...

A pool is a numpy string array of :data:`POOL_SIZE` draws of one Faker provider method for
one locale, made once per process (cached) by a ``faker.Faker(locale)`` instance seeded
with the fixed constant :data:`POOL_SEED`: the pools are the same on every run and machine
for a given Faker release, so a model file names a locale (and the Faker release,
:func:`faker_version`), never a list of values. Draws
keep Faker's own frequency weights (common names repeat in the pool); the per-row choice
among them comes from the caller's generator. Faker is imported on first use only.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np

from ..errors import SpecError

__all__ = ["POOL_SIZE", "POOL_SEED", "pool", "ascii_pool", "available_locales", "check_locale",
           "DEFAULT_LOCALE", "faker_version"]

#: Draws per pool.
POOL_SIZE = 3000
#: Seed of the Faker instance that draws the pools: a constant so that pools are data,
#: identical across runs (row-level randomness never comes from it).
POOL_SEED = 1_729
DEFAULT_LOCALE = "en_US"

#: Pool kinds and the Faker provider method drawing each.
_METHODS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "prefix": "prefix",
    "suffix": "suffix",
    "street_name": "street_name",
    "building_number": "building_number",
    "city": "city",
    "postcode": "postcode",
    "region": "state_abbr",
    "sentence": "sentence",
    "word": "word",
    "domain_name": "domain_name",
}


@lru_cache(maxsize=1)
def faker_version() -> str:
    """The installed Faker release (``"40.1.0"``), from its package metadata (Faker is not imported).

    Pools are the same on every run of one release; another release may draw other values.

    Examples
    --------
    >>> faker_version().split(".")[0].isdigit()
    True
    """
    from importlib.metadata import version

    return version("faker")


@lru_cache(maxsize=1)
def available_locales() -> tuple[str, ...]:
    """The locales Faker ships (e.g. ``"en_US"``, ``"de_DE"``)."""
    from faker.config import AVAILABLE_LOCALES

    return tuple(sorted(AVAILABLE_LOCALES))


def check_locale(locale: object, error: type[Exception] = SpecError) -> str:
    """``locale`` if Faker ships it, else ``error`` naming a few of the valid ones.

    Examples
    --------
    >>> check_locale("de_DE")
    'de_DE'
    """
    if not isinstance(locale, str) or locale not in available_locales():
        raise error(f"unknown locale {locale!r}; use a Faker locale such as 'en_US', 'en_GB', 'de_DE', "
                    f"'fr_FR' (all {len(available_locales())} are in faker.config.AVAILABLE_LOCALES)")
    return locale


@lru_cache(maxsize=128)
def _raw_pool(locale: str, kind: str) -> tuple[str, ...]:
    import faker

    fake = faker.Faker(check_locale(locale))
    fake.seed_instance(POOL_SEED)
    method = getattr(fake, _METHODS[kind], None)
    if method is None:
        return ()
    try:
        return tuple(str(method()) for _ in range(POOL_SIZE))
    except (AttributeError, NotImplementedError):  # a provider the locale lacks
        return ()


def pool(locale: str, kind: str, fallback: bool = True) -> np.ndarray:
    """The pool of ``kind`` for ``locale``.

    A locale without the provider gives the :data:`DEFAULT_LOCALE` pool, or an empty
    array when ``fallback`` is false.

    Examples
    --------
    >>> p = pool("en_US", "first_name")
    >>> len(p) == POOL_SIZE and p.dtype.kind == "U"
    True
    """
    values = _raw_pool(locale, kind)
    if not values and fallback:
        values = _raw_pool(DEFAULT_LOCALE, kind)
    return np.array(values, dtype=str)


def _ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", folded.lower())


@lru_cache(maxsize=64)
def _ascii(locale: str, kind: str) -> tuple[str, ...]:
    out = tuple(w for w in (_ascii_word(v) for v in _raw_pool(locale, kind)) if w)
    if len(out) < POOL_SIZE // 2 and locale != DEFAULT_LOCALE:  # a non-Latin script
        return _ascii(DEFAULT_LOCALE, kind)
    return out


def ascii_pool(locale: str, kind: str) -> np.ndarray:
    """The pool folded to lower-case ASCII letters (for e-mail local parts).

    Examples
    --------
    >>> bool(np.char.isalpha(ascii_pool("de_DE", "last_name")).all())
    True
    """
    return np.array(_ascii(locale, kind), dtype=str)
