"""Golden cases for the matching engine, written from the drugs' labels and the issue's examples.

Each case is a profile built in code from Alterations + patient facts, with the matches it must give
(drug, biomarker, cohort or on-label, eligibility) and those it must not. A test fails when a rule
kind used by the shipped protocol has no golden case.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncobasket.core.matching import (
    EligibilityStatus,
    Match,
    PatientFacts,
    ProfileMatches,
    evaluate_profile,
    match_profile,
    tumour_group,
)
from oncobasket.core.profiles import Alteration, AlterationKind, MolecularProfile, Msi, MsiStatus, Tmb, TmbClass
from oncobasket.core.protocol import LEAF_KINDS, Protocol, iter_leaves
from oncobasket.core.tumour_types import TumourTypes
from oncobasket.io.oncotree import load_shipped_tumour_types
from oncobasket.io.protocol_file import default_protocol_path, load_protocol

MUT = AlterationKind.MUTATION
AMP = AlterationKind.AMPLIFICATION
LOSS = AlterationKind.COPY_LOSS
FUSION = AlterationKind.FUSION
SPLICE = AlterationKind.SPLICE_VARIANT

NORMAL_LABS = {
    "anc": 3.0,
    "platelets": 250.0,
    "haemoglobin": 12.5,
    "bilirubin_uln": 0.6,
    "alt_uln": 0.8,
    "ast_uln": 0.9,
    "creatinine_clearance": 90.0,
}
FIT = {"age": 60.0, "ecog": 1, "labs": NORMAL_LABS, "prior_therapies": ()}

ELIGIBLE = EligibilityStatus.ELIGIBLE
INELIGIBLE = EligibilityStatus.INELIGIBLE
TBC = EligibilityStatus.TO_BE_CONFIRMED


def mutation(gene: str, change: str, **extra: object) -> Alteration:
    return Alteration(gene, MUT, protein_change=change, **extra)  # type: ignore[arg-type]


def fusion(*genes: str) -> Alteration:
    return Alteration(genes[-1], FUSION, genes=genes)


@dataclass(frozen=True)
class Expect:
    drug: str
    biomarker: str
    cohort: str | None  # None: on-label standard treatment
    eligibility: EligibilityStatus = ELIGIBLE
    reason: str | None = None  # text one reason must contain


@dataclass(frozen=True)
class Case:
    name: str
    tumour_type: str
    alterations: tuple[Alteration, ...] = ()
    tmb: Tmb | None = None
    msi: Msi | None = None
    patient: dict[str, object] = field(default_factory=lambda: dict(FIT))
    expect: tuple[Expect, ...] = ()
    absent: tuple[tuple[str, str], ...] = ()  # (drug, biomarker) that must not match
    note: str | None = None  # text a sample-level note must contain
    covers: tuple[str, ...] = ()  # rule kinds (LEAF_KINDS values) this case exercises
    exact: bool = False  # the expected matches are all the matches


MSI_H = Msi(usable_sites=120, unstable_sites=60, percent_unstable=50.0, status=MsiStatus.MSI_H)

CASES = (
    Case(
        "cholangiocarcinoma BRAF V600E -> dabrafenib+trametinib new cohort",
        "CHOL",
        (mutation("BRAF", "p.V600E", vaf=0.31),),
        expect=(
            Expect(
                "dabrafenib+trametinib",
                "BRAF V600 mutation",
                "BRAF V600 mutation / Cholangiocarcinoma / Dabrafenib+Trametinib",
                reason="BRAF p.V600E satisfies BRAF V600x",
            ),
            Expect(
                "cobimetinib+vemurafenib",
                "BRAF V600 mutation",
                "BRAF V600 mutation / Cholangiocarcinoma / Cobimetinib+Vemurafenib",
            ),
        ),
        absent=(("dabrafenib+trametinib", "BRAF non-V600 mutation"),),
        covers=("codon",),
        exact=True,
    ),
    Case(
        "MSI-H pancreatic -> the trial's checkpoint-inhibitor cohorts",
        "PAAD",
        msi=MSI_H,
        expect=(
            Expect("atezolizumab", "MSI-H", "MSI-H / Pancreatic / Atezolizumab", reason="MSI-H (50 % of sites"),
            Expect("dostarlimab", "MSI-H", "MSI-H / Pancreatic / Dostarlimab"),
        ),
        covers=("msi",),
        exact=True,
    ),
    Case(
        "melanoma BRAF V600E -> on-label standard treatment, not a trial cohort",
        "SKCM",
        (mutation("BRAF", "p.V600E"),),
        expect=(
            Expect("dabrafenib+trametinib", "BRAF V600 mutation", None, INELIGIBLE, "on-label: standard treatment"),
            Expect("cobimetinib+vemurafenib", "BRAF V600 mutation", None, INELIGIBLE, "on-label"),
        ),
        covers=("codon",),
    ),
    Case(
        "ECOG 3 makes every match ineligible with the reason",
        "CHOL",
        (mutation("BRAF", "p.V600E"), Alteration("ERBB2", AMP, fold_change=5.0)),
        patient={**FIT, "ecog": 3},
        expect=(
            Expect(
                "dabrafenib+trametinib",
                "BRAF V600 mutation",
                "BRAF V600 mutation / Cholangiocarcinoma / Dabrafenib+Trametinib",
                INELIGIBLE,
                "ECOG 3: fails ECOG <= 2",
            ),
            Expect(
                "cobimetinib+vemurafenib",
                "BRAF V600 mutation",
                "BRAF V600 mutation / Cholangiocarcinoma / Cobimetinib+Vemurafenib",
                INELIGIBLE,
                "ECOG 3",
            ),
            Expect(
                "pertuzumab+trastuzumab",
                "ERBB2 amplification",
                "ERBB2 amplification / Cholangiocarcinoma / Pertuzumab+Trastuzumab",
                INELIGIBLE,
                "ECOG 3",
            ),
            Expect(
                "trastuzumab emtansine",
                "ERBB2 amplification",
                "ERBB2 amplification / Cholangiocarcinoma / Trastuzumab emtansine",
                INELIGIBLE,
                "ECOG 3",
            ),
        ),
        exact=True,
    ),
    Case(
        "MSI result that failed QC is not matched on, and says why",
        "PAAD",
        msi=replace(MSI_H, usable=False, unusable_reason="MSI QC failed: USABLE_MSI_SITES = 12 (guideline >= 40)"),
        absent=(("atezolizumab", "MSI-H"), ("dostarlimab", "MSI-H")),
        note="MSI-H: not evaluated: MSI result not usable: MSI QC failed: USABLE_MSI_SITES = 12",
        exact=True,
    ),
    Case(
        "MSI not evaluable (too few sites) is not MSS and not MSI-H",
        "PAAD",
        msi=Msi(usable_sites=20, unstable_sites=10, percent_unstable=50.0, status=MsiStatus.NOT_EVALUABLE),
        note="MSI not evaluable (20 usable sites",
        exact=True,
    ),
    Case(
        "KRAS G12C pancreatic -> sotorasib cohort",
        "PAAD",
        (mutation("KRAS", "p.G12C"),),
        expect=(Expect("sotorasib", "KRAS G12C mutation", "KRAS G12C mutation / Pancreatic / Sotorasib"),),
        covers=("protein",),
        exact=True,
    ),
    Case(
        "KRAS G12C lung adenocarcinoma -> sotorasib on-label",
        "LUAD",
        (mutation("KRAS", "p.G12C"),),
        expect=(Expect("sotorasib", "KRAS G12C mutation", None, INELIGIBLE, "EMA SmPC Lumykras"),),
        covers=("protein",),
    ),
    Case(
        "KRAS G12D matches no G12C rule",
        "PAAD",
        (mutation("KRAS", "p.G12D"),),
        exact=True,
    ),
    Case(
        "BRAF class II G469A pancreatic -> BRAF non-V600 cohort",
        "PAAD",
        (mutation("BRAF", "p.G469A"),),
        expect=(
            Expect(
                "dabrafenib+trametinib",
                "BRAF non-V600 mutation",
                "BRAF non-V600 mutation / Pancreatic / Dabrafenib+Trametinib",
                reason="BRAF class II/III",
            ),
        ),
        covers=("class",),
        exact=True,
    ),
    Case(
        "BRAF class III D594G colorectal -> BRAF non-V600 cohort",
        "COAD",
        (mutation("BRAF", "p.D594G"),),
        expect=(
            Expect(
                "dabrafenib+trametinib",
                "BRAF non-V600 mutation",
                "BRAF non-V600 mutation / Colorectal / Dabrafenib+Trametinib",
            ),
        ),
        covers=("class",),
        exact=True,
    ),
    Case(
        "BRAF V600E colorectal: dabrafenib+trametinib excluded by the protocol, encorafenib+cetuximab named",
        "COAD",
        (mutation("BRAF", "p.V600E"),),
        expect=(
            Expect(
                "dabrafenib+trametinib",
                "BRAF V600 mutation",
                "BRAF V600 mutation / Colorectal / Dabrafenib+Trametinib",
                INELIGIBLE,
                "within excluded COADREAD",
            ),
            Expect(
                "cobimetinib+vemurafenib",
                "BRAF V600 mutation",
                "BRAF V600 mutation / Colorectal / Cobimetinib+Vemurafenib",
                reason="note: cetuximab+encorafenib is approved (EMA)",
            ),
        ),
        exact=True,
    ),
    Case(
        "EGFR exon 19 deletion in CUP -> osimertinib",
        "CUP",
        (mutation("EGFR", "p.E746_A750del"),),
        expect=(
            Expect(
                "osimertinib",
                "EGFR sensitising mutation",
                "EGFR sensitising mutation / CUP / Osimertinib",
                reason="EGFR exon 19 deletion",
            ),
        ),
        covers=("exon",),
        exact=True,
    ),
    Case(
        "EGFR exon 19 delins that shortens the protein counts as a deletion",
        "CUP",
        (mutation("EGFR", "p.L747_A750delinsP"),),
        expect=(Expect("osimertinib", "EGFR sensitising mutation", "EGFR sensitising mutation / CUP / Osimertinib"),),
        covers=("exon",),
        exact=True,
    ),
    Case(
        "EGFR exon 19 deletion in lung adenocarcinoma -> osimertinib on-label",
        "LUAD",
        (mutation("EGFR", "p.E746_A750del"),),
        expect=(Expect("osimertinib", "EGFR sensitising mutation", None, INELIGIBLE, "on-label"),),
        covers=("exon",),
        exact=True,
    ),
    Case(
        "EGFR exon 20 insertion is not an exon 19 deletion",
        "CUP",
        (mutation("EGFR", "p.D770_N771insSVD"),),
        exact=True,
    ),
    Case(
        "ERBB2 exon 20 duplication in salivary duct carcinoma -> ERBB2 activating mutation cohorts",
        "SDCA",
        (mutation("ERBB2", "p.Y772_A775dup"),),
        expect=(
            Expect(
                "pertuzumab+trastuzumab",
                "ERBB2 activating mutation",
                "ERBB2 activating mutation / Salivary gland / Pertuzumab+Trastuzumab",
            ),
            Expect(
                "trastuzumab emtansine",
                "ERBB2 activating mutation",
                "ERBB2 activating mutation / Salivary gland / Trastuzumab emtansine",
            ),
        ),
        covers=("exon", "hotspot"),
        exact=True,
    ),
    Case(
        "MET exon 14 skipping from an RNA splice variant 14/21 in CUP",
        "CUP",
        (Alteration("MET", SPLICE, exon="14/21", supporting_reads=120),),
        expect=(
            Expect("tepotinib", "MET exon 14 skipping", "MET exon 14 skipping / CUP / Tepotinib"),
            Expect("crizotinib", "MET exon 14 skipping", "MET exon 14 skipping / CUP / Crizotinib"),
        ),
        covers=("exon_skipping",),
        exact=True,
    ),
    Case(
        "MET exon 14 skipping from a DNA splice-donor variant in NSCLC -> tepotinib on-label, crizotinib cohort",
        "LUAD",
        (
            Alteration(
                "MET",
                MUT,
                coding_change="c.3028+1G>T",
                variant_classification="Splice_Site",
                consequences=("splice_donor_variant",),
            ),
        ),
        expect=(
            Expect("tepotinib", "MET exon 14 skipping", None, INELIGIBLE, "on-label"),
            Expect("crizotinib", "MET exon 14 skipping", "MET exon 14 skipping / NSCLC / Crizotinib"),
        ),
        covers=("exon_skipping",),
        exact=True,
    ),
    Case(
        "a splice variant of another MET exon is not exon 14 skipping",
        "CUP",
        (Alteration("MET", SPLICE, exon="2-7/21"),),
        exact=True,
    ),
    Case(
        "BRCA2 truncating variant in cholangiocarcinoma -> PARP inhibitor cohorts; one hit is not bi-allelic",
        "CHOL",
        (mutation("BRCA2", "p.E1493fs", vaf=0.35),),
        expect=(
            Expect("olaparib", "BRCA1/2 mutation", "BRCA1/2 mutation / Cholangiocarcinoma / Olaparib"),
            Expect("niraparib", "BRCA1/2 mutation", "BRCA1/2 mutation / Cholangiocarcinoma / Niraparib"),
            Expect("talazoparib", "BRCA1/2 mutation", "BRCA1/2 mutation / Cholangiocarcinoma / Talazoparib"),
        ),
        absent=(("olaparib", "BRCA1/2 bi-allelic loss"),),
        note="BRCA2 p.E1493fs is one hit",
        covers=("truncating",),
        exact=True,
    ),
    Case(
        "BRCA2 truncating variant plus copy loss -> bi-allelic loss (olaparib expansion profile)",
        "CHOL",
        (mutation("BRCA2", "p.Q3026*", vaf=0.4), Alteration("BRCA2", LOSS, copy_number=1.0)),
        expect=(
            Expect(
                "olaparib",
                "BRCA1/2 bi-allelic loss",
                "BRCA1/2 bi-allelic loss / Cholangiocarcinoma / Olaparib",
                reason="a truncating variant and copy loss",
            ),
            Expect("olaparib", "BRCA1/2 mutation", "BRCA1/2 mutation / Cholangiocarcinoma / Olaparib"),
        ),
        covers=("biallelic_loss", "truncating"),
    ),
    Case(
        "BRCA1 truncating variant at VAF 0.8 suggests loss of the other allele",
        "CHOL",
        (mutation("BRCA1", "p.Q1756fs", vaf=0.8),),
        expect=(
            Expect(
                "olaparib",
                "BRCA1/2 bi-allelic loss",
                "BRCA1/2 bi-allelic loss / Cholangiocarcinoma / Olaparib",
                reason="suggesting loss of the other allele",
            ),
        ),
        covers=("biallelic_loss",),
    ),
    Case(
        "BRCA2 mutation in ovarian cancer -> olaparib and niraparib on-label, talazoparib a cohort",
        "HGSOC",
        (mutation("BRCA2", "p.E1493fs", vaf=0.35),),
        expect=(
            Expect("olaparib", "BRCA1/2 mutation", None, INELIGIBLE, "on-label"),
            Expect("niraparib", "BRCA1/2 mutation", None, INELIGIBLE, "on-label"),
            Expect("talazoparib", "BRCA1/2 mutation", "BRCA1/2 mutation / Ovarian / Talazoparib"),
        ),
        covers=("truncating",),
        exact=True,
    ),
    Case(
        "ATM truncating variant in prostate cancer -> HRR gene cohorts",
        "PRAD",
        (mutation("ATM", "p.R2832*"),),
        expect=(
            Expect("olaparib", "HRR gene mutation", "HRR gene mutation / Prostate / Olaparib"),
            Expect("niraparib", "HRR gene mutation", "HRR gene mutation / Prostate / Niraparib"),
        ),
        covers=("truncating",),
        exact=True,
    ),
    Case(
        "PIK3CA H1047R colorectal -> alpelisib and capivasertib cohorts",
        "COAD",
        (mutation("PIK3CA", "p.H1047R"),),
        expect=(
            Expect("alpelisib", "PIK3CA activating mutation", "PIK3CA activating mutation / Colorectal / Alpelisib"),
            Expect(
                "capivasertib",
                "PIK3CA/AKT1/PTEN alteration",
                "PIK3CA/AKT1/PTEN alteration / Colorectal / Capivasertib",
            ),
        ),
        covers=("hotspot",),
        exact=True,
    ),
    Case(
        "PIK3CA E545K breast cancer -> alpelisib and capivasertib on-label",
        "IDC",
        (mutation("PIK3CA", "p.E545K"),),
        expect=(
            Expect("alpelisib", "PIK3CA activating mutation", None, INELIGIBLE, "on-label"),
            Expect("capivasertib", "PIK3CA/AKT1/PTEN alteration", None, INELIGIBLE, "on-label"),
        ),
        covers=("hotspot",),
        exact=True,
    ),
    Case(
        "PIK3CA non-hotspot variant matches no hotspot rule",
        "COAD",
        (mutation("PIK3CA", "p.I391M"),),
        expect=(),
        exact=False,
        absent=(("alpelisib", "PIK3CA activating mutation"),),
    ),
    Case(
        "AKT1 E17K endometrial -> capivasertib",
        "UEC",
        (mutation("AKT1", "p.E17K"),),
        expect=(
            Expect(
                "capivasertib",
                "PIK3CA/AKT1/PTEN alteration",
                "PIK3CA/AKT1/PTEN alteration / Endometrial / Capivasertib",
            ),
        ),
        covers=("protein",),
        exact=True,
    ),
    Case(
        "PTEN copy loss in prostate cancer -> capivasertib",
        "PRAD",
        (Alteration("PTEN", LOSS),),
        expect=(
            Expect(
                "capivasertib", "PIK3CA/AKT1/PTEN alteration", "PIK3CA/AKT1/PTEN alteration / Prostate / Capivasertib"
            ),
        ),
        covers=("copy_loss",),
        exact=True,
    ),
    Case(
        "ERBB2 amplification (fold change 5) in cholangiocarcinoma -> HER2 cohorts",
        "IHCH",
        (Alteration("ERBB2", AMP, fold_change=5.0),),
        expect=(
            Expect(
                "pertuzumab+trastuzumab",
                "ERBB2 amplification",
                "ERBB2 amplification / Cholangiocarcinoma / Pertuzumab+Trastuzumab",
                reason="ERBB2 amplification (fold change 5) satisfies",
            ),
            Expect(
                "trastuzumab emtansine",
                "ERBB2 amplification",
                "ERBB2 amplification / Cholangiocarcinoma / Trastuzumab emtansine",
                reason="no KRAS activating hotspot or NRAS activating hotspot found",
            ),
        ),
        covers=("amplification",),
        exact=True,
    ),
    Case(
        "ERBB2 gain below the fold-change threshold does not match, and says so",
        "CHOL",
        (Alteration("ERBB2", AMP, fold_change=1.6),),
        note="below the threshold of ERBB2 amplification",
        exact=True,
    ),
    Case(
        "ERBB2 amplification with a KRAS hotspot: excluded (resistance), and says so",
        "COAD",
        (Alteration("ERBB2", AMP, fold_change=4.0), mutation("KRAS", "p.G12D")),
        absent=(("pertuzumab+trastuzumab", "ERBB2 amplification"),),
        note="excluded: KRAS p.G12D satisfies KRAS activating hotspot",
        covers=("amplification", "hotspot"),
        exact=True,
    ),
    Case(
        "high-level MET amplification by copy number -> crizotinib and tepotinib",
        "STAD",
        (Alteration("MET", AMP, fold_change=2.0, copy_number=12.0),),
        expect=(
            Expect(
                "crizotinib",
                "MET amplification",
                "MET amplification / Gastroesophageal / Crizotinib",
                reason="copy number 12",
            ),
            Expect("tepotinib", "MET amplification", "MET amplification / Gastroesophageal / Tepotinib"),
        ),
        covers=("amplification",),
        exact=True,
    ),
    Case(
        "CDK4 amplification in liposarcoma -> CDK4/6 inhibitor cohorts",
        "DDLS",
        (Alteration("CDK4", AMP),),
        expect=(
            Expect(
                "abemaciclib", "CDK4/6 pathway amplification", "CDK4/6 pathway amplification / Sarcoma / Abemaciclib"
            ),
            Expect(
                "palbociclib", "CDK4/6 pathway amplification", "CDK4/6 pathway amplification / Sarcoma / Palbociclib"
            ),
            Expect("ribociclib", "CDK4/6 pathway amplification", "CDK4/6 pathway amplification / Sarcoma / Ribociclib"),
        ),
        covers=("amplification",),
        exact=True,
    ),
    Case(
        "CDK4 amplification with RB1 loss: excluded (resistance)",
        "DDLS",
        (Alteration("CDK4", AMP), mutation("RB1", "p.R320*")),
        absent=(("palbociclib", "CDK4/6 pathway amplification"),),
        note="excluded: RB1 p.R320* satisfies RB1 truncating variant",
        covers=("truncating",),
        exact=True,
    ),
    Case(
        "CDKN2A copy loss -> palbociclib exploratory cohort",
        "PAAD",
        (Alteration("CDKN2A", LOSS),),
        expect=(Expect("palbociclib", "CDKN2A loss", "CDKN2A loss / Pancreatic / Palbociclib"),),
        covers=("copy_loss",),
        exact=True,
    ),
    Case(
        "EML4-ALK fusion in cholangiocarcinoma -> ALK inhibitor cohorts",
        "CHOL",
        (fusion("EML4", "ALK"),),
        expect=(
            Expect(
                "alectinib",
                "ALK fusion",
                "ALK fusion / Cholangiocarcinoma / Alectinib",
                reason="EML4-ALK fusion satisfies ALK fusion",
            ),
            Expect("crizotinib", "ALK fusion", "ALK fusion / Cholangiocarcinoma / Crizotinib"),
            Expect("lorlatinib", "ALK fusion", "ALK fusion / Cholangiocarcinoma / Lorlatinib"),
        ),
        covers=("fusion",),
        exact=True,
    ),
    Case(
        "FGFR2 fusion in cholangiocarcinoma -> pemigatinib on-label",
        "CHOL",
        (fusion("FGFR2", "BICC1"),),
        expect=(Expect("pemigatinib", "FGFR2 fusion", None, INELIGIBLE, "EMA SmPC Pemazyre"),),
        covers=("fusion",),
        exact=True,
    ),
    Case(
        "FGFR3-TACC3 fusion (named partner) in urothelial cancer -> pemigatinib cohort",
        "BLCA",
        (fusion("FGFR3", "TACC3"),),
        expect=(Expect("pemigatinib", "FGFR3-TACC3 fusion", "FGFR3-TACC3 fusion / Urothelial / Pemigatinib"),),
        covers=("fusion",),
        exact=True,
    ),
    Case(
        "FGFR3 fusion with another partner does not match the named-partner rule",
        "BLCA",
        (fusion("FGFR3", "BAIAP2L1"),),
        exact=True,
    ),
    Case(
        "NTRK fusion is on-label in any tumour type (tumour-agnostic approvals)",
        "COAD",
        (fusion("ETV6", "NTRK3"),),
        expect=(
            Expect("entrectinib", "NTRK fusion", None, INELIGIBLE, "any tumour type"),
            Expect("larotrectinib", "NTRK fusion", None, INELIGIBLE, "any tumour type"),
        ),
        covers=("fusion",),
        exact=True,
    ),
    Case(
        "ROS1 fusion outside NSCLC: a cohort even though entrectinib is approved for NTRK everywhere",
        "CUP",
        (fusion("CD74", "ROS1"),),
        expect=(
            Expect("crizotinib", "ROS1 fusion", "ROS1 fusion / CUP / Crizotinib"),
            Expect("entrectinib", "ROS1 fusion", "ROS1 fusion / CUP / Entrectinib"),
            Expect("lorlatinib", "ROS1 fusion", "ROS1 fusion / CUP / Lorlatinib"),
        ),
        covers=("fusion",),
        exact=True,
    ),
    Case(
        "RET M918T in a non-thyroid tumour -> selpercatinib cohort; in medullary thyroid cancer on-label",
        "CUP",
        (mutation("RET", "p.M918T"),),
        expect=(Expect("selpercatinib", "RET activating mutation", "RET activating mutation / CUP / Selpercatinib"),),
        covers=("hotspot", "protein"),
        exact=True,
    ),
    Case(
        "TMB 25 mut/Mb in gallbladder cancer -> atezolizumab TMB-high cohort",
        "GBAD",
        tmb=Tmb(per_mb=25.0, tmb_class=TmbClass.HIGH),
        msi=Msi(120, 2, 1.7, MsiStatus.MSS),
        expect=(Expect("atezolizumab", "TMB-high", "TMB-high / Gallbladder / Atezolizumab", reason="TMB 25 mut/Mb"),),
        covers=("tmb",),
        exact=True,
    ),
    Case(
        "TMB 6 mut/Mb is below the cohort cut-off",
        "GBAD",
        tmb=Tmb(per_mb=6.0, tmb_class=TmbClass.INTERMEDIATE),
        msi=Msi(120, 2, 1.7, MsiStatus.MSS),
        exact=True,
    ),
    Case(
        "IDH1 R132C cholangiocarcinoma -> ivosidenib on-label; glioma -> cohort",
        "CHOL",
        (mutation("IDH1", "p.R132C"),),
        expect=(Expect("ivosidenib", "IDH1 R132 mutation", None, INELIGIBLE, "EMA SmPC Tibsovo"),),
        covers=("codon",),
        exact=True,
    ),
    Case(
        "IDH1 R132H glioma -> ivosidenib cohort",
        "ASTR",
        (mutation("IDH1", "p.R132H"),),
        expect=(Expect("ivosidenib", "IDH1 R132 mutation", "IDH1 R132 mutation / Glioma / Ivosidenib"),),
        covers=("codon",),
        exact=True,
    ),
    Case(
        "an alteration marked not usable is never matched on, and the note says why",
        "CHOL",
        (mutation("BRAF", "p.V600E", usable=False, unusable_reason="small_variants QC failed: PCT_EXON_50X = 40"),),
        note="BRAF p.V600E would satisfy BRAF V600x but is not usable: small_variants QC failed",
        exact=True,
    ),
    Case(
        "missing labs and prior therapies are to be confirmed, never passed",
        "CHOL",
        (mutation("BRAF", "p.V600E"),),
        patient={"age": 60.0, "ecog": 1},
        expect=(
            Expect(
                "dabrafenib+trametinib",
                "BRAF V600 mutation",
                "BRAF V600 mutation / Cholangiocarcinoma / Dabrafenib+Trametinib",
                TBC,
                "to be confirmed: ANC unknown",
            ),
        ),
    ),
    Case(
        "prior dabrafenib excludes dabrafenib+trametinib only",
        "CHOL",
        (mutation("BRAF", "p.V600E"),),
        patient={**FIT, "prior_therapies": ("dabrafenib",)},
        expect=(
            Expect(
                "dabrafenib+trametinib",
                "BRAF V600 mutation",
                "BRAF V600 mutation / Cholangiocarcinoma / Dabrafenib+Trametinib",
                INELIGIBLE,
                "prior therapy with dabrafenib excludes",
            ),
            Expect(
                "cobimetinib+vemurafenib",
                "BRAF V600 mutation",
                "BRAF V600 mutation / Cholangiocarcinoma / Cobimetinib+Vemurafenib",
            ),
        ),
        exact=True,
    ),
    Case(
        "a drug's own criterion takes precedence: olaparib accepts creatinine clearance 35, niraparib does not",
        "CHOL",
        (mutation("BRCA2", "p.E1493fs", vaf=0.35),),
        patient={**FIT, "labs": {**NORMAL_LABS, "creatinine_clearance": 35.0}},
        expect=(
            Expect("olaparib", "BRCA1/2 mutation", "BRCA1/2 mutation / Cholangiocarcinoma / Olaparib"),
            Expect(
                "niraparib",
                "BRCA1/2 mutation",
                "BRCA1/2 mutation / Cholangiocarcinoma / Niraparib",
                INELIGIBLE,
                "creatinine clearance 35: fails creatinine clearance >= 40 mL/min (general criterion",
            ),
        ),
    ),
    Case(
        "age 15 is below the IMPRESS minimum of 16",
        "PAAD",
        (mutation("KRAS", "p.G12C"),),
        patient={**FIT, "age": 15.0},
        expect=(
            Expect(
                "sotorasib",
                "KRAS G12C mutation",
                "KRAS G12C mutation / Pancreatic / Sotorasib",
                INELIGIBLE,
                "age 15: fails age >= 16",
            ),
        ),
    ),
    Case(
        "a tumour in no protocol group is grouped by its OncoTree main type",
        "ACC",
        (mutation("KRAS", "p.G12C"),),
        expect=(
            Expect("sotorasib", "KRAS G12C mutation", "KRAS G12C mutation / Adrenocortical Carcinoma / Sotorasib"),
        ),
    ),
)


@pytest.fixture(scope="module")
def tumour_types() -> TumourTypes:
    return load_shipped_tumour_types()


@pytest.fixture(scope="module")
def protocol(tumour_types: TumourTypes) -> Protocol:
    return load_protocol(default_protocol_path(), tumour_types)


def run(case: Case, protocol: Protocol, tumour_types: TumourTypes, **options: object) -> ProfileMatches:
    profile = MolecularProfile("S1", alterations=case.alterations, tmb=case.tmb, msi=case.msi)
    patient = PatientFacts(tumour_type=case.tumour_type, **case.patient)  # type: ignore[arg-type]
    return evaluate_profile(profile, patient, protocol, tumour_types, **options)  # type: ignore[arg-type]


def find(result: ProfileMatches, drug: str, biomarker: str) -> Match | None:
    return next((m for m in result.matches if m.drug == drug and m.biomarker == biomarker), None)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_golden_case(case: Case, protocol: Protocol, tumour_types: TumourTypes) -> None:
    result = run(case, protocol, tumour_types)
    for expected in case.expect:
        found = find(result, expected.drug, expected.biomarker)
        assert found is not None, f"{expected.drug} / {expected.biomarker} missing; got {result.matches}"
        assert found.cohort == expected.cohort
        assert found.on_label is (expected.cohort is None)
        assert found.eligibility is expected.eligibility, found.reasons
        assert found.eligible is (expected.eligibility is ELIGIBLE)
        if expected.reason is not None:
            assert any(expected.reason in reason for reason in found.reasons), found.reasons
    for drug, biomarker in case.absent:
        assert find(result, drug, biomarker) is None
    if case.exact:
        assert {(m.drug, m.biomarker) for m in result.matches} == {(e.drug, e.biomarker) for e in case.expect}
    if case.note is not None:
        assert any(case.note in note for note in result.notes), result.notes


def test_every_shipped_rule_kind_has_a_golden_case(protocol: Protocol) -> None:
    shipped = {LEAF_KINDS[type(leaf)] for leaf in protocol.leaves()}
    covered = {kind for case in CASES for kind in case.covers}
    assert shipped - covered == set(), f"rule kinds without a golden case: {sorted(shipped - covered)}"


def test_case_coverage_claims_are_real(protocol: Protocol) -> None:
    """A case may only claim a rule kind that the rules of its expected or excluded matches use."""
    for case in CASES:
        names = {e.biomarker for e in case.expect} | {biomarker for _, biomarker in case.absent}
        if case.note and not names:
            continue
        kinds = set()
        for name in names:
            biomarker = protocol.biomarker(name)
            assert biomarker is not None, name
            kinds |= {LEAF_KINDS[type(leaf)] for leaf in iter_leaves(biomarker.rule)}
        assert set(case.covers) <= kinds, (case.name, set(case.covers) - kinds)


def test_cohort_status_from_the_registry_orders_and_blocks(protocol: Protocol, tumour_types: TumourTypes) -> None:
    case = CASES[0]
    dabrafenib = "BRAF V600 mutation / Cholangiocarcinoma / Dabrafenib+Trametinib"
    vemurafenib = "BRAF V600 mutation / Cholangiocarcinoma / Cobimetinib+Vemurafenib"
    new = run(case, protocol, tumour_types)
    assert [m.cohort for m in new.matches] == [vemurafenib, dabrafenib]  # same evidence and status: by name
    assert {m.cohort_status for m in new.matches} == {"new"}
    opened = run(case, protocol, tumour_types, cohort_statuses={dabrafenib: "stage1_open"})
    assert [m.cohort for m in opened.matches] == [dabrafenib, vemurafenib]  # open before new
    closed = run(case, protocol, tumour_types, cohort_statuses={dabrafenib: "closed_futility"})
    match = find(closed, "dabrafenib+trametinib", "BRAF V600 mutation")
    assert match is not None
    assert match.eligibility is INELIGIBLE
    assert any("is closed (closed_futility)" in reason for reason in match.reasons)
    assert closed.matches[-1] is match


def test_order_is_evidence_first(protocol: Protocol, tumour_types: TumourTypes) -> None:
    case = Case("two evidence levels", "CHOL", (mutation("BRAF", "p.V600E"), mutation("BRAF", "p.G469A")))
    result = run(case, protocol, tumour_types)
    assert [m.evidence.rank for m in result.matches] == sorted(m.evidence.rank for m in result.matches)
    assert result.matches[-1].biomarker == "BRAF non-V600 mutation"


def test_match_dict_has_contract_keys(protocol: Protocol, tumour_types: TumourTypes) -> None:
    result = run(CASES[0], protocol, tumour_types)
    document = result.as_dict()
    assert list(document)[:3] == ["sample_id", "tumour_type", "tumour_group"]
    first = document["matches"][0]
    assert list(first)[:6] == ["drug", "biomarker", "cohort", "evidence", "eligible", "reasons"]
    assert first["eligibility"] in {"eligible", "ineligible", "to_be_confirmed"}
    assert isinstance(first["eligible"], bool)
    assert isinstance(first["reasons"], list)


def test_match_profile_returns_the_matches(protocol: Protocol, tumour_types: TumourTypes) -> None:
    case = CASES[0]
    profile = MolecularProfile("S1", alterations=case.alterations)
    patient = PatientFacts(tumour_type="CHOL", **FIT)  # type: ignore[arg-type]
    assert match_profile(profile, patient, protocol, tumour_types) == run(case, protocol, tumour_types).matches
    assert tumour_group(protocol, tumour_types, patient) == "Cholangiocarcinoma"
    assert tumour_group(protocol, tumour_types, replace(patient, tumour_type="LUAD")) == "NSCLC"


def test_unknown_tumour_type_is_an_input_error(protocol: Protocol, tumour_types: TumourTypes) -> None:
    from oncobasket.core.errors import InputError

    with pytest.raises(InputError, match="unknown OncoTree code 'XYZ'"):
        run(replace(CASES[0], tumour_type="XYZ"), protocol, tumour_types)


ALTERATION_POOL = (
    mutation("BRAF", "p.V600E"),
    mutation("KRAS", "p.G12C"),
    mutation("PIK3CA", "p.H1047R"),
    mutation("BRCA2", "p.E1493fs", vaf=0.7),
    Alteration("ERBB2", AMP, fold_change=4.0),
    Alteration("CDK4", AMP),
    fusion("EML4", "ALK"),
    Alteration("MET", SPLICE, exon="14/21"),
    mutation("RB1", "p.R320*"),
)


@settings(max_examples=40, deadline=None)
@given(st.permutations(ALTERATION_POOL), st.integers(min_value=0, max_value=len(ALTERATION_POOL)))
def test_matches_do_not_depend_on_alteration_order(order: list[Alteration], size: int) -> None:
    tumour_types = load_shipped_tumour_types()
    protocol = _shared_protocol(tumour_types)
    chosen = tuple(order[:size])
    forward = run(Case("p", "CHOL", chosen), protocol, tumour_types)
    backward = run(Case("p", "CHOL", tuple(reversed(chosen))), protocol, tumour_types)
    assert [(m.drug, m.biomarker, m.cohort, m.eligibility) for m in forward.matches] == [
        (m.drug, m.biomarker, m.cohort, m.eligibility) for m in backward.matches
    ]


_PROTOCOLS: dict[str, Protocol] = {}


def _shared_protocol(tumour_types: TumourTypes) -> Protocol:
    if "default" not in _PROTOCOLS:
        _PROTOCOLS["default"] = load_protocol(default_protocol_path(), tumour_types)
    return _PROTOCOLS["default"]
