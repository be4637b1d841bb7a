"""Read a trial protocol file (YAML) into :class:`oncobasket.core.protocol.Protocol`.

The file format is documented key by key in docs/protocol.md. Validation walks YAML's composed node
tree (not the loaded Python values) so that every error names the file, the line and the YAML path,
e.g. ``default.yaml:57: field 'drugs[3].profiles[1].rule': unknown key 'gen'; allowed keys: ...``.
Validation is complete before a Protocol exists: a bad file never yields a half-built protocol.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn, TypeVar

import yaml

from oncobasket.core.errors import InputError, ProtocolError
from oncobasket.core.genes import look_up_symbol, similar_symbols
from oncobasket.core.outcomes import OutcomeSettings
from oncobasket.core.protein import parse_protein_change
from oncobasket.core.protocol import (
    CRITERION_NAMES,
    LEAF_KINDS,
    Agreement,
    AllOf,
    AmplificationRule,
    AnyOf,
    BiallelicLossRule,
    Biomarker,
    CodonRule,
    CohortRule,
    Comparison,
    CopyLossRule,
    Criterion,
    Drug,
    DrugProfile,
    Eligibility,
    EvidenceLevel,
    ExonEdit,
    ExonRange,
    ExonRule,
    ExonSkippingRule,
    FusionRule,
    HotspotRule,
    Indication,
    Knowledge,
    MsiRequirement,
    MsiRule,
    MutationRule,
    Not,
    ProteinChangeRule,
    Protocol,
    Route,
    Rule,
    TmbRule,
    TruncatingRule,
    TumourGroup,
    VariantClassRule,
    drug_key,
)
from oncobasket.core.recist import ResponseSettings
from oncobasket.core.tumour_types import TumourTypes
from oncobasket.io.files import read_regular_bytes
from oncobasket.io.protocol_outcomes import read_outcome_settings

#: the protocol file format version this reader understands (the ``protocol:`` key).
FORMAT_VERSION = 1

_T = TypeVar("_T")
_GENE = re.compile(r"^[A-Z0-9][A-Za-z0-9.\-]*$")
_CODON = re.compile(r"^[ACDEFGHIKLMNPQRSTVWY]\d+$")
_ICD10 = re.compile(r"^[A-Z]\d{2}(\.\d{1,2})?$")

#: values that hold a place for a citation without being one (compared lower-case, without . ? ! - at the ends).
_PLACEHOLDERS = frozenset({"", "todo", "tbd", "tbc", "fixme", "xxx", "unknown", "none", "n/a", "na", "source"})

_LEAF_KEYS = (
    "protein",
    "codon",
    "class",
    "exon",
    "exon_skipping",
    "truncating",
    "hotspot",
    "mutation",
    "amplification",
    "copy_loss",
    "biallelic_loss",
)


def default_protocol_path() -> Path:
    """The shipped example protocol (IMPRESS/DRUP-style armamentarium)."""
    return Path(str(resources.files("oncobasket") / "data" / "protocol" / "default.yaml"))


def load_protocol(path: Path, tumour_types: TumourTypes) -> Protocol:
    """Read and validate a protocol file; raises :class:`ProtocolError` naming file, line and YAML path."""
    if not path.exists():
        raise ProtocolError("no such protocol file", source=str(path), fix="check the path")
    try:
        text = read_regular_bytes(path).decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProtocolError(
            f"not UTF-8 text ({error.reason})", source=str(path), fix="save the protocol as UTF-8 YAML"
        ) from None
    # The path as the user gave it: "prot/p1.yaml:124" points at the file that was meant.
    return parse_protocol(text, source=str(path), tumour_types=tumour_types)


def parse_protocol(text: str, *, source: str, tumour_types: TumourTypes) -> Protocol:
    """Validate protocol YAML text; ``source`` names it in error messages."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        root = yaml.compose(text, Loader=loader)
    except yaml.YAMLError as error:
        raise yaml_syntax_error(error, source, ProtocolError) from None
    if root is None:
        raise ProtocolError("the file is empty", source=source, fix="start from the shipped default protocol")
    return _Reader(source, tumour_types).protocol(root)


def yaml_syntax_error(error: yaml.YAMLError, source: str, kind: type[InputError]) -> InputError:
    """The one-line error for text that is not YAML, naming the line PyYAML marks (0-based there).

    Shared by every YAML reader (protocol files, CTML trials) so that they report syntax the same way.
    """
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        return kind(
            f"not valid YAML: {error.problem or error.context}",
            source=source,
            line=mark.line + 1 if mark is not None else None,
            fix="check indentation, colons and quotes on that line",
        )
    return kind(f"not valid YAML: {error}", source=source)


