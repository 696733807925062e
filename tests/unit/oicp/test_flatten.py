"""The column-wise Flattener: reading all records at once gives what reading them one by one
gives (cells, findings in each record's own order, notations), the batched fast paths agree
with the value-by-value ones, and the JSON reader around it parses like the standard library."""

from __future__ import annotations

import copy
import gc
import json
from collections import OrderedDict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poicheck.errors import InputError
from poicheck.oicp.convert import FlatTable, Flattener
from poicheck.oicp.to_json import typed
from poicheck.oicp.wire import text_of
from poicheck.readers import json as json_reader
from poicheck.readers import read_table
from poicheck.ruleset.loader import load_ruleset
from poicheck.ruleset.model import RuleSet
from tests.records import VALID_CELLS, json_record, write_json

RULESET = load_ruleset()
FLATTENER = Flattener(RULESET)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SAMPLE_RECORDS = json.loads(
    (Path(__file__).parents[3] / "samples/invalid/evse-invalid-wire.json").read_text("utf-8"),
    parse_float=Decimal,
)["OperatorEvseData"]["EvseDataRecord"]

# What a careless producer writes: wrong JSON types, empties, odd notations and lists.
ODD_VALUES: list[Any] = [
    None, "", "  ", "x", "true", " 12 ", 0, 22, Decimal("22.50"), Decimal("1E+2"), 3.5, True,
    Decimal("1E+999999999"), Decimal("-1E-999999999"),
    [], {}, ["a", 1], ["a", "b"], {"a": 1}, [{"lang": "en", "value": "x"}],
]  # fmt: skip
ODD_GEO: list[Any] = [
    {"Google": {"Coordinates": "52.5 13.4"}},
    {"Google": {"Coordinates": "nowhere"}},
    {"Google": {"Coordinates": None}},
    {"DegreeMinuteSeconds": {"Latitude": "52°31'18.9048''", "Longitude": "13°24'00''"}},
    {"DegreeMinuteSeconds": {"Latitude": "52 deg", "Longitude": 13}},
    {"DecimalDegree": {"Longitude": "13.4", "Latitude": Decimal("52.50")}},
    {"DecimalDegree": "52.5,13.4"},
    {"Google": "52.5 13.4"},
    {"Google": "nowhere"},
    {"google": {"coordinates": "52.5 13.4"}},
    {"DecimalDegree": {"latitude": "52.5", "Longitude": "13.4", "Latitude": "1", "x": 1}},
    {"DecimalDegree": {"Latitude": "1", "Longitude": "2"}, "Google": {"Coordinates": "1 2"}},
    {"Zeta": 1, "Alpha": 2},
    "52.5 13.4",
]
ODD_TEXTS: list[Any] = [
    [{"lang": "de", "value": "a"}, {"lang": "en", "value": "b"}],
    [{"lang": "en", "value": "a"}, {"lang": "en", "value": "b"}],
    [{"value": "a", "lang": "de"}, {"lang": "fr", "value": "b"}],
    [{"lang": "en"}, 7],
    [{"lang": "en", "value": 5, "zz": 1, "aa": 2}],
    [{"lang": "", "value": "a"}, {"lang": "en.GB", "value": "b"}],
    {"lang": "en", "value": "a"},
    [{"Lang": "en", "Value": "a"}, {"lang": "de", "value": "b", "Value": "c"}],
]
ODD_OPENING: list[Any] = [
    [{"on": "Monday", "Period": []}],
    [{"on": "Sunday", "Period": [{"begin": "08:00", "end": "10:00"}, {"begin": "12:00"}]}],
    "Monday 08:00-10:00",
    [{"On": "Monday", "period": [{"Begin": "08:00", "end": "10:00", "x": 1}], "on": "Sunday"}],
]
ODD_FACILITIES: list[Any] = [
    {"PowerType": "AC_1_PHASE", "Power": 11},
    [{"Power": 22}, "oops", {"Voltage": "230"}],
    [{"Power": power} for power in range(11)],
    "none",
    [{"power": 22, "PowerType": "DC"}, {"Power": 11, "power": 7, "power_type": "DC"}],
    {"power": 7, "PowerType": "AC_1_PHASE"},
]
NEAR_MISSES = ["EvseId", "Adress", "Plug", "Foo", "ChargingStationID", "evse_id", "plugs"]


