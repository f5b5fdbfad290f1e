"""Realistic fakes for PII columns, composed per row from Faker's locale pools.

Nothing of a real value is kept except its *shape*: the name order and case, the phone or
code templates (:mod:`.templates`), the comma and line structure of addresses, the family of
IP addresses, the length of free text. The only counts kept are shares of rows: e-mail
domains, with domains held by fewer than ``min_count`` rows merged into the reserved
``example.*`` domains (RFC 2606); phone, postcode and id formats held by ``min_count`` rows
or more; titles and suffixes of names, when ``min_count`` rows hold one. Rows are composed
from component pools (:mod:`.pools`) with indices drawn from the block generator, joined by
Arrow's vectorised string kernels (``pyarrow.compute``) or written as character templates:
Faker is never called per row. A record names its locale and the Faker release of its pools
(``faker_version``), never a pooled value.
"""

from __future__ import annotations

import re
import threading
import warnings
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ModelFileError, SpecError
from . import pools
from . import templates as tpl
from .base import ColumnGenerator, Record, null_fraction_of, spread_sample

__all__ = [
    "NameFake", "EmailFake", "TemplateFake", "AddressFake", "CityFake", "IpFake", "UrlFake",
    "FreeTextFake", "fit_fake", "guess_locale", "GENERIC_DOMAINS", "MAX_DOMAINS", "MAX_TEMPLATES",
]

#: Reserved domains (RFC 2606) that stand in for the rare e-mail domains of a column.
GENERIC_DOMAINS = ("example.com", "example.net", "example.org")
#: Most e-mail domains a generator keeps (the rest are merged into the generic ones).
MAX_DOMAINS = 1000
_DOMAIN_RE = r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
_ADDRESS_TOKENS = ("N", "S", "C", "P", "R")
_TOKEN_POOL = {"N": "building_number", "S": "street_name", "C": "city", "P": "postcode", "R": "region"}
#: A template fake keeps at least this many distinct values (literal positions are freed otherwise).
_MIN_FAKE_SPACE = 10**4
#: Most templates (formats) a template fake keeps: the commonest ones held by min_count rows or more.
MAX_TEMPLATES = 16

