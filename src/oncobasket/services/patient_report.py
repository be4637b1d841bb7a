"""Use case: what the per-patient tumour-board report shows (``oncobasket report patient STUDY_ID``).

Issue 9: the profile (TMB, MSI, alterations, QC caveats), the matches with their reasons and evidence, the
decision history, treatment and responses. The content is ``patient show``'s (every derived value with its
reason) plus the latest screening's stored profile and matches and every decision, corrections included.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from oncobasket.core.registry import check_study_id
from oncobasket.db import cutoff_records, repository
from oncobasket.services.decisions import decision_view
from oncobasket.services.patients import show_patient
from oncobasket.services.registry import Registry


def patient_report_data(registry: Registry, study_id: str) -> dict[str, Any]:
    """Everything the per-patient report shows, as JSON-ready values."""
    check_study_id(study_id)
    shown = show_patient(registry, study_id)
    with registry.database.transaction(write=False) as session:
        patient = repository.get_patient_or_raise(session, study_id=study_id)
        screening = repository.latest_screening(session, patient_id=patient.id)
        matches = (
            [dict(row.detail) for row in repository.match_suggestions(session, screening_id=screening.id)]
            if screening is not None
            else []
        )
        decisions = []
        for row in cutoff_records.decision_history(session, patient_id=patient.id):
            cohort = repository.get_cohort(session, cohort_id=row.cohort_id) if row.cohort_id is not None else None
            decisions.append(decision_view(row, cohort=cohort))
        protocol = repository.current_protocol(session)
        return {
            **shown,
            "protocol_version": protocol.version if protocol is not None else None,
            "screening": None
            if screening is None
            else {
                "sample_id": screening.sample_id,
                "screened_at": screening.screened_at.isoformat(),
                "qc_passed": screening.qc_passed,
                "profile": dict(screening.profile),
                "source_files": [PurePath(str(item.get("file", ""))).name for item in screening.source_files],
            },
            "matches": matches,
            "decisions": decisions,
        }
