"""MetricsOutput.tsv: every metric judged against its guidelines, failures mapped to result areas."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from oncobasket.core.errors import FormatError
from oncobasket.core.profiles import ProfileSettings, ResultArea
from oncobasket.io.tso500 import read_tso500
from oncobasket.io.tso500_metrics import read_metrics_output, split_sections

DNA_AREAS = {ResultArea.SMALL_VARIANTS, ResultArea.TMB, ResultArea.MSI, ResultArea.CNV}


def _metrics_path(examples: Path) -> Path:
    return examples / "tso500" / "run_2026-01" / "Results" / "MetricsOutput.tsv"


def _edited(examples: Path, tmp_path: Path, old: str, new: str) -> Path:
    text = _metrics_path(examples).read_text()
    assert old in text
    path = tmp_path / "MetricsOutput.tsv"
    path.write_text(text.replace(old, new, 1))
    return path


def _line_of(path: Path, fragment: str) -> int:
    return next(number for number, line in enumerate(path.read_text().split("\n"), 1) if fragment in line)


def test_example_metrics_output(examples: Path) -> None:
    metrics = read_metrics_output(_metrics_path(examples))
    assert metrics.details["Workflow Version"] == "2.2.0.12"
    assert [metric.name for metric in metrics.run_metrics] == ["PCT_PF_READS", "PCT_Q30_R1", "PCT_Q30_R2"]
    assert metrics.columns[:2] == ("OB-0001-D", "OB-0001-R")
    assert len(metrics.columns) == 10
    assert metrics.warnings == ()
    good = metrics.qc_for(["OB-0001", "OB-0001-D", "OB-0001-R"])
    assert good is not None
    assert good.passed
    assert good.unusable_areas == ()
    # run metrics + 14 DNA metrics (NA in the RNA column) + 7 RNA metrics, for each of the two columns
    assert len(good.metrics) == 3 + 2 * (14 + 7)


def test_example_failed_sample(examples: Path) -> None:
    qc = read_metrics_output(_metrics_path(examples)).qc_for(["OB-0004-D"])
    assert qc is not None
    assert not qc.passed
    assert qc.failures == (
        "MEDIAN_EXON_COVERAGE = 96 (guideline >= 150)",
        "PCT_EXON_50X = 71.2 (guideline >= 90)",
        "USABLE_MSI_SITES = 22 (guideline >= 40)",
    )
    assert qc.unusable_areas == (ResultArea.SMALL_VARIANTS, ResultArea.TMB, ResultArea.MSI)


def test_unknown_sample_has_no_qc(examples: Path) -> None:
    assert read_metrics_output(_metrics_path(examples)).qc_for(["OB-7777"]) is None


def test_sample_without_a_column_gets_a_warning(examples: Path, tmp_path: Path) -> None:
    results = tmp_path / "Results"
    shutil.copytree(examples / "tso500" / "run_2026-01" / "Results", results)
    target = results / "OB-0005"
    text = (target / "OB-0005_CombinedVariantOutput.tsv").read_text().replace("OB-0005", "OB-0099")
    (target / "OB-0005_CombinedVariantOutput.tsv").unlink()
    (target / "OB-0099_CombinedVariantOutput.tsv").write_text(text)
    profile = next(p for p in read_tso500(results, ProfileSettings()) if p.sample_id == "OB-0099")
    assert any("no QC column for OB-0099; QC not judged" in w for w in profile.warnings)


def test_run_qc_failure_affects_every_sample_and_area(examples: Path, tmp_path: Path) -> None:
    path = _edited(examples, tmp_path, "PCT_Q30_R1 (%)\t80.0\tNA\t94.1", "PCT_Q30_R1 (%)\t80.0\tNA\t61.0")
    metrics = read_metrics_output(path)
    for column in ("OB-0001-D", "OB-0005-R"):
        qc = metrics.qc_for([column])
        assert qc is not None
        assert "PCT_Q30_R1 = 61 (guideline >= 80)" in qc.failures
        assert set(qc.unusable_areas) == {*DNA_AREAS, ResultArea.RNA}


def test_rna_failure_affects_only_rna(examples: Path, tmp_path: Path) -> None:
    path = _edited(examples, tmp_path, "24080116", "5080116")
    qc = read_metrics_output(path).qc_for(["OB-0005", "OB-0005-D", "OB-0005-R"])
    assert qc is not None
    assert qc.failures == ("TOTAL_ON_TARGET_READS = 5080116 (guideline >= 9000000)",)
    assert qc.unusable_areas == (ResultArea.RNA,)


@pytest.mark.parametrize(
    ("score", "p_value", "fails"),
    [("4012", "0.01", True), ("4012", "0.3", False), ("4012", "NA", True), ("1200", "0.01", False)],
)
def test_contamination_is_judged_with_its_p_value(
    examples: Path, tmp_path: Path, score: str, p_value: str, fails: bool
) -> None:
    text = _metrics_path(examples).read_text()
    old_score = "CONTAMINATION_SCORE (NA)\tNA\t3106\t412\t"
    old_p = "CONTAMINATION_P_VALUE (NA)\tNA\t0.049\tNA\t"
    assert old_score in text
    assert old_p in text
    path = tmp_path / "MetricsOutput.tsv"
    path.write_text(
        text.replace(old_score, f"CONTAMINATION_SCORE (NA)\tNA\t3106\t{score}\t").replace(
            old_p, f"CONTAMINATION_P_VALUE (NA)\tNA\t0.049\t{p_value}\t"
        )
    )
    qc = read_metrics_output(path).qc_for(["OB-0001-D"])
    assert qc is not None
    assert (not qc.passed) is fails
    assert set(qc.unusable_areas) == (DNA_AREAS if fails else set())


@pytest.mark.parametrize(
    ("failed", "not_executed", "areas"),
    [
        ("Msi", "NA", {ResultArea.MSI}),
        ("TmbAnnotation", "Tmb", {ResultArea.TMB}),
        ("DragenCaller", "NA", {ResultArea.SMALL_VARIANTS, ResultArea.TMB}),
        ("SomethingNew", "NA", {*DNA_AREAS, ResultArea.RNA}),
        ("NA", "NA", {*DNA_AREAS, ResultArea.RNA}),
    ],
)
def test_analysis_status_failures(
    examples: Path, tmp_path: Path, failed: str, not_executed: str, areas: set[ResultArea]
) -> None:
    text = _metrics_path(examples).read_text()
    lines = text.split("\n")
    for index, line in enumerate(lines):
        cells = line.split("\t")
        if cells[0] == "COMPLETED_ALL_STEPS":
            cells[2] = "FALSE"  # the OB-0001-R column
        elif cells[0] == "FAILED_STEPS":
            cells[2] = failed
        elif cells[0] == "STEPS_NOT_EXECUTED":
            cells[2] = not_executed
        lines[index] = "\t".join(cells)
    path = tmp_path / "MetricsOutput.tsv"
    path.write_text("\n".join(lines))
    metrics = read_metrics_output(path)
    qc = metrics.qc_for(["OB-0001-R"])
    assert qc is not None
    assert not qc.passed
    assert qc.failures[-1].startswith("analysis of OB-0001-R did not complete all steps")
    assert set(qc.unusable_areas) == areas
    other = metrics.qc_for(["OB-0002-R"])
    assert other is not None
    assert other.passed


def test_bad_metric_value(examples: Path, tmp_path: Path) -> None:
    path = _edited(
        examples, tmp_path, "USABLE_MSI_SITES (Count)\t40\tNA\t116", "USABLE_MSI_SITES (Count)\t40\tNA\tmany"
    )
    with pytest.raises(FormatError) as caught:
        read_metrics_output(path)
    assert str(caught.value).startswith(
        f"{path}:{_line_of(path, 'many')}: field 'USABLE_MSI_SITES of OB-0001-D': 'many' is not a number"
    )


def test_bad_guideline(examples: Path, tmp_path: Path) -> None:
    path = _edited(examples, tmp_path, "COVERAGE_MAD (Count)\tNA\t0.21", "COVERAGE_MAD (Count)\tNA\tlow")
    line = _line_of(path, "\tlow")
    with pytest.raises(FormatError, match=rf":{line}: field 'COVERAGE_MAD USL'"):
        read_metrics_output(path)


def test_bad_status(examples: Path, tmp_path: Path) -> None:
    path = _edited(examples, tmp_path, "COMPLETED_ALL_STEPS\tTRUE", "COMPLETED_ALL_STEPS\tYES")
    with pytest.raises(FormatError, match=r"field 'COMPLETED_ALL_STEPS of OB-0001-D': 'YES' is not TRUE or FALSE"):
        read_metrics_output(path)


def test_truncated_metrics_row(examples: Path, tmp_path: Path) -> None:
    text = _metrics_path(examples).read_text()
    path = tmp_path / "MetricsOutput.tsv"
    path.write_text(text[: text.index("\t98.6")] + "\n")
    with pytest.raises(FormatError, match=r"field '\[DNA Expanded Metrics\]': row has 3 cells, the header has 13"):
        read_metrics_output(path)
    path.write_text(text[: text.index("\t98.6")])
    with pytest.raises(FormatError, match=r"MetricsOutput.tsv:48: the file ends inside a line"):
        read_metrics_output(path)


def test_not_a_metrics_file(tmp_path: Path) -> None:
    path = tmp_path / "MetricsOutput.tsv"
    path.write_text("Sample\tValue\nA\t1\n")
    with pytest.raises(FormatError, match=r"MetricsOutput.tsv:1: field 'banner'"):
        read_metrics_output(path)


def test_unknown_qc_section_is_judged_and_reported(examples: Path, tmp_path: Path) -> None:
    extra = (
        "[DNA Library QC Metrics for GIS]\nMetric (UOM)\tLSL Guideline\tUSL Guideline\tOB-0001-D\n"
        "GIS_SCORE_SD (NA)\tNA\t4\t9\n\n"
    )
    path = _edited(examples, tmp_path, "[RNA Library QC Metrics]", extra + "[RNA Library QC Metrics]")
    metrics = read_metrics_output(path)
    assert any("[DNA Library QC Metrics for GIS] is not a known TSO500 section" in w for w in metrics.warnings)
    qc = metrics.qc_for(["OB-0001-D"])
    assert qc is not None
    assert qc.failures == ("GIS_SCORE_SD = 9 (guideline <= 4)",)
    assert qc.unusable_areas == ()


def test_split_sections_strips_padding_and_keeps_line_numbers() -> None:
    preamble, sections = split_sections("Banner\t\t\n\t\t\n[A]\t\t\nx\t1\t\n\t\t\n[B]\nNA\t\t\n", "f")
    assert [row.values() for row in preamble] == [["Banner"]]
    assert [(row.line, row.values(), row.written) for row in sections["A"].rows] == [(4, ["x", "1"], 3)]
    assert [row.values() for row in sections["B"].rows] == [["NA"]]
