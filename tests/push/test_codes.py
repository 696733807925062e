"""The status-code table: one data file, shown in README "Push", read by the push."""

from __future__ import annotations

from pathlib import Path

from poicheck.push.codes import IDEMPOTENT, http_status, markdown_table, status_code, table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_shows_the_table_of_the_data_file() -> None:
    assert markdown_table() in README.read_text(encoding="utf-8")


def test_every_code_of_the_issue_is_listed_and_explained() -> None:
    for code in ("000", "001", "002", "009", "017", "018", "021", "022", "300", "310", "320"):
        assert code in table()
        assert status_code(code).meaning.endswith(".")
        assert status_code(code).do


def test_what_is_resent() -> None:
    assert http_status(503).retried("insert")
    assert http_status(502).retried("update")
    assert not http_status(502).retried("insert")
    assert status_code("021").retried("fullLoad")
    assert not status_code("018").retried("fullLoad")
    assert not status_code("999").retried("fullLoad")  # unknown: never resent
    assert set(IDEMPOTENT) == {"fullLoad", "update", "delete"}
