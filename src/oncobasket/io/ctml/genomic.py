"""CTML genomic leaves as OncoBasket rule trees (docs/ctml.md, "Genomic leaves").

MatchMiner's genomic keys (matchengine-V2 configuration: hugo_symbol, variant_category,
protein_change, wildcard_protein_change, variant_classification, exon, cnv_call,
fusion_partner_hugo_symbol, mmr_status / ms_status, tmb_numerical) each become a rule of
:mod:`oncobasket.core.protocol`; a ``!`` on any value negates the whole leaf.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from oncobasket.core.errors import InputError
from oncobasket.core.genes import look_up_symbol, similar_symbols
from oncobasket.core.protein import parse_protein_change
from oncobasket.core.protocol import (
    AmplificationRule,
    AnyOf,
    CodonRule,
    CopyLossRule,
    ExonEdit,
    ExonRule,
    FusionRule,
    MsiRule,
    MutationRule,
    Not,
    ProteinChangeRule,
    Rule,
)
from oncobasket.io.ctml.clinical import tmb_leaf
from oncobasket.io.ctml.context import ReadContext, text_of
from oncobasket.io.ctml.model import (
    ANY_GENE,
    INTERGENIC,
    Classification,
    Constant,
    Criteria,
    Genomic,
    Status,
    StructuralVariant,
)

_GENOMIC_KEYS = frozenset(
    {
        "hugo_symbol",
        "variant_category",
        "protein_change",
        "wildcard_protein_change",
        "variant_classification",
        "exon",
        "cnv_call",
        "fusion_partner_hugo_symbol",
        "mmr_status",
        "ms_status",
        "tmb_numerical",
        "apobec_signature",
        "pole_signature",
        "tobacco_signature",
        "temozolomide_signature",
        "uva_signature",
    }
)
#: mutational signature keys, compared as written (``Yes`` / ``No``; matchengine-V2 APOBEC_STATUS etc.).
SIGNATURE_KEYS = (
    "apobec_signature",
    "pole_signature",
    "tobacco_signature",
    "temozolomide_signature",
    "uva_signature",
)
_WILDCARD = re.compile(r"^p\.([ACDEFGHIKLMNPQRSTVWY])(\d+)$")


def read_genomic(context: ReadContext, body: Mapping[str, Any], path: str) -> Criteria:
    values: dict[str, str] = {}
    negated = False
    for key, raw in body.items():
        if key not in _GENOMIC_KEYS:
            context.report(
                str(key), f"{path}.{key}", "unknown genomic key, ignored: the criterion is matched without it"
            )
            continue
        text = text_of(raw)
        if text is None or not text.strip():
            continue
        if text.startswith("!"):
            negated = True
            text = text.lstrip("!")
        values[str(key)] = text.strip()
    reported = len(context.unsupported)
    leaf = genomic_leaf(context, dict(values), negated, path)
    if leaf is None:
        # Name the leaf's own key and value that could not be expressed, so that a note on the arm
        # blames the criterion that decided it.
        causes = [
            f"{item.key} '{values.get(item.key, '')}' at {item.path}" for item in context.unsupported[reported:]
        ] or [path]
        wanted = "not " if negated else ""
        return Constant(negated, f"unsupported genomic criterion {wanted}{'; '.join(causes)}")
    if isinstance(leaf, Genomic):
        written = ", ".join(f"{key} '{text_of(raw)}'" for key, raw in body.items() if key in _GENOMIC_KEYS)
        return replace(leaf, written=written)
    return leaf


def genomic_leaf(context: ReadContext, values: dict[str, str], negated: bool, path: str) -> Criteria | None:
    """One genomic leaf. matchengine-V2 skips the gene when a signature, MMR or TMB key is given, and
    reads a structural variant's two sides in either orientation."""
    if "tmb_numerical" in values:
        text = values.pop("tmb_numerical")
        return tmb_leaf(context, text, negated, f"{path}.tmb_numerical")
    for key in SIGNATURE_KEYS:
        if key in values:
            written = f"{'!' if negated else ''}{values[key]}"
            return Status(key, values[key].capitalize(), written, negated, f"{path}.{key}")
    for key in ("ms_status", "mmr_status"):
        if key in values:
            rule = msi_status_rule(context, key, values[key], f"{path}.{key}")
            return None if rule is None else Genomic(Not(rule) if negated else rule)
    category = _category(values.get("variant_category"), values)
    gene_text = values.get("hugo_symbol")
    if gene_text is None and not (category == "sv" and "fusion_partner_hugo_symbol" in values):
        raise context.fail(
            f"{path}.hugo_symbol", "a genomic criterion needs hugo_symbol", "name the gene, e.g. hugo_symbol: KRAS"
        )
    if category is None:
        context.report(
            "variant_category",
            f"{path}.variant_category",
            f"unsupported value '{values.get('variant_category')}' (treated as not met)",
        )
        return None
    if category == "sv":
        return structural_variant(context, gene_text, values.get("fusion_partner_hugo_symbol"), negated, path)
    gene = current_symbol(context, gene_text or "", f"{path}.hugo_symbol")
    if category == "mutation":
        classification = values.get("variant_classification")
        if classification and not {"protein_change", "wildcard_protein_change", "exon"} & set(values):
            return Classification(gene, classification, negated, f"{path}.variant_classification")
        rule = mutation_rule(context, gene, values, path)
    elif category == "cnv":
        rule = copy_number_rule(context, gene, values.get("cnv_call"), f"{path}.cnv_call")
        call = values.get("cnv_call", "").strip().lower()
        if rule is not None and call in LOW_LEVEL_CNV_CALLS:
            note = (
                f"cnv_call '{values['cnv_call']}' at {path}.cnv_call is met by the laboratory's "
                f"{CNV_CALLS[call]} call of either level (the profile does not record the level; docs/ctml.md)"
            )
            return Genomic(Not(rule) if negated else rule, note)
    else:
        # matchengine-V2: "Any Variation" is a mutation or a copy-number call, not a structural variant.
        rule = AnyOf((MutationRule(gene), AmplificationRule(gene), CopyLossRule(gene)))
    return None if rule is None else Genomic(Not(rule) if negated else rule)