def _places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _places(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _places(value, (*path, i))
    return out


@st.composite
def messy_record(draw: st.DrawFn) -> Any:
    """A record from the samples with a few careless edits (and, rarely, no object at all)."""
    record = copy.deepcopy(draw(st.sampled_from(SAMPLE_RECORDS)))
    for _ in range(draw(st.integers(0, 4))):
        edit = draw(st.integers(0, 9))
        places = _places(record)
        if edit == 0 and places:  # any value replaced
            *parents, last = draw(st.sampled_from(places))
            node = record
            for step in parents:
                node = node[step]
            node[last] = copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))
        elif edit == 1 and record:  # a property dropped
            record.pop(draw(st.sampled_from(sorted(record))))
        elif edit == 2:  # keys in another order
            items = draw(st.permutations(list(record.items())))
            record = dict(items)
        elif edit == 3:  # an unknown property or a second spelling, first or last
            extra = {draw(st.sampled_from(NEAR_MISSES)): draw(st.sampled_from(ODD_VALUES[:8]))}
            record = {**extra, **record} if draw(st.booleans()) else {**record, **extra}
        else:
            name, choices = {
                4: ("GeoCoordinates", ODD_GEO),
                5: ("GeoChargingPointEntrance", ODD_GEO),
                6: ("ChargingStationNames", ODD_TEXTS),
                7: ("AdditionalInfo", ODD_TEXTS),
                8: ("OpeningTimes", ODD_OPENING),
                9: ("ChargingFacilities", ODD_FACILITIES),
            }[edit]
            record[name] = copy.deepcopy(draw(st.sampled_from(choices)))
    if draw(st.integers(0, 30)) == 0:
        return draw(st.sampled_from([7, "record", None, [record]]))
    return record


def one_by_one(records: list[Any]) -> dict[str, Any]:
    """What reading record after record gives, put together as the reader did before."""
    columns: dict[str, list[str | None]] = {}
    issues, notations = [], {}
    for index, record in enumerate(records):
        flat = FLATTENER.flatten(record)
        for name in flat.cells:
            columns.setdefault(name, [None] * len(records))
        for name, text in flat.cells.items():
            columns[name][index] = text
        issues += [
            (index, f.rule, f.field, f.pointer, f.value, dict(f.details)) for f in flat.issues
        ]
        for name, notation in flat.notations.items():
            notations.setdefault(name, [""] * len(records))[index] = notation
    return {"columns": columns, "issues": issues, "notations": notations}


def together(table: FlatTable) -> dict[str, Any]:
    return {
        "columns": {name: column.to_pylist() for name, column in table.columns.items()},
        "issues": [
            (f.record, f.rule, f.field, f.pointer, f.value, dict(f.details)) for f in table.issues
        ],
        "notations": {name: values.tolist() for name, values in table.notations.items()},
    }  # fmt: skip


class Text(str):
    """Not exactly a str: takes the value-by-value path."""


class Items(list):  # type: ignore[type-arg]
    """Not exactly a list: takes the value-by-value path."""


def not_plain(node: Any) -> Any:
    """The same record with every object, array and text of a type a parser never gives."""
    if isinstance(node, dict):
        return OrderedDict((key, not_plain(value)) for key, value in node.items())
    if isinstance(node, list):
        return Items(not_plain(value) for value in node)
    return Text(node) if isinstance(node, str) else node


