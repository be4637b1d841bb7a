"""HGNC gene symbols: the current symbol for a previous one, and which symbols OncoBasket knows.

Sources: HGNC "previous symbols" of the approved symbols (genenames.org), restricted to genes on the
TSO500 panel and in the drug rules; the TruSight Oncology 500 gene list (Illumina, 523 genes); the
recurrent fusion partners of the panel's targetable kinases. Readers keep the reported name in
``Alteration.reported_gene`` and use the current symbol for matching, so ``MYCL1`` amplification
matches a ``MYCL`` rule.

OncoBasket does not ship all of HGNC, so "known" is a deliberate, documented set (docs/protocol.md,
"Gene symbols"): :data:`KNOWN_GENES` is the TSO500 panel (current symbols), the current symbols of
:data:`PREVIOUS_TO_CURRENT` and :data:`FUSION_PARTNERS`. Any other symbol is either misspelt (``BRAFF``) or
a gene off the panel that a TSO500 result never reports as mutated, amplified or lost; a protocol that means
such a gene (for VCF or MAF input) declares it with its source, and the reader passes it to
:func:`look_up_symbol` as ``declared``.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from types import MappingProxyType

#: previous symbol -> current approved symbol (HGNC)
PREVIOUS_TO_CURRENT: Mapping[str, str] = MappingProxyType(
    {
        "MYCL1": "MYCL",
        "FAM123B": "AMER1",
        "MLL": "KMT2A",
        "MLL2": "KMT2D",
        "MLL3": "KMT2C",
        "MLL4": "KMT2B",
        "C11orf30": "EMSY",
        "FAM175A": "ABRAXAS1",
        "GPR124": "ADGRA2",
        "H3F3A": "H3-3A",
        "H3F3B": "H3-3B",
        "HIST1H3B": "H3C2",
        "HIST1H1C": "H1-2",
        "HIST2H3D": "H3C13",
        "HIST3H3": "H3-4",
        "WHSC1": "NSD2",
        "WHSC1L1": "NSD3",
        "MRE11A": "MRE11",
        "PARK2": "PRKN",
        "FAM46C": "TENT5C",
        "MYST3": "KAT6A",
        "TCEB1": "ELOC",
        "PAK7": "PAK5",
        "FAM58A": "CCNQ",
        "C10orf54": "VSIR",
        "SETD8": "KMT5A",
        "PRKCDBP": "CAVIN3",
        "RFWD2": "COP1",
        "FGFR1OP": "CEP43",
        "GNB2L1": "RACK1",
        "SEPT9": "SEPTIN9",
        "SEPT5": "SEPTIN5",
        "SEPT6": "SEPTIN6",
        "SEPT14": "SEPTIN14",
        "ERBB2IP": "ERBIN",
        "TMEM8C": "MYMK",
        "CASC5": "KNL1",
        "PTPLAD1": "HACD3",
        "RQCD1": "CNOT9",
        "BRE": "BABAM2",
        # TSO500 lists the histone genes by their names before HGNC's 2020 revision (Seal et al., 2022).
        "HIST1H3A": "H3C1",
        "HIST1H3C": "H3C3",
        "HIST1H3D": "H3C4",
        "HIST1H3E": "H3C6",
        "HIST1H3F": "H3C7",
        "HIST1H3G": "H3C8",
        "HIST1H3H": "H3C10",
        "HIST1H3I": "H3C11",
        "HIST1H3J": "H3C12",
        "HIST2H3A": "H3C15",
        "HIST2H3C": "H3C14",
        "HIST1H2BD": "H2BC5",
        "H3F3C": "H3-5",
        "WISP3": "CCN6",
    }
)


def current_symbol(symbol: str) -> str:
    """The current HGNC symbol for ``symbol``; unknown symbols are returned unchanged."""
    return PREVIOUS_TO_CURRENT.get(symbol, symbol)


# Source: Illumina, "TruSight Oncology 500 gene list" (gene_list_trusight_oncology_500); one word a gene.
_TSO500_GENE_LIST = """
    ABL1 ABL2 ACVR1 ACVR1B AKT1 AKT2 AKT3 ALK ALOX12B ANKRD11 ANKRD26 APC AR ARAF ARFRP1 ARID1A ARID1B ARID2 ARID5B
    ASXL1 ASXL2 ATM ATR ATRX AURKA AURKB AXIN1 AXIN2 AXL B2M BAP1 BARD1 BBC3 BCL10 BCL2 BCL2L1 BCL2L11 BCL2L2 BCL6
    BCOR BCORL1 BCR BIRC3 BLM BMPR1A BRAF BRCA1 BRCA2 BRD4 BRIP1 BTG1 BTK C11orf30 CALR CARD11 CASP8 CBFB CBL CCND1
    CCND2 CCND3 CCNE1 CD274 CD276 CD74 CD79A CD79B CDC73 CDH1 CDK12 CDK4 CDK6 CDK8 CDKN1A CDKN1B CDKN2A CDKN2B
    CDKN2C CEBPA CENPA CHD2 CHD4 CHEK1 CHEK2 CIC CREBBP CRKL CRLF2 CSF1R CSF3R CSNK1A1 CTCF CTLA4 CTNNA1 CTNNB1 CUL3
    CUX1 CXCR4 CYLD DAXX DCUN1D1 DDR2 DDX41 DHX15 DICER1 DIS3 DNAJB1 DNMT1 DNMT3A DNMT3B DOT1L E2F3 EED EGFL7 EGFR
    EIF1AX EIF4A2 EIF4E EML4 EP300 EPCAM EPHA3 EPHA5 EPHA7 EPHB1 ERBB2 ERBB3 ERBB4 ERCC1 ERCC2 ERCC3 ERCC4 ERCC5 ERG
    ERRFI1 ESR1 ETS1 ETV1 ETV4 ETV5 ETV6 EWSR1 EZH2 FAM123B FAM175A FAM46C FANCA FANCC FANCD2 FANCE FANCF FANCG
    FANCI FANCL FAS FAT1 FBXW7 FGF1 FGF10 FGF14 FGF19 FGF2 FGF23 FGF3 FGF4 FGF5 FGF6 FGF7 FGF8 FGF9 FGFR1 FGFR2
    FGFR3 FGFR4 FH FLCN FLI1 FLT1 FLT3 FLT4 FOXA1 FOXL2 FOXO1 FOXP1 FRS2 FUBP1 FYN GABRA6 GATA1 GATA2 GATA3 GATA4
    GATA6 GEN1 GID4 GLI1 GNA11 GNA13 GNAQ GNAS GPR124 GPS2 GREM1 GRIN2A GRM3 GSK3B H3F3A H3F3B H3F3C HGF HIST1H1C
    HIST1H2BD HIST1H3A HIST1H3B HIST1H3C HIST1H3D HIST1H3E HIST1H3F HIST1H3G HIST1H3H HIST1H3I HIST1H3J HIST2H3A
    HIST2H3C HIST2H3D HIST3H3 HLA-A HLA-B HLA-C HNF1A HNRNPK HOXB13 HRAS HSD3B1 HSP90AA1 ICOSLG ID3 IDH1 IDH2 IFNGR1
    IGF1 IGF1R IGF2 IKBKE IKZF1 IL10 IL7R INHA INHBA INPP4A INPP4B INSR IRF2 IRF4 IRS1 IRS2 JAK1 JAK2 JAK3 JUN KAT6A
    KDM5A KDM5C KDM6A KDR KEAP1 KEL KIF5B KIT KLF4 KLHL6 KMT2B KMT2C KMT2D KRAS LAMP1 LATS1 LATS2 LMO1 LRP1B LYN
    LZTR1 MAGI2 MALT1 MAP2K1 MAP2K2 MAP2K4 MAP3K1 MAP3K13 MAP3K14 MAP3K4 MAPK1 MAPK3 MAX MCL1 MDC1 MDM2 MDM4 MED12
    MEF2B MEN1 MET MGA MITF MLH1 MLL MLLT3 MPL MRE11A MSH2 MSH3 MSH6 MST1 MST1R MTOR MUTYH MYB MYC MYCL MYCN MYD88
    MYOD1 NAB2 NBN NCOA3 NCOR1 NEGR1 NF1 NF2 NFE2L2 NFKBIA NKX2-1 NKX3-1 NOTCH1 NOTCH2 NOTCH3 NOTCH4 NPM1 NRAS NRG1
    NSD1 NTRK1 NTRK2 NTRK3 NUP93 NUTM1 PAK1 PAK3 PAK7 PALB2 PARK2 PARP1 PAX3 PAX5 PAX7 PAX8 PBRM1 PDCD1 PDCD1LG2
    PDGFRA PDGFRB PDK1 PDPK1 PGR PHF6 PHOX2B PIK3C2B PIK3C2G PIK3C3 PIK3CA PIK3CB PIK3CD PIK3CG PIK3R1 PIK3R2 PIK3R3
    PIM1 PLCG2 PLK2 PMAIP1 PMS1 PMS2 PNRC1 POLD1 POLE PPARG PPM1D PPP2R1A PPP2R2A PPP6C PRDM1 PREX2 PRKAR1A PRKCI
    PRKDC PRSS8 PTCH1 PTEN PTPN11 PTPRD PTPRS PTPRT QKI RAB35 RAC1 RAD21 RAD50 RAD51 RAD51B RAD51C RAD51D RAD52
    RAD54L RAF1 RANBP2 RARA RASA1 RB1 RBM10 RECQL4 REL RET RFWD2 RHEB RHOA RICTOR RIT1 RNF43 ROS1 RPS6KA4 RPS6KB1
    RPS6KB2 RPTOR RUNX1 RUNX1T1 RYBP SDHA SDHAF2 SDHB SDHC SDHD SETBP1 SETD2 SF3B1 SH2B3 SH2D1A SHQ1 SLIT2 SLX4
    SMAD2 SMAD3 SMAD4 SMARCA4 SMARCB1 SMARCD1 SMC1A SMC3 SMO SNCAIP SOCS1 SOX10 SOX17 SOX2 SOX9 SPEN SPOP SPTA1 SRC
    SRSF2 STAG1 STAG2 STAT3 STAT4 STAT5A STAT5B STK11 STK40 SUFU SUZ12 SYK TAF1 TBX3 TCEB1 TCF3 TCF7L2 TERC TERT
    TET1 TET2 TFE3 TFRC TGFBR1 TGFBR2 TMEM127 TMPRSS2 TNFAIP3 TNFRSF14 TOP1 TOP2A TP53 TP63 TRAF2 TRAF7 TSC1 TSC2
    TSHR U2AF1 VEGFA VHL VTCN1 WISP3 WT1 XIAP XPO1 XRCC2 YAP1 YES1 ZBTB2 ZBTB7A ZFHX3 ZNF217 ZNF703 ZRSR2
