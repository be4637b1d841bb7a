"""Import MatchMiner CTML trial documents (YAML or JSON) into OncoBasket's criteria trees.

CTML (Clinical Trial Markup Language; MatchMiner, Klein et al., npj Precis Oncol 2022;6:69) describes
a trial as ``treatment_list -> step -> arm -> dose_level``; each level may carry a ``match`` tree of
``and`` / ``or`` nodes whose leaves are ``clinical`` or ``genomic`` criteria; a ``!`` prefix negates.
docs/ctml.md lists the mapping key by key.

The package is split by concept:

- :mod:`.model`: the imported trial, its targets and their criteria trees;
- :mod:`.reader`: the document structure (YAML/JSON, steps, arms, dose levels, drugs, match trees);
- :mod:`.genomic` and :mod:`.clinical`: the leaves;
- :mod:`.resolve`: a target's clinical leaves decided for one patient, with the notes that say why;
- :mod:`.matching`: profiles matched against the trial's targets.
"""

from oncobasket.io.ctml.matching import CtmlMatch, CtmlMatcher, CtmlResult, match_ctml, unsupported_lines
from oncobasket.io.ctml.model import (
    ALWAYS,
    EXTERNAL_EVIDENCE,
    NEVER,
    Age,
    Both,
    Constant,
    Criteria,
    CtmlArm,
    CtmlTrial,
    Diagnosis,
    Either,
    Gender,
    Genomic,
    Unsupported,
)
from oncobasket.io.ctml.reader import load_ctml, load_ctml_trials, parse_ctml, parse_ctml_trials
from oncobasket.io.ctml.resolve import ResolvedArm, arm_protocol, resolve_arm

__all__ = [
    "ALWAYS",
    "EXTERNAL_EVIDENCE",
    "NEVER",
    "Age",
    "Both",
    "Constant",
    "Criteria",
    "CtmlArm",
    "CtmlMatch",
    "CtmlMatcher",
    "CtmlResult",
    "CtmlTrial",
    "Diagnosis",
    "Either",
    "Gender",
    "Genomic",
    "ResolvedArm",
    "Unsupported",
    "arm_protocol",
    "load_ctml",
    "load_ctml_trials",
    "match_ctml",
    "parse_ctml",
    "parse_ctml_trials",
    "resolve_arm",
    "unsupported_lines",
]
