"""Archetypes from plain-English descriptions: a fixed, documented vocabulary, offline.

``parse_description("ten oblong clusters in 50 dimensions with little overlap
and very different sizes, heavy-tailed")`` returns Archetype parameters. The
parser is deterministic and needs no network or language model: it matches
the phrases below (longest first), reads numbers written in digits or words
(``"ten"``, ``"twenty five"``, ``"two hundred"``, ``"1,000"``, ``"3d"``), and
**reports every word it does not understand** (a :class:`~synthkit.errors.SpecError`
listing them) instead of ignoring it.

Vocabulary
----------
=========================== ===============================================
counts                      ``N clusters|groups|blobs`` -> n_clusters;
                            ``in N dimensions``, ``N-dimensional``, ``Nd``,
                            ``dimension N`` -> dim;
                            ``N points|samples|observations|rows`` -> n_samples
shapes                      spherical / round / circular / isotropic:
                            aspect_ref 1, aspect_maxmin 1; oblong: aspect_ref 3;
                            elongated: 5; very oblong / very elongated: 10;
                            varied / different shapes: aspect_maxmin 5
overlap                     no overlap / well separated / separated:
                            (min, max) = (1e-6, 1e-4); little / slight / low:
                            (1e-4, 0.01); some: (1e-3, 0.05); moderate:
                            (0.01, 0.1); much / lots of / high / heavy /
                            strong overlap, overlapping: (0.05, 0.3)
sizes                       equal / same / similar sizes, balanced: imbalance 1;
                            different / unequal sizes, imbalanced, unbalanced: 4;
                            very different / very unequal sizes, very or highly
                            imbalanced: 20
spreads                     same / equal spreads|radii|scales: radius_maxmin 1;
                            different spreads|radii|scales: 4
tails / families            normal, gaussian; heavy-tailed / heavy tails:
                            student_t(df=3); very heavy-tailed: student_t(df=2);
                            light-tailed: uniform; skewed: gamma(shape=2);
                            very / highly skewed: lognormal(sigma=1); mixed
                            distributions: normal, student_t(5), exponential,
                            lognormal; any family name (exponential, gamma,
                            lognormal, uniform, beta, weibull, gumbel, pareto,
                            chi-square, student-t / t-distributed)
non-convex                  distorted / warped / curved / non-convex: distort;
                            on a sphere / wrapped: sphere
=========================== ===============================================

Filler words (a, an, the, with, and, in, of, each, which, are, ...) are allowed.
"""

from __future__ import annotations

import re
from fractions import Fraction

from ..errors import SpecError

__all__ = ["parse_description", "FILLER", "PHRASES"]

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "a": 1,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}

_OV = {
    "none": (1e-6, 1e-4), "little": (1e-4, 0.01), "some": (1e-3, 0.05),
    "moderate": (0.01, 0.1), "much": (0.05, 0.3),
}
_HEAVY = {"name": "student_t", "params": {"df": 3.0}}
_MIXED = ["normal", {"name": "student_t", "params": {"df": 5.0}}, "exponential",
          {"name": "lognormal", "params": {"sigma": 0.5}}]


def _ov(level):
    lo, hi = _OV[level]
    return {"min_overlap": lo, "max_overlap": hi}


def _fam(*specs):
    return {"__families": list(specs)}


# phrase (tuple of words) -> parameters; matched longest first
PHRASES: dict[tuple[str, ...], dict] = {}


def _add(texts, params):
    for t in texts:
        PHRASES[tuple(t.split())] = params


_add(["spherical", "round", "circular", "isotropic"], {"aspect_ref": 1.0, "aspect_maxmin": 1.0})
_add(["oblong"], {"aspect_ref": 3.0})
_add(["elongated", "stretched"], {"aspect_ref": 5.0})
_add(["very oblong", "very elongated", "very stretched", "needle shaped"], {"aspect_ref": 10.0})
_add(["varied shapes", "different shapes", "various shapes", "varying shapes"],
     {"aspect_maxmin": 5.0})
_add(["similar shapes", "same shape", "same shapes"], {"aspect_maxmin": 1.0})
_add(["no overlap", "without overlap", "well separated", "separated", "non overlapping",
      "nonoverlapping"], _ov("none"))
_add(["little overlap", "slight overlap", "low overlap", "small overlap", "a little overlap"],
     _ov("little"))
_add(["some overlap"], _ov("some"))
_add(["moderate overlap", "medium overlap", "moderately overlapping"], _ov("moderate"))
_add(["much overlap", "lots of overlap", "a lot of overlap", "high overlap", "heavy overlap",
      "strong overlap", "large overlap", "overlapping", "strongly overlapping",
      "heavily overlapping"], _ov("much"))
_add(["equal sizes", "equal size", "same size", "same sizes", "similar sizes", "balanced",
      "equal sized", "equally sized"], {"imbalance_ratio": 1.0})
