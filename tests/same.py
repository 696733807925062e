"""One assertion for "these two runs found exactly the same": chunks, workers, formats."""

from __future__ import annotations

from poicheck.report import Report


def assert_same(expected: Report, found: Report) -> None:
    """Findings, notes, per-record scores and summary equal; both inputs readable."""
    assert expected.unreadable == found.unreadable == []
    assert found.frame.equals(expected.frame)
    assert found.notes == expected.notes
    assert found.records is not None
    assert expected.records is not None
    assert found.records.equals(expected.records)
    assert found.summary() == expected.summary()
