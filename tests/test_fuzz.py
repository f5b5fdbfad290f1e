"""Property-based fuzzing of the readers of untrusted text: rules, YAML recipes, JSON model files.

For every generated input: no hang (each example must finish within LIMIT seconds; a
SIGALRM timer interrupts Python code, and the elapsed time is checked afterwards for
C-level work), no change to the input frame, no code executed (payloads would create a
sentinel file), and no exception other than a SynthkitError.
"""

import contextlib
import copy
import json
import signal
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import synthkit
from synthkit.clusters.recipe import parse_cluster_recipe
from synthkit.errors import SynthkitError
from synthkit.recipes import Recipe, load_recipe
from synthkit.rules import Rule
from synthkit.strategies.base import Strategy

LIMIT = 2.0  # seconds per example
FUZZ = settings(deadline=None, derandomize=True, database=None, print_blob=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])


class Hang(BaseException):
    """An example ran past LIMIT (a BaseException, so no `except Exception` can swallow it)."""


@contextlib.contextmanager
def time_limit(seconds: float = LIMIT):
    def alarm(signum, frame):
        raise Hang(f"example still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.perf_counter()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    elapsed = time.perf_counter() - start
    assert elapsed < seconds, f"example took {elapsed:.2f} s"


def only_synthkit_errors(fn, *args):
    """Run ``fn(*args)`` under the time limit; SynthkitError is an accepted outcome."""
    with time_limit():
        try:
            return fn(*args)
        except SynthkitError:
            return None


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def _sentinel(workdir: Path) -> Path:
    return workdir / "SENTINEL"


# ------------------------------------------------------------------------------------- rules

COLUMNS = ["x", "i", "s", "c", "n", "b", "d"]


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    k = 64
    return pd.DataFrame({
        "x": np.where(rng.random(k) < 0.1, np.nan, rng.standard_normal(k)),
        "i": rng.integers(-5, 5, k),
        "s": np.where(rng.random(k) < 0.1, None, rng.choice(["u", "v", "lol"], k)).astype(object),
        "c": pd.Categorical(rng.choice(["lo", "hi"], k)),
        "n": pd.array(np.where(rng.random(k) < 0.2, None, rng.integers(0, 4, k)), dtype="Int64"),
        "b": pd.array(np.where(rng.random(k) < 0.2, None, rng.random(k) < 0.5), dtype="boolean"),
        "d": pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, k), unit="D"),
    })


FRAME = _frame()

