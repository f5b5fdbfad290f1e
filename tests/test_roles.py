"""Column roles: conservative, explained detection of identifiers, PII and quasi-identifiers."""

from __future__ import annotations

import re
import uuid

import numpy as np
import pandas as pd
import pytest

from synthkit import schema
from synthkit.errors import DataError, SpecError
from synthkit.privacy import PII_TYPES, ROLES, RoleDecision, detect_roles, parse_role

N = 600
STREETS = ["Main St", "Oak Avenue", "Harbour Road", "Elm Street", "Maple Drive", "Kingsway", "Pine Lane"]
CITIES = ["Springfield", "Riverton", "Lakeside", "Fairview", "Georgetown", "Ashford", "Milton"]
# invented names (not in Faker's pools): 15 x 15 = 225 distinct first names
FIRST = [a + b for a in ("Zor", "Quil", "Vex", "Thal", "Ombr", "Kesh", "Yl", "Drav", "Fenw", "Jur", "Mav", "Nox",
                         "Prel", "Sav", "Wyr") for b in ("ina", "eth", "ovan", "ara", "ius", "elle", "o", "ric",
                                                        "anda", "ek", "ith", "ora", "uel", "yn", "asz")]
LAST = ["Wyndham-Kraus", "Oyelaran", "Tchaikovska", "Quennell", "Abernethy", "Zielinska", "O'Reilly"]
WORDS = ["patient", "reported", "mild", "pain", "after", "the", "visit", "and", "was", "given", "rest"]


def realistic_table(n: int = N, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pick = rng.choice
    return pd.DataFrame({
        "customer_id": np.arange(1, n + 1),
        "account_no": [f"AC-{i:06d}" for i in pick(999_999, n, replace=False)],
        "ticket": [f"T{i:07d}" for i in range(1, n + 1)],
        "voucher": ["".join(pick(list("ABCDEFGHJKLMNPQRSTUVWXYZ23456789"), 10)) for _ in range(n)],
        "session": [str(uuid.UUID(int=int(x), version=4)) for x in rng.integers(0, 2**62, n)],
        "row": np.arange(1000, 1000 + n),
        "full_name": [f"{a} {b}" for a, b in zip(pick(FIRST, n), pick(LAST, n), strict=True)],
        "firstName": pick(FIRST, n),
        "Surname": pick([a + b for a in LAST for b in ("", "son", "ova", "berg", "ley", "ski")], n),
        "email": [f"{''.join(pick(list('qxzvkjw'), 6))}{i}@{d}"
                  for i, d in enumerate(pick(["gmail.com", "acme.org", "rare.io"], n, p=[.6, .39, .01]))],
        "phone": [f"({a}) {b}-{c:04d}" for a, b, c in zip(rng.integers(200, 999, n), rng.integers(200, 999, n),
                                                          rng.integers(0, 9999, n), strict=True)],
        "home_address": [f"{rng.integers(1, 9999)} {pick(STREETS)}, {pick(CITIES)}, IL {rng.integers(60000, 62999)}"
                         for _ in range(n)],
        "street": [f"{rng.integers(1, 999)} {pick(STREETS)}" for _ in range(n)],
        "postal_code": [f"{z:05d}" for z in rng.integers(1_000, 99_999, n)],
        "api_token": ["".join(pick(list("abcdef0123456789"), 32)) for _ in range(n)],
        "ip": [".".join(map(str, rng.integers(1, 255, 4))) for _ in range(n)],
        "ssn": [f"{a:03d}-{b:02d}-{c:04d}" for a, b, c in zip(rng.integers(1, 899, n), rng.integers(1, 99, n),
                                                              rng.integers(1, 9999, n), strict=True)],
        "website": [f"https://www.site{i}.com/about" for i in range(n)],
        "notes": [" ".join(pick(WORDS, rng.integers(8, 20))) for _ in range(n)],
        "city": pick([f"{c}{s}" for c in CITIES for s in ("", " Falls", " Heights", " Park", "ton", " Hill")], n),
        "age": rng.integers(18, 90, n),
        "zip": rng.integers(10_000, 99_999, n),
        "gender": pick(["F", "M", "X"], n),
        "dob": pd.Timestamp("1950-01-01") + pd.to_timedelta(rng.integers(0, 20_000, n), unit="D"),
        "income": rng.lognormal(10, 0.5, n),
        "amount": rng.normal(100, 20, n).round(2) + np.arange(n) * 1e-4,  # unique, but a measurement
        "balance_cents": pick(10**9, n, replace=False),  # unique sparse integers, not named as a key
        "segment": pick(["retail", "business", "public"], n),
        "support_contact": pick(["help@acme.org", "desk@acme.org"], n),  # e-mails, but 2 levels
        "active": rng.random(n) < 0.5,
        "signup": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), unit="D"),
        "visits": rng.poisson(3, n),
    })


