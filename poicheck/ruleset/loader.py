"""Loading rule files: YAML 1.2, validated against the rule-file schema, then cross-checked."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from poicheck.errors import RuleFileError
from poicheck.files.yaml_loader import load_yaml
from poicheck.ruleset.cache import cached_document, store_document
from poicheck.ruleset.model import (
    Consequence,
    DataType,
    Erratum,
    FixSpec,
    Property,
    RecordCause,
    Rule,
    RuleSet,
    Scope,
    wildcard_matcher,
)
from poicheck.ruleset.params import check_fields, kind_of
from poicheck.ruleset.reader_ids import READER_RULES

if TYPE_CHECKING:
    pass

DEFAULT_RULESET = "oicp-2.3"


def default_rules_dir() -> Path:
    """The rule files shipped with poicheck (inside the wheel, or the repository's rules/)."""
    packaged = Path(str(resources.files("poicheck"))) / "_rules" / DEFAULT_RULESET
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "rules" / DEFAULT_RULESET


@cache
def _schema_validator() -> Any:
    from jsonschema import Draft202012Validator

    schema_text = resources.files("poicheck.ruleset").joinpath("rulefile.schema.json").read_text()
    return Draft202012Validator(json.loads(schema_text))


def rule_file_schema() -> dict[str, Any]:
    """The JSON Schema every rule file is validated against."""
    return dict(_schema_validator().schema)


def _files(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
            if not found:
                raise RuleFileError("no rule files (*.yaml) in this directory", location=str(path))
            out.extend(found)
        elif path.is_file():
            out.append(path)
        else:
            raise RuleFileError("no such rule file or directory", location=str(path))
    return out


def _read(path: Path) -> dict[str, Any]:
    cached, cache_file = cached_document(path)
    if cached is not None:
        return cached
    shipped = path.resolve().is_relative_to(default_rules_dir().resolve())
    document = load_yaml(path, error=RuleFileError, trusted=shipped)
    errors = sorted(_schema_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        key = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise RuleFileError(f"at key '{key}': {first.message}{more}", location=str(path))
    assert isinstance(document, dict)
    if cache_file is not None:
        store_document(cache_file, document)
    return document


def load_ruleset(extra: Sequence[str | Path] = (), *, base: str | Path | None = None) -> RuleSet:
    """Load the shipped rule set (or `base`) plus extra rule files or directories."""
    base_dir = Path(base) if base is not None else default_rules_dir()
    return _load(tuple(str(p) for p in [base_dir, *extra]))


@cache
def _load(paths: tuple[str, ...]) -> RuleSet:
    documents = [(path, _read(path)) for path in _files(Path(p) for p in paths)]
    meta: dict[str, Any] = {}
    types: dict[str, DataType] = {}
    raw_properties: list[tuple[Path, Scope, dict[str, Any]]] = []
    raw_rules: list[tuple[Path, dict[str, Any]]] = []
    errata: list[Erratum] = []
    score: dict[str, Any] = {}
    consequences: dict[str, Consequence] = {}
    for path, doc in documents:
        score = doc.get("score", score)
        consequences.update(
            (name, Consequence(name, c["severity"], c["title"], c["export"]))
            for name, c in doc.get("consequences", {}).items()
        )
        errata.extend(
            Erratum(e["id"], e["topic"], e["documents"], e["choice"], tuple(e.get("rules", ())))
            for e in doc.get("errata", [])
        )
        if "ruleset" in doc:
            meta = {**meta, **doc["ruleset"]}
        _add_types(path, doc.get("types", {}), types)
        for scope in ("envelope", "record"):
            raw_properties.extend((path, scope, p) for p in doc.get(scope, []))
        raw_rules.extend((path, r) for r in doc.get("rules", []))
    if not meta:
        raise RuleFileError("no file declares the 'ruleset' (name and version)", location=paths[0])
    properties = _properties(raw_properties, types)
    matchers = tuple(
        (wildcard_matcher(p.path, properties), p) for p in properties.values() if "*" in p.path
    )
    ruleset = RuleSet(
        name=meta["name"],
        version=meta["version"],
        title=meta.get("title", meta["name"]),
        types=types,
        properties=properties,
        rules={},
        files=tuple(str(p) for p, _ in documents),
        errata=tuple(errata),
        score=score,
        consequences=consequences,
        _matchers=matchers,
    )
    ruleset = ruleset.with_rules(_rules(raw_rules, ruleset))
    check_reader_rules(ruleset)
    _check_score_and_errata(ruleset)
    return ruleset


def _add_types(path: Path, specs: Mapping[str, Any], types: dict[str, DataType]) -> None:
    """The data types of one rule file, each defined once in the whole rule set."""
    for name, spec in specs.items():
        if name in types:
            raise RuleFileError(f"type '{name}' is defined twice", location=str(path))
        _check_regex(spec.get("pattern"), f"{path}: type '{name}'")
        types[name] = DataType(
            name=name,
            base=spec["base"],
            description=spec["description"],
            spec=spec["spec"],
            pattern=spec.get("pattern"),
            enum=tuple(spec["enum"]) if "enum" in spec else None,
            example=spec.get("example"),
        )


def _check_score_and_errata(ruleset: RuleSet) -> None:
    """The score and the errata name rules and properties that exist; errata ids are unique."""
    score = ruleset.score
    for factor, spec in score.get("correctness", {}).get("factors", {}).items():
        for prefix in spec["rules"]:
            if not any(rule.startswith(prefix) for rule in ruleset.rules):
                raise RuleFileError(
                    f"score factor '{factor}' names '{prefix}', which no rule id starts with"
                )
    for path_ in score.get("completeness", {}).get("properties", []):
        if path_ not in ruleset.properties:
            raise RuleFileError(f"score completeness names '{path_}', which is not a property")
    seen_errata: set[str] = set()
    for erratum in ruleset.errata:
        if erratum.id in seen_errata:
            raise RuleFileError(f"erratum {erratum.id} is defined twice")
        seen_errata.add(erratum.id)
        unknown = [r for r in erratum.rules if r not in ruleset.rules]
        if unknown:
            raise RuleFileError(f"erratum {erratum.id} names unknown rule(s) {', '.join(unknown)}")


def _properties(
    raw: list[tuple[Path, Scope, dict[str, Any]]], types: Mapping[str, DataType]
) -> dict[str, Property]:
    properties: dict[str, Property] = {}
    for path, scope, spec in raw:
        where = f"{path}: property '{spec['path']}'"
        if spec["path"] in properties:
            raise RuleFileError("is defined twice", location=where)
        type_name = spec.get("type")
        shape = spec.get("shape", "scalar")
        named = types.get(type_name) if type_name else None
        if (
            type_name
            and named is None
            and type_name not in ("string", "boolean", "integer", "decimal", "datetime")
        ):
            raise RuleFileError(f"unknown type '{type_name}'", location=where)
        if shape in ("scalar", "list") and not type_name:
            raise RuleFileError(f"a {shape} property needs a type", location=where)
        length = spec.get("length", {})
        properties[spec["path"]] = Property(
            path=spec["path"],
            scope=scope,
            shape=shape,
            use=spec["use"],
            description=spec["description"],
            spec=spec["spec"],
            type_name=type_name,
            base=named.base if named else (type_name or "string"),
            pattern=named.pattern if named else None,
            enum=named.enum if named else None,
            min_length=length.get("min"),
            max_length=length.get("max"),
            digits=spec.get("digits"),
            aliases=tuple(spec.get("aliases", ())),
            example=spec.get("example", named.example if named else None),
            assigned_by_hubject=spec.get("assigned_by_hubject", False),
        )
    return properties


def _rules(raw: list[tuple[Path, dict[str, Any]]], ruleset: RuleSet) -> list[Rule]:
    from poicheck.checks.params import Context

    context = Context(types=ruleset.types, properties=ruleset.properties)
    rules: dict[str, Rule] = {}
    for path, spec in raw:
        where = f"{path}: rule {spec['id']}"
        if spec["id"] in rules:
            raise RuleFileError(f"id is also used in {rules[spec['id']].source}", location=where)
        kind = kind_of(spec, context, where)
        fields = (spec["field"],) if isinstance(spec["field"], str) else tuple(spec["field"])
        scope: Scope = spec.get("scope", "record")
        consequence = ruleset.consequences.get(spec["consequence"])
        if consequence is None:
            known = ", ".join(ruleset.consequences) or "none declared"
            raise RuleFileError(
                f"unknown consequence '{spec['consequence']}' (known: {known})", location=where
            )
        rule = Rule(
            id=spec["id"],
            name=spec["name"],
            kind=spec["kind"],
            fields=fields,
            scope=scope,
            severity=spec.get("severity", consequence.severity),
            category=spec.get("category", "input" if kind.scope == "reader" else "field"),
            params=dict(spec.get("params", {})),
            examples={k: tuple(v) for k, v in spec["examples"].items()},
            source=str(path),
            message=spec.get("message"),
            why=spec.get("why"),
            spec=spec.get("spec"),
            consequence=consequence.name,
            applies_to=spec.get("applies_to"),
            caused_by=tuple(spec.get("caused_by", ())),
            fixes=_fixes(spec, fields, kind.across_rows or scope != "record", where),
            caused_by_record=tuple(
                RecordCause(tuple(link["rules"]), link.get("when"), tuple(link.get("fields", ())))
                for link in spec.get("caused_by_record", ())
            ),
        )
        for link in rule.caused_by_record:
            _check_regex(link.when, f"{where}: caused_by_record")
        check_fields(rule, kind, ruleset, where)
        rules[rule.id] = rule
    _check_references(rules)
    return list(rules.values())


def check_reader_rules(ruleset: RuleSet, reported: Collection[str] | None = None) -> None:
    """The rules reader code reports (poicheck.ruleset.reader_ids) are exactly the rule set's
    rules of kind `reader`: a finding of an id no rule file defines would be dropped without
    a word, and a reader rule no reader reports would never fire."""
    reported = READER_RULES if reported is None else reported
    defined = {rule.id: rule for rule in ruleset.rules.values() if rule.kind == "reader"}
    missing = sorted(set(reported) - set(defined))
    if missing:
        raise RuleFileError(
            f"the readers report rule(s) {', '.join(missing)}, which no rule file defines "
            "with kind 'reader' (poicheck/ruleset/reader_ids.py)"
        )
    for rule_id in sorted(set(defined) - set(reported)):
        raise RuleFileError(
            "kind 'reader' is for the rules poicheck's readers report "
            "(poicheck/ruleset/reader_ids.py); none reports this one",
            location=f"{defined[rule_id].source}: rule {rule_id}",
        )


def _fixes(
    spec: Mapping[str, Any], fields: tuple[str, ...], unfixable: bool, where: str
) -> tuple[FixSpec, ...]:
    """The rule's `fix` entries, checked: known fix kinds, fields of the rule, and only on
    rules that judge one record (a fix changes cells of the record its finding is about)."""
    from poicheck.fix.kinds import fix_kind_names

    given = spec.get("fix", [])
    entries = [given] if isinstance(given, dict) else list(given)
    if entries and unfixable:
        raise RuleFileError(
            "a fix is declared on a rule about the envelope or across rows; fixes change the "
            "cells of one record",
            location=where,
        )
    out = []
    for entry in entries:
        if entry["kind"] not in fix_kind_names():
            known = ", ".join(fix_kind_names())
            raise RuleFileError(
                f"unknown fix kind '{entry['kind']}' (known: {known})", location=where
            )
        only = tuple(entry.get("fields", ()))
        stray = [f for f in only if f not in fields and "*" not in fields]
        if stray:
            raise RuleFileError(f"fix names fields the rule has not: {stray}", location=where)
        out.append(
            FixSpec(
                kind=entry["kind"],
                applicability=entry["applicability"],
                params=dict(entry.get("params", {})),
                fields=only,
                examples=tuple(entry.get("examples", ())),
            )
        )
    return tuple(out)


def _check_regex(pattern: Any, where: str) -> None:
    """A regex of a rule file must compile where it runs; a RuleFileError names it if not."""
    from poicheck.checks._arrow import regex_problem

    if not isinstance(pattern, str):
        return
    problem = regex_problem(pattern)
    if problem is not None:
        raise RuleFileError(problem, location=where)


def _check_references(rules: Mapping[str, Rule]) -> None:
    """Rule ids named by other rules (`caused_by`, the `evidence` parameter) must exist; a
    rule is not its own cause."""
    for rule in rules.values():
        named = {
            "caused_by": rule.causes,
            "evidence": tuple(rule.params.get("evidence", ())),
        }
        for key, ids in named.items():
            unknown = [i for i in ids if i not in rules]
            if unknown:
                raise RuleFileError(
                    f"{key} names unknown rule(s) {', '.join(unknown)}",
                    location=f"{rule.source}: rule {rule.id}",
                )
        if rule.id in rule.causes:
            raise RuleFileError(
                "caused_by names the rule itself", location=f"{rule.source}: rule {rule.id}"
            )
        loop = _cause_loop(rule.id, rules)
        if loop:
            raise RuleFileError(
                f"caused_by makes a loop: {' -> '.join(loop)}",
                location=f"{rule.source}: rule {rule.id}",
            )


def _cause_loop(start: str, rules: Mapping[str, Rule]) -> list[str]:
    """A chain of `caused_by` from `start` back to it ([] when there is none)."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        rule_id, path = stack.pop()
        for cause in rules[rule_id].causes:
            if cause == start:
                return [*path, cause]
            if cause not in seen and cause in rules:
                seen.add(cause)
                stack.append((cause, [*path, cause]))
    return []
