"""Documents of the shapes Hubject's pull responses and national dumps have, built from the
samples' records (data not made for these tests), and the push request of the same records."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from poicheck.results.report import Finding

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "pull"
SAMPLE = json.loads((ROOT / "samples/invalid/evse-invalid.json").read_text(encoding="utf-8"))
# Records with every kind of mistake the samples plant (data not made for these tests).
POOL: list[dict[str, Any]] = SAMPLE["OperatorEvseData"]["EvseDataRecord"]
HUB = ("DE*PCK", "PoiCheck Demo Hub")
SUBS = ("AT*VLT", "FR*ELC", "NL*GRN", "CH*ALP", "IT*COR")
OPERATORS = [HUB, ("DE*MUC", "Stadtwerke Demo München"), ("AT*VLT", "Volt Demo Wien")]


def write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def push_request(operator: tuple[str, str], records: list[Any]) -> dict[str, Any]:
    operator_id, name = operator
    data = {"OperatorID": operator_id, "OperatorName": name, "EvseDataRecord": records}
    return {"ActionType": "fullLoad", "OperatorEvseData": data}


def national(blocks: list[tuple[tuple[str, str], list[Any]]]) -> dict[str, Any]:
    return {
        "EVSEData": [
            {"OperatorID": o, "OperatorName": n, "EVSEDataRecord": records}
            for (o, n), records in blocks
        ]
    }


def pull_22(blocks: list[tuple[tuple[str, str], list[Any]]]) -> dict[str, Any]:
    data = [
        {"OperatorID": o, "OperatorName": n, "EvseDataRecord": records}
        for (o, n), records in blocks
    ]
    return {"EvseData": {"OperatorEvseData": data}, "StatusCode": {"Code": "000"}}


def page(content: list[tuple[tuple[str, str], Any]], **meta: Any) -> dict[str, Any]:
    records = [{**r, "OperatorID": o, "OperatorName": n} for (o, n), r in content]
    fields = {"number": 0, "size": 20, "totalElements": len(records), "first": True}
    fields |= {"last": True, "totalPages": 1, "numberOfElements": len(records)}
    return {"content": records, **fields, **meta}


def finding_key(finding: Finding) -> tuple[Any, ...]:
    # Row numbers in messages are the document's (IDN003 "in rows 6, 7"), not the push's.
    message = re.sub(r"\brows? [0-9][0-9, ]*(and [0-9]+ more)?", "rows #", finding.message)
    return (finding.rule, finding.severity, finding.field, finding.value, finding.evse_id, message)
