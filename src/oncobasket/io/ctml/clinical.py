"""CTML clinical leaves (docs/ctml.md, "Clinical leaves"): age, OncoTree diagnosis, gender, TMB.

MatchMiner's clinical keys (matchengine-V2 configuration): ``age_numerical``,
``oncotree_primary_diagnosis`` (names or codes, ``_SOLID_`` / ``_LIQUID_``), ``gender``,
``tmb_numerical``; a ``!`` prefix negates.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from oncobasket.core.protocol import Not, Rule, TmbRule
from oncobasket.io.ctml.context import ReadContext, text_of
from oncobasket.io.ctml.model import Age, Both, Constant, Criteria, Diagnosis, Gender, Genomic

_CLINICAL_KEYS = frozenset({"age_numerical", "oncotree_primary_diagnosis", "gender", "tmb_numerical"})
_COMPARISON = re.compile(r"^\s*(>=|<=|>|<|=)?\s*(\d+(?:\.\d+)?)\s*$")


def read_clinical(context: ReadContext, body: Mapping[str, Any], path: str) -> Criteria:
    parts: list[Criteria] = []
    for key, raw in body.items():
        where = f"{path}.{key}"
        if key not in _CLINICAL_KEYS:
            context.report(str(key), where, "unknown clinical key (treated as met: confirm by hand)")
            parts.append(Constant(True, f"clinical criterion {key} = {raw} not checked"))
            continue
        text = text_of(raw) or ""
        negated = text.startswith("!")
        text = text.lstrip("!").strip()
        if key == "age_numerical":
            parts.extend(age_leaves(context, text, negated, where))
        elif key == "oncotree_primary_diagnosis":
            parts.append(diagnosis_leaf(context, text, negated, where))
        elif key == "gender":
            if text.lower() not in {"male", "female"}:
                context.report(key, where, f"unsupported value '{text}' (treated as met)")
            else:
                parts.append(Gender(text.capitalize(), negated))
        else:
            parts.append(tmb_leaf(context, text, negated, where))
    if not parts:
        return Constant(True, f"no usable clinical criterion at {path}")
    return parts[0] if len(parts) == 1 else Both(tuple(parts))


def age_leaves(context: ReadContext, text: str, negated: bool, path: str) -> list[Criteria]:
    # Ranges are written as two leaves or as ">=18, <=75" in some curations.
    parts: list[Criteria] = []
    for piece in (item for item in text.split(",") if item.strip()):
        found = _COMPARISON.match(piece)
        if found is None or found.group(1) in {None, "="}:
            context.report("age_numerical", path, f"unsupported value '{piece.strip()}' (treated as met)")
            continue
        comparison = found.group(1)
        if negated:
            comparison = {">=": "<", ">": "<=", "<=": ">", "<": ">="}[comparison]
        parts.append(Age(comparison, float(found.group(2)), path))
    return parts


def diagnosis_leaf(context: ReadContext, text: str, negated: bool, path: str) -> Criteria:
    upper = text.upper()
    if upper in {"_SOLID_", "ALL SOLID TUMORS"}:
        return Diagnosis(text, (), negated, special="solid")
    if upper in {"_LIQUID_", "ALL LIQUID TUMORS"}:
        return Diagnosis(text, (), negated, special="liquid")
    if upper in context.tumour_types:
        return Diagnosis(text, (upper,), negated)
    wanted = text.strip().lower()
    codes = tuple(sorted(item.code for item in context.tumour_types if item.name.strip().lower() == wanted))
    if codes:
        return Diagnosis(text, codes, negated)
    context.report(
        "oncotree_primary_diagnosis",
        path,
        f"unknown OncoTree diagnosis '{text}' (OncoTree {context.tumour_types.version}; "
        + ("treated as met" if negated else "treated as not met")
        + "; a full OncoTree may know it: --oncotree)",
    )
    return Constant(negated, f"unknown diagnosis '{text}' at {path}")


def tmb_leaf(context: ReadContext, text: str, negated: bool, path: str) -> Criteria:
    found = _COMPARISON.match(text)
    if found is None or found.group(1) in {None, "="}:
        context.report("tmb_numerical", path, f"unsupported value '{text}' (treated as not met)")
        return Constant(False, f"unsupported TMB criterion '{text}' at {path}")
    comparison, value = found.group(1), float(found.group(2))
    if comparison in {">=", ">"}:
        rule: Rule = TmbRule(value if comparison == ">=" else math.nextafter(value, math.inf))
    else:
        rule = Not(TmbRule(value if comparison == "<" else math.nextafter(value, math.inf)))
    return Genomic(Not(rule) if negated else rule)
