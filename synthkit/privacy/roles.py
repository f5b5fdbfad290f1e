"""Column roles: which columns are identifiers, personal data or quasi-identifiers, and why.

Every column gets one role:

``identifier``
    a key (unique, or nearly so): generated anew, format-preserving, never copied.
``pii``
    personal data of one :data:`PII_TYPES` type (e-mail, phone, name, ...): replaced by
    realistic fakes, never copied.
``quasi_identifier``
    an attribute that is harmless alone but identifying in combination (age, postcode,
    gender, date of birth, ...): modelled like any column, but *suggested* for the
    disclosure-risk checks.
``ordinary``
    everything else.

:func:`detect_roles` decides conservatively and explains each decision in a short
``reason``. Value patterns are checked on at most :data:`SAMPLE_VALUES` non-null values at
evenly spaced positions, with vectorised pandas string methods; a pattern counts when
:data:`MATCH_SHARE` of them match. Booleans and low-cardinality categoricals are never
identifiers or PII. Any decision can be overridden with :func:`parse_role` texts such as
``"pii:email"``, ``"identifier"`` or ``"qi"``.

A reason never holds a value of the column (reasons are written to model files, reports and
the terminal): it speaks in shares of values, counts of distinct values, lengths, the
column's name and, for coded keys, the prefix or suffix that 90% of the values share.

Phone numbers are recognised by their values when nearly all of them are phone-shaped
(7-15 digits, optional ``x123`` / ``ext. 12`` extension) and at least
:data:`PHONE_FORMATTED_SHARE` of them are written like phones (separators in two places,
parentheses, a leading ``+``, or an extension); by a phone-like column name otherwise.
Multi-line postal addresses are recognised by their layout: two to five short lines, a
postcode-like token after the first one.
Whole numbers stored as floats are quantities unless the column is named like a key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, SpecError
from ..schema import ROLES
from .base import SAMPLE_VALUES, spread_sample

__all__ = [
    "ROLES", "PII_TYPES", "RoleDecision", "parse_role", "detect_roles", "SAMPLE_VALUES", "MATCH_SHARE",
    "UNIQUE_SHARE", "MIN_ID_ROWS", "LOW_CARDINALITY", "PHONE_FORMATTED_SHARE",
]

PII_TYPES = ("name", "first_name", "last_name", "email", "phone", "address", "street", "city",
             "postcode", "national_id", "ip", "url", "free_text", "token")

#: Share of sampled non-null values that must match a pattern.
MATCH_SHARE = 0.90
#: Share of distinct values (among non-null ones) that makes a column near-unique.
UNIQUE_SHARE = 0.99
#: Fewest non-null values for a column to be called an identifier.
MIN_ID_ROWS = 20
#: A column with at most this many distinct values, each held by two rows or more on average,
#: is a low-cardinality categorical: never an identifier or PII.
LOW_CARDINALITY = 30
#: Share of values that must be written like phones (not as bare digit strings) for values alone
#: to make a column of phone numbers: many locales write a good part of their numbers bare.
PHONE_FORMATTED_SHARE = 0.25

_ROLE_ALIASES = {"qi": "quasi_identifier", "quasi-identifier": "quasi_identifier",
                 "quasi identifier": "quasi_identifier", "quasi_id": "quasi_identifier", "id": "identifier",
                 "key": "identifier"}
_PII_ALIASES = {"ssn": "national_id", "zip": "postcode", "zipcode": "postcode", "postal_code": "postcode",
                "text": "free_text", "full_name": "name", "surname": "last_name", "given_name": "first_name",
                "ip_address": "ip", "e-mail": "email", "telephone": "phone"}

# -- value patterns (full matches on stripped strings) --------------------------------
_EMAIL = r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = rf"(?:{_OCTET}\.){{3}}{_OCTET}"
_H = r"[0-9A-Fa-f]{1,4}"
_IPV6 = rf"(?:{_H}:){{7}}{_H}|(?:{_H}(?::{_H})*)?::(?:{_H}(?::{_H})*)?(?:{_IPV4})?"
_URL = r"(?:https?|ftp)://[^\s/?#]+\.[^\s/?#]+[^\s]*|www\.[^\s/?#]+\.[A-Za-z]{2,}[^\s]*"
_SSN = r"\d{3}-\d{2}-\d{4}"
_PHONE_CHARS = r"\+?[\d\s().\-/]+"
#: An extension after a phone number: "x9150", "ext. 12", "extension 5".
_PHONE_EXT = r"\s*(?i:x|ext\.?|extension)\s*\d{1,6}$"
#: Thousands written with dots ("1.234.567"): a number, not a phone.
_DOTTED_THOUSANDS = r"\d{1,3}(?:\.\d{3})+"
_DATE = r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"
_UUID = (r"\{?[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[1-8][0-9A-Fa-f]{3}-?[89ABab][0-9A-Fa-f]{3}-?"
         r"[0-9A-Fa-f]{12}\}?")  # a version nibble 1-8 and the RFC variant
_TOKEN = r"[A-Za-z0-9_\-]+"
_LETTERS = r"(?:[^\W\d_]|['’.\-])*"
_WORDS = rf"[^\W\d_]{_LETTERS}(?:,? [^\W\d_]{_LETTERS}){{0,5}}"
#: Lower-case name particles and honorifics ("van der", "de la", "pani"): not counted as words of a name.
_PARTICLES = ("de", "da", "das", "do", "dos", "du", "del", "della", "dei", "di", "der", "den", "van", "von",
              "zu", "ten", "ter", "la", "le", "y", "e", "bin", "al", "el", "pan", "pani")
#: A postcode-like token: 4-5 digits, or a UK, Canadian, Dutch, Japanese, Brazilian or Polish code.
_POSTAL_TOKEN = (r"(?:^|[\s,(])(?:\d{4,5}|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|\d{4} ?[A-Z]{2}"
                 r"|[A-Z]\d[A-Z] ?\d[A-Z]\d|\d{3}-\d{4}|\d{5}-\d{3,4}|\d{2}-\d{3})(?:$|[\s,)])")
_CITY = r"[^\W\d_](?:[^\W\d_]|['’.\- ])*"
_POSTCODE = r"(?=.*\d)[A-Za-z0-9][A-Za-z0-9 \-]{1,9}"
_NATIONAL = r"(?=.*\d)[A-Za-z0-9][A-Za-z0-9 \-]{4,20}"

# -- name hints (tokens of the snake/camel-split lower-case column name) -----------------
_KEY_LAST = {"id", "ids", "uuid", "guid", "uid", "key", "pk", "no", "nr", "num", "number", "code", "ref",
             "reference", "identifier"}
_PERSON = {"name", "names", "fullname", "firstname", "lastname", "surname", "forename", "givenname",
           "familyname", "middlename", "maidenname"}
_PERSON_QUALIFIERS = {
    "full", "first", "last", "given", "family", "middle", "maiden", "sur", "fore", "customer", "client",
    "person", "patient", "employee", "contact", "member", "owner", "holder", "account", "card", "cardholder",
    "applicant", "student", "user", "emergency", "spouse", "father", "mother", "parent", "guardian",
    "doctor", "physician", "manager", "agent", "recipient", "sender", "beneficiary", "insured", "subscriber",
    "buyer", "seller", "driver", "passenger", "guest", "author", "teacher", "staff", "nurse", "legal",
    "birth",
}
_FIRST = {"first", "given", "fore", "firstname", "givenname", "forename"}
_LAST = {"last", "family", "sur", "surname", "lastname", "familyname", "maidenname", "maiden"}
_ADDRESS = {"address", "addr", "street", "addressline", "address1", "address2", "line1", "line2"}
_NOT_POSTAL = {"email", "mail", "ip", "ipv4", "ipv6", "mac", "web", "url", "e", "wallet", "server", "host"}
_CITY_WORDS = {"city", "town", "municipality", "locality"}
_POSTCODE_WORDS = {"zip", "zipcode", "postcode", "postal", "postalcode", "plz"}
_PHONE_WORDS = {"phone", "telephone", "tel", "mobile", "cell", "cellphone", "fax", "msisdn", "phonenumber"}
_NATIONAL_WORDS = {"ssn", "nino", "passport", "aadhaar", "cpf", "nhs", "bsn", "tin", "nationalid"}
_TOKEN_WORDS = {"password", "passwd", "pwd", "secret", "token", "apikey", "credential", "credentials", "hash",
                "salt"}
_TOKEN_JOINED = {"apikey", "accesskey", "secretkey", "username", "screenname", "loginname", "login", "handle",
                 "nickname"}
#: Integer columns so named are quantities even when unique and dense (one row per year...).
_QUANTITY_WORDS = {"year", "yr", "month", "week", "day", "hour", "minute", "count", "qty", "quantity", "rank",
                   "score", "level", "floor", "size", "step", "epoch", "period", "round", "version"}
_DOB_WORDS = {"dob", "birth", "birthday", "birthdate", "born", "dateofbirth"}
_QI_WORDS = {"age", "zip", "zipcode", "postcode", "postal", "postalcode", "plz", "gender", "sex",
             "nationality", "citizenship", "marital", "occupation", "profession", "job", "ethnicity",
             "ethnic", "race", "religion", "education"} | _DOB_WORDS


@dataclass(frozen=True)
class RoleDecision:
    """The role of one column, with its PII type and a short human reason.

    Examples
    --------
    >>> RoleDecision("email", "pii", "email", "98% of values match an e-mail pattern").role
    'pii'
    """

    column: str
    role: str
    pii_type: str | None
    reason: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise SpecError(f"column {self.column!r}: unknown role {self.role!r}; expected one of {ROLES}")
        if self.role == "pii" and self.pii_type not in PII_TYPES:
            raise SpecError(f"column {self.column!r}: a pii column needs a type among {PII_TYPES}, "
                            f"got {self.pii_type!r}")
        if self.role != "pii" and self.pii_type is not None:
            raise SpecError(f"column {self.column!r}: only pii columns have a pii_type")


def parse_role(text: str) -> tuple[str, str | None]:
    """Read a role declaration: ``"pii"``, ``"pii:email"``, ``"identifier"``, ``"qi"``, ``"ordinary"``.

    Case and surrounding spaces are ignored; ``qi`` and ``quasi-identifier`` mean
    ``quasi_identifier``, ``id`` means ``identifier``; a few PII type aliases are accepted
    (``ssn`` -> ``national_id``, ``zip`` -> ``postcode``...).

    Examples
    --------
    >>> parse_role("pii:Email"), parse_role("qi"), parse_role("pii")
    (('pii', 'email'), ('quasi_identifier', None), ('pii', None))
    >>> parse_role("secret")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    synthkit.errors.SpecError: unknown role 'secret'; use one of 'ordinary', 'identifier', 'pii', ...
    """
    choices = ("use one of 'ordinary', 'identifier', 'pii', 'pii:<type>', 'quasi_identifier' (or 'qi'), "
               f"where <type> is one of {', '.join(PII_TYPES)}")
    if not isinstance(text, str):
        raise SpecError(f"a role must be a string, got {type(text).__name__} {text!r}; {choices}")
    head, colon, tail = text.strip().lower().partition(":")
    role = _ROLE_ALIASES.get(head.strip(), head.strip())
    if role not in ROLES:
        raise SpecError(f"unknown role {text!r}; {choices}")
    if not colon:
        return role, None
    if role != "pii":
        raise SpecError(f"role {text!r}: only 'pii' takes a type (as in 'pii:email'); {choices}")
    pii_type = _PII_ALIASES.get(tail.strip(), tail.strip())
    if pii_type not in PII_TYPES:
        raise SpecError(f"unknown PII type in {text!r}; {choices}")
    return role, pii_type


# -- helpers ------------------------------------------------------------------------------
def _name_tokens(name: object) -> list[str]:
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(name))
    s = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", "_", s)
    return [t for t in re.split(r"[^a-z0-9]+", s.lower()) if t]


def _share(mask: pd.Series) -> float:
    return float(mask.fillna(False).astype(bool).mean()) if len(mask) else 0.0


def _matches(text: pd.Series, pattern: str) -> float:
    return _share(text.str.fullmatch(pattern))


def _pct(x: float) -> str:
    return f"{x:.0%}" if x < 0.995 or x == 1.0 else f"{x:.1%}"


class _Column:
    """What detection needs to know about one column, computed once."""

    def __init__(self, name: object, series: pd.Series):
        self.name = name
        self.label = repr(str(name))
        self.tokens = _name_tokens(name)
        self.token_set = set(self.tokens)
        self.joined = "".join(self.tokens)
        self.nonnull = series.dropna()
        self.n = len(self.nonnull)

    def has(self, words: set[str]) -> bool:
        return bool(self.token_set & words) or self.joined in words

    def key_name(self) -> bool:
        t = self.tokens
        return bool(t) and (t[-1] in _KEY_LAST or t[0] == "id")

    def person_type(self) -> str | None:
        t = self.token_set
        if not t or not (t & _PERSON or self.joined in _PERSON) or not t <= (_PERSON | _PERSON_QUALIFIERS):
            return None
        if t & _FIRST or self.joined in _FIRST:
            return "first_name"
        if t & _LAST or self.joined in _LAST:
            return "last_name"
        return "name"

    def national_name(self) -> bool:
        t = self.token_set
        return bool(t & _NATIONAL_WORDS) or {"social", "security"} <= t or (
            "national" in t and bool(t & {"id", "number", "no", "insurance"})) or (
            "tax" in t and bool(t & {"id", "number", "no"}))

    def quasi(self) -> str | None:
        hit = [w for w in [*self.tokens, self.joined] if w in _QI_WORDS]
        return hit[0] if hit else None


def _decision(col: _Column, role: str, reason: str, pii_type: str | None = None) -> RoleDecision:
    return RoleDecision(str(col.name), role, pii_type, reason)


def _suggest_qi(col: _Column, ordinary_reason: str) -> RoleDecision:
    word = col.quasi()
    if word is not None:
        return _decision(col, "quasi_identifier", f"suggested: the name {col.label} ({word}) is a "
                                                  "typical quasi-identifier")
    return _decision(col, "ordinary", ordinary_reason)


def _numeric(col: _Column) -> RoleDecision:
    x = col.nonnull.to_numpy(dtype=float)
    finite = np.isfinite(x)
    whole = bool(finite.all() and (x == np.round(x)).all())
    n_distinct = int(pd.unique(x).size)
    unique = col.n >= MIN_ID_ROWS and n_distinct >= UNIQUE_SHARE * col.n
    if whole and unique:
        lo, hi = int(x.min()), int(x.max())
        if col.key_name():
            return _decision(col, "identifier", f"{_pct(n_distinct / col.n)} distinct integers and the name "
                                                f"{col.label} looks like a key")
        if pd.api.types.is_float_dtype(col.nonnull.dtype):
            return _suggest_qi(col, "unique whole numbers stored as floats and not named like a key: "
                                    "treated as a quantity")
        if hi - lo + 1 <= 2 * n_distinct and not col.has(_QUANTITY_WORDS) and col.quasi() is None:
            fill = n_distinct / (hi - lo + 1)
            return _decision(col, "identifier", f"unique integers filling {_pct(fill)} of their range "
                                                "(sequential key)")
        return _suggest_qi(col, "unique integers, but sparse and not named like a key: treated as a quantity")
    if unique:
        return _suggest_qi(col, "unique values with fractions: a continuous measurement, not a key")
    if whole and n_distinct <= LOW_CARDINALITY:
        return _suggest_qi(col, f"discrete numbers ({n_distinct} values)")
    return _suggest_qi(col, "continuous measurement" if not whole else "whole-number quantity")


def _phone_evidence(text: pd.Series) -> tuple[float, float]:
    """Shares of values that are phone-shaped, and phone-shaped *and* written like phones.

    Phone-shaped: after an optional extension (``x123``, ``ext. 12``) is cut off, digits,
    spaces, ``().-/`` and a leading ``+`` only, 7-15 digits (E.164 allows 15), and not a
    date. Written like a phone: separators between digit groups in two places, a leading
    ``+``, parentheses or an extension, and not a decimal (``1234.5678``) or dotted-thousands
    (``1.234.567``) number.
    """
    main = text.str.replace(_PHONE_EXT, "", regex=True)
    extension = main.str.len() < text.str.len()
    digits = main.str.count(r"\d")
    shaped = main.str.fullmatch(_PHONE_CHARS) & digits.between(7, 15) & ~main.str.fullmatch(_DATE)
    groups = main.str.count(r"\d[\s.\-/]+\d")
    written = (groups >= 2) | main.str.contains(r"^\+|\(", regex=True) | extension
    number = main.str.fullmatch(r"\d+\.\d+") | main.str.fullmatch(_DOTTED_THOUSANDS)
    return _share(shaped), _share(shaped & written & ~number)


def _phone_by_values(text: pd.Series) -> tuple[float, float] | None:
    """The phone evidence of a column whose values alone say phone numbers, else ``None``."""
    shaped, written = _phone_evidence(text)
    return (shaped, written) if shaped >= MATCH_SHARE and written >= PHONE_FORMATTED_SHARE else None


def _capitalised(text: pd.Series) -> pd.Series:
    """Names: 1-6 words of letters (and ``'.-``), each capitalised but for particles such as ``van``."""
    particles = "|".join(_PARTICLES)
    words = text.str.replace(rf"(?:^|(?<=[\s,]))(?:{particles})(?=[\s,]|$)", "", regex=True)
    initials = words.str.replace(r"([^\W\d_])[^\s,]*", r"\1", regex=True)
    initials = initials.str.replace(r"[\s,]", "", regex=True)
    return text.str.fullmatch(_WORDS) & (initials.str.len() > 0) & (initials == initials.str.upper())


def _multiline_address(text: pd.Series) -> pd.Series:
    """Postal addresses written on lines: 2-5 lines of at most 60 characters and 8 words each,
    letters on the first line, and a postcode-like token (:data:`_POSTAL_TOKEN`) on a later one."""
    lines = text.str.count("\n") + 1
    short = ~text.str.contains(r"[^\n]{61}", regex=True) & ~text.str.contains(r"(?:[^\s]+[ \t]+){8}[^\s]",
                                                                              regex=True)
    first = text.str.match(r"[^\n]*[^\W\d_]{2}")
    later = text.str.replace(r"^[^\n]*\n", "", regex=True).str.contains(_POSTAL_TOKEN, regex=True)
    return lines.between(2, 5) & short & first & later


def _as_text(values: pd.Series) -> pd.Series:
    """Values as stripped Python strings in an object series (regular expressions run with :mod:`re`)."""
    return pd.Series(values.astype(str).to_numpy(dtype=object), index=values.index, dtype=object).str.strip()


def _text(col: _Column) -> RoleDecision:
    try:
        n_distinct = int(col.nonnull.nunique())
    except TypeError:
        n_distinct = int(col.nonnull.astype(str).nunique())
    if n_distinct <= LOW_CARDINALITY and col.n >= 2 * n_distinct:
        return _suggest_qi(col, f"low-cardinality categorical ({n_distinct} levels)")
    text = _as_text(spread_sample(col.nonnull))
    text = text[text != ""]
    if len(text) == 0:
        return _decision(col, "ordinary", "empty strings only")
    unique = col.n >= MIN_ID_ROWS and n_distinct >= UNIQUE_SHARE * col.n
    pct_unique = _pct(n_distinct / col.n)

    for pattern, ptype, what in ((_EMAIL, "email", "an e-mail address"), (_IPV4, "ip", "an IPv4 address"),
                                 (_IPV6, "ip", "an IPv6 address"), (_URL, "url", "a URL"),
                                 (_SSN, "national_id", "a US social security number (###-##-####)")):
        share = _matches(text, pattern)
        if share >= MATCH_SHARE:
            return _decision(col, "pii", f"{_pct(share)} of values match {what} pattern", ptype)
    if (share := _matches(text, _IPV4) + _matches(text, _IPV6)) >= MATCH_SHARE:
        return _decision(col, "pii", f"{_pct(share)} of values are IPv4 or IPv6 addresses", "ip")
    if (phone := _phone_by_values(text)) is not None:
        return _decision(col, "pii", f"{_pct(phone[0])} of values look like phone numbers (7-15 digits, "
                                     f"optional extension), {_pct(phone[1])} written with separators, "
                                     "parentheses, a country code or an extension", "phone")
    if col.national_name() and (share := _matches(text, _NATIONAL)) >= MATCH_SHARE:
        return _decision(col, "pii", f"the name {col.label} suggests a national id and {_pct(share)} of "
                                     "values are codes with digits", "national_id")
    if col.has(_PHONE_WORDS) and (share := _phone_evidence(text)[0]) >= MATCH_SHARE:
        return _decision(col, "pii", f"the name {col.label} suggests a phone number and {_pct(share)} of "
                                     "values have 7-15 digits (and an optional extension)", "phone")

    person = col.person_type()
    if person is not None and (share := _share(_capitalised(text))) >= MATCH_SHARE:
        return _decision(col, "pii", f"the name {col.label} suggests a person's name and {_pct(share)} of "
                                     "values are capitalised words", person)
    if col.has(_ADDRESS) and not col.token_set & _NOT_POSTAL:
        street = text.str.contains(r"\d") & text.str.contains(r"[^\W\d_]{2,}") & text.str.contains(" ")
        if (share := _share(street)) >= MATCH_SHARE:
            commas = _share(text.str.contains(",", regex=False))
            ptype = "street" if "street" in col.token_set and commas < 0.5 else "address"
            return _decision(col, "pii", f"the name {col.label} suggests an address and {_pct(share)} of "
                                         "values hold a number and words", ptype)
    if n_distinct >= MATCH_SHARE * col.n and (share := _share(_multiline_address(text))) >= MATCH_SHARE:
        return _decision(col, "pii", f"{_pct(share)} of values are laid out as postal addresses (2-5 short "
                                     "lines, a postcode-like code after the first)", "address")
    if col.has(_CITY_WORDS) and (share := _matches(text, _CITY)) >= MATCH_SHARE:
        return _decision(col, "pii", f"the name {col.label} suggests a city and {_pct(share)} of values "
                                     f"are place names ({n_distinct} distinct)", "city")
    if col.has(_POSTCODE_WORDS) and (share := _matches(text, _POSTCODE)) >= MATCH_SHARE:
        return _decision(col, "pii", f"the name {col.label} suggests a postcode and {_pct(share)} of "
                                     f"values are short codes ({n_distinct} distinct)", "postcode")
    if (col.has(_TOKEN_WORDS) or col.joined in _TOKEN_JOINED) and \
            (share := _share(~text.str.contains(r"\s"))) >= MATCH_SHARE:
        return _decision(col, "pii", f"the name {col.label} suggests a secret or handle and "
                                     f"{_pct(share)} of values are single tokens", "token")

    if unique:
        if col.key_name():
            return _decision(col, "identifier", f"{pct_unique} distinct values and the name {col.label} "
                                                "looks like a key")
        if (share := _matches(text, _UUID)) >= MATCH_SHARE:
            return _decision(col, "identifier", f"{pct_unique} distinct values, {_pct(share)} of them UUIDs")
        parts = text.str.extract(r"^(.*\D)?(\d+)(\D*)$")
        matched = parts[1].notna()
        if _share(matched) >= MATCH_SHARE:
            combo = parts[0].fillna("") + "\x1f" + parts[2].fillna("")
            top = combo[matched].value_counts()
            share = float(top.iloc[0]) / len(text)
            prefix = top.index[0].replace("\x1f", "…")
            lengths = text.str.len()
            fixed = _share(lengths == lengths.mode().iloc[0])
            if share >= MATCH_SHARE and (top.index[0] != "\x1f" or fixed >= MATCH_SHARE):
                what = "fixed-width digit codes" if top.index[0] == "\x1f" else \
                    f"a constant prefix/suffix {prefix!r} around digits"
                return _decision(col, "identifier",
                                 f"{pct_unique} distinct values, {_pct(share)} of them {what}")
        lengths = text.str.len()
        modal = int(lengths.mode().iloc[0])
        token = text.str.fullmatch(_TOKEN) & text.str.contains(r"\d") & (lengths == modal)
        if modal >= 6 and (share := _share(token)) >= MATCH_SHARE:
            return _decision(col, "identifier", f"{pct_unique} distinct values, {_pct(share)} of them "
                                                f"{modal}-character alphanumeric tokens")

    lengths = text.str.len()
    spaced = _share(text.str.contains(" ", regex=False))
    if n_distinct >= MATCH_SHARE * col.n and lengths.mean() > 30 and spaced >= MATCH_SHARE:
        return _decision(col, "pii", f"free text: {pct_unique} distinct values, mean length "
                                     f"{lengths.mean():.0f} characters", "free_text")
    return _suggest_qi(col, f"categorical ({n_distinct} distinct values)")


def _detect(name: object, series: pd.Series) -> RoleDecision:
    col = _Column(name, series)
    dtype = series.dtype
    if col.n == 0:
        return _decision(col, "ordinary", "no values")
    types = pd.api.types
    if types.is_bool_dtype(dtype) or (types.is_object_dtype(dtype) and spread_sample(col.nonnull).map(
            type).isin([bool, np.bool_]).all()):
        return _decision(col, "ordinary", "boolean")
    if types.is_datetime64_any_dtype(dtype):
        if col.has(_DOB_WORDS):
            return _decision(col, "quasi_identifier", f"suggested: the name {col.label} suggests a date "
                                                      "of birth")
        return _decision(col, "ordinary", "dates")
    if types.is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        if types.is_complex_dtype(dtype):
            return _decision(col, "ordinary", "complex numbers")
        return _numeric(col)
    return _text(col)


def _declared_pii_type(name: object, series: pd.Series) -> str:
    """A PII type for a column declared ``pii`` without one: from its values, else ``token``/``free_text``."""
    col = _Column(name, series)
    text = _as_text(spread_sample(col.nonnull))
    strong = ((_EMAIL, "email"), (_IPV4, "ip"), (_IPV6, "ip"), (_URL, "url"), (_SSN, "national_id"))
    for pattern, ptype in strong:
        if _matches(text, pattern) >= MATCH_SHARE:
            return ptype
    if _phone_by_values(text) is not None:
        return "phone"
    if col.person_type() is not None:
        return col.person_type()  # type: ignore[return-value]
    spaced = _share(text.str.contains(" ", regex=False))
    if len(text) and text.str.len().mean() > 30 and spaced >= MATCH_SHARE:
        return "free_text"
    return "token"


def detect_roles(frame: pd.DataFrame, overrides: Mapping[str, str] | None = None) -> dict[str, RoleDecision]:
    """Decide the role of every column of ``frame``, with a reason.

    Parameters
    ----------
    frame : pandas.DataFrame
        The real table. Columns are named by their label as text (``str(label)``), in the
        decisions and in ``overrides``, as everywhere in synthkit.
    overrides : mapping of column name to role text, optional
        Declared roles (:func:`parse_role` texts, e.g. ``{"notes": "pii:free_text",
        "zip": "ordinary"}``); their reason is ``"declared"``. A declared ``"pii"`` without a
        type takes the detected type, else one guessed from the values.

    Returns
    -------
    dict
        Column name -> :class:`RoleDecision`, in column order.

    Raises
    ------
    SpecError
        An override names a column ``frame`` does not have, or an unknown role.

    Examples
    --------
    >>> df = pd.DataFrame({"id": range(1, 101), "email": [f"u{i}@mail.com" for i in range(100)],
    ...                    "income": np.linspace(1e4, 9e4, 100)})
    >>> {k: (d.role, d.pii_type) for k, d in detect_roles(df).items()}
    {'id': ('identifier', None), 'email': ('pii', 'email'), 'income': ('ordinary', None)}
    >>> detect_roles(df, {"income": "qi"})["income"].reason
    'declared'
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"detect_roles needs a pandas DataFrame, got {type(frame).__name__}")
    frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
    overrides = dict(overrides or {})
    unknown = [k for k in overrides if k not in frame.columns]
    if unknown:
        raise SpecError(f"roles declared for unknown column(s) {unknown}; the columns are "
                        f"{[str(c) for c in frame.columns]}")
    declared = {k: parse_role(v) for k, v in overrides.items()}
    out: dict[str, RoleDecision] = {}
    for name in frame.columns:
        series = frame[name]
        if name in declared:
            role, pii_type = declared[name]
            if role == "pii" and pii_type is None:
                auto = _detect(name, series)
                pii_type = auto.pii_type if auto.role == "pii" else _declared_pii_type(name, series)
            out[name] = RoleDecision(str(name), role, pii_type, "declared")
        else:
            out[name] = _detect(name, series)
    return out
