"""Fuzzing every reader with damaged copies of real files (issue 13).

Seeds are the bundled examples and, when present, the real published files of ``../shared/data``. Each
case damages one seed the way copies and editors damage files: a cut at any offset (inside a line,
at a line end, just before one, inside the tab padding), a line deleted or repeated, a byte changed,
another encoding or line end, gzip (whole or cut), a huge cell, and numbers replaced by huge,
negative and non-finite ones. The property, for every case:

- the readers answer with one clean :class:`InputError` (one line, values clipped) or with profiles
  whose JSON is strict (no NaN or infinity): never another exception;
- they never hang (a guard timer turns a hang into a failure);
- a TSO500 text output cut inside a line (no line end at the end, every such file has one) is never
  read as valid, nor a VCF or MAF whose last line lost columns, nor a cut gzip stream.

``make test`` runs a few thousand cases; ``make fuzz`` many more (``ONCOBASKET_FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncobasket.core.errors import MAX_MESSAGE, InputError
from oncobasket.core.profiles import MolecularProfile
from oncobasket.io.match_table import read_clinical_table
from oncobasket.io.oncotree import load_shipped_tumour_types
from oncobasket.io.protocol_file import default_protocol_path, load_protocol
from oncobasket.io.readers import read_profiles

#: Cases per test: a few thousand in all for ``make test``; ``make fuzz`` sets many more.
CASES = int(os.environ.get("ONCOBASKET_FUZZ_EXAMPLES", "700"))
#: A reader that has not answered after this long is hung (the largest seed reads in well under 1 s).
HANG_SECONDS = 60

REPOSITORY = Path(__file__).resolve().parents[1]
EXAMPLES = REPOSITORY / "src" / "oncobasket" / "data" / "examples"
SHARED_DATA = REPOSITORY.parent / "shared" / "data"
RUN = EXAMPLES / "tso500" / "run_2026-01"
SAMPLE = RUN / "Results" / "OB-0001"


@dataclass(frozen=True)
class Seed:
    """One file to damage: its bytes, the name it is read under and where it is placed.

    ``place`` is ``alone`` (the file is the path given), ``sample`` (a side file in a copy of the
    OB-0001 sample folder, beside its CombinedVariantOutput), ``run`` (the MetricsOutput.tsv of a
    copy of a run with two samples, read as that run), ``protocol`` (a trial protocol) or ``clinical``
    (a clinical table for batch screening).
    """

    label: str
    data: bytes
    name: str
    place: str
    #: every line of the file ends with a line end (TSO500 text outputs): a cut inside a line is detectable
    whole_lines: bool = False
    #: a table whose last line is checked for lost columns (VCF and MAF)
    last_line_checked: bool = False


def _seed(path: Path, place: str = "alone", name: str | None = None) -> Seed:
    file_name = name or path.name
    text_output = file_name.endswith(
        ("_CombinedVariantOutput.tsv", "MetricsOutput.tsv", "_CopyNumberVariants.vcf", "_Fusions.csv")
    )
    table = file_name.endswith((".vcf", ".maf", ".txt")) and place == "alone"
    return Seed(path.name, path.read_bytes(), file_name, place, whole_lines=text_output, last_line_checked=table)


def _example_seeds() -> list[Seed]:
    return [
        _seed(SAMPLE / "OB-0001_CombinedVariantOutput.tsv"),
        _seed(RUN / "Results" / "NTC-2601" / "NTC-2601_CombinedVariantOutput.tsv"),
        _seed(EXAMPLES / "tso500" / "dragen" / "OB-0006_CombinedVariantOutput.tsv"),
        _seed(EXAMPLES / "vcf" / "OB-0101.vcf"),
        _seed(EXAMPLES / "maf" / "OB-study.maf"),
        _seed(SAMPLE / "OB-0001-D_CopyNumberVariants.vcf", "sample"),
        _seed(SAMPLE / "OB-0001-R_AllFusions.csv", "sample"),
        _seed(RUN / "Results" / "MetricsOutput.tsv", "run"),
    ]


def _shared_seeds(shared: Path) -> list[Seed]:
    tso = shared / "tso500"
    ctdna = "YinanWang16__FusionMix_DNA_1pct_rep1"
    seeds = [_seed(path) for path in sorted(tso.glob("*_CombinedVariantOutput*.tsv"))]
    seeds += [
        _seed(tso / f"{ctdna}.tmb.json", "sample", "OB-0001-D.tmb.json"),
        _seed(tso / f"{ctdna}.msi.json", "sample", "OB-0001-D.msi.json"),
        _seed(tso / f"{ctdna}_CopyNumberVariants.vcf", "sample", "OB-0001-D_CopyNumberVariants.vcf"),
        _seed(tso / f"{ctdna}_Fusions.csv", "sample", "OB-0001-D_Fusions.csv"),
        _seed(tso / "AWGL__tests_test_data_fusion_check_sample_AllFusions.csv", "sample", "OB-0001-R_AllFusions.csv"),
        _seed(shared / "maf" / "oncokb-annotator__example_maf.txt", name="oncokb_example.maf"),
        _seed(shared / "maf" / "oncokb-annotator__example_maf_grch38.txt", name="oncokb_grch38.maf"),
        _seed(shared / "maf" / "maftools__APL_primary.maf.gz"),
    ]
    if CASES > 5000:  # the larger MAFs only in `make fuzz`: each read costs tenths of a second
        seeds += [_seed(shared / "maf" / "maftools__brca.maf.gz"), _seed(shared / "maf" / "maftools__tcga_laml.maf.gz")]
    return seeds


# ---------------------------------------------------------------------------------------------
# Damage
# ---------------------------------------------------------------------------------------------

HOSTILE_NUMBERS = [
    b"inf",
    b"-inf",
    b"nan",
    b"NaN",
    b"-nan",
    b"Infinity",
    b"1e400",
    b"-1e400",
    b"1e-400",
    b"-1",
    b"-0",
    b"0",
    b"9223372036854775808",
    b"9" * 400,
    b"1e308",
    b"0x10",
    b"1_000",
    b"",
]
_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


@st.composite
def _damage(draw: st.DrawFn, data: bytes) -> tuple[str, bytes]:
    """One damage of ``data``: (its kind, the damaged bytes)."""
    kind = draw(
        st.sampled_from(
            ["truncate", "delete_line", "duplicate_line", "flip", "number", "encoding", "gzip", "huge_cell"]
        )
    )
    size = len(data)
    if kind == "truncate":
        where = draw(st.sampled_from(["anywhere", "line_end", "before_line_end", "padding"]))
        ends = [match.end() for match in re.finditer(rb"\n", data)] or [size]
        if where == "anywhere":
            cut = draw(st.integers(0, max(0, size - 1)))
        elif where == "line_end":
            cut = draw(st.sampled_from(ends[:-1] or [0]))
        elif where == "before_line_end":
            cut = max(0, draw(st.sampled_from(ends)) - 1)
        else:
            tabs = [match.start() for match in re.finditer(rb"\t\t", data)] or [size // 2]
            cut = draw(st.sampled_from(tabs)) + 1
        return kind, data[:cut]
    lines = data.split(b"\n")
    if kind in ("delete_line", "duplicate_line"):
        index = draw(st.integers(0, len(lines) - 1))
        if kind == "delete_line":
            return kind, b"\n".join(lines[:index] + lines[index + 1 :])
        return kind, b"\n".join(lines[: index + 1] + lines[index:])
    if kind == "flip":
        position = draw(st.integers(0, max(0, size - 1)))
        return kind, data[:position] + bytes([draw(st.integers(0, 255))]) + data[position + 1 :]
    if kind == "number":
        numbers = list(_NUMBER.finditer(data))
        if not numbers:
            return kind, data
        match = draw(st.sampled_from(numbers))
        return kind, data[: match.start()] + draw(st.sampled_from(HOSTILE_NUMBERS)) + data[match.end() :]
    if kind == "encoding":
        how = draw(st.sampled_from(["utf-16", "latin-1", "bom", "crlf", "cr", "nul"]))
        text = data.decode("utf-8", errors="replace")
        if how == "utf-16":
            return kind, text.encode("utf-16")
        if how == "latin-1":
            return kind, text.replace("e", "é", 3).encode("latin-1", errors="replace")
        if how == "bom":
            return kind, b"\xef\xbb\xbf" + data
        if how == "crlf":
            return kind, data.replace(b"\n", b"\r\n")
        if how == "cr":
            return kind, data.replace(b"\n", b"\r")
        position = draw(st.integers(0, max(0, size - 1)))
        return kind, data[:position] + b"\x00" + data[position:]
    if kind == "gzip":
        packed = gzip.compress(data)
        cut = draw(st.integers(len(packed) // 2, len(packed)))
        return ("gzip" if cut == len(packed) else "gzip_cut"), packed[:cut]
    position = draw(st.integers(0, max(0, size - 1)))
    return kind, data[:position] + b"\t" + b"A" * 200_000 + b"\t" + data[position:]


# ---------------------------------------------------------------------------------------------
# Reading, with a guard against hangs
# ---------------------------------------------------------------------------------------------


class HangError(Exception):
    pass


@contextmanager
def _hang_guard() -> Iterator[None]:
    def _raise(_signal: int, _frame: FrameType | None) -> None:
        raise HangError(f"no answer after {HANG_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _place(seed: Seed, data: bytes, folder: Path) -> tuple[Path, Path]:
    """Write the damaged file where it is read; returns (the path given to the readers, the file)."""
    if seed.place in ("alone", "protocol", "clinical"):
        target = folder / seed.name
        target.write_bytes(data)
        return target, target
    if seed.place == "sample":
        sample = folder / "OB-0001"
        sample.mkdir()
        shutil.copy(SAMPLE / "OB-0001_CombinedVariantOutput.tsv", sample)
        target = sample / seed.name
        target.write_bytes(data)
        return sample, target
    results = folder / "run" / "Results"
    for name in ("NTC-2601", "OB-0004"):
        shutil.copytree(RUN / "Results" / name, results / name)
    target = results / "MetricsOutput.tsv"
    target.write_bytes(data)
    return folder / "run", target


def _read(seed: Seed, path: Path) -> list[Any]:
    """What the seed's reader makes of ``path``: profiles, or the parsed protocol or clinical table."""
    if seed.place == "protocol":
        return [load_protocol(path, _tumour_types())]
    if seed.place == "clinical":
        return [read_clinical_table(path)]
    return list(read_profiles([path]))


