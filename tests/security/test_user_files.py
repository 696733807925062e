"""What a user hands poicheck is bounded and checked when it is loaded: YAML without aliases
and at most 8 MiB, regexes that compile in RE2, text encodings, regular --previous files."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from poicheck.api import validate
from poicheck.errors import PoicheckError, UsageError
from poicheck.files.limits import MAX_YAML_BYTES
from poicheck.files.yaml_loader import load_yaml
from tests.security.conftest import OPERATOR, VALID_CSV, assert_clean_exit_2, poicheck


def billion_laughs(path: Path) -> Path:
    """Nine levels of nine aliases: 9**9 strings (about 4 GB) from 350 bytes."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
@pytest.mark.parametrize("where", ["config", "rules", "mapping"])
def test_a_yaml_alias_bomb_is_refused_quickly(tmp_path: Path, where: str) -> None:
    data = tmp_path / "evse.csv"
    data.write_bytes(VALID_CSV.read_bytes())
    name = ".poicheck.yaml" if where == "config" else "bomb.yaml"
    bomb = billion_laughs(tmp_path / name)
    option = {"config": [], "rules": ["--rules", bomb], "mapping": ["--mapping", bomb]}[where]
    started = time.perf_counter()
    result = poicheck("validate", data, *option, cwd=tmp_path, timeout=30)
    assert time.perf_counter() - started < 10
    assert_clean_exit_2(result, f"{name}:2:", "YAML aliases")


def test_a_yaml_file_is_bounded_in_size(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# padding\n" * (MAX_YAML_BYTES // 10 + 1))
    with pytest.raises(PoicheckError, match="larger than 8 MiB"):
        load_yaml(big)


def _rule_file(path: Path, pattern: str) -> Path:
    path.write_text(
        "rules:\n"
        "  - id: USR001\n"
        "    name: my-pattern\n"
        "    kind: pattern\n    consequence: refused\n"
        "    field: OperatorID\n"
        "    scope: envelope\n"
        f"    params: {{pattern: '{pattern}'}}\n"
        "    examples: {fail: [x], pass: [y]}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.slow
@pytest.mark.parametrize(
    ("pattern", "said"),
    [("^(a)\\1$", "RE2"), ("^(?=a)a$", "RE2"), ("^[unclosed$", "invalid regular expression")],
    ids=["backreference", "lookahead", "invalid"],
)
def test_a_user_regex_is_checked_when_the_rule_file_loads(
    tmp_path: Path, pattern: str, said: str
) -> None:
    rules = _rule_file(tmp_path / "mine.yaml", pattern)
    result = poicheck("validate", VALID_CSV, "--rules", rules)
    assert_clean_exit_2(result, "mine.yaml: rule USR001: params.pattern", said)


@pytest.mark.parametrize("encoding", ["rot13", "base64", "no-such-encoding"])
def test_an_encoding_that_is_not_a_text_encoding_is_exit_2(encoding: str) -> None:
    result = poicheck("validate", VALID_CSV, "--encoding", encoding)
    assert result.returncode == 2, result.stderr
    assert "--encoding" in result.stderr
    assert "Traceback" not in result.stderr
    with pytest.raises(UsageError, match="encoding"):  # the library says so too
        validate(VALID_CSV, encoding=encoding)


@pytest.mark.slow
@pytest.mark.parametrize("previous", ["fifo", "/dev/zero", "directory"])
def test_previous_must_be_a_regular_file(one_operator_csv: Path, previous: str) -> None:
    path = Path(previous)
    if previous == "fifo":
        path = one_operator_csv.parent / "previous.fifo"
        os.mkfifo(path)
    elif previous == "directory":
        path = one_operator_csv.parent
    out = one_operator_csv.parent / "out"
    result = poicheck("export", one_operator_csv, "--out", out, "--previous", path, *OPERATOR)
    assert_clean_exit_2(result, str(path))
    assert not out.exists()
