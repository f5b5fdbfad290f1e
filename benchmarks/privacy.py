"""Benchmark: disclosure risk of synthetic tables, synthkit's attacks vs anonymeter, synthkit vs SDV.

On ``statsmodels:fair`` (6,366 rows x 9 columns), split at random (``--seed``)
into a train half and a control half, each generator is fitted on the train half
and samples ``len(train)`` rows:

* synthkit ``gaussian_copula`` (default privacy protections);
* synthkit ``gaussian_copula`` with ``privacy="off"`` (when the strategy has it);
* SDV ``GaussianCopulaSynthesizer`` (default settings, metadata detected from the
  train frame; its output is recorded as is);
* a bootstrap of the train rows (every synthetic row is a real one: the leaky
  reference a risk measure must flag).

Every synthetic table is attacked with the same number of attacks by
synthkit's attacks (:mod:`synthkit.validation.attacks`) and by anonymeter's
evaluators (Giomi et al., PETS 2023): singling-out (univariate and multivariate),
linkability (the columns split into two halves as the attacker's two auxiliary
tables), attribute inference (secret ``affairs`` and ``rate_marriage``, the other
columns known) and, synthkit only, membership inference (AUC). The risk is
``(train rate - control rate) / (1 - control rate)`` with its confidence interval;
"agree" means the two intervals overlap once both are clipped to [0, 1] (anonymeter
reports a negative excess as 0 [0, 0]). Both tools single out by the same rule:
duplicate rows are dropped from the three tables, the rates' denominator is
``n_attacks`` (an attack that finds no predicate singling out a synthetic row fails),
and the multivariate attacker tries at most ``MAX_ATTEMPTS_PER_ATTACK * n_attacks``
candidates. synthkit's singling-out risk is compared with SDV's: "no higher" when its
estimate is at most SDV's, "not significantly higher" when it is above but the
intervals overlap, "HIGHER" otherwise. Each generator also gets the SDMetrics
QualityReport score against the train half and its fit / sample seconds. A last
line times synthkit's attacks on larger tables (``--speed-rows`` rows each for
train, control and synthetic, ``--speed-attacks`` attacks of each kind).

Peers are not synthkit dependencies; missing ones are skipped with a message::

    pip install sdmetrics
    pip install --no-deps anonymeter numba llvmlite polars polars-runtime-32
    pip install --no-deps sdv rdt graphviz boto3 botocore jmespath s3transfer urllib3

(``--no-deps`` keeps the environment's numpy / pandas / scipy: anonymeter declares
``numpy<1.27`` but runs on numpy 2, and SDV's declared dependencies pull in torch,
which its GaussianCopulaSynthesizer does not use.)

Run::

    python benchmarks/privacy.py              # 2,000 attacks of each kind (~10 min on 2 cores)
    python benchmarks/privacy.py --quick      # 500 attacks, smaller speed line
    python benchmarks/privacy.py --seed 7 --markdown out.md
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import Resample, SDVGaussianCopula, SynthkitMethod, available, metadata_for  # noqa: E402  (the scripts run as files)

LEAKY = "bootstrap of train rows (leaky)"

warnings.filterwarnings("ignore")

SECRETS = ("affairs", "rate_marriage")
ATTACK_LABELS = {
    "singling_out_univariate": "singling-out univariate",
    "singling_out_multivariate": "singling-out multivariate",
    "linkability": "linkability",
    "inference_affairs": "inference (affairs)",
    "inference_rate_marriage": "inference (rate_marriage)",
    "membership": "membership (AUC)",
}


def load_split(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    import synthkit

    df = synthkit.datasets.load_example("statsmodels:fair")
    perm = np.random.default_rng(seed).permutation(len(df))
    half = len(df) // 2
    train = df.iloc[perm[:half]].reset_index(drop=True)
    control = df.iloc[perm[half:]].reset_index(drop=True)
    return train, control


def aux_halves(columns: list[str]) -> tuple[list[str], list[str]]:
    half = len(columns) // 2
    return list(columns[:half]), list(columns[half:])


# --------------------------------------------------------------------- quality
def quality(real: pd.DataFrame, synth: pd.DataFrame, metadata: dict) -> float:
    from sdmetrics.reports.single_table import QualityReport

    rep = QualityReport()
    rep.generate(real, synth[real.columns], metadata, verbose=False)
    return float(rep.get_score())


# --------------------------------------------------------------------- results
@dataclass
class Risk:
    risk: float
    lo: float
    hi: float
    seconds: float
    note: str = ""
    detail: dict = field(default_factory=dict)


@dataclass
class GenRow:
    name: str
    fit_s: float = float("nan")
    sample_s: float = float("nan")
    quality: float = float("nan")
    skipped: str = ""
    synthkit: dict = field(default_factory=dict)   # attack key -> Risk
    anonymeter: dict = field(default_factory=dict)  # attack key -> Risk


class _Capture(logging.Handler):
    """Collects anonymeter's warnings (e.g. fewer singling-out queries than asked)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