EXPECTED = {
    "customer_id": ("identifier", None),
    "account_no": ("identifier", None),
    "ticket": ("identifier", None),
    "voucher": ("identifier", None),
    "session": ("identifier", None),
    "row": ("identifier", None),
    "full_name": ("pii", "name"),
    "firstName": ("pii", "first_name"),
    "Surname": ("pii", "last_name"),
    "email": ("pii", "email"),
    "phone": ("pii", "phone"),
    "home_address": ("pii", "address"),
    "street": ("pii", "street"),
    "postal_code": ("pii", "postcode"),
    "api_token": ("pii", "token"),
    "ip": ("pii", "ip"),
    "ssn": ("pii", "national_id"),
    "website": ("pii", "url"),
    "notes": ("pii", "free_text"),
    "city": ("pii", "city"),
    "age": ("quasi_identifier", None),
    "zip": ("quasi_identifier", None),
    "gender": ("quasi_identifier", None),
    "dob": ("quasi_identifier", None),
    "income": ("ordinary", None),
    "amount": ("ordinary", None),
    "balance_cents": ("ordinary", None),
    "segment": ("ordinary", None),
    "support_contact": ("ordinary", None),
    "active": ("ordinary", None),
    "signup": ("ordinary", None),
    "visits": ("ordinary", None),
}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return realistic_table()


def test_every_column_of_a_realistic_table_gets_the_expected_role(table):
    decisions = detect_roles(table)
    assert list(decisions) == list(table.columns)
    assert {d.pii_type for d in decisions.values() if d.role == "pii"} == set(PII_TYPES)
    got = {k: (d.role, d.pii_type) for k, d in decisions.items()}
    assert got == EXPECTED
    for name, d in decisions.items():
        assert d.column == name and d.reason.strip(), name


def test_reasons_name_the_evidence(table):
    d = detect_roles(table)
    assert d["row"].reason == "unique integers filling 100% of their range (sequential key)"
    assert "looks like a key" in d["customer_id"].reason and "looks like a key" in d["account_no"].reason
    assert "prefix" in d["ticket"].reason and "'T" in d["ticket"].reason
    assert "10-character alphanumeric tokens" in d["voucher"].reason
    assert "UUID" in d["session"].reason
    assert d["email"].reason == "100% of values match an e-mail address pattern"
    for qi in ("age", "zip", "gender", "dob"):
        assert d[qi].reason.startswith("suggested"), qi
    assert "measurement" in d["amount"].reason
    assert d["segment"].reason == "low-cardinality categorical (3 levels)"


def _value_texts(series: pd.Series) -> set[str]:
    """The ways a value of ``series`` could be written in a text: as stored, stripped, whole numbers as ints."""
    out = set()
    for v in series.dropna().unique():
        out |= {str(v), str(v).strip()}
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)):
            out |= {f"{v:,}", f"{v:g}"} | ({str(int(v))} if float(v).is_integer() else set())
        if isinstance(v, pd.Timestamp):
            out.add(str(v.date()))
    return out


_COUNTS = r"\d+(?:\.\d+)?%|\(\d+ (?:distinct|levels|values)\b[^)]*\)|\d+-character|length \d+ characters"


def test_reasons_hold_no_value_of_the_column(table):
    # reasons go to model files, reports and the terminal: shares, counts and lengths only
    shuffled = table.assign(row=np.random.default_rng(1).permutation(np.arange(48_213, 48_213 + N)))
    for frame in (table, shuffled):
        decisions = detect_roles(frame)
        assert decisions["row"].role == "identifier"
        # the counts, shares and lengths a reason may state are cut first: '100%', '(598 distinct)'
        reasons = re.sub(_COUNTS, "#", " | ".join(d.reason for d in decisions.values()))
        for name in frame.columns:
            # values of 1-2 characters (ages, levels 'F'/'M') cannot be told from '7-15 digits'
            leaked = sorted(v for v in _value_texts(frame[name]) if len(v) >= 3 and v in reasons)
            assert not leaked, (name, leaked[:5])


