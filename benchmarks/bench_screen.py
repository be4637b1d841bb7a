"""Batch re-screening of 100,000 generated profiles (about 1,000,000 alterations) against the default protocol.

Profiles are generated directly as columns (no files): a pool of a few thousand alteration templates
is turned into the frame's columns once (:func:`oncobasket.core.screening.alteration_columns`), and
each sample draws about ten alterations from it with realistic weights -- mostly passenger variants
in TP53, APC, KMT2D, ARID1A and other genes, actionable alterations (BRAF V600E, KRAS G12C, EGFR
exon 19 deletions, ERBB2 amplification, ALK/RET/NTRK fusions, MET exon 14 skipping, BRCA1/2
truncating variants, ...) at the low frequencies of a pan-cancer screening population, plus TMB, MSI,
a few unusable results and QC-failed areas.

Printed figures:

- ``batch``: wall and CPU time of ``screen()`` (CPU time of all threads: a fair figure when other work
  shares the machine), wall time of the whole run (generation included), and the peak
  resident memory of the child process that ran it (``ru_maxrss``; polars allocates outside Python,
  so tracemalloc would not see it). Targets: < 10 s and < 2 GB.
- ``per-profile``: median and 95th percentile of ``match_profile`` over 1,000 generated profiles after
  warm-up. Target: < 50 ms.
- ``oncobasket match``: wall time of one CLI run on a bundled example (start-up included).

Run: ``python benchmarks/bench_screen.py [--profiles N]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

from oncobasket.core.matching import PatientFacts, match_profile
from oncobasket.core.profiles import (
    Alteration,
    AlterationKind,
    MolecularProfile,
    Msi,
    MsiStatus,
    Tmb,
    classify_tmb,
)
from oncobasket.core.screening import ALTERATION_SCHEMA, SAMPLE_SCHEMA, alteration_columns, screen
from oncobasket.io.oncotree import load_shipped_tumour_types
from oncobasket.io.protocol_file import default_protocol_path, load_protocol

PASSENGER_GENES = [
    "TP53",
    "APC",
    "KMT2D",
    "ARID1A",
    "KMT2C",
    "LRP1B",
    "FAT1",
    "NOTCH1",
    "PTPRD",
    "CSMD3",
    "SPTA1",
    "ZFHX3",
    "NF1",
    "SMAD4",
    "CDKN2A",
    "KEAP1",
    "STK11",
    "FBXW7",
    "CTNNB1",
    "RNF43",
    "TERT",
    "SETD2",
    "PBRM1",
    "BAP1",
    "ATRX",
    "CIC",
    "FAT4",
    "GRIN2A",
    "EPHA3",
    "ROBO1",
    "PREX2",
    "ERBB4",
    "POLE",
    "MSH6",
    "NSD1",
    "CREBBP",
    "EP300",
    "BCOR",
    "KDM6A",
    "KDM5C",
    "ASXL1",
    "DNMT3A",
    "TET2",
    "RUNX1",
    "GATA3",
    "MAP3K1",
    "CDH1",
    "FOXA1",
    "SPOP",
]
AMINO = "ACDEFGHIKLMNPQRSTVWY"
TUMOUR_TYPES = {
    "COAD": 0.12,
    "LUAD": 0.10,
    "PAAD": 0.08,
    "BRCA": 0.09,
    "CHOL": 0.05,
    "IHCH": 0.02,
    "SKCM": 0.05,
    "HGSOC": 0.06,
    "PRAD": 0.06,
    "BLCA": 0.04,
    "STAD": 0.05,
    "UCEC": 0.05,
    "READ": 0.04,
    "THPA": 0.02,
    "CUP": 0.05,
    "ACC": 0.02,
    "NSCLC": 0.04,
    "MEL": 0.06,
}


def _mutation(gene: str, protein: str | None, classification: str, consequence: str, **extra: object) -> Alteration:
    return Alteration(
        gene=gene,
        kind=AlterationKind.MUTATION,
        protein_change=protein,
        variant_classification=classification,
        consequences=(consequence,),
        **extra,  # type: ignore[arg-type]
    )


def template_pool(rng: np.random.Generator) -> tuple[list[Alteration], np.ndarray]:
    """Alteration templates and their draw weights (per alteration, summing to 1)."""
    templates: list[Alteration] = []
    weights: list[float] = []

    def add(alteration: Alteration, weight: float) -> None:
        templates.append(alteration)
        weights.append(weight)

    # Passenger missense and truncating variants: about 88 % of all alterations.
    for gene in PASSENGER_GENES:
        for _ in range(40):
            position = int(rng.integers(10, 1500))
            ref, alt = rng.choice(list(AMINO), 2, replace=False)
            add(_mutation(gene, f"p.{ref}{position}{alt}", "Missense_Mutation", "missense_variant"), 0.88 * 0.8 / 2000)
        for _ in range(10):
            position = int(rng.integers(10, 1500))
            add(_mutation(gene, f"p.R{position}*", "Nonsense_Mutation", "stop_gained"), 0.88 * 0.2 / 500)
    # Passenger variants in the protocol's genes that do not match (non-hotspot missense, synonymous).
    for gene in ("BRAF", "KRAS", "EGFR", "ERBB2", "PIK3CA", "MET", "RET", "FGFR2", "FGFR3", "ATM", "BRCA2"):
        for _ in range(20):
            position = int(rng.integers(200, 1200))
            add(_mutation(gene, f"p.A{position}T", "Missense_Mutation", "missense_variant"), 0.04 / 220)
        add(_mutation(gene, "p.L100=", "Silent", "synonymous_variant"), 0.005 / 11)
    # Actionable alterations at screening-population frequencies (per alteration drawn).
    actionable = [
        (_mutation("BRAF", "p.V600E", "Missense_Mutation", "missense_variant"), 0.004),
        (_mutation("BRAF", "p.G469A", "Missense_Mutation", "missense_variant"), 0.0006),
        (_mutation("KRAS", "p.G12C", "Missense_Mutation", "missense_variant"), 0.003),
        (_mutation("KRAS", "p.G12D", "Missense_Mutation", "missense_variant"), 0.008),
        (_mutation("KRAS", "p.Q61H", "Missense_Mutation", "missense_variant"), 0.001),
        (_mutation("NRAS", "p.Q61R", "Missense_Mutation", "missense_variant"), 0.002),
        (_mutation("PIK3CA", "p.H1047R", "Missense_Mutation", "missense_variant"), 0.005),
        (_mutation("PIK3CA", "p.E545K", "Missense_Mutation", "missense_variant"), 0.004),
        (_mutation("EGFR", "p.E746_A750del", "In_Frame_Del", "inframe_deletion"), 0.001),
        (_mutation("EGFR", "p.L858R", "Missense_Mutation", "missense_variant"), 0.001),
        (_mutation("ERBB2", "p.A775_G776insYVMA", "In_Frame_Ins", "inframe_insertion"), 0.0003),
        (_mutation("ERBB2", "p.S310F", "Missense_Mutation", "missense_variant"), 0.0005),
        (_mutation("IDH1", "p.R132H", "Missense_Mutation", "missense_variant"), 0.001),
        (_mutation("AKT1", "p.E17K", "Missense_Mutation", "missense_variant"), 0.0004),
        (_mutation("BRCA2", "p.S1982Rfs*22", "Frame_Shift_Del", "frameshift_variant", vaf=0.7), 0.001),
        (_mutation("BRCA1", "p.E23Vfs*17", "Frame_Shift_Del", "frameshift_variant", vaf=0.35), 0.001),
        (_mutation("ATM", "p.R1443*", "Nonsense_Mutation", "stop_gained"), 0.001),
        (_mutation("PTEN", "p.R130*", "Nonsense_Mutation", "stop_gained"), 0.001),
        (
            _mutation("MET", None, "Splice_Site", "splice_donor_variant", coding_change="c.3028+1G>T"),
            0.0003,
        ),
        (Alteration(gene="MET", kind=AlterationKind.SPLICE_VARIANT, exon="14/21"), 0.0002),
        (Alteration(gene="ERBB2", kind=AlterationKind.AMPLIFICATION, fold_change=3.1, copy_number=12.0), 0.001),
        (Alteration(gene="MET", kind=AlterationKind.AMPLIFICATION, fold_change=2.8), 0.0004),
        (Alteration(gene="CDK4", kind=AlterationKind.AMPLIFICATION, fold_change=2.5), 0.0006),
        (Alteration(gene="CCND1", kind=AlterationKind.AMPLIFICATION, fold_change=2.2), 0.0008),
        (Alteration(gene="MYC", kind=AlterationKind.AMPLIFICATION, fold_change=2.6), 0.002),
        (Alteration(gene="CDKN2A", kind=AlterationKind.COPY_LOSS, copy_number=0.2), 0.002),
        (Alteration(gene="BRCA2", kind=AlterationKind.COPY_LOSS), 0.0005),
        (Alteration(gene="ALK", kind=AlterationKind.FUSION, genes=("EML4", "ALK")), 0.0003),
        (Alteration(gene="RET", kind=AlterationKind.FUSION, genes=("KIF5B", "RET")), 0.0002),
        (Alteration(gene="NTRK1", kind=AlterationKind.FUSION, genes=("TPM3", "NTRK1")), 0.0001),
        (Alteration(gene="ROS1", kind=AlterationKind.FUSION, genes=("CD74", "ROS1")), 0.0001),
        (Alteration(gene="FGFR2", kind=AlterationKind.FUSION, genes=("FGFR2", "BICC1")), 0.0002),
        (Alteration(gene="FGFR3", kind=AlterationKind.FUSION, genes=("FGFR3", "TACC3")), 0.0001),
    ]
    for alteration, weight in actionable:
        add(alteration, weight)
    array = np.asarray(weights, dtype=np.float64)
    return templates, array / array.sum()


def generate_frames(profiles: int, seed: int = 20260101) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The alteration and sample frames of ``profiles`` generated samples (about 10 alterations each)."""
    rng = np.random.default_rng(seed)
    templates, weights = template_pool(rng)
    pool = pl.DataFrame([alteration_columns(item) for item in templates], schema=dict(ALTERATION_SCHEMA))
    counts = rng.poisson(10.0, profiles)
    total = int(counts.sum())
    picks = rng.choice(len(templates), size=total, p=weights)
    sample_ids = pl.Series("sample_id", [f"GEN-{index:06d}" for index in range(profiles)])
    alterations = (
        pool.drop("sample_id")
        .select(pl.all().gather(pl.Series(picks)))
        .with_columns(
            sample_ids.gather(pl.Series(np.repeat(np.arange(profiles), counts))).alias("sample_id"),
            pl.Series("vaf", np.round(rng.uniform(0.03, 0.9, total), 3)),
            pl.Series("usable", rng.random(total) > 0.01),
        )
        .select(list(ALTERATION_SCHEMA))
    )
    codes = list(TUMOUR_TYPES)
    code_weights = np.asarray(list(TUMOUR_TYPES.values()))
    tmb = np.round(rng.lognormal(1.2, 0.9, profiles), 1)
    msi = rng.choice(["MSS", "MSI-H", "not_evaluable", "missing"], size=profiles, p=[0.94, 0.03, 0.02, 0.01])
    samples = pl.DataFrame(
        {
            "sample_id": sample_ids,
            "tumour_type": rng.choice(codes, size=profiles, p=code_weights / code_weights.sum()),
            "age": np.where(rng.random(profiles) < 0.05, np.nan, rng.integers(18, 88, profiles)).astype(float),
            "ecog": rng.choice([0, 1, 2, 3], size=profiles, p=[0.35, 0.4, 0.2, 0.05]),
            "tmb": tmb,
            "tmb_state": np.where(rng.random(profiles) < 0.02, "unusable", "usable"),
            "msi_state": msi,
            "small_variants_ok": rng.random(profiles) > 0.01,
            "cnv_ok": rng.random(profiles) > 0.01,
            "rna_ok": rng.random(profiles) > 0.02,
        },
        schema=dict(SAMPLE_SCHEMA),
    ).with_columns(pl.col("age").fill_nan(None))
    return alterations, samples


