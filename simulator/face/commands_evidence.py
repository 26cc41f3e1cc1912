"""The evidence verbs: ``evidence`` (list the evidence table or show one entry
with its sources) and ``meta`` (fit a meta-analysis of a study table). Each
returns the exit status."""

from __future__ import annotations

import argparse

from ..analysis.metaanalysis import pool_studies
from ..errors import ScenarioError
from ..spec.bounds import MIN_ALPHA
from ..spec.evidence import default_evidence
from .flags import evidence_table
from .inputs import read_studies
from .output import emit_json
from .provenance import provenance_of
from .tables_evidence import format_entry, format_evidence_list, format_meta

__all__ = ["cmd_evidence", "cmd_meta"]


def cmd_evidence(args: argparse.Namespace) -> int:
    """``trialsim evidence [list | show KEY]``.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        The exit status (0).
    """
    table = evidence_table(args) or default_evidence()
    if args.action == "show":
        if not args.key:
            raise ScenarioError("trialsim evidence show: give an entry KEY")
        entry = table.lookup(args.key, where="trialsim evidence show")
        if args.json:  # the entry has a "provenance" of its own: the run's goes beside it
            emit_json(args.json, {"entry": entry.to_dict()}, provenance_of(args))
        if args.json != "-":
            print(format_entry(entry))
        return 0
    if args.json:  # an object, so that it can carry its provenance
        emit_json(args.json, {"entries": [e.to_dict() for e in table.values()]},
                  provenance_of(args))
    if args.json != "-":
        print(format_evidence_list(table))
    return 0


def cmd_meta(args: argparse.Namespace) -> int:
    """``trialsim meta``: fit a meta-analysis of a study table.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        The exit status (0).
    """
    if not MIN_ALPHA <= args.alpha < 0.5:
        raise ScenarioError(f"--alpha {args.alpha}: must be in [{MIN_ALPHA:g}, 0.5)")
    y, se = read_studies(args.file)
    hksj = args.hksj or args.hksj_truncate
    try:
        fit = pool_studies(y, se, method=args.method, hksj=hksj, hksj_truncate=args.hksj_truncate,
                           alpha=args.alpha)
    except ScenarioError as exc:
        raise ScenarioError(f"{args.file}: {exc}") from None
    if args.json:
        emit_json(args.json, fit.to_dict(), provenance_of(args, input_file=args.file))
    if args.json != "-":
        print(format_meta(fit, args.method, hksj, args.alpha))
    return 0
