"""Format-preserving identifiers, unique within a sample and built to avoid every real value.

Three generators, chosen by :func:`fit_identifier` from the real column's format:

:class:`SequentialId`
    dense integer keys, bare (``1..500``) or inside a constant prefix/suffix (``C000123``):
    row slot ``i`` gets ``start + i``, where ``start`` is the real maximum rounded *up* to
    the next multiple of ``10**(digits - 1)`` above it. Every value exceeds every real one.
:class:`TemplateId`
    random-looking keys (sparse integers, codes, tokens): a per-position character template
    (:mod:`.templates`) filled with the mixed-radix digits of a keyed Feistel permutation of
    the slot (:class:`~.keyed.FeistelPermutation`), so distinct slots give distinct ids. A
    random id of length ``L`` equals one of the ``n_L`` real ids of that length with chance
    at most ``n_L / |space|``. The learned template is widened (one more character of its
    last class at a time) while that chance exceeds :data:`MAX_COLLISION` or the template
    numbers fewer than :data:`MIN_ID_SLOTS` row slots; once widened, it keeps widening until
    its length is one no real id has, so no real id can be written at all.
:class:`UuidId`
    UUIDs of the real column's version, case and hyphenation: 60 bits from a keyed
    permutation of the slot (unique) and 62 keyed-random bits.

Values depend on ``(slot, key)`` only, not on the block generator, so a sample's ids do not
depend on how it is split into blocks.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SpecError
from ..seeding import BLOCK_ROWS
from . import templates as tpl
from .base import ColumnGenerator, Record, column_salt, null_fraction_of, spread_sample
from .keyed import MAX_FEISTEL_SIZE, FeistelPermutation, keyed_words

__all__ = ["SequentialId", "TemplateId", "UuidId", "fit_identifier", "MAX_COLLISION", "MIN_ID_SLOTS",
           "round_up_start"]

#: Largest accepted chance, per generated row, that a random id equals some real id.
MAX_COLLISION = 1e-9
#: A template id keeps at least this many distinct values (literal positions are freed otherwise).
MIN_ID_SPACE = 1000
#: Fewest row slots a learned id format numbers. Slot ``b * BLOCK_ROWS + i`` is row ``i`` of
#: block ``b`` (every block but the last holds ``BLOCK_ROWS`` rows, with or without rules).
#: 2**23 slots (8.4 million, 128 blocks) keep realistic formats at their length or one digit
#: longer; a sample needing more slots than a format holds is refused with a clear error when
#: it is drawn.
MIN_ID_SLOTS = 2**23
#: Integer ids have at most this many digits (int64).
MAX_INT_DIGITS = 18
_INT64_MAX = np.iinfo(np.int64).max
_UUID_RE = (r"\{?[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[1-8][0-9A-Fa-f]{3}-?[89ABab][0-9A-Fa-f]{3}-?"
            r"[0-9A-Fa-f]{12}\}?")
#: Where the eight 4-hex-digit groups of a hyphenated UUID start.
_HYPHENATED = (0, 4, 9, 14, 19, 24, 28, 32)


@lru_cache(maxsize=2)
def _hex4(upper: bool) -> np.ndarray:
    """Code points of the 4 hex digits of every 16-bit value: a (65536, 4) uint32 table."""
    digits = np.frombuffer((b"0123456789ABCDEF" if upper else b"0123456789abcdef"), dtype=np.uint8)
    v = np.arange(65536)
    return digits[(v[:, None] >> np.array([12, 8, 4, 0])) & 15].astype(np.uint32)


def round_up_start(maximum: int) -> int:
    """The first id: the next multiple of ``10**(digits(maximum) - 1)`` strictly above ``maximum``.

    Examples
    --------
    >>> round_up_start(500), round_up_start(999), round_up_start(123_456), round_up_start(-4)
    (600, 1000, 200000, 0)
    """
    if maximum < 0:
        return 0
    step = 10 ** (len(str(maximum)) - 1)
    return (maximum // step + 1) * step


class SequentialId(ColumnGenerator):
    """``start + slot``, as an int64 or written as ``prefix + zero-padded digits + suffix``.

    Parameters
    ----------
    start : int
        First id (above every real id).
    prefix, suffix : str
        Constant text around the digits (string ids).
    width : int
        Zero-pad the digits to this width (0: no padding).
    as_int : bool
        Return int64 values rather than strings.

    Examples
    --------
    >>> g = SequentialId(1000, prefix="C", width=6, as_int=False)
    >>> g.generate(np.array([0, 7]), 1, np.random.default_rng(0)).tolist()
    ['C001000', 'C001007']
    """

    KIND = "sequential_id"
    KEYED_NULLS = True
    role = "identifier"

    def __init__(self, start: int, *, prefix: str = "", suffix: str = "", width: int = 0,
                 as_int: bool = True, null_fraction: float = 0.0, salt: int = 0):
        super().__init__(null_fraction, salt)
        if not 0 <= int(start) <= _INT64_MAX // 2:
            raise SpecError(f"`start` must be in [0, 2**62], got {start}")
        self.start, self.prefix, self.suffix = int(start), prefix, suffix
        self.width, self.as_int = int(width), bool(as_int)

    def _values(self, slots: np.ndarray, key: int, rng: np.random.Generator) -> np.ndarray:
        if slots.size and int(slots.max()) > _INT64_MAX - self.start:
            raise SpecError(f"identifier {self.start} + slot overflows int64; sample fewer rows")
        v = self.start + slots
        if self.as_int:
            return v
        s = v.astype(str)
        if self.width:
            s = np.char.zfill(s, self.width)
        if self.prefix:
            s = np.char.add(self.prefix, s)
        if self.suffix:
            s = np.char.add(s, self.suffix)
        return s

    def _params(self) -> dict[str, Any]:
        return {"start": self.start, "prefix": self.prefix, "suffix": self.suffix, "width": self.width,
                "as_int": self.as_int, "salt": self.salt}

    @classmethod
    def from_record(cls, r: Record) -> SequentialId:
        return cls(r.int("start", 0, _INT64_MAX // 2), prefix=r.str("prefix", 64, default=""),
                   suffix=r.str("suffix", 64, default=""), width=r.int("width", 0, MAX_INT_DIGITS),
                   as_int=r.bool("as_int"), null_fraction=r.float("null_fraction", 0, 1, hi_open=True),
                   salt=r.int("salt", 0, 2**64 - 1, default=0))

    @property
    def description(self) -> str:
        first = str(self.start).zfill(self.width)
        return (f"sequential ids {self.prefix}{first}{self.suffix}, {self.prefix}"
                f"{str(self.start + 1).zfill(self.width)}{self.suffix}, ...: start + row slot, "
                "the start rounded up above every real id, so no real id is written")


class TemplateId(ColumnGenerator):
    """Ids of a character template, from a keyed permutation of the row slot (unique).

    The class positions hold the mixed-radix digits of ``FeistelPermutation(size)(slot)``
    for the trailing positions whose alphabet sizes multiply to at most 2**62 (``size``,
    the :attr:`capacity` in row slots), and keyed-random characters in the others; slots
    from ``size`` on cannot be written. Learned formats number at least
    :data:`MIN_ID_SLOTS` slots (:func:`fit_identifier`).

    Parameters
    ----------
    template : tuple of str
        See :mod:`synthkit.privacy.templates`.
    as_int : bool
        Parse the written digits as int64 (integer ids).
    note : str
        Extra text for the description (e.g. that the template was widened).

    Examples
    --------
    >>> g = TemplateId(("=K", "u", "d", "d", "d"), salt=1)
    >>> v = g.generate(np.arange(2000), 9, np.random.default_rng(0))
    >>> len(set(v)) == 2000 and all(len(x) == 5 and x[0] == "K" for x in v)
    True
    """

    KIND = "template_id"
    KEYED_NULLS = True
    role = "identifier"

    def __init__(self, template: tuple[str, ...], *, as_int: bool = False, note: str = "",
                 null_fraction: float = 0.0, salt: int = 0):
        super().__init__(null_fraction, salt)
        self.template, self.as_int, self.note = tuple(template), bool(as_int), note
        rad = tpl.radices(self.template)
        if not rad:
            raise SpecError("an identifier template needs at least one varying position")
        if self.as_int and (any(it.startswith("=") for it in self.template)
                            or len(self.template) > MAX_INT_DIGITS
                            or not all(it in ("d", "n", "N") for it in self.template)):
            raise SpecError(f"an integer id template holds 1 to {MAX_INT_DIGITS} digit classes, "
                            f"got {list(self.template)}")
        # trailing class positions whose product fits the permutation; the rest are keyed-random
        self._split, size = len(rad), 1
        while self._split > 0 and size * rad[self._split - 1] <= MAX_FEISTEL_SIZE:
            self._split -= 1
            size *= rad[self._split]
        self.capacity = size

    def _values(self, slots: np.ndarray, key: int, rng: np.random.Generator) -> np.ndarray:
        if slots.size and int(slots.max()) >= self.capacity:
            top = int(slots.max())
            raise SpecError(
                f"this identifier format ({tpl.mask(self.template)}) numbers {self.capacity:,} row slots, "
                f"but slot {top:,} was reached (block {top // BLOCK_ROWS:,}: every block owns "
                f"{BLOCK_ROWS:,} slots); sample fewer rows, or refit so that the format is widened")
        rad = tpl.radices(self.template)
        digits = np.empty((len(slots), len(rad)), dtype=np.int64)
        v = FeistelPermutation(self.capacity, key, self.salt)(slots)
        for k in range(len(rad) - 1, self._split - 1, -1):
            r = np.uint64(rad[k])
            digits[:, k] = (v % r).astype(np.int64)
            v = v // r
        for k in range(self._split):
            digits[:, k] = (keyed_words(slots, key, (self.salt + 1 + k) % 2**64)
                            % np.uint64(rad[k])).astype(np.int64)
        s = tpl.fill_from_digits(self.template, digits)
        return s.astype(np.int64) if self.as_int else s

    def _params(self) -> dict[str, Any]:
        return {"template": list(self.template), "as_int": self.as_int, "note": self.note, "salt": self.salt}

    @classmethod
    def from_record(cls, r: Record) -> TemplateId:
        template = tpl.check_template(r.list("template", tpl.MAX_TEMPLATE), r.where)
        try:
            return cls(template, as_int=r.bool("as_int"), note=r.str("note", 300, default=""),
                       null_fraction=r.float("null_fraction", 0, 1, hi_open=True),
                       salt=r.int("salt", 0, 2**64 - 1, default=0))
        except SpecError as exc:
            raise r.fail("template", f"a valid id template ({exc})") from None

    @property
    def description(self) -> str:
        kind = "integer ids" if self.as_int else "ids"
        text = (f"{kind} of format {tpl.mask(self.template)} from a keyed permutation of the row slot "
                f"(unique over {self.capacity:,} row slots)")
        return f"{text}; {self.note}" if self.note else text


class UuidId(ColumnGenerator):
    """UUIDs (RFC 9562 layout) of a fixed version, unique per slot.

    The 60 bits around the version nibble are ``FeistelPermutation(2**60)(slot)``; the
    62 bits after the variant are keyed-random.

    Examples
    --------
    >>> g = UuidId(4, salt=3)
    >>> u = g.generate(np.arange(3), 5, np.random.default_rng(0))
    >>> import uuid
    >>> [uuid.UUID(x).version for x in u]
    [4, 4, 4]
    """

    KIND = "uuid"
    KEYED_NULLS = True
    role = "identifier"

    def __init__(self, version: int = 4, *, upper: bool = False, hyphens: bool = True,
                 null_fraction: float = 0.0, salt: int = 0):
        super().__init__(null_fraction, salt)
        if not 1 <= int(version) <= 8:
            raise SpecError(f"a UUID version is in [1, 8], got {version}")
        self.version, self.upper, self.hyphens = int(version), bool(upper), bool(hyphens)

    def _values(self, slots: np.ndarray, key: int, rng: np.random.Generator) -> np.ndarray:
        if slots.size and int(slots.max()) >= 2**60:
            raise SpecError("UUID ids are unique for up to 2**60 row slots")
        u = FeistelPermutation(2**60, key, self.salt)(slots)
        hi = ((u >> np.uint64(12)) << np.uint64(16)) | np.uint64(self.version << 12) | (u & np.uint64(0xFFF))
        lo = keyed_words(slots, key, (self.salt + 1) % 2**64)
        lo = (lo & np.uint64(0x3FFF_FFFF_FFFF_FFFF)) | np.uint64(0x8000_0000_0000_0000)
        width, starts = (36, _HYPHENATED) if self.hyphens else (32, tuple(range(0, 32, 4)))
        codes = np.empty((len(slots), width), dtype=np.uint32)
        codes[:, [8, 13, 18, 23] if self.hyphens else []] = ord("-")
        table = _hex4(self.upper)
        for k, start in enumerate(starts):
            word = hi if k < 4 else lo
            chunk = (word >> np.uint64(48 - 16 * (k % 4))) & np.uint64(0xFFFF)
            codes[:, start:start + 4] = table[chunk.astype(np.intp)]
        return tpl.strings_from_codes(codes)

    def _params(self) -> dict[str, Any]:
        return {"version": self.version, "upper": self.upper, "hyphens": self.hyphens, "salt": self.salt}

    @classmethod
    def from_record(cls, r: Record) -> UuidId:
        return cls(r.int("version", 1, 8), upper=r.bool("upper"), hyphens=r.bool("hyphens"),
                   null_fraction=r.float("null_fraction", 0, 1, hi_open=True),
                   salt=r.int("salt", 0, 2**64 - 1, default=0))

    @property
    def description(self) -> str:
        return (f"version-{self.version} UUIDs from a keyed permutation of the row slot (unique; a real "
                "UUID is written with chance below 2**-100 per row)")


def _is_dense(lo: int, hi: int, n_distinct: int) -> bool:
    """Sequential keys: the distinct values fill at least half of ``[lo, hi]``."""
    return hi - lo + 1 <= 2 * n_distinct


def _random_template_id(template: tuple[str, ...], real_lengths: dict[int, int], *, as_int: bool,
                        nf: float, salt: int) -> TemplateId:
    """A :class:`TemplateId` of ``template``, widened as the module docstring says.

    ``real_lengths`` maps a length (characters, or digits of integer ids) to the number of
    distinct real ids of that length; a random id of template ``t`` equals a real one with
    chance at most ``real_lengths[len(t)] / space(t)`` per row.
    """
    template = tpl.ensure_variety(template, MIN_ID_SPACE)
    limit = MAX_INT_DIGITS if as_int else tpl.MAX_TEMPLATE
    learned = len(template)

    def chance(t: tuple[str, ...]) -> float:
        return real_lengths.get(len(t), 0) / tpl.space(t)

    def short(t: tuple[str, ...]) -> bool:
        too_small = tpl.space(t) < MIN_ID_SLOTS or chance(t) > MAX_COLLISION
        return too_small or (len(t) > learned and len(t) in real_lengths)

    while len(template) < limit and short(template):
        template = tpl.widen(template)
    wide, risk = len(template) - learned, chance(template)
    unit = "digit" if as_int else "character"
    note = ""
    if wide:
        note = f"widened by {wide} {unit}{'s' if wide > 1 else ''} to {len(template)} {unit}s"
        if risk == 0:
            note += f", {'more than any' if as_int else 'a length no'} real id has, so no real id is written"
    if risk > 0:
        note = (f"{note}; " if note else "") + f"a real id is written with chance at most {risk:.1e} per row"
    return TemplateId(template, as_int=as_int, note=note, null_fraction=nf, salt=salt)


def _length_counts(lengths: pd.Series) -> dict[int, int]:
    """Number of values of each length."""
    counts = lengths.value_counts()
    return {int(k): int(v) for k, v in counts.items()}


def _fit_integers(ints: np.ndarray, nf: float, salt: int) -> ColumnGenerator:
    distinct = pd.unique(ints)
    lo, hi = int(ints.min()), int(ints.max())
    if _is_dense(lo, hi, int(distinct.size)) or hi < 0:
        return SequentialId(round_up_start(hi), as_int=True, null_fraction=nf, salt=salt)
    digits = len(str(hi))
    if digits > MAX_INT_DIGITS:  # ids near the int64 limit: only the template space is left
        digits = MAX_INT_DIGITS
    template = ("n",) + ("d",) * (digits - 1)
    # ids the template can write are positive and have no leading zero: count them by digits
    positive = pd.Series(distinct[distinct > 0])
    return _random_template_id(template, _length_counts(positive.astype(str).str.len()), as_int=True,
                               nf=nf, salt=salt)


def fit_identifier(series: pd.Series, *, min_count: int = 5, salt: int | None = None) -> ColumnGenerator:
    """Learn the format of an identifier column and return its generator.

    * integers (a numeric dtype holding whole numbers): dense ones (filling at least half
      their range) -> :class:`SequentialId`; sparse ones -> :class:`TemplateId` of their
      digit count, widened (module docstring) to more digits than any real id when a
      collision would be too likely or the format too small;
    * strings matching a UUID (90% of values) -> :class:`UuidId`;
    * constant prefix/suffix around dense digits (90%) -> :class:`SequentialId` of the same
      zero-padded width;
    * anything else -> :class:`TemplateId` learned from the values of the most common length,
      widened likewise to a length no real id has.

    Examples
    --------
    >>> fit_identifier(pd.Series(range(1, 501), name="id")).description.split(":")[0]
    'sequential ids 600, 601, ...'
    >>> s = pd.Series([f"C{i:06d}" for i in range(1, 300)], name="cust")
    >>> fit_identifier(s).generate(np.arange(2), 0, np.random.default_rng(0)).tolist()
    ['C000300', 'C000301']
    """
    salt = column_salt(series.name) if salt is None else int(salt)
    nf = null_fraction_of(series)
    nonnull = series.dropna()
    name = series.name
    if len(nonnull) == 0:
        raise SpecError(f"column {name!r}: an identifier needs at least one non-null value "
                        "to learn its format")
    if pd.api.types.is_bool_dtype(nonnull.dtype):
        raise SpecError(f"column {name!r} is boolean: it cannot be an identifier; declare it 'ordinary'")
    if pd.api.types.is_numeric_dtype(nonnull.dtype) and not isinstance(nonnull.dtype, pd.CategoricalDtype):
        x = nonnull.to_numpy(dtype=float)
        if not (np.isfinite(x).all() and (x == np.round(x)).all()):
            raise SpecError(f"column {name!r}: an identifier holds integers or strings, but this column has "
                            "fractional values (a measurement): declare it 'ordinary'")
        if np.abs(x).max() >= 2.0**63:
            raise SpecError(f"column {name!r}: integer ids must fit in int64")
        ints = nonnull.to_numpy(dtype=np.int64)
        return _fit_integers(ints, nf, salt)

    text = nonnull.astype(str).str.strip()
    sample = spread_sample(text)
    if sample.str.fullmatch(_UUID_RE).mean() >= 0.9:
        versions = sample.str.replace(r"[{}-]", "", regex=True).str[12]
        version = versions.mode().iloc[0]
        letters = sample.str.count(r"[a-fA-F]").sum()
        upper = sample.str.count(r"[A-F]").sum() > letters / 2
        hyphens = sample.str.contains("-", regex=False).mean() >= 0.5
        return UuidId(int(version, 16) if version in "12345678" else 4, upper=bool(upper),
                      hyphens=bool(hyphens), null_fraction=nf, salt=salt)

    parts = text.str.extract(r"^(.*\D)?(\d+)(\D*)$")
    matched = parts[1].notna()
    if matched.mean() >= 0.9:
        pre, suf = parts[0].fillna(""), parts[2].fillna("")
        combo = (pre + "\x1f" + suf)[matched]
        modal = combo.mode().iloc[0]
        in_modal = matched & ((pre + "\x1f" + suf) == modal)
        body = parts.loc[in_modal, 1]
        if in_modal.mean() >= 0.9 and body.str.len().max() <= MAX_INT_DIGITS:
            values = body.astype(np.int64).to_numpy()
            lengths = body.str.len()
            width = int(lengths.iloc[0]) if (lengths == lengths.iloc[0]).all() else 0
            n_body = int(pd.unique(values).size)
            prefix, suffix = modal.split("\x1f")
            readable = all(len(t) <= 64 and t.isprintable() for t in (prefix, suffix))
            if readable and _is_dense(int(values.min()), int(values.max()), n_body):
                return SequentialId(round_up_start(int(values.max())), prefix=prefix, suffix=suffix,
                                    width=width, as_int=False, null_fraction=nf, salt=salt)

    lengths = sample.str.len()
    if lengths.max() > tpl.MAX_TEMPLATE:
        raise SpecError(f"column {name!r}: ids longer than {tpl.MAX_TEMPLATE} characters are not supported")
    modal_len = int(lengths.mode().iloc[0])
    template = tpl.learn_template(sample[lengths == modal_len].to_numpy(dtype=str), min_count)
    real_lengths = _length_counts(pd.Series(text.unique()).str.len())
    return _random_template_id(template, real_lengths, as_int=False, nf=nf, salt=salt)
