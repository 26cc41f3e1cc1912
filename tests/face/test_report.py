"""``trialsim report``: one self-contained HTML file with every section the
scenario has, a sample-size paragraph whose numbers are the run's, and a
reproducibility block whose command makes the same numbers again."""

from __future__ import annotations

import hashlib
import html
import re
import shlex
from html.parser import HTMLParser

import pytest
from conftest import ROOT

from simulator import load_scenario, simulate
from simulator.face.cli import main
from simulator.face.report.inputs import file_notes

FLAGSHIP = ROOT / "scenarios" / "ketamine_iv_parallel.toml"
N_SIMS, SEED = "300", "5"


class Page(HTMLParser):
    """Every element with its attributes, and the text, of an HTML document."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.style = ""
        self.texts: list[str] = []
        self._in_style = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.style += data
        else:
            self.texts.append(data)

    def ids(self) -> set[str]:
        return {a["id"] for _, a in self.elements if a.get("id")}


def _report(tmp_path, scenario=FLAGSHIP, n_sims=N_SIMS, *extra: str) -> str:
    out = tmp_path / "report.html"
    assert main(["report", str(scenario), "--out", str(out), "--n-sims", n_sims, "--seed", SEED,
                 "--quiet", *extra]) == 0
    return out.read_text()


@pytest.fixture(scope="module")
def flagship(tmp_path_factory):
    return _report(tmp_path_factory.mktemp("flagship"))


def _paragraph(text: str) -> tuple[dict[str, str], str]:
    tag = re.search(r'<p id="sample-size-paragraph"([^>]*)>(.*?)</p>', text, re.S)
    attrs = dict(re.findall(r'data-([\w-]+)="([^"]*)"', tag.group(1)))
    return attrs, html.unescape(re.sub(r"<[^>]+>", "", tag.group(2)))


def test_the_report_is_one_file_with_no_external_reference(flagship):
    page = Page(flagship)
    tags = {t for t, _ in page.elements}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed", "base"}
    for tag, attrs in page.elements:
        assert "src" not in attrs, (tag, attrs)
        for name in ("href", "xlink:href"):
            if name in attrs:
                assert attrs[name].startswith("#"), (tag, attrs)
        for name, value in attrs.items():
            if name != "content":  # the CSP meta: default-src 'none'
                assert "http" not in (value or "") and "url(" not in (value or "").replace(
                    "url(#", ""), (tag, name, value)
    assert "@import" not in page.style and "url(" not in page.style
    csp = [a for t, a in page.elements if a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]["content"]
    # "http" appears only where the evidence table cites a source, as text
    assert flagship.count("http") == sum(t.count("http") for t in page.texts) + 1  # + http-equiv


def test_the_flagship_report_has_every_section_and_figure(flagship):
    ids = Page(flagship).ids()
    for section in ("question", "sample-size-paragraph", "inputs", "evidence", "power", "harms",
                    "sensitivity", "reproducibility", "fig-power", "fig-harms"):
        assert section in ids, section
    assert not ids & {"resolve", "recruitment", "interim"}  # the flagship has none of them
    assert flagship.count("<svg") == 2 and "Estimands side by side" in flagship


def test_the_sample_size_paragraph_names_its_numbers_and_they_are_the_runs(flagship):
    attrs, text = _paragraph(flagship)
    run = simulate(load_scenario(FLAGSHIP), n_sims=int(N_SIMS), seed=int(SEED))
    assert float(attrs["power"]) == run.power.value and float(attrs["power-se"]) == run.power.se
    assert attrs["n-per-arm"] == "135" and attrs["seed"] == SEED and attrs["n-sims"] == N_SIMS
    for words in (
            "randomise 135 patients to placebo and 135 to ketamine (270 in total)",
            "analysis of covariance (ANCOVA)", "two-sided significance level of 0.05",
            "true difference of -1.0 NRS points (ketamine minus placebo; scenario file: The "
            "effect worth detecting", "OMERACT 12",
            "standard deviation of 2.5 points at follow-up (scenario file: (d1) follow-up SD, "
            "PROPOSED from 2.43-2.8 (b))",
            f"this gives {100 * run.power.value:.1f} % power",
            f"Monte Carlo standard error {100 * run.power.se:.2f} %",
            f"closed-form approximation {100 * run.analytic_power:.1f} %",
            "11 % dropout completely at random (scenario file: Walters 2017",
            "a further 30 % of patients with psychotomimetic events",
            "patients who withdraw are not analysed (hypothetical estimand",
            " and ".join(f"{c:.1f}" for c in run.mean_completers) + " patients per arm",
            f"{int(N_SIMS):,} simulated trials", "trialsim 0.1.0 (seed 5)"):
        assert words in text, words


def test_inputs_list_every_field_with_unit_and_source(flagship):
    text = html.unescape(re.sub(r"<[^>]+>", "|", flagship))
    assert "pain.sd||SD of the follow-up score||2.5||NRS points||set in the scenario: (d1)" in text
    assert ("adverse_events.nausea_vomiting.risk_ratio||risk ratio of nausea_vomiting||3.97||||"
            "evidence ketamine-any/ae-gi/moradi") in text
    assert "design.within_correlation" not in text  # a crossover's field, unused here
    assert "dropout.mechanism||dropout mechanism||'mcar'||||default" in text


def test_evidence_shows_tags_and_the_warnings_the_cli_prints(flagship, tmp_path, capsys):
    assert "ketamine-any/ae-gi/moradi" in flagship and "verified, missing" in flagship
    assurance = ROOT / "scenarios" / "ketamine_iv_assurance.toml"   # weak evidence, 'immediate'
    page = _report(tmp_path, assurance, "100")
    capsys.readouterr()
    assert main(["run", str(assurance), "--n-sims", "100", "--quiet"]) == 0
    cli = capsys.readouterr().out
    warnings = [line.strip() for line in cli.splitlines() if "WARNING" in line]
    assert len(warnings) == 3   # secondary numbers; the window; the 0-100 scale (issue 16, 7)
    assert any("evidence window:" in w for w in warnings)
    assert any("evidence scale:" in w for w in warnings)
    for warning in warnings:
        assert html.escape(warning, quote=True) in page
    assert "ketamine-iv/pain/immediate" in page and "secondary, missing" in page


def test_the_reproducibility_block_reruns_to_the_same_numbers(flagship, tmp_path):
    sha = hashlib.sha256(FLAGSHIP.read_bytes()).hexdigest()
    assert sha in flagship
    command = html.unescape(re.search(r"<pre>(.*?)</pre>", flagship, re.S).group(1))
    argv = shlex.split(command)
    assert argv[:2] == ["trialsim", "report"] and "--seed" in argv
    again = tmp_path / "again.html"
    argv[argv.index("--out") + 1] = str(again)
    assert main(argv[1:] + ["--quiet"]) == 0
    assert _paragraph(again.read_text())[0] == _paragraph(flagship)[0]


def test_an_interim_scenario_gets_the_interim_section(tmp_path):
    page = Page(_report(tmp_path, ROOT / "scenarios" / "ketamine_iv_interim.toml", "100"))
    assert {"interim", "fig-boundaries", "power"} <= page.ids()
    assert "P(stop for efficacy)" in "".join(page.texts)


def test_a_decision_table_gets_the_value_section(tmp_path):
    scenario = tmp_path / "value.toml"  # cheap: no dropout, no recruitment
    scenario.write_text(
        'name = "value"\n[design]\nn_per_arm = 60\n'
        '[pain]\neffect = -0.8\neffect_sd = 0.5\neffect_prior = "pooled"\n'
        'analysis = "followup"\n'
        '[decision]\nunit = "GBP"\nvalue_per_point = 500.0\ntreatment_cost = 300.0\n'
        'population_per_year = 2000\ntrial_cost_per_patient = 1000.0\n')
    page = Page(_report(tmp_path, scenario, "400"))
    assert {"value", "fig-value", "inputs"} <= page.ids()
    text = "".join(page.texts)
    assert "value judgements of the decision maker" in text
    assert "perfect information (EVPI)" in text and "Monte Carlo range of the argmax" in text
    assert "decision.value_per_point" in text  # the inputs table lists the decision too


def test_bad_flags_exit_2_before_any_work(tmp_path, capsys):
    assert main(["report", str(FLAGSHIP), "--out", str(FLAGSHIP)]) == 2
    assert "is the scenario file of this run" in capsys.readouterr().err
    assert main(["report", str(FLAGSHIP), "--out", str(tmp_path / "r.html"),
                 "--target", "1.5"]) == 2
    assert "--target 1.5: must be a probability in (0, 1)" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_file_notes_take_inline_continued_and_block_comments():
    notes = file_notes('name = "x"  # the name\n[pain]\n# worth detecting,\n# moderate-\n'
                       '# certainty\neffect = -1.0\nsd = 2.5  # PROPOSED "#2"\n'
                       '      # from 2.4\n\n[adverse_events.n]  # header\nrisk = 2\n')
    assert notes == {"name": "the name", "pain.effect": "worth detecting, moderate-certainty",
                     "pain.sd": 'PROPOSED "#2" from 2.4', "adverse_events.n": "header"}


@pytest.mark.parametrize("scenario, words", [
    ("dextromethorphan_crossover.toml", ["then placebo, a 2x2 crossover",
                                         "period-adjusted within-patient comparison",
                                         "correlation of 0.7 between a patient's two periods",
                                         "evidence table: dextromethorphan-oral/pain/"]),
    ("ketamine_oral_doses.toml", ["with Dunnett's adjustment for multiplicity",
                                  "true differences of -0.5 (low_dose) and -1.0 (high_dose)",
                                  "that at least one comparison rejects", "each arm: low_dose"]),
    ("ketamine_iv_assurance.toml", ["averaged over the predictive prior of the effect",
                                    "(assurance) is"]),
])
def test_the_paragraph_speaks_of_crossovers_several_arms_and_assurance(scenario, words,
                                                                       tmp_path):
    _, text = _paragraph(_report(tmp_path, ROOT / "scenarios" / scenario, "60"))
    for w in words:
        assert w in text, w