# ---------------------------------------------------------- anonymeter attacks
def _predicate_kinds(queries) -> Counter:
    """Which predicates make the successful singling-out queries: column and kind."""
    kinds: Counter = Counter()
    for q in queries:
        for col, op in re.findall(r'col\("([^"]+)"\)\)?\s*(<=|>=|==)', str(q)):
            kinds[(col, {"<=": "low", ">=": "high", "==": "equal"}[op])] += 1
    return kinds


def _singles_out(frame: pd.DataFrame, queries) -> list[bool]:
    """Whether each query matches exactly one distinct row of ``frame`` (anonymeter's success rule)."""
    import polars as pl

    if not queries:
        return []
    df = pl.DataFrame(frame).unique()
    counts = df.select([q.cast(pl.Int64).sum().alias(f"q{i}") for i, q in enumerate(queries)]).row(0)
    return [c == 1 for c in counts]


def search_cap(n_attacks: int) -> int:
    """Candidate predicates the multivariate singling-out attacker may try (synthkit's own cap)."""
    try:
        from synthkit.validation.attacks import MAX_ATTEMPTS_PER_ATTACK
    except ImportError:
        MAX_ATTEMPTS_PER_ATTACK = 50  # noqa: N806
    return MAX_ATTEMPTS_PER_ATTACK * n_attacks


def anonymeter_attacks(train, synth, control, n_attacks, seed, secrets) -> dict:
    from anonymeter.evaluators import InferenceEvaluator, LinkabilityEvaluator, SinglingOutEvaluator

    cap = _Capture()
    logging.getLogger("anonymeter").addHandler(cap)
    logging.getLogger("anonymeter").propagate = False
    out = {}
    synth = synth[train.columns]

    def record(key, ev, t0, detail=None):
        r = ev.risk(confidence_level=0.95)
        out[key] = Risk(float(r.value), float(r.ci[0]), float(r.ci[1]), time.perf_counter() - t0,
                        "; ".join(cap.messages), detail or {})
        cap.messages.clear()

    for mode in ("univariate", "multivariate"):
        t0 = time.perf_counter()
        ev = SinglingOutEvaluator(ori=train, syn=synth, control=control, n_attacks=n_attacks, n_cols=3,
                                  max_attempts=search_cap(n_attacks), seed=seed)
        ev.evaluate(mode=mode)
        hits = ev.queries()
        in_control = _singles_out(control, hits)
        train_only = [q for q, c in zip(hits, in_control, strict=True) if not c]
        record(f"singling_out_{mode}", ev, t0, {"kinds": _predicate_kinds(train_only),
                                                "n_success": len(hits), "n_train_only": len(train_only)})
    # linkability and inference draw their targets with pandas' .sample (numpy's global
    # state): seeded here only so the benchmark repeats
    np.random.seed(seed)  # noqa: NPY002
    t0 = time.perf_counter()
    ev = LinkabilityEvaluator(ori=train, syn=synth, control=control, n_attacks=n_attacks,
                              aux_cols=aux_halves(list(train.columns)), n_neighbors=1)
    ev.evaluate(n_jobs=1)
    record("linkability", ev, t0)
    for secret, regression in secrets.items():
        t0 = time.perf_counter()
        ev = InferenceEvaluator(ori=train, syn=synth, control=control, n_attacks=n_attacks,
                                aux_cols=[c for c in train.columns if c != secret], secret=secret,
                                regression=regression)
        ev.evaluate(n_jobs=1)
        record(f"inference_{secret}", ev, t0)
    logging.getLogger("anonymeter").removeHandler(cap)
    return out


