"""CTML clinical leaves (docs/ctml.md, "Clinical leaves"): age, OncoTree diagnosis, gender, TMB.

MatchMiner's clinical keys (matchengine-V2 configuration): ``age_numerical``,
``oncotree_primary_diagnosis`` (names or codes, ``_SOLID_`` / ``_LIQUID_``), ``gender``,
``tmb_numerical``, receptor statuses (``her2_status``, ``er_status``, ``pr_status``); a ``!`` prefix negates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from oncobasket.io.ctml.context import ReadContext, text_of
from oncobasket.io.ctml.model import Age, Both, Constant, Criteria, Diagnosis, Gender, Status, TmbLimit

#: receptor statuses: matchengine-V2 reads True / False as Positive / Negative and other values as written.
RECEPTOR_KEYS = frozenset({"her2_status", "er_status", "pr_status"})
_CLINICAL_KEYS = frozenset({"age_numerical", "oncotree_primary_diagnosis", "gender", "tmb_numerical"}) | RECEPTOR_KEYS
#: an operator and a number: ``>=18``, ``<0.5``, ``==40``, ``.5`` (matchengine-V2 operators ==, >=, >, <=, <).
COMPARISON = re.compile(r"^\s*(==|>=|<=|>|<|=)?\s*(\d*\.?\d+)\s*$")
#: a negated comparison (``!>=18``) is its complement.
_COMPLEMENT = {">=": "<", ">": "<=", "<=": ">", "<": ">=", "==": "!=", "!=": "=="}


def read_clinical(context: ReadContext, body: Mapping[str, Any], path: str) -> Criteria:
    parts: list[Criteria] = []
    for key, raw in body.items():
        where = f"{path}.{key}"
        if key not in _CLINICAL_KEYS:
            context.report(str(key), where, "unknown clinical key (treated as met: confirm by hand)")
            parts.append(Constant(True, f"clinical criterion {key} = {raw} not checked"))
            continue
        # YAML and JSON read True / False as booleans; matchengine-V2 compares their text.
        text = str(raw) if isinstance(raw, bool) else text_of(raw) or ""
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
                parts.append(Gender(text.capitalize(), negated, where))
        elif key in RECEPTOR_KEYS:
            parts.append(receptor_leaf(str(key), text, negated, where))
        else:
            parts.append(tmb_leaf(context, text, negated, where))
    if not parts:
        return Constant(True, f"no usable clinical criterion at {path}")
    return parts[0] if len(parts) == 1 else Both(tuple(parts))


def receptor_leaf(key: str, text: str, negated: bool, path: str) -> Criteria:
    """``her2_status: Positive`` (or ``True``): matchengine-V2's ``true_false_map``."""
    wanted = {"true": "Positive", "false": "Negative"}.get(text.lower(), text)
    return Status(key, wanted.capitalize(), f"{'!' if negated else ''}{text}", negated, path)


def age_leaves(context: ReadContext, text: str, negated: bool, path: str) -> list[Criteria]:
    # Ranges are written as two leaves or as ">=18, <=75" in some curations.
    parts: list[Criteria] = []
    for piece in (item for item in text.split(",") if item.strip()):
        found = COMPARISON.match(piece)
        if found is None or found.group(1) in {None, "="}:
            context.report("age_numerical", path, f"unsupported value '{piece.strip()}' (treated as met)")
            continue
        comparison = found.group(1)
        if negated:
            comparison = _COMPLEMENT[comparison]
        written = f"{'!' if negated else ''}{piece.strip()}"
        parts.append(Age(comparison, float(found.group(2)), path, written))
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
    """``tmb_numerical: '>=10'``: every operator of matchengine-V2 (==, >=, >, <=, <)."""
    found = COMPARISON.match(text)
    if found is None or found.group(1) in {None, "="}:
        context.report("tmb_numerical", path, f"unsupported value '{text}' (treated as not met)")
        return Constant(False, f"unsupported TMB criterion '{text}' at {path}")
    return TmbLimit(found.group(1), float(found.group(2)), f"{'!' if negated else ''}{text}", negated, path)
