"""Fuzzing the command line: every outcome is a result or a named error.

Hypothesis generates scenarios across every section and declared field
(each section near its defaults, at the extremes its bounds accept, or, in
one section of a case, out of range: tiny and huge floats, zero, negative,
infinities, NaN, wrong types, nested lists) and runs them through
``simulator.face.cli.main`` in this process with one of the verbs (validate,
run, curve, size, resolve (with the settle-time flags where there is
``[recruitment]``), boundaries, recruit with and without ``--solve``, sweep
with and without ``--target``, value (with ``[decision]``), adaptive, meta,
evidence) and small
``--n-sims`` (:data:`EXAMPLES` cases, about 30 s on one core). Every case
must end in

* exit 0 with strict JSON (no NaN, no Infinity: what JavaScript's
  ``JSON.parse`` accepts), or
* exit 2 (bad input) or 3 (an unreachable target) with one line on stderr
  that starts with ``trialsim:``,

without a traceback, a warning, or a run over its time or memory limit
(:data:`SECONDS_PER_CASE`, :data:`MEMORY_PER_CASE`). The examples are
derandomized (the same cases on every run), so CI is deterministic; the test
is marked ``fuzz`` and runs in the default selection (``pytest -m fuzz``
runs it alone). ``report`` is left out: its HTML is not JSON, and one report
runs a dozen simulations (its own tests cover it).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import json
import math
import resource
import signal
import traceback
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.face.cli import main
from simulator.spec.design import CROSSOVER_FIELDS
from simulator.spec import (
    AdverseEvent,
    AnalysisSpec,
    DecisionSpec,
    Design,
    Dropout,
    InterimSpec,
    MetaSpec,
    Pain,
    RecruitmentSpec,
    SimulationSpec,
    default_evidence,
)

#: Cases per run, and the limits of each.
EXAMPLES = 1000
SECONDS_PER_CASE = 20
MEMORY_PER_CASE = 3 * 2**30

FLOATS = [0.0, -0.0, 5e-324, 1e-300, 1e-162, 1e-12, 1e-3, 0.01, 0.5, -0.5, 1.0, -1.0, 2.0,
          10.0, -10.0, 11.0, 1e6, 1e155, 1e300, -1e300, 1.7976931348623157e308,
          math.inf, -math.inf, math.nan]
INTEGERS = [0, 1, 2, 3, 20, 100, 100_000, 100_001, 10**9, -1, -(2**63), 2**70]
WRONG = ["x", "", True, [], [1, 2], [[[]]], {"a": 1}]
#: Nested 40 deep: past what a TOML input may hold.
DEEP: list = [1]
for _ in range(40):
    DEEP = [DEEP]
EVIDENCE_KEYS = sorted(default_evidence())
#: Mean differences with a CI: what [meta_analysis] evidence takes.
POOLED_KEYS = [k for k in EVIDENCE_KEYS if default_evidence()[k].measure == "MD"
               and default_evidence()[k].se is not None]
#: Risk ratios with a CI: what a binary [meta_analysis] takes.
RR_KEYS = [k for k in EVIDENCE_KEYS if default_evidence()[k].measure == "RR"
           and default_evidence()[k].se is not None]


# -- values -----------------------------------------------------------------------------
#
# Each section of a scenario is generated at a level: 0 leaves a small valid core as
# it is; 1 ("edge") changes up to two declared fields to values their bounds accept,
# the extremes included (5e-324, 1e-12, a dropout of 0.999999, every patient
# withdrawn after an adverse event, ...): these must complete; 2 ("wrong") also gives
# out-of-range values, wrong types, NaN and infinities: these must be named errors.


class _Strategies:
    """``hypothesis.strategies``, each strategy built once: building a strategy costs
    more than drawing from it, and the generators here ask for the same ones often."""

    def __init__(self) -> None:
        self._made: dict = {}

    def __getattr__(self, name: str):
        make = getattr(st, name)

        def cached(*args, **kwargs):
            key = (name, repr(args), repr(sorted(kwargs.items())))
            if key not in self._made:
                self._made[key] = make(*args, **kwargs)
            return self._made[key]
        return cached


S = _Strategies()


def _near(default) -> st.SearchStrategy:
    """A value of the same kind as a field's default, near it (mostly valid)."""
    if isinstance(default, bool):
        return S.booleans()
    if isinstance(default, int):
        return S.integers(max(0, default // 2), default * 2 + 2)
    if isinstance(default, float) and default != 0:
        return S.floats(min(0.5 * default, 1.5 * default), max(0.5 * default, 1.5 * default))
    return S.floats(0.0, 1.0)


def _accepted(rule, values: list) -> list:
    """The values that a field's own check accepts (its bounds' extremes among them)."""
    out = []
    for v in values:
        try:
            if rule.check is None or rule.check(v):
                out.append(v)
        except Exception:  # a check for another kind of value
            pass
    return out


@functools.lru_cache(maxsize=None)
def value_for(f: dataclasses.Field, level: int) -> st.SearchStrategy:
    """Values of one declared field: near its default or at the extremes its bounds
    accept (level 1), or also out of range and of the wrong type (level 2)."""
    rule = f.metadata.get("rule")
    default = f.default if f.default is not dataclasses.MISSING else None
    kind = rule.kind if rule else "any"
    wrong = S.sampled_from(WRONG)
    if kind == "number":
        edge = _accepted(rule, [v for v in FLOATS if math.isfinite(v)])
        near = _near(default if isinstance(default, float) else None)
        good = S.one_of(near, S.sampled_from(edge)) if edge else near
        wrong = S.one_of(wrong, S.sampled_from(FLOATS))
    elif kind == "integer":
        edge = _accepted(rule, INTEGERS)
        start = default if isinstance(default, int) and not isinstance(default, bool) else 2
        near = S.sampled_from(_accepted(rule, list(range(max(0, start // 2), 2 * start + 3)))
                              or [start])
        good = S.one_of(near, S.sampled_from(edge)) if edge else near
        wrong = S.one_of(wrong, S.sampled_from(INTEGERS))
    elif kind == "choice":
        good = S.sampled_from(rule.options)
        wrong = S.one_of(wrong, S.just("bogus"))
    elif kind == "flag":
        good = S.booleans()
    elif kind == "text":
        good = S.sampled_from(["ae1", "placebo"])
    elif kind == "numbers":
        good = S.lists(S.floats(-3, 3), max_size=4)
        wrong = S.one_of(wrong, S.lists(S.sampled_from(FLOATS), max_size=4))
    elif kind == "names":
        good = S.lists(S.sampled_from(["placebo", "low", "high", "a"]), max_size=5)
        wrong = S.one_of(wrong, S.lists(S.sampled_from(["placebo", "", " "]), max_size=3))
    else:
        good = S.sampled_from(FLOATS)
    return S.one_of(good, wrong) if level == 2 else good


def file_fields(cls) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(cls)
            if f.metadata.get("rule") is None or f.metadata["rule"].in_file}


def mutated(draw, cls, base: dict, level: int, skip: tuple[str, ...] = ()) -> dict:
    """``base`` with up to two of the class's file fields set to values of ``level``."""
    fields = {k: f for k, f in file_fields(cls).items() if k not in skip and "rule" in f.metadata
              and (level == 2 or f.metadata["rule"].kind not in ("numbers", "names"))}
    out = dict(base)
    if level:
        for key in draw(S.lists(S.sampled_from(sorted(fields)), max_size=2, unique=True)):
            out[key] = draw(value_for(fields[key], level))
    return out


# -- scenarios --------------------------------------------------------------------------


def pick(draw, level: int, plain: list, edge: list = (), wrong: list = ()):
    """One of ``plain``; at level 1 also one of ``edge``; at level 2 also of ``wrong``."""
    return draw(S.sampled_from(list(plain) + (list(edge) if level else [])
                               + (list(wrong) if level == 2 else [])))


@functools.lru_cache(maxsize=None)
def _evidence_ref(measure: str, level: int) -> st.SearchStrategy:
    keys = [k for k in EVIDENCE_KEYS if default_evidence()[k].measure == measure
            and default_evidence()[k].estimate is not None] + (["nope"] if level == 2 else [])
    return st.builds(lambda k: {"from": "evidence", "key": k}, S.sampled_from(keys))


def adverse_events(draw, level: int) -> dict:
    names = draw(S.lists(S.sampled_from(["ae1", "ae2"]), max_size=2, unique=True))
    out = {}
    for name in names:
        base = {"placebo_risk": pick(draw, level, [0.0, 0.05, 0.1, 0.2], [0.5, 1.0, 1e-300]),
                "risk_ratio": draw(S.one_of(S.sampled_from([0.5, 1.0, 2.0, 4.0]),
                                             _evidence_ref("RR", level)))}
        out[name] = mutated(draw, AdverseEvent, base, level, skip=("name",))
    return out


def dropout(draw, events: dict, level: int) -> dict:
    base: dict = {"rate": pick(draw, level, [0.0, 0.1, 0.3], [0.9, 0.999999])}
    if events and draw(S.booleans()):
        base["after_ae"] = {name: pick(draw, level, [0.0, 0.3, 1.0], [], [1.5, math.nan])
                            for name in events}
    return mutated(draw, Dropout, base, level, skip=("after_ae",))


def _meta_source(draw, level: int, binary: bool) -> dict:
    source = draw(S.sampled_from(["studies", "pooled", "evidence"]))
    if source == "studies":
        pair = S.tuples(S.floats(-3, 3), S.floats(0.05, 2))
        if level == 2:
            pair = S.lists(S.one_of(S.floats(-3, 3), S.sampled_from(FLOATS)), min_size=2,
                           max_size=2)
        rows = draw(S.lists(pair, min_size=1, max_size=4))
        if level and draw(S.integers(0, 3)) == 0:  # studies that agree exactly
            rows = [(-0.5, 0.3)] * draw(S.integers(2, 4))
        return {"studies": rows}
    if source == "pooled":
        return {"pooled": {"estimate": pick(draw, level, [-1.0, -0.3], [-10.0, 5e-324], [1e300]),
                           "se": pick(draw, level, [0.3, 0.6], [1e-3, 5.0], [1e-300, 1e200])},
                "tau2": pick(draw, level, [0.0, 0.25], [1e-12, 100.0])}
    keys = RR_KEYS if binary else POOLED_KEYS
    return {"evidence": pick(draw, level, keys, [], EVIDENCE_KEYS[:3] + WRONG),
            "tau2": pick(draw, level, [0.0, 0.25, 1.0], [1e-12])}


def meta_analysis(draw, level: int, events: dict) -> dict:
    binary = bool(events) and draw(S.integers(0, 3)) == 0  # log risk ratios of an event
    base = _meta_source(draw, level, binary)
    rules = ["settled", "ci-excludes-0", "precision", "tsa"] + ([] if binary else ["mcid"])
    base["rules"] = draw(S.lists(S.sampled_from(rules + (["bogus"] if level == 2 else [])),
                                 min_size=1, max_size=3))
    if "precision" in base["rules"]:
        base["precision"] = pick(draw, level, [0.5, 0.2], [1e-3, 10.0], [1e-300, 1e300])
    if binary:
        base.update(outcome=sorted(events)[0],
                    harm_margin=pick(draw, level, [1.5, 2.0], [1.001], [1.0, 1e300]))
    priors = (["turner"] if binary else ["rhodes"]) + ["lognormal"] + (
        ["qprofile"] if len(base.get("studies", ())) >= 2 else [])
    if draw(S.integers(0, 3)) == 0:
        base["tau2_prior"] = draw(S.sampled_from(priors))
        if base["tau2_prior"] == "lognormal":
            base.update(tau2_prior_mu=pick(draw, level, [-2.0], [-20.0], [1e300, -1e300]),
                        tau2_prior_sigma=pick(draw, level, [1.0], [1e-3, 5.0], [1e-300, 1e300]))
    if "tsa" in base["rules"] and draw(S.booleans()):
        base["tsa_alpha_spending"] = draw(S.sampled_from(["asOF", "asP", "asKD", "asHSD"]))
        base["tsa_gamma_a"] = pick(draw, level, [2.0] if base["tsa_alpha_spending"] == "asKD"
                                   else [1.0, -4.0], [], [1e300, -1e300, 0.0])
    if "studies" in base and len(base["studies"]) >= 2 and draw(S.integers(0, 2)) == 0:
        base.update(hksj=True, hksj_truncate=draw(S.booleans()))
    return mutated(draw, MetaSpec, base, level,
                   skip=("studies", "pooled", "evidence", "rules", "outcome", "harm_margin",
                         "tau2_prior", "tau2_prior_mu", "tau2_prior_sigma", "hksj",
                         "hksj_truncate", "tsa_alpha_spending", "tsa_gamma_a"))


def interim(draw, level: int) -> dict:
    """An ``[interim]`` table: two or three looks and a spending family."""
    base: dict = {"looks": pick(draw, level, [[0.5, 1.0], [0.33, 0.67, 1.0]],
                                [[1e-6, 1.0], [0.999999, 1.0]], [[0.5, 0.5, 1.0], [1.0], []]),
                  "alpha_spending": draw(S.sampled_from(["asOF", "asP", "OF", "asHSD"]))}
    if base["alpha_spending"] == "asHSD":
        base["gamma_a"] = pick(draw, level, [-4.0, 1.0], [-40.0, 40.0], [1e300, -1e300])
    return mutated(draw, InterimSpec, base, level,
                   skip=("looks", "alpha_spending", "gamma_a", "beta_spending"))


def recruitment(draw, level: int) -> dict:
    base = {"sites": pick(draw, level, [1, 3, 20], [1000], [0, 10**6, 10**9]),
            "rate_per_site_month": pick(draw, level, [0.5, 4.0], [0.01, 10_000.0],
                                        [1e-300, 1e300]),
            "deadline_months": pick(draw, level, [6.0, 24.0], [1e-3, 1200.0], [1e-300, 1e300]),
            "site_open_months": pick(draw, level, [0.0, 2.0], [1200.0],
                                     [[0.0, 1.0], -1.0, 1e308])}
    if draw(S.booleans()):
        base["chairs_per_site"] = draw(S.sampled_from([1, 2]))
    return mutated(draw, RecruitmentSpec, base, level, skip=("site_open_months",))


def decision(draw, level: int, events: dict) -> dict:
    """A ``[decision]`` table: what adopting the drug is worth, and the trial's cost."""
    base: dict = {"value_per_point": pick(draw, level, [1000.0, 0.0], [1e12], [-1.0, 1e300]),
                  "population_per_year": pick(draw, level, [3000.0], [1e-3, 1e12], [0.0, 1e300])}
    if events and draw(S.booleans()):
        base["event_weights"] = {name: pick(draw, level, [25.0, 0.0], [1e12], [-1.0, 1e300])
                                 for name in events}
    return mutated(draw, DecisionSpec, base, level, skip=("event_weights",))


SECTIONS = ("design", "pain", "adverse_events", "dropout", "analysis", "simulation",
            "meta_analysis", "interim", "recruitment", "decision", "sweep", "top")


def levels(draw) -> dict[str, int]:
    """Each section's level: all 0 (3 cases in 10), all 1 (5 in 10), or one section at 2
    and the others at 1 (2 in 10), so that most cases run and a wrong value is alone."""
    mode = draw(S.sampled_from([0, 0, 0, 1, 1, 1, 1, 1, 2, 2]))
    out = {name: min(mode, 1) for name in SECTIONS}
    if mode == 2:
        out[draw(S.sampled_from(SECTIONS))] = 2
    return out


def scenarios(draw, *, meta: bool = False, recruit: bool = False, looks: bool = False,
              value: bool = False, adaptive: bool = False) -> dict:
    """A scenario mapping: a small valid core with each section at its level (``adaptive``:
    the two-look one-sided normal-model design re-estimation needs; ``value``: an effect
    prior and a ``[decision]`` table)."""
    lv = levels(draw)
    if adaptive:
        return _adaptive_scenario(draw, lv)
    kind = "parallel" if looks or draw(S.booleans()) else draw(
        S.sampled_from(["parallel", "crossover", "multiarm"]))
    if meta and kind == "multiarm":
        kind = "parallel"
    n = S.integers(2, 120)
    design = {"kind": kind, "n_per_arm": draw(S.one_of(n, n, S.sampled_from(INTEGERS))
                                              if lv["design"] == 2 else n)}
    skip = () if kind == "crossover" else CROSSOVER_FIELDS
    if kind == "crossover":
        design["crossover_analysis"] = draw(S.sampled_from(["within", "first-period"]))
    effect = draw(S.one_of(S.sampled_from([-1.0, -0.5, 0.0, 0.8]), _evidence_ref("MD", lv["pain"]),
                            *([S.sampled_from([-10.0, 10.0, 1e-300, -1e-12])] if lv["pain"]
                              else []), *([S.sampled_from(FLOATS)] if lv["pain"] == 2 else [])))
    analyses = ["ancova", "change", "followup"] + ([] if meta else ["responder30"])
    pain = {"effect": effect, "analysis": "followup" if kind == "crossover" else
            draw(S.sampled_from(analyses))}
    fixed = ("arm_effects", "unblinding_ae", "analysis", "effect") + (
        ("effect_sd", "effect_prior") if isinstance(effect, dict) and lv["pain"] < 2 else ())
    data: dict = {"design": mutated(draw, Design, design, lv["design"],
                                    skip=skip + (("kind",) if lv["design"] < 2 else ())),
                  "pain": mutated(draw, Pain, pain, lv["pain"], skip=fixed),
                  "seed": draw(S.sampled_from([1, 7] + ([-1, 2**70] if lv["top"] == 2 else [])))}
    if kind == "multiarm" and draw(S.booleans()):
        data["pain"]["arm_effects"] = {"low": pick(draw, lv["pain"], [-0.5, 0.0], [5e-324]),
                                       "high": -1.0}
    events = adverse_events(draw, lv["adverse_events"])
    if events:
        data["adverse_events"] = events
        if kind == "parallel" and draw(S.integers(0, 3)) == 0:
            data["pain"].update(unblinding_ae=sorted(events)[0],
                                unblinding_shift=pick(draw, lv["pain"], [-0.5, 0.0], [-10.0],
                                                      [1e300]))
    if draw(S.booleans()):
        data["dropout"] = dropout(draw, events, lv["dropout"])
    if draw(S.booleans()):
        data["analysis"] = mutated(draw, AnalysisSpec, {}, lv["analysis"])
    if draw(S.integers(0, 5)) == 0:
        data["simulation"] = mutated(draw, SimulationSpec, {}, lv["simulation"])
    if meta or draw(S.integers(0, 5)) == 0:
        data["meta_analysis"] = meta_analysis(draw, lv["meta_analysis"], events)
    if looks or (kind == "parallel" and "meta_analysis" not in data
                 and draw(S.integers(0, 7)) == 0):
        data["interim"] = interim(draw, lv["interim"])
        data.pop("meta_analysis", None)  # not combined with interim analyses yet
    if recruit or (meta and draw(S.integers(0, 3)) == 0):
        data["recruitment"] = recruitment(draw, lv["recruitment"])
    if value:
        data["pain"].setdefault("effect_prior", "pooled")
        data["pain"].setdefault("effect_sd", 0.5)
        if isinstance(data["pain"]["effect"], dict):
            data["pain"].pop("effect_sd")
        data["decision"] = decision(draw, lv["decision"], events)
    if draw(S.integers(0, 7)) == 0:
        data["sweep"] = {"grid": {"pain.effect": pick(draw, lv["sweep"],
                                                      [[-1.0, -0.5], "-1:-0.5:0.25"], [],
                                                      ["0:1e308:1e-300", [], "x"])}}
    if lv["top"] == 2 and draw(S.integers(0, 3)) == 0:
        section = draw(S.sampled_from(["", "design", "pain"]))
        key = draw(S.sampled_from(["bogus", "effect_evidence", "deep"]))
        (data[section] if section else data)[key] = DEEP if key == "deep" else 1
    return data


def _adaptive_scenario(draw, lv: dict) -> dict:
    """What ``trialsim adaptive`` takes: two equal arms, two looks, a one-sided test of the
    follow-up or change score without dropout (each section at its level)."""
    design = {"n_per_arm": draw(S.integers(2, 200) if lv["design"] < 2
                                else S.sampled_from(INTEGERS))}
    pain = {"effect": pick(draw, lv["pain"], [-0.4, -1.0, 0.0], [-10.0, 1e-12], [1e300]),
            "analysis": draw(S.sampled_from(["followup", "change"]))}
    return {"design": mutated(draw, Design, design, lv["design"],
                              skip=CROSSOVER_FIELDS + ("kind", "allocation", "arms")),
            "pain": mutated(draw, Pain, pain, lv["pain"],
                            skip=("analysis", "effect", "bounded", "arm_effects",
                                  "unblinding_ae", "effect_prior", "effect_sd")),
            "analysis": {"sided": 1, "alpha": pick(draw, lv["analysis"], [0.025], [1e-10],
                                                   [0.0])},
            "interim": {"looks": pick(draw, lv["interim"], [[0.5, 1.0]], [[0.1, 1.0]],
                                      [[0.33, 0.67, 1.0]])},
            "seed": 1}


# -- TOML -------------------------------------------------------------------------------


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        text = repr(v)
        return text if any(c in text for c in ".en") else text + ".0"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(x)}"
                               for k, x in v.items()) + "}"
    raise TypeError(type(v))


def toml_text(data: dict) -> str:
    return "".join(f"{json.dumps(k)} = {toml_value(v)}\n" for k, v in data.items())


# -- command lines ----------------------------------------------------------------------

def flag(draw, odd: bool, plain: list[str], extreme: list[str]) -> str:
    """A flag's value: one of ``plain``, or with ``odd`` also one of ``extreme``."""
    return draw(S.sampled_from(plain + (extreme if odd else [])))


@st.composite
def command(draw, folder: Path) -> list[str]:
    """A command line: a verb, its scenario (or table) and its flags; the flags take
    odd values (out of range, not numbers) in about one case in six."""
    verb = draw(S.sampled_from(["validate", "run", "run", "run", "curve", "size", "resolve",
                                 "boundaries", "recruit", "sweep", "meta", "evidence", "value",
                                 "adaptive"]))
    odd = draw(S.integers(0, 5)) == 0
    out = "-"  # stdout: a file would be fsynced, which costs more than most cases
    if verb == "meta":
        return _meta_command(draw, folder, out, odd)
    if verb == "evidence":
        return ["evidence", "show", flag(draw, odd, EVIDENCE_KEYS[:5], ["nope"]), "--json", out]
    data = scenarios(draw, meta=verb == "resolve", recruit=verb == "recruit",
                     looks=verb == "boundaries", value=verb == "value",
                     adaptive=verb == "adaptive")
    if verb == "recruit" and isinstance(data["design"].get("n_per_arm"), int):
        # every patient's timeline is simulated (simpy: ~15 us each): keep it small here
        data["design"]["n_per_arm"] = min(data["design"]["n_per_arm"], 2000)
    path = folder / "scenario.toml"
    path.write_text(toml_text(data))
    sims = ["--n-sims", flag(draw, odd, ["50"], ["2", "1", "0", "-3", "10000000000", "x"])]
    if verb == "validate":
        return ["validate", str(path)]
    if verb == "boundaries":
        return ["boundaries", str(path), "--paths", flag(draw, odd, ["5"], ["0", "10000000"]),
                "--json", out]
    if verb == "adaptive":
        return ["adaptive", str(path),
                "--n-sims", flag(draw, odd, ["200"], ["1", "10000000000"]),
                "--max-factor", flag(draw, odd, ["2", "1", "10"], ["1e300", "nan", "0.5"]),
                "--cp-min", flag(draw, odd, ["0.36"], ["nan", "0"]),
                "--cp-target", flag(draw, odd, ["0.8"], ["2", "0.1"]), "--json", out]
    if verb == "recruit":
        reps = ["--reps", flag(draw, odd, ["20"], ["1", "10000000"])]
        if draw(S.integers(0, 2)) == 0:  # the sites or months that finish by the deadline
            return ["recruit", str(path), "--solve", draw(S.sampled_from(["sites", "months"])),
                    "--probability", flag(draw, odd, ["0.8"], ["1", "0", "nan"]), *reps,
                    "--json", out]
        return ["recruit", str(path), *reps, *sims, "--json", out]
    common = [*sims, "--quiet", "--jobs", flag(draw, odd, ["1"], ["0", "100000"])]
    return [verb, str(path), *_verb_flags(draw, verb, odd, data), *common,
            *(["--out", str(folder / "sweep.csv")] if verb == "sweep" else ["--json", out])]


def _metrics(data: dict) -> list[str]:
    """The --metric values the scenario can be asked for."""
    out = ["power", "power", "power_benefit"]
    if "meta_analysis" in data:
        out.append("conclusive")
    if "ae1" in data.get("adverse_events", {}):
        out.append("harm:ae1")
    if isinstance(data["pain"].get("effect"), dict) or data["pain"].get("effect_prior"):
        out.append("assurance")
    return out


def _verb_flags(draw, verb: str, odd: bool, data: dict) -> list[str]:
    if verb == "run":
        return ["--path", flag(draw, odd, ["auto", "auto", "aggregate", "patient"], [])]
    if verb == "curve":
        return ["--n", flag(draw, odd, ["10,40", "2:30:14", "5"],
                            ["1:3:1", "100000,100001", "1:10000000:1", "3,x"])]
    if verb == "size":
        metric = flag(draw, odd, _metrics(data), ["bogus", "assurance", "harm:ae1",
                                                  "conclusive"])
        return ["--target", flag(draw, odd, ["0.8", "0.9", "0.05", "0.999999"],
                                 ["1", "0", "-1", "nan", "inf"]),
                "--metric", metric, "--n-max", flag(draw, odd, ["300"], ["1", "1000000000"]),
                "--n-tolerance", flag(draw, odd, ["0.5"], ["0", "1e-300", "nan"]),
                "--size-on", draw(S.sampled_from(["drug", "observed"]))]
    if verb == "resolve":
        # a target's reachability integrates the closed forms over tau^2 at 40 sizes when
        # tau^2 is drawn (seconds, not a fault): solved here only with tau^2 held
        held = data.get("meta_analysis", {}).get("tau2_prior", "fixed") == "fixed"
        when = []  # when the review is settled, with [recruitment]: 20 timelines a future
        if "recruitment" in data:
            when = ["--time-reps", flag(draw, odd, ["20"], ["1"])]
            if draw(S.booleans()):
                when += ["--sites", flag(draw, odd, ["2,4", "3"], ["0", "x", "100000"]),
                         "--by", flag(draw, odd, ["24"], ["-1", "nan", "1e300"])]
        return when + draw(S.sampled_from(
            [[], ["--trials", "2"], ["--n", "20,40"],
             ["--rule", "settled", "--rule", "ci-excludes-0"]]
            + ([["--target", "0.8"]] if held else [])
            + ([["--trials", "0"], ["--trials", "1000"]] if odd else [])))
    if verb == "value":
        return ["--n", flag(draw, odd, ["20,40", "10", "2:30:14"], ["1:3:1", "3,x"]),
                *draw(S.sampled_from([["--trials", "1"], ["--trials", "2"],
                                      ["--max-trials", "2"]]
                                     + ([["--trials", "0"], ["--max-trials", "1000"]]
                                        if odd else []))),
                "--bootstraps", flag(draw, odd, ["0", "20"], ["-1", "100000000"])]
    solve = (["--target", flag(draw, odd, ["0.8"], ["2", "nan"]), "--n-max",
              flag(draw, odd, ["300"], ["1", "1000000000"])]
             if draw(S.integers(0, 3)) == 0 else [])
    return ["--grid", flag(draw, odd, ["pain.effect=-1,-0.5", "design.n_per_arm=20:40:20"],
                           ["pain.sd=0:1e308:1e-300", "pain.sd=1e-300,2"]), *solve]


def _meta_command(draw, folder: Path, out: str, odd: bool) -> list[str]:
    estimate = S.one_of(S.floats(-3, 3), S.sampled_from([0.0, 1e-300, -1e200, 1e300]))
    se = S.one_of(S.floats(0.01, 2), S.sampled_from([5e-324, 1e-300, 1e-12, 1e200, 1e300]))
    if odd:
        estimate = se = S.one_of(S.floats(-3, 3), S.sampled_from(FLOATS))
    rows = draw(S.lists(S.tuples(estimate, se), min_size=1 - odd, max_size=5))
    if draw(S.integers(0, 3)) == 0:  # identical studies
        rows = [(-0.5, 0.2)] * draw(S.integers(2, 4))
    path = folder / "studies.csv"
    bom = "\ufeff" if draw(S.booleans()) else ""
    path.write_text(bom + "estimate,se\n" + "".join(f"{a!r},{b!r}\n" for a, b in rows))
    flags = draw(S.sampled_from([[], ["--hksj"], ["--hksj", "--method", "fixed"],
                                  ["--hksj-truncate"], ["--hksj-modified", "--method", "dl"],
                                  ["--method", "pm"], ["--alpha", "1e-10"]]
                                 + ([["--alpha", "1e-300"]] if odd else [])))
    return ["meta", str(path), *flags, "--json", out]


# -- the check --------------------------------------------------------------------------


#: (verb, exit status, last line of stderr) of every case run, for a summary.
OUTCOMES: list[tuple[str, object, str]] = []


class OverTime(BaseException):
    """A case ran past its time limit (not an Exception: main must not catch it)."""


def _alarm(signum, frame):
    raise OverTime(f"over {SECONDS_PER_CASE} s")


@contextlib.contextmanager
def limits():
    """A time limit (SIGALRM) and an address-space limit for one case."""
    old_handler = signal.signal(signal.SIGALRM, _alarm)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    used = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
    cap = used + MEMORY_PER_CASE
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY
                                            else min(cap, hard), hard))
    signal.setitimer(signal.ITIMER_REAL, SECONDS_PER_CASE)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        signal.signal(signal.SIGALRM, old_handler)


def strict(text: str):
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")
    return json.loads(text, parse_constant=refuse)


def run_case(argv: list[str]) -> str | None:
    """Run one command line; None when its outcome is acceptable, else what is wrong."""
    out, err = io.StringIO(), io.StringIO()
    with warnings.catch_warnings(record=True) as caught, limits():
        warnings.simplefilter("always")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse: exit 2 with its usage line
                code = exc.code
            except Exception:  # a traceback: what the test is for
                return f"traceback:\n{traceback.format_exc()[-3000:]}"
    stderr = err.getvalue()
    OUTCOMES.append((argv[0], code, stderr.strip().splitlines()[-1][:160] if stderr.strip()
                     else ""))
    if caught:
        return f"warning: {caught[0].category.__name__}: {caught[0].message}"
    lines = stderr.strip().splitlines()
    if lines and lines[0].startswith("usage:"):  # argparse: its usage, then one named line
        lines = lines[-1:]
    if code == 2 or (code == 3 and "--json" not in argv):
        named = len(lines) == 1 and lines[0].startswith("trialsim")
        return None if named else f"exit {code} without one named line: {stderr[-2000:]}"
    if code not in (0, 3):
        return f"exit {code}: {stderr[-2000:]}"
    if code == 3 and not (lines and lines[-1].startswith("trialsim: cannot solve")):
        return f"exit 3 without a reason: {stderr[-2000:]}"
    if "--json" in argv:  # a result (resolve writes one also for an unreachable target)
        text = out.getvalue()
        if not text.strip():
            return None if code == 3 else "no JSON written"
        try:
            strict(text)
        except ValueError as exc:
            return f"JSON not strict: {exc}"
    if argv[0] == "sweep" and code == 0:  # the store's rows and settings
        store = Path(argv[argv.index("--out") + 1])
        for path in (store.with_suffix(".jsonl"), *store.parent.glob("*.json")):
            try:
                for line in path.read_text().splitlines() if path.suffix == ".jsonl" \
                        else [path.read_text()]:
                    strict(line)
            except ValueError as exc:
                return f"{path.name} not strict JSON: {exc}"
    return None


@pytest.mark.fuzz
@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc (Linux)")
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck), print_blob=False)
@given(data=st.data())
def test_every_command_ends_in_a_result_or_a_named_error(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("case")
    argv = data.draw(command(folder), label="argv")
    problem = run_case(argv)
    scenario = folder / "scenario.toml"
    shown = scenario.read_text() if scenario.exists() else ""
    assert problem is None, f"{argv}:\n{shown}\n{problem}"