# ------------------------------------------------------------ synthkit attacks
def synthkit_attacks(train, synth, control, n_attacks, seed, secrets) -> dict:
    from synthkit.validation import attacks as A

    out = {}
    synth = synth[train.columns]

    def record(key, fn, *args, **kw):
        t0 = time.perf_counter()
        r = fn(*args, **kw)
        lo, hi = r.risk_ci
        out[key] = Risk(float(r.risk), float(lo), float(hi), time.perf_counter() - t0)

    for mode in ("univariate", "multivariate"):
        record(f"singling_out_{mode}", A.singling_out_risk, train, synth, control, mode=mode,
               n_attacks=n_attacks, n_cols=3, seed=seed)
    record("linkability", A.linkability_risk, train, synth, control,
           aux_cols=aux_halves(list(train.columns)), n_attacks=n_attacks, n_neighbors=1, seed=seed)
    for secret in secrets:
        record(f"inference_{secret}", A.inference_risk, train, synth, control, secret=secret,
               aux_cols=[c for c in train.columns if c != secret], n_attacks=n_attacks, seed=seed)
    record("membership", A.membership_risk, train, synth, control, seed=seed)
    return out


def speed_line(rows: int, n_attacks: int, seed: int, secrets) -> str:
    """synthkit's attacks on ``rows``-row train, control and synthetic tables (synthkit samples)."""
    import synthkit
    from synthkit.validation import attacks as A

    df = synthkit.datasets.load_example("statsmodels:fair")
    model = synthkit.fit(df, strategy="gaussian_copula")
    train = model.sample(rows, seed=seed + 11).frame
    control = model.sample(rows, seed=seed + 12).frame
    synth = model.sample(rows, seed=seed + 13).frame
    cols = list(train.columns)
    secret = next(iter(secrets))
    runs = {
        "singling-out univariate": lambda: A.singling_out_risk(
            train, synth, control, mode="univariate", n_attacks=n_attacks, seed=seed),
        "singling-out multivariate": lambda: A.singling_out_risk(
            train, synth, control, mode="multivariate", n_attacks=n_attacks, n_cols=3, seed=seed),
        "linkability": lambda: A.linkability_risk(
            train, synth, control, aux_cols=aux_halves(cols), n_attacks=n_attacks, seed=seed),
        f"inference ({secret})": lambda: A.inference_risk(
            train, synth, control, secret=secret, aux_cols=[c for c in cols if c != secret],
            n_attacks=n_attacks, seed=seed),
        "membership": lambda: A.membership_risk(train, synth, control, seed=seed),
    }
    parts = []
    for name, run in runs.items():
        t0 = time.perf_counter()
        run()
        parts.append(f"{name} {time.perf_counter() - t0:.2f}s")
    return (f"Speed (synthkit attacks, {n_attacks:,} attacks of each kind, {rows:,}-row train, control "
            f"and synthetic tables): " + ", ".join(parts))


# ---------------------------------------------------------------------- output
def _fmt(r: Risk | None) -> str:
    if r is None:
        return "-"
    return f"{r.risk:+.3f} [{r.lo:+.3f}, {r.hi:+.3f}]"


def agree(a: Risk | None, b: Risk | None) -> str:
    """Whether the two intervals overlap, both clipped to [0, 1] as anonymeter reports its risks.

    anonymeter binds the excess risk and its interval to [0, 1] (a negative excess, control
    rows easier to attack than training rows, is reported as 0 [0, 0]); synthkit reports it
    unclipped, so the clipped synthkit interval is what can be compared.
    """
    if a is None or b is None:
        return "-"
    (alo, ahi), (blo, bhi) = (np.clip([r.lo, r.hi], 0.0, 1.0) for r in (a, b))
    return "yes" if alo <= bhi and blo <= ahi else "NO"


def render(rows: list[GenRow], markdown: bool = False) -> str:
    recs = []
    for g in rows:
        if g.skipped:
            continue
        for key, label in ATTACK_LABELS.items():
            sk, an = g.synthkit.get(key), g.anonymeter.get(key)
            if sk is None and an is None:
                continue
            recs.append({"generator": g.name, "attack": label, "synthkit risk [95% CI]": _fmt(sk),
                         "anonymeter risk [95% CI]": _fmt(an), "agree": agree(sk, an),
                         "sk s": f"{sk.seconds:.2f}" if sk else "-",
                         "anon s": f"{an.seconds:.2f}" if an else "-"})
    attack_table = pd.DataFrame(recs)
    gen_table = pd.DataFrame([{"generator": g.name, "fit s": f"{g.fit_s:.2f}",
                               "sample s": f"{g.sample_s:.3f}",
                               "Quality": f"{g.quality:.3f}" if np.isfinite(g.quality) else "-"}
                              for g in rows if not g.skipped])
    if markdown:
        return _markdown(attack_table) + "\n\n" + _markdown(gen_table)
    return attack_table.to_string(index=False) + "\n\n" + gen_table.to_string(index=False)


