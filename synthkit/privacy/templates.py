"""Per-position character templates: the format of codes, phone numbers, tokens and ids.

A template is a tuple of items, one per character: a literal written ``"=c"`` (the
character ``c``, e.g. a separator or a constant prefix letter) or the name of a character
class of :data:`CLASSES` (e.g. ``"d"`` for a decimal digit). It is learned from the real
values of one shape (same length, or same digit mask): a position that holds one character
in every value (and at least ``min_count`` values) is a literal, any other position gets the
smallest class holding every character seen there. Values are then written as a code-point
matrix, one column per position, and viewed as fixed-width strings: no loop over rows.
"""

from __future__ import annotations

import string

import numpy as np

from ..errors import ModelFileError

__all__ = [
    "CLASSES", "MAX_TEMPLATE", "learn_template", "fill_random", "fill_mixture", "fill_from_digits", "radices",
    "space", "ensure_variety", "widen", "mask", "code_matrix", "strings_from_codes",
    "check_template",
]

#: Character classes by name (each a string of its characters, in order).
CLASSES: dict[str, str] = {
    "N": "23456789",
    "n": "123456789",
    "d": string.digits,
    "h": string.digits + "abcdef",
    "H": string.digits + "ABCDEF",
    "l": string.ascii_lowercase,
    "u": string.ascii_uppercase,
    "L": string.digits + string.ascii_lowercase,
    "U": string.digits + string.ascii_uppercase,
    "x": string.digits + string.ascii_letters,
}
_CODES = {name: np.frombuffer(chars.encode("utf-32-le"), dtype=np.uint32) for name, chars in CLASSES.items()}
_SETS = {name: frozenset(chars) for name, chars in CLASSES.items()}
#: Classes tried in order: the first that holds every character seen at a position wins.
_ORDER = ("d", "h", "H", "l", "u", "L", "U", "x")
_SYMBOL = {"N": "#", "n": "#", "d": "#", "h": "h", "H": "H", "l": "a", "u": "A", "L": "*", "U": "*", "x": "*"}

#: Longest template (characters) learned or read from a file.
MAX_TEMPLATE = 256

#: Positions need this many values before a 2-9 / 1-9 digit class is inferred from them.
_DIGIT_RANGE_MIN = 30


def code_matrix(values: np.ndarray, width: int) -> np.ndarray:
    """The ``(n, width)`` uint32 code points of fixed-width strings (shorter ones padded with 0)."""
    arr = np.ascontiguousarray(np.asarray(values, dtype=f"<U{width}"))
    return arr.view(np.uint32).reshape(len(arr), width)


def strings_from_codes(codes: np.ndarray) -> np.ndarray:
    """Fixed-width strings from an ``(n, width)`` code-point matrix (trailing zeros dropped)."""
    n, width = codes.shape
    if width == 0:
        return np.full(n, "", dtype="<U1")
    return np.ascontiguousarray(codes, dtype=np.uint32).view(f"<U{width}").reshape(n)


def _class_of(chars: set[str], m: int) -> str:
    if chars <= _SETS["d"] and m >= _DIGIT_RANGE_MIN:
        if chars <= _SETS["N"]:
            return "N"
        if chars <= _SETS["n"]:
            return "n"
    for name in _ORDER:
        if chars <= _SETS[name] and (name not in ("h", "H") or chars & _SETS["d"]):
            return name
    return "x"


def learn_template(values: np.ndarray, min_count: int = 5) -> tuple[str, ...]:
    """The template of equal-length strings ``values``.

    A position is the literal it holds when every value agrees there and there are at
    least ``min_count`` values, or when the character is not a letter or digit (nor a
    control character); otherwise
    it is the smallest class of :data:`CLASSES` holding every character seen there (a
    hexadecimal class only for a mix of digits and letters a-f). When some position is
    hexadecimal and every varying character is a hexadecimal digit, all varying positions
    become hexadecimal.

    Examples
    --------
    >>> learn_template(np.array(["AB-12", "AC-93", "AD-07", "AZ-55", "AA-10"]))
    ('=A', 'u', '=-', 'd', 'd')
    """
    values = np.asarray(values)
    m = len(values)
    width = max(int(np.char.str_len(values).max()), 1) if m else 1
    codes = code_matrix(values, width)
    items: list[str] = []
    seen: set[str] = set()
    for j in range(width):
        chars = {chr(c) for c in np.unique(codes[:, j]) if c}
        if len(chars) == 1:
            (c,) = chars
            if c.isprintable() and (not c.isascii() or not c.isalnum() or m >= min_count):
                items.append("=" + c)
                continue
        items.append(_class_of(chars, m))
        seen |= chars
    for hexa in ("h", "H"):  # a hexadecimal column: positions that saw only digits (or a-f) are hex too
        if hexa in items and seen <= _SETS[hexa]:
            items = [hexa if it in ("d", "n", "N", "l", "u") else it for it in items]
    return tuple(items)


def radices(template: tuple[str, ...]) -> list[int]:
    """Alphabet size of each class position, in order."""
    return [len(CLASSES[it]) for it in template if not it.startswith("=")]


