"""CTML genomic leaves as OncoBasket rule trees (docs/ctml.md, "Genomic leaves").

MatchMiner's genomic keys (matchengine-V2 configuration: hugo_symbol, variant_category,
protein_change, wildcard_protein_change, variant_classification, exon, cnv_call,
fusion_partner_hugo_symbol, mmr_status / ms_status, tmb_numerical) each become a rule of
:mod:`oncobasket.core.protocol`; a ``!`` on any value negates the whole leaf.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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
    TruncatingRule,
)
from oncobasket.core.variant_effects import TRUNCATING_CLASSES
from oncobasket.io.ctml.clinical import tmb_leaf
from oncobasket.io.ctml.context import ReadContext, text_of
from oncobasket.io.ctml.model import Constant, Criteria, Genomic

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
    }
)
# CTML writes MAF Variant_Classification values in any case: compare them lower-cased.
_TRUNCATING_CLASSES = frozenset(name.lower() for name in TRUNCATING_CLASSES)
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
    rule = genomic_rule(context, dict(values), path)
    if rule is None:
        # Name the leaf's own key and value that could not be expressed, so that a note on the arm
        # blames the criterion that decided it.
        causes = [
            f"{item.key} '{values.get(item.key, '')}' at {item.path}" for item in context.unsupported[reported:]
        ] or [path]
        wanted = "not " if negated else ""
        return Constant(negated, f"unsupported genomic criterion {wanted}{'; '.join(causes)}")
    return Genomic(Not(rule) if negated else rule)


def genomic_rule(context: ReadContext, values: dict[str, str], path: str) -> Rule | None:
    if "tmb_numerical" in values:
        criteria = tmb_leaf(context, values.pop("tmb_numerical"), False, f"{path}.tmb_numerical")
        return criteria.rule if isinstance(criteria, Genomic) else None
    for key in ("ms_status", "mmr_status"):
        if key in values:
            return msi_status_rule(context, key, values[key], f"{path}.{key}")
    gene_text = values.get("hugo_symbol")
    if gene_text is None:
        raise context.fail(
            f"{path}.hugo_symbol", "a genomic criterion needs hugo_symbol", "name the gene, e.g. hugo_symbol: KRAS"
        )
    gene = current_symbol(context, gene_text, f"{path}.hugo_symbol")
    category = _category(values.get("variant_category"), values)
    if category is None:
        context.report(
            "variant_category",
            f"{path}.variant_category",
            f"unsupported value '{values.get('variant_category')}' (treated as not met)",
        )
        return None
    if category == "mutation":
        return mutation_rule(context, gene, values, path)
    if category == "cnv":
        return copy_number_rule(context, gene, values.get("cnv_call"), f"{path}.cnv_call")
    if category == "sv":
        partner = values.get("fusion_partner_hugo_symbol")
        partners = (current_symbol(context, partner, f"{path}.fusion_partner_hugo_symbol"),) if partner else ()
        return FusionRule(gene, partners)
    return AnyOf((MutationRule(gene), AmplificationRule(gene), CopyLossRule(gene), FusionRule(gene)))


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
    if normal in {"mss", "proficient"}:
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
    if classification:
        if classification in _TRUNCATING_CLASSES:
            return TruncatingRule(gene)
        context.report(
            "variant_classification",
            f"{path}.variant_classification",
            f"'{values['variant_classification']}' without exon or protein change (treated as not met)",
        )
        return None
    return MutationRule(gene)


def copy_number_rule(context: ReadContext, gene: str, call: str | None, path: str) -> Rule | None:
    if call is None:
        return AnyOf((AmplificationRule(gene), CopyLossRule(gene)))
    normal = call.strip().lower()
    if normal in {"high level amplification", "amplification", "gain"}:
        return AmplificationRule(gene)
    if normal in {"homozygous deletion", "heterozygous deletion", "deletion"}:
        return CopyLossRule(gene)
    context.report("cnv_call", path, f"unsupported value '{call}' (treated as not met)")
    return None


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
