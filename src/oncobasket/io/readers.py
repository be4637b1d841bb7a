"""One way in for every molecular result: recognise what a path holds and hand it to its reader."""

from __future__ import annotations

from pathlib import Path

from oncobasket.core.errors import FormatError
from oncobasket.core.profiles import MolecularProfile, ProfileSettings
from oncobasket.io.files import check_regular_file, open_regular


def read_profiles(paths: list[Path], settings: ProfileSettings = ProfileSettings()) -> list[MolecularProfile]:
    """Read every path (TSO500 file or folder, VCF, MAF) into profiles, in the order given.

    With ``settings.sample_id`` only that sample's profile is returned; asking for a sample that no
    file holds is an error, not an empty answer.
    """
    from oncobasket.io import maf, tso500, vcf

    profiles: list[MolecularProfile] = []
    for path in paths:
        if not path.exists():
            raise FormatError("no such file or folder", source=str(path), fix="check the path")
        check_regular_file(path)
        kind = sniff(path)
        if kind == "tso500":
            profiles.extend(tso500.read_tso500(path, settings))
        elif kind == "vcf":
            profiles.append(vcf.read_vcf(path, settings))
        elif kind == "maf":
            profiles.extend(maf.read_maf(path, settings))
        else:
            raise FormatError(
                "not a recognised molecular result (TSO500 CombinedVariantOutput or folder, VCF, MAF)",
                source=str(path),
                fix="give a *_CombinedVariantOutput.tsv, a TSO500 sample or run folder, a .vcf[.gz] or a .maf[.gz]",
            )
    if settings.sample_id is not None:
        profiles = [profile for profile in profiles if profile.sample_id == settings.sample_id]
        if not profiles:
            raise FormatError(
                f"no sample '{settings.sample_id}' in the files given",
                field="--sample",
                fix="use a sample ID that the files contain",
            )
    return profiles


def sniff(path: Path) -> str | None:
    """``tso500``, ``vcf``, ``maf`` or None, from the name and, if needed, the first bytes."""
    if path.is_dir():
        return "tso500"
    name = path.name.lower()
    if name.endswith((".vcf", ".vcf.gz", ".vcf.bgz")):
        return "vcf"
    if name.endswith((".maf", ".maf.gz", ".maf.txt")):
        return "maf"
    head = _first_text(path)
    if "Combined Variant Output" in head.splitlines()[0] if head else False:
        return "tso500"
    if head.startswith("##fileformat=VCF"):
        return "vcf"
    lowered = head.lower()
    if "hugo_symbol" in lowered and "tumor_sample_barcode" in lowered:
        return "maf"
    if _first_table_line(lowered).startswith(("hugo_symbol\t", "gene symbol\t")):
        # A gene-per-row table (cBioPortal's data_CNA.txt, GISTIC's by-gene calls): the MAF reader says
        # what it is and why it is refused, which tells more than "not a recognised molecular result".
        return "maf"
    if name.endswith("combinedvariantoutput.tsv"):
        # Named as a TSO500 output but without its banner: let the TSO500 reader say what is wrong.
        return "tso500"
    return None


def _first_table_line(text: str) -> str:
    """The first line that is not a ``#`` comment (MAF and cBioPortal files may start with some)."""
    return next((line for line in text.splitlines() if line.strip() and not line.startswith("#")), "")


def _first_text(path: Path, size: int = 65536) -> str:
    import gzip
    import zlib

    with open_regular(path) as handle:
        raw = handle.read(size)
    if raw[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as handle:
                raw = handle.read(size)
        except (EOFError, OSError, zlib.error) as error:
            raise FormatError(
                f"the gzip stream is damaged or cut short ({error})",
                source=str(path),
                fix="copy or download the file again; `gzip -t FILE` checks it",
            ) from None
    return raw.decode("utf-8-sig", errors="replace")
