"""Analysis datasets for the endpoint and report tests: hand-made ones with known answers, and seeded random ones.

The published funnel is IMPRESS-Norway's (Puco et al., Acta Oncol 2024;63:379-384; DOMAIN.md section 4):
1,167 screened -> 358 matched -> 186 treated -> 170 followed >= 16 weeks -> 145 evaluable, 58 with benefit.
The paper does not split 358 -> 186 into offered and treated; here every offered patient was treated.
"""

from __future__ import annotations

import datetime
import random

from oncobasket.core.analysis import AnalysisDataset, AnalysisMetadata, AnalysisRow
from oncobasket.core.recist import OverallResponse

_TREATED = {"qc_passed": True, "matched": True, "offered": True, "treated": True}
_NOT_TREATED_REASONS = ("declined", "deteriorated", "died", "other_trial", "early_access", "palliative_care_only")


def published_funnel_rows() -> list[AnalysisRow]:
    """1,167 screened patients shaped like the published funnel, 58 of 145 evaluable with benefit."""
    rows: list[AnalysisRow] = []

    def add(**values: object) -> None:
        rows.append(AnalysisRow(study_id=f"IMP-{len(rows) + 1:04d}", **values))  # type: ignore[arg-type]

    cohort = {"drug": "dabrafenib+trametinib", "cohort": "BRAF V600 / Pancreatic / Dabrafenib+Trametinib"}
    for index in range(58):
        add(
            **_TREATED,
            **cohort,
            followed_w16=True,
            evaluable=True,
            benefit_w16=True,
            best_overall_response=OverallResponse.PR if index < 10 else OverallResponse.SD,
        )
    for _ in range(87):
        add(
            **_TREATED,
            **cohort,
            followed_w16=True,
            evaluable=True,
            benefit_w16=False,
            best_overall_response=OverallResponse.PD,
        )
    for _ in range(25):
        add(**_TREATED, **cohort, followed_w16=True, evaluable=False, benefit_w16=False)
    for _ in range(16):
        add(**_TREATED, **cohort, followed_w16=False, evaluable=False)
    for index in range(358 - 186):
        add(
            qc_passed=True,
            matched=True,
            offered=False,
            treated=False,
            followed_w16=False,
            evaluable=False,
            not_treated_reason=_NOT_TREATED_REASONS[index % len(_NOT_TREATED_REASONS)],
        )
    while len(rows) < 1167:
        add(
            qc_passed=len(rows) % 10 != 0,
            matched=False,
            offered=False,
            treated=False,
            followed_w16=False,
            evaluable=False,
        )
    return rows


def random_dataset(patients: int, seed: int) -> AnalysisDataset:
    """A seeded, consistent analysis dataset with every column filled where it may be (synthetic)."""
    generator = random.Random(seed)
    groups = ["Pancreatic", "Colorectal", "Cholangiocarcinoma", "Breast", "Lung", "Sarcoma"]
    drugs = ["dabrafenib+trametinib", "olaparib", "pertuzumab+trastuzumab", "selpercatinib", "atezolizumab"]
    biomarkers = ["BRAF V600", "BRCA2 loss", "ERBB2 amplification", "RET fusion", "TMB-high"]
    statuses = ["stage1_open", "stage1_full", "stage2_open", "closed_futility", "promising"]
    rows = []
    for index in range(patients):
        qc_passed = generator.random() < 0.9
        matched = qc_passed and generator.random() < 0.35
        offered = matched and generator.random() < 0.6
        treated = offered and generator.random() < 0.9
        followed = treated and generator.random() < 0.9
        evaluable = followed and generator.random() < 0.85
        values: dict[str, object] = {
            "study_id": f"SYN-{index:05d}",
            "site": generator.choice(["Oslo", "Bergen", "Trondheim", "Tromso"]),
            "qc_passed": qc_passed,
            "matched": matched,
            "offered": offered,
            "treated": treated,
            "followed_w16": followed,
            "evaluable": evaluable,
            "tumour_group": generator.choice(groups),
        }
        if matched:
            arm = generator.randrange(len(drugs))
            values.update(drug=drugs[arm], biomarker=biomarkers[arm])
            values["cohort"] = f"{biomarkers[arm]} / {values['tumour_group']} / {drugs[arm]}"
            values["cohort_status"] = statuses[(arm + groups.index(str(values["tumour_group"]))) % len(statuses)]
            if not treated:
                values["not_treated_reason"] = generator.choice(_NOT_TREATED_REASONS)
        if treated:
            response = generator.choices(list(OverallResponse), weights=[1, 6, 12, 1, 14, 3])[0]
            benefit = response in (
                OverallResponse.CR,
                OverallResponse.PR,
                OverallResponse.SD,
                OverallResponse.NON_CR_NON_PD,
            )
            if evaluable:
                values["benefit_w16"] = benefit
            elif followed:
                values["benefit_w16"] = False
            pfs = int(generator.expovariate(1 / (200 if benefit else 70))) + 1
            os_days = pfs + int(generator.expovariate(1 / 200))
            values.update(
                best_overall_response=response,
                best_percent_change=round(
                    generator.uniform(-100, -30)
                    if response in (OverallResponse.CR, OverallResponse.PR)
                    else generator.uniform(-29, 60),
                    1,
                ),
                time_on_treatment_days=pfs,
                treatment_ongoing=generator.random() < 0.2,
                pfs_days=pfs,
                pfs_event=int(generator.random() < 0.8),
                os_days=os_days,
                os_event=int(generator.random() < 0.5),
                pfs_ratio=round(generator.lognormvariate(0, 0.7), 2),
                worst_ae_grade=generator.choices(range(6), weights=[10, 30, 30, 20, 7, 3])[0],
            )
        rows.append(AnalysisRow(**values))  # type: ignore[arg-type]
    metadata = AnalysisMetadata(
        protocol_version="example-1.0",
        data_source="synthetic",
        cut_off=datetime.date(2026, 6, 30),
        software_version="test",
        synthetic=True,
    )
    return AnalysisDataset(rows=tuple(rows), metadata=metadata)
