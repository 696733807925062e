"""Loading rule files: YAML 1.2, validated against the rule-file schema, then cross-checked."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from poicheck._yaml import load_yaml
from poicheck.errors import RuleFileError
from poicheck.limits import MAX_YAML_BYTES
from poicheck.ruleset.model import (
    Consequence,
    DataType,
    Erratum,
    Property,
    RecordCause,
    Rule,
    RuleSet,
    Scope,
    wildcard_matcher,
)
from poicheck.userfiles import read_regular

DEFAULT_RULESET = "oicp-2.3"
CACHE_FORMAT = "1"  # bump when the cached form of a rule file changes


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
    cached, cache_file = _cached_document(path)
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
        _store_document(cache_file, document)
    return document


def _cache_dir() -> Path | None:
    """Where parsed rule files are kept (None: no cache, POICHECK_NO_CACHE set)."""
    if os.environ.get("POICHECK_NO_CACHE"):
        return None
    base = os.environ.get("POICHECK_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    return Path(base) / "poicheck" if base else Path.home() / ".cache" / "poicheck"


def _cached_document(path: Path) -> tuple[dict[str, Any] | None, Path | None]:
    """The validated document of a rule file from the cache, and the cache file to use.

    Parsing YAML with the pure-Python loader and validating it against the rule-file schema
    cost about a second per run; the cache key is the file's content, the schema's text and
    poicheck's version, so any change to one of them reads the file anew.
    """
    from poicheck import __version__

    directory = _cache_dir()
    if directory is None:
        return None, None
    content = read_regular(path, MAX_YAML_BYTES, error=RuleFileError)
    schema = resources.files("poicheck.ruleset").joinpath("rulefile.schema.json").read_bytes()
    digest = hashlib.sha256(f"{CACHE_FORMAT}|{__version__}|".encode())
    digest.update(hashlib.sha256(schema).digest())
    digest.update(content)
    cache_file = directory / "rules" / f"{digest.hexdigest()}.json"
    try:
        document = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, cache_file
    return (document if isinstance(document, dict) else None), cache_file


def _store_document(cache_file: Path, document: dict[str, Any]) -> None:
    """Keep a validated document for the next run; a cache that cannot be written is skipped."""
    try:
        text = json.dumps(document, ensure_ascii=False)
        if json.loads(text) != document:  # only plain JSON values round-trip exactly
            return
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        partial = cache_file.with_name(f".{cache_file.name}.{os.getpid()}.partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(cache_file)
    except (OSError, TypeError, ValueError):
        return


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
        for name, spec in doc.get("types", {}).items():
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
    for erratum in errata:
        if erratum.id in seen_errata:
            raise RuleFileError(f"erratum {erratum.id} is defined twice")
        seen_errata.add(erratum.id)
        unknown = [r for r in erratum.rules if r not in ruleset.rules]
        if unknown:
            raise RuleFileError(f"erratum {erratum.id} names unknown rule(s) {', '.join(unknown)}")
    return ruleset


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
    from poicheck.checks import get_kind, kind_names

    rules: dict[str, Rule] = {}
    for path, spec in raw:
        where = f"{path}: rule {spec['id']}"
        if spec["id"] in rules:
            raise RuleFileError(f"id is also used in {rules[spec['id']].source}", location=where)
        if spec["kind"] not in kind_names():
            raise RuleFileError(
                f"unknown kind '{spec['kind']}' (known: {', '.join(kind_names())})", location=where
            )
        kind = get_kind(spec["kind"])
        for key, value in spec.get("params", {}).items():
            if "pattern" in key:
                _check_regex(value, f"{where}: params.{key}")
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
            caused_by_record=tuple(
                RecordCause(tuple(link["rules"]), link.get("when"), tuple(link.get("fields", ())))
                for link in spec.get("caused_by_record", ())
            ),
        )
        for link in rule.caused_by_record:
            _check_regex(link.when, f"{where}: caused_by_record")
        for field_path in fields:
            if field_path == "*" and kind.scope == "reader":
                continue
            prop = ruleset.properties.get(field_path)
            if prop is None or prop.scope != scope:
                raise RuleFileError(
                    f"field '{field_path}' is not a property of the {scope}", location=where
                )
            try:
                params = resolve_params(rule, prop, ruleset)
            except KeyError as exc:
                raise RuleFileError(f"parameter {exc} names no known type", location=where) from exc
            missing = [name for name in kind.required if name not in params]
            if missing:
                raise RuleFileError(
                    f"kind '{kind.name}' needs parameter(s) {', '.join(missing)} for field "
                    f"'{field_path}', neither given nor known from the property",
                    location=where,
                )
        rules[rule.id] = rule
    _check_references(rules)
    return list(rules.values())


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


def resolve_params(rule: Rule, prop: Property | None, ruleset: RuleSet) -> dict[str, Any]:
    """A rule's parameters for one field: the property's constraints, then the rule's own."""
    from poicheck.checks import get_kind

    kind = get_kind(rule.kind)
    params: dict[str, Any] = kind.defaults(prop) if prop is not None else {}
    own = dict(rule.params)
    type_name = own.pop("type", None)
    if type_name is not None:
        named = ruleset.types[type_name]
        params.update({k: v for k, v in (("pattern", named.pattern), ("enum", named.enum)) if v})
    if kind.resolve is not None:
        own = kind.resolve(own, ruleset.types)
    params.update(own)
    params["fields"] = rule.fields
    return params
