"""The synthetic trial (``oncobasket simulate trial``, docs/simulation.md): its draws, its frequency file, and
property tests over simulated registries: the analysis dataset matches the registry it was built from."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from oncobasket.cli import main
from oncobasket.core.endpoints import funnel
from oncobasket.core.errors import ConflictError, InputError
from oncobasket.core.response import evaluate
from oncobasket.core.simulation import (
    SYNTHETIC_PREFIX,
    SimulationRates,
    WeekSixteenResponse,
    assessment_document,
    draw_trial,
)
from oncobasket.db import cutoff_records, treatment_records
from oncobasket.db.cutoff_snapshot import snapshot_at
from oncobasket.db.models import AuditEvent, Enrolment, Patient
from oncobasket.io.assessment_file import parse_assessment_mapping
from oncobasket.io.simulation_sources import load_frequencies, parse_frequencies
from oncobasket.services import Registry, Settings, add_patient, patient_form, simulate_trial
from oncobasket.services.analysis import build_analysis_dataset
from registry_database import database_url  # noqa: F401 - fixture

#: The simulated trials end on this day (the registry's clock is then a day later).
END = date(2026, 6, 30)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.combine(END + timedelta(days=1), time(9), tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _registry(url: str) -> Registry:
    return Registry.open(Settings(database_url=url, user="simulation-test", clock=Clock()))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'simulated.db'}"


# ---------------------------------------------------------------------------------------------------------------
# The draws (pure)
# ---------------------------------------------------------------------------------------------------------------


def test_same_seed_same_trial_other_seed_other_trial() -> None:
    frequencies = load_frequencies()
    first = draw_trial(patients=50, seed=7, end=END, months=12, frequencies=frequencies)
    assert first == draw_trial(patients=50, seed=7, end=END, months=12, frequencies=frequencies)
    assert first != draw_trial(patients=50, seed=8, end=END, months=12, frequencies=frequencies)
    assert [draw.study_id for draw in first.patients][:2] == ["SYN-00001", "SYN-00002"]
    assert all(first.start <= draw.screened_on <= END for draw in first.patients)


def test_every_drawn_alteration_is_one_the_default_protocol_names() -> None:
    """Each frequency row, drawn at 100 %, gives a profile the default protocol matches (so the published
    frequencies drive the funnel's 'matched' step)."""
    from types import MappingProxyType

    from oncobasket.core.matching import PatientFacts, match_profile
    from oncobasket.io.oncotree import load_shipped_tumour_types
    from oncobasket.io.protocol_file import default_protocol_path, parse_protocol

    tumour_types = load_shipped_tumour_types()
    protocol = parse_protocol(default_protocol_path().read_text(), source="default", tumour_types=tumour_types)
    facts = PatientFacts(tumour_type="CUP", icd10=None, age=60.0, ecog=1, labs=MappingProxyType({}))
    for item in load_frequencies():
        plan = draw_trial(
            patients=1,
            seed=1,
            end=END,
            months=1,
            frequencies=[replace(item, percent=100.0)],
            rates=SimulationRates(qc_failure=0.0),
        )
        matches = match_profile(plan.patients[0].profile, facts, protocol, tumour_types)
        assert matches, f"{item.name}: no match in the default protocol"


@pytest.mark.parametrize(
    ("response", "benefit", "best"),
    [
        # RECIST 1.1 section 4.3: week-16 CR, PR or SD is benefit (DOMAIN.md section 5); PD at week 8 is not.
        (WeekSixteenResponse.CR, True, "CR"),
        (WeekSixteenResponse.PR, True, "PR"),
        (WeekSixteenResponse.SD, True, "SD"),
        (WeekSixteenResponse.PD, False, "PD"),
    ],
)
def test_drawn_measurements_give_the_drawn_response(response: WeekSixteenResponse, benefit: bool, best: str) -> None:
    plan = draw_trial(patients=1, seed=3, end=END, months=1, frequencies=load_frequencies())
    draw = replace(
        plan.patients[0], response=response, progression_day=56 if response is WeekSixteenResponse.PD else 300
    )
    start = date(2025, 1, 6)
    days = (56,) if response is WeekSixteenResponse.PD else (56, 112, 168)
    record = parse_assessment_mapping(
        assessment_document(draw, start=start, days=days), source="simulated", treatment_start=start
    )
    result = evaluate(record).to_json()
    assert result["week16"]["benefit"] is benefit
    assert result["best_overall_response"]["confirmed"] == best


def test_a_later_progression_is_a_new_lesion() -> None:
    plan = draw_trial(patients=1, seed=3, end=END, months=1, frequencies=load_frequencies())
    draw = replace(plan.patients[0], response=WeekSixteenResponse.SD, progression_day=168)
    start = date(2025, 1, 6)
    record = parse_assessment_mapping(
        assessment_document(draw, start=start, days=(56, 112, 168)), source="simulated", treatment_start=start
    )
    points = evaluate(record).to_json()["time_points"]
    assert [point["overall_response"] for point in points] == ["SD", "SD", "PD"]


def test_rates_are_checked() -> None:
    with pytest.raises(InputError, match="decision A and C"):
        SimulationRates(decision_a=0.8, decision_c=0.3)
    with pytest.raises(InputError, match="not a share"):
        SimulationRates(not_evaluable=1.5)
    with pytest.raises(InputError, match="patients"):
        draw_trial(patients=0, seed=1, end=END, months=12, frequencies=load_frequencies())


# ---------------------------------------------------------------------------------------------------------------
# The frequency file: the shipped one and malformed ones
# ---------------------------------------------------------------------------------------------------------------

HEADER = "name\tgene\tkind\tprotein_change\tcoding_change\texon\tpartner\tcopy_number\tpercent\tsource\n"


def test_shipped_frequencies_cite_their_source() -> None:
    rows = load_frequencies()
    assert len(rows) >= 20
    assert all(row.source and 0.0 < row.percent < 20.0 for row in rows)
    assert {row.kind.value for row in rows} >= {"mutation", "amplification", "fusion", "splice_variant", "msi", "tmb"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name\tgene\tkind\n", "lacks column 'protein_change'"),
        (HEADER + "BRAF V600E\tBRAF\tmutation\tp.V600E\t\t\t\t\tabc\tZehir 2017\n", "'abc' is not a number"),
        (HEADER + "BRAF V600E\tBRAF\tmutation\tp.V600E\t\t\t\t\t120\tZehir 2017\n", "not a percentage"),
        (HEADER + "BRAF V600E\tBRAF\tspeckle\tp.V600E\t\t\t\t\t2\tZehir 2017\n", "'speckle' is not a kind"),
        (HEADER + "BRAF V600E\tBRAF\tmutation\tp.V600E\t\t\t\t\t2\t\n", "needs its name and its source"),
        (HEADER + "ALK fusion\t-\tfusion\t\t\t\tEML4\t\t0.4\tGENIE\n", "needs its gene"),
        (HEADER + "BRAF\tmutation\n", "2 cells where the header has 10"),
        (HEADER, "no frequency rows"),
    ],
)
def test_malformed_frequency_files_are_refused_with_their_line(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        parse_frequencies(text, source="frequencies.tsv")
    assert "frequencies.tsv" in str(caught.value)


def test_missing_frequency_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such frequency file"):
        load_frequencies(tmp_path / "absent.tsv")


# ---------------------------------------------------------------------------------------------------------------
# Simulated registries: the analysis dataset matches the registry
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=[1, 2, 3], ids=lambda seed: f"seed{seed}")
def simulated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """A simulated trial of 60 patients over 18 months (one per seed, shared by the tests of this module)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('simulated') / 'registry.db'}"
    registry = _registry(url)
    simulate_trial(registry, patients=60, seed=request.param, months=18, frequencies=load_frequencies(), end=END)
    yield registry
    registry.close()


def _cut_offs(registry: Registry) -> list[date]:
    """The last day and three days inside the trial."""
    return [END - timedelta(days=days) for days in (0, 60, 200, 400)]


def test_every_enrolled_patient_appears_once(simulated: Registry) -> None:
    dataset = build_analysis_dataset(simulated, as_of=END)
    study_ids = [row.study_id for row in dataset.rows]
    assert len(study_ids) == len(set(study_ids)) == 60
    assert all(study_id.startswith(SYNTHETIC_PREFIX) for study_id in study_ids)
    assert dataset.metadata.synthetic
    with simulated.database.transaction(write=False) as session:
        enrolled = set(
            session.scalars(select(Patient.study_id).join(Enrolment, Enrolment.patient_id == Patient.id)).all()
        )
    rows = {row.study_id: row for row in dataset.rows}
    assert enrolled, "the simulated trial enrolled nobody"
    for study_id in enrolled:
        assert rows[study_id].offered
        assert rows[study_id].cohort is not None


def test_the_funnel_never_increases(simulated: Registry) -> None:
    for cut_off in _cut_offs(simulated):
        counts = [count for _, count in funnel(build_analysis_dataset(simulated, as_of=cut_off).rows)]
        assert counts == sorted(counts, reverse=True), (cut_off, counts)


def test_nothing_recorded_after_the_cut_off_counts(simulated: Registry) -> None:
    """Treated, a known week-16 result and death only when the registry held them by the end of the cut-off day."""
    with simulated.database.transaction(write=False) as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        first: dict[tuple[str, str], datetime] = {}
        for event in events:
            if event.study_id is not None:
                first.setdefault((event.study_id, event.action), event.at)
    for cut_off in _cut_offs(simulated):
        recorded_by = datetime.combine(cut_off + timedelta(days=1), time(0), tzinfo=UTC)

        def known(study_id: str, *actions: str, by: datetime = recorded_by) -> bool:
            return any(first.get((study_id, action), by) < by for action in actions)

        dataset = build_analysis_dataset(simulated, as_of=cut_off)
        for row in dataset.rows:
            assert known(row.study_id, "screening.add")
            assert row.treated == known(row.study_id, "treatment.start"), (cut_off, row.study_id)
            if row.benefit_w16 is not None:
                assert known(row.study_id, "assessment.record", "treatment.end"), (cut_off, row.study_id)
            if row.os_event == 1:
                assert known(row.study_id, "follow_up.record"), (cut_off, row.study_id)
        later = [key for key, at in first.items() if key[1] == "screening.add" and at >= recorded_by]
        assert len(dataset.rows) == 60 - len(later)


def test_the_batch_read_answers_as_the_per_patient_queries(simulated: Registry) -> None:
    """db.cutoff_snapshot reads each table once; it must pick the same rows as db.cutoff_records."""
    for cut_off in _cut_offs(simulated):
        recorded_by = datetime.combine(cut_off + timedelta(days=1), time(0), tzinfo=UTC)
        with simulated.database.transaction(write=False) as session:
            snapshot = snapshot_at(session, recorded_by=recorded_by)
            for patient, _ in cutoff_records.screened_patients(session, recorded_by=recorded_by):
                decision = cutoff_records.decision_in_force(session, patient_id=patient.id, recorded_by=recorded_by)
                assert snapshot.decisions.get(patient.id) is decision
                enrolment = cutoff_records.enrolment_at(session, patient_id=patient.id, recorded_by=recorded_by)
                assert snapshot.enrolments.get(patient.id) is enrolment
                assert snapshot.treatments.get(patient.id) is treatment_records.treatment_of(
                    session, patient_id=patient.id, recorded_by=recorded_by
                )
                assert snapshot.not_treated.get(patient.id) is cutoff_records.not_treated_at(
                    session, patient_id=patient.id, recorded_by=recorded_by
                )
                grades = treatment_records.adverse_events_in_force(
                    session, patient_id=patient.id, recorded_by=recorded_by
                )
                assert snapshot.worst_adverse_event_grades.get(patient.id, 0) == max(
                    (row.grade for row in grades), default=0
                )
                if enrolment is not None:
                    assert snapshot.outcomes.get(enrolment.id) == cutoff_records.outcome_at(
                        session, enrolment_id=enrolment.id, recorded_by=recorded_by
                    )
                    assert snapshot.cohort_statuses.get(enrolment.cohort_id) == cutoff_records.cohort_status_at(
                        session, cohort_id=enrolment.cohort_id, recorded_by=recorded_by
                    )


# ---------------------------------------------------------------------------------------------------------------
# Refusals and the command
# ---------------------------------------------------------------------------------------------------------------


def test_a_simulated_trial_on_each_database(database_url: str) -> None:  # noqa: F811 - fixture
    """The simulator and the analysis dataset run on SQLite and PostgreSQL alike."""
    registry = _registry(database_url)
    try:
        result = simulate_trial(registry, patients=25, seed=11, months=12, frequencies=load_frequencies(), end=END)
        assert result["refused"] == {}
        dataset = build_analysis_dataset(registry, as_of=END)
    finally:
        registry.close()
    assert dataset.metadata.synthetic
    assert [row.study_id for row in dataset.rows] == [f"SYN-{number:05d}" for number in range(1, 26)]
    counts = [count for _, count in funnel(dataset.rows)]
    assert counts == sorted(counts, reverse=True)
    assert result["recorded"]["screened"] == 25


def test_a_database_with_real_patients_is_refused(sqlite_url: str) -> None:
    registry = _registry(sqlite_url)
    try:
        from oncobasket.services import init_trial

        init_trial(registry)
        add_patient(
            registry, patient_form(study_id="OB-0001", site="OUS", sex="F", birth_year=1960, oncotree_code="PAAD")
        )
        with pytest.raises(ConflictError, match="1 real and 0 synthetic"):
            simulate_trial(registry, patients=5, seed=1, months=6, frequencies=load_frequencies(), end=END)
        with registry.database.transaction(write=False) as session:
            assert session.scalars(select(Patient.study_id)).all() == ["OB-0001"]
    finally:
        registry.close()


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    """``oncobasket`` run in this process through ``main()`` (the real error handling and exit codes)."""
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["oncobasket", *arguments])
    try:
        main()
        code = 0
    except SystemExit as stop:
        code = int(stop.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_simulate_trial_command(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = ["--database-url", sqlite_url, "--user", "t"]
    arguments = ["simulate", "trial", "--patients", "12", "--seed", "5", "--months", "6", *database]
    code, out, err = _run(monkeypatch, capsys, *arguments, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["synthetic"] is True
    assert result["recorded"]["screened"] == 12
    code, out, err = _run(monkeypatch, capsys, *arguments)
    assert code == 1
    assert "12 synthetic patients already" in err
    assert len(err.strip().splitlines()) == 1
    today = datetime.now(UTC).date().isoformat()
    export = tmp_path / "analysis.csv"
    code, out, err = _run(monkeypatch, capsys, "export", "analysis", "--as-of", today, "--out", str(export), *database)
    assert code == 0, err
    assert "# synthetic: true" in export.read_text()