_leaf = st.one_of(
    st.sampled_from(COLUMNS + ["salary", "__import__", "__builtins__", "exp", "self", "frame", "os"]),
    st.integers(-10**6, 10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text("abuvlo' \\\"\n", max_size=4).map(repr),
    st.sampled_from(["9 ** 9 ** 9", "10 ** 400", "9" * 40, "1e308", "-1e308", "1e999", "0", "0.0",
                     "True", "False", "None", "'a' * 10 ** 10", "[1] * 10 ** 10", "'lol' + 'lol'",
                     "[]", "['u', 'v']", "(1, 2)", "[1, -2.5, 'u', None]", "...", "b'x'", "1j",
                     "f'{x}'", "{1: 2}", "{1}", "x if x else x", "(y := 1)", "*x", "9" * 400,
                     "9" * 5000]),
)


def _extend(children):
    ops = [" + ", " - ", " * ", " / ", " // ", " % ", " ** ", " < ", " <= ", " > ", " >= ", " == ",
           " != ", " and ", " or ", " in ", " not in ", " is ", " & ", " | ", " @ ", " << "]
    funcs = ["abs", "sqrt", "log", "exp", "floor", "ceil", "isnull", "notnull", "eval", "open",
             "getattr", "__import__", "print", "len"]
    return st.one_of(
        st.tuples(children, st.sampled_from(ops), children).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
        st.tuples(st.sampled_from(["not ", "-", "+", "~"]), children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(funcs), st.lists(children, max_size=3), st.booleans()).map(
            lambda t: f"{t[0]}({', '.join(t[1] + ([f'out={t[1][0]}'] if t[2] and t[1] else []))})"),
        st.tuples(children, st.sampled_from([".__class__", "[0]", ".real", ".__class__.__bases__[0]"
                                             ".__subclasses__()", ".values"])).map("".join),
        st.lists(children, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
        children.map(lambda e: f"(lambda: {e})()"),
        st.tuples(children, children, children).map(lambda t: f"{t[0]} < {t[1]} <= {t[2]}"),
    )


_payloads = st.sampled_from([
    "__import__('pathlib').Path('{s}').touch()",
    "open('{s}', 'w')",
    "x.__class__.__mro__[-1].__subclasses__()",
    "(lambda: __import__('os').system('touch {s}'))()",
    "exec(\"open('{s}', 'w')\")",
])
_deep = st.tuples(
    st.sampled_from(["-", "not ", "abs(", "(", "x + ", "x ** ", "[", "-(", "sqrt(-"]),
    st.integers(1, 12_000),
).map(lambda t: t[0] * t[1] + "x" + (")" * t[1] if t[0].endswith("(") else "]" * t[1] if t[0] == "["
                                     else "") + " > 0")
# mostly well-formed rules (they reach evaluation), with hostile values among the leaves
_ok_leaf = st.one_of(
    st.sampled_from(COLUMNS), st.integers(-20, 20).map(str), st.floats(-1e3, 1e3).map(repr),
    st.sampled_from(["'u'", "'lol'", "'2021-01-01'", "True", "None", "0", "9 ** 9 ** 9", "1e308",
                     "-1e308", "2 ** 1000", "(-8) ** (1 / 3)", "0 ** -1"]),
)


def _ok_extend(children):
    return st.one_of(
        st.tuples(children, st.sampled_from([" + ", " - ", " * ", " / ", " // ", " % ", " ** "]),
                  children).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
        st.tuples(children, st.sampled_from([" < ", " <= ", " > ", " >= ", " == ", " != "]),
                  children).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
        st.tuples(children, st.sampled_from([" and ", " or "]), children).map(
            lambda t: f"({t[0]}{t[1]}{t[2]})"),
        st.tuples(st.sampled_from(["not ", "-", "+"]), children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(["abs", "sqrt", "log", "exp", "floor", "ceil", "isnull", "notnull"]),
                  children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(children, st.sampled_from([" in ", " not in "]),
                  st.lists(_leaf, max_size=4)).map(lambda t: f"({t[0]}{t[1]}[{', '.join(t[2])}])"),
        # chained comparisons around a membership test: `a < x in [...]`, `x in [...] == b`
        st.tuples(children, st.lists(st.tuples(st.sampled_from([" < ", " == ", " in ", " not in "]),
                                               children), min_size=1, max_size=3),
                  st.lists(_leaf, max_size=3)).map(
            lambda t: "(" + t[0] + "".join(op + (f"[{', '.join(t[2])}]" if "in" in op else b)
                                           for op, b in t[1]) + ")"),
    )


_ok_rule = st.recursive(_ok_leaf, _ok_extend, max_leaves=12)
RULE_TEXT = st.one_of(_ok_rule, _ok_rule, _ok_rule, st.recursive(_leaf, _extend, max_leaves=20),
                      _deep, _payloads, st.text(max_size=40))


@settings(FUZZ, max_examples=400)
@given(text=RULE_TEXT, with_columns=st.booleans())
def test_fuzz_rules(workdir, text, with_columns):
    sentinel = _sentinel(workdir)
    text = text.replace("{s}", str(sentinel))
    frame = FRAME.copy(deep=True)

    def run():
        rule = Rule.parse(text, COLUMNS if with_columns else None)
        mask = rule.evaluate(frame)
        assert isinstance(mask, np.ndarray) and mask.dtype == bool and mask.shape == (len(frame),)

    only_synthkit_errors(run)
    pd.testing.assert_frame_equal(frame, FRAME)
    assert not sentinel.exists()


# ----------------------------------------------------------------------------------- recipes

_BASE_RECIPES = [
    {"name": "t", "rows": 100, "seed": 1, "output": "t.csv",
     "columns": {"x": {"distribution": "normal", "params": {"loc": 0, "scale": 1}, "min": -5},
                 "k": {"distribution": "poisson", "params": {"mu": 2}, "kind": "integer"},
                 "r": {"categories": ["a", "b"], "probs": [0.4, 0.6]}},
     "rules": ["x > -3", "r in ['a', 'b']"]},
    {"name": "f", "data": "missing.csv", "rows": 10, "strategy": "gaussian_copula",
     "params": {"marginals": "empirical"}},
    {"clusters": {"seed": 1, "format": "csv", "n_datasets": 1,
                  "archetypes": [{"name": "a", "params": {"n_clusters": 2, "dim": 2, "n_samples": 40}},
                                 {"name": "b", "description": "two round clusters in 2 dimensions"}]}},
]

_yaml_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-10**30, 10**30), st.sampled_from([10**400, -1, 0, 2**63]),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["normal", "sklearn:wine", "montecarlo", "x > 0", "exp(x, x) > 0", "../../etc/x.csv"]),
)
_yaml_value = st.recursive(_yaml_scalar, lambda c: st.one_of(
    st.lists(c, max_size=4), st.dictionaries(st.text(max_size=8), c, max_size=4)), max_leaves=10)


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, prefix + (i,))