def structural_variant(
    context: ReadContext, gene_text: str | None, partner_text: str | None, negated: bool, path: str
) -> Criteria:
    """A structural variant (matchengine-V2 structured SV): ``hugo_symbol`` and
    ``fusion_partner_hugo_symbol`` in either orientation; ``any_gene`` is some gene, ``intergenic`` none;
    a side left out is not constrained, so a partner alone is any fusion of that gene."""
    sides: list[str | None] = []
    for text, key in ((gene_text, "hugo_symbol"), (partner_text, "fusion_partner_hugo_symbol")):
        form = None if text is None else text.strip().lower().replace(" ", "_")
        if form in {ANY_GENE, INTERGENIC}:
            sides.append(form)
        else:
            sides.append(None if text is None else current_symbol(context, text, f"{path}.{key}"))
    gene, partner = sides
    named = [side for side in sides if side is not None and side not in {ANY_GENE, INTERGENIC}]
    if named and all(side is None or side not in {ANY_GENE, INTERGENIC} for side in sides):
        rule = FusionRule(named[0], tuple(named[1:]))
        return Genomic(Not(rule) if negated else rule)
    return StructuralVariant(gene, partner, negated, f"{path}.fusion_partner_hugo_symbol")


def current_symbol(context: ReadContext, written: str, path: str) -> str:
    """The current HGNC symbol (docs/ctml.md, "Genomic leaves"). A previous symbol (``MYCL1``) is read
    as the current one, with a warning. A symbol OncoBasket does not know is kept as written, with a
    warning: an external trial may name any gene, and a VCF or MAF from a whole-exome lab can report
    it, so refusing the whole document would lose the trial; the warning still catches a misspelling."""
    found = look_up_symbol(written)
    if found.current is None:
        close = similar_symbols(written)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        context.warnings.append(
            f"{context.source}: field '{path}': '{written}' is not a gene OncoBasket knows (not a TSO500 panel "
            f"gene, a previous HGNC symbol of one or a known fusion partner): kept as written, so a TSO500 "
            f"result will never match it{hint}"
        )
        return written.strip()
    if found.previous is not None:
        context.warnings.append(
            f"{context.source}: field '{path}': {written} is a previous HGNC symbol of {found.current}: "
            f"matching uses {found.current}"
        )
    return found.current


