"""How many TSO500 CombinedVariantOutput files the reader parses per second on one core.

Writes a synthetic corpus in a temporary folder: files laid out as the TSO500 Local App writes them
(tab padding, NA sections), each with about 40 small variants drawn from a pool of recurrent variants
(as real trial data repeat the same hotspots) plus a few unique ones, amplifications and a fusion.
Prints three figures:

- recurrent corpus, first pass (the protein-change cache starts empty),
- recurrent corpus, second pass (warm cache),
- cold cache: every protein change distinct, so every one goes through the HGVS grammar.

Run: ``.venv/bin/python benchmarks/bench_tso500.py [--files N]``. Target: >= 500 files/s.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from oncobasket.core import protein
from oncobasket.core.profiles import GenomeBuild, ProfileSettings
from oncobasket.io.tso500 import read_combined_variant_output

AMINO_ACIDS = ["Ala", "Arg", "Asn", "Asp", "Cys", "Gln", "Glu", "Gly", "His", "Ile", "Leu", "Lys", "Met", "Phe"]
GENES = ["TP53", "KRAS", "PIK3CA", "BRAF", "EGFR", "APC", "ARID1A", "KMT2D", "NOTCH1", "ATM", "BRCA2", "PTEN"]
# Shares close to a real TSO500 DNA file (e.g. 14 of 35 small variants synonymous in the published AWGL fixture).
CONSEQUENCES = [
    "missense_variant",
    "synonymous_variant",
    "splice_region_variant:synonymous_variant",
    "stop_gained",
    "frameshift_variant",
]
CONSEQUENCE_WEIGHTS = [50, 30, 10, 5, 5]
HEADER = (
    "Gene\tChromosome\tGenomic Position\tReference Call\tAlternative Call\tAllele Frequency\tDepth\t"
    "P-Dot Notation\tC-Dot Notation\tConsequence(s)\tAffected Exon(s)"
)
WIDTH = 11
SPLICE_HEADER = (
    "Gene\tAffected Exon\tBreakpoint 1\tBreakpoint 2\tSplice Supporting Reads\tReference Reads Transcript"
    + "\t" * 5
    + "\n"
)
FUSION_HEADER = (
    "Gene Pair\tBreakpoint 1\tBreakpoint 2\tFusion Supporting Reads\tGene 1 Reference Reads\tGene 2 Reference Reads"
    + "\t" * 5
    + "\n"
)


def _line(*cells: str) -> str:
    return "\t".join(cells) + "\t" * (WIDTH - len(cells)) + "\n"


def _variant(rng: random.Random, serial: int, *, distinct: bool) -> str:
    gene = GENES[serial % len(GENES)]
    position = 1000 + serial if distinct else rng.randint(10, 1200)
    ref, alt = rng.sample(AMINO_ACIDS, 2)
    consequence = rng.choices(CONSEQUENCES, CONSEQUENCE_WEIGHTS)[0]
    if consequence.endswith("synonymous_variant"):
        p_dot = f"NM_000001.1:c.{position * 3}C>T(p.({ref}{position}=))"
    elif consequence == "stop_gained":
        p_dot = f"NP_000001.1:p.({ref}{position}Ter)"
    elif consequence == "frameshift_variant":
        p_dot = f"NP_000001.1:p.({ref}{position}{alt}fsTer{rng.randint(2, 40)})"
    else:
        p_dot = f"NP_000001.1:p.({ref}{position}{alt})"
    return _line(
        gene,
        "chr17",
        str(7570000 + serial),
        "C",
        "T",
        f"{rng.uniform(0.05, 0.6):.4f}",
        str(rng.randint(150, 2000)),
        p_dot,
        f"NM_000001.1:c.{position * 3}C>T",
        consequence,
        f"{rng.randint(1, 11)}/11",
    )


def _file_text(rng: random.Random, number: int, pool: list[str], unique: int, *, distinct: bool) -> str:
    sample = f"OB-{number:05d}"
    parts = [
        _line("TruSight Oncology 500 - Combined Variant Output"),
        _line("For Research Use Only. Not for use in diagnostic procedures."),
        _line(),
        _line("[Analysis Details]"),
        _line("Pair ID", sample),
        _line("DNA Sample ID", f"{sample}-D"),
        _line("RNA Sample ID", f"{sample}-R"),
        _line("Pipeline Version", "2.2.0.12"),
        _line(),
        _line("[Sequencing Run Details]"),
        _line("NA"),
        _line(),
        _line("[TMB]"),
        _line("Total TMB", f"{rng.uniform(0, 40):.1f}"),
        _line("Coding Region Size in Megabases", "1.27"),
        _line("Number of Passing Eligible Variants", str(rng.randint(0, 50))),
        _line(),
        _line("[MSI]"),
        _line("Usable MSI Sites", str(rng.randint(20, 130))),
        _line("Total MSI Sites Unstable", str(rng.randint(0, 20))),
        _line("Percent Unstable MSI Sites", f"{rng.uniform(0, 30):.2f}"),
        _line(),
        _line("[Gene Amplifications]"),
        _line("Gene", "Fold Change"),
        _line("ERBB2", f"{rng.uniform(2, 8):.3f}"),
        _line("MYC", f"{rng.uniform(2, 8):.3f}"),
        _line(),
        _line("[Splice Variants]"),
        SPLICE_HEADER,
        _line("NA"),
        _line(),
        _line("[Fusions]"),
        FUSION_HEADER,
        _line("EML4-ALK", "chr2:42522654", "chr2:29446394", str(rng.randint(20, 400)), "700", "9"),
        _line(),
        _line("[Small Variants]"),
        HEADER + "\n",
    ]
    if distinct:
        parts.extend(_variant(rng, number * 100 + index, distinct=True) for index in range(40))
    else:
        parts.extend(rng.sample(pool, 40 - unique))
        parts.extend(_variant(rng, number * 100 + index, distinct=True) for index in range(unique))
    parts.append(_line())
    return "".join(parts)


def _write_corpus(folder: Path, files: int, *, distinct: bool, seed: int, unique: int = 3) -> list[Path]:
    rng = random.Random(seed)
    pool = [_variant(rng, serial, distinct=False) for serial in range(400)]
    paths = []
    for number in range(files):
        path = folder / f"OB-{number:05d}_CombinedVariantOutput.tsv"
        path.write_text(_file_text(rng, number, pool, unique=unique, distinct=distinct))
        paths.append(path)
    return paths


def _rate(paths: list[Path], settings: ProfileSettings) -> tuple[float, int]:
    start = time.perf_counter()
    alterations = 0
    for path in paths:
        alterations += len(read_combined_variant_output(path, settings).alterations)
    return len(paths) / (time.perf_counter() - start), alterations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000, help="files in the recurrent corpus")
    parser.add_argument("--unique", type=int, default=3, help="variants per file not seen in any other file")
    parser.add_argument("--cold-files", type=int, default=200, help="files in the all-distinct corpus")
    arguments = parser.parse_args()
    settings = ProfileSettings(build=GenomeBuild.GRCH37, tumour_purity_percent=40)
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        (folder / "recurrent").mkdir()
        (folder / "distinct").mkdir()
        recurrent = _write_corpus(
            folder / "recurrent", arguments.files, distinct=False, seed=1, unique=arguments.unique
        )
        distinct = _write_corpus(folder / "distinct", arguments.cold_files, distinct=True, seed=2)
        protein._parse_cached.cache_clear()
        first, alterations = _rate(recurrent, settings)
        second, _ = _rate(recurrent, settings)
        protein._parse_cached.cache_clear()
        cold, cold_alterations = _rate(distinct, settings)
    print(
        f"TSO500 CombinedVariantOutput, one core, {arguments.files} files ({alterations} alterations; 40 small "
        f"variants a file from a pool of 400 recurrent ones, {arguments.unique} unique a file):"
    )
    print(f"  recurrent variants, cache empty at start: {first:8.0f} files/s")
    print(f"  recurrent variants, warm cache:           {second:8.0f} files/s")
    print(
        f"  cold cache, every protein change distinct ({arguments.cold_files} files, {cold_alterations} alterations): "
        f"{cold:8.0f} files/s"
    )
    print(f"  target: >= 500 files/s -> {'met' if first >= 500 else 'NOT met'} (recurrent corpus, first pass)")


if __name__ == "__main__":
    main()