def columns_in_order(result: dict[str, Any]) -> list[tuple[str, list[str | None]]]:
    return list(result["columns"].items())


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (Decimal("22.50"), "22.50"),
        (Decimal("22.00"), "22"),
        (Decimal("1E+2"), "100"),
        (Decimal("1E+100"), "1" + "0" * 100),
        (Decimal("1E+101"), "1E+101"),  # past PLAIN_DIGITS: as written, in scientific form
        (Decimal("1E+999999999"), "1E+999999999"),
        (Decimal("-2.5E-999999999"), "-2.5E-999999999"),
        (Decimal("9" * 5000), "9" * 5000),  # past Python's digit limit for int(): no int()
    ],
)
def test_a_json_number_reads_as_written_in_plain_digits_unless_they_run_too_long(
    number: Decimal, text: str
) -> None:
    assert text_of(number) == text


def test_a_number_too_long_for_any_field_stays_text_in_a_payload() -> None:
    capacity, co2 = map(
        RULESET.property_for_column, ["MaxCapacity", "EnvironmentalImpact.CO2Emission"]
    )
    assert capacity is not None
    assert co2 is not None
    assert (typed(capacity, " 22 "), typed(co2, "22.0"), typed(co2, "0.5")) == (22, 22, 0.5)
    # json.dumps could not write a 5000-digit int (Python's digit limit for str()).
    assert (typed(capacity, "9" * 5000), typed(co2, "9" * 5000)) == ("9" * 5000, "9" * 5000)


@pytest.mark.slow
@SETTINGS
@given(st.lists(messy_record(), min_size=1, max_size=12))
def test_all_records_at_once_read_as_one_by_one(records: list[Any]) -> None:
    at_once, apart = together(FLATTENER.flatten_all(records)), one_by_one(records)
    assert columns_in_order(at_once) == columns_in_order(apart)
    assert at_once["issues"] == apart["issues"]
    assert list(at_once["notations"].items()) == list(apart["notations"].items())


@pytest.mark.slow
@SETTINGS
@given(st.lists(messy_record(), min_size=1, max_size=12))
def test_batched_paths_agree_with_value_by_value(records: list[Any]) -> None:
    plain = together(FLATTENER.flatten_all(records))
    assert together(FLATTENER.flatten_all([not_plain(r) for r in records])) == plain
    for record in records:
        fast, slow = FLATTENER.flatten(record), FLATTENER.flatten(not_plain(record))
        assert list(slow.cells.items()) == list(fast.cells.items())
        assert slow.issues == fast.issues


def _record(**changes: Any) -> dict[str, Any]:
    return {**json_record(RULESET), **changes}


def test_each_record_keeps_its_own_order_of_findings() -> None:
    first = {"Foo": 1, "EvseID": "DE*PCK*E1", "Bar": 2}
    second = {"Bar": 2, "EvseID": "DE*PCK*E2", "Foo": 1}
    table = FLATTENER.flatten_all([first, second])
    assert [(f.record, f.pointer) for f in table.issues] == [
        (0, "/Foo"), (0, "/Bar"), (1, "/Bar"), (1, "/Foo"),
    ]  # fmt: skip


def test_a_second_spelling_overwrites_and_the_column_keeps_its_place() -> None:
    first = {"ChargingStationId": "A", "EvseID": "DE*PCK*E1", "ChargingStationID": "B"}
    second = {"ChargingStationID": "C", "EvseID": "DE*PCK*E2", "ChargingStationId": "D"}
    table = FLATTENER.flatten_all([first, second])
    assert list(table.columns) == ["ChargingStationId", "EvseID"]
    assert table.columns["ChargingStationId"].to_pylist() == ["B", "D"]
    assert FLATTENER.flatten(second).cells == {"ChargingStationId": "D", "EvseID": "DE*PCK*E2"}


