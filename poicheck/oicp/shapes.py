"""The OICP shapes whose cells do not mirror their JSON: InfoText lists (a column per
language), coordinates (three notations, read as decimal degrees) and opening times (one cell).
Their own keys (`lang`, `Google`, `Latitude`, `on`, `begin`...) may be near misses too: read as
meant and reported (JSN008, JSN009), as the Flattener does with property names.

Part of `poicheck.oicp.convert.Flattener`: each reader takes the values at one slot of all records
at
once; plain values go through in batches, the others one by one, as a record-by-record walk
would take them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import accumulate, chain
from operator import itemgetter
from typing import Any

from poicheck.oicp import coordinates as geo
from poicheck.oicp.cells import format_opening_times as format_cell
from poicheck.oicp.from_json import Batch, Collector, Rows, Slot, batch, members, spelling
from poicheck.oicp.wire import found_type, text_of, types_of
from poicheck.ruleset.model import Property
from poicheck.ruleset.reader_ids import (
    COORDINATE_NOTATION_FORMAT,
    DMS_MINUTES_SECONDS_BELOW_60,
    INFO_TEXT_DUPLICATE_LANGUAGE,
    JSON_MALFORMED_ITEM,
    JSON_NEAR_MISS_DUPLICATE,
    JSON_NEAR_MISS_KEY,
    JSON_UNKNOWN_PROPERTY,
    JSON_WIRE_TYPE,
    ONE_COORDINATE_NOTATION,
)

SINGLE_NOTATION = {(notation,) for notation in geo.NOTATIONS}
INFOTEXT = ("lang", "value")  # OICP 2.3 03 Data Types: InfoTextType
OPENING = ("Period", "on")  # OpeningTimesType
PERIOD = ("begin", "end")  # Period of an OpeningTimesType


class Shapes:
    """Readers of the InfoText-list, geo and opening-times shapes."""

    def __init__(self, google_pattern: str, dms_pattern: str) -> None:
        self.google_pattern = google_pattern
        self.dms_pattern = dms_pattern

    def infotexts(self, prop: Property, slot: Slot, values: Batch, out: Collector) -> None:
        plain = _infotext_items(values) if slot.path not in out.seen else None
        if plain is None:
            self._infotexts_one_by_one(prop, slot, values, out)
            return
        out.seen.add(slot.path)
        languages, texts, starts = plain
        groups: dict[tuple[str, ...], list[int]] = {}
        if len(set(languages)) == 1:
            groups[languages[0]] = list(range(len(languages)))
        else:
            for j, langs in enumerate(languages):
                groups.setdefault(langs, []).append(j)
        odd: list[int] = []
        for langs, indexes in groups.items():
            if len(set(langs)) < len(langs):  # a language twice: JSN004, value by value
                odd.extend(indexes)
                continue
            whole = len(indexes) == len(values.rows)
            rows = values.rows if whole else [values.rows[j] for j in indexes]
            for i, lang in enumerate(langs):
                if whole and isinstance(starts, range):
                    column = texts[i :: starts.step]
                else:
                    column = [texts[starts[j] + i] for j in indexes]
                out.cells(f"{slot.path}.{lang}", slot, rows, column, local=i)
        if odd:
            odd.sort()
            rest = batch([values.rows[j] for j in odd], [values.values[j] for j in odd])
            self._infotexts_one_by_one(prop, slot, rest, out)

    def _infotexts_one_by_one(
        self, prop: Property, slot: Slot, values: Batch, out: Collector
    ) -> None:
        again = slot.path in out.seen  # the same list spelt twice in one record (an alias)
        out.seen.add(slot.path)
        cells: dict[str, tuple[Rows, list[str], list[int]]] = {}
        for row, value in zip(values.rows, values.values, strict=True):
            if not isinstance(value, list):
                out.wrong_type(prop, slot, row, value)
                continue
            taken: set[str] = set()
            for i, item in enumerate(value):
                at = f"{slot.pointer}/{i}"
                named, others = _keys_meant(item, INFOTEXT) if isinstance(item, dict) else ({}, [])
                if len(named) < 2 or not isinstance(item[named["lang"]], str):
                    hint = "an InfoText needs both 'lang' and 'value'"
                    out.issue(
                        row, slot, JSON_MALFORMED_ITEM, slot.path, at, text_of(item), {"hint": hint}
                    )
                    continue
                _report_keys(slot, at, row, named, others, out)
                lang, text = item[named["lang"]], item[named["value"]]
                column = f"{slot.path}.{lang}"
                if column in taken or (again and out.has_cell(column, row)):
                    out.issue(
                        row,
                        slot,
                        INFO_TEXT_DUPLICATE_LANGUAGE,
                        slot.path,
                        at,
                        text_of(text),
                        {"lang": lang},
                    )
                    continue
                taken.add(column)
                if not isinstance(text, str):
                    details = {"found": found_type(text), "expected": "string", "hint": ""}
                    pointer = f"{at}/{named['value']}"
                    out.issue(row, slot, JSON_WIRE_TYPE, column, pointer, text_of(text), details)
                bucket = cells.setdefault(column, ([], [], []))
                bucket[0].append(row)
                bucket[1].append(text_of(text))
                bucket[2].append(i)
        for column, (rows, texts, items) in cells.items():
            out.cells(column, slot, rows, texts, local=items)

    def geos(self, prop: Property, slot: Slot, values: Batch, out: Collector) -> None:
        shapes = set(map(tuple, values.values)) if values.types == {dict} else set()
        if len(shapes) == 1 and (shape := shapes.pop()) in SINGLE_NOTATION:
            bodies = list(map(itemgetter(shape[0]), values.values))
            if types_of(bodies) == {dict}:
                self._geo_bodies(slot, shape[0], values.rows, bodies, out)
                return
        plain: dict[str, tuple[Rows, list[dict[str, Any]]]] = {}
        for row, value in zip(values.rows, values.values, strict=True):
            if type(value) is dict and len(value) == 1:
                ((notation, body),) = value.items()
                if notation in geo.NOTATIONS and type(body) is dict:
                    group = plain.setdefault(notation, ([], []))
                    group[0].append(row)
                    group[1].append(body)
                    continue
            self._geo_one(prop, slot, row, value, out)
        for notation, (rows, bodies) in plain.items():
            self._geo_bodies(slot, notation, rows, bodies, out)

    def _geo_one(self, prop: Property, slot: Slot, row: int, value: Any, out: Collector) -> None:
        if not isinstance(value, dict):
            out.wrong_type(prop, slot, row, value)
            return
        named, others = _keys_meant(value, geo.NOTATIONS)
        _report_keys(slot, slot.pointer, row, named, others, out)
        if len(named) != 1:
            found = " and ".join(named) if named else "none"
            out.issue(
                row, slot, ONE_COORDINATE_NOTATION, slot.path, slot.pointer, None, {"found": found}
            )
            if not named:
                return
        notation, key = next(iter(named.items()))
        body = value[key]
        pointer = f"{slot.pointer}/{key}"
        if isinstance(body, dict):
            self._geo_bodies(slot, notation, [row], [body], out, pointer)
            return
        out.notation(slot, [row], [notation])
        text = text_of(body)
        google = notation == "Google" and isinstance(body, str)
        hint = f'; make it an object with "Coordinates": "{text}"' if google else ""
        details = {"found": found_type(body), "expected": "object", "hint": hint}
        out.issue(row, slot, JSON_WIRE_TYPE, f"{slot.path}.{notation}", pointer, text, details)
        if google:  # what the record evidently means (OICP 2.3 GeoCoordinatesGoogleType)
            self._google(slot, pointer, batch([row], [body]), out)

    def _geo_bodies(
        self,
        slot: Slot,
        notation: str,
        rows: Rows,
        bodies: list[dict[str, Any]],
        out: Collector,
        at: str = "",
    ) -> None:
        """The coordinates of records that all use `notation` (written at `at`), as decimal
        degrees."""
        out.notation(slot, rows, [notation] * len(rows))
        at = at or f"{slot.pointer}/{notation}"
        wanted = ("Coordinates",) if notation == "Google" else ("Latitude", "Longitude")
        prefix = f"{slot.path}.Google" if notation == "Google" else slot.path
        axes = _axes_meant(slot, at, prefix, members(rows, bodies), wanted, out)
        if notation == "Google":
            for _, key, raws in axes:
                self._google(slot, f"{at}/{key}", raws, out)
            return
        converted: dict[str, tuple[str | None, str]] = {}
        for axis, key, raws in axes:
            local = wanted.index(axis)
            column = f"{slot.path}.{axis}"
            if notation == "DecimalDegree" and raws.types == {str}:
                out.cells(column, slot, raws.rows, raws.values, local)
                continue
            cell_rows, texts = [], []
            for row, raw in zip(raws.rows, raws.values, strict=True):
                if raw is None:
                    continue
                text = text_of(raw)
                if not isinstance(raw, str):
                    # A string OICP's DecimalDegree pattern accepts: a point, at most 6 decimals.
                    plain = notation == "DecimalDegree" and not isinstance(raw, bool)
                    hint = f'; write "{geo.format_decimal(text)}"' if plain else ""
                    details = {"found": found_type(raw), "expected": "string", "hint": hint}
                    out.issue(row, slot, JSON_WIRE_TYPE, column, f"{at}/{key}", text, details)
                if notation == "DegreeMinuteSeconds":
                    if text not in converted:
                        converted[text] = self._dms(text)
                    decimal, problem = converted[text]
                    if decimal is None:
                        rule = (
                            DMS_MINUTES_SECONDS_BELOW_60 if problem else COORDINATE_NOTATION_FORMAT
                        )
                        details = {"notation": notation, "axis": axis, "hint": problem}
                        out.issue(row, slot, rule, slot.path, f"{at}/{key}", text, details)
                        continue
                    text = decimal
                cell_rows.append(row)
                texts.append(text)
            out.cells(column, slot, cell_rows, texts, local)

    def _dms(self, text: str) -> tuple[str | None, str]:
        """A DMS coordinate as decimal degrees, or None and what makes it denote no
        position ('' when it does not match OICP's expression: GEO007)."""
        if not re.fullmatch(self.dms_pattern, text, re.ASCII):
            return None, ""
        problem = geo.dms_beyond_60(text)
        return (None, problem) if problem else (geo.dms_to_decimal(text), "")

    def _google(self, slot: Slot, pointer: str, raws: Batch, out: Collector) -> None:
        """Google coordinate texts ('lat lon', at `pointer`) as decimal degrees."""
        pairs: dict[str, tuple[str, str] | None] = {}
        rows, latitudes, longitudes = [], [], []
        for row, raw in zip(raws.rows, raws.values, strict=True):
            if raw is None:
                continue
            text = text_of(raw)
            if text not in pairs:
                matches = re.fullmatch(self.google_pattern, text, re.ASCII)
                pairs[text] = geo.split_google(text) if matches else None
            pair = pairs[text]
            if pair is None:
                details = {"notation": "Google"}
                out.issue(row, slot, COORDINATE_NOTATION_FORMAT, slot.path, pointer, text, details)
                continue
            rows.append(row)
            latitudes.append(pair[0])
            longitudes.append(pair[1])
        out.cells(f"{slot.path}.Latitude", slot, rows, latitudes, 0)
        out.cells(f"{slot.path}.Longitude", slot, rows, longitudes, 1)

    def opening_times(self, prop: Property, slot: Slot, values: Batch, out: Collector) -> None:
        if _all_well_formed(values):
            out.cells(slot.path, slot, values.rows, list(map(format_cell, values.values)))
            return
        rows, texts = [], []
        for row, value in zip(values.rows, values.values, strict=True):
            if not isinstance(value, list):
                out.wrong_type(prop, slot, row, value)
                text = text_of(value)
            elif not _well_formed(value := _opening_meant(slot, row, value, out)):
                hint = "each entry needs 'on' and a non-empty 'Period' list of begin/end pairs"
                out.issue(
                    row,
                    slot,
                    JSON_MALFORMED_ITEM,
                    slot.path,
                    slot.pointer,
                    text_of(value),
                    {"hint": hint},
                )
                continue
            else:
                text = format_cell(value)
            rows.append(row)
            texts.append(text)
        out.cells(slot.path, slot, rows, texts)


def _infotext_items(
    values: Batch,
) -> tuple[list[tuple[str, ...]], list[str], Sequence[int]] | None:
    """(languages of each list, texts of all items, where each list's items start), when
    every item is exactly {"lang": text, "value": text}."""
    if values.types != {list}:
        return None
    items = list(chain.from_iterable(values.values))
    if types_of(items) != {dict} or set(map(len, items)) != {2}:
        return None
    try:
        langs = list(map(itemgetter("lang"), items))
        texts = list(map(itemgetter("value"), items))
    except KeyError:
        return None
    if types_of(langs) != {str} or types_of(texts) != {str}:
        return None
    lengths = list(map(len, values.values))
    if len(set(lengths)) == 1:
        step = lengths[0]
        return list(zip(*[iter(langs)] * step, strict=True)), texts, range(0, len(items), step)
    starts = list(accumulate(lengths[:-1], initial=0))
    languages = [tuple(langs[s : s + n]) for s, n in zip(starts, lengths, strict=True)]
    return languages, texts, starts


def _opening_meant(slot: Slot, row: int, value: list[Any], out: Collector) -> list[Any]:
    """OpeningTimes entries with the keys their near misses mean (`On`, `period`, `Begin`),
    reported (JSN008, JSN009), and without unknown keys (JSN002)."""
    entries: list[Any] = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            entries.append(item)
            continue
        at = f"{slot.pointer}/{i}"
        named, others = _keys_meant(item, OPENING)
        _report_keys(slot, at, row, named, others, out)
        entry = {name: item[key] for name, key in named.items()}
        periods = entry.get("Period")
        if isinstance(periods, list):
            entry["Period"] = [
                _period_meant(slot, f"{at}/{named['Period']}/{j}", row, period, out)
                for j, period in enumerate(periods)
            ]
        entries.append(entry)
    return entries


def _period_meant(slot: Slot, at: str, row: int, period: Any, out: Collector) -> Any:
    if not isinstance(period, dict):
        return period
    named, others = _keys_meant(period, PERIOD)
    _report_keys(slot, at, row, named, others, out)
    return {name: period[key] for name, key in named.items()}


def _well_formed(value: list[Any]) -> bool:
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("on"), str):
            return False
        periods = item.get("Period")
        if not isinstance(periods, list) or not periods:
            return False
        for period in periods:
            if not (
                isinstance(period, dict)
                and isinstance(period.get("begin"), str)
                and isinstance(period.get("end"), str)
            ):
                return False
    return True


