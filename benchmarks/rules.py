"""Cost of sampling with rules: a sample with rules against the same sample without.

Prints one table: 1,000,000 rows of a 10-column declared Gaussian-copula model without rules
and with 10 rules (multi-column hard rules, two soft rules, two one-column bounds drawn
exactly, two derived columns; about two thirds of the drawn rows are accepted), then 10 rows of the
same model, and 10 rows of a 14-column table fitted on sklearn's wine with one rule. Times
are medians of alternating repeats; the targets are at most 3x (1,000,000 rows) and 5x (10 rows).

Run: ``python benchmarks/rules.py [--repeats 5] [--rows 1000000]``.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time

import synthkit

COLUMNS = {
    "age": {"distribution": "normal", "params": {"loc": 42, "scale": 14}, "kind": "integer"},
    "income": {"distribution": "lognormal", "params": {"s": 0.6, "scale": 40000}, "decimals": 0},
    "loan": {"distribution": "lognormal", "params": {"s": 1.0, "scale": 60000}, "decimals": 0},
    "balance": {"distribution": "lognormal", "params": {"s": 1.2, "scale": 15000}, "decimals": 2},
    "children": {"distribution": "poisson", "params": {"mu": 1.2}, "max": 8},
    "score": {"distribution": "normal", "params": {"loc": 60, "scale": 12}},
    "rate": {"distribution": "uniform", "min": 0, "max": 5},
    "tenure": {"distribution": "expon", "params": {"scale": 4}},
    "region": {"categories": ["north", "south", "east", "west"], "probs": [0.3, 0.3, 0.2, 0.2]},
    "segment": {"categories": ["retail", "sme", "corporate"], "probs": [0.6, 0.3, 0.1]},
}
CORRELATION = {"age,income": 0.4, "income,loan": 0.5, "income,balance": 0.3, "score,rate": -0.3,
               "age,tenure": 0.4}
RULES = [
    "age >= 18",                                   # bound: drawn exactly
    "income between 8000 and 400000",              # bound: drawn exactly
    "loan <= 6 * income",
    "not (children > 3 and age < 25)",
    "score + 4 * rate > 50",
    "region != 'north' or tenure > 1",
    {"rule": "segment == 'retail'", "keep": 0.7},  # soft
    {"rule": "balance < income", "keep": 0.5},     # soft
    "monthly = income / 12",                       # derived
    "band = if score > 60 then 'A' else 'B'",      # derived
]


def hard_only(rules: list) -> list:
    """The rules a synthkit without soft rules and derived columns takes (for comparisons)."""
    out = [r for r in rules if isinstance(r, str) and "=" not in r.replace(">=", "").replace("<=", "")
           .replace("==", "").replace("!=", "")]
    return [r.replace("income between 8000 and 400000", "income >= 8000 and income <= 400000") for r in out]


def median_times(fa, fb, repeats: int) -> tuple[float, float]:
    """Median times of ``fa`` and ``fb``, run alternately (so a change of machine load hits both)."""
    ta, tb = [], []
    gc.collect()
    gc.disable()  # as timeit does: a collection triggered by one run is not charged to it
    try:
        for _ in range(repeats):
            for fn, out in ((fa, ta), (fb, tb)):
                t0 = time.perf_counter()
                fn()
                out.append(time.perf_counter() - t0)
    finally:
        gc.enable()
    return statistics.median(ta), statistics.median(tb)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    try:
        from synthkit.rules import compile_rules  # noqa: F401
        rules, note = RULES, "10 rules (2 bounds, 4 hard, 2 soft, 2 derived)"
    except ImportError:  # hard rules only
        rules, note = hard_only(RULES), f"{len(hard_only(RULES))} hard rules (no soft/derived support)"
    plain = synthkit.declare(COLUMNS, correlation=CORRELATION)
    ruled = synthkit.declare(COLUMNS, correlation=CORRELATION, rules=rules)
    ds = ruled.sample(100_000, seed=0)
    report = getattr(ds, "rules_report", None)
    acceptance = report.acceptance if report is not None else float("nan")

    from sklearn.datasets import load_wine

    wine = load_wine(as_frame=True).frame
    wine_plain = synthkit.fit(wine, stratify=None)
    wine_ruled = synthkit.fit(wine, stratify=None, rules=["alcohol > 13"])

    cases = [
        (f"{args.rows:,} rows, 10 columns, {note}", plain, ruled, args.rows, max(1, args.repeats // 2), 3.0),
        (f"10 rows, 10 columns, {note}", plain, ruled, 10, 20 * args.repeats, 5.0),
        ("10 rows, wine (14 columns, fitted), rule 'alcohol > 13'", wine_plain, wine_ruled, 10,
         20 * args.repeats, 5.0),
    ]
    print(f"synthkit {synthkit.__version__}; acceptance of the 10-column rules: {acceptance:.1%}")
    print(f"{'case':<70} {'no rules':>10} {'rules':>10} {'ratio':>7} {'target':>7}")
    for name, a, b, n, reps, target in cases:
        a.sample(n, seed=1)  # warm-up
        b.sample(n, seed=1)
        ta, tb = median_times(lambda m=a, k=n: m.sample(k, seed=2), lambda m=b, k=n: m.sample(k, seed=2),
                              reps)
        print(f"{name:<70} {ta * 1e3:>8.1f}ms {tb * 1e3:>8.1f}ms {tb / ta:>6.2f}x {target:>6.1f}x")


if __name__ == "__main__":
    main()
