"""Write the per-patient tumour-board report: HTML rendered by Jinja2 and the same HTML printed to PDF by
WeasyPrint (one rendering path, as for the trial report, ``io.report``).

The content is ``services.patient_report.patient_report_data``: profile with QC caveats, matches with reasons
and evidence, the decision history, treatment, adverse events and responses with their reasons.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2


@dataclass(frozen=True, slots=True)
class PatientReportFiles:
    """The two files one report wrote."""

    html: Path
    pdf: Path


def render_patient_html(data: Mapping[str, Any], *, software: str) -> str:
    """The report's HTML (autoescaped: every value from the registry is text, never markup)."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("oncobasket", "data/report"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    footer = f"OncoBasket tumour-board report {data['study_id']} - {software}"
    return environment.get_template("patient_report.html.j2").render(p=data, software=software, footer=footer)


def write_patient_report(data: Mapping[str, Any], out: Path, *, software: str) -> PatientReportFiles:
    """Write ``STUDY_ID.html`` and ``STUDY_ID.pdf`` into folder ``out`` (created, owner-only, if missing).

    The files hold patient data, so they are readable by their owner only (0600), like the database.
    """
    import weasyprint  # heavy: loaded only when a report is written

    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    html = render_patient_html(data, software=software)
    html_path = out / f"{data['study_id']}.html"
    pdf_path = out / f"{data['study_id']}.pdf"
    _write_private(html_path, html.encode("utf-8"))
    pdf = weasyprint.HTML(string=html, base_url=str(out)).write_pdf(pdf_identifier=b"oncobasket-patient-report")
    _write_private(pdf_path, pdf)
    return PatientReportFiles(html=html_path, pdf=pdf_path)


def _write_private(path: Path, content: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
    path.chmod(0o600)