def _all_well_formed(values: Batch) -> bool:
    """`_well_formed` for every value, checked type set by type set."""
    if values.types != {list}:
        return False
    items = list(chain.from_iterable(values.values))
    if types_of(items) != {dict} or set(map(frozenset, items)) != {frozenset(OPENING)}:
        return False
    if types_of([item["on"] for item in items]) != {str}:
        return False
    periods = [item.get("Period") for item in items]
    if types_of(periods) != {list} or not all(periods):
        return False
    pairs = list(chain.from_iterable(periods))
    if types_of(pairs) != {dict} or set(map(frozenset, pairs)) != {frozenset(PERIOD)}:
        return False
    return types_of([pair.get(end) for pair in pairs for end in ("begin", "end")]) == {str}


def _keys_meant(
    value: dict[str, Any], names: Sequence[str]
) -> tuple[dict[str, str], list[tuple[str, str | None]]]:
    """Which of `names` the keys of one object give (name -> key, in the order of `names`),
    and its other keys, each with the name it is a near miss of (or None). A near miss
    counts unless the name itself is there too."""
    exact = {name: name for name in names if name in value}
    near = {spelling(name): name for name in names}
    others: list[tuple[str, str | None]] = []
    for key in sorted(set(value) - set(names)):
        meant = near.get(spelling(key))
        others.append((key, meant))
        if meant is not None:
            exact.setdefault(meant, key)
    return {name: exact[name] for name in names if name in exact}, others


