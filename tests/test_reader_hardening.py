"""Issue 13, readers: each case a probe found, refused with one clean line (or read right), never a crash.

Every test here failed before its fix: a truncated or damaged file read as a valid one (a failed
no-template control passing QC, amplifications lost with an empty CNV VCF, a cut exon number), a
traceback instead of one line (a MAF cell over 128 KiB, ``inf`` in a read count, a non-UTF-8 byte in a
VCF, ``NaN`` and ``1e400`` in the TSO500 JSON), a megabyte echoed on the "one line", and a FIFO named
like a result file that hung ``profile`` for ever.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from oncobasket.core.errors import MAX_MESSAGE, FormatError, InputError, NotFoundError, shown
from oncobasket.io.maf import read_maf
from oncobasket.io.readers import read_profiles
from oncobasket.io.tso500 import read_tso500
from oncobasket.io.tso500_metrics import read_metrics_output
from oncobasket.io.vcf import read_vcf


def _run(examples: Path) -> Path:
    return examples / "tso500" / "run_2026-01"


def _copy_run(examples: Path, tmp_path: Path) -> Path:
    run = tmp_path / "run_2026-01"
    shutil.copytree(_run(examples), run)
    return run


def _one_line(error: pytest.ExceptionInfo[InputError]) -> str:
    message = str(error.value)
    assert "\n" not in message
    assert len(message) <= MAX_MESSAGE + 600  # the path is kept whole; the rest is clipped
    return message


# ---------------------------------------------------------------------------------------------
# MetricsOutput.tsv: a cut file must not turn the failed no-template control into "passed"
# ---------------------------------------------------------------------------------------------


def test_ntc_fails_qc_in_the_whole_file(examples: Path) -> None:
    (profile,) = read_tso500(_run(examples) / "Results" / "NTC-2601")
    assert profile.qc.judged
    assert not profile.qc.passed


@pytest.mark.parametrize(
    "cut_before",
    [
        "[DNA Library QC Metrics for Small Variant Calling and TMB]",
        "[DNA Library QC Metrics for MSI]",
        "[DNA Library QC Metrics for CNV]",
        "[DNA Library QC Metrics]",
        "COMPLETED_ALL_STEPS",
    ],
)
def test_metrics_cut_at_a_line_end_is_refused(examples: Path, tmp_path: Path, cut_before: str) -> None:
    run = _copy_run(examples, tmp_path)
    metrics = run / "Results" / "MetricsOutput.tsv"
    text = metrics.read_text()
    metrics.write_text(text[: text.index(cut_before)])
    with pytest.raises(FormatError, match="looks truncated") as caught:
        read_tso500(run / "Results" / "NTC-2601")
    assert str(metrics) in _one_line(caught)


def test_metrics_cut_inside_the_ntc_column_is_refused(examples: Path, tmp_path: Path) -> None:
    run = _copy_run(examples, tmp_path)
    metrics = run / "Results" / "MetricsOutput.tsv"
    text = metrics.read_text()
    metrics.write_text(text[: text.index("NTC-2601-D")])
    with pytest.raises(FormatError, match=r"MetricsOutput.tsv:16: the file ends inside a line"):
        read_tso500(run / "Results" / "NTC-2601")


def test_library_without_any_measured_metric_does_not_pass(examples: Path, tmp_path: Path) -> None:
    # Every value of the NTC's DNA column blanked to NA: nothing was judged, so QC cannot have passed.
    run = _copy_run(examples, tmp_path)
    metrics = run / "Results" / "MetricsOutput.tsv"
    lines = metrics.read_text().split("\n")
    header = next(line for line in lines if line.startswith("Metric (UOM)") and "NTC-2601-D" in line)
    column = header.split("\t").index("NTC-2601-D")
    blanked = []
    section_has_ntc = False
    for line in lines:
        cells = line.split("\t")
        if line.startswith("Metric (UOM)"):
            section_has_ntc = "NTC-2601-D" in cells
        elif section_has_ntc and len(cells) > column and cells[column].strip():
            cells[column] = "NA"
        blanked.append("\t".join(cells))
    metrics.write_text("\n".join(blanked))
    qc = read_metrics_output(metrics).qc_for(["NTC-2601-D"])
    assert qc is not None
    assert not qc.passed
    assert any("no QC metric of NTC-2601-D has a value" in failure for failure in qc.failures)


# ---------------------------------------------------------------------------------------------
# CNV VCF beside a CombinedVariantOutput; CombinedVariantOutput cut in its last cell
# ---------------------------------------------------------------------------------------------


def _sample(examples: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "OB-0001"
    shutil.copytree(_run(examples) / "Results" / "OB-0001", folder)
    return folder


@pytest.mark.parametrize("keep", ["", "header", "records"])
def test_empty_or_cut_cnv_vcf_is_an_error(examples: Path, tmp_path: Path, keep: str) -> None:
    folder = _sample(examples, tmp_path)
    vcf = folder / "OB-0001-D_CopyNumberVariants.vcf"
    text = vcf.read_text()
    kept = {"": "", "header": text[: text.index("#CHROM")], "records": text[: len(text) - 5]}[keep]
    vcf.write_text(kept)
    with pytest.raises(FormatError, match=r"CopyNumberVariants.vcf:\d+: (field '#CHROM': no #CHROM|the file ends)"):
        read_tso500(folder)


def test_combined_output_cut_inside_its_last_cell(examples: Path, tmp_path: Path) -> None:
    source = _run(examples) / "Results" / "OB-0001" / "OB-0001_CombinedVariantOutput.tsv"
    text = source.read_text()
    path = tmp_path / "OB-0001_CombinedVariantOutput.tsv"
    path.write_text(text.rstrip("\t\n")[:-1])
    with pytest.raises(FormatError, match="the file ends inside a line"):
        read_tso500(path)


# ---------------------------------------------------------------------------------------------
# TMB and MSI values out of their range, in the CombinedVariantOutput and in the JSON side files
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("Usable MSI Sites\t116", "Usable MSI Sites\t-116", "Usable MSI Sites"),
        ("Total MSI Sites Unstable\t3", "Total MSI Sites Unstable\t-3", "Total MSI Sites Unstable"),
        ("Total MSI Sites Unstable\t3", "Total MSI Sites Unstable\t300", "Total MSI Sites Unstable"),
        ("Percent Unstable MSI Sites\t2.59", "Percent Unstable MSI Sites\t259", "Percent Unstable MSI Sites"),
        ("Coding Region Size in Megabases\t1.27", "Coding Region Size in Megabases\t0", "Coding Region Size"),
        ("Total TMB\t6.3", "Total TMB\t-6.3", "Total TMB"),
    ],
)
def test_out_of_range_tmb_and_msi(examples: Path, tmp_path: Path, old: str, new: str, field: str) -> None:
    text = (_run(examples) / "Results" / "OB-0001" / "OB-0001_CombinedVariantOutput.tsv").read_text()
    assert old in text
    path = tmp_path / "OB-0001_CombinedVariantOutput.tsv"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(FormatError, match=rf"field '{field}[^']*': .* is out of range"):
        read_tso500(path)


def _json_folder(examples: Path, tmp_path: Path, name: str, document: str) -> Path:
    folder = tmp_path / "OB-0001"
    shutil.copytree(_run(examples) / "Results" / "OB-0001", folder)
    (folder / "OB-0001_CombinedVariantOutput.tsv").unlink()
    (folder / name).write_text(document)
    return folder


@pytest.mark.parametrize(
    ("name", "document", "rule"),
    [
        (
            "OB-0001-D.msi.json",
            '{"TotalMicrosatelliteSitesAssessed": 120, "TotalMicrosatelliteSitesUnstable": NaN}',
            "NaN is not a JSON number",
        ),
        (
            "OB-0001-D.msi.json",
            '{"TotalMicrosatelliteSitesAssessed": -5, "TotalMicrosatelliteSitesUnstable": 0}',
            "is out of range",
        ),
        (
            "OB-0001-D.msi.json",
            '{"TotalMicrosatelliteSitesAssessed": 1e400, "TotalMicrosatelliteSitesUnstable": 0}',
            "is not a finite number",
        ),
        ("OB-0001-D.tmb.json", '{"TmbPerMb": 1e400}', "'inf' is not a finite number"),
        ("OB-0001-D.tmb.json", '{"TmbPerMb": Infinity}', "Infinity is not a JSON number"),
        ("OB-0001-D.tmb.json", '{"TmbPerMb": 5, "CodingRegionSizeMb": 0}', "is out of range"),
        ("OB-0001-D.tmb.json", '{"TmbPerMb": ' + "9" * 400 + "}", "is not a finite number"),
        ("OB-0001-D.tmb.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_json_side_files(examples: Path, tmp_path: Path, name: str, document: str, rule: str) -> None:
    folder = _json_folder(examples, tmp_path, name, document)
    with pytest.raises(FormatError, match=re.escape(rule)) as caught:
        read_tso500(folder)
    _one_line(caught)


def test_profile_json_stays_valid_json(examples: Path, tmp_path: Path) -> None:
    # The JSON output failed on 1e400 before: whatever is read prints as strict JSON.
    folder = _json_folder(examples, tmp_path, "OB-0001-D.tmb.json", '{"TmbPerMb": 12.5, "CodingRegionSizeMb": 1.2}')
    for profile in read_tso500(folder):
        json.dumps(profile.as_dict(), allow_nan=False)


# ---------------------------------------------------------------------------------------------
# MAF: a cell over 128 KiB, inf and NaN in read counts
# ---------------------------------------------------------------------------------------------


def _maf_with(examples: Path, tmp_path: Path, column: str, value: str) -> Path:
    lines = (examples / "maf" / "OB-study.maf").read_text().split("\n")
    at = next(index for index, line in enumerate(lines) if line.startswith("Hugo_Symbol"))
    header = lines[at].split("\t")
    row = lines[at + 1].split("\t")
    row[header.index(column)] = value
    path = tmp_path / "cut.maf"
    path.write_text("\n".join([*lines[: at + 1], "\t".join(row)]) + "\n")
    return path


def test_maf_cell_over_128_kib(examples: Path, tmp_path: Path) -> None:
    path = _maf_with(examples, tmp_path, "HGVSc", "c." + "A" * 200_000)
    (profile,) = read_maf(path)
    assert profile.alterations[0].gene == "PIK3CA"


@pytest.mark.parametrize("value", ["inf", "-inf", "-nan", "1e400", "1e300", "Infinity"])
@pytest.mark.parametrize("column", ["t_depth", "t_alt_count", "t_ref_count"])
def test_maf_non_finite_counts(examples: Path, tmp_path: Path, column: str, value: str) -> None:
    path = _maf_with(examples, tmp_path, column, value)
    with pytest.raises(FormatError, match=rf"cut.maf:4: field '{column}'") as caught:
        read_maf(path)
    _one_line(caught)


# ---------------------------------------------------------------------------------------------
# VCF: a byte that is not UTF-8; a header Type that is not a VCF type
# ---------------------------------------------------------------------------------------------


def _vcf_bytes(examples: Path) -> bytes:
    return (examples / "vcf" / "OB-0101.vcf").read_bytes()


@pytest.mark.parametrize("column", [0, 3, 4])
def test_vcf_non_utf8_byte_in_a_record(examples: Path, tmp_path: Path, column: int) -> None:
    # CHROM, REF and ALT are decoded by cyvcf2 as UTF-8: a stray byte there raised UnicodeDecodeError.
    raw = _vcf_bytes(examples)
    start = raw.index(b"\n", raw.index(b"#CHROM")) + 1
    end = raw.index(b"\n", start)
    cells = raw[start:end].split(b"\t")
    cells[column] = cells[column][:1] + b"\xff" + cells[column][1:]
    path = tmp_path / "bad.vcf"
    path.write_bytes(raw[:start] + b"\t".join(cells) + raw[end:])
    line = raw[:start].count(b"\n") + 1
    with pytest.raises(FormatError, match=rf"bad.vcf:{line}: not UTF-8 text") as caught:
        read_vcf(path)
    _one_line(caught)


def test_vcf_header_type_not_a_vcf_type(examples: Path, tmp_path: Path) -> None:
    raw = _vcf_bytes(examples)
    assert b"Type=Float" in raw
    path = tmp_path / "bad.vcf"
    path.write_bytes(raw.replace(b"Type=Float", b"Type=Float\xff", 1))
    with pytest.raises(FormatError, match=r"field 'header': .*Type"):
        read_vcf(path)


# ---------------------------------------------------------------------------------------------
# Echoed values are clipped; non-regular files are refused, never read
# ---------------------------------------------------------------------------------------------


def test_huge_value_is_clipped_in_the_error(examples: Path, tmp_path: Path) -> None:
    text = (_run(examples) / "Results" / "OB-0001" / "OB-0001_CombinedVariantOutput.tsv").read_text()
    path = tmp_path / "OB-0001_CombinedVariantOutput.tsv"
    path.write_text(text.replace("Usable MSI Sites\t116", "Usable MSI Sites\t" + "7x" * 500_000, 1))
    with pytest.raises(FormatError) as caught:
        read_tso500(path)
    message = _one_line(caught)
    assert "(1000000 characters)" in message
    assert len(message) < 600


def test_other_errors_are_clipped_too() -> None:
    assert len(str(NotFoundError("no patient " + "x" * 10**6))) < MAX_MESSAGE + 40
    assert shown("a\nb") == "a b"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")
@pytest.mark.parametrize(
    "name",
    [
        "OB-0001_CombinedVariantOutput.tsv",
        "OB-0001-D_CopyNumberVariants.vcf",
        "OB-0001-D.tmb.json",
        "MetricsOutput.tsv",
    ],
)
def test_fifo_named_like_a_result_is_refused_in_a_folder(examples: Path, tmp_path: Path, name: str) -> None:
    folder = _sample(examples, tmp_path)
    target = folder / name
    target.unlink(missing_ok=True)
    os.mkfifo(target)
    with pytest.raises(FormatError, match="is a named pipe") as caught:
        read_profiles([folder])
    assert str(target) in _one_line(caught)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")
@pytest.mark.parametrize("name", ["X_CombinedVariantOutput.tsv", "x.vcf", "x.maf", "results.txt"])
def test_fifo_given_directly_is_refused(tmp_path: Path, name: str) -> None:
    fifo = tmp_path / name
    os.mkfifo(fifo)
    with pytest.raises(FormatError, match="is a named pipe"):
        read_profiles([fifo])
    for reader in (read_vcf, read_maf, read_tso500):
        with pytest.raises(FormatError, match="is a named pipe"):
            reader(fifo)


def test_device_is_refused() -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero on this system")
    with pytest.raises(FormatError, match="is a device"):
        read_profiles([Path("/dev/zero")])


# ---------------------------------------------------------------------------------------------
# What the fuzzing harness (tests/test_fuzz_readers.py) found, kept as regression cases
# ---------------------------------------------------------------------------------------------


def test_vcf_definition_without_type(examples: Path, tmp_path: Path) -> None:
    raw = _vcf_bytes(examples)
    path = tmp_path / "bad.vcf"
    path.write_bytes(raw.replace(b"##FORMAT=<ID=FC,Number=1,Type=Float,", b"##FORMAT=<ID=FC,Number=1,", 1))
    with pytest.raises(FormatError, match=r"field 'header': ##FORMAT FC has Type"):
        read_vcf(path)


def test_vcf_csq_written_as_a_flag(examples: Path, tmp_path: Path) -> None:
    raw = _vcf_bytes(examples)
    start = raw.index(b"DP=412;CSQ=")
    end = raw.index(b"\t", start)
    path = tmp_path / "bad.vcf"
    path.write_bytes(raw[:start] + b"DP=412;CSQ" + raw[end:])
    with pytest.raises(FormatError, match=r"bad.vcf:25: field 'INFO/CSQ': INFO CSQ has no value"):
        read_vcf(path)


def test_fusion_csv_quote_never_closed(examples: Path, tmp_path: Path) -> None:
    folder = _sample(examples, tmp_path)
    csv_path = folder / "OB-0001-R_AllFusions.csv"
    text = csv_path.read_text()
    at = text.index("RnaFusionFilter")
    csv_path.write_text(text[:at] + '"' + text[at:])
    with pytest.raises(FormatError, match="a quoted cell is never closed"):
        read_tso500(folder)


def test_clinical_table_damaged_gzip_and_fifo(examples: Path, tmp_path: Path) -> None:
    import gzip

    from oncobasket.io.match_table import read_clinical_table

    packed = gzip.compress((examples / "clinical.tsv").read_bytes())
    path = tmp_path / "clinical.tsv.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(FormatError, match="truncated or corrupt"):
        read_clinical_table(path)
    fifo = tmp_path / "clinical.tsv"
    os.mkfifo(fifo)
    with pytest.raises(FormatError, match="is a named pipe"):
        read_clinical_table(fifo)


def test_protocol_fifo_refused(tmp_path: Path) -> None:
    from oncobasket.core.errors import ProtocolError
    from oncobasket.io.oncotree import load_shipped_tumour_types
    from oncobasket.io.protocol_file import load_protocol

    fifo = tmp_path / "protocol.yaml"
    os.mkfifo(fifo)
    with pytest.raises((FormatError, ProtocolError), match="is a named pipe"):
        load_protocol(fifo, load_shipped_tumour_types())
