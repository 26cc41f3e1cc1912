"""``trialsim report``: one self-contained HTML report a grant panel and an
ethics committee can read, on screen or printed to PDF.

:func:`~.gather.gather_report` asks the planning and ops layers for every
number (the report computes none); :func:`render_report` lays them out:
the question and the protocol's sample-size paragraph, the inputs with their
sources, the evidence and its warnings, power, harms, the sensitivity to
dropout, the estimand and unblinding, and, where the scenario has them, the
review's update, recruitment, interim analyses and the value of the next
trial (with a ``[decision]`` table); then a reproducibility
block. Figures are inline SVG, styles inline, nothing is fetched (see
:mod:`.html`).
"""

from __future__ import annotations

from ..._version import __version__
from .gather import ReportData, gather_report
from .html import page
from .inputs import field_sources, inputs_html
from .paragraph import question_html, sample_size_html
from .sections import evidence_html, harms_html, power_html, sensitivity_html
from .sections_more import interim_html, recruitment_html, reproducibility_html, resolve_html
from .sections_value import value_html

__all__ = ["ReportData", "gather_report", "render_report", "report_sections"]


def report_sections(data: ReportData) -> list[tuple[str, str, str]]:
    """The report's sections, (id, title, body HTML), those the scenario has.

    Parameters
    ----------
    data : ReportData

    Returns
    -------
    list of (str, str, str)
    """
    s = data.scenario
    sources = field_sources(s, data.overrides)
    out = [("question", "The question and the sample size",
            question_html(data) + sample_size_html(data, sources)),
           ("inputs", "Inputs and where they came from", inputs_html(s, sources)),
           ("evidence", "The evidence used", evidence_html(data)),
           ("power", "Power", power_html(data))]
    if data.result.adverse_events:
        out.append(("harms", "Detecting harm", harms_html(data)))
    out.append(("sensitivity", "Dropout, estimands and unblinding", sensitivity_html(data)))
    if data.review is not None:
        out.append(("resolve", "Resolving the review", resolve_html(data)))
    if data.recruitment is not None:
        out.append(("recruitment", "Recruitment", recruitment_html(data)))
    if data.boundaries is not None:
        out.append(("interim", "Interim analyses", interim_html(data)))
    if data.value is not None:
        out.append(("value", "Is the next trial worth running?", value_html(data)))
    out.append(("reproducibility", "Reproducibility", reproducibility_html(data)))
    return out


def render_report(data: ReportData) -> str:
    """The report as one HTML document.

    Parameters
    ----------
    data : ReportData

    Returns
    -------
    str
    """
    subtitle = (f"Trial simulation report by trialsim {__version__}, "
                f"{data.provenance.created}: {data.n_sims:,} simulated trials per run, "
                f"seed {data.seed}")
    return page(f"{data.scenario.name}: trial simulation report", subtitle,
                report_sections(data))