def _markdown(t: pd.DataFrame) -> str:
    if t.empty:
        return ""
    cols = list(t.columns)
    head = "| " + " | ".join(cols) + " |\n|" + "---|" * len(cols)
    body = "\n".join("| " + " | ".join(map(str, r)) + " |" for r in t.itertuples(index=False))
    return head + "\n" + body


def drivers(rows: list[GenRow]) -> str:
    """What singles rows out: the predicates of anonymeter's successful queries."""
    lines = ["Singling-out drivers (anonymeter's queries that single out a train row but no control row; "
             "predicate column/kind x count):"]
    for g in rows:
        for mode in ("univariate", "multivariate"):
            r = g.anonymeter.get(f"singling_out_{mode}")
            if r is None:
                continue
            kinds = r.detail.get("kinds", Counter())
            top = ", ".join(f"{c}/{k} {n}" for (c, k), n in kinds.most_common(6)) or "none"
            note = f"  [{r.note}]" if r.note else ""
            lines.append(f"  {g.name} | {mode}: {r.detail.get('n_success', 0)} single out in train, "
                         f"{r.detail.get('n_train_only', 0)} of them not in control; {top}{note}")
    return "\n".join(lines)


def verdict(rows: list[GenRow]) -> str:
    """The acceptance, checked on the measured numbers (never hidden)."""
    by = {g.name: g for g in rows if not g.skipped}
    out = ["Acceptance:"]
    pairs = [(g.name, k, g.synthkit[k], g.anonymeter[k]) for g in by.values()
             for k in g.synthkit if k in g.anonymeter]
    if pairs:
        bad = [f"{n} / {ATTACK_LABELS[k]}" for n, k, s, a in pairs if agree(s, a) != "yes"]
        out.append(f"  synthkit vs anonymeter: {len(pairs) - len(bad)}/{len(pairs)} confidence intervals "
                   f"overlap" + (f"; disagree: {'; '.join(bad)}" if bad else "") +
                   f" -> {'holds' if not bad else 'DOES NOT HOLD'}")
        leaky = by.get(LEAKY)
        if leaky is not None:
            for side in ("synthkit", "anonymeter"):
                res = getattr(leaky, side)
                flagged = [ATTACK_LABELS[k] for k, r in res.items()
                           if (r.lo > 0.5 if k == "membership" else r.lo > 0)]
                out.append(f"  leaky bootstrap flagged by {side} (CI above 0, AUC CI above 0.5): "
                           f"{len(flagged)}/{len(res)} attacks ({', '.join(flagged) or 'none'})")
    else:
        out.append("  synthkit vs anonymeter: not measured (one side missing)")
    sk, sdv = by.get("synthkit gaussian_copula"), by.get(SDVGaussianCopula.name)
    if sk is None or sdv is None:
        out.append("  synthkit vs SDV: not measured (one generator missing)")
        return "\n".join(out)
    for side in ("synthkit", "anonymeter"):
        a, b = getattr(sk, side), getattr(sdv, side)
        for mode in ("univariate", "multivariate"):
            key = f"singling_out_{mode}"
            if key in a and key in b:
                x, y = a[key], b[key]
                # intervals compared clipped to [0, 1], as in "agree": a negative excess is no risk
                word = "no higher" if x.risk <= y.risk else (
                    "not significantly higher" if agree(x, y) == "yes" else "HIGHER")
                out.append(f"  singling-out {mode} ({side}'s attack): synthkit {_fmt(x)} vs SDV {_fmt(y)} "
                           f"-> {word}")
    out.append(f"  Quality: synthkit {sk.quality:.3f} vs SDV {sdv.quality:.3f} -> "
               f"{'higher' if sk.quality > sdv.quality else 'NOT higher'}")
    return "\n".join(out)


