"""The back test's cases: CLI commands at fixed seeds whose JSON output is stored.

Every case is a ``trialsim`` command line that writes JSON (``{out}`` is
replaced by a file in a temporary folder). ``regenerate.py`` stores the
outputs in ``outputs/``; ``tests/test_backtest.py`` runs the same commands
and compares. A refactor keeps every output identical; a commit that
changes numbers on purpose regenerates them and says why.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTPUTS = Path(__file__).resolve().parent / "outputs"
SCENARIOS = sorted(p.name for p in (ROOT / "scenarios").glob("*.toml"))

#: Keys that record time or the machine, not the numbers.
VOLATILE = frozenset({"elapsed", "elapsed_s", "seconds", "created", "worker_processes"})

#: Keys of an output's ``provenance`` that record the run, not the numbers: the
#: version, the command line (it names a temporary file), the time, the
#: interpreter's versions and the scenario file's hash (a comment changes it).
#: What is left (the scenario file, seed and n_sims) is compared.
PROVENANCE_VOLATILE = frozenset({"trialsim_version", "command", "created", "python", "numpy",
                                 "scipy", "scenario_sha256"})


def _run(scenario: str, *extra: str) -> list[str]:
    folder = "tests/backtest" if scenario == FIXED else "scenarios"
    return ["run", f"{folder}/{scenario}", "--n-sims", "2000", "--seed", "7", "--quiet",
            "--json", "{out}", *extra]


#: The built-in resolve scenario as it was with a fixed true effect (the normal
#: aggregate path's cases, and the resolve cases, run it).
FIXED = "resolve_fixed_effect.toml"


CASES: dict[str, list[str]] = {
    **{f"run-{name.removesuffix('.toml')}": _run(name) for name in SCENARIOS},
    # Paths and estimands no shipped scenario uses (the refactor must keep them too).
    "run-flagship-j2r": ["run", "scenarios/ketamine_iv_parallel.toml", "--n-sims", "300",
                         "--seed", "7", "--quiet", "--json", "{out}",
                         "--set", "analysis.estimand=treatment-policy-j2r",
                         "--set", "analysis.imputations=5"],
    "run-flagship-bocf": _run("ketamine_iv_parallel.toml",
                              "--set", "analysis.estimand=treatment-policy-bocf"),
    "run-flagship-mar": _run("ketamine_iv_parallel.toml", "--set", "dropout.mechanism=mar",
                             "--set", "dropout.slope=0.4"),
    "run-flagship-mnar": _run("ketamine_iv_parallel.toml", "--set", "dropout.mechanism=mnar",
                              "--set", "dropout.slope=-0.3"),
    "run-flagship-composite": _run("ketamine_iv_parallel.toml",
                                   "--set", "pain.analysis=responder30",
                                   "--set", "analysis.estimand=composite"),
    "run-flagship-patient-normal": _run(FIXED, "--path", "patient"),
    "run-normal-welch-change": _run(FIXED, "--set", "analysis.test=welch",
                                    "--set", "pain.analysis=change"),
    "run-normal-ancova-dropout": _run(FIXED,
                                      "--set", "pain.analysis=ancova",
                                      "--set", "dropout.rate=0.15"),
    "run-crossover-first-period": _run("dextromethorphan_crossover.toml",
                                       "--set", "design.crossover_analysis=first-period",
                                       "--set", "pain.analysis=ancova"),
    "run-flagship-blocks": ["run", "scenarios/ketamine_iv_parallel.toml", "--n-sims", "5000",
                            "--seed", "7", "--quiet", "--json", "{out}"],
    "run-aggregate-blocks": ["run", f"tests/backtest/{FIXED}", "--n-sims", "70000",
                             "--seed", "7", "--quiet", "--json", "{out}"],
    "curve-interim": ["curve", "scenarios/ketamine_iv_interim.toml", "--n", "60:180:60",
                      "--n-sims", "500", "--seed", "7", "--quiet", "--json", "{out}"],
    "boundaries-interim": ["boundaries", "scenarios/ketamine_iv_interim.toml", "--json", "{out}"],
    "curve-flagship": ["curve", "scenarios/ketamine_iv_parallel.toml", "--n", "40:200:40",
                       "--n-sims", "1000", "--seed", "7", "--quiet", "--json", "{out}"],
    "curve-aggregate": ["curve", f"tests/backtest/{FIXED}", "--n", "20:200:30",
                        "--n-sims", "2000", "--seed", "7", "--quiet", "--json", "{out}"],
    "curve-multiarm": ["curve", "scenarios/ketamine_oral_doses.toml", "--n", "50,100",
                       "--n-sims", "500", "--seed", "7", "--quiet", "--json", "{out}"],
    "size-flagship": ["size", "scenarios/ketamine_iv_parallel.toml", "--target", "0.8",
                      "--n-sims", "500", "--seed", "7", "--quiet", "--json", "{out}"],
    "size-aggregate": ["size", f"tests/backtest/{FIXED}", "--target", "0.9",
                       "--n-sims", "2000", "--seed", "7", "--quiet", "--json", "{out}"],
    "size-unblinding": ["size", "scenarios/ketamine_iv_active_placebo.toml", "--n-sims", "500",
                        "--seed", "7", "--quiet", "--json", "{out}"],
    "size-harm": ["size", "scenarios/ketamine_iv_parallel.toml", "--metric",
                  "harm:psychotomimetic", "--target", "0.9", "--n-sims", "500", "--seed", "7",
                  "--quiet", "--json", "{out}"],
    "resolve": ["resolve", f"tests/backtest/{FIXED}", "--trials", "2", "--n-sims",
                "500", "--seed", "7", "--quiet", "--json", "{out}"],
    "resolve-settled": ["resolve", "scenarios/ketamine_iv_resolve.toml", "--n-sims", "500",
                        "--seed", "7", "--quiet", "--json", "{out}"],
    "value": ["value", "scenarios/ketamine_iv_value.toml", "--n", "20,40,80", "--n-sims",
              "2000", "--seed", "7", "--quiet", "--json", "{out}"],
    "value-closed-form": ["value", f"tests/backtest/{FIXED}", "--n", "20,60",
                          "--n-sims", "2000", "--seed", "7", "--quiet", "--json", "{out}",
                          "--set", "pain.analysis=followup", "--set", "pain.effect_prior=pooled",
                          "--set", "pain.effect_sd=0.5", "--set", "decision.value_per_point=500",
                          "--set", "decision.population_per_year=2000",
                          "--set", "decision.treatment_cost=300",
                          "--set", "decision.trial_cost_per_patient=1000"],
    "resolve-studies": ["resolve", "tests/backtest/resolve_studies.toml", "--n-sims", "300",
                        "--seed", "7", "--quiet", "--json", "{out}"],
    "recruit": ["recruit", "scenarios/ketamine_iv_recruitment.toml", "--reps", "40",
                "--n-sims", "300", "--seed", "7", "--json", "{out}"],
    "sweep": ["sweep", "scenarios/ketamine_iv_parallel.toml", "--grid",
              "design.n_per_arm=60,120", "--grid", "pain.effect=-1.0,-0.5", "--n-sims", "300",
              "--seed", "7", "--quiet", "--out", "{out}"],
}


def clean(value):
    """The output without volatile keys (timing, process counts, the run's provenance)."""
    if isinstance(value, dict):
        out = {k: clean(v) for k, v in value.items() if k not in VOLATILE}
        if isinstance(out.get("provenance"), dict):
            out["provenance"] = {k: v for k, v in out["provenance"].items()
                                 if k not in PROVENANCE_VOLATILE}
        return out
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def read_output(verb: str, out: Path):
    """The JSON a case wrote (a sweep: the rows of its JSON Lines store)."""
    if verb == "sweep":
        lines = out.with_suffix(".jsonl").read_text().splitlines()
        return clean([json.loads(line) for line in lines])
    return clean(json.loads(out.read_text()))