def msi_status_rule(context: ReadContext, key: str, value: str, path: str) -> Rule | None:
    normal = value.strip().lower().replace("mmr-", "")
    if normal in {"msi-h", "deficient"}:
        return MsiRule()
    # matchengine-V2 maps MSI-L with MSS to "Proficient (MMR-P / MSS)".
    if normal in {"mss", "msi-l", "proficient"}:
        return Not(MsiRule())
    context.report(key, path, f"unsupported value '{value}' (treated as not met)")
    return None


def mutation_rule(context: ReadContext, gene: str, values: dict[str, str], path: str) -> Rule | None:
    if "protein_change" in values:
        text = values["protein_change"]
        try:
            change = parse_protein_change(text if text.startswith("p.") else f"p.{text}")
        except InputError:
            change = None
        if change is None:
            context.report("protein_change", f"{path}.protein_change", f"'{text}' is not HGVS (treated as not met)")
            return None
        return ProteinChangeRule(gene, (change.short,))
    if "wildcard_protein_change" in values:
        text = values["wildcard_protein_change"]
        found = _WILDCARD.match(text if text.startswith("p.") else f"p.{text}")
        if found is None:
            context.report(
                "wildcard_protein_change",
                f"{path}.wildcard_protein_change",
                f"'{text}' is not a codon such as p.V600 (treated as not met)",
            )
            return None
        return CodonRule(gene, (f"{found.group(1)}{found.group(2)}",))
    classification = values.get("variant_classification", "").lower()
    if "exon" in values:
        try:
            exon = int(values["exon"])
        except ValueError:
            context.report("exon", f"{path}.exon", f"'{values['exon']}' is not an exon number (treated as not met)")
            return None
        edit = {"in_frame_del": ExonEdit.DELETION, "in_frame_ins": ExonEdit.INSERTION}.get(classification, ExonEdit.ANY)
        return ExonRule(gene, exon, edit)
    return MutationRule(gene)


def copy_number_rule(context: ReadContext, gene: str, call: str | None, path: str) -> Rule | None:
    """matchengine-V2 CNV calls: High Amplification / High level amplification, Low Amplification / Gain,
    Homozygous Deletion, Heterozygous Deletion; none: any copy-number call. OncoBasket's profiles carry
    the laboratory's amplification and copy-loss calls only (TSO500 reports a gain above its own
    threshold, not its level), so the two levels of each direction are read alike (docs/ctml.md)."""
    if call is None:
        return AnyOf((AmplificationRule(gene), CopyLossRule(gene)))
    normal = call.strip().lower()
    if normal in CNV_CALLS:
        return AmplificationRule(gene) if CNV_CALLS[normal] == "amplification" else CopyLossRule(gene)
    context.report("cnv_call", path, f"unsupported value '{call}' (treated as not met)")
    return None


#: CTML cnv_call values (lower case) and the profile call that meets them; the low levels are the
#: deliberate difference of docs/ctml.md (the laboratory's call of either level meets them).
CNV_CALLS = {
    "high amplification": "amplification",
    "high level amplification": "amplification",
    "amplification": "amplification",
    "low amplification": "amplification",
    "low level amplification": "amplification",
    "gain": "amplification",
    "homozygous deletion": "copy loss",
    "deep deletion": "copy loss",
    "deletion": "copy loss",
    "heterozygous deletion": "copy loss",
    "shallow deletion": "copy loss",
}
#: the CNV levels a profile cannot tell apart from the other level of the same direction.
LOW_LEVEL_CNV_CALLS = frozenset(
    {"low amplification", "low level amplification", "gain", "heterozygous deletion", "shallow deletion"}
)


def _category(value: str | None, values: Mapping[str, str]) -> str | None:
    """mutation | cnv | sv | any, from variant_category (or, when absent, from the other keys)."""
    if value is None:
        if {"protein_change", "wildcard_protein_change", "variant_classification", "exon"} & set(values):
            return "mutation"
        if "cnv_call" in values:
            return "cnv"
        if "fusion_partner_hugo_symbol" in values:
            return "sv"
        return "any"
    return {
        "mutation": "mutation",
        "copy number variation": "cnv",
        "cnv": "cnv",
        "structural variation": "sv",
        "sv": "sv",
        "any variation": "any",
        "any": "any",
    }.get(value.strip().lower())
