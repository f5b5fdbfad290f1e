"""Generated identifier and PII columns: format, uniqueness, no real value, determinism, strict records."""

from __future__ import annotations

import ipaddress
import json
import uuid
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import synthkit
from synthkit.errors import ModelFileError, SpecError
from synthkit.privacy import RoleDecision, fit_generator, generator_from_dict, pools, real_values_emitted
from synthkit.privacy import templates as tpl
from synthkit.privacy.fakes import (
    GENERIC_DOMAINS,
    AddressFake,
    EmailFake,
    FreeTextFake,
    NameFake,
    TemplateFake,
)
from synthkit.privacy.identifiers import (
    MIN_ID_SLOTS,
    SequentialId,
    TemplateId,
    UuidId,
    fit_identifier,
    round_up_start,
)
from synthkit.privacy.keyed import FeistelPermutation, keyed_uniform
from synthkit.seeding import BLOCK_ROWS, block_generator

N = 600
ROWS = 20_000
ROOT = np.random.SeedSequence(2024)
KEY = int(ROOT.generate_state(1, dtype=np.uint64)[0])  # as the sampler derives it from the root seed
ALPHA = 1e-9  # false-alarm level of every binomial / chi-square check


def _invented(n_start: int, n_end: int) -> list[str]:
    """Capitalised invented names (no Faker pool holds them)."""
    starts = ["Zor", "Quil", "Vex", "Thal", "Ombr", "Kesh", "Yl", "Drav", "Fenw", "Jur", "Mav", "Nox", "Prel"]
    ends = ["ina", "eth", "ovan", "ara", "ius", "elle", "o", "ric", "anda", "ek", "ith", "ora", "uel"]
    return [a + b for a in starts[:n_start] for b in ends[:n_end]]


FIRST = _invented(13, 13)
LAST = [f"{a}{b}" for a in ("Wyndh", "Oyel", "Tchaik", "Quenn", "Abern", "Zielk", "Vasq") for b in
        ("amsky", "aranu", "ovska", "ellow", "ethby", "inska", "uerro")]
STREETS = ["Main St", "Oak Av", "Harbour Rd", "Elm St", "Maple Dr", "Kingsway", "Pine Ln", "Mill Rd"]
CITIES = ["Springfield", "Chicago", "Boston", "Denver", "Portland", "Tulsa", "Omaha", "Fresno", "Tacoma"]