def run_batch(profiles: int) -> dict[str, float]:
    """Generate and screen (in this process); returns the figures."""
    started = time.perf_counter()
    tumour_types = load_shipped_tumour_types()
    protocol = load_protocol(default_protocol_path(), tumour_types)
    alterations, samples = generate_frames(profiles)
    generated = time.perf_counter()
    cpu_started = time.process_time()
    result = screen(alterations, samples, protocol, tumour_types)
    finished = time.perf_counter()
    cpu = time.process_time() - cpu_started
    summary = result.summary()
    return {
        "profiles": summary["profiles"],
        "alterations": summary["alterations"],
        "matches": summary["matches"],
        "samples_with_matches": summary["samples_with_matches"],
        "generate_seconds": round(generated - started, 2),
        "screen_seconds": round(finished - generated, 2),
        "screen_cpu_seconds": round(cpu, 2),
        "total_seconds": round(finished - started, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def per_profile(count: int = 1000) -> tuple[float, float]:
    """Median and 95th percentile of match_profile, in milliseconds, over generated profiles."""
    rng = np.random.default_rng(7)
    templates, weights = template_pool(rng)
    tumour_types = load_shipped_tumour_types()
    protocol = load_protocol(default_protocol_path(), tumour_types)
    codes = list(TUMOUR_TYPES)
    cases = []
    for index in range(count + 100):
        picks = rng.choice(len(templates), size=int(rng.poisson(10.0)), p=weights)
        per_mb = float(np.round(rng.lognormal(1.2, 0.9), 1))
        profile = MolecularProfile(
            sample_id=f"P{index}",
            alterations=tuple(templates[int(pick)] for pick in picks),
            tmb=Tmb(per_mb=per_mb, tmb_class=classify_tmb(per_mb)),
            msi=Msi(usable_sites=100, unstable_sites=2, percent_unstable=2.0, status=MsiStatus.MSS),
        )
        cases.append((profile, PatientFacts(tumour_type=str(rng.choice(codes)), age=60, ecog=1)))
    for profile, facts in cases[:100]:  # warm-up: parser caches, compiled protocol
        match_profile(profile, facts, protocol, tumour_types)
    times = []
    for profile, facts in cases[100:]:
        started = time.perf_counter()
        match_profile(profile, facts, protocol, tumour_types)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95)]


