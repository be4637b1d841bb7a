"""Nightly CTML re-match: generated profiles against generated MatchMiner CTML trials (issue 12).

Profiles are drawn from a pool of alteration templates (passenger variants, actionable alterations,
copy-number calls, fusions with gene and intergenic partners), with TMB, MSI and signatures; patients
have an OncoTree code, an age and a sex. Trials have one step with two to four arms, some closed, whose
match trees mix ``and`` / ``or`` nodes over every leaf kind docs/ctml.md maps (protein changes, codons,
exons, classifications alone, CNV calls, structural variants, signatures, MMR, TMB with every operator,
diagnoses, ages, gender, receptor statuses) and ``!`` negations.

Printed figures:

- ``nightly``: wall and CPU time of :func:`oncobasket.io.ctml.columns.screen_ctml` (the column-wise
  path of ``oncobasket screen --ctml``) for every profile against every trial, and the peak resident
  memory of this process (``ru_maxrss``, generation included; polars allocates outside Python).
  Target of issue 12: 100,000 profiles x 500 trials in < 60 s and < 4 GB.
- ``per-profile``: the same question asked of :class:`oncobasket.io.ctml.CtmlMatcher` for the first
  ``--sample`` profiles, the time per profile and trial, for comparison.
- ``one profile x one trial --json``: median and 95th percentile, after warm-up, of matching one
  profile against one trial and encoding its JSON object as ``match --ctml --json`` writes it. Target:
  < 2 ms.

Run: ``python benchmarks/bench_ctml.py [--profiles N] [--trials N] [--seed S]``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import time
from typing import Any

from oncobasket.core.matching import PatientFacts
from oncobasket.core.profiles import Alteration, AlterationKind, MolecularProfile, Msi, MsiStatus, Tmb, classify_tmb
from oncobasket.core.tumour_types import TumourTypes
from oncobasket.io.ctml import CtmlMatcher, CtmlTrial, parse_ctml
from oncobasket.io.ctml.columns import screen_ctml
from oncobasket.io.oncotree import load_shipped_tumour_types

PASSENGERS = ["TP53", "APC", "KMT2D", "ARID1A", "KMT2C", "LRP1B", "FAT1", "NOTCH1", "PIK3R1", "SMAD4"]
TUMOUR_TYPES = ["LUAD", "COAD", "BRCA", "PAAD", "CHOL", "SKCM", "STAD", "AML", "PRAD", "BLCA"]
SIGNATURES = ["apobec_signature", "pole_signature", "tobacco_signature", "temozolomide_signature", "uva_signature"]


def _mutation(gene: str, protein: str, classification: str, exon: str | None = None) -> Alteration:
    return Alteration(
        gene=gene,
        kind=AlterationKind.MUTATION,
        protein_change=protein,
        variant_classification=classification,
        exon=exon,
    )


def alteration_pool() -> list[tuple[Alteration, float]]:
    """Templates with weights: passengers are common, actionable events rare."""
    pool: list[tuple[Alteration, float]] = []
    for gene in PASSENGERS:
        pool += [
            (_mutation(gene, "p.R175H", "Missense_Mutation"), 8.0),
            (_mutation(gene, "p.Q37*", "Nonsense_Mutation"), 2.0),
            (_mutation(gene, "p.P72fs", "Frame_Shift_Del"), 1.5),
        ]
    pool += [
        (_mutation("KRAS", "p.G12C", "Missense_Mutation"), 1.0),
        (_mutation("KRAS", "p.G12D", "Missense_Mutation"), 2.0),
        (_mutation("BRAF", "p.V600E", "Missense_Mutation"), 1.0),
        (_mutation("BRAF", "p.V600K", "Missense_Mutation"), 0.3),
        (_mutation("EGFR", "p.E746_A750del", "In_Frame_Del", "19"), 0.8),
        (_mutation("EGFR", "p.L858R", "Missense_Mutation", "21"), 0.8),
        (_mutation("ERBB2", "p.Y772_A775dup", "In_Frame_Ins", "20"), 0.3),
        (_mutation("PIK3CA", "p.H1047R", "Missense_Mutation"), 1.5),
        (_mutation("IDH1", "p.R132H", "Missense_Mutation"), 0.5),
        (_mutation("BRCA2", "p.S1982fs", "Frame_Shift_Del"), 0.5),
        (Alteration(gene="ERBB2", kind=AlterationKind.AMPLIFICATION, fold_change=4.0), 0.6),
        (Alteration(gene="MET", kind=AlterationKind.AMPLIFICATION, fold_change=2.5), 0.4),
        (Alteration(gene="CDKN2A", kind=AlterationKind.COPY_LOSS), 2.0),
        (Alteration(gene="PTEN", kind=AlterationKind.COPY_LOSS), 0.8),
        (Alteration(gene="ALK", kind=AlterationKind.FUSION, genes=("EML4", "ALK")), 0.2),
        (Alteration(gene="RET", kind=AlterationKind.FUSION, genes=("KIF5B", "RET")), 0.2),
        (Alteration(gene="FGFR3", kind=AlterationKind.FUSION, genes=("FGFR3", "TACC3")), 0.2),
        (Alteration(gene="ALK", kind=AlterationKind.FUSION, genes=("ALK",)), 0.1),
    ]
    return pool


def generate_profiles(count: int, rng: random.Random) -> list[tuple[MolecularProfile, PatientFacts, dict[str, str]]]:
    pool = alteration_pool()
    templates = [item for item, _ in pool]
    weights = [weight for _, weight in pool]
    generated: list[tuple[MolecularProfile, PatientFacts, dict[str, str]]] = []
    for index in range(count):
        alterations = tuple(rng.choices(templates, weights, k=rng.randint(3, 14)))
        per_mb = round(rng.lognormvariate(1.2, 1.0), 1)
        msi = MsiStatus.MSI_H if rng.random() < 0.04 else MsiStatus.MSS
        profile = MolecularProfile(
            sample_id=f"S{index:06d}",
            alterations=alterations,
            tmb=Tmb(per_mb=per_mb, tmb_class=classify_tmb(per_mb)),
            msi=Msi(100, 1, 1.0, msi),
            signatures={key: rng.choice(["Yes", "No"]) for key in SIGNATURES if rng.random() < 0.3},
        )
        patient = PatientFacts(
            tumour_type=rng.choice(TUMOUR_TYPES),
            age=None if rng.random() < 0.05 else round(rng.uniform(15, 90), 2),
            sex=rng.choice(["M", "F", None]),
        )
        markers = {"her2_status": rng.choice(["Positive", "Negative"])} if rng.random() < 0.3 else {}
        generated.append((profile, patient, markers))
    return generated


GENOMIC_LEAVES: list[dict[str, Any]] = [
    {"hugo_symbol": "KRAS", "protein_change": "p.G12C"},
    {"hugo_symbol": "BRAF", "wildcard_protein_change": "p.V600"},
    {"hugo_symbol": "EGFR", "exon": 19, "variant_classification": "In_Frame_Del"},
    {"hugo_symbol": "EGFR", "variant_classification": "In_Frame_Del"},
    {"hugo_symbol": "TP53", "variant_classification": "Nonsense_Mutation"},
    {"hugo_symbol": "PIK3CA", "variant_category": "Mutation"},
    {"hugo_symbol": "ERBB2", "variant_category": "Copy Number Variation", "cnv_call": "High Amplification"},
    {"hugo_symbol": "MET", "cnv_call": "Low Amplification"},
    {"hugo_symbol": "CDKN2A", "cnv_call": "Homozygous Deletion"},
    {"hugo_symbol": "ALK", "variant_category": "Structural Variation"},
    {"variant_category": "Structural Variation", "fusion_partner_hugo_symbol": "RET"},
    {"hugo_symbol": "ALK", "variant_category": "Structural Variation", "fusion_partner_hugo_symbol": "intergenic"},
    {"hugo_symbol": "FGFR3", "variant_category": "Structural Variation", "fusion_partner_hugo_symbol": "any_gene"},
    {"hugo_symbol": "STK11", "variant_category": "!Mutation"},
    {"hugo_symbol": "IDH1", "variant_category": "Any Variation"},
    {"mmr_status": "MMR-Deficient"},
    {"apobec_signature": "Yes"},
    {"tmb_numerical": ">=10"},
    {"tmb_numerical": "<5"},
]
#: the alteration an arm is about (no negation): the first node of every generated arm.
TARGETS: list[dict[str, Any]] = [
    leaf for leaf in GENOMIC_LEAVES if not any("!" in str(value) for value in leaf.values())
][:13]
CLINICAL_LEAVES: list[dict[str, Any]] = [
    {"oncotree_primary_diagnosis": "_SOLID_"},
    {"oncotree_primary_diagnosis": "Non-Small Cell Lung Cancer"},
    {"oncotree_primary_diagnosis": "!COAD"},
    {"age_numerical": ">=18"},
    {"age_numerical": ">18"},
    {"age_numerical": "<75"},
    {"gender": "Female"},
    {"her2_status": "Positive"},
    {"tmb_numerical": "==40"},
]


def random_tree(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    """A random match node: and/or over genomic and clinical leaves, at most three levels deep."""
    roll = rng.random()
    if depth < 2 and roll < 0.35:
        key = rng.choice(["and", "or"])
        return {key: [random_tree(rng, depth + 1) for _ in range(rng.randint(2, 3))]}
    if roll < 0.75:
        return {"genomic": dict(rng.choice(GENOMIC_LEAVES))}
    return {"clinical": dict(rng.choice(CLINICAL_LEAVES))}


def generate_trials(count: int, rng: random.Random, tumour_types: TumourTypes) -> list[CtmlTrial]:
    trials = []
    for index in range(count):
        arms = [
            {
                "arm_code": f"A{arm}",
                "drugs": [[{"name": f"drug{index}-{arm}"}]],
                "arm_suspended": "Y" if rng.random() < 0.1 else "N",
                # As in real trials, every arm asks for one alteration, and more criteria besides.
                "match": [{"and": [{"genomic": dict(rng.choice(TARGETS))}, random_tree(rng)]}],
            }
            for arm in range(rng.randint(2, 4))
        ]
        document = {"protocol_no": f"NCT{index:08d}", "treatment_list": {"step": [{"arm": arms}]}}
        trials.append(parse_ctml(document, source=f"generated-{index}.json", tumour_types=tumour_types))
    return trials


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--trials", type=int, default=500)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--seed", type=int, default=12)
    arguments = parser.parse_args()
    rng = random.Random(arguments.seed)
    tumour_types = load_shipped_tumour_types()
    profiles = generate_profiles(arguments.profiles, rng)
    trials = generate_trials(arguments.trials, rng, tumour_types)

    patients = {profile.sample_id: patient for profile, patient, _ in profiles}
    markers_of = {profile.sample_id: markers for profile, _, markers in profiles}
    started, cpu = time.perf_counter(), time.process_time()
    found = screen_ctml([profile for profile, _, _ in profiles], patients, trials, tumour_types, markers_of)
    wall, cpu_used = time.perf_counter() - started, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"nightly (column-wise): {len(profiles):,} profiles x {len(trials)} trials "
        f"({sum(len(trial.arms) for trial in trials):,} targets, {found.height:,} matches): {wall:.2f} s wall, "
        f"{cpu_used:.2f} s CPU (all threads), peak RSS {peak_mb:,.0f} MB (targets at 100,000 x 500: < 60 s, < 4 GB)"
    )

    matchers = [CtmlMatcher(trial, tumour_types) for trial in trials]
    sample = profiles[: arguments.sample]
    started = time.perf_counter()
    for profile, patient, markers in sample:
        for matcher in matchers:
            matcher.match(profile, patient, markers)
    per_pair = (time.perf_counter() - started) / max(1, len(sample) * len(trials))
    print(
        f"per-profile: {per_pair * 1e6:.0f} us per profile and trial "
        f"({per_pair * len(profiles) * len(trials):,.0f} s for the whole run)"
    )

    profile, patient, markers = profiles[0]
    matcher = matchers[0]
    for _ in range(200):
        json.dumps(matcher.match(profile, patient, markers).as_dict(), ensure_ascii=False)
    timings = []
    for _ in range(2_000):
        begin = time.perf_counter()
        json.dumps(matcher.match(profile, patient, markers).as_dict(), ensure_ascii=False)
        timings.append(time.perf_counter() - begin)
    timings.sort()
    median, p95 = statistics.median(timings) * 1e3, timings[int(len(timings) * 0.95)] * 1e3
    print(f"one profile x one trial --json: median {median:.3f} ms, 95th percentile {p95:.3f} ms (target < 2 ms)")


if __name__ == "__main__":
    main()
