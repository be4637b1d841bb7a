"""The shared profile model: TMB classes, MSI calls, copy number from fold change, QC judgement."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncobasket.core.profiles import (
    Alteration,
    AlterationKind,
    MolecularProfile,
    Msi,
    MsiStatus,
    MsiThresholds,
    QcMetric,
    QcResult,
    ResultArea,
    Tmb,
    TmbClass,
    TmbThresholds,
    call_msi,
    classify_tmb,
    copy_number_from_fold_change,
    judge_qc,
)


@pytest.mark.parametrize(
    ("per_mb", "expected"),
    [
        (0.0, TmbClass.LOW),
        (4.99, TmbClass.LOW),
        (5.0, TmbClass.INTERMEDIATE),  # InPreD: low < 5, intermediate 5-20, high > 20
        (20.0, TmbClass.INTERMEDIATE),
        (20.01, TmbClass.HIGH),
        (275.6, TmbClass.HIGH),
    ],
)
def test_tmb_classes_follow_the_inpred_cut_offs(per_mb: float, expected: TmbClass) -> None:
    assert classify_tmb(per_mb) is expected


def test_tmb_cut_offs_are_configurable_and_validated() -> None:
    assert classify_tmb(12.0, TmbThresholds(intermediate_from=6.0, high_above=10.0)) is TmbClass.HIGH
    with pytest.raises(ValueError, match="intermediate_from"):
        TmbThresholds(intermediate_from=30.0, high_above=20.0)


@pytest.mark.parametrize(
    ("usable", "percent", "expected"),
    [
        (125, 64.8, MsiStatus.MSI_H),
        (116, 2.59, MsiStatus.MSS),
        (40, 20.0, MsiStatus.MSI_H),  # exactly at both thresholds
        (39, 80.0, MsiStatus.NOT_EVALUABLE),  # fewer than 40 usable sites: no call
        (None, 10.0, MsiStatus.NOT_EVALUABLE),
        (100, None, MsiStatus.NOT_EVALUABLE),
    ],
)
def test_msi_needs_40_usable_sites_and_calls_high_from_20_percent(
    usable: int | None, percent: float | None, expected: MsiStatus
) -> None:
    assert call_msi(usable, percent) is expected


def test_msi_thresholds_are_configurable() -> None:
    assert call_msi(30, 25.0, MsiThresholds(min_usable_sites=30, msi_high_percent=30.0)) is MsiStatus.MSS


def test_copy_number_formula_from_the_craft_documentation() -> None:
    # n = (200*Y - 2*(100-X)) / X: at 100 % purity the copy number is twice the fold change,
    # and a fold change of 1 is diploid at any purity.
    assert copy_number_from_fold_change(2.5, 100.0) == pytest.approx(5.0)
    assert copy_number_from_fold_change(1.0, 37.0) == pytest.approx(2.0)
    assert copy_number_from_fold_change(2.0, 50.0) == pytest.approx(6.0)
    with pytest.raises(ValueError, match="purity"):
        copy_number_from_fold_change(2.0, 0.0)


@given(copies=st.floats(min_value=0.0, max_value=200.0), purity=st.floats(min_value=1.0, max_value=100.0))
def test_copy_number_inverts_the_fold_change_model(copies: float, purity: float) -> None:
    # The fold change a tumour of `copies` copies at `purity` % shows, mixed with diploid normal cells.
    fold_change = (purity / 100.0 * copies + (1 - purity / 100.0) * 2.0) / 2.0
    assert copy_number_from_fold_change(fold_change, purity) == pytest.approx(copies, abs=1e-6)


def _metric(name: str, value: float | None, lsl: float | None, usl: float | None, *areas: ResultArea) -> QcMetric:
    return QcMetric(section="DNA", name=name, value=value, lsl=lsl, usl=usl, affects=areas)


def test_a_metric_passes_inside_its_limits_and_na_means_no_bound() -> None:
    assert _metric("MEDIAN_EXON_COVERAGE", 150.0, 150.0, None).passed
    assert not _metric("MEDIAN_EXON_COVERAGE", 149.0, 150.0, None).passed
    assert not _metric("COVERAGE_MAD", 0.22, None, 0.21).passed
    assert _metric("UNMEASURED", None, 1.0, 2.0).passed


def test_failed_qc_marks_only_the_results_that_depend_on_it_with_their_own_reason() -> None:
    qc = judge_qc(
        (
            _metric("USABLE_MSI_SITES", 22.0, 40.0, None, ResultArea.MSI),
            _metric("COVERAGE_MAD", 0.1, None, 0.21, ResultArea.CNV),
        )
    )
    assert not qc.passed
    assert qc.unusable_areas == (ResultArea.MSI,)
    profile = MolecularProfile(
        sample_id="OB-9001",
        alterations=(
            Alteration(gene="ERBB2", kind=AlterationKind.AMPLIFICATION, fold_change=4.2),
            Alteration(gene="BRAF", kind=AlterationKind.MUTATION, protein_change="p.V600E"),
        ),
        tmb=Tmb(per_mb=6.3, tmb_class=TmbClass.INTERMEDIATE),
        msi=Msi(usable_sites=22, unstable_sites=1, percent_unstable=4.5, status=MsiStatus.NOT_EVALUABLE),
    ).with_qc(qc)
    assert profile.msi is not None
    assert not profile.msi.usable
    assert profile.msi.unusable_reason == "MSI QC failed: USABLE_MSI_SITES = 22 (guideline >= 40)"
    assert profile.tmb is not None
    assert profile.tmb.usable
    assert all(alteration.usable for alteration in profile.alterations)
    assert profile.as_dict()["qc"] == {
        "passed": False,
        "failures": ["USABLE_MSI_SITES = 22 (guideline >= 40)"],
        "unusable": ["msi"],
        "judged": True,
    }


def test_qc_without_metrics_is_not_judged() -> None:
    # A lone file carries no QC: "passed" must not be read as "checked and passed".
    assert not QcResult().judged
    assert QcResult().as_dict() == {"passed": True, "failures": [], "unusable": [], "judged": False}
    assert judge_qc((), ("COMPLETED_ALL_STEPS = FALSE",)).judged


def test_contract_keys_of_an_alteration_come_first() -> None:
    keys = list(Alteration(gene="ALK", kind=AlterationKind.FUSION, genes=("EML4", "ALK")).as_dict())
    assert keys[:8] == ["gene", "kind", "protein_change", "vaf", "depth", "fold_change", "genes", "exon"]
