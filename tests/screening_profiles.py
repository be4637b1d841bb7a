"""A seeded generator of molecular profiles that exercises every rule kind (for the batch-screen tests).

Profiles are built from :class:`Alteration` objects with realistic mixes: hotspots, exon 19 deletions and
exon 20 insertions written as del/delins/dup/ins, truncating variants, splice-site variants with c.
anchors, non-HGVS labels, amplifications with and without fold change or copy number, copy losses,
fusions with named and ``NonGene`` partners, RNA splice variants, unusable results and QC-failed areas.
"""

from __future__ import annotations

import random

from oncobasket.core.matching import PatientFacts
from oncobasket.core.profiles import (
    Alteration,
    AlterationKind,
    MolecularProfile,
    Msi,
    MsiStatus,
    QcResult,
    ResultArea,
    Tmb,
    classify_tmb,
)

MUTATION_GENES = (
    "BRAF",
    "KRAS",
    "NRAS",
    "EGFR",
    "ERBB2",
    "PIK3CA",
    "AKT1",
    "IDH1",
    "RET",
    "MET",
    "FGFR2",
    "FGFR3",
    "BRCA1",
    "BRCA2",
    "ATM",
    "PALB2",
    "PTEN",
    "RB1",
    "CDK12",
    "TP53",
    "APC",
)
PROTEIN_CHANGES = (
    "p.V600E",
    "p.V600K",
    "p.V600_K601delinsE",
    "p.G12C",
    "p.G12D",
    "p.G13D",
    "p.Q61H",
    "p.E545K",
    "p.H1047R",
    "p.L858R",
    "p.T790M",
    "p.L861Q",
    "p.G719S",
    "p.E17K",
    "p.R132H",
    "p.G469A",
    "p.D594G",
    "p.K601E",
    "p.C634R",
    "p.M918T",
    "p.S310F",
    "p.S249C",
    "p.Y1003F",
    "p.R273H",
)
IN_FRAME = (
    "p.E746_A750del",
    "p.L747_P753delinsS",
    "p.L747_A750delinsP",
    "p.A767_V769dup",
    "p.Y772_A775dup",
    "p.A775_G776insYVMA",
    "p.G776delinsVC",
    "p.D770_N771insG",
    "p.E709_T710delinsD",
    "p.K745_E746insIPVAIK",
    "p.V769_D770insASV",
)
TRUNCATING = ("p.R100*", "p.K17fs", "p.Q61*", "p.S1982Rfs*22", "p.E23Vfs*17", "p.R1443*")
CLASSIFICATIONS = (
    None,
    "Missense_Mutation",
    "In_Frame_Del",
    "In_Frame_Ins",
    "Nonsense_Mutation",
    "Frame_Shift_Del",
    "Splice_Site",
    "Silent",
    "Intron",
)
AMPLIFIED = ("ERBB2", "MET", "CDK4", "CCND1", "CDK6", "EGFR", "MYC", "FGFR2")
LOST = ("CDKN2A", "PTEN", "RB1", "BRCA2", "BRCA1")
FUSED = ("ALK", "ROS1", "RET", "NTRK1", "NTRK2", "NTRK3", "FGFR2", "FGFR3")
PARTNERS = ("EML4", "TACC3", "NonGene", "CCDC6", "ETV6", "TPM3", "KIF5B", "CD74", "BICC1")
TUMOUR_TYPES = (
    "PAAD",
    "CHOL",
    "IHCH",
    "COAD",
    "READ",
    "LUAD",
    "NSCLC",
    "BRCA",
    "BLCA",
    "SKCM",
    "MEL",
    "THPA",
    "HGSOC",
    "PRAD",
    "STAD",
    "CUP",
    "ACC",
    "UCEC",
)


