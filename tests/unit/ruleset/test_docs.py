"""Generated documentation stays in step with the rule files (one source of truth)."""

from __future__ import annotations

import re
from pathlib import Path

from poicheck.ruleset.docs import explain_rule, kinds_markdown, layout_markdown, rules_markdown
from poicheck.ruleset.model import RuleSet

DOCS = Path(__file__).resolve().parents[3] / "docs"


def test_rules_md_is_generated_from_the_rule_files(ruleset: RuleSet) -> None:
    assert (DOCS / "rules.md").read_text(encoding="utf-8") == rules_markdown(ruleset), (
        "docs/rules.md is stale: run python scripts/make_docs.py"
    )


def test_layout_md_is_generated_from_the_data_model(ruleset: RuleSet) -> None:
    assert (DOCS / "layout.md").read_text(encoding="utf-8") == layout_markdown(ruleset), (
        "docs/layout.md is stale: run python scripts/make_docs.py"
    )


def test_kinds_md_is_generated_from_the_kinds_declarations(ruleset: RuleSet) -> None:
    assert (DOCS / "kinds.md").read_text(encoding="utf-8") == kinds_markdown(ruleset), (
        "docs/kinds.md is stale: run python scripts/make_docs.py"
    )


def test_every_rule_explains_itself(ruleset: RuleSet) -> None:
    for rule in ruleset.rules.values():
        text = explain_rule(rule, ruleset)
        assert text.startswith(f"{rule.id} {rule.name}")
        assert "Fails:" in text
        assert "Passes:" in text


def test_errata_name_existing_rules(ruleset: RuleSet) -> None:
    assert len(ruleset.errata) >= 10
    for erratum in ruleset.errata:
        assert all(rule in ruleset.rules for rule in erratum.rules)


def test_every_rule_beyond_the_schema_says_why_hubject_cares(ruleset: RuleSet) -> None:
    for rule in ruleset.rules.values():
        if rule.category in ("consistency", "guideline", "standard-limit"):
            assert rule.why, f"{rule.id} has no 'why'"


def test_readme_states_the_limits_the_code_has() -> None:
    """The chunking, worker and push-body limits are written once, in code; the README quotes
    them."""
    from poicheck.engine.workers import MIN_RECORDS
    from poicheck.files.limits import CHUNK_ROWS, MAX_CSV_BYTES, MAX_PUSH_BODY_BYTES, MiB

    readme = " ".join((Path(__file__).parents[3] / "README.md").read_text("utf-8").split())
    gib = MAX_CSV_BYTES // (1024 * MiB)
    assert f"files over {gib} GiB are read in chunks of {CHUNK_ROWS:,}" in readme
    assert f"({MIN_RECORDS:,} records or more)" in readme
    assert f"A body may be up to {MAX_PUSH_BODY_BYTES // (1024 * MiB)} GiB" in readme


def test_readme_consequence_table_matches_the_rule_files(ruleset: RuleSet) -> None:
    """The README's table of consequences names each one with the severity it gives."""
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z-]+)` \| (error|warning|info) \|", readme, flags=re.M)
    assert rows == [(c.name, c.severity) for c in ruleset.consequences.values()]


def test_rules_explain_states_the_consequence(ruleset: RuleSet) -> None:
    for rule in ruleset.rules.values():
        consequence = ruleset.consequences[rule.consequence]
        text = explain_rule(rule, ruleset)
        assert f"Consequence: {consequence.name} ({consequence.title})" in text, rule.id
