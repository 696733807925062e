"""Rule documentation generated from the rule files (`poicheck rules explain`, README tables)."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from poicheck.checks import get_kind
from poicheck.ruleset.model import Rule, RuleSet
from poicheck.ruleset.params import resolve_params


def example_text(example: Any) -> str:
    """An example value of a rule file as a person reads it."""
    if isinstance(example, dict):
        if "repeat" in example:
            return f"{example['repeat'] * 3}... ({example['times']} characters)"
        if "cells" in example:
            return ", ".join(f"{k} = {v!r}" for k, v in example["cells"].items())
        if "json" in example:
            return "JSON " + json.dumps(example["json"], ensure_ascii=False)
        if "columns" in example:
            return "columns " + ", ".join(example["columns"])
        if "rows" in example:
            return " / ".join(
                "row " + ", ".join(f"{k} = {v!r}" for k, v in row.items())
                for row in example["rows"]
            )
        if "csv" in example:
            text = "CSV " + " | ".join(str(example["csv"]).splitlines()[:4])
            lines = example.get("lines")
            if lines:
                numbers = ", ".join(map(str, lines))
                text += f" (line {numbers} in {example['encoding']}, the rest UTF-8)"
            elif "encoding" in example:
                text += f" (in {example['encoding']})"
            return text
        if "ocpi" in example:
            return "OCPI " + json.dumps(example["ocpi"], ensure_ascii=False)
        if "jsonl" in example:
            return "JSON Lines " + " | ".join(str(example["jsonl"]).splitlines()[:4])
        if "sheet" in example:
            rows = [
                ", ".join("" if c is None else str(c) for c in row) for row in example["sheet"][:4]
            ]
            extras = [
                f"{k}: {json.dumps(v, ensure_ascii=False)}"
                for k, v in sorted(example.items())
                if k != "sheet"
            ]
            return "sheet " + " | ".join(rows) + (f" ({'; '.join(extras)})" if extras else "")
    return repr(example)


APPLIES_TO = {"table": "spreadsheets and tables", "wire": "OICP JSON and JSON Lines"}


def describe(rule: Rule, ruleset: RuleSet) -> str:
    """What the rule requires, in one sentence per field."""
    kind = get_kind(rule.kind)
    sentences = []
    for field in rule.fields:
        prop = ruleset.properties.get(field)
        params = resolve_params(rule, prop, ruleset)
        sentence = kind.describe(params)
        if sentence:
            sentences.append(f"{field} {sentence}.")
    if rule.caused_by:
        *first, last = rule.caused_by
        causes = f"{', '.join(first)} or {last}" if first else last
        sentences.append(f"On a cell that has a {causes} finding it is folded into that finding.")
    for link in rule.caused_by_record:
        *first, last = link.rules
        causes = f"{', '.join(first)} or {last}" if first else last
        where = f" on {' or '.join(link.fields)}" if link.fields else ""
        when = f" when its message matches '{link.when}'" if link.when else ""
        sentences.append(
            f"It is folded into a finding of {causes}{where} of the same record{when}."
        )
    return " ".join(dict.fromkeys(sentences))


def rule_summary(rule: Rule, ruleset: RuleSet) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "severity": rule.severity,
        "consequence": rule.consequence,
        "category": rule.category,
        "kind": rule.kind,
        "fields": list(rule.fields),
        "description": describe(rule, ruleset),
        "spec": rule.spec or _spec(rule, ruleset),
        "fixes": [{"kind": f.kind, "applicability": f.applicability} for f in rule.fixes],
    }


def _spec(rule: Rule, ruleset: RuleSet) -> str:
    specs = [ruleset.properties[f].spec for f in rule.fields if f in ruleset.properties]
    return "; ".join(dict.fromkeys(specs))


def explain_rule(rule: Rule, ruleset: RuleSet) -> str:
    """The full documentation of one rule."""
    wrap = textwrap.TextWrapper(width=88, initial_indent="  ", subsequent_indent="  ")
    lines = [f"{rule.id} {rule.name} ({rule.severity}, kind {rule.kind})", ""]
    lines.append("Fields: " + ", ".join(rule.fields))
    if rule.applies_to:
        lines.append(f"Inputs: {APPLIES_TO[rule.applies_to]} only")
    consequence = ruleset.consequences.get(rule.consequence)
    if consequence is not None:
        lines += ["", f"Consequence: {consequence.name} ({consequence.title})"]
        lines.append(wrap.fill(consequence.export))
    description = describe(rule, ruleset)
    if description:
        lines += ["", "What it checks:", wrap.fill(description)]
    for field in rule.fields:
        prop = ruleset.properties.get(field)
        if prop is not None:
            lines += ["", f"{field} ({prop.use}):", wrap.fill(prop.description)]
            break
    if rule.why:
        lines += ["", "Why it matters:", wrap.fill(rule.why)]
    lines += ["", "Source: " + (rule.spec or _spec(rule, ruleset) or rule.source)]
    if rule.params.get("ratings"):
        lines += ["", "Plug ratings:"] + [
            f"  {plug}: {text} ({source})" for plug, text, source in ratings(rule)
        ]
    lines += ["", "Fails:"] + [f"  {example_text(e)}" for e in rule.examples["fail"]]
    lines += ["", "Passes:"] + [f"  {example_text(e)}" for e in rule.examples["pass"]]
    if rule.fixes:
        lines += ["", "Fixes (poicheck fix; unsafe ones with --unsafe-fixes):"]
        lines += [f"  {text}" for text in fix_texts(rule)]
    lines += ["", f"Defined in {rule.source}"]
    return "\n".join(lines)


def fix_texts(rule: Rule) -> list[str]:
    """One line per fix declared on a rule: kind, applicability, what it does, examples."""
    from poicheck.fix.kinds import get_fix_kind

    out = []
    for fix in rule.fixes:
        done = get_fix_kind(fix.kind).describe.format(**{"max": rule.params.get("max")})
        shown = [
            f"{_fix_example(e['before'])} -> {_fix_example(e['after'])}"
            for e in fix.examples
            if e["after"] is not None
        ]
        examples = f" ({'; '.join(shown)})" if shown else ""
        out.append(f"{fix.kind} ({fix.applicability}): {done}{examples}")
    return out


def ratings(rule: Rule) -> list[tuple[str, str, str]]:
    """The plug ratings of a rule's table (PWR018), per plug: power types, kW and source."""
    out = []
    for plug, rating in rule.params.get("ratings", {}).items():
        parts = []
        for kind, (volts, amps) in ((k, v) for k, v in rating.items() if k != "source"):
            phases = 3 if kind == "AC_3_PHASE" else 1
            kw = phases * volts * amps / 1000
            parts.append(
                f"{kind} {'3 x ' if phases == 3 else ''}{volts} V x {amps} A = {kw:.1f} kW"
            )
        out.append((plug, "; ".join(parts), str(rating["source"])))
    return out