def real_table(n: int = N, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pick = rng.choice

    def digits(k: int) -> list[str]:
        return ["".join(map(str, row)) for row in rng.integers(0, 10, (n, k))]

    return pd.DataFrame({
        "customer_id": np.arange(1, n + 1),
        "ticket": [f"T{i:07d}" for i in range(1, n + 1)],
        "account_no": [f"AC-{i:06d}" for i in pick(999_999, n, replace=False)],
        "customer_no": [f"C{i}" for i in 100_000 + pick(900_000, n, replace=False)],  # never a leading 0
        "voucher": ["".join(pick(list("ABCDEFGHJKLMNPQRSTUVWXYZ23456789"), 10)) for _ in range(n)],
        "session": [str(uuid.UUID(int=int(x) << 64 | int(y), version=4))
                    for x, y in zip(rng.integers(0, 2**63, n), rng.integers(0, 2**63, n), strict=True)],
        "legacy_key": 10**8 + pick(9 * 10**8, n, replace=False),
        "name": [f"{a} {b}" for a, b in zip(pick(FIRST, n), pick(LAST, n), strict=True)],
        "first_name": pick(FIRST, n),
        "last_name": pick(LAST, n),
        "email": [f"{w}.{v}@{d}" for w, v, d in zip(pick(["zq", "xv", "kj", "wy"], n), digits(6),
                                                     pick(["gmail.com", "acme.org"], n), strict=True)],
        "phone": [f"({a}) {b}-{c}" for a, b, c in zip(rng.integers(200, 999, n), rng.integers(200, 999, n),
                                                      digits(4), strict=True)],
        "address": [f"{rng.integers(1, 9999)} {pick(STREETS)}, {pick(CITIES)}, IL {rng.integers(60000, 62999)}"
                    for _ in range(n)],
        "street": [f"{rng.integers(1, 9999)} {pick(STREETS)}" for _ in range(n)],
        "city": pick(CITIES, n),
        "postcode": [f"{z:05d}" for z in rng.integers(10_000, 99_999, n)],
        "national_id": [f"{a:03d}-{b:02d}-{c:04d}" for a, b, c in zip(rng.integers(1, 899, n),
                                                                      rng.integers(1, 99, n),
                                                                      rng.integers(1, 9999, n), strict=True)],
        "ip": [".".join(map(str, rng.integers(1, 255, 4))) for _ in range(n)],
        "url": [f"https://www.shop{i}.example/item/{i * 7}" for i in range(n)],
        "free_text": [" ".join(pick(["the", "patient", "felt", "better", "after", "two", "days", "of", "rest"],
                                    rng.integers(6, 24))) for _ in range(n)],
        "token": ["".join(pick(list("abcdefghijklmnopqrstuvwxyz0123456789"), 12)) for _ in range(n)],
    })


IDS = ["customer_id", "ticket", "account_no", "customer_no", "voucher", "session", "legacy_key"]
PII = ["name", "first_name", "last_name", "email", "phone", "address", "street", "city", "postcode",
       "national_id", "ip", "url", "free_text", "token"]


def decision(column: str) -> RoleDecision:
    if column in IDS:
        return RoleDecision(column, "identifier", None, "declared")
    return RoleDecision(column, "pii", column, "declared")


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return real_table()


@pytest.fixture(scope="module")
def generators(real):
    return {c: fit_generator(real[c], decision(c)) for c in IDS + PII}


def sample_blocks(gen, blocks, rows: int = BLOCK_ROWS, key: int = KEY) -> np.ndarray:
    """Values of the first ``rows`` slots of each block, with each block's own generator."""
    parts = [gen.generate(b * BLOCK_ROWS + np.arange(rows), key, block_generator(ROOT, b)) for b in blocks]
    return np.concatenate(parts)


def upper_bound(n: int, p: float) -> int:
    """Largest count a Binomial(n, p) exceeds with probability below ALPHA."""
    return int(stats.binom.ppf(1 - ALPHA, n, min(p, 1.0)))


# -- identifiers ---------------------------------------------------------------------------------------
ID_FORMATS = {
    "ticket": r"T\d{7}",
    "account_no": r"AC-\d{7}",  # widened from 10**6 values to the 2**23 slots every id format numbers
    "customer_no": r"C[1-9]\d{6}",  # the constant prefix stays, the leading digit keeps its range
    "voucher": r"[0-9A-Z]{10}",
    "session": r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
}


def test_ids_are_unique_across_blocks_in_format_and_never_real(real, generators):
    for column in IDS:
        values = sample_blocks(generators[column], blocks=(0, 5, 17))
        assert len(set(values.tolist())) == len(values) == 3 * BLOCK_ROWS, column
        assert real_values_emitted(real[column], pd.Series(values)) == 0, column
        if column in ID_FORMATS:
            assert pd.Series(values).str.fullmatch(ID_FORMATS[column]).all(), column


def test_integer_ids_stay_integers_above_every_real_id(real, generators):
    seq = generators["customer_id"]
    assert isinstance(seq, SequentialId) and seq.start == 700 == round_up_start(N)
    v = sample_blocks(seq, blocks=(0, 3), rows=1000)
    assert v.dtype == np.int64 and v.min() == 700 and v.max() == 700 + 3 * BLOCK_ROWS + 999
    sparse = generators["legacy_key"]
    assert isinstance(sparse, TemplateId) and sparse.as_int and "widened" in sparse.description
    w = sample_blocks(sparse, blocks=(0,))
    assert w.dtype == np.int64 and w.min() >= 10**9 > real["legacy_key"].max() and w.max() < 10**10


def test_prefixed_dense_ids_continue_above_the_real_maximum(generators):
    g = generators["ticket"]
    assert isinstance(g, SequentialId) and (g.prefix, g.width, g.start) == ("T", 7, 700)
    assert g.generate(np.array([0, 1, 99]), KEY, np.random.default_rng(0)).tolist() == \
        ["T0000700", "T0000701", "T0000799"]


def test_random_ids_are_widened_only_when_a_collision_is_too_likely(generators):
    assert "widened" in generators["account_no"].description
    voucher = generators["voucher"]  # 36**10 values for 600 real ones: chance 1.6e-13 per row
    assert "widened" not in voucher.description and len(voucher.template) == 10
    assert isinstance(generators["session"], UuidId) and generators["session"].version == 4


def test_uuid_ids_keep_case_hyphens_and_version():
    real = pd.Series([str(uuid.UUID(int=i * 7919 + 12345, version=1)).upper().replace("-", "")
                      for i in range(200)], name="guid")
    g = fit_generator(real, decision("session"))
    v = g.generate(np.arange(5000), KEY, np.random.default_rng(0))
    assert pd.Series(v).str.fullmatch(r"[0-9A-F]{12}1[0-9A-F]{3}[89AB][0-9A-F]{15}").all()
    assert {uuid.UUID(x).version for x in v} == {1} and len(set(v)) == len(v)


def test_id_values_depend_on_slot_and_key_only(generators):
    slots = np.concatenate([np.arange(1000), 7 * BLOCK_ROWS + np.arange(1000)])
    for column in IDS:
        g = generators[column]
        whole = g.generate(slots, KEY, np.random.default_rng(1))
        for k in (1, 700, 1500):
            parts = np.concatenate([g.generate(slots[:k], KEY, np.random.default_rng(2)),
                                    g.generate(slots[k:], KEY, np.random.default_rng(3))])
            assert (parts == whole).all(), (column, k)
        shuffled = np.random.default_rng(4).permutation(len(slots))
        assert (g.generate(slots[shuffled], KEY, np.random.default_rng(5)) == whole[shuffled]).all(), column
        if not isinstance(g, SequentialId):  # another sample's key gives other ids
            other = g.generate(slots, KEY + 1, np.random.default_rng(1))
            assert (other != whole).mean() > 0.99, column


def test_two_id_columns_of_one_format_differ(real):
    a = fit_generator(real["account_no"].rename("from_account"), decision("account_no"))
    b = fit_generator(real["account_no"].rename("to_account"), decision("account_no"))
    slots = np.arange(5000)
    assert (a.generate(slots, KEY, np.random.default_rng(0)) != b.generate(slots, KEY, np.random.default_rng(0))
            ).mean() > 0.99


def test_id_nulls_follow_the_real_fraction_and_the_slot(real):
    s = real["voucher"].copy()
    s.iloc[::5] = None  # 20% missing
    g = fit_generator(s, decision("voucher"))
    assert g.null_fraction == pytest.approx(0.2)
    v = sample_blocks(g, blocks=(0,), rows=ROWS)
    nulls = int(pd.isna(v).sum())
    assert stats.binom.ppf(ALPHA, ROWS, 0.2) <= nulls <= upper_bound(ROWS, 0.2)
    split = np.concatenate([g.generate(np.arange(7), KEY, np.random.default_rng(8)),
                            g.generate(np.arange(7, ROWS), KEY, np.random.default_rng(9))])
    assert (pd.isna(split) == pd.isna(v)).all()


def test_template_ids_refuse_more_rows_than_their_format_holds():
    g = TemplateId(("=K", "d", "d"), salt=1)
    assert sorted(g.generate(np.arange(100), KEY, np.random.default_rng(0))) == [f"K{i:02d}" for i in range(100)]
    with pytest.raises(SpecError, match=r"numbers 100 row slots, but slot 100 was reached \(block 0"):
        g.generate(np.arange(101), KEY, np.random.default_rng(0))
    with pytest.raises(SpecError, match=r"slot 196,618 was reached \(block 3: every block owns 65,536 slots"):
        g.generate(np.array([3, 3 * BLOCK_ROWS + 10]), KEY, np.random.default_rng(0))


def mixed_length_codes(seed: int = 0) -> pd.Series:
    """2,000 six-character and 300 seven-character member codes."""
    rng = np.random.default_rng(seed)
    short = [f"AB{x:04d}" for x in rng.choice(10**4, 2000, replace=False)]
    longer = [f"AB{x:05d}" for x in rng.choice(10**5, 300, replace=False)]
    return pd.Series(short + longer, name="member_code")


def test_widened_ids_take_a_length_no_real_id_has():
    real = mixed_length_codes()
    g = fit_identifier(real)
    assert isinstance(g, TemplateId) and len(g.template) not in set(real.str.len())
    assert tpl.space(g.template) >= MIN_ID_SLOTS and "no real id is written" in g.description
    v = sample_blocks(g, blocks=(0, 1, 2, 40), rows=50_000)  # 200,000 rows
    assert len(set(v.tolist())) == len(v) and real_values_emitted(real, pd.Series(v)) == 0
    # 2**23 slots need 7 digits (9 characters); real ids of 9 characters push the format to 10
    rng = np.random.default_rng(1)
    wide = pd.concat([real[:2000], pd.Series([f"AB{x:07d}" for x in rng.choice(10**7, 300, replace=False)])])
    assert len(fit_identifier(wide.rename("member_code")).template) == 10
    # integers: widened past the digit count of every real id
    ints = pd.Series(np.r_[np.arange(1, 10**6, 997), np.arange(10**6, 10**7, 99_991)], name="legacy")
    h = fit_identifier(ints)
    w = h.generate(np.arange(100_000), KEY, np.random.default_rng(0))
    assert isinstance(h, TemplateId) and w.min() >= 10**7 and not np.isin(w, ints).any()


def test_unwidened_ids_keep_their_length_when_a_collision_is_unlikely():
    # 36**10 values for 600 real ones: chance 1.6e-13 per row, and 2**23 slots fit
    g = fit_identifier(real_table()["voucher"])
    assert len(g.template) == 10 and "widened" not in g.description
    assert g.capacity >= MIN_ID_SLOTS and "at most 1.6e-13 per row" in g.description


def test_learned_id_formats_number_2_23_row_slots(generators):
    top = np.array([0, MIN_ID_SLOTS - 1])
    for column in IDS:
        g = generators[column]
        assert getattr(g, "capacity", MIN_ID_SLOTS) >= MIN_ID_SLOTS, column
        v = g.generate(top, KEY, np.random.default_rng(0))
        assert v[0] != v[1], column


def test_rules_that_reject_most_draws_still_get_unique_ids():
    # 'x > 1' keeps 16% of the draws: 20,000 rows need slots up to ~125,000, past 10**5
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"member_code": mixed_length_codes(), "x": rng.normal(size=2300)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = synthkit.fit(df, rules=["x > 1"], roles={"member_code": "identifier"})
        out = model.sample(20_000, seed=1).frame
    assert len(out) == 20_000 and out["member_code"].is_unique
    assert real_values_emitted(df["member_code"], out["member_code"]) == 0


def test_version_1_uuids_carry_no_real_clock_or_node():
    # a version-1 column gives version-1 UUIDs whose time and node fields are keyed-random bits:
    # real ones from one machine (one MAC) over 50 minutes
    node, times = 0x0123456789AB, [0x1EF0000_0000_0000 + 10**7 * i for i in range(300)]
    real = [uuid.UUID(fields=(t & 0xFFFFFFFF, (t >> 32) & 0xFFFF, 0x1000 | (t >> 48), 0x85, 0x21, node))
            for t in times]
    g = fit_identifier(pd.Series([str(u) for u in real], name="event_uuid"))
    v = [uuid.UUID(x) for x in g.generate(np.arange(20_000), KEY, np.random.default_rng(0))]
    assert {u.version for u in v} == {1} and {u.time for u in real} == set(times)
    assert node not in {u.node for u in v}
    # a random 60-bit time lands within 100 s of the real clock with chance ~5e-9 per row
    assert not any(times[0] - 10**9 <= u.time <= times[-1] + 10**9 for u in v)


def test_templates_keep_constants_only_when_enough_values_agree():
    codes = np.array([f"AB-{i:03d}x" for i in range(0, 1000, 67)])
    assert tpl.learn_template(codes, min_count=5) == ("=A", "=B", "=-", "d", "d", "d", "=x")
    # three values agreeing on 'A' are not evidence of a constant: it becomes a class; '-' stays
    assert tpl.learn_template(codes[:3], min_count=5) == ("u", "u", "=-", "d", "d", "d", "l")
    hexes = np.array([format(i * 2654435761 % 2**32, "08x") for i in range(50)])
    assert set(tpl.learn_template(hexes)) == {"h"}
    phones = np.array([f"({200 + 7 * i}) 555-{i:04d}" for i in range(40)])
    assert tpl.learn_template(phones)[:4] == ("=(", "N", "d", "d")  # area codes never start with 0 or 1


@pytest.mark.parametrize("size", [1, 2, 3, 10, 999, 4096, 10_007])
def test_feistel_permutation_is_a_bijection_of_its_domain(size):
    for key in (0, 1, 2**64 - 1):
        y = FeistelPermutation(size, key, stream=5)(np.arange(size))
        assert np.array_equal(np.sort(y), np.arange(size, dtype=np.uint64)), (size, key)


def test_feistel_permutation_looks_random():
    # position of slot i among 10**6: uniform, so the mean and the lag-1 correlation match closed forms
    size = 10**6
    y = FeistelPermutation(size, KEY)(np.arange(100_000)).astype(float)
    se_mean = np.sqrt((size**2 - 1) / 12 / len(y))
    assert abs(y.mean() - (size - 1) / 2) < 6 * se_mean
    assert abs(np.corrcoef(y[:-1], y[1:])[0, 1]) < 6 / np.sqrt(len(y))


def test_keyed_uniforms_are_uniform_and_differ_by_key_and_stream():
    slots = np.arange(100_000)
    u = keyed_uniform(slots, KEY, 0)
    assert stats.kstest(u, "uniform").pvalue > ALPHA
    bound = 6 / np.sqrt(len(slots))  # correlation of independent uniforms: standard error 1/sqrt(n)
    for other in (keyed_uniform(slots, KEY + 1, 0), keyed_uniform(slots, KEY, 1)):
        assert abs(np.corrcoef(u, other)[0, 1]) < bound
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < bound


# -- PII fakes -----------------------------------------------------------------------------------------
def _collision_probability(gen, real_column: pd.Series) -> float:
    """Chance per row that a fake equals some real value (0 for pool-built fakes).

    A row of template ``t`` (drawn with its share) equals one of the ``n_t`` distinct real values
    it could write with chance at most ``n_t / |t|``: ``n_t`` counts the real values of the same
    format (digits as ``#``) for all-digit templates, every distinct real value otherwise.
    """
    if not isinstance(gen, TemplateFake):
        return 0.0
    real = real_column.drop_duplicates().astype(str)
    real_shapes = real.str.replace(r"\d", "#", regex=True)

    def n_real(t: tuple[str, ...]) -> int:
        if all(it.startswith("=") or it in ("d", "n", "N") for it in t):
            return int((real_shapes == tpl.mask(t).translate(_DIGITS_AS_HASH)).sum())
        return len(real)

    return sum(share * n_real(t) / tpl.space(t) for t, share in zip(gen.templates, gen.shares, strict=True))


_DIGITS_AS_HASH = str.maketrans("0123456789", "#" * 10)


@pytest.mark.parametrize("column", PII)
def test_no_real_value_is_emitted(real, generators, column):
    g = generators[column]
    v = pd.Series(g.generate(np.arange(ROWS), KEY, np.random.default_rng(6)))
    assert v.notna().all() and (v.str.len() > 0).all()
    allowed = upper_bound(ROWS, _collision_probability(g, real[column]))
    assert real_values_emitted(real[column], v) <= allowed


def test_real_names_and_places_are_outside_the_pools():
    # the premise of asserting zero collisions for pool-built fakes
    assert not set(FIRST) & set(pools.pool("en_US", "first_name"))
    assert not set(LAST) & set(pools.pool("en_US", "last_name"))
    assert not set(CITIES) & set(pools.pool("en_US", "city"))
    assert not {s.split()[0] for s in STREETS} & {s.split()[0] for s in pools.pool("en_US", "street_name")}


def test_postcode_collisions_follow_their_binomial_law(real, generators):
    # 5-digit postcodes: collisions are expected by chance; their count is Binomial(rows, n_real / |space|)
    g = generators["postcode"]
    p = real["postcode"].nunique() / tpl.space(g.template)
    v = pd.Series(g.generate(np.arange(ROWS), KEY, np.random.default_rng(6)))
    hits = real_values_emitted(real["postcode"], v)
    assert stats.binom.ppf(ALPHA, ROWS, p) <= hits <= upper_bound(ROWS, p)


def test_fakes_keep_the_shape_of_the_column(real, generators):
    def gen(column: str) -> pd.Series:
        return pd.Series(generators[column].generate(np.arange(2000), KEY, np.random.default_rng(7)))

    assert gen("phone").str.fullmatch(r"\([2-9]\d\d\) [2-9]\d\d-\d{4}").all()
    assert gen("national_id").str.fullmatch(r"9\d\d-\d\d-\d{4}").all()  # no real SSN starts with 9
    assert gen("postcode").str.fullmatch(r"[1-9]\d{4}").all()
    assert gen("address").str.count(",").eq(2).all()
    assert gen("address").str.fullmatch(r"\S+ .+, .+, [A-Z]{2} \d{5}").all()
    assert gen("street").str.count(",").eq(0).all()
    assert gen("name").str.fullmatch(r"\S+ \S.*").all()
    assert gen("email").str.fullmatch(r"[a-z_.]+\d{0,2}@(gmail\.com|acme\.org)").all()
    assert gen("ip").map(lambda x: ipaddress.ip_address(x).version).eq(4).all()
    assert gen("url").str.startswith("https://www.").all()
    assert gen("token").str.fullmatch(r"[a-z0-9]{12}").all()
    sentence_len = float(np.char.str_len(pools.pool("en_US", "sentence")).mean()) + 1
    assert abs(gen("free_text").str.len().median() - real["free_text"].str.len().median()) <= sentence_len


def _texts(lengths) -> pd.Series:
    return pd.Series([("lorem ipsum " * 100)[:k - 1] + "x" for k in lengths], name="notes")


def test_free_text_keeps_no_extreme_length():
    # one shortest (7) and one longest (997) text: their lengths are not stored
    lengths = np.r_[7, np.random.default_rng(5).integers(60, 400, 198), 997]
    g = fit_generator(_texts(lengths), RoleDecision("notes", "pii", "free_text", "declared"), min_count=5)
    knots = np.asarray(g.lengths)
    assert not {7.0, 997.0} & set(knots) and (knots % FreeTextFake.LENGTH_STEP == 0).all()
    half = FreeTextFake.LENGTH_STEP / 2  # each knot is within half a step of a quantile with 5 rows each side
    for v in knots:
        assert (lengths <= v + half).sum() >= 5 and (lengths >= v - half).sum() >= 5, v
    few = fit_generator(_texts([33, 180, 412]), RoleDecision("notes", "pii", "free_text", "declared"))
    assert few.lengths == [180.0] * FreeTextFake.N_QUANTILES  # fewer than 2 * min_count rows: the median


def test_email_domain_shares_match_the_real_shares_with_rare_domains_merged():
    counts = {"gmail.com": 2500, "acme.org": 1500, "uni.edu": 740, "mid.io": 10}
    rare = {f"rare{i}.net": 2 for i in range(125)}  # 250 rows on domains held by < 5 rows each
    domains = [d for d, c in {**counts, **rare}.items() for _ in range(c)]
    real = pd.Series([f"x{i}q@{d}" for i, d in enumerate(domains)], name="email")
    n = len(real)
    g = fit_generator(real, decision("email"), min_count=5)
    assert isinstance(g, EmailFake)
    expected = {d: c / n for d, c in counts.items()} | dict.fromkeys(GENERIC_DOMAINS, 250 / n / 3)
    assert dict(zip(g.domains, g.shares, strict=True)) == pytest.approx(expected)
    v = pd.Series(g.generate(np.arange(ROWS), KEY, np.random.default_rng(3)))
    got = v.str.split("@").str[1].value_counts()
    assert not any(d.startswith("rare") for d in got.index)
    observed = np.array([got.get(d, 0) for d in expected])
    chi = stats.chisquare(observed, ROWS * np.array(list(expected.values())))
    assert chi.pvalue > ALPHA
    assert real_values_emitted(real, v) == 0


def test_fake_nulls_follow_the_real_fraction(real):
    s = real["email"].copy()
    s.iloc[::4] = None
    g = fit_generator(s, decision("email"))
    nulls = int(pd.isna(g.generate(np.arange(ROWS), KEY, np.random.default_rng(0))).sum())
    assert stats.binom.ppf(ALPHA, ROWS, 0.25) <= nulls <= upper_bound(ROWS, 0.25)


def test_fakes_are_deterministic_given_the_generator_state(generators):
    for column in PII:
        g = generators[column]
        a = g.generate(np.arange(500), KEY, np.random.default_rng(11))
        b = g.generate(np.arange(500), KEY, np.random.default_rng(11))
        c = g.generate(np.arange(500), KEY, np.random.default_rng(12))
        assert (a == b).all(), column
        assert (a != c).any(), column


def test_locale_is_taken_guessed_or_refused(real):
    phones = pd.Series([f"+49 30 {1000000 + 7 * i}" for i in range(100)], name="phone")
    assert fit_generator(phones, decision("phone")).locale == "de_DE"
    assert fit_generator(real["name"], decision("name")).locale == "en_US"
    g = fit_generator(real["name"], decision("name"), locale="fr_FR")
    parts = pd.Series(g.generate(np.arange(300), KEY, np.random.default_rng(0))).str.split(" ", n=1)
    first, last = parts.str[0], parts.str[1]
    assert g.locale == "fr_FR" and first.isin(pools.pool("fr_FR", "first_name")).all()
    assert last.isin(pools.pool("fr_FR", "last_name")).all()
    with pytest.raises(SpecError, match="unknown locale 'xx_XX'"):
        fit_generator(real["name"], decision("name"), locale="xx_XX")


def test_pools_are_the_same_in_a_fresh_process():
    import subprocess
    import sys

    code = "from synthkit.privacy import pools; print(pools.pool('en_US', 'first_name')[:20].tolist())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == str(pools.pool("en_US", "first_name")[:20].tolist())


def _other_major(version: str) -> str:
    major, _, rest = version.partition(".")
    return f"{int(major) + 1}.{rest or '0'}"


def test_fakes_record_the_faker_release_and_warn_once_under_another(generators, monkeypatch):
    from synthkit.privacy import fakes

    installed = pools.faker_version()
    for column in PII:
        assert generators[column].to_dict()["faker_version"] == installed, column
    monkeypatch.setattr(fakes, "_FAKER_WARNED", set())
    slots, rng = np.arange(50), np.random.default_rng(0)
    old = [generator_from_dict({**generators[c].to_dict(), "faker_version": _other_major(installed)})
           for c in ("name", "email", "address")]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        values = [g.generate(slots, KEY, rng) for g in old for _ in range(3)]
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert len(messages) == 1 and "may differ from the model's original samples" in messages[0]
    assert all(len(v) == 50 and pd.notna(v).all() for v in values)  # generated all the same
    same_major = {**generators["name"].to_dict(), "faker_version": installed.partition(".")[0] + ".0.0"}
    silent = [generator_from_dict(same_major),  # a minor release, a record without the field, a template fake
              generator_from_dict({k: v for k, v in generators["city"].to_dict().items() if k != "faker_version"}),
              generator_from_dict({**generators["phone"].to_dict(), "faker_version": "1.0.0"})]
    monkeypatch.setattr(fakes, "_FAKER_WARNED", set())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for g in silent:
            g.generate(slots, KEY, rng)
    assert silent[1].faker_version is None and "faker_version" in silent[1].to_dict()
    with pytest.raises(ModelFileError, match="`faker_version` must be a printable string"):
        generator_from_dict({**generators["name"].to_dict(), "faker_version": "40; rm -rf /"})


def test_fit_generator_refuses_modelled_roles_and_fractional_ids():
    s = pd.Series(np.linspace(0, 1, 50), name="x")
    with pytest.raises(SpecError, match="only identifier and pii columns are generated"):
        fit_generator(s, RoleDecision("x", "ordinary", None, ""))
    with pytest.raises(SpecError, match="fractional values"):
        fit_generator(s, RoleDecision("x", "identifier", None, ""))


# -- records ---------------------------------------------------------------------------------------------
def _leaves(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _leaves(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _leaves(v)
    else:
        yield obj


def test_records_hold_no_real_value(real, generators):
    for column, g in generators.items():
        record = g.to_dict()
        text = json.dumps(record)
        real_strings = {str(v).strip() for v in real[column].dropna()}
        assert not real_strings & {str(v) for v in _leaves(record)}, column
        assert not [v for v in real_strings if len(v) >= 4 and v in text], column


def test_records_round_trip(generators):
    for column, g in generators.items():
        back = generator_from_dict(json.loads(json.dumps(g.to_dict())))
        assert type(back) is type(g) and back.to_dict() == g.to_dict(), column
        a = g.generate(np.arange(300), KEY, np.random.default_rng(0))
        b = back.generate(np.arange(300), KEY, np.random.default_rng(0))
        assert (a == b).all() and back.description == g.description, column


def _with(record: dict, **changes) -> dict:
    return {**record, **changes}


SEQ = SequentialId(700, prefix="T", width=7, as_int=False).to_dict()
TPL = TemplateId(("=K", "u", "d", "d"), salt=3).to_dict()
MAIL = EmailFake(["a.com", "example.com"], [0.5, 0.5]).to_dict()
PHONE = TemplateFake("phone", [("N", "d", "d", "=-", "d", "d", "d", "d"), ("=+", "=1", "= ", "N", "d", "d", "d", "d")],
                     [0.6, 0.4]).to_dict()
NAME = NameFake("name", prefix_share=0.1).to_dict()
ADDRESS = AddressFake("address", [["N", "S"], ["C"], ["R", "P"]], ["\n", ", "]).to_dict()


@pytest.mark.parametrize(("record", "fragment"), [
    ("not a dict", "must be a mapping"),
    ({"generator": "magic"}, "unknown privacy generator 'magic'"),
    ({"generator": None}, "unknown privacy generator None"),
    (_with(SEQ, start=2**70), "`start` must be an integer"),
    (_with(SEQ, start=-1), "`start` must be an integer"),
    (_with(SEQ, width=10**9), "`width` must be an integer in [0, 18]"),
    (_with(SEQ, as_int="yes"), "`as_int` must be true or false"),
    (_with(SEQ, prefix="P" * 10_000), "`prefix` must be a printable string"),
    (_with(SEQ, null_fraction=1.0), "`null_fraction` must be a number in [0, 1)"),
    (_with(SEQ, null_fraction=float("nan")), "`null_fraction`"),
    (_with(SEQ, role="pii"), "`role` must be one of ['identifier']"),
    (_with(SEQ, extra=1), "unknown key(s) ['extra']"),
    ({k: v for k, v in SEQ.items() if k != "start"}, "`start` must be present"),
    (_with(TPL, template=["d"] * 100_000), "`template` must be a list of at most 256 items"),
    (_with(TPL, template="Kud"), "`template` must be a list"),
    (_with(TPL, template=["q"]), "template item 'q'"),
    (_with(TPL, template=["=ab"]), "template item '=ab'"),
    (_with(TPL, template=["=K"]), "a valid id template"),
    (_with(TPL, as_int=True), "a valid id template"),
    (_with(MAIL, locale="xx_XX"), "unknown locale 'xx_XX'"),
    (_with(MAIL, locale=["en_US"]), "`locale` must be a printable string"),
    (_with(MAIL, shares=[0.9, 0.9]), "2 shares in [0, 1] summing to 1"),
    (_with(MAIL, shares=[0.5]), "shares in [0, 1] summing to 1"),
    (_with(MAIL, domains=["a b", "example.com"]), "lower-case domain names"),
    (_with(MAIL, domains=["x.com"] * 5000, shares=[1 / 5000] * 5000), "`domains` must be a list of at most"),
    (_with(MAIL, pii_type="phone"), "`pii_type`"),
    (_with(PHONE, note=5), "`note` must be a printable string"),
    (_with(PHONE, templates=[]), "`templates` must be a list of 1 to 16 templates"),
    (_with(PHONE, templates=[["d"]] * 17, shares=[1 / 17] * 17), "`templates` must be a list of at most 16"),
    (_with(PHONE, templates=[["d"], "dd"]), "`template` must be a list"),
    (_with(PHONE, shares=[0.5, 0.6]), "2 shares in [0, 1] summing to 1"),
    (_with(PHONE, shares=[1.0]), "2 shares in [0, 1] summing to 1"),
    ({k: v for k, v in PHONE.items() if k != "shares"}, "`shares` must be present"),
    (_with(NAME, prefix_share=1.5), "`prefix_share` must be a number in [0, 1]"),
    (_with(NAME, suffix_share="often"), "`suffix_share` must be a number in [0, 1]"),
    (_with(ADDRESS, separators=["\n"]), "`separators` must be one fewer than `parts`"),
    (_with(ADDRESS, separators=["; ", "\n"]), "`separators` must be one fewer than `parts`"),
    (_with(ADDRESS, separators="\n"), "`separators` must be a list"),
    ({"generator": "free_text", "pii_type": "free_text", "locale": "en_US", "null_fraction": 0,
      "lengths": [1e300] * 11}, "`lengths`"),
    ({"generator": "address", "pii_type": "address", "locale": "en_US", "null_fraction": 0,
      "parts": [["N", "rm -rf"]]}, "`parts`"),
])
def test_hostile_records_are_refused_clearly(record, fragment):
    with pytest.raises(ModelFileError) as info:
        generator_from_dict(record)
    assert fragment in str(info.value)


def test_real_values_emitted_normalises_before_comparing():
    real = pd.Series(["Ann@Example.COM", " 42 ", 7.0, None])
    synthetic = pd.Series(["ann@example.com", 42, "7", None, "ann@example.org", 7.5])
    assert real_values_emitted(real, synthetic) == 3
    assert real_values_emitted(real, pd.Series([], dtype=object)) == 0


# -- columns written by Faker ------------------------------------------------------------------------------
def faker_column(locale: str, method: str, n: int = 500, seed: int = 0, name: str = "value") -> pd.Series:
    import faker

    fake = faker.Faker(locale)
    fake.seed_instance(seed)
    return pd.Series([str(getattr(fake, method)()) for _ in range(n)], name=name)


def shapes(values) -> pd.Series:
    return pd.Series(values, dtype=object).str.replace(r"\d", "#", regex=True)


def shape_of(template: tuple[str, ...]) -> str:
    return shapes([tpl.mask(template)]).iloc[0]  # literal digits (a "+44", a trunk "0") written as "#"


@pytest.mark.parametrize("locale", ["en_US", "de_DE", "fr_FR", "en_GB"])
def test_faker_phones_keep_their_common_formats_with_their_shares(locale):
    from synthkit.privacy import detect_roles
    from synthkit.privacy.fakes import MAX_TEMPLATES

    real = faker_column(locale, "phone_number", name="contact")
    d = detect_roles(real.to_frame())["contact"]
    assert (d.role, d.pii_type) == ("pii", "phone")
    g = fit_generator(real, d, min_count=5)
    assert isinstance(g, TemplateFake) and len(g.templates) > 1
    # the kept formats are the commonest ones held by >= 5 rows, with shares renormalised over them
    counts = shapes(real).value_counts()
    kept = counts[counts >= 5].iloc[:MAX_TEMPLATES]
    assert sorted(shape_of(t) for t in g.templates) == sorted(kept.index)
    by_mask = dict(zip((shape_of(t) for t in g.templates), g.shares, strict=True))
    assert by_mask == pytest.approx((kept / kept.sum()).to_dict())
    # generated formats follow those shares (chi-square), and no value is real
    v = pd.Series(g.generate(np.arange(ROWS), KEY, np.random.default_rng(6)))
    got = shapes(v).value_counts()
    assert set(got.index) <= set(kept.index)
    observed = np.array([got.get(m, 0) for m in by_mask])
    assert stats.chisquare(observed, ROWS * np.array(list(by_mask.values()))).pvalue > ALPHA
    p = _collision_probability(g, real)
    assert ROWS * p < 0.05  # phones: a collision is not expected by chance
    assert real_values_emitted(real, v) == 0
    assert detect_roles(v.rename("contact").to_frame())["contact"].pii_type == "phone"
    record = json.dumps(g.to_dict())
    assert not [x for x in real if x in record]  # formats and shares only


def test_rare_formats_never_set_a_share():
    rng = np.random.default_rng(3)
    n = 404
    a, b, c = rng.integers(200, 999, n), rng.integers(200, 999, n), rng.integers(1000, 9999, n)
    values = [f"({a[i]}) {b[i]}-{c[i]}" if i < 300 else f"{a[i]}.{b[i]}.{c[i]}" if i < 400 else
              f"+1 {a[i]} {b[i]} {c[i]} ext {i}" for i in range(n)]  # the last format: 4 rows < min_count
    g = fit_generator(pd.Series(values, name="phone"), decision("phone"), min_count=5)
    assert [tpl.mask(t) for t in g.templates] == ["(###) ###-####", "###.###.####"]
    assert g.shares == pytest.approx([0.75, 0.25])
    v = pd.Series(g.generate(np.arange(ROWS), KEY, np.random.default_rng(1)))
    assert not v.str.contains("ext").any()
    assert stats.binom.ppf(ALPHA, ROWS, 0.75) <= v.str.startswith("(").sum() <= upper_bound(ROWS, 0.75)
    assert "(###) ###-#### (75%), ###.###.#### (25%)" in g.description


@pytest.mark.parametrize(("locale", "lines", "pattern"), [
    ("en_US", 2, r"\d+ [^\n]+\n[^\n,]+, [A-Z]{2} \d{5}"),
    ("de_DE", 2, r"[^\n]+ [\d/-]+\n\d{5} [^\n]+"),
    ("fr_FR", 2, r"\d+, [^\n]+\n\d{5} [^\n]+"),
    ("en_GB", 3, r"\d+ [^\n]+\n[^\n]+\n[A-Z0-9]{2,4} \d[A-Z]{2}"),
])
def test_faker_addresses_keep_their_lines_and_locale(locale, lines, pattern):
    real = faker_column(locale, "address", name="address")
    g = fit_generator(real, decision("address"))
    assert g.locale == locale
    v = pd.Series(g.generate(np.arange(ROWS), KEY, np.random.default_rng(2)))
    assert (v.str.count("\n") + 1).eq(lines).all()
    assert v.str.fullmatch(pattern).all(), v.head(3).tolist()
    assert real_values_emitted(real, v) == 0  # pools recombined: number, street, city, region, postcode


def test_faker_name_titles_and_suffixes_keep_their_shares():
    real = faker_column("de_DE", "name", n=2000, name="name")  # "Dr. Anna Weber B.Sc.", "Prof. ..."
    g = fit_generator(real, decision("name"), locale="de_DE")
    words = real.str.split()
    titles = set(pools.pool("de_DE", "prefix"))
    suffixes = set(pools.pool("de_DE", "suffix"))
    assert g.prefix_share == pytest.approx((words.str[0].isin(titles) & (words.str.len() > 2)).mean())
    assert g.suffix_share == pytest.approx((words.str[-1].isin(suffixes) & (words.str.len() > 2)).mean())
    assert g.prefix_share > 0.1 and g.suffix_share > 0.1
    v = pd.Series(g.generate(np.arange(ROWS), KEY, np.random.default_rng(3))).str.split()
    for share, hits in ((g.prefix_share, v.str[0].isin(titles)), (g.suffix_share, v.str[-1].isin(suffixes))):
        assert stats.binom.ppf(ALPHA, ROWS, share) <= int(hits.sum()) <= upper_bound(ROWS, share)
    # a title needs min_count rows: 4 titled names of 500 give no title at all
    few = pd.Series([f"Dr. {a} {b}" for a, b in zip(FIRST[:4], LAST[:4], strict=True)]
                    + list(real.iloc[:496].str.replace(r"^\S+\. |\s\S+\.$", "", regex=True)), name="name")
    assert fit_generator(few, decision("name"), min_count=5, locale="en_US").prefix_share == 0.0


def test_faker_ssns_and_ips_are_never_emitted():
    ssn = faker_column("en_US", "ssn", name="ssn")
    g = fit_generator(ssn, decision("national_id"))
    v = pd.Series(g.generate(np.arange(ROWS), KEY, np.random.default_rng(4)))
    assert "no real value is written" in g.description  # a leading digit no real SSN has
    assert real_values_emitted(ssn, v) == 0
    ip = faker_column("en_US", "ipv4", name="ip")
    v = pd.Series(fit_generator(ip, decision("ip")).generate(np.arange(ROWS), KEY, np.random.default_rng(4)))
    assert ROWS * len(ip) / 2**32 < 1e-2  # 500 of 2**32 addresses: a collision is not expected by chance
    assert real_values_emitted(ip, v) == 0


def test_faker_uuids_are_never_emitted():
    real = faker_column("en_US", "uuid4", name="session")
    g = fit_generator(real, RoleDecision("session", "identifier", None, "declared"))
    v = pd.Series(sample_blocks(g, blocks=(0, 3)))
    assert isinstance(g, UuidId) and real_values_emitted(real, v) == 0
    assert v.str.fullmatch(ID_FORMATS["session"]).all()


@pytest.mark.parametrize(("method", "pii_type"), [("name", "name"), ("email", "email"), ("free_email", "email")])
def test_faker_names_and_emails_collide_only_by_chance(method, pii_type):
    # Faker draws these from the very pools the fakes use, so a fake may equal a real value by chance: as
    # often as it equals a value of a fresh Faker column of the same size. Given both counts, the count
    # against the real column is Binomial(total, 1/2) when nothing real is copied.
    real = faker_column("en_US", method, seed=0, name=pii_type)
    fresh = faker_column("en_US", method, seed=1, name=pii_type)
    g = fit_generator(real, decision(pii_type))
    v = pd.Series(g.generate(np.arange(ROWS), KEY, np.random.default_rng(5)))
    hits, chance = real_values_emitted(real, v), real_values_emitted(fresh, v)
    assert hits + chance > 0  # the premise: collisions by chance do happen
    assert stats.binomtest(hits, hits + chance, 0.5, alternative="greater").pvalue > ALPHA


def test_fakes_fit_on_arrow_backed_strings():
    # pandas 3 stores strings in Arrow, whose regular expressions (RE2) lack look-arounds
    table = real_table()
    arrow = {c: table[c].astype("string[pyarrow]") if pd.api.types.is_string_dtype(table[c]) else table[c]
             for c in PII}
    assert any(isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow" for s in arrow.values())
    fitted = {c: fit_generator(arrow[c], decision(c)).to_dict() for c in PII}
    assert fitted == {c: fit_generator(real_table()[c], decision(c)).to_dict() for c in PII}
