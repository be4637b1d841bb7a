"""How long the per-patient outcomes and the Kaplan-Meier curves take for a registry-sized cohort.

Issue 9's report benchmark builds the endpoints for 5,000 patients in under 30 s; this prints the share the
outcome and survival computations take of that. Run on purpose: `.venv/bin/python benchmarks/bench_survival.py`.
"""

from __future__ import annotations

import random
import time
from datetime import date, timedelta

from oncobasket.core.outcomes import ResponseAssessment, overall_survival, progression_free_survival
from oncobasket.core.survival import kaplan_meier, kaplan_meier_by
from oncobasket.core.treatment import AdministrationRoute, Cycle, DrugAdministration, TreatmentRecord

PATIENTS = 5000
START = date(2024, 1, 8)
DRUG = (DrugAdministration("olaparib", 300, "mg", AdministrationRoute.ORAL),)


def synthetic_patient(generator: random.Random) -> tuple[TreatmentRecord, list[ResponseAssessment]]:
    """A seeded synthetic patient: 28-day cycles, scans every 8 weeks, progression or death at random."""
    progression_day = generator.randint(30, 900)
    cycles = tuple(
        Cycle(number, START + timedelta(days=28 * (number - 1)), DRUG) for number in range(1, 2 + progression_day // 28)
    )
    death = START + timedelta(days=progression_day + generator.randint(1, 400)) if generator.random() < 0.6 else None
    scans = [
        ResponseAssessment.of(START + timedelta(days=day), "PD" if day >= progression_day else "SD")
        for day in range(56, progression_day + 57, 56)
    ]
    if death is not None:
        scans = [scan for scan in scans if scan.date <= death]
    return TreatmentRecord(cycles=cycles, death_date=death), scans


def main() -> None:
    generator = random.Random(20260105)
    patients = [synthetic_patient(generator) for _ in range(PATIENTS)]

    begin = time.perf_counter()
    pfs = [progression_free_survival(record, scans) for record, scans in patients]
    survival = [overall_survival(record, known_alive=[scan.date for scan in scans]) for record, scans in patients]
    per_patient = time.perf_counter() - begin

    begin = time.perf_counter()
    curves = [
        kaplan_meier([item.days for item in values], [item.event for item in values]) for values in (pfs, survival)
    ]
    medians = [curve.median for curve in curves]
    groups = kaplan_meier_by(
        [item.days for item in pfs], [item.event for item in pfs], [i % 24 for i in range(PATIENTS)]
    )
    curve_time = time.perf_counter() - begin

    print(f"{PATIENTS} synthetic patients")
    print(f"  PFS and OS per patient          {per_patient:8.3f} s")
    print(f"  2 curves + medians, 24 groups   {curve_time:8.3f} s")
    print(f"  PFS median {medians[0].time} ({medians[0].lower}-{medians[0].upper}) days, {len(groups)} group curves")


if __name__ == "__main__":
    main()