def test_share_thresholds_are_applied_to_the_values():
    # 85% e-mails is below the 90% bar; 95% is above it
    n = 200
    for share, expected in ((0.85, "ordinary"), (0.95, "pii")):
        k = round(n * share)
        values = [f"u{i}@mail.com" for i in range(k)] + [f"not an address {i}" for i in range(n - k)]
        assert detect_roles(pd.DataFrame({"contact": values}))["contact"].role == expected, share


def test_identifiers_need_near_uniqueness_and_enough_rows():
    n = 200
    dup = list(range(1, n - 2)) + [1, 2, 3]  # 98.5% distinct: below the 99% bar
    assert detect_roles(pd.DataFrame({"order_id": dup}))["order_id"].role == "ordinary"
    assert detect_roles(pd.DataFrame({"order_id": range(n)}))["order_id"].role == "identifier"
    assert detect_roles(pd.DataFrame({"order_id": range(19)}))["order_id"].role == "ordinary"  # < 20 rows


def test_unique_numbers_that_are_not_keys_stay_ordinary():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "price": np.round(rng.uniform(1, 1000, 500), 2) + np.arange(500) * 1e-3,
        "price_whole": rng.choice(10**8, 500, replace=False).astype(float),
    })
    d = detect_roles(frame)
    assert d["price"].role == d["price_whole"].role == "ordinary"
    yearly = pd.DataFrame({"year": np.arange(1990, 2020), "step": np.arange(30)})
    assert {k: v.role for k, v in detect_roles(yearly).items()} == {"year": "ordinary", "step": "ordinary"}
    # the same dense unique integers under a neutral name are a sequential key
    assert detect_roles(pd.DataFrame({"entry": np.arange(1990, 2020)}))["entry"].role == "identifier"


def test_uuids_are_told_from_other_hex_tokens():
    rng = np.random.default_rng(5)
    n = 400
    frame = pd.DataFrame({
        "trace": [uuid.UUID(int=int(a) << 64 | int(b), version=4).hex
                  for a, b in zip(rng.integers(0, 2**63, n), rng.integers(0, 2**63, n), strict=True)],
        "checksum": ["".join(rng.choice(list("0123456789abcdef"), 32)) for _ in range(n)],
    })
    d = detect_roles(frame)
    assert d["trace"].role == d["checksum"].role == "identifier"
    assert d["trace"].reason.endswith("UUIDs")  # version nibble and RFC variant in place
    assert d["checksum"].reason.endswith("32-character alphanumeric tokens")  # random hex: no version


def test_booleans_and_low_cardinality_columns_are_never_identifiers_or_pii():
    n = 300
    frame = pd.DataFrame({
        "user_id": np.arange(n) % 2 == 0,  # boolean, whatever its name
        "customer_code": [f"C{i % 5:06d}" for i in range(n)],  # 5 levels
        "email": [["a@x.com", "b@x.com", "c@y.org"][i % 3] for i in range(n)],
        "phone": [["(555) 201-0000", "(555) 201-0001"][i % 2] for i in range(n)],
    })
    assert {k: d.role for k, d in detect_roles(frame).items()} == dict.fromkeys(frame.columns, "ordinary")