def test_languages_come_in_first_seen_order_and_a_repeated_one_is_reported() -> None:
    names = "ChargingStationNames"
    records = [
        _record(**{names: [{"lang": "fr", "value": "a"}]}),
        _record(**{names: [{"lang": "de", "value": "b"}, {"lang": "de", "value": "c"}]}),
        _record(**{names: [{"lang": "en", "value": "d"}, {"lang": "fr", "value": "e"}]}),
    ]
    table = FLATTENER.flatten_all(records)
    assert [c for c in table.columns if c.startswith(names)] == [
        f"{names}.{x}" for x in ("fr", "de", "en")
    ]
    assert table.columns[f"{names}.de"].to_pylist() == [None, "b", None]
    assert [(f.record, f.rule, f.pointer, f.value) for f in table.issues] == [
        (1, "JSN004", f"/{names}/1", "c"),
    ]  # fmt: skip


DMS = "52°31'18.90''"


def test_languages_first_seen_in_one_record_keep_its_order() -> None:
    def names(*langs: str) -> list[dict[str, str]]:
        return [{"lang": lang, "value": lang} for lang in langs]

    first = {"EvseID": "DE*PCK*E1", "ChargingStationNames": names("de")}
    # Another key order: the second record's values come after the third's in their batch.
    second = {"ChargingStationNames": names("en", "fr"), "EvseID": "DE*PCK*E2"}
    third = {"EvseID": "DE*PCK*E3", "ChargingStationNames": names("fr", "en")}
    table = FLATTENER.flatten_all([first, second, third])
    assert list(table.columns)[1:] == [f"ChargingStationNames.{x}" for x in ("de", "en", "fr")]


def test_mixed_notations_are_read_record_by_record() -> None:
    records = [
        _record(GeoCoordinates={"Google": {"Coordinates": "52.5 13.4"}}),
        _record(GeoCoordinates={"DegreeMinuteSeconds": {"Latitude": DMS, "Longitude": "x"}}),
        _record(GeoCoordinates={"DecimalDegree": {"Latitude": "1", "Longitude": "2"}, "Foo": 1}),
    ]  # fmt: skip
    table = FLATTENER.flatten_all(records)
    assert table.notations["GeoCoordinates"].tolist() == [
        "Google",
        "DegreeMinuteSeconds",
        "DecimalDegree",
    ]
    assert table.columns["GeoCoordinates.Latitude"].to_pylist() == ["52.5", "52.521917", "1"]
    assert table.columns["GeoCoordinates.Longitude"].to_pylist() == ["13.4", None, "2"]
    assert [(f.record, f.rule, f.pointer) for f in table.issues] == [
        (1, "GEO007", "/GeoCoordinates/DegreeMinuteSeconds/Longitude"),
        (2, "JSN002", "/GeoCoordinates/Foo"),
    ]  # fmt: skip


def test_an_object_where_a_list_belongs_is_read_as_its_first_item() -> None:
    table = FLATTENER.flatten_all([_record(ChargingFacilities={"Power": 11, "Foo": 1})])
    assert table.columns["ChargingFacilities.1.Power"].to_pylist() == ["11"]
    assert [(f.rule, f.pointer) for f in table.issues] == [
        ("JSN001", "/ChargingFacilities"), ("JSN002", "/ChargingFacilities/Foo"),
    ]  # fmt: skip


def test_one_malformed_opening_time_leaves_the_others_read() -> None:
    good = [{"on": "Monday", "Period": [{"begin": "08:00", "end": "18:00"}]}]
    records = [_record(OpeningTimes=good), _record(OpeningTimes=[{"on": "Monday", "Period": []}])]
    table = FLATTENER.flatten_all(records)
    assert table.columns["OpeningTimes"].to_pylist() == ["Monday 08:00-18:00", None]
    assert [(f.record, f.rule) for f in table.issues] == [(1, "JSN005")]