_add(["different sizes", "unequal sizes", "varying sizes", "imbalanced", "unbalanced",
      "different sized"], {"imbalance_ratio": 4.0})
_add(["very different sizes", "very unequal sizes", "very imbalanced", "highly imbalanced",
      "very unbalanced", "highly unbalanced", "very different sized"], {"imbalance_ratio": 20.0})
_add(["same spread", "same spreads", "equal spreads", "equal radii", "same radius",
      "same radii", "same scale", "equal scales"], {"radius_maxmin": 1.0})
_add(["different spreads", "different radii", "different scales", "varying spreads",
      "different spread"], {"radius_maxmin": 4.0})
_add(["normal", "gaussian", "normally distributed"], _fam("normal"))
_add(["heavy tailed", "heavy tails", "fat tailed", "fat tails", "heavy tail"], _fam(_HEAVY))
_add(["very heavy tailed", "very heavy tails", "extremely heavy tailed"],
     _fam({"name": "student_t", "params": {"df": 2.0}}))
_add(["light tailed", "light tails", "bounded"], _fam("uniform"))
_add(["skewed", "asymmetric"], _fam({"name": "gamma", "params": {"shape": 2.0}}))
_add(["very skewed", "highly skewed", "strongly skewed"],
     _fam({"name": "lognormal", "params": {"sigma": 1.0}}))
_add(["mixed distributions", "mixed families", "various distributions",
      "different distributions"], _fam(*_MIXED))
_add(["exponential"], _fam("exponential"))
_add(["gamma"], _fam("gamma"))
_add(["lognormal", "log normal"], _fam("lognormal"))
_add(["uniform"], _fam("uniform"))
_add(["beta"], _fam("beta"))
_add(["weibull"], _fam("weibull"))
_add(["gumbel"], _fam("gumbel"))
_add(["pareto"], _fam("pareto"))
_add(["chi square", "chisquare", "chi squared"], _fam("chisquare"))
_add(["student t", "t distributed", "students t"], _fam({"name": "student_t", "params": {}}))
_add(["distorted", "warped", "curved", "nonconvex", "non convex", "bent"],
     {"nonconvex": "distort"})
_add(["on a sphere", "on the sphere", "wrapped", "wrapped on a sphere",
      "wrapped onto a sphere", "on a sphere surface"], {"nonconvex": "sphere"})

FILLER = frozenset(
    "a an the with and in of each which that are is have has having but mostly quite fairly "
    "rather somewhat their its clusters cluster groups group blobs blob dimensions dimension "
    "dims dim dimensional d points point samples sample observations rows data dataset "
    "datasets distribution distributions tails tailed overlap sizes size shapes shape "
    "between them all also plus or where whose distributed space total".split()
)
_CLUSTER_NOUNS = {"clusters", "cluster", "groups", "group", "blobs", "blob"}
_DIM_NOUNS = {"dimensions", "dimension", "dims", "dim", "dimensional", "d"}
_SAMPLE_NOUNS = {"points", "point", "samples", "sample", "observations", "rows"}


_TOKEN = r"\d+(?:\.\d+)?|[a-z]+"
#: Punctuation that may separate words; any other symbol is reported as not understood.
_PUNCTUATION = r"[\s.,;:!?()\"'-]"


def _tokenize(text: str) -> tuple[list[str], list[str]]:
    """The words and numbers of ``text``, and the symbols that are neither."""
    text = text.lower().replace("’", "'").replace("'s", "s")
    negative = re.search(r"(?<![\w.])-\s*\d+(?:\.\d+)?", text)
    if negative:
        raise SpecError(f"counts in a description must be positive; got {negative.group(0)!r} "
                        f"in {text!r}")
    text = re.sub(r"(\d),(\d{3})", r"\1\2", text)
    text = re.sub(r"(\d+)\s*-?\s*d\b", r"\1 d", text)  # 3d, 3-d
    text = re.sub(r"[-_/]", " ", text)
    symbols = re.sub(f"{_TOKEN}|{_PUNCTUATION}", "", text)
    return re.findall(_TOKEN, text), sorted(set(symbols))


def _read_number(tokens: list[str], i: int) -> tuple[int | None, int]:
    """Parse a number starting at ``i``; returns (value, next index)."""
    tok = tokens[i]
    if re.fullmatch(r"\d+(?:\.\d+)?", tok):
        v = Fraction(tok)  # exact: "99999999999999999999" stays that number
        j = i + 1
        if j < len(tokens) and tokens[j] in _SCALES:
            v *= _SCALES[tokens[j]]
            j += 1
        if v.denominator != 1:
            raise SpecError(f"counts in a description must be whole numbers, got {tok}"
                            + (f" {tokens[i + 1]}" if j > i + 1 else ""))
        return int(v), j
    if tok not in _UNITS and tok not in _TENS and tok not in _SCALES:
        return None, i
    if tok == "a" and not (i + 1 < len(tokens) and tokens[i + 1] in _SCALES):
        return None, i
    total = 0
    current = 0
    j = i
    seen = False
    while j < len(tokens):
        t = tokens[j]
        if t in _UNITS and (t != "a" or (j + 1 < len(tokens) and tokens[j + 1] in _SCALES)):
            current += _UNITS[t]
        elif t in _TENS:
            current += _TENS[t]
        elif t in _SCALES and seen:
            if _SCALES[t] == 100:
                current *= 100
            else:
                total += current * _SCALES[t]
                current = 0
        elif t == "and" and seen and j + 1 < len(tokens) and (
                tokens[j + 1] in _UNITS or tokens[j + 1] in _TENS):
            pass
        else:
            break
        seen = True
        j += 1
    return total + current, j


