"""Gate on Slither's JSON report: no High or Medium finding, every other finding triaged.

Usage: slither_gate.py REPORT.json TRIAGE.md [CONFIG.json]

The triage file holds a Markdown table whose rows are ``| detector | location | reason |``. A
location is ``Contract.member`` (``Contract`` for contract-level findings), matched with shell-style
wildcards, so ``Receivables.*`` triages every finding of that detector in Receivables. A row with an
empty reason does not count. A High or Medium finding always fails the gate unless it is listed
under a heading that contains "False positives" (High and Medium rows anywhere else are ignored);
such accepted findings are still printed on every run. A table under a heading that contains
"Excluded detectors" gives the reason for each detector that the config file excludes; an
exclusion without one fails.
Exit status: 0 when the gate passes, 1 when it fails, 2 when the report is unusable.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

BLOCKING = ("High", "Medium")
ORDER = ("High", "Medium", "Low", "Informational", "Optimization")


@dataclass(frozen=True)
class Finding:
    detector: str
    impact: str
    location: str
    where: str
    description: str


@dataclass(frozen=True)
class Entry:
    detector: str
    location: str
    reason: str
    false_positive: bool = False


def _element_location(element: dict[str, Any]) -> str:
    """``Contract.member`` for an element of a finding (``Contract`` for a contract)."""
    kind = element.get("type", "")
    name = str(element.get("name", ""))
    fields = element.get("type_specific_fields", {}) or {}
    parent = fields.get("parent", {}) or {}
    if kind == "contract":
        return name
    if kind == "node":
        # A statement: name it by the function that holds it.
        return _element_location(parent) if parent else name
    if kind in ("function", "event", "variable", "struct", "enum", "modifier", "error"):
        member = name.split("(", 1)[0]
        if parent.get("type") == "contract":
            return f"{parent.get('name', '')}.{member}"
        return member
    return name


def _where(element: dict[str, Any]) -> str:
    mapping = element.get("source_mapping", {}) or {}
    lines = mapping.get("lines") or [0]
    return f"{mapping.get('filename_relative', '?')}#L{lines[0]}"


def load_findings(report: dict[str, Any]) -> list[Finding]:
    results = report.get("results", {}) or {}
    findings = []
    for item in results.get("detectors", []) or []:
        elements = item.get("elements") or [{}]
        first = elements[0]
        findings.append(
            Finding(
                detector=str(item.get("check", "?")),
                impact=str(item.get("impact", "?")),
                location=_element_location(first),
                where=_where(first),
                description=" ".join(str(item.get("description", "")).split()),
            )
        )
    return findings


_ROW = re.compile(r"^\|(?P<cells>.+)\|\s*$")


def _rows(lines: list[str]) -> list[list[str]]:
    rows = []
    for line in lines:
        match = _ROW.match(line.strip())
        if not match:
            continue
        cells = [cell.strip() for cell in match.group("cells").split("|")]
        if all(set(cell) <= set("-: ") for cell in cells):
            continue  # the separator row
        rows.append(cells)
    return rows


def load_triage(text: str) -> tuple[list[Entry], dict[str, str]]:
    """Triage entries, and the reasons for excluded detectors (detector -> reason)."""
    sections: dict[str, list[str]] = {"findings": [], "false positives": [], "excluded": []}
    target = sections["findings"]
    for line in text.splitlines():
        if line.startswith("#"):
            heading = line.lower()
            if "excluded detectors" in heading:
                target = sections["excluded"]
            elif "false positives" in heading:
                target = sections["false positives"]
            else:
                target = sections["findings"]
        target.append(line)
    entries = [
        Entry(cells[0].strip("`"), cells[1].strip("`"), cells[2], false_positive=name == "false positives")
        for name in ("findings", "false positives")
        for cells in _rows(sections[name])
        if len(cells) >= 3 and cells[0].lower() != "detector" and cells[2]
    ]
    reasons = {
        cells[0].strip("`"): cells[1]
        for cells in _rows(sections["excluded"])
        if len(cells) >= 2 and cells[0].lower() != "detector" and cells[1]
    }
    return entries, reasons


def triaged(finding: Finding, entries: list[Entry]) -> Entry | None:
    blocking = finding.impact in BLOCKING
    for entry in entries:
        if blocking and not entry.false_positive:
            continue
        if entry.detector == finding.detector and fnmatchcase(finding.location, entry.location):
            return entry
    return None


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    report = json.loads(Path(argv[1]).read_text())
    if not report.get("success", False):
        print(f"slither-gate: Slither did not finish: {report.get('error')}", file=sys.stderr)
        return 2
    entries, reasons = load_triage(Path(argv[2]).read_text())
    failed = False

    if len(argv) == 4:
        config = json.loads(Path(argv[3]).read_text())
        for detector in filter(None, str(config.get("detectors_to_exclude", "")).split(",")):
            if detector.strip() not in reasons:
                print(f"slither-gate: excluded detector {detector.strip()!r} has no reason in {argv[2]}")
                failed = True

    findings = load_findings(report)
    counts = Counter(f.impact for f in findings)
    print("slither-gate: " + ", ".join(f"{counts.get(i, 0)} {i}" for i in ORDER))
    used: set[Entry] = set()

    def rank(f: Finding) -> tuple[int, str]:
        return (ORDER.index(f.impact) if f.impact in ORDER else len(ORDER), f.detector)

    for finding in sorted(findings, key=rank):
        entry = triaged(finding, entries)
        if finding.impact in BLOCKING and entry is not None:
            print(
                f"  ACCEPTED AS FALSE POSITIVE {finding.impact} {finding.detector} at {finding.location}"
                f" ({finding.where}): {entry.reason}"
            )
            used.add(entry)
        elif finding.impact in BLOCKING:
            print(f"  BLOCKING {finding.impact} {finding.detector} at {finding.location} ({finding.where})")
            print(f"    {finding.description}")
            failed = True
        elif entry is None:
            print(f"  UNTRIAGED {finding.impact} {finding.detector} at {finding.location} ({finding.where})")
            print(f"    {finding.description}")
            failed = True
        else:
            used.add(entry)
    for entry in entries:
        if entry not in used:
            print(f"  note: triage entry matches nothing now: {entry.detector} {entry.location}")
    print("slither-gate: " + ("FAILED" if failed else "passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