"""

#: The TSO500 genes as Illumina's gene list names them (523; some by previous symbols).
TSO500_AS_LISTED: tuple[str, ...] = tuple(_TSO500_GENE_LIST.split())

#: The TSO500 genes by current HGNC symbol.
TSO500_GENES: frozenset[str] = frozenset(current_symbol(symbol) for symbol in TSO500_AS_LISTED)

#: Recurrent fusion partners outside the panel that TSO500 reports as the other gene of a fusion of a
#: targetable kinase or transcription factor: ALK (EML4, TFG, TPM3), ROS1 (CD74, EZR, GOPC, SDC4,
#: SLC34A2), RET (CCDC6, NCOA4, TRIM24, TRIM33; Drilon et al., Nat Rev Clin Oncol 2018), NTRK1-3 (ETV6,
#: IRF2BP2, LMNA, SQSTM1, TPM3, TPR; Cocco et al., Nat Rev Clin Oncol 2018), FGFR2/3 (BICC1, TACC3,
#: BAIAP2L1), NRG1 (SLC3A2), BRAF (AGK, KIAA1549) and ERG (SLC45A3). Partners on the panel (EML4, CD74,
#: ETV6, KIF5B, TMPRSS2, ...) are in :data:`TSO500_GENES` already.
FUSION_PARTNERS: frozenset[str] = frozenset(
    {
        "AGK",
        "BAIAP2L1",
        "BICC1",
        "CCDC6",
        "EZR",
        "GOPC",
        "IRF2BP2",
        "KIAA1549",
        "LMNA",
        "NCOA4",
        "SDC4",
        "SLC34A2",
        "SLC3A2",
        "SLC45A3",
        "SQSTM1",
        "TACC3",
        "TFG",
        "TPM3",
        "TPR",
        "TRIM24",
        "TRIM33",
    }
)

#: Every current symbol OncoBasket knows without a declaration.
KNOWN_GENES: frozenset[str] = TSO500_GENES | FUSION_PARTNERS | frozenset(PREVIOUS_TO_CURRENT.values())

# HGNC symbols are unique without regard to case, and files write them in either (``C11orf30``, ``braf``).
_CURRENT_BY_UPPER: Mapping[str, str] = MappingProxyType({symbol.upper(): symbol for symbol in KNOWN_GENES})
_PREVIOUS_BY_UPPER: Mapping[str, tuple[str, str]] = MappingProxyType(
    {previous.upper(): (previous, current) for previous, current in PREVIOUS_TO_CURRENT.items()}
)


@dataclass(frozen=True, slots=True)
class SymbolLookup:
    """What a written gene symbol is: ``current`` is its current HGNC symbol, or None when unknown;
    ``previous`` names the previous symbol it was written as (None when it was written current)."""

    written: str
    current: str | None
    previous: str | None = None

    @property
    def known(self) -> bool:
        return self.current is not None


def look_up_symbol(written: str, declared: Collection[str] = ()) -> SymbolLookup:
    """Resolve a gene symbol against :data:`KNOWN_GENES`, :data:`PREVIOUS_TO_CURRENT` and ``declared``
    (current symbols a protocol names with its own source), ignoring case."""
    key = written.strip().upper()
    current = _CURRENT_BY_UPPER.get(key)
    if current is not None:
        return SymbolLookup(written, current)
    if key in _PREVIOUS_BY_UPPER:
        previous, current = _PREVIOUS_BY_UPPER[key]
        return SymbolLookup(written, current, previous)
    for symbol in declared:
        if symbol.upper() == key:
            return SymbolLookup(written, symbol)
    return SymbolLookup(written, None)


def similar_symbols(written: str, declared: Collection[str] = (), limit: int = 3) -> tuple[str, ...]:
    """Known symbols spelt like ``written`` (for "did you mean" hints), closest first."""
    candidates = {symbol.upper(): symbol for symbol in (*KNOWN_GENES, *declared)}
    close = difflib.get_close_matches(written.strip().upper(), list(candidates), n=limit, cutoff=0.75)
    return tuple(candidates[item] for item in close)