def _report_keys(
    slot: Slot,
    at: str,
    row: int,
    named: dict[str, str],
    others: list[tuple[str, str | None]],
    out: Collector,
) -> None:
    """JSN008 for a near miss read as its name, JSN009 for one beside its name, JSN002 for
    any other key of the object at `at` (see `_keys_meant`)."""
    for key, meant in others:
        field, pointer = f"{slot.path}.{meant or key}", f"{at}/{key}"
        if meant is None:
            out.issue(row, slot, JSON_UNKNOWN_PROPERTY, field, pointer, None, {"hint": ""})
            continue
        rule = JSON_NEAR_MISS_KEY if named[meant] == key else JSON_NEAR_MISS_DUPLICATE
        out.issue(row, slot, rule, field, pointer, None, {"key": key, "name": meant})


def _axes_meant(
    slot: Slot,
    at: str,
    prefix: str,
    axes: dict[str, Batch],
    wanted: Sequence[str],
    out: Collector,
) -> list[tuple[str, str, Batch]]:
    """(axis, key, values) of the members of coordinate objects (their fields named below
    `prefix`): a near miss of an axis (`latitude`) is read as the axis (JSN008) where the
    axis itself is not there (else JSN009); other keys are unknown (JSN002)."""
    found = [(key, key, axes[key]) for key in wanted if key in axes]
    near = {spelling(key): key for key in wanted}
    for key, values in axes.items():
        if key in wanted:
            continue
        meant = near.get(spelling(key))
        field = f"{prefix}.{meant or key}"
        taken = set(axes[meant].rows) if meant in axes else set()
        rows, kept = [], []
        for row, raw in zip(values.rows, values.values, strict=True):
            if meant is None:
                out.issue(
                    row, slot, JSON_UNKNOWN_PROPERTY, field, f"{at}/{key}", None, {"hint": ""}
                )
                continue
            rule = JSON_NEAR_MISS_DUPLICATE if row in taken else JSON_NEAR_MISS_KEY
            out.issue(row, slot, rule, field, f"{at}/{key}", None, {"key": key, "name": meant})
            if row not in taken:
                rows.append(row)
                kept.append(raw)
        if meant is not None and rows:
            found.append((meant, key, batch(rows, kept)))
    return found