def cli_match_seconds() -> float | None:
    """Wall time of one ``oncobasket match`` run on a bundled example (start-up included)."""
    example = (
        Path(__file__).resolve().parents[1]
        / "src/oncobasket/data/examples/tso500/run_2026-01/Results/OB-0001/OB-0001_CombinedVariantOutput.tsv"
    )
    command = [sys.executable, "-m", "oncobasket.cli", "match", str(example), "--tumour-type", "PAAD", "--json"]
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        print(f"oncobasket match failed: {completed.stderr.strip()}")
        return None
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        print(json.dumps(run_batch(arguments.profiles)))
        return
    # The batch runs in a child process so that its peak memory is measured alone.
    child = subprocess.run(
        [sys.executable, __file__, "--child", "--profiles", str(arguments.profiles)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"batch: {figures['profiles']:,} profiles, {figures['alterations']:,} alterations -> "
        f"{figures['matches']:,} matches in {figures['samples_with_matches']:,} samples"
    )
    print(
        f"batch: screen {figures['screen_seconds']:.2f} s wall, {figures['screen_cpu_seconds']:.2f} s CPU"
        " (target < 10 s);"
        f" generation {figures['generate_seconds']:.2f} s; total {figures['total_seconds']:.2f} s;"
        f" peak memory {child_peak:,.0f} MB (target < 2,048 MB)"
    )
    median, p95 = per_profile()
    print(f"per-profile match_profile: median {median:.2f} ms, p95 {p95:.2f} ms over 1,000 profiles (target < 50 ms)")
    seconds = cli_match_seconds()
    if seconds is not None:
        print(f"oncobasket match (one bundled example, start-up included): {seconds:.2f} s")


if __name__ == "__main__":
    main()