def test_phone_patterns_are_not_confused_with_dates_numbers_or_keys():
    n = 100
    frame = pd.DataFrame({
        "when": [f"2023-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(n)],
        "ratio": [f"{1000 + i}.{5000 + i}" for i in range(n)],
        "mobile": [f"07{700900000 + 37 * i}" for i in range(n)],  # bare digits: a phone by its name
        "account_number": [f"{7700900000 + 37 * i}" for i in range(n)],  # bare digits: a key by its name
        "fax": [f"+44 20 {7946 + i:04d} {i:04d}" for i in range(n)],
    })
    got = {k: (d.role, d.pii_type) for k, d in detect_roles(frame).items()}
    assert got == {"when": ("ordinary", None), "ratio": ("ordinary", None), "mobile": ("pii", "phone"),
                   "account_number": ("identifier", None), "fax": ("pii", "phone")}


def test_detection_sees_through_nulls_and_string_dtypes(table):
    frame = table[["email", "full_name", "ticket", "segment"]].copy()
    frame.loc[frame.index[::4], ["email", "full_name"]] = None
    for dtype in ("object", "string", "category"):
        got = {k: (d.role, d.pii_type) for k, d in detect_roles(frame.astype(dtype)).items()}
        assert got == {"email": ("pii", "email"), "full_name": ("pii", "name"), "ticket": ("identifier", None),
                       "segment": ("ordinary", None)}, dtype


def test_overrides_replace_detection_and_say_declared(table):
    overrides = {"notes": "ordinary", "income": "QI", "segment": "pii:token", "email": "pii", "voucher": "pii",
                 "age": "ordinary"}
    d = detect_roles(table, overrides)
    got = {k: (d[k].role, d[k].pii_type, d[k].reason) for k in overrides}
    assert got == {
        "notes": ("ordinary", None, "declared"),
        "income": ("quasi_identifier", None, "declared"),
        "segment": ("pii", "token", "declared"),
        "email": ("pii", "email", "declared"),  # declared pii takes the detected type
        "voucher": ("pii", "token", "declared"),  # no detected type: guessed from the values
        "age": ("ordinary", None, "declared"),
    }
    assert d["phone"].reason != "declared"  # the others are still detected


def test_an_override_for_an_unknown_column_lists_the_columns(table):
    with pytest.raises(SpecError) as info:
        detect_roles(table, {"e_mail": "pii"})
    msg = str(info.value)
    assert "'e_mail'" in msg and "'email'" in msg and "'customer_id'" in msg
    with pytest.raises(SpecError, match="unknown role 'secret'"):
        detect_roles(table, {"email": "secret"})


@pytest.mark.parametrize(("text", "expected"), [
    ("pii", ("pii", None)), ("pii:email", ("pii", "email")), (" PII : Phone ", ("pii", "phone")),
    ("pii:ssn", ("pii", "national_id")), ("identifier", ("identifier", None)), ("id", ("identifier", None)),
    ("qi", ("quasi_identifier", None)), ("quasi-identifier", ("quasi_identifier", None)),
    ("quasi_identifier", ("quasi_identifier", None)), ("ordinary", ("ordinary", None)),
])
def test_parse_role_reads_every_documented_form(text, expected):
    assert parse_role(text) == expected


@pytest.mark.parametrize(("text", "fragment"), [
    ("secret", "unknown role 'secret'"), ("pii:passport_scan", "unknown PII type"),
    ("identifier:email", "only 'pii' takes a type"), (3, "must be a string"), ("", "unknown role ''"),
])
def test_parse_role_errors_list_the_choices(text, fragment):
    with pytest.raises(SpecError) as info:
        parse_role(text)
    msg = str(info.value)
    assert fragment in msg
    assert "'quasi_identifier' (or 'qi')" in msg and ", ".join(PII_TYPES) in msg


def test_role_decisions_validate_their_fields():
    assert RoleDecision("c", "pii", "email", "declared").pii_type == "email"
    for bad in (("c", "secret", None, ""), ("c", "pii", None, ""), ("c", "pii", "dna", ""),
                ("c", "ordinary", "email", "")):
        with pytest.raises(SpecError):
            RoleDecision(*bad)
    assert set(ROLES) == {"ordinary", "identifier", "pii", "quasi_identifier"}
    assert ROLES is schema.ROLES  # one vocabulary: the schema's


def test_detect_roles_needs_a_frame():
    with pytest.raises(DataError, match="DataFrame"):
        detect_roles({"a": [1, 2]})  # type: ignore[arg-type]


# -- columns written by Faker ------------------------------------------------------------------------------
def faker_column(locale: str, method: str, n: int = 500, seed: int = 0) -> list[str]:
    import faker

    fake = faker.Faker(locale)
    fake.seed_instance(seed)
    return [str(getattr(fake, method)()) for _ in range(n)]


@pytest.mark.parametrize("locale", ["en_US", "de_DE", "fr_FR", "en_GB"])
@pytest.mark.parametrize("column", ["contact", "phone"])
def test_faker_phone_numbers_are_phones_by_their_values(locale, column):
    # en_US writes "206.269.0743x9150", "+1-555-010-1234x567", "001-..."; others "+44(0)...", "(0####) ####"
    values = faker_column(locale, "phone_number")
    d = detect_roles(pd.DataFrame({column: values}))[column]
    assert (d.role, d.pii_type) == ("pii", "phone"), d.reason
    assert "phone" in d.reason


def test_phone_extensions_and_prefixes_are_read():
    n = 200
    rng = np.random.default_rng(1)
    a, b, c = rng.integers(200, 999, n), rng.integers(200, 999, n), rng.integers(1000, 9999, n)
    ext = rng.integers(1, 99999, n)
    forms = [f"{a[i]}.{b[i]}.{c[i]}x{ext[i]}" if i % 4 == 0 else f"+1-{a[i]}-{b[i]}-{c[i]}x{ext[i] % 1000}"
             if i % 4 == 1 else f"001-{a[i]}-{b[i]}-{c[i]} ext. {ext[i] % 100}" if i % 4 == 2
             else f"({a[i]}){b[i]}-{c[i]}" for i in range(n)]
    d = detect_roles(pd.DataFrame({"contact": forms}))["contact"]
    assert (d.role, d.pii_type) == ("pii", "phone")
    assert d.reason.startswith("100% of values look like phone numbers")


def test_number_like_columns_are_not_phones():
    n = 300
    rng = np.random.default_rng(2)
    bare = [str(x) for x in rng.choice(10**10, n, replace=False) + 10**9]
    frame = pd.DataFrame({
        # bare digit strings, a few written with dashes: under the share written like phones
        "reference": [f"{v[:3]}-{v[3:6]}-{v[6:]}" if i % 10 == 0 else v for i, v in enumerate(bare)],
        "amount": [f"{x:,}".replace(",", ".") for x in rng.integers(10**6, 10**9, n)],  # 1.234.567
        "card": [" ".join(f"{x:016d}"[k:k + 4] for k in range(0, 16, 4)) for x in rng.integers(10**15, 10**16, n)],
        "measure": [f"{x:.4f}" for x in rng.uniform(1000, 9999, n)],
    })
    got = {k: (d.role, d.pii_type) for k, d in detect_roles(frame).items()}
    assert got == {"reference": ("identifier", None), "amount": ("ordinary", None), "card": ("ordinary", None),
                   "measure": ("ordinary", None)}


@pytest.mark.parametrize("locale", ["en_US", "de_DE", "fr_FR", "en_GB", "nl_NL", "it_IT"])
@pytest.mark.parametrize("column", ["location", "address"])
def test_faker_multiline_addresses_are_addresses(locale, column):
    values = faker_column(locale, "address")
    assert all("\n" in v for v in values)
    d = detect_roles(pd.DataFrame({column: values}))[column]
    assert (d.role, d.pii_type) == ("pii", "address"), d.reason


def test_multiline_text_without_a_postcode_layout_is_not_an_address():
    rng = np.random.default_rng(4)
    notes = [" ".join(rng.choice(WORDS, 6)) + "\n" + " ".join(rng.choice(WORDS, 5)) + f" {i}" for i in range(300)]
    d = detect_roles(pd.DataFrame({"location": notes}))["location"]
    assert d.pii_type != "address"


@pytest.mark.parametrize("locale", ["en_US", "de_DE", "fr_FR", "es_ES", "nl_NL", "it_IT", "pt_BR", "pl_PL"])
def test_faker_names_with_titles_suffixes_and_particles_are_names(locale):
    # "Dr. John Smith MD", "Dipl.-Ing. Irmi Dussen van", "Olivier de la Bodin", "pani Eliza Sławik"
    values = faker_column(locale, "name")
    d = detect_roles(pd.DataFrame({"customer_name": values}))["customer_name"]
    assert (d.role, d.pii_type) == ("pii", "name"), d.reason


@pytest.mark.parametrize(("method", "column", "expected"), [
    ("email", "contact", ("pii", "email")), ("free_email", "email", ("pii", "email")),
    ("ssn", "value", ("pii", "national_id")), ("ssn", "ssn", ("pii", "national_id")),
    ("ipv4", "value", ("pii", "ip")), ("uuid4", "value", ("identifier", None)),
    ("uuid4", "session_id", ("identifier", None)),
])
def test_other_faker_columns_get_their_type(method, column, expected):
    d = detect_roles(pd.DataFrame({column: faker_column("en_US", method)}))[column]
    assert (d.role, d.pii_type) == expected, d.reason


def test_whole_number_floats_are_quantities_unless_named_like_keys():
    frame = pd.DataFrame({"x": np.arange(100.0), "order_id": np.arange(100.0), "n": np.arange(100)})
    d = detect_roles(frame)
    assert d["x"].role == "ordinary" and "floats" in d["x"].reason
    assert d["order_id"].role == "identifier"  # a key name: ids read back as floats (e.g. after nulls)
    assert d["n"].role == "identifier"  # unique dense integers stay a sequential key


def test_detection_runs_on_arrow_backed_strings():
    # pandas 3 stores strings in Arrow, whose regular expressions (RE2) lack look-arounds
    frame = realistic_table()
    frame = frame.astype({c: "string[pyarrow]" for c in frame.columns if pd.api.types.is_string_dtype(frame[c])})
    assert any(isinstance(t, pd.StringDtype) and t.storage == "pyarrow" for t in frame.dtypes)
    got = {k: (d.role, d.pii_type) for k, d in detect_roles(frame).items()}
    assert got == {k: EXPECTED[k] for k in frame.columns}