def parse_description(text: str, *, strict: bool = True) -> dict:
    """Map a description to Archetype parameters (see the module vocabulary).

    Parameters
    ----------
    text : str
    strict : bool
        Raise on unknown words (default). With ``strict=False`` unknown words are
        ignored and listed under the returned key ``name`` suffix ``"[ignored: ...]"``.

    Returns
    -------
    dict
        Keyword arguments for :class:`synthkit.Archetype`.

    Raises
    ------
    SpecError
        Empty text, unknown words (listed), a number with no noun, or
        contradictory settings.

    Examples
    --------
    >>> p = parse_description("ten oblong clusters in 50 dimensions with little overlap")
    >>> p["n_clusters"], p["dim"], p["aspect_ref"], p["max_overlap"]
    (10, 50, 3.0, 0.01)
    """
    if not isinstance(text, str) or not text.strip():
        raise SpecError("the description must be a non-empty string, e.g. "
                        "'five oblong clusters in 10 dimensions with some overlap'")
    tokens, symbols = _tokenize(text)
    n = len(tokens)
    used = [False] * n
    params: dict = {}
    set_by: dict[str, str] = {}  # parameter -> the phrase that set it
    families: list = []
    maxlen = max(len(k) for k in PHRASES)
    numbers: list[tuple[int, int, int]] = []  # (value, start, end)
    i = 0
    while i < n:
        value, j = _read_number(tokens, i)
        if value is not None and j > i:
            numbers.append((value, i, j))
            for t in range(i, j):
                used[t] = True
            i = j
            continue
        matched = False
        for L in range(min(maxlen, n - i), 0, -1):
            key = tuple(tokens[i : i + L])
            if key in PHRASES:
                action = PHRASES[key]
                phrase = " ".join(key)
                for name, v in action.items():
                    if name == "__families":
                        families.extend(v)
                        continue
                    if name in params and params[name] != v:
                        raise SpecError(
                            f"contradictory words in the description: {set_by[name]!r} and "
                            f"{phrase!r} both set `{name}` ({params[name]} vs {v}); keep one"
                        )
                    params[name] = v
                    set_by[name] = phrase
                for t in range(i, i + L):
                    used[t] = True
                i += L
                matched = True
                break
        if not matched:
            i += 1
    # numbers: attach to the nearest following noun (within 4 words) or "in N dimensions"
    for value, start, end in numbers:
        target = None
        for t in range(end, min(end + 5, n)):
            if tokens[t] in _CLUSTER_NOUNS:
                target = "n_clusters"
            elif tokens[t] in _DIM_NOUNS:
                target = "dim"
            elif tokens[t] in _SAMPLE_NOUNS:
                target = "n_samples"
            if target:
                used[t] = True
                break
        if target is None and start > 0 and tokens[start - 1] in _DIM_NOUNS:
            target = "dim"
        if target is None:
            raise SpecError(
                f"cannot tell what the number {value} in {text!r} counts: follow it with "
                f"'clusters', 'dimensions' or 'points'"
            )
        if target in params and params[target] != value:
            raise SpecError(f"the description gives two values for `{target}`: "
                            f"{params[target]} and {value}")
        params[target] = value
    unknown = [tokens[t] for t in range(n) if not used[t] and tokens[t] not in FILLER] + symbols
    if unknown and strict:
        raise SpecError(
            f"unknown word(s) in the description: {', '.join(repr(u) for u in unknown)}; "
            f"see synthkit.clusters.describe for the vocabulary (shapes: spherical/oblong/"
            f"elongated, overlap: no/little/some/moderate/much, sizes: equal/different/very "
            f"different, tails: normal/heavy-tailed/skewed/...)"
        )
    if families:
        seen = []
        for f in families:
            if f not in seen:
                seen.append(f)
        params["distributions"] = seen
    if "min_overlap" in params and params["max_overlap"] <= params["min_overlap"]:
        raise SpecError("contradictory overlap words in the description")
    if "n_clusters" in params and "n_samples" not in params:
        params["n_samples"] = max(500, 100 * int(params["n_clusters"]))
    name = " ".join(text.split())
    if unknown:
        name += f" [ignored: {', '.join(unknown)}]"
    params["name"] = name[:200]
    return params