def _mutation(rng: random.Random) -> Alteration:
    gene = rng.choice(MUTATION_GENES)
    style = rng.random()
    protein: str | None = None
    coding: str | None = None
    consequences: tuple[str, ...] = ()
    classification = rng.choice(CLASSIFICATIONS)
    exon: str | None = rng.choice((None, None, "19/28", "20/28", "14/21", "14", "11/18"))
    if style < 0.35:
        protein = rng.choice(PROTEIN_CHANGES)
        consequences = ("missense_variant",)
    elif style < 0.5:
        protein = rng.choice(IN_FRAME)
        consequences = ("inframe_deletion",)
    elif style < 0.65:
        protein = rng.choice(TRUNCATING)
        consequences = rng.choice((("stop_gained",), ("frameshift_variant",), ()))
    elif style < 0.75:
        coding = rng.choice(("c.3028+1G>T", "c.2888-2A>G", "c.3000A>G", "c.2888-20del", "c.3028+2T>C", "c.100+1G>A"))
        consequences = rng.choice((("splice_donor_variant",), ("splice_acceptor_variant",), ("intron_variant",)))
        protein = rng.choice((None, "p.?", "p.X1010_splice", "p.D1010H"))
    elif style < 0.85:
        protein = rng.choice(("p.V600=", "p.?", None))
        consequences = rng.choice((("synonymous_variant",), ("intron_variant",), ()))
    else:
        protein = None
        classification = rng.choice(("In_Frame_Del", "In_Frame_Ins", "Missense_Mutation", "Nonsense_Mutation"))
    if gene == "MET" and rng.random() < 0.4:
        coding = rng.choice(("c.3028+1G>T", "c.2888-2A>G", "c.3000A>G", "c.3028G>A"))
        consequences = ("splice_donor_variant",)
    usable = rng.random() > 0.1
    return Alteration(
        gene=gene,
        kind=AlterationKind.MUTATION,
        protein_change=protein,
        coding_change=coding,
        consequences=consequences,
        variant_classification=classification,
        exon=exon,
        vaf=rng.choice((None, round(rng.uniform(0.02, 0.95), 3))),
        usable=usable,
        unusable_reason=None if usable else "small-variant QC failed",
    )


def _other(rng: random.Random) -> Alteration:
    usable = rng.random() > 0.1
    reason = None if usable else "QC failed"
    pick = rng.random()
    if pick < 0.35:
        return Alteration(
            gene=rng.choice(AMPLIFIED),
            kind=AlterationKind.AMPLIFICATION,
            fold_change=rng.choice((None, 1.5, 2.2, 3.0, 5.0)),
            copy_number=rng.choice((None, None, 4.0, 8.0, 12.0)),
            usable=usable,
            unusable_reason=reason,
        )
    if pick < 0.55:
        return Alteration(
            gene=rng.choice(LOST),
            kind=AlterationKind.COPY_LOSS,
            copy_number=rng.choice((None, 0.2, 1.0)),
            usable=usable,
            unusable_reason=reason,
        )
    if pick < 0.85:
        gene, partner = rng.choice(FUSED), rng.choice(PARTNERS)
        genes = (partner, gene) if rng.random() < 0.5 else (gene, partner)
        return Alteration(
            gene=rng.choice(genes),
            kind=AlterationKind.FUSION,
            genes=genes,
            supporting_reads=12,
            usable=usable,
            unusable_reason=reason,
        )
    gene, exon = rng.choice((("MET", "14/21"), ("MET", "13/21"), ("EGFR", "2-7/28"), ("AR", "3/8")))
    return Alteration(gene=gene, kind=AlterationKind.SPLICE_VARIANT, exon=exon, usable=usable, unusable_reason=reason)


def generate_profile(rng: random.Random, sample_id: str) -> MolecularProfile:
    alterations = tuple(
        _mutation(rng) if rng.random() < 0.6 else _other(rng) for _ in range(rng.choice((0, 1, 2, 3, 4, 6, 9)))
    )
    tmb = None
    if rng.random() > 0.1:
        per_mb = round(rng.uniform(0, 30), 3)
        tmb_usable = rng.random() > 0.1
        tmb = Tmb(per_mb=per_mb, tmb_class=classify_tmb(per_mb), usable=tmb_usable)
    msi = None
    if rng.random() > 0.1:
        status = rng.choice((MsiStatus.MSS, MsiStatus.MSS, MsiStatus.MSI_H, MsiStatus.NOT_EVALUABLE))
        msi = Msi(usable_sites=80, unstable_sites=10, percent_unstable=12.5, status=status, usable=rng.random() > 0.1)
    areas = tuple(area for area in ResultArea if rng.random() < 0.05)
    qc = QcResult(passed=not areas, failures=tuple(f"{area} failed" for area in areas), unusable_areas=areas)
    return MolecularProfile(sample_id=sample_id, alterations=alterations, tmb=tmb, msi=msi, qc=qc)


def generate_patient(rng: random.Random) -> PatientFacts:
    return PatientFacts(
        tumour_type=rng.choice(TUMOUR_TYPES),
        age=rng.choice((None, 15.0, 34.0, 61.0, 78.0)),
        ecog=rng.choice((None, 0, 1, 2, 3)),
    )


def generate(seed: int, count: int) -> tuple[list[MolecularProfile], dict[str, PatientFacts]]:
    rng = random.Random(seed)
    profiles = [generate_profile(rng, f"S{seed}-{index:04d}") for index in range(count)]
    patients = {profile.sample_id: generate_patient(rng) for profile in profiles}
    return profiles, patients
