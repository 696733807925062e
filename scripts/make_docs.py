"""Write docs/rules.md, docs/layout.md and docs/ocpi.md from the rule files and the OCPI
mapping (the one source of truth), and docs/kinds.md from the kinds' declarations.

python scripts/make_docs.py
"""

from __future__ import annotations

from pathlib import Path

from poicheck.ocpi.docs import ocpi_markdown
from poicheck.ruleset.docs import kinds_markdown, layout_markdown, rules_markdown
from poicheck.ruleset.loader import load_ruleset

DOCS = Path(__file__).resolve().parents[1] / "docs"


def main() -> None:
    ruleset = load_ruleset()
    DOCS.mkdir(exist_ok=True)
    (DOCS / "rules.md").write_text(rules_markdown(ruleset), encoding="utf-8")
    (DOCS / "layout.md").write_text(layout_markdown(ruleset), encoding="utf-8")
    (DOCS / "kinds.md").write_text(kinds_markdown(ruleset), encoding="utf-8")
    (DOCS / "ocpi.md").write_text(ocpi_markdown(ruleset), encoding="utf-8")


if __name__ == "__main__":
    main()
