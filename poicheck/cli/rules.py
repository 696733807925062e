"""`poicheck rules list` and `poicheck rules explain ID`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from poicheck.cli import cli, echo, format_option, guarded, rules_option
from poicheck.errors import UsageError
from poicheck.escape import printable_lines


@cli.group()
def rules() -> None:
    """List and explain the rules."""


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