# ------------------------------------------------------------------------ main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="500 attacks of each kind, smaller speed line")
    ap.add_argument("--seed", type=int, default=0, help="split, sampling and attack seed")
    ap.add_argument("--n-attacks", type=int, help="attacks of each kind (default 2000, 500 with --quick)")
    ap.add_argument("--speed-rows", type=int, help="rows per table in the speed line (default 50000)")
    ap.add_argument("--speed-attacks", type=int,
                    help="attacks of each kind in the speed line (default 10000)")
    ap.add_argument("--no-speed", action="store_true", help="skip the speed line")
    ap.add_argument("--markdown", help="also write the tables as markdown to this file")
    args = ap.parse_args(argv)
    n_attacks = args.n_attacks or (500 if args.quick else 2000)
    speed_rows = args.speed_rows or (10_000 if args.quick else 50_000)
    speed_attacks = args.speed_attacks or (2_000 if args.quick else 10_000)

    have_sk_attacks = available("synthkit.validation.attacks")
    have_anon = available("anonymeter")
    notes = []
    if not have_sk_attacks:
        notes.append("synthkit.validation.attacks is not available: synthkit columns left empty")
    if not have_anon:
        notes.append("anonymeter is not installed (pip install --no-deps anonymeter numba llvmlite polars "
                     "polars-runtime-32): anonymeter columns left empty")
    if not available("sdmetrics"):
        notes.append("sdmetrics is not installed (pip install sdmetrics): no Quality")
    for n in notes:
        print(n, file=sys.stderr)

    train, control = load_split(args.seed)
    n = len(train)
    metadata = metadata_for(train)
    # a numeric secret with many distinct values is guessed within 5 % (anonymeter's regression mode)
    secrets = {s: bool(train[s].nunique() > 20) for s in SECRETS}
    print(f"statsmodels:fair split (seed {args.seed}): train {len(train)} / control {len(control)} rows x "
          f"{train.shape[1]} columns; {n_attacks} attacks of each kind; synthetic n = {n}", flush=True)

    gens: list = [SynthkitMethod("gaussian_copula"), SynthkitMethod("gaussian_copula", privacy="off")]
    if available("sdv"):
        gens.append(SDVGaussianCopula())
    else:
        print("SDV is not installed (pip install --no-deps sdv rdt graphviz boto3 botocore jmespath "
              "s3transfer urllib3): its row is skipped", file=sys.stderr)
    gens.append(Resample(LEAKY))

    rows: list[GenRow] = []
    for gen in gens:
        row = GenRow(gen.name)
        rows.append(row)
        t0 = time.perf_counter()
        try:
            gen.fit(train)
        except Exception as exc:  # noqa: BLE001 - report and go on
            from synthkit.errors import SpecError

            if isinstance(exc, (TypeError, SpecError)) and "privacy" in str(exc):
                row.skipped = "this synthkit has no `privacy` parameter"
            else:
                row.skipped = f"fit failed: {type(exc).__name__}: {exc}"
            print(f"  {gen.name}: skipped ({row.skipped})", flush=True)
            continue
        row.fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        synth = gen.sample(n, args.seed + 1)
        row.sample_s = time.perf_counter() - t0
        if available("sdmetrics"):
            row.quality = quality(train, synth, metadata)
        if have_sk_attacks:
            row.synthkit = synthkit_attacks(train, synth, control, n_attacks, args.seed, secrets)
        if have_anon:
            row.anonymeter = anonymeter_attacks(train, synth, control, n_attacks, args.seed, secrets)
        print(f"  {gen.name:40s} fit {row.fit_s:6.2f}s  sample {row.sample_s:6.3f}s  "
              f"Quality {row.quality:.3f}", flush=True)

    print()
    print(render(rows))
    for g in rows:
        if g.skipped:
            print(f"({g.name}: {g.skipped})")
    print()
    print(drivers(rows))
    print()
    print(verdict(rows))
    speed = ""
    if have_sk_attacks and not args.no_speed:
        try:
            speed = speed_line(speed_rows, speed_attacks, args.seed, secrets)
        except Exception as exc:  # noqa: BLE001 - report and go on
            speed = f"Speed: not measured ({type(exc).__name__}: {exc})"
        print()
        print(speed)
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write(render(rows, markdown=True) + "\n\n" + drivers(rows) + "\n\n" + verdict(rows)
                     + ("\n\n" + speed if speed else "") + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