def test_no_records_and_no_objects() -> None:
    assert FLATTENER.flatten_all([]).columns == {}
    table = FLATTENER.flatten_all([1, None])
    assert (table.size, table.columns) == (2, {})
    assert [(f.record, f.rule, f.details["found"]) for f in table.issues] == [
        (0, "JSN001", "number"), (1, "JSN001", "null"),
    ]  # fmt: skip


# The reader around the Flattener.


def _read(tmp_path: Path, data: bytes) -> Any:
    path = tmp_path / "evse.json"
    path.write_bytes(data)
    return read_table(path, RULESET)


def _cells(table: Any) -> list[dict[str, str]]:
    return [
        {k: v for k, v in row.items() if isinstance(v, str)}
        for row in table.frame.astype(object).to_dict("records")
    ]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_what_msgspec_rejects_the_standard_library_still_reads(
    encoding: str, tmp_path: Path, ruleset: RuleSet
) -> None:
    text = json.dumps([json_record(ruleset)], ensure_ascii=False)
    assert _cells(_read(tmp_path, text.encode(encoding))) == [VALID_CELLS]


@pytest.mark.parametrize("constant", ["NaN", "-Infinity"])
def test_a_non_number_is_invalid_json(constant: str, tmp_path: Path) -> None:
    data = f'[{{"EvseID": "DE*PCK*E1", "MaxCapacity": {constant}}}]'.encode()
    with pytest.raises(InputError, match=f"invalid JSON: {constant} is not a JSON number"):
        _read(tmp_path, data)


def test_invalid_json_is_located(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"invalid JSON at line 2, column 1: Expecting value"):
        _read(tmp_path, b'[{"EvseID": "x"},\n]')


def test_both_parsers_give_the_same_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, samples: Path
) -> None:
    path = samples / "invalid" / "evse-invalid-wire.json"
    fast = read_table(path, RULESET)

    class Refusing:
        def decode(self, data: bytes) -> Any:
            raise ValueError("refused")

    monkeypatch.setattr(json_reader, "_DECODER", Refusing())
    slow = read_table(path, RULESET)
    assert list(fast.frame) == list(slow.frame)
    assert fast.frame.equals(slow.frame)
    assert fast.reader_findings == slow.reader_findings


def test_numbers_keep_their_digits(tmp_path: Path, ruleset: RuleSet) -> None:
    record = {**json_record(ruleset), "MaxCapacity": Decimal("2.50")}
    record["ChargingFacilities"][0]["Power"] = Decimal("22.0")
    data = json.dumps([record], default=str).replace('"2.50"', "2.50").replace('"22.0"', "22.0")
    row = _cells(_read(tmp_path, data.encode()))[0]
    assert (row["MaxCapacity"], row["ChargingFacilities.1.Power"]) == ("2.50", "22")


@pytest.mark.parametrize("enabled", [True, False])
def test_the_garbage_collector_is_left_as_it_was(
    enabled: bool, tmp_path: Path, samples: Path
) -> None:
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        read_table(samples / "valid" / "evse-valid.json", RULESET)
        assert gc.isenabled() is enabled
        with pytest.raises(InputError):
            _read(tmp_path, b"[")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


@pytest.mark.slow
def test_a_large_file_reads_like_its_records_one_by_one(tmp_path: Path) -> None:
    records = [
        copy.deepcopy(SAMPLE_RECORDS[i % len(SAMPLE_RECORDS)]) for i in range(600)
    ]  # fmt: skip
    for i, record in enumerate(records[::7]):
        record.pop("Address" if i % 2 else "HotlinePhoneNumber", None)
    table = read_table(write_json(tmp_path / "many.json", records), RULESET)
    apart = one_by_one(json.loads((tmp_path / "many.json").read_text("utf-8"), parse_float=Decimal))
    assert [f.record for f in table.reader_findings] == [i for i, *_ in apart["issues"]]
    for name, texts in apart["columns"].items():
        got = table.frame[name].astype(object).where(table.frame[name].notna(), None).tolist()
        assert got == [t if t is None or t.strip() else None for t in texts], name
