"""Synthetic datasets for the benchmark: the bundled valid sample, replicated, with defects.

The 60 valid EVSEs of scripts/sample_data.py are copied block by block; every copy gets its own
EvseIDs, pool and station IDs and coordinates moved by up to ~500 m (the same shift for all
EVSEs of a station, so that the station stays together). In each block of 60 rows, three rows
carry one of the mistakes planted in the invalid sample (scripts/make_samples.py `PLANTED`:
field, quality and cross-row rules), rotating through the whole list: 5 % defective rows.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from make_samples import PLANTED, _native  # noqa: E402
from sample_data import OPERATOR_ID, OPERATOR_NAME, OPERATORS, SITES, valid_rows  # noqa: E402

DEFECTS_PER_BLOCK = 3  # of 60 rows: 5 %
GENERATOR_VERSION = "2"
ID_FIELDS = ("EvseID", "ChargingPoolID", "ChargingStationNames.fr")
CONFIG = (
    f"operator_id: {OPERATOR_ID}\n"
    f"operator_name: {OPERATOR_NAME}\n"
    "sub_operator_ids: [{}]\n".format(
        ", ".join(o.operator_id for o in OPERATORS.values() if o.operator_id != OPERATOR_ID)
    )
)


def _site_numbers() -> list[str]:
    """The station number of each of the 60 rows (as written in its EvseID)."""
    return [str(site.num) for site in SITES for _ in site.evses]


def _replica(block: int, base: list[dict[str, str]], numbers: list[str]) -> list[dict[str, str]]:
    """Block `block`: the 60 rows with unique IDs, shifted coordinates and three defects."""
    rows = []
    for index, row in enumerate(base):
        number = numbers[index]
        unique = f"{number}{block:06d}"
        out = dict(row)
        out["EvseID"] = row["EvseID"].replace(number, unique, 1)
        if row["ChargingPoolID"]:
            out["ChargingPoolID"] = row["ChargingPoolID"].replace(number, unique, 1)
        out["ChargingStationId"] = f"{row['ChargingStationId']}-{block}"
        # Every station copy somewhere else (up to ~500 m away): as many distinct positions as
        # stations, like real data, so that per-position look-ups are not flattered.
        seed = int(number) * 7919 + block * 104729
        shifts = {
            "Latitude": (seed % 10007 - 5003) * 1e-6,
            "Longitude": (seed // 10007 % 10009 - 5004) * 1e-6,
        }
        for column in (
            "GeoCoordinates.Latitude",
            "GeoCoordinates.Longitude",
            "GeoChargingPointEntrance.Latitude",
            "GeoChargingPointEntrance.Longitude",
        ):
            if row[column]:
                axis = column.rsplit(".", 1)[1]
                out[column] = f"{float(row[column]) + shifts[axis]:.6f}"
        rows.append(out)
    for slot in range(DEFECTS_PER_BLOCK):
        plant = PLANTED[(block * DEFECTS_PER_BLOCK + slot) % len(PLANTED)]
        target = rows[plant.record]
        number = numbers[plant.record]
        for column, value in plant.cells.items():
            if column in ID_FIELDS or column.startswith("GeoC"):
                # Keep planted IDs unique per block (and coordinate plants where they were).
                value = value.replace(number, f"{number}{block:06d}", 1)
            if column in target:
                target[column] = value
    return rows


def rows(count: int) -> Iterator[dict[str, str]]:
    """`count` rows of the canonical layout, 5 % of them with a planted mistake."""
    base = valid_rows()
    numbers = _site_numbers()
    done = 0
    block = 0
    while done < count:
        for row in _replica(block, base, numbers)[: count - done]:
            yield row
            done += 1
        block += 1


def columns() -> list[str]:
    return list(valid_rows()[0])


def write_csv(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        names = columns()
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(names)
        writer.writerows([row[c] for c in names] for row in rows(count))


def write_xlsx(path: Path, count: int) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("EVSE")
    names = columns()
    sheet.append(names)
    for row in rows(count):
        sheet.append([_native(c, row[c]) for c in names])
    workbook.save(path)


def write_json(path: Path, count: int) -> None:
    from poicheck.oicp.convert import Builder
    from poicheck.ruleset.loader import load_ruleset

    builder = Builder(load_ruleset())
    document: dict[str, Any] = {
        "ActionType": "fullLoad",
        "OperatorEvseData": {
            "OperatorID": OPERATOR_ID,
            "OperatorName": OPERATOR_NAME,
            "EvseDataRecord": [builder.build(row) for row in rows(count)],
        },
    }
    path.write_text(json.dumps(document, ensure_ascii=False) + "\n", encoding="utf-8")


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "json": write_json}
# The delta benchmark's second state: of every 1,000 records, 6 changed (a parking spot),
# 2 gone and 2 new (a copy under a new EvseID): 1 % of the records change.
UPDATED = frozenset({50, 250, 450, 650, 850, 950})
DELETED = frozenset({100, 600})
INSERTED = frozenset({300, 800})


def changed_rows(count: int) -> Iterator[dict[str, str]]:
    """`rows(count)` with 1 % of the records updated, deleted or inserted."""
    for number, row in enumerate(rows(count)):
        slot = number % 1000
        if slot in DELETED:
            continue
        if slot in UPDATED:
            row = {**row, "Address.ParkingSpot": f"U{number % 1000:03d}"}  # OICP: 5 characters
        yield row
        if slot in INSERTED:
            yield {**row, "EvseID": row["EvseID"] + "77"}


def write_changed_csv(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        names = columns()
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(names)
        writer.writerows([row[c] for c in names] for row in changed_rows(count))


def dataset(directory: Path, fmt: str, count: int, *, changed: bool = False) -> Path:
    """The dataset file, generated unless a file of this generator version is there
    (`changed`: the CSV with 1 % of the records changed, for the delta benchmark)."""
    directory = directory / f"v{GENERATOR_VERSION}"
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / ".poicheck.yaml"
    if not config.exists():
        config.write_text(CONFIG, encoding="utf-8")
    path = directory / f"evse-{count}{'-changed' if changed else ''}.{fmt}"
    if not path.exists():
        partial = path.with_name(f".{path.name}.partial")
        (write_changed_csv if changed else WRITERS[fmt])(partial, count)
        partial.replace(path)
    return path