@st.composite
def _mutated(draw, base_docs, value):
    doc = copy.deepcopy(draw(st.sampled_from(base_docs)))
    for _ in range(draw(st.integers(0, 3))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        op = draw(st.sampled_from(["replace", "drop", "rename", "nest"]))
        key = path[-1]
        if op == "replace":
            parent[key] = draw(value)
        elif op == "drop":
            del parent[key]
        elif op == "rename" and isinstance(parent, dict):
            parent[f"{key}_"] = parent.pop(key)
        elif op == "nest":
            for _ in range(draw(st.integers(1, 120))):
                parent[key] = [parent[key]]
    return doc


def _laughs(levels: int, width: int) -> str:
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{k}: &l{k} [" + ", ".join([f"*l{k - 1}"] * width) + "]" for k in range(1, levels)]
    return "\n".join(lines) + "\n"


_text_edits = st.one_of(
    st.just(lambda t: t),
    st.builds(lambda lv, w: (lambda t: t + _laughs(lv, w)), st.integers(1, 10), st.integers(1, 12)),
    st.builds(lambda n: (lambda t: t + "deep: " + "[" * n + "]" * n + "\n"), st.integers(1, 5000)),
    st.builds(lambda n: (lambda t: t + "deep:\n" + "".join("  " * k + "- \n" for k in range(1, n))),
              st.integers(1, 200)),
    st.sampled_from(['bad: "\\U0011FFFF"\n', 'bad: "\\x4"\n', 'bad: "\\ud800"\n', "bad: 2020-13-45\n",
                     "bad: !!int abc\n", "bad: !!bool maybe\n", "bad: !!binary '@@'\n",
                     "bad: !!python/object/apply:os.system ['touch {s}']\n",
                     "bad: !!python/name:builtins.eval\n", "bad: &a [*a]\n", "bad: *undefined\n",
                     "rows: 5\n", "name: twice\n", "<<: {rows: 1}\n", "? [1]\n: 2\n", "---\nrows: 1\n",
                     "\t\x00\n", "bad: !!set {a, a}\n", "bad: 0x_\n"]).map(lambda s: (lambda t: t + s)),
    st.builds(lambda i: (lambda t: t[:i]), st.integers(0, 400)),
)


@settings(FUZZ, max_examples=150)
@given(doc=_mutated(_BASE_RECIPES, _yaml_value), edit=_text_edits)
def test_fuzz_recipes(workdir, doc, edit):
    sentinel = _sentinel(workdir)
    text = edit(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)).replace("{s}", str(sentinel))
    path = workdir / "recipe.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")

    def run():
        loaded = load_recipe(path)
        if "clusters" in loaded:
            parse_cluster_recipe(loaded, str(path))
            return
        recipe = Recipe.from_dict(loaded, str(path), workdir)
        str(recipe)  # printing a recipe walks all of it
        if recipe.columns is not None:
            recipe.build()

    only_synthkit_errors(run)
    assert not sentinel.exists()


# ------------------------------------------------------------------------------- model files


def _model_docs() -> list[dict]:
    rng = np.random.default_rng(5)
    k = 120
    real = pd.DataFrame({"a": rng.standard_normal(k), "b": rng.gamma(2.0, size=k),
                         "n": rng.poisson(3, k), "c": rng.choice(["x", "y", "z"], k)})
    real["b"] = real["b"].where(rng.random(k) > 0.1)
    docs = []
    for name in ["montecarlo", "gaussian_copula", "t_copula", "cholesky", "iman_conover", "vine", "gmm",
                 "cart"]:
        if name in synthkit.available_strategies():
            docs.append(json.loads(json.dumps(synthkit.fit(real, strategy=name).to_dict())))
    docs.append(json.loads(json.dumps(synthkit.fit(real, strategy="montecarlo", stratify="c").to_dict())))
    return docs


MODEL_DOCS = _model_docs()
_json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-10**20, 10**20), st.sampled_from([10**299, -10**299, 2**64]),
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([1e308, -1e308, 5e-324, 0.0]),
    st.text(max_size=10), st.sampled_from(["inf", "-inf", "nan", "normal", "gaussian_copula",
                                           "synthkit-model", "os:system", "empirical"]),
)
_json_value = st.recursive(_json_scalar, lambda c: st.one_of(
    st.lists(c, max_size=4), st.dictionaries(st.text(max_size=8), c, max_size=4)), max_leaves=8)

_json_edits = st.one_of(
    st.just(lambda t: t),
    st.builds(lambda i: (lambda t: t[:i]), st.integers(0, 3000)),
    st.builds(lambda n: (lambda t: t.replace("{", "{" + '"d": ' + "[" * n + "]" * n + ", ", 1)),
              st.integers(1, 3000)),
    st.sampled_from(['"format": "x", ', '"n_train": ' + "9" * 400 + ", ", '"strategy": NaN, ',
                     '"params": Infinity, ']).map(lambda s: (lambda t: t.replace("{", "{" + s, 1))),
)


@settings(FUZZ, max_examples=150)
@given(doc=_mutated(MODEL_DOCS, _json_value), edit=_json_edits)
def test_fuzz_model_files(workdir, doc, edit):
    path = workdir / "model.json"
    path.write_text(edit(json.dumps(doc)))

    def run():
        assert isinstance(synthkit.load(path), Strategy)

    only_synthkit_errors(run)
