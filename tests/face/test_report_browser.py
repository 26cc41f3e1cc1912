"""The report in a real browser: headless Chromium loads it without a console
message (the page has no script, so any message is a problem: a blocked load,
a parse error), every section and figure is in the DOM it builds, it prints to
PDF with a page per section at least, and a screenshot is saved.

Chromium is driven by its command line (``--dump-dom``, ``--screenshot``,
``--print-to-pdf``, console messages on stderr with ``--enable-logging``).
Where Chromium is not installed the tests are skipped, except in CI (``CI``
set), where ``.ci/run`` installs it and its absence is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from conftest import ROOT

from simulator.face.cli import main

SCENARIOS = {
    "flagship": ("ketamine_iv_parallel.toml",
                 ["question", "sample-size-paragraph", "inputs", "evidence", "power", "harms",
                  "sensitivity", "reproducibility", "fig-power", "fig-harms"]),
    "resolve": ("ketamine_iv_resolve.toml",
                ["question", "sample-size-paragraph", "inputs", "evidence", "power",
                 "sensitivity", "resolve", "recruitment", "reproducibility", "fig-power",
                 "fig-resolve", "fig-enrolment"]),   # [recruitment] since issue 16 item 8
    "recruitment": ("ketamine_iv_recruitment.toml",
                    ["question", "sample-size-paragraph", "inputs", "evidence", "power",
                     "harms", "sensitivity", "recruitment", "reproducibility", "fig-power",
                     "fig-harms", "fig-enrolment", "fig-chairs"]),
}


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("Chromium is not installed, and CI must run the browser test: .ci/run "
                    "installs Debian's chromium package")
    pytest.skip("Chromium is not installed (apt-get install chromium); CI runs this test")


def _browse(chromium: str, tmp_path, *action: str) -> subprocess.CompletedProcess:
    """One headless Chromium run with its own profile (tests run in parallel)."""
    argv = [chromium, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
            "--disable-extensions", "--disable-background-networking",
            f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
            *action]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_report_opens_in_chromium_with_every_section(name, tmp_path):
    chromium = _chromium()
    scenario, expected = SCENARIOS[name]
    report = tmp_path / f"{name}.html"
    assert main(["report", str(ROOT / "scenarios" / scenario), "--out", str(report),
                 "--n-sims", "100", "--seed", "3", "--quiet"]) == 0
    url = report.resolve().as_uri()
    dom = _browse(chromium, tmp_path, "--dump-dom", url)
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
    assert not console, "\n".join(console)
    ids = set(re.findall(r'\bid="([^"]+)"', dom.stdout))
    missing = [i for i in expected if i not in ids]
    assert not missing, f"not in the DOM Chromium built: {missing}"
    figures = [i for i in expected if i.startswith("fig-")]
    assert dom.stdout.count("<svg") == len(figures)
    shot = tmp_path / f"{name}.png"
    _browse(chromium, tmp_path, f"--screenshot={shot}", "--window-size=1200,3000", url)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
    pdf = tmp_path / f"{name}.pdf"
    _browse(chromium, tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", url)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    sections = len(re.findall(r'<section class="report"', report.read_text()))
    assert pages >= sections  # the print stylesheet starts each section on a new page


def test_a_console_message_is_caught(tmp_path):
    """The check can fail: a page that loads a missing file logs a console message."""
    chromium = _chromium()
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><meta http-equiv="Content-Security-Policy" '
                    "content=\"default-src 'none'\"><img src=\"missing.png\">")
    dom = _browse(chromium, tmp_path, "--dump-dom", page.resolve().as_uri())
    assert any(":CONSOLE" in line for line in dom.stderr.splitlines())