@cache
def _tumour_types() -> Any:
    return load_shipped_tumour_types()


def _check(seed: Seed, kind: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as name:
        given_path, target = _place(seed, data, Path(name))
        try:
            with _hang_guard():
                profiles = _read(seed, given_path)
        except InputError as error:
            message = str(error)
            assert "\n" not in message, message
            assert len(message) <= MAX_MESSAGE + 2 * len(str(target)) + 200, message[:300]
            return
        for profile in profiles:
            if isinstance(profile, MolecularProfile):
                json.dumps(profile.as_dict(), allow_nan=False)
        _assert_not_detectably_cut(seed, kind, data)


def _assert_not_detectably_cut(seed: Seed, kind: str, data: bytes) -> None:
    """A profile was read: the damage must not have been a cut the format lets us see."""
    if kind == "gzip_cut":
        pytest.fail(f"{seed.label}: a cut gzip stream was read as valid")
    if kind != "truncate" or not data.strip() or data.endswith((b"\n", b"\r")):
        return
    if seed.whole_lines:
        pytest.fail(f"{seed.label}: cut inside a line at byte {len(data)} but read as valid")
    if seed.last_line_checked:
        lines = data.split(b"\n")
        header = next((line for line in lines[:-1] if line.startswith((b"#CHROM", b"Hugo_Symbol"))), None)
        last = lines[-1]
        if header is not None and not last.startswith(b"#") and last.count(b"\t") < header.count(b"\t"):
            pytest.fail(f"{seed.label}: last line lost columns at byte {len(data)} but read as valid")


# ---------------------------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------------------------

EXAMPLE_SEEDS = _example_seeds()


@settings(max_examples=CASES * 2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_damaged_examples(data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(EXAMPLE_SEEDS), label="seed")
    kind, damaged = data.draw(_damage(seed.data), label="damage")
    _check(seed, kind, damaged)


@pytest.mark.shared_data
@settings(
    max_examples=CASES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_damaged_real_files(shared_data: Path, data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(_SHARED_SEEDS or _shared_seeds(shared_data)), label="seed")
    kind, damaged = data.draw(_damage(seed.data), label="damage")
    _check(seed, kind, damaged)


_SHARED_SEEDS = _shared_seeds(SHARED_DATA) if SHARED_DATA.is_dir() else []

#: The other files a user gives: a trial protocol (YAML) and a clinical table for batch screening.
OTHER_SEEDS = [
    _seed(default_protocol_path(), "protocol", "protocol.yaml"),
    _seed(EXAMPLES / "clinical.tsv", "clinical", "clinical.tsv"),
]


@settings(max_examples=max(50, CASES // 4), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_damaged_protocol_and_clinical_table(data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(OTHER_SEEDS), label="seed")
    kind, damaged = data.draw(_damage(seed.data), label="damage")
    _check(seed, kind, damaged)


@pytest.mark.parametrize("seed", EXAMPLE_SEEDS, ids=lambda seed: seed.label)
def test_every_cut_inside_a_line_of_a_tso500_output_is_refused(seed: Seed) -> None:
    """Exhaustive over the line ends: a cut one byte before each line end of every TSO500 text output."""
    if not seed.whole_lines:
        pytest.skip("not a TSO500 text output")
    ends = [match.start() for match in re.finditer(rb"\n", seed.data)]
    for end in ends:
        if not seed.data[:end].strip():
            continue
        _check(seed, "truncate", seed.data[:end])
