"""`poicheck rules list`, `poicheck rules explain ID` and `poicheck rules test FILE`."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from poicheck.cli import cli, echo, format_option, guarded, rules_option
from poicheck.errors import EXIT_FINDINGS, EXIT_OK, RuleFileError, UsageError
from poicheck.escape import printable_lines


@cli.group()
def rules() -> None:
    """List, explain and test the rules."""


@rules.command("list")
@rules_option
@format_option("text", "json")
@guarded
def list_rules(extra_rules: tuple[Path, ...], output_format: str) -> None:
    """List every rule: id, severity, field(s) and name."""
    from poicheck.ruleset.docs import rule_summary
    from poicheck.ruleset.loader import load_ruleset

    ruleset = load_ruleset(list(extra_rules))
    rows = [
        rule_summary(rule, ruleset) for rule in sorted(ruleset.rules.values(), key=lambda r: r.id)
    ]
    if output_format == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        fields = ", ".join(row["fields"])
        echo(f"{row['id']}  {row['severity']:<7}  {row['name']:<34}  {fields}")
    click.echo(f"\n{len(rows)} rules in {ruleset.name} {ruleset.version}")


@rules.command("explain")
@click.argument("rule_id")
@rules_option
@guarded
def explain(rule_id: str, extra_rules: tuple[Path, ...]) -> None:
    """Explain one rule: what it checks, why, and examples that fail and pass."""
    from poicheck.ruleset.docs import explain_rule
    from poicheck.ruleset.loader import load_ruleset

    ruleset = load_ruleset(list(extra_rules))
    rule = ruleset.rules.get(rule_id.strip().upper())
    if rule is None:
        raise UsageError(f"no rule '{rule_id}'; `poicheck rules list` shows them all")
    click.echo(printable_lines(explain_rule(rule, ruleset).split("\n")))


@rules.command("test")
@click.argument("rule_file", metavar="FILE", type=click.Path(path_type=Path))
@format_option("text", "json")
@guarded
def test_rules(rule_file: Path, output_format: str) -> None:
    """Run a rule file's own examples: each failing example must raise its rule's finding and
    each passing one must not. FILE is a custom rule file (or a directory of them).

    Exit codes: 0 every example behaves, 1 some do not, 2 the file is unusable."""
    from poicheck.ruleset.examples import check_examples
    from poicheck.ruleset.loader import default_rules_dir, load_ruleset

    target = rule_file.resolve()
    shipped = default_rules_dir().resolve()
    own = target == shipped or target.is_relative_to(shipped)
    ruleset = load_ruleset() if own else load_ruleset([rule_file])
    within = [
        rule
        for rule in sorted(ruleset.rules.values(), key=lambda r: r.id)
        if (source := Path(rule.source).resolve()) == target or source.is_relative_to(target)
    ]
    if not within:
        raise RuleFileError(
            "defines no rules, so there are no examples to run", location=str(rule_file)
        )
    results = check_examples(ruleset, within)
    failed = [r for r in results if not r.ok]
    if output_format == "json":
        rows = [
            {
                "rule": rule.id,
                "ok": all(r.ok for r in results if r.rule == rule.id),
                "examples": [{**asdict(r), "ok": r.ok} for r in results if r.rule == rule.id],
            }
            for rule in within
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for rule in within:
            mine = [r for r in results if r.rule == rule.id]
            wrong = [r for r in mine if not r.ok]
            verdict = "FAIL" if wrong else "ok  "
            echo(f"{rule.id}  {verdict}  {len(mine)} example{'s' if len(mine) != 1 else ''}")
            for r in wrong:
                echo(f"        {r.outcome}ing example {r.index} {r.example}: {r.problem}")
        broken = len({r.rule for r in failed})
        click.echo(
            f"\n{len(within)} rules, {broken} failed ({len(results)} examples, {len(failed)} "
            f"failed) in {rule_file}"
        )
    sys.exit(EXIT_FINDINGS if failed else EXIT_OK)


@cli.command()
@format_option("text", "json")
@guarded
def errata(output_format: str) -> None:
    """Where Hubject's documents disagree, and the choice poicheck makes for each."""
    from dataclasses import asdict

    from poicheck.ruleset.loader import load_ruleset

    ruleset = load_ruleset()
    if output_format == "json":
        click.echo(json.dumps([asdict(e) for e in ruleset.errata], ensure_ascii=False, indent=2))
        return
    for erratum in ruleset.errata:
        rules = f" (rules {', '.join(erratum.rules)})" if erratum.rules else ""
        echo(f"{erratum.id}  {erratum.topic}{rules}")
        echo(f"      Documents: {erratum.documents}")
        echo(f"      poicheck:  {erratum.choice}")
        click.echo()
