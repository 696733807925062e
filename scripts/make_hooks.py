"""Write .pre-commit-hooks.yaml from poicheck's reader catalogue (the one source of truth).

python scripts/make_hooks.py
"""

from __future__ import annotations

from pathlib import Path

from poicheck.cli.precommit import hooks_yaml

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    (ROOT / ".pre-commit-hooks.yaml").write_text(hooks_yaml(), encoding="utf-8")


if __name__ == "__main__":
    main()
