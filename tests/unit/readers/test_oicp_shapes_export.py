"""The export of pull responses and national dumps: the same payloads as the push request of
the same records, one operator's blocks at a time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from poicheck import validate
from poicheck.errors import UsageError
from poicheck.export import ExportOptions, build_export
from poicheck.ruleset.loader import load_ruleset
from poicheck.ruleset.schema import request_schema, validator_for
from tests.pull_documents import (
    FIXTURES,
    HUB,
    POOL,
    SAMPLE,
    SUBS,
    finding_key,
    national,
    page,
    pull_22,
    write,
)

OPTIONS = ExportOptions(sub_operator_ids=SUBS, allow_deletions=True)


def _equivalents(tmp_path: Path) -> dict[str, Path]:
    """The sample request, and the same records as each other shape."""
    two = [(HUB, POOL[:25]), (HUB, POOL[25:])]
    return {
        "push": write(tmp_path / "push.json", SAMPLE),
        "national": write(tmp_path / "national.json", national(two)),
        "pull-2.2": write(tmp_path / "pull22.json", pull_22(two)),
        "page": write(tmp_path / "page.json", page([(HUB, r) for r in POOL])),
    }


@pytest.mark.slow
def test_every_shape_exports_what_its_push_request_exports(tmp_path: Path) -> None:
    paths = _equivalents(tmp_path)
    exports = {name: build_export(path, OPTIONS) for name, path in paths.items()}
    push = exports.pop("push")
    schema = validator_for(request_schema(load_ruleset()))
    for name, export in exports.items():
        assert [f.data for f in export.files] == [f.data for f in push.files], name
        assert export.snapshot == push.snapshot
        assert len(export.left_out) == len(push.left_out)
        assert [(e.row, e.evse_id) for e in export.left_out] == [
            (e.row, e.evse_id) for e in push.left_out
        ]
        renamed = export.manifest.replace(paths[name].name.encode(), b"push.json")
        assert renamed == push.manifest
        for file in export.files:
            assert schema.errors(json.loads(file.data)) == []


@pytest.mark.parametrize(
    "given",
    [
        {"sub_operator_ids": SUBS},
        {"operator_id": "DE*PCK", "operator_name": "Given", "sub_operator_ids": SUBS[:2]},
        {"operator_id": "DE*XYZ", "sub_operator_ids": SUBS[1:]},
    ],
)
@pytest.mark.slow
def test_validation_of_every_shape_equals_the_push_requests(
    tmp_path: Path, given: dict[str, Any]
) -> None:
    paths = _equivalents(tmp_path)
    push = validate(paths.pop("push"), **given)
    for path in paths.values():
        report = validate(path, **given)
        assert sorted(map(finding_key, report.findings)) == sorted(map(finding_key, push.findings))
        assert report.summary()["total"] == push.summary()["total"]  # counts and the score


def test_an_export_takes_the_operator_given_from_several(tmp_path: Path) -> None:
    path = FIXTURES / "pull-2.2.json"
    with pytest.raises(UsageError) as told:
        build_export(path, ExportOptions())
    assert "holds the records of 2 operators" in told.value.message
    assert any("DE*MUC 'Stadtwerke Demo München': 3 records" in d for d in told.value.details)
    export = build_export(path, ExportOptions(operator_id="DE*PCK", allow_deletions=True))
    assert export.operator_name == "PoiCheck Demo Hub"
    assert [f.records for f in export.files] == [3]
    body = json.loads(export.files[0].data)
    assert [r["EvseID"] for r in body["OperatorEvseData"]["EvseDataRecord"]] == [
        "DE*PCK*E1001*1",
        "DE*PCK*E1001*2",
        "DE*PCK*E1002*1",
    ]
    assert any("the records of 1 other operator block are left out" in n for n in export.notes)
    with pytest.raises(UsageError, match="holds no records of operator DE\\*ABC"):
        build_export(path, ExportOptions(operator_id="DE*ABC"))