def space(template: tuple[str, ...]) -> int:
    """Number of distinct strings the template writes (a Python int).

    Examples
    --------
    >>> space(("=C", "d", "d", "u"))
    2600
    """
    out = 1
    for r in radices(template):
        out *= r
    return out


def ensure_variety(template: tuple[str, ...], min_space: int) -> tuple[str, ...]:
    """Turn literal letters and digits into classes, last first, until ``space >= min_space``.

    Guards against a template that would write one value (or a handful) of the real column.

    Examples
    --------
    >>> ensure_variety(("=5", "=5", "=-", "=1"), 100)
    ('=5', 'd', '=-', 'd')
    """
    items = list(template)
    for j in range(len(items) - 1, -1, -1):
        if space(tuple(items)) >= min_space:
            break
        it = items[j]
        if it.startswith("=") and it[1:].isascii() and it[1:].isalnum():
            c = it[1:]
            items[j] = "d" if c.isdigit() else ("u" if c.isupper() else "l")
    return tuple(items)


def widen(template: tuple[str, ...]) -> tuple[str, ...]:
    """The template with one more character: a copy of its last class position, inserted after it.

    Examples
    --------
    >>> widen(("=C", "d", "d", "=X"))
    ('=C', 'd', 'd', 'd', '=X')
    """
    items = list(template)
    last = max((j for j, it in enumerate(items) if not it.startswith("=")), default=None)
    if last is None:
        return (*items, "x")
    items.insert(last + 1, items[last])
    return tuple(items)


def mask(template: tuple[str, ...]) -> str:
    """A readable mask: literals as themselves, ``#`` a digit, ``A``/``a`` a letter, ``*`` either.

    Examples
    --------
    >>> mask(("=(", "N", "d", "d", "=)"))
    '(###)'
    """
    return "".join(it[1:] if it.startswith("=") else _SYMBOL[it] for it in template)


def _literal_codes(template: tuple[str, ...], n: int) -> np.ndarray:
    codes = np.zeros((n, len(template)), dtype=np.uint32)
    for j, it in enumerate(template):
        if it.startswith("="):
            codes[:, j] = ord(it[1])
    return codes


def fill_random(template: tuple[str, ...], n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` strings of the template, each class position drawn uniformly with ``rng``.

    Examples
    --------
    >>> fill_random(("=+", "=1", "=-", "d", "d"), 2, np.random.default_rng(0)).tolist()
    ['+1-85', '+1-62']
    """
    codes = _literal_codes(template, n)
    for j, it in enumerate(template):
        if not it.startswith("="):
            alphabet = _CODES[it]
            codes[:, j] = alphabet[rng.integers(0, len(alphabet), size=n)]
    return strings_from_codes(codes)


def fill_mixture(templates: list[tuple[str, ...]], shares: list[float], n: int,
                 rng: np.random.Generator) -> np.ndarray:
    """``n`` strings, each of a template drawn with probabilities ``shares``, filled by :func:`fill_random`.

    Row ``i`` takes template ``k`` with probability ``shares[k]`` (one categorical draw per
    row), then its class positions are drawn uniformly; one vectorised fill per template.

    Examples
    --------
    >>> v = fill_mixture([("=A", "d"), ("=B", "d", "d")], [0.5, 0.5], 1000, np.random.default_rng(0))
    >>> sorted({x[0] + str(len(x)) for x in v})
    ['A2', 'B3']
    """
    if len(templates) == 1:
        return fill_random(templates[0], n, rng)
    which = rng.choice(len(templates), size=n, p=np.asarray(shares, dtype=float))
    out = np.empty(n, dtype=object)
    for k, template in enumerate(templates):
        rows = np.flatnonzero(which == k)
        if rows.size:
            out[rows] = fill_random(template, rows.size, rng)
    return out


def fill_from_digits(template: tuple[str, ...], digits: np.ndarray) -> np.ndarray:
    """Strings of the template whose k-th class position holds character ``digits[:, k]`` of its class.

    ``digits`` is an ``(n, number of class positions)`` integer matrix, column ``k`` in
    ``[0, radices(template)[k])`` (a mixed-radix expansion, for instance).
    """
    n = len(digits)
    codes = _literal_codes(template, n)
    k = 0
    for j, it in enumerate(template):
        if not it.startswith("="):
            codes[:, j] = _CODES[it][digits[:, k]]
            k += 1
    return strings_from_codes(codes)


def check_template(items: object, where: str) -> tuple[str, ...]:
    """Validate a template read from a file (a list of class names and ``"=c"`` literals)."""
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_TEMPLATE:
        raise ModelFileError(f"{where}: `template` must be a list of 1 to {MAX_TEMPLATE} items, "
                             f"got {type(items).__name__}")
    for it in items:
        ok = isinstance(it, str) and (it in CLASSES or (
            len(it) == 2 and it[0] == "=" and it[1].isprintable()))
        if not ok:
            raise ModelFileError(
                f"{where}: template item {it!r} is neither a class ({', '.join(CLASSES)}) "
                "nor a literal '=c' of one printable character")
    return tuple(items)