class _Reader:
    """Walks the composed YAML nodes; every check knows its node, hence its line and path."""

    def __init__(self, source: str, tumour_types: TumourTypes) -> None:
        self.source = source
        self.tumour_types = tumour_types
        self.biomarkers: dict[str, Biomarker] = {}
        self.knowledge = Knowledge()
        self.group_names: set[str] = set()
        self.declared_genes: frozenset[str] = frozenset()
        self._drug_nodes: list[tuple[yaml.Node, str]] = []
        self.warnings: list[str] = []

    # -- errors and primitive values ---------------------------------------------------------

    def error(self, node: yaml.Node, path: str, rule: str, fix: str | None = None) -> ProtocolError:
        return ProtocolError(rule, source=self.source, line=node.start_mark.line + 1, field=path or "(top)", fix=fix)

    def fail(self, node: yaml.Node, path: str, rule: str, fix: str | None = None) -> NoReturn:
        raise self.error(node, path, rule, fix)

    def mapping(
        self, node: yaml.Node, path: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()
    ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """The mapping's entries as ``key -> (key node, value node)``; unknown, duplicate and missing keys fail."""
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, path, f"expected a mapping, found {_kind(node)}", f"write keys as 'key: value' ({path})")
        entries: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(key_node, path, "keys must be plain words")
            key = str(key_node.value)
            if key in entries:
                self.fail(key_node, path, f"duplicate key '{key}'", "give each key once")
            if key not in allowed:
                self.fail(
                    key_node,
                    path,
                    f"unknown key '{key}'",
                    f"allowed keys: {', '.join(allowed)}",
                )
            entries[key] = (key_node, value_node)
        for key in required:
            if key not in entries:
                self.fail(node, path, f"missing required key '{key}'", f"add '{key}:' here")
        return entries

    def sequence(self, node: yaml.Node, path: str, *, allow_scalar: bool = False) -> list[yaml.Node]:
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        if allow_scalar and isinstance(node, yaml.ScalarNode):
            return [node]
        raise self.error(node, path, f"expected a list, found {_kind(node)}", "write a list as [a, b] or '- a' lines")

    def text(self, node: yaml.Node, path: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            self.fail(node, path, f"expected text, found {_kind(node)}")
        value = str(node.value).strip()
        if not value:
            self.fail(node, path, "must not be empty")
        return value

    def optional_text(self, node: yaml.Node | None, path: str) -> str | None:
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"):
            return None
        return self.text(node, path)

    def number(self, node: yaml.Node, path: str) -> float:
        if isinstance(node, yaml.ScalarNode) and node.tag in {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}:
            try:
                return float(str(node.value).replace("_", ""))
            except ValueError:
                pass
        raise self.error(node, path, f"expected a number, found {_describe(node)}")

    def integer(self, node: yaml.Node, path: str, minimum: int = 0) -> int:
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:int":
            try:
                value = int(str(node.value).replace("_", ""), 0)
            except ValueError:
                value = None
            if value is not None and value >= minimum:
                return value
        raise self.error(node, path, f"expected a whole number >= {minimum}, found {_describe(node)}")

    def boolean(self, node: yaml.Node, path: str) -> bool:
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:bool":
            return str(node.value).lower() in {"true", "yes", "on"}
        raise self.error(node, path, f"expected true or false, found {_describe(node)}")

    def choice(self, node: yaml.Node, path: str, enum: Callable[[str], _T], allowed: list[str]) -> _T:
        value = self.text(node, path)
        try:
            return enum(value)
        except ValueError:
            self.fail(node, path, f"'{value}' is not one of {', '.join(allowed)}")

    def texts(self, node: yaml.Node, path: str, *, allow_scalar: bool = True) -> tuple[str, ...]:
        items = self.sequence(node, path, allow_scalar=allow_scalar)
        return tuple(self.text(item, f"{path}[{index}]") for index, item in enumerate(items))

    def gene(self, node: yaml.Node, path: str) -> str:
        """The current HGNC symbol of a gene the rules name (docs/protocol.md, "Gene symbols").

        A symbol OncoBasket does not know (:data:`oncobasket.core.genes.KNOWN_GENES`, or declared in
        ``knowledge.gene_symbols``) fails: such a rule could never match. A previous symbol (``MYCL1``) is
        replaced by the current one, with a warning naming both and the line."""
        value = self.text(node, path)
        if not _GENE.match(value):
            self.fail(node, path, f"'{value}' is not a gene symbol", "use the HGNC symbol, e.g. BRAF")
        found = look_up_symbol(value, self.declared_genes)
        if found.current is None:
            close = similar_symbols(value, self.declared_genes)
            hint = f" (did you mean {' or '.join(close)}?)" if close else ""
            self.fail(
                node,
                path,
                f"unknown gene symbol '{value}' (not a TSO500 panel gene, a previous HGNC symbol of one, "
                "a known fusion partner or a gene of knowledge.gene_symbols)",
                f"write the current HGNC symbol{hint}; declare a gene outside these lists in "
                "knowledge.gene_symbols with its source",
            )
        if found.previous is not None:
            self.warnings.append(
                f"{self.source}:{node.start_mark.line + 1}: field '{path}': {value} is a previous HGNC symbol "
                f"of {found.current}: matching uses {found.current}; write {found.current} in the protocol"
            )
        return found.current

    def oncotree_code(self, node: yaml.Node, path: str) -> str:
        """A current OncoTree code. A retired code with one successor (OncoTree history: ``GBM`` -> ``GB``)
        is replaced by it, with a warning naming both codes and the line; a retired code with several
        successors, or an unknown code, fails."""
        code = self.text(node, path).upper()
        if code in self.tumour_types:
            return code
        if self.tumour_types.retired(code) is None:
            self.fail(
                node,
                path,
                f"unknown OncoTree code '{code}' (OncoTree {self.tumour_types.version})",
                "use a code from oncotree.mskcc.org, or load the full OncoTree with --oncotree",
            )
        try:
            resolved = self.tumour_types.resolve(code, field=path)
        except InputError as error:
            self.fail(node, path, error.rule, error.fix)
        self.warnings.append(
            f"{self.source}:{node.start_mark.line + 1}: field '{path}': {resolved.warning}; "
            f"write {resolved.code} in the protocol"
        )
        return resolved.code

    # -- the protocol ------------------------------------------------------------------------

    def protocol(self, root: yaml.Node) -> Protocol:
        top = self.mapping(
            root,
            "",
            (
                "protocol",
                "name",
                "version",
                "trial_id",
                "description",
                "authority",
                "oncotree_version",
                "cohort_rule",
                "cohort_rules",
                "eligibility",
                "tumour_groups",
                "fallback_group",
                "knowledge",
                "biomarkers",
                "agreements",
                "drugs",
                "on_label",
                "outcomes",
            ),
            required=("protocol", "name", "version", "tumour_groups", "drugs"),
        )
        format_node = top["protocol"][1]
        if self.integer(format_node, "protocol", minimum=1) != FORMAT_VERSION:
            self.fail(format_node, "protocol", f"unsupported protocol format {format_node.value}", "use 'protocol: 1'")
        name = self.text(top["name"][1], "name")
        version = self.text(top["version"][1], "version")
        groups = self.tumour_groups(top["tumour_groups"][1])
        if "knowledge" in top:
            self.knowledge = self.read_knowledge(top["knowledge"][1])
        if "biomarkers" in top:
            for index, item in enumerate(self.sequence(top["biomarkers"][1], "biomarkers")):
                path = f"biomarkers[{index}]"
                biomarker = self.biomarker(item, path)
                if biomarker.name in self.biomarkers:
                    self.fail(item, f"{path}.name", f"duplicate biomarker '{biomarker.name}'", "give each name once")
                self.biomarkers[biomarker.name] = biomarker
        drugs = self.drugs(top["drugs"][1])
        agreements = self.agreements(top["agreements"][1], drugs) if "agreements" in top else ()
        for drug, (node, path) in zip(drugs, self._drug_nodes, strict=True):
            if drug.agreement is not None and drug.agreement not in {item.name for item in agreements}:
                self.fail(
                    node, f"{path}.agreement", f"no agreement named '{drug.agreement}'", "define it in agreements"
                )
        cohort_rule = self.cohort_rule(top["cohort_rule"][1], "cohort_rule") if "cohort_rule" in top else CohortRule()
        cohort_rules: dict[str, CohortRule] = {}
        if "cohort_rules" in top:
            for index, item in enumerate(self.sequence(top["cohort_rules"][1], "cohort_rules")):
                path = f"cohort_rules[{index}]"
                entry = self.mapping(item, path, ("cohort", "rule"), required=("cohort", "rule"))
                cohort_rules[self.text(entry["cohort"][1], f"{path}.cohort")] = self.cohort_rule(
                    entry["rule"][1], f"{path}.rule"
                )
        response_settings, outcome_settings = (
            read_outcome_settings(self, top["outcomes"][1])
            if "outcomes" in top
            else (ResponseSettings(), OutcomeSettings())
        )
        return Protocol(
            name=name,
            version=version,
            response_settings=response_settings,
            outcome_settings=outcome_settings,
            trial_id=self.optional_text(top.get("trial_id", (None, None))[1], "trial_id"),
            description=self.optional_text(top.get("description", (None, None))[1], "description"),
            authority=self.optional_text(top.get("authority", (None, None))[1], "authority") or "EMA",
            oncotree_version=self.optional_text(top.get("oncotree_version", (None, None))[1], "oncotree_version"),
            cohort_rule=cohort_rule,
            cohort_rules=MappingProxyType(cohort_rules),
            eligibility=self.eligibility(top["eligibility"][1], "eligibility")
            if "eligibility" in top
            else Eligibility(),
            tumour_groups=groups,
            fallback_group=self.optional_text(top.get("fallback_group", (None, None))[1], "fallback_group"),
            biomarkers=tuple(self.biomarkers.values()),
            drugs=drugs,
            agreements=agreements,
            on_label=self.on_label(top["on_label"][1], drugs) if "on_label" in top else (),
            knowledge=self.knowledge,
            source=self.source,
            warnings=tuple(self.warnings),
        )

    def cohort_rule(self, node: yaml.Node, path: str) -> CohortRule:
        entry = self.mapping(node, path, ("r1", "n1", "r", "n", "source"), required=("r1", "n1", "r", "n"))
        values = {key: self.integer(entry[key][1], f"{path}.{key}") for key in ("r1", "n1", "r", "n")}
        try:
            return CohortRule(
                **values, source=self.optional_text(entry.get("source", (None, None))[1], f"{path}.source")
            )
        except ValueError as error:
            self.fail(node, path, str(error), "e.g. DRUP: r1: 0, n1: 8, r: 4, n: 24")

    def tumour_groups(self, node: yaml.Node) -> tuple[TumourGroup, ...]:
        groups: list[TumourGroup] = []
        owner: dict[str, str] = {}
        icd10_owner: dict[str, str] = {}
        for index, item in enumerate(self.sequence(node, "tumour_groups")):
            path = f"tumour_groups[{index}]"
            entry = self.mapping(item, path, ("name", "oncotree", "icd10", "description"), required=("name",))
            name = self.text(entry["name"][1], f"{path}.name")
            if name in self.group_names:
                self.fail(item, f"{path}.name", f"duplicate tumour group '{name}'", "give each group once")
            codes: list[str] = []
            if "oncotree" in entry:
                values = self.sequence(entry["oncotree"][1], f"{path}.oncotree", allow_scalar=True)
                for position, value in enumerate(values):
                    code = self.oncotree_code(value, f"{path}.oncotree[{position}]")
                    self.claim(
                        owner,
                        code,
                        name,
                        value,
                        f"{path}.oncotree[{position}]",
                        f"OncoTree code {code}",
                        "list each code in one group; descendants follow their nearest listed ancestor",
                    )
                    codes.append(code)
            icd10_codes: list[str] = []
            if "icd10" in entry:
                values = self.sequence(entry["icd10"][1], f"{path}.icd10", allow_scalar=True)
                for position, value in enumerate(values):
                    code = self.text(value, f"{path}.icd10[{position}]").upper()
                    if not _ICD10.match(code):
                        self.fail(value, f"{path}.icd10[{position}]", f"'{code}' is not an ICD-10 code", "e.g. C22.1")
                    self.claim(
                        icd10_owner,
                        code,
                        name,
                        value,
                        f"{path}.icd10[{position}]",
                        f"ICD-10 code {code}",
                        "list each ICD-10 code in one group",
                    )
                    icd10_codes.append(code)
            icd10 = tuple(icd10_codes)
            if not codes and not icd10:
                self.fail(item, path, f"group '{name}' lists no codes", "give oncotree and/or icd10 codes")
            self.group_names.add(name)
            groups.append(
                TumourGroup(
                    name=name,
                    oncotree=tuple(codes),
                    icd10=icd10,
                    description=self.optional_text(entry.get("description", (None, None))[1], f"{path}.description"),
                )
            )
        return tuple(groups)

    def read_knowledge(self, node: yaml.Node) -> Knowledge:
        top = self.mapping(node, "knowledge", ("gene_symbols", "hotspots", "variant_classes", "exons"))
        sources: dict[str, str] = {}
        if "gene_symbols" in top:
            # First: the other lists and the rules may name the declared genes.
            self.declared_genes = self.gene_symbols(top["gene_symbols"][1], sources)
        hotspots: dict[str, frozenset[str]] = {}
        classes: dict[str, Mapping[str, frozenset[str]]] = {}
        exons: dict[str, Mapping[int, ExonRange]] = {}
        if "hotspots" in top:
            for gene, (key_node, value) in self.knowledge_genes(top, "hotspots", sources).items():
                path = f"knowledge.hotspots.genes.{gene}"
                codons = self.texts(value, path)
                for codon in codons:
                    if not _CODON.match(codon):
                        self.fail(value, path, f"'{codon}' is not a codon", "write codons as E545, H1047")
                hotspots[self.gene(key_node, path)] = frozenset(codons)
        if "variant_classes" in top:
            path = "knowledge.variant_classes"
            for gene, (key_node, value) in self.knowledge_genes(top, "variant_classes", sources).items():
                table = self.mapping(value, f"{path}.genes.{gene}", _keys(value))
                classes[self.gene(key_node, f"{path}.genes.{gene}")] = MappingProxyType(
                    {
                        name: frozenset(self.protein_changes(changes, f"{path}.genes.{gene}.{name}"))
                        for name, (_, changes) in table.items()
                    }
                )
        if "exons" in top:
            path = "knowledge.exons"
            for gene, (key_node, value) in self.knowledge_genes(top, "exons", sources).items():
                ranges: dict[int, ExonRange] = {}
                for exon_text, (exon_key, exon_value) in self.mapping(
                    value, f"{path}.genes.{gene}", _keys(value)
                ).items():
                    exon_path = f"{path}.genes.{gene}.{exon_text}"
                    number = self.integer(exon_key, exon_path, minimum=1)
                    entry = self.mapping(exon_value, exon_path, ("codons", "cds", "source"), required=("codons",))
                    first, last = self.pair(entry["codons"][1], f"{exon_path}.codons")
                    cds = self.pair(entry["cds"][1], f"{exon_path}.cds") if "cds" in entry else (None, None)
                    ranges[number] = ExonRange(
                        first_codon=first,
                        last_codon=last,
                        first_cds=cds[0],
                        last_cds=cds[1],
                        source=self.optional_text(entry.get("source", (None, None))[1], f"{exon_path}.source"),
                    )
                exons[self.gene(key_node, f"{path}.genes.{gene}")] = MappingProxyType(ranges)
        return Knowledge(
            hotspots=MappingProxyType(hotspots),
            variant_classes=MappingProxyType(classes),
            exons=MappingProxyType(exons),
            sources=MappingProxyType(sources),
            gene_symbols=self.declared_genes,
        )

    def claim(  # noqa: PLR0917 - one call shape for both code systems
        self, owners: dict[str, str], code: str, group: str, node: yaml.Node, where: str, what: str, fix: str
    ) -> None:
        """Give ``code`` to ``group``; a code already in another group is an error (one group per code)."""
        if code in owners:
            self.fail(node, where, f"{what} is already in group '{owners[code]}'", fix)
        owners[code] = group

    def gene_symbols(self, node: yaml.Node, sources: dict[str, str]) -> frozenset[str]:
        """``knowledge.gene_symbols``: current HGNC symbols beyond the genes OncoBasket knows, cited
        (a gene off the TSO500 panel that VCF or MAF input may report)."""
        path = "knowledge.gene_symbols"
        section = self.cited_section(node, "gene_symbols", sources)
        declared: list[str] = []
        for index, item in enumerate(self.sequence(section["genes"][1], f"{path}.genes", allow_scalar=True)):
            where = f"{path}.genes[{index}]"
            value = self.text(item, where)
            if not _GENE.match(value):
                self.fail(item, where, f"'{value}' is not a gene symbol", "write the HGNC symbol, e.g. CCDC170")
            found = look_up_symbol(value)
            if found.previous is not None:
                self.fail(
                    item,
                    where,
                    f"{value} is a previous HGNC symbol of {found.current}",
                    f"write {found.current} in the rules; OncoBasket knows it without a declaration",
                )
            declared.append(found.current or value)
        return frozenset(declared)

    def knowledge_genes(
        self, top: dict[str, tuple[yaml.Node, yaml.Node]], name: str, sources: dict[str, str]
    ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """A knowledge section's genes (``gene -> (key node, value node)``); its source goes into ``sources``
        (every section must cite where its facts come from)."""
        section = self.cited_section(top[name][1], name, sources)
        return self.mapping(section["genes"][1], f"knowledge.{name}.genes", _keys(section["genes"][1]))

    def cited_section(
        self, node: yaml.Node, name: str, sources: dict[str, str]
    ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """A knowledge section of ``source`` and ``genes``; its source goes into ``sources`` (every section
        must cite where its facts come from)."""
        path = f"knowledge.{name}"
        section = self.mapping(node, path, ("source", "genes"), ("source", "genes"))
        sources[name] = self.text(section["source"][1], f"{path}.source")
        return section

    def pair(self, node: yaml.Node, path: str) -> tuple[int, int]:
        items = self.sequence(node, path)
        if len(items) != 2:
            self.fail(node, path, f"expected [first, last], found {len(items)} values")
        first, last = (self.integer(item, path, minimum=1) for item in items)
        if first > last:
            self.fail(node, path, f"first ({first}) is after last ({last})")
        return first, last

    def protein_changes(self, node: yaml.Node, path: str) -> tuple[str, ...]:
        changes = []
        for index, item in enumerate(self.sequence(node, path, allow_scalar=True)):
            text = self.text(item, f"{path}[{index}]")
            try:
                parsed = parse_protein_change(text)
            except InputError as error:
                self.fail(item, f"{path}[{index}]", error.rule, error.fix)
            if parsed is None:
                self.fail(item, f"{path}[{index}]", f"'{text}' names no protein change")
            changes.append(parsed.short)
        return tuple(changes)

    def biomarker(self, node: yaml.Node, path: str) -> Biomarker:
        entry = self.mapping(node, path, ("name", "rule", "source", "description"), required=("name", "rule"))
        return Biomarker(
            name=self.text(entry["name"][1], f"{path}.name"),
            rule=self.rule(entry["rule"][1], f"{path}.rule"),
            source=self.optional_text(entry.get("source", (None, None))[1], f"{path}.source"),
            description=self.optional_text(entry.get("description", (None, None))[1], f"{path}.description"),
        )

    # -- rules -------------------------------------------------------------------------------

    def rule(self, node: yaml.Node, path: str) -> Rule:
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, path, f"a rule must be a mapping, found {_kind(node)}", "e.g. {gene: BRAF, codon: V600}")
        keys = _keys(node)
        if keys and keys[0] in {"all", "any", "not"}:
            entry = self.mapping(node, path, (keys[0],))
            child = entry[keys[0]][1]
            if keys[0] == "not":
                return Not(self.rule(child, f"{path}.not"))
            items = self.sequence(child, f"{path}.{keys[0]}")
            if not items:
                self.fail(child, f"{path}.{keys[0]}", "needs at least one rule")
            rules = tuple(self.rule(item, f"{path}.{keys[0]}[{index}]") for index, item in enumerate(items))
            return AllOf(rules) if keys[0] == "all" else AnyOf(rules)
        if "fusion" in keys:
            entry = self.mapping(node, path, ("fusion",))
            fusion = self.mapping(entry["fusion"][1], f"{path}.fusion", ("gene", "partner"), required=("gene",))
            partners: tuple[str, ...] = ()
            if "partner" in fusion:
                partner_node = fusion["partner"][1]
                if not (isinstance(partner_node, yaml.ScalarNode) and str(partner_node.value).lower() == "any"):
                    values = self.sequence(partner_node, f"{path}.fusion.partner", allow_scalar=True)
                    partners = tuple(
                        self.gene(value, f"{path}.fusion.partner[{index}]") for index, value in enumerate(values)
                    )
            return FusionRule(gene=self.gene(fusion["gene"][1], f"{path}.fusion.gene"), partners=partners)
        if "tmb" in keys:
            entry = self.mapping(node, path, ("tmb",))
            tmb = self.mapping(entry["tmb"][1], f"{path}.tmb", ("at_least",), required=("at_least",))
            return TmbRule(at_least=self.number(tmb["at_least"][1], f"{path}.tmb.at_least"))
        if "msi" in keys:
            entry = self.mapping(node, path, ("msi",))
            return MsiRule(self.choice(entry["msi"][1], f"{path}.msi", MsiRequirement, ["MSI-H"]))
        entry = self.mapping(node, path, ("gene", *_LEAF_KEYS, "edit"), required=("gene",))
        gene = self.gene(entry["gene"][1], f"{path}.gene")
        kinds = [key for key in _LEAF_KEYS if key in entry]
        if len(kinds) != 1:
            self.fail(
                node,
                path,
                f"a gene rule needs exactly one of {', '.join(_LEAF_KEYS)}; found {', '.join(kinds) or 'none'}",
                "or use all/any/not to combine rules, or fusion/tmb/msi",
            )
        kind = kinds[0]
        if "edit" in entry and kind != "exon":
            self.fail(entry["edit"][0], f"{path}.edit", "'edit' only goes with 'exon'")
        value = entry[kind][1]
        where = f"{path}.{kind}"
        if kind == "protein":
            return ProteinChangeRule(gene, self.protein_changes(value, where))
        if kind == "codon":
            codons = self.texts(value, where)
            for codon in codons:
                if not _CODON.match(codon):
                    self.fail(value, where, f"'{codon}' is not a codon", "write a codon as V600 (residue and number)")
            return CodonRule(gene, codons)
        if kind == "class":
            names = self.texts(value, where)
            table = self.knowledge.variant_classes.get(gene)
            for name in names:
                if table is None or name not in table:
                    known = ", ".join(sorted(table)) if table else "none"
                    self.fail(
                        value,
                        where,
                        f"no variant class '{name}' for {gene} in knowledge.variant_classes (known: {known})",
                    )
            return VariantClassRule(gene, names)
        if kind == "exon":
            exon = self.integer(value, where, minimum=1)
            edit = (
                self.choice(entry["edit"][1], f"{path}.edit", ExonEdit, [str(item) for item in ExonEdit])
                if "edit" in entry
                else ExonEdit.ANY
            )
            self.require_exon(value, where, gene, exon)
            return ExonRule(gene, exon, edit)
        if kind == "exon_skipping":
            exon = self.integer(value, where, minimum=1)
            self.require_exon(value, where, gene, exon)
            return ExonSkippingRule(gene, exon)
        if kind == "amplification":
            if isinstance(value, yaml.ScalarNode):
                self.require_true(value, where)
                return AmplificationRule(gene)
            limits = self.mapping(value, where, ("min_fold_change", "min_copy_number"))
            return AmplificationRule(
                gene,
                min_fold_change=self.number(limits["min_fold_change"][1], f"{where}.min_fold_change")
                if "min_fold_change" in limits
                else None,
                min_copy_number=self.number(limits["min_copy_number"][1], f"{where}.min_copy_number")
                if "min_copy_number" in limits
                else None,
            )
        if kind == "biallelic_loss":
            if isinstance(value, yaml.ScalarNode):
                self.require_true(value, where)
                return BiallelicLossRule(gene)
            options = self.mapping(value, where, ("loh_min_vaf",))
            vaf = self.number(options["loh_min_vaf"][1], f"{where}.loh_min_vaf") if "loh_min_vaf" in options else 0.6
            if not 0 < vaf <= 1:
                self.fail(value, f"{where}.loh_min_vaf", f"{vaf:g} is not a fraction in (0, 1]")
            return BiallelicLossRule(gene, loh_min_vaf=vaf)
        if kind == "mutation":
            if self.text(value, where).lower() != "any":
                self.fail(value, where, "only 'mutation: any' is defined", "use protein/codon/hotspot for specifics")
            return MutationRule(gene)
        self.require_true(value, where)
        if kind == "truncating":
            return TruncatingRule(gene)
        if kind == "hotspot":
            if gene not in self.knowledge.hotspots:
                self.fail(value, where, f"no hotspot codons for {gene} in knowledge.hotspots", "add them, cited")
            return HotspotRule(gene)
        return CopyLossRule(gene)

    def require_true(self, node: yaml.Node, path: str) -> None:
        if not self.boolean(node, path):
            self.fail(node, path, "only 'true' is meaningful here", "remove the rule, or use not: {...} to exclude")

    def require_exon(self, node: yaml.Node, path: str, gene: str, exon: int) -> None:
        if exon not in self.knowledge.exons.get(gene, {}):
            self.fail(
                node,
                path,
                f"no codon range for {gene} exon {exon} in knowledge.exons",
                "add it (with its source) so that protein changes can be placed in the exon",
            )

    # -- eligibility -------------------------------------------------------------------------

    def eligibility(self, node: yaml.Node, path: str) -> Eligibility:
        entry = self.mapping(node, path, (*CRITERION_NAMES, "excluded_prior_therapies"))
        criteria = []
        for name in CRITERION_NAMES:
            if name not in entry:
                continue
            where = f"{path}.{name}"
            spec = self.mapping(entry[name][1], where, ("at_least", "at_most", "source"))
            bounds = [key for key in ("at_least", "at_most") if key in spec]
            if len(bounds) != 1:
                self.fail(entry[name][1], where, "give exactly one of at_least, at_most", "e.g. ecog: {at_most: 2}")
            criteria.append(
                Criterion(
                    name=name,
                    comparison=Comparison(bounds[0]),
                    limit=self.number(spec[bounds[0]][1], f"{where}.{bounds[0]}"),
                    source=self.optional_text(spec.get("source", (None, None))[1], f"{where}.source"),
                )
            )
        prior: tuple[str, ...] = ()
        if "excluded_prior_therapies" in entry:
            prior = tuple(
                item.lower()
                for item in self.texts(entry["excluded_prior_therapies"][1], f"{path}.excluded_prior_therapies")
            )
        return Eligibility(criteria=tuple(criteria), excluded_prior_therapies=prior)

    # -- drugs -------------------------------------------------------------------------------

    def drugs(self, node: yaml.Node) -> tuple[Drug, ...]:
        drugs: list[Drug] = []
        seen: set[str] = set()
        for index, item in enumerate(self.sequence(node, "drugs")):
            path = f"drugs[{index}]"
            entry = self.mapping(
                item,
                path,
                (
                    "generic_names",
                    "supplier",
                    "route",
                    "slots",
                    "agreement",
                    "source",
                    "eligibility",
                    "cohort_rule",
                    "profiles",
                ),
                required=("generic_names", "supplier", "route", "profiles"),
            )
            names = self.texts(entry["generic_names"][1], f"{path}.generic_names")
            for name in names:
                if not re.match(r"^[a-z][a-z0-9\- ]*$", name.lower()) or "+" in name:
                    self.fail(entry["generic_names"][1], f"{path}.generic_names", f"'{name}' is not a generic name")
            key = drug_key(names)
            if key in seen:
                self.fail(item, f"{path}.generic_names", f"duplicate drug '{key}'", "give each drug once")
            seen.add(key)
            profiles_node = entry["profiles"][1]
            profile_items = self.sequence(profiles_node, f"{path}.profiles")
            if not profile_items:
                self.fail(profiles_node, f"{path}.profiles", "a drug needs at least one biomarker profile")
            profiles = []
            seen_biomarkers: set[str] = set()
            for position, profile_node in enumerate(profile_items):
                profile = self.drug_profile(profile_node, f"{path}.profiles[{position}]")
                if profile.biomarker.name in seen_biomarkers:
                    self.fail(
                        profile_node,
                        f"{path}.profiles[{position}].biomarker",
                        f"biomarker '{profile.biomarker.name}' is listed twice for {key}",
                    )
                seen_biomarkers.add(profile.biomarker.name)
                profiles.append(profile)
            drugs.append(
                Drug(
                    generic_names=tuple(name.lower() for name in names),
                    supplier=self.text(entry["supplier"][1], f"{path}.supplier"),
                    route=self.choice(entry["route"][1], f"{path}.route", Route, [str(item) for item in Route]),
                    profiles=tuple(profiles),
                    slots=self.integer(entry["slots"][1], f"{path}.slots", minimum=1) if "slots" in entry else None,
                    agreement=self.optional_text(entry.get("agreement", (None, None))[1], f"{path}.agreement"),
                    eligibility=self.eligibility(entry["eligibility"][1], f"{path}.eligibility")
                    if "eligibility" in entry
                    else Eligibility(),
                    cohort_rule=self.cohort_rule(entry["cohort_rule"][1], f"{path}.cohort_rule")
                    if "cohort_rule" in entry
                    else None,
                    source=self.optional_text(entry.get("source", (None, None))[1], f"{path}.source"),
                )
            )
            self._drug_nodes.append((item, path))
        return tuple(drugs)

    def drug_profile(self, node: yaml.Node, path: str) -> DrugProfile:
        entry = self.mapping(
            node,
            path,
            (
                "biomarker",
                "rule",
                "evidence",
                "source",
                "tumour_groups",
                "excluded_tumour_types",
                "exclusion_reason",
                "cohort_rule",
                "note",
            ),
            required=("biomarker", "evidence"),
        )
        name = self.text(entry["biomarker"][1], f"{path}.biomarker")
        source = self.profile_source(node, entry, path, name)
        if "rule" in entry:
            if name in self.biomarkers:
                self.fail(
                    entry["rule"][0],
                    f"{path}.rule",
                    f"biomarker '{name}' is already defined in biomarkers",
                    "drop the inline rule to use it, or give the new rule another name",
                )
            biomarker = Biomarker(name=name, rule=self.rule(entry["rule"][1], f"{path}.rule"))
        else:
            found = self.biomarkers.get(name)
            if found is None:
                self.fail(
                    entry["biomarker"][1],
                    f"{path}.biomarker",
                    f"no biomarker named '{name}' in biomarkers",
                    "define it there, or give an inline 'rule:'",
                )
            biomarker = found
        groups = self.texts(entry["tumour_groups"][1], f"{path}.tumour_groups") if "tumour_groups" in entry else ()
        for group in groups:
            if group not in self.group_names:
                self.fail(
                    entry["tumour_groups"][1],
                    f"{path}.tumour_groups",
                    f"no tumour group named '{group}'",
                    f"defined groups: {', '.join(sorted(self.group_names))}",
                )
        excluded: tuple[str, ...] = ()
        if "excluded_tumour_types" in entry:
            values = self.sequence(
                entry["excluded_tumour_types"][1], f"{path}.excluded_tumour_types", allow_scalar=True
            )
            excluded = tuple(
                self.oncotree_code(value, f"{path}.excluded_tumour_types[{index}]")
                for index, value in enumerate(values)
            )
        return DrugProfile(
            biomarker=biomarker,
            evidence=self.choice(
                entry["evidence"][1], f"{path}.evidence", EvidenceLevel, [str(item) for item in EvidenceLevel]
            ),
            source=source,
            tumour_groups=groups,
            excluded_tumour_types=excluded,
            exclusion_reason=self.optional_text(
                entry.get("exclusion_reason", (None, None))[1], f"{path}.exclusion_reason"
            ),
            cohort_rule=self.cohort_rule(entry["cohort_rule"][1], f"{path}.cohort_rule")
            if "cohort_rule" in entry
            else None,
            note=self.optional_text(entry.get("note", (None, None))[1], f"{path}.note"),
        )

    def profile_source(
        self, node: yaml.Node, entry: dict[str, tuple[yaml.Node, yaml.Node]], path: str, biomarker: str
    ) -> str:
        """The citation every biomarker profile must carry: the label section or guideline behind the match
        (house rule: every rule cites its source; DOMAIN.md section 8: each drug's profiles follow its
        EMA/FDA label biomarkers and DRUP cohort practice). A placeholder is not a citation."""
        fix = (
            'cite the label section or guideline behind this match, e.g. source: "EMA SmPC Tafinlar 4.1" '
            'or source: "ESMO ESCAT tier I-A (Mateo et al., Ann Oncol 2018)"'
        )
        where = f"{path}.source"
        if "source" not in entry:
            self.fail(node, where, f"biomarker profile '{biomarker}' has no source", fix)
        value_node = entry["source"][1]
        if not isinstance(value_node, yaml.ScalarNode) or value_node.tag == "tag:yaml.org,2002:null":
            self.fail(value_node, where, f"the source of biomarker profile '{biomarker}' is {_kind(value_node)}", fix)
        text = str(value_node.value).strip()
        if text.lower().strip(" .?!-") in _PLACEHOLDERS:
            self.fail(
                value_node,
                where,
                f"the source of biomarker profile '{biomarker}' is {'empty' if not text else repr(text)}, "
                "not a citation",
                fix,
            )
        return text

    def agreements(self, node: yaml.Node, drugs: tuple[Drug, ...]) -> tuple[Agreement, ...]:
        keys = {drug.key for drug in drugs}
        result = []
        names: set[str] = set()
        for index, item in enumerate(self.sequence(node, "agreements")):
            path = f"agreements[{index}]"
            entry = self.mapping(
                item, path, ("name", "supplier", "drugs", "slots", "source"), required=("name", "supplier", "drugs")
            )
            name = self.text(entry["name"][1], f"{path}.name")
            if name in names:
                self.fail(item, f"{path}.name", f"duplicate agreement '{name}'")
            names.add(name)
            members = tuple(drug_key(item.split("+")) for item in self.texts(entry["drugs"][1], f"{path}.drugs"))
            for member in members:
                if member not in keys:
                    self.fail(entry["drugs"][1], f"{path}.drugs", f"no drug '{member}' in drugs")
            result.append(
                Agreement(
                    name=name,
                    supplier=self.text(entry["supplier"][1], f"{path}.supplier"),
                    drugs=members,
                    slots=self.integer(entry["slots"][1], f"{path}.slots", minimum=1) if "slots" in entry else None,
                    source=self.optional_text(entry.get("source", (None, None))[1], f"{path}.source"),
                )
            )
        return tuple(result)

    def on_label(self, node: yaml.Node, drugs: tuple[Drug, ...]) -> tuple[Indication, ...]:
        result = []
        for index, item in enumerate(self.sequence(node, "on_label")):
            path = f"on_label[{index}]"
            entry = self.mapping(
                item,
                path,
                ("drug", "biomarker", "tumour_types", "source", "note"),
                ("drug", "biomarker", "tumour_types", "source"),
            )
            drug = drug_key(self.text(entry["drug"][1], f"{path}.drug").split("+"))
            name = self.text(entry["biomarker"][1], f"{path}.biomarker")
            biomarker = self.biomarkers.get(name)
            if biomarker is None:
                self.fail(entry["biomarker"][1], f"{path}.biomarker", f"no biomarker named '{name}' in biomarkers")
            types_node = entry["tumour_types"][1]
            agnostic = isinstance(types_node, yaml.ScalarNode) and str(types_node.value).lower() == "any"
            codes: tuple[str, ...] = ()
            if not agnostic:
                values = self.sequence(types_node, f"{path}.tumour_types", allow_scalar=True)
                codes = tuple(
                    self.oncotree_code(value, f"{path}.tumour_types[{position}]")
                    for position, value in enumerate(values)
                )
            result.append(
                Indication(
                    drug=drug,
                    biomarker=biomarker,
                    source=self.text(entry["source"][1], f"{path}.source"),
                    tumour_types=codes,
                    tumour_agnostic=agnostic,
                    note=self.optional_text(entry.get("note", (None, None))[1], f"{path}.note"),
                )
            )
        return tuple(result)


def _keys(node: yaml.Node) -> tuple[str, ...]:
    if isinstance(node, yaml.MappingNode):
        return tuple(str(key.value) for key, _ in node.value if isinstance(key, yaml.ScalarNode))
    return ()


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return _describe(node)


def _describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        if node.tag == "tag:yaml.org,2002:null":
            return "nothing (null)"
        return f"'{node.value}'"
    return _kind(node)


def summarise(protocol: Protocol) -> dict[str, Any]:
    """The ``protocol check`` summary: counts and names, for people and ``--json``."""
    leaves: dict[str, int] = {}
    for leaf in protocol.leaves():
        kind = LEAF_KINDS[type(leaf)]
        leaves[kind] = leaves.get(kind, 0) + 1
    return {
        "name": protocol.name,
        "version": protocol.version,
        "trial_id": protocol.trial_id,
        "authority": protocol.authority,
        "source": protocol.source,
        "drugs": len(protocol.drugs),
        "drug_names": [drug.key for drug in protocol.drugs],
        "profiles": sum(len(drug.profiles) for drug in protocol.drugs),
        "biomarkers": len(protocol.biomarkers),
        "rule_kinds": dict(sorted(leaves.items())),
        "tumour_groups": [group.name for group in protocol.tumour_groups],
        "on_label_indications": len(protocol.on_label),
        "agreements": len(protocol.agreements),
        "warnings": list(protocol.warnings),
        "cohort_rule": {
            "r1": protocol.cohort_rule.r1,
            "n1": protocol.cohort_rule.n1,
            "r": protocol.cohort_rule.r,
            "n": protocol.cohort_rule.n,
        },
    }


__all__ = ["FORMAT_VERSION", "default_protocol_path", "load_protocol", "parse_protocol", "summarise"]