#: Country calling codes -> Faker locale (guessing the locale of phone numbers).
_CALLING_CODES = {
    "1": "en_US", "7": "ru_RU", "27": "zu_ZA", "30": "el_GR", "31": "nl_NL", "32": "nl_BE", "33": "fr_FR",
    "34": "es_ES", "36": "hu_HU", "39": "it_IT", "40": "ro_RO", "41": "de_CH", "43": "de_AT", "44": "en_GB",
    "45": "da_DK", "46": "sv_SE", "47": "no_NO", "48": "pl_PL", "49": "de_DE", "52": "es_MX", "55": "pt_BR",
    "61": "en_AU", "64": "en_NZ", "81": "ja_JP", "82": "ko_KR", "86": "zh_CN", "90": "tr_TR", "91": "en_IN",
    "351": "pt_PT", "353": "en_IE", "358": "fi_FI", "420": "cs_CZ",
}
#: Postcode shapes -> locale.
_POSTCODE_SHAPES = (
    (r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", "en_GB"),
    (r"[A-Z]\d[A-Z] ?\d[A-Z]\d", "en_CA"),
    (r"\d{4} ?[A-Z]{2}", "nl_NL"),
    (r"\d{3}-\d{4}", "ja_JP"),
    (r"\d{2}-\d{3}", "pl_PL"),
    (r"\d{5}-\d{3}", "pt_BR"),
    (r"\d{5}(?:-\d{4})?", "en_US"),
)
#: E-mail top-level domains -> locale.
_TLDS = {"uk": "en_GB", "de": "de_DE", "fr": "fr_FR", "es": "es_ES", "it": "it_IT", "nl": "nl_NL",
         "jp": "ja_JP", "br": "pt_BR", "pl": "pl_PL", "se": "sv_SE", "dk": "da_DK", "ca": "en_CA",
         "au": "en_AU", "at": "de_AT", "ch": "de_CH", "be": "nl_BE", "ie": "en_IE", "in": "en_IN"}
#: Street words -> locale (guessing the locale of addresses): compound German and Dutch street
#: names (and a Dutch postcode line), the French, Spanish and Italian street types that open a line.
_STREET_WORDS = (
    (r"(?i)stra(?:ss|ß)e\b|str\.|\w(?:weg|platz|allee|gasse)\b|-(?:Weg|Platz|Allee|Gasse|Ring)\b", "de_DE"),
    (r"(?i)\w(?:straat|steeg|dreef|laan|gracht|plein|kade|singel)\b|\n\d{4} ?[A-Z]{2}(?:\n|$)", "nl_NL"),
    (r"(?:^|\d, )(?:rue|avenue|boulevard|chemin|impasse|allée|place|quai)\b", "fr_FR"),
    (r"(?:^|\n)(?:Calle|Avenida|Callejón|Alameda|Pasaje|Paseo|Camino|Cañada|Rambla|Ronda|Vía|Glorieta)\b",
     "es_ES"),
    (r"(?:^|\n)(?:Via|Viale|Piazza|Piazzale|Strada|Contrada|Vicolo|Borgo|Stretto|Rotonda|Largo)\b", "it_IT"),
)


# Rows are composed as Arrow large-string arrays: one C++ pass per concatenation.
_STR = pa.large_string()


@lru_cache(maxsize=256)
def _arrow_pool(locale: str, kind: str, ascii_only: bool = False, fallback: bool = True) -> pa.Array:
    values = pools.ascii_pool(locale, kind) if ascii_only else pools.pool(locale, kind, fallback)
    return pa.array(values.tolist(), type=_STR)


def _draw(pool: pa.Array, n: int, rng: np.random.Generator) -> pa.Array:
    return pool.take(rng.integers(0, len(pool), size=n))


def _pick(choices: Any, index: np.ndarray) -> pa.Array:
    return pa.array([str(c) for c in choices], type=_STR).take(index)


def _text(part: Any) -> Any:
    return pa.scalar(part, type=_STR) if isinstance(part, str) else part


def _cat(*parts: Any) -> pa.Array:
    """Row-wise concatenation of Arrow string arrays and constant strings."""
    return pc.binary_join_element_wise(*(_text(p) for p in parts), _text(""))


def _where(mask: np.ndarray, yes: Any, no: Any) -> pa.Array:
    return pc.if_else(pa.array(mask, type=pa.bool_()), _text(yes), _text(no))


def _numpy(arr: pa.Array) -> np.ndarray:
    return arr.to_numpy(zero_copy_only=False)


def _share(mask: pd.Series) -> float:
    return float(mask.mean()) if len(mask) else 0.0


_FAKER_WARNED: set[str] = set()
_FAKER_LOCK = threading.Lock()


def _warn_other_faker(recorded: str | None) -> None:
    """One :class:`UserWarning` per process and recorded release when the installed Faker's major differs."""
    if recorded is None:
        return
    installed = pools.faker_version()
    if recorded.partition(".")[0] == installed.partition(".")[0]:
        return
    with _FAKER_LOCK:
        if recorded in _FAKER_WARNED:
            return
        _FAKER_WARNED.add(recorded)
    warnings.warn(f"this model's PII fakes were fitted with Faker {recorded} and Faker {installed} is "
                  "installed: the generated names, addresses, e-mails or texts may differ from the model's "
                  "original samples for the same seed (they are still valid fakes from the same locale); "
                  f"install faker=={recorded} to reproduce them exactly", UserWarning, stacklevel=3)


class _Fake(ColumnGenerator):
    """A PII fake: locale plus the shape parameters of one column.

    ``faker_version`` is the Faker release whose pools the fake was fitted with (the
    installed one; ``None`` for a record that does not name it). Generating with another
    major release installed emits one :class:`UserWarning` per process and release: the
    pools, hence the values drawn for a seed, may differ from the model's original samples.
    """

    role = "pii"
    FIELDS: frozenset[str] = frozenset({"locale", "faker_version"})
    #: Values are drawn from Faker's pools (not only from character templates or numbers).
    USES_POOLS: ClassVar[bool] = True

    def __init__(self, locale: str = pools.DEFAULT_LOCALE, null_fraction: float = 0.0):
        super().__init__(null_fraction)
        self.locale = pools.check_locale(locale)
        self.faker_version: str | None = pools.faker_version()

    def generate(self, slots: np.ndarray, key: int, rng: np.random.Generator) -> np.ndarray:
        if self.USES_POOLS:
            _warn_other_faker(self.faker_version)
        return super().generate(slots, key, rng)

    def _params(self) -> dict[str, Any]:
        return {"locale": self.locale, "faker_version": self.faker_version}

    def _read_extras(self, r: Record) -> None:
        self.faker_version = None if r.d.get("faker_version") is None else \
            r.str("faker_version", 40, pattern=r"[0-9][0-9A-Za-z.+!\-]*")

    @staticmethod
    def _common(r: Record) -> dict[str, Any]:
        return {"locale": pools.check_locale(r.str("locale", 16), ModelFileError),
                "null_fraction": r.float("null_fraction", 0, 1, hi_open=True)}


class NameFake(_Fake):
    """Person names: pooled first and last names, in the column's order and case.

    Full names take a pooled title (``Dr.``, ``Mrs.``...) in front with probability
    ``prefix_share`` and a pooled suffix (``Jr.``, ``MD``...) behind with probability
    ``suffix_share``: the shares of real names whose first (last) word is one of the locale's
    titles (suffixes), kept only when ``min_count`` rows hold one.

    Parameters
    ----------
    pii_type : {"name", "first_name", "last_name"}
    order : {"first last", "last, first"}
        Layout of full names.
    case : {"title", "upper", "lower"}
    prefix_share, suffix_share : float
        Probabilities of a title and of a suffix (full names only).

    Examples
    --------
    >>> g = NameFake("name", order="last, first", case="upper")
    >>> v = g.generate(np.arange(2), 0, np.random.default_rng(0))
    >>> all(", " in x and x == x.upper() for x in v)
    True
    >>> v = NameFake("name", prefix_share=1.0).generate(np.arange(50), 0, np.random.default_rng(0))
    >>> set(x.split()[0] for x in v) <= set(pools.pool("en_US", "prefix"))
    True
    """

    KIND = "name"
    FIELDS = _Fake.FIELDS | {"order", "case", "prefix_share", "suffix_share"}
    ORDERS = ("first last", "last, first")
    CASES = ("title", "upper", "lower")

    def __init__(self, pii_type: str = "name", *, order: str = "first last", case: str = "title",
                 prefix_share: float = 0.0, suffix_share: float = 0.0, locale: str = pools.DEFAULT_LOCALE,
                 null_fraction: float = 0.0):
        super().__init__(locale, null_fraction)
        if pii_type not in ("name", "first_name", "last_name") or order not in self.ORDERS \
                or case not in self.CASES:
            raise SpecError(f"NameFake: bad pii_type/order/case {pii_type!r}/{order!r}/{case!r}")
        for v in (prefix_share, suffix_share):
            if not 0.0 <= float(v) <= 1.0:
                raise SpecError(f"NameFake: `prefix_share` and `suffix_share` must be in [0, 1], got {v}")
        self.pii_type, self.order, self.case = pii_type, order, case
        self.prefix_share, self.suffix_share = float(prefix_share), float(suffix_share)

    def _affix(self, out: pa.Array, kind: str, share: float, n: int, rng: np.random.Generator) -> pa.Array:
        words = _arrow_pool(self.locale, kind, fallback=False)
        if share <= 0.0 or not len(words):
            return out
        has = rng.random(n) < share
        word = _draw(words, n, rng)
        return _where(has, _cat(word, " ", out) if kind == "prefix" else _cat(out, " ", word), out)

    def _values(self, slots: np.ndarray, key: int, rng: np.random.Generator) -> np.ndarray:
        n = len(slots)
        if self.pii_type == "first_name":
            out = _draw(_arrow_pool(self.locale, "first_name"), n, rng)
        elif self.pii_type == "last_name":
            out = _draw(_arrow_pool(self.locale, "last_name"), n, rng)
        else:
            first = _draw(_arrow_pool(self.locale, "first_name"), n, rng)
            last = _draw(_arrow_pool(self.locale, "last_name"), n, rng)
            out = _cat(first, " ", last) if self.order == "first last" else _cat(last, ", ", first)
            out = self._affix(out, "prefix", self.prefix_share, n, rng)
            out = self._affix(out, "suffix", self.suffix_share, n, rng)
        if self.case == "upper":
            out = pc.utf8_upper(out)
        elif self.case == "lower":
            out = pc.utf8_lower(out)
        return _numpy(out)

    def _params(self) -> dict[str, Any]:
        return {**super()._params(), "order": self.order, "case": self.case,
                "prefix_share": self.prefix_share, "suffix_share": self.suffix_share}

    @classmethod
    def from_record(cls, r: Record) -> NameFake:
        return cls(r.choice("pii_type", ("name", "first_name", "last_name")),
                   order=r.choice("order", cls.ORDERS), case=r.choice("case", cls.CASES),
                   prefix_share=r.float("prefix_share", 0, 1, default=0.0),
                   suffix_share=r.float("suffix_share", 0, 1, default=0.0), **cls._common(r))

    @property
    def description(self) -> str:
        what = {"name": f"full names ({self.order})", "first_name": "first names", "last_name": "last names"}
        affixes = "".join(f", {share:.0%} with a {kind}" for kind, share in
                          (("title", self.prefix_share), ("suffix", self.suffix_share)) if share > 0)
        return f"{what[self.pii_type]} from Faker's {self.locale} pools, {self.case} case{affixes}"

    @classmethod
    def fit(cls, text: pd.Series, pii_type: str, locale: str, nf: float, min_count: int = 5) -> NameFake:
        order = "last, first" if pii_type == "name" and _share(text.str.contains(",", regex=False)) >= 0.5 \
            else "first last"
        letters = text[text.str.contains(r"[^\W\d_]", regex=True)]
        case = "upper" if _share(letters == letters.str.upper()) >= 0.9 else (
            "lower" if _share(letters == letters.str.lower()) >= 0.9 else "title")
        shares = [0.0, 0.0]
        if pii_type == "name":
            words = text.str.lower().str.split()
            for j, (kind, pick) in enumerate((("prefix", words.str[0]), ("suffix", words.str[-1]))):
                known = {w.lower() for w in pools.pool(locale, kind, fallback=False).tolist() if w.strip()}
                hits = int((pick.isin(known) & (words.str.len() > 2)).sum())
                shares[j] = hits / len(text) if hits >= min_count else 0.0
        return cls(pii_type, order=order, case=case, prefix_share=shares[0], suffix_share=shares[1],
                   locale=locale, null_fraction=nf)


class EmailFake(_Fake):
    """E-mail addresses: a pooled local part ``@`` a domain drawn with the column's domain shares.

    Local parts are ``first.last``, ``first_last``, ``flast`` or ``firstlast`` (lower-case
    ASCII of pooled names), followed by a 1-2 digit number half of the time.

    Examples
    --------
    >>> g = EmailFake(["corp.com", "example.com"], [0.5, 0.5])
    >>> all(x.split("@")[1] in ("corp.com", "example.com")
    ...     for x in g.generate(np.arange(20), 0, np.random.default_rng(1)))
    True
    """

    KIND = "email"
    FIELDS = _Fake.FIELDS | {"domains", "shares"}
    pii_type = "email"

    def __init__(self, domains: list[str], shares: list[float], *, locale: str = pools.DEFAULT_LOCALE,
                 null_fraction: float = 0.0):
        super().__init__(locale, null_fraction)
        p = np.asarray(shares, dtype=float)
        if not domains or len(domains) != len(p) or not np.isclose(p.sum(), 1.0) or (p < 0).any():
            raise SpecError("EmailFake: `domains` and `shares` must be equally long, shares summing to 1")
        self.domains, self.shares = list(domains), [float(x) for x in p / p.sum()]

    def _values(self, slots: np.ndarray, key: int, rng: np.random.Generator) -> np.ndarray:
        n = len(slots)
        first = _draw(_arrow_pool(self.locale, "first_name", ascii_only=True), n, rng)
        last = _draw(_arrow_pool(self.locale, "last_name", ascii_only=True), n, rng)
        style = rng.integers(0, 4, size=n)
        head = _where(style == 2, pc.utf8_slice_codeunits(first, 0, 1), first)
        sep = _pick([".", "_", "", ""], style)
        number = np.where(rng.random(n) < 0.5, rng.integers(1, 100, size=n), 0)
        tail = _pick([""] + [str(i) for i in range(1, 100)], number)
        domain = _pick(self.domains, rng.choice(len(self.domains), size=n, p=self.shares))
        return _numpy(_cat(head, sep, last, tail, "@", domain))

    def _params(self) -> dict[str, Any]:
        return {**super()._params(), "domains": self.domains, "shares": self.shares}

    @classmethod
    def from_record(cls, r: Record) -> EmailFake:
        domains = r.list("domains", MAX_DOMAINS + len(GENERIC_DOMAINS))
        if not domains or not all(isinstance(d, str) and re.fullmatch(_DOMAIN_RE, d) for d in domains):
            raise r.fail("domains", "a non-empty list of lower-case domain names")
        return cls(domains, r.shares("shares", len(domains)), **cls._common(r))

    @property
    def description(self) -> str:
        return (f"e-mail addresses with {self.locale} pooled names as local parts, over "
                f"{len(self.domains)} domains with the column's shares (domains of fewer than min_count "
                f"rows merged into {', '.join(GENERIC_DOMAINS)})")

    @classmethod
    def fit(cls, text: pd.Series, locale: str, nf: float, min_count: int) -> EmailFake:
        domains = text.str.extract(r"@([^@\s]+)$")[0].str.lower().str.strip(".")
        valid = domains.str.fullmatch(_DOMAIN_RE).fillna(False).astype(bool)
        counts = domains[valid].value_counts()
        kept = counts[counts >= min_count].iloc[:MAX_DOMAINS]
        total = len(text)
        names = [str(d) for d in kept.index]
        shares = [float(c) / total for c in kept.to_numpy()]
        other = 1.0 - sum(shares)
        if other > 1e-12 or not names:
            names += list(GENERIC_DOMAINS)
            shares += [max(other, 0.0) / len(GENERIC_DOMAINS)] * len(GENERIC_DOMAINS)
        return cls(names, shares, locale=locale, null_fraction=nf)


class TemplateFake(_Fake):
    """Phone numbers, postcodes, national ids and tokens: the column's common templates, random characters.

    A column is grouped by *format* (digits written ``#``; the length for tokens). The
    :data:`MAX_TEMPLATES` commonest formats held by at least ``min_count`` rows each are kept,
    with shares proportional to their row counts (a column where no format reaches
    ``min_count`` rows keeps its single commonest format). Each format becomes a character
    template (:func:`~.templates.learn_template`); a row draws its template with those shares,
    then every class position uniformly (:func:`~.templates.fill_mixture`).

    Parameters
    ----------
    pii_type : {"phone", "postcode", "national_id", "token"}
    templates : template, or list of templates
        One template (a tuple of items), or several.
    shares : list of float, optional
        Probability of each template (default: equal); they must sum to 1.

    Examples
    --------
    >>> g = TemplateFake("phone", ("=(", "N", "d", "d", "=)", "= ", "N", "d", "d", "=-", "d", "d", "d", "d"))
    >>> g.generate(np.arange(1), 0, np.random.default_rng(0)).tolist()
    ['(865) 430-0018']
    >>> dotted, plus_one = ("N", "d", "d", "=.", "d", "d", "d", "d"), ("=+", "=1", "=-", "N", "d", "d")
    >>> two = TemplateFake("phone", [dotted, plus_one], [0.75, 0.25])
    >>> two.description
    'phones of 2 templates: ###.#### (75%), +1-### (25%), with random characters'
    """

    KIND = "template"
    USES_POOLS = False
    FIELDS = _Fake.FIELDS | {"templates", "shares", "note"}
    TYPES = ("phone", "postcode", "national_id", "token")

    def __init__(self, pii_type: str, templates: tuple[str, ...] | list[tuple[str, ...]],
                 shares: list[float] | None = None, *, note: str = "", locale: str = pools.DEFAULT_LOCALE,
                 null_fraction: float = 0.0):
        super().__init__(locale, null_fraction)
        if pii_type not in self.TYPES:
            raise SpecError(f"TemplateFake: pii_type must be one of {self.TYPES}, got {pii_type!r}")
        items = list(templates)
        many = [tuple(t) for t in items] if items and not isinstance(items[0], str) else [tuple(items)]
        if not 1 <= len(many) <= MAX_TEMPLATES or not all(many):
            raise SpecError(f"TemplateFake: give 1 to {MAX_TEMPLATES} non-empty templates, got {len(many)}")
        p = np.full(len(many), 1.0 / len(many)) if shares is None else np.asarray(shares, dtype=float)
        if p.shape != (len(many),) or not np.isclose(p.sum(), 1.0) or (p < 0).any():
            raise SpecError(f"TemplateFake: `shares` must be {len(many)} non-negative numbers summing to 1, "
                            f"got {shares!r}")
        self.pii_type, self.templates, self.note = pii_type, many, note
        self.shares = [float(x) for x in p / p.sum()]

    @property
    def template(self) -> tuple[str, ...]:
        """The commonest template."""
        return self.templates[int(np.argmax(self.shares))]

    def _values(self, slots: np.ndarray, key: int, rng: np.random.Generator) -> np.ndarray:
        return tpl.fill_mixture(self.templates, self.shares, len(slots), rng)

    def _params(self) -> dict[str, Any]:
        return {**super()._params(), "templates": [list(t) for t in self.templates], "shares": self.shares,
                "note": self.note}

    @classmethod
    def from_record(cls, r: Record) -> TemplateFake:
        items = r.list("templates", MAX_TEMPLATES)
        if not items:
            raise r.fail("templates", f"a list of 1 to {MAX_TEMPLATES} templates")
        templates = [tpl.check_template(t, r.where) for t in items]
        return cls(r.choice("pii_type", cls.TYPES), templates, r.shares("shares", len(templates)),
                   note=r.str("note", 300, default=""), **cls._common(r))

    @property
    def description(self) -> str:
        what = self.pii_type.replace("_", " ")
        if len(self.templates) == 1:
            text = f"{what}s of template {tpl.mask(self.templates[0])} with random characters"
        else:
            order = np.argsort(self.shares)[::-1]
            shown = ", ".join(f"{tpl.mask(self.templates[k])} ({self.shares[k]:.0%})" for k in order[:3])
            more = f" and {len(order) - 3} more" if len(order) > 3 else ""
            text = f"{what}s of {len(self.templates)} templates: {shown}{more}, with random characters"
        return f"{text}; {self.note}" if self.note else text

    @classmethod
    def fit(cls, text: pd.Series, pii_type: str, locale: str, nf: float, min_count: int) -> TemplateFake:
        shape = text.str.len().astype(str) if pii_type == "token" else \
            text.str.replace(r"\d", "#", regex=True)
        counts = shape.value_counts(sort=True)
        kept = counts[counts >= min_count].iloc[:MAX_TEMPLATES]
        if kept.empty:  # no format is held by min_count rows: the commonest one alone
            kept = counts.iloc[:1]
        templates, notes = [], []
        for modal in kept.index:
            group = spread_sample(text[shape == modal]).to_numpy(dtype=str)
            if int(np.char.str_len(group).max()) > tpl.MAX_TEMPLATE:
                raise SpecError(f"{pii_type} values longer than {tpl.MAX_TEMPLATE} characters are not "
                                "supported")
            template = tpl.ensure_variety(tpl.learn_template(group, min_count), _MIN_FAKE_SPACE)
            if pii_type == "national_id":
                template, note = _reserve_leading_digit(template, text, str(modal))
                notes.append(note)
            templates.append(template)
        shares = (kept.to_numpy(dtype=float) / float(kept.sum())).tolist()
        note = notes[0] if len(notes) == 1 else (
            "in every template the first digit is one no real value of its format has there, so no real "
            "value is written" if notes and all(notes) else "")
        return cls(pii_type, templates, shares, note=note, locale=locale, null_fraction=nf)


def _reserve_leading_digit(template: tuple[str, ...], text: pd.Series, modal_shape: str
                           ) -> tuple[tuple[str, ...], str]:
    """Fix the first digit position to a digit no real value of the template's shape holds there.

    Every generated id then differs from every real one (e.g. US SSNs are never issued
    with area 9xx, so fakes start with 9).
    """
    j = next((i for i, it in enumerate(template) if it in ("d", "n", "N")), None)
    if j is None:
        return template, ""
    same = text[text.str.replace(r"\d", "#", regex=True) == modal_shape]
    seen = set(same.str[j].unique().tolist())
    free = [d for d in "9876543210" if d not in seen]
    if not free:
        return template, ""
    items = list(template)
    items[j] = "=" + free[0]
    return tuple(items), (f"position {j + 1} is always {free[0]}, a digit no real value has there, "
                          "so no real value is written")


class AddressFake(_Fake):
    """Addresses: building number, street, city, region and postcode pools in the column's layout.

    ``parts`` lists the parts of an address, each a list of tokens joined by spaces: ``N``
    building number, ``S`` street name, ``C`` city, ``P`` postcode, ``R`` region (state
    abbreviation). ``separators`` are what stands between consecutive parts: ``", "`` or a
    line break ``"\\n"`` (multi-line addresses).

    The layout is learned from the commonest sequence of commas and line breaks: parts on
    the first line (or, on one line, the first part and a leading house number) are the street
    line (house number before or after the street, or a part of its own); the later parts are
    read as a postcode (a whole part of a known postcode shape), a postcode and city, a
    region and postcode, a city or a region.

    Examples
    --------
    >>> g = AddressFake("address", [["N", "S"], ["C"], ["R", "P"]])
    >>> g.generate(np.arange(1), 0, np.random.default_rng(2))[0].count(",")
    2
    >>> v = AddressFake("address", [["N", "S"], ["C"], ["R", "P"]], ["\\n", ", "]).generate(
    ...     np.arange(1), 0, np.random.default_rng(2))[0]
    >>> v.count("\\n"), v.count(",")
    (1, 1)
    """

    KIND = "address"
    FIELDS = _Fake.FIELDS | {"parts", "separators"}
    SEPARATORS = (", ", "\n")

    def __init__(self, pii_type: str, parts: list[list[str]], separators: list[str] | None = None, *,
                 locale: str = pools.DEFAULT_LOCALE, null_fraction: float = 0.0):
        super().__init__(locale, null_fraction)
        ok = pii_type in ("address", "street") and isinstance(parts, list) and 1 <= len(parts) <= 6 and all(
            isinstance(p, list) and 1 <= len(p) <= 4 and all(t in _ADDRESS_TOKENS for t in p) for p in parts)
        if not ok:
            raise SpecError(f"AddressFake: `parts` must be 1-6 lists of 1-4 tokens among {_ADDRESS_TOKENS}, "
                            f"got {parts!r}")
        seps = [", "] * (len(parts) - 1) if separators is None else list(separators)
        if len(seps) != len(parts) - 1 or not all(isinstance(x, str) and x in self.SEPARATORS for x in seps):
            raise SpecError(f"AddressFake: `separators` must be {len(parts) - 1} of {list(self.SEPARATORS)}, "
                            f"got {separators!r}")
        self.pii_type, self.parts, self.separators = pii_type, [list(p) for p in parts], seps

    def _values(self, slots: np.ndarray, key: int, rng: np.random.Generator) -> np.ndarray:
        n = len(slots)
        out = None
        for i, part in enumerate(self.parts):
            text = None
            for token in part:
                p = _arrow_pool(self.locale, _TOKEN_POOL[token], fallback=token != "R")
                if not len(p):
                    continue
                word = _draw(p, n, rng)
                text = word if text is None else _cat(text, " ", word)
            if text is not None:
                out = text if out is None else _cat(out, self.separators[i - 1] if i else ", ", text)
        return _numpy(out) if out is not None else np.full(n, "", dtype=object)

    def _params(self) -> dict[str, Any]:
        return {**super()._params(), "parts": self.parts, "separators": self.separators}

    @classmethod
    def from_record(cls, r: Record) -> AddressFake:
        parts = r.list("parts", 6)
        separators = r.list("separators", 5) if "separators" in r.d else None
        try:
            return cls(r.choice("pii_type", ("address", "street")), parts, separators, **cls._common(r))
        except SpecError as exc:
            if "separators" in str(exc):
                expected = f"one fewer than `parts`, each of {list(cls.SEPARATORS)}"
                raise r.fail("separators", expected) from None
            raise r.fail("parts", f"1-6 lists of 1-4 tokens among {list(_ADDRESS_TOKENS)}") from None

    @property
    def description(self) -> str:
        joints = ["," if sep == ", " else " /" for sep in self.separators]
        layout = " ".join(self.parts[0]) + "".join(
            f"{joint} {' '.join(p)}" for joint, p in zip(joints, self.parts[1:], strict=True))
        n_lines = joints.count(" /") + 1
        lines = f", on {n_lines} lines" if n_lines > 1 else ""
        return f"{self.pii_type}es laid out as '{layout}'{lines} from Faker's {self.locale} pools"

    @classmethod
    def fit(cls, text: pd.Series, pii_type: str, locale: str, nf: float) -> AddressFake:
        sample = spread_sample(text).str.replace(r"\s*,\s*\n\s*|[ \t]*\r?\n[ \t]*", "\n", regex=True)
        signature = sample.str.replace(r"[^,\n]+", "", regex=True).str.slice(0, 5)
        modal = str(signature.mode().iloc[0])
        split = sample[signature == modal].str.split(r"\s*[,\n]\s*", n=len(modal), expand=True, regex=True)
        columns = [split[i].fillna("").str.strip() for i in range(len(modal) + 1)]
        street_parts = modal.index("\n") + 1 if "\n" in modal else 1
        if "\n" not in modal and len(columns) > 2 and _share(columns[0].str.fullmatch(r"\d+\w?")) >= 0.5:
            street_parts = 2  # "5, rue de la Paix, 75001 Paris": a house number part of its own
        parts = []
        for i, p in enumerate(columns):
            parts.append(_street_tokens(p, any("S" in q for q in parts))
                         if i < street_parts else _locality_tokens(p))
        separators = [", " if c == "," else "\n" for c in modal]
        if pii_type == "street":
            parts, separators = parts[:street_parts], separators[:street_parts - 1]
        return cls(pii_type, parts, separators, locale=locale, null_fraction=nf)


def _street_tokens(p: pd.Series, street_seen: bool) -> list[str]:
    """Tokens of a street-line part: house number and street name, in the column's order."""
    digit = _share(p.str.contains(r"\d")) >= 0.5
    alpha = _share(p.str.contains(r"[^\W\d_]{2}")) >= 0.5
    if digit and (street_seen or not alpha):
        return ["N"]
    if digit and _share(p.str.match(r"\d")) >= 0.5:
        return ["N", "S"]
    if digit:
        return ["S", "N"]
    return ["S"]


def _locality_tokens(p: pd.Series) -> list[str]:
    """Tokens of a part after the street line: postcode, city and region, in the column's order."""
    upper = p.str.upper()
    postcode = pd.Series(False, index=p.index)
    for pattern, _ in _POSTCODE_SHAPES:
        postcode |= upper.str.fullmatch(pattern).fillna(False).astype(bool)
    if _share(postcode) >= 0.5:
        return ["P"]
    digit = _share(p.str.contains(r"\d")) >= 0.5
    alpha = p.str.replace(r"[\d\W_]+", " ", regex=True).str.strip()
    has_alpha = _share(alpha.str.len() > 0) >= 0.5
    short = _share(alpha.str.len().between(1, 3)) >= 0.5
    if digit and has_alpha:
        return ["P", "C"] if _share(p.str.match(r"\d")) >= 0.5 else (["R", "P"] if short else ["C", "P"])
    if digit:
        return ["P"]
    return ["R"] if short else ["C"]


class CityFake(_Fake):
    """City names from Faker's locale pool.

    Examples
    --------
    >>> len(CityFake().generate(np.arange(3), 0, np.random.default_rng(0)))
    3
    """

    KIND = "city"
    pii_type = "city"

    def _values(self, slots: np.ndarray, key: int, rng: np.random.Generator) -> np.ndarray:
        return _numpy(_draw(_arrow_pool(self.locale, "city"), len(slots), rng))

    @classmethod
    def from_record(cls, r: Record) -> CityFake:
        return cls(**cls._common(r))

    @property
    def description(self) -> str:
        return f"city names from Faker's {self.locale} pool"


@lru_cache(maxsize=1)
def _hex_groups() -> pa.Array:
    return pa.array([format(i, "x") for i in range(65536)], type=_STR)


@lru_cache(maxsize=1)
def _octets() -> pa.Array:
    return pa.array([str(i) for i in range(256)], type=_STR)


class IpFake(_Fake):
    """IP addresses: IPv4 with the column's share, IPv6 otherwise, uniformly random.

    IPv4 first octets avoid 0, 10, 127 and 224-255 (unspecified, private, loopback,
    multicast and reserved); IPv6 addresses are written in full (eight groups).

    Examples
    --------
    >>> import ipaddress
    >>> v = IpFake(0.5).generate(np.arange(50), 0, np.random.default_rng(0))
    >>> all(ipaddress.ip_address(x) for x in v)
    True
    """

    KIND = "ip"
    USES_POOLS = False
    FIELDS = _Fake.FIELDS | {"v4_share"}
    pii_type = "ip"

    def __init__(self, v4_share: float = 1.0, *, locale: str = pools.DEFAULT_LOCALE,
                 null_fraction: float = 0.0):
        super().__init__(locale, null_fraction)
        if not 0.0 <= float(v4_share) <= 1.0:
            raise SpecError(f"`v4_share` must be in [0, 1], got {v4_share}")
        self.v4_share = float(v4_share)

    def _values(self, slots: np.ndarray, key: int, rng: np.random.Generator) -> np.ndarray:
        n = len(slots)
        octets = _octets()
        first = np.setdiff1d(np.arange(1, 224), [10, 127])
        v4 = _cat(octets.take(rng.choice(first, size=n)), ".", octets.take(rng.integers(0, 256, n)), ".",
                  octets.take(rng.integers(0, 256, n)), ".", octets.take(rng.integers(0, 256, n)))
        is6 = rng.random(n) >= self.v4_share
        if not is6.any():
            return _numpy(v4)
        groups = _hex_groups()
        parts: list[Any] = [groups.take(rng.integers(0x2000, 0x4000, n))]  # global unicast 2000::/3
        for _ in range(7):
            parts += [":", groups.take(rng.integers(0, 65536, n))]
        return _numpy(_where(is6, _cat(*parts), v4))

    def _params(self) -> dict[str, Any]:
        return {**super()._params(), "v4_share": self.v4_share}

    @classmethod
    def from_record(cls, r: Record) -> IpFake:
        return cls(r.float("v4_share", 0, 1), **cls._common(r))

    @property
    def description(self) -> str:
        return f"random public IP addresses, {self.v4_share:.0%} IPv4"


class UrlFake(_Fake):
    """URLs: scheme, optional ``www.``, a pooled domain and an optional one- or two-word path.

    Examples
    --------
    >>> UrlFake(1.0, 0.0, 0.0).generate(np.arange(1), 0, np.random.default_rng(0))[0].startswith("https://")
    True
    """

    KIND = "url"
    FIELDS = _Fake.FIELDS | {"https_share", "www_share", "path_share"}
    pii_type = "url"

    def __init__(self, https_share: float = 1.0, www_share: float = 0.0, path_share: float = 0.5, *,
                 locale: str = pools.DEFAULT_LOCALE, null_fraction: float = 0.0):
        super().__init__(locale, null_fraction)
        for v in (https_share, www_share, path_share):
            if not 0.0 <= float(v) <= 1.0:
                raise SpecError(f"UrlFake shares must be in [0, 1], got {v}")
        self.https_share, self.www_share = float(https_share), float(www_share)
        self.path_share = float(path_share)

    def _values(self, slots: np.ndarray, key: int, rng: np.random.Generator) -> np.ndarray:
        n = len(slots)
        scheme = _where(rng.random(n) < self.https_share, "https://", "http://")
        www = _where(rng.random(n) < self.www_share, "www.", "")
        domain = _draw(_arrow_pool(self.locale, "domain_name"), n, rng)
        words = _arrow_pool(self.locale, "word", ascii_only=True)
        has_path = rng.random(n) < self.path_share
        path = _where(has_path, _cat("/", _draw(words, n, rng)), "")
        more = _where(has_path & (rng.random(n) < 0.5), _cat("-", _draw(words, n, rng)), "")
        return _numpy(_cat(scheme, www, domain, path, more))

    def _params(self) -> dict[str, Any]:
        return {**super()._params(), "https_share": self.https_share, "www_share": self.www_share,
                "path_share": self.path_share}

    @classmethod
    def from_record(cls, r: Record) -> UrlFake:
        return cls(r.float("https_share", 0, 1), r.float("www_share", 0, 1), r.float("path_share", 0, 1),
                   **cls._common(r))

    @property
    def description(self) -> str:
        return f"URLs on Faker's {self.locale} pooled domains ({self.https_share:.0%} https)"

    @classmethod
    def fit(cls, text: pd.Series, locale: str, nf: float) -> UrlFake:
        low = text.str.lower()
        host_rest = low.str.replace(r"^[a-z]+://", "", regex=True)
        return cls(_share(low.str.startswith("https://")), _share(host_rest.str.startswith("www.")),
                   _share(host_rest.str.contains(r"/[^/\s]", regex=True)), locale=locale, null_fraction=nf)


class FreeTextFake(_Fake):
    """Free text: whole pooled Faker sentences, as many as the column's typical length holds.

    ``lengths`` are 11 knots of the column's length distribution: the quantiles of the real
    lengths (characters) at probabilities evenly spaced from ``k / n`` to ``1 - k / n``
    (``k = min_count``, ``n`` the non-null rows; all at the median when ``n < 2k``), rounded
    to the nearest multiple of :attr:`LENGTH_STEP`. Each knot has ``k`` rows at or below it
    and ``k`` at or above it before rounding, so neither the shortest nor the longest text's
    length is stored. The number of characters of a row is drawn by interpolating the knots
    at a uniform probability (as quantiles at ``0, 0.1, ..., 1``), then rounded to a number
    of sentences of the pool's mean length (at least one, at most 50).

    Examples
    --------
    >>> g = FreeTextFake([40, 60, 80, 100, 120, 140, 160, 180, 200, 220, 240])
    >>> v = g.generate(np.arange(200), 0, np.random.default_rng(0))
    >>> 60 < float(np.mean([len(x) for x in v])) < 220
    True
    """

    KIND = "free_text"
    FIELDS = _Fake.FIELDS | {"lengths"}
    pii_type = "free_text"
    MAX_SENTENCES = 50
    N_QUANTILES = 11
    #: Stored lengths are multiples of this many characters.
    LENGTH_STEP = 10

    def __init__(self, lengths: list[float], *, locale: str = pools.DEFAULT_LOCALE,
                 null_fraction: float = 0.0):
        super().__init__(locale, null_fraction)
        q = np.asarray(lengths, dtype=float)
        if q.shape != (self.N_QUANTILES,) or not np.all(np.diff(q) >= 0) or q[0] < 0:
            raise SpecError(f"`lengths` must be {self.N_QUANTILES} non-decreasing character counts")
        self.lengths = [float(x) for x in q]

    def _values(self, slots: np.ndarray, key: int, rng: np.random.Generator) -> np.ndarray:
        n = len(slots)
        sentences = _arrow_pool(self.locale, "sentence")
        mean_len = float(pc.mean(pc.utf8_length(sentences)).as_py()) + 1.0
        target = np.interp(rng.random(n), np.linspace(0, 1, self.N_QUANTILES), self.lengths)
        count = np.clip(np.rint(target / mean_len), 1, self.MAX_SENTENCES).astype(np.int64)
        out = _draw(sentences, n, rng)
        for j in range(1, int(count.max(initial=1))):
            more = count > j
            out = _where(more, _cat(out, " ", _draw(sentences, n, rng)), out)
        return _numpy(out)

    def _params(self) -> dict[str, Any]:
        return {**super()._params(), "lengths": self.lengths}

    @classmethod
    def from_record(cls, r: Record) -> FreeTextFake:
        lengths = r.floats("lengths", cls.N_QUANTILES, 0, 1e6)
        try:
            return cls(lengths, **cls._common(r))
        except SpecError:
            raise r.fail("lengths", f"{cls.N_QUANTILES} non-decreasing numbers in [0, 1e6]") from None

    @property
    def description(self) -> str:
        return (f"text of whole Faker {self.locale} sentences, about {self.lengths[5]:.0f} characters "
                "(median)")

    @classmethod
    def fit(cls, text: pd.Series, locale: str, nf: float, min_count: int = 5) -> FreeTextFake:
        lengths = text.str.len().to_numpy(dtype=float)
        tail = min(0.5, min_count / len(lengths))
        q = np.quantile(lengths, np.linspace(tail, 1.0 - tail, cls.N_QUANTILES))
        knots = np.round(q / cls.LENGTH_STEP) * cls.LENGTH_STEP
        return cls([float(x) for x in knots], locale=locale, null_fraction=nf)


def _modal_locale(candidates: pd.Series, min_share: float = 0.5) -> str | None:
    found = candidates.dropna()
    if len(found) == 0:
        return None
    top = found.value_counts()
    loc = str(top.index[0])
    ok = top.iloc[0] >= min_share * len(candidates) and loc in pools.available_locales()
    return loc if ok else None


def guess_locale(text: pd.Series, pii_type: str) -> str | None:
    """A Faker locale suggested by the values, or ``None``.

    Phones: the country calling code after ``+`` or ``00``; postcodes: their shape;
    e-mails: the country top-level domain; addresses: street words or a postcode shape.
    A guess needs half of the sampled values to agree.

    Examples
    --------
    >>> guess_locale(pd.Series(["+44 20 7946 0958", "+44 161 496 0000"]), "phone")
    'en_GB'
    >>> guess_locale(pd.Series(["SW1A 1AA", "M1 1AE"]), "postcode")
    'en_GB'
    """
    sample = spread_sample(text)
    if pii_type == "phone":
        digits = sample.str.extract(r"^\s*(?:\+|00)\s*(\d{1,3})")[0]
        guess = pd.Series([None] * len(digits), index=digits.index, dtype=object)
        for width in (1, 2, 3):  # longest code wins: later widths overwrite
            head = digits.str[:width]
            hit = digits.notna() & (digits.str.len() >= width) & head.isin(_CALLING_CODES.keys())
            guess[hit] = head[hit].map(_CALLING_CODES)
        return _modal_locale(guess)
    if pii_type == "postcode":
        upper = sample.str.upper()
        guess = pd.Series([None] * len(sample), index=sample.index, dtype=object)
        for pattern, loc in reversed(_POSTCODE_SHAPES):  # earlier (more specific) shapes win
            guess[upper.str.fullmatch(pattern)] = loc
        return _modal_locale(guess)
    if pii_type == "email":
        tld = sample.str.lower().str.extract(r"\.([a-z]{2})$")[0]
        return _modal_locale(tld.map(_TLDS))
    if pii_type in ("address", "street"):
        guess = pd.Series([None] * len(sample), index=sample.index, dtype=object)
        for pattern, loc in _STREET_WORDS:
            guess[sample.str.contains(pattern, regex=True)] = loc
        guess[sample.str.upper().str.contains(r"\b" + _POSTCODE_SHAPES[0][0] + r"\b", regex=True)] = "en_GB"
        return _modal_locale(guess)
    return None


def fit_fake(series: pd.Series, pii_type: str, *, min_count: int = 5, locale: str | None = None
             ) -> ColumnGenerator:
    """Learn the shape of a PII column and return its fake generator (see the module docstring).

    Examples
    --------
    >>> s = pd.Series(["ann@corp.com"] * 6 + ["bo@rare.org"], name="email")
    >>> fit_fake(s, "email", min_count=5).domains
    ['corp.com', 'example.com', 'example.net', 'example.org']
    """
    nf = null_fraction_of(series)
    nonnull = series.dropna()  # Python strings: look-arounds need :mod:`re`, not Arrow's RE2
    text = pd.Series(nonnull.astype(str).to_numpy(dtype=object), index=nonnull.index,
                     dtype=object).str.strip()
    if len(text) == 0:
        raise SpecError(f"column {series.name!r}: a PII column needs at least one non-null value "
                        "to learn from")
    loc = pools.check_locale(locale) if locale is not None else (
        guess_locale(text, pii_type) or pools.DEFAULT_LOCALE)
    if pii_type in ("name", "first_name", "last_name"):
        return NameFake.fit(text, pii_type, loc, nf, min_count)
    if pii_type == "email":
        return EmailFake.fit(text, loc, nf, min_count)
    if pii_type in TemplateFake.TYPES:
        return TemplateFake.fit(text, pii_type, loc, nf, min_count)
    if pii_type in ("address", "street"):
        return AddressFake.fit(text, pii_type, loc, nf)
    if pii_type == "city":
        return CityFake(locale=loc, null_fraction=nf)
    if pii_type == "ip":
        return IpFake(_share(text.str.contains(".", regex=False) & ~text.str.contains(":", regex=False)),
                      locale=loc, null_fraction=nf)
    if pii_type == "url":
        return UrlFake.fit(text, loc, nf)
    if pii_type == "free_text":
        return FreeTextFake.fit(text, loc, nf, min_count)
    raise SpecError(f"column {series.name!r}: no fake generator for PII type {pii_type!r}")