def _fix_example(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} = {v!r}" for k, v in value.items())
    return repr(str(value))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def rules_markdown(ruleset: RuleSet) -> str:
    """docs/rules.md: every rule, generated from the rule files."""
    lines = [
        f"# Rules of {ruleset.name} {ruleset.version}",
        "",
        "Generated from `rules/` by `scripts/make_docs.py`; do not edit by hand.",
        "`poicheck rules explain ID` shows a rule with its failing and passing examples.",
        "",
        "Each rule names its *consequence*: what a finding means for the record at Hubject",
        "and what `poicheck export` does with it. The severity follows from it (a rule or the",
        "configuration's `severity:` may say otherwise); `export` leaves out exactly the records",
        "that have an error finding.",
        "",
        "| consequence | default severity | meaning and what `poicheck export` does |",
        "|---|---|---|",
        *(
            f"| {c.name} | {c.severity} | {_cell(c.title)}: {_cell(c.export)} |"
            for c in ruleset.consequences.values()
        ),
        "",
        "| id | name | severity | consequence | fields | what it checks | source |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule in sorted(ruleset.rules.values(), key=lambda r: r.id):
        row = rule_summary(rule, ruleset)
        only = f" ({APPLIES_TO[rule.applies_to]} only)" if rule.applies_to else ""
        lines.append(
            f"| {rule.id} | {rule.name} | {rule.severity} | {rule.consequence} | "
            f"{_cell(', '.join(rule.fields))} | "
            f"{_cell((row['description'] or explain_kind(rule)) + only)} | {_cell(row['spec'])} |"
        )
    return "\n".join([*lines, *_fixes_section(ruleset), *_errata_section(ruleset)]) + "\n"


def _fixes_section(ruleset: RuleSet) -> list[str]:
    """docs/rules.md's fixes and plug ratings."""
    lines = [
        "",
        "## Fixes",
        "",
        "What `poicheck fix` does about a finding of the rule (declared in the rule files next",
        "to the rule; safe fixes keep the meaning certain, unsafe ones are guesses applied with",
        "`--unsafe-fixes`), tried in this order.",
        "",
        "| id | fix |",
        "|---|---|",
    ]
    for rule in sorted(ruleset.rules.values(), key=lambda r: r.id):
        for text in fix_texts(rule):
            lines.append(f"| {rule.id} | {_cell(text)} |")
    for rule in (r for r in ruleset.rules.values() if r.params.get("ratings")):
        lines += [
            "",
            f"## Plug ratings ({rule.id})",
            "",
            "| plug | rating | source |",
            "|---|---|---|",
        ]
        for plug, text, source in ratings(rule):
            lines.append(f"| {plug} | {_cell(text)} | {_cell(source)} |")
    return lines


def _errata_section(ruleset: RuleSet) -> list[str]:
    """docs/rules.md's errata: where Hubject's documents disagree."""
    lines = [
        "",
        "## Errata",
        "",
        "Where Hubject's documents disagree, and what poicheck does.",
        "",
    ]
    for erratum in ruleset.errata:
        rules = f" Rules: {', '.join(erratum.rules)}." if erratum.rules else ""
        head = f"- **{erratum.id} {erratum.topic}.**"
        lines.append(f"{head} {erratum.documents} *poicheck:* {erratum.choice}{rules}")
    return lines


def explain_kind(rule: Rule) -> str:
    return "checked while the input is read" if get_kind(rule.kind).scope == "reader" else ""


def layout_markdown(ruleset: RuleSet) -> str:
    """docs/layout.md: the canonical table (the spreadsheet layout), from the data model."""
    lines = [
        "# The canonical layout",
        "",
        "One row per EVSE; one column per OICP property path. Generated from",
        "`rules/oicp-2.3/properties.yaml` by `scripts/make_docs.py`; do not edit by hand.",
        "",
        "- Nested objects are joined with `.`: `Address.City`, `EnvironmentalImpact.CO2Emission`.",
        "- InfoText lists have one column per language, in the order the texts should appear:",
        "  `ChargingStationNames.en`, `ChargingStationNames.de`, `AdditionalInfo.en`.",
        "- Lists of enumeration values sit in one cell, separated by `;`:",
        "  `Type 2 Outlet;CCS Combo 2 Plug (Cable Attached)`.",
        "- Lists of objects use a 1-based index: `ChargingFacilities.1.Power`,",
        "  `EnergySource.2.Percentage`. Empty items are skipped when the JSON is built.",
        "- Coordinates are decimal degrees (`GeoCoordinates.Latitude`, `GeoCoordinates.Longitude`,",
        "  the same for `GeoChargingPointEntrance`); OICP JSON in Google or DegreeMinuteSeconds",
        "  notation is converted on reading (not a DMS value with minutes or seconds of 60 or",
        "  more, which names no position: GEO014).",
        "- `OpeningTimes` is one cell: `Workdays 08:00-18:00; Saturday 09:00-13:00`, several",
        "  periods of a day separated by spaces: `Everyday 06:00-12:00 13:00-22:00`.",
        "- Booleans are `true` / `false` (any case) or native Excel booleans.",
        "- Every cell is read as text and typed by the rules: a postal code keeps its leading",
        "  zero, a phone number stays text. Empty cells are missing values.",
        "- `ChargingStationID` is accepted as a header for `ChargingStationId` (errata E001).",
        "- The push envelope (`OperatorID`, `OperatorName`, `ActionType`) comes from the JSON",
        "  request, or from `--operator-id` / `--operator-name` for spreadsheets.",
        "",
        "| column | type | M/O | format | description |",
        "|---|---|---|---|---|",
    ]
    use = {"mandatory": "M", "optional": "O", "conditional": "C"}
    for prop in ruleset.scope_properties("record"):
        column = (
            prop.path.replace("*", "<lang>")
            if _is_language(prop, ruleset)
            else prop.path.replace("*", "<n>")
        )
        kind = prop.type_name or prop.shape
        if prop.is_container:
            column = f"*{column}*"
        lines.append(
            f"| `{column}` | {kind} | {use[prop.use]} | {_cell(prop.describe_format())} | "
            f"{_cell(prop.description)} |"
        )
    return "\n".join(lines) + "\n"


def _is_language(prop: Any, ruleset: RuleSet) -> bool:
    parent = prop.path.rsplit(".", 1)[0]
    return prop.path.endswith("*") and ruleset.properties[parent].shape == "infotext_list"


def kinds_markdown(ruleset: RuleSet) -> str:
    """docs/kinds.md: every check kind with the parameters it declares, from the registry."""
    from poicheck.checks import kind_names

    lines = [
        "# Check kinds",
        "",
        "Generated from the kinds' declarations (`poicheck/checks/`) by `scripts/make_docs.py`;",
        "do not edit by hand. A rule names its `kind` and gives the kind's parameters under",
        "`params:`; a parameter the kind does not declare, or a value of the wrong type, is a",
        "rule-file error (exit 2). A *required* parameter must be given unless the field's",
        "property supplies it (its length, pattern, enumeration or digits). `type` names a type",
        "of `types.yaml` whose pattern or enumeration the rule uses.",
        "",
        "| kind | runs on | parameters | shipped rules |",
        "|---|---|---|---|",
    ]
    scopes = {"cell": "each value", "row": "the record", "reader": "the input, while read"}
    for name in kind_names():
        kind = get_kind(name)
        params = "; ".join(_param_text(p) for p in kind.params) or "none"
        used = sorted(r.id for r in ruleset.rules.values() if r.kind == name)
        lines.append(
            f"| `{name}` | {scopes[kind.scope]} | {_cell(params)} | {', '.join(used) or '-'} |"
        )
    return "\n".join(lines) + "\n"


def _param_text(param: Any) -> str:
    """`max` (a whole number, required): the most characters ..."""
    facts = [param.type.name]
    if param.required:
        facts.append("required")
    if param.default not in (None, (), {}):
        facts.append(f"default {json.dumps(param.default)}")
    if param.allowed:
        facts.append("each one of " + ", ".join(map(str, param.allowed)))
    return f"`{param.name}` ({', '.join(facts)}): {param.doc}"
