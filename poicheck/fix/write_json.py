"""The corrected copy of an OICP JSON (or JSON Lines) file: only the changed values rewritten.

Each edit's canonical cell is traced to its JSON value (the key as written, near misses and
aliases included; the item of an object list; the InfoText of its language; the coordinate
in its notation) and only that value's text is replaced, with the JSON type OICP takes. Keys,
their order, the indentation and every other byte stay as they were. Coordinates written in
DegreeMinuteSeconds are not rewritten (the notation is exact in its own way); a value the
record does not have is not added.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from poicheck.errors import InputError
from poicheck.fix.edits import Edit, Written
from poicheck.oicp import coordinates as geo
from poicheck.oicp.from_json import spelling
from poicheck.ruleset.model import Property, RuleSet

_DECODER = json.JSONDecoder()
scanstring = json.decoder.scanstring  # type: ignore[attr-defined]  # (C) string reader
_SPACE = re.compile(r"[ \t\n\r]*")
_UTF8_BOM = b"\xef\xbb\xbf"
Step = str | int
Replacement = tuple[int, int, str]


class _UnplacedError(Exception):
    """An edit whose value cannot be found in the record (the reason is its message)."""


def write_json(path: Path, edits: list[Edit], ruleset: RuleSet, *, lines: bool = False) -> Written:
    """The bytes of `path` (OICP JSON, or JSON Lines with `lines`) with `edits` made."""
    from poicheck.readers.json import loads

    data = path.read_bytes()
    bom = _UTF8_BOM if data.startswith(_UTF8_BOM) else b""
    codec = "utf-8" if bom else json.detect_encoding(data)
    try:
        text = data[len(bom) :].decode(codec)
    except UnicodeError as exc:
        raise InputError(f"cannot decode as {codec}: {exc}", location=str(path)) from exc
    skipped: list[tuple[Edit, str]] = []
    replacements: list[Replacement] = []
    by_record: dict[int, list[Edit]] = {}
    for edit in edits:
        by_record.setdefault(edit.row if lines else edit.record, []).append(edit)
    for number, start, record in _records(text, loads, lines, set(by_record)):
        tracer = _Tracer(ruleset, record)
        for steps, group in _grouped(tracer, by_record[number], skipped).items():
            try:
                replacements.extend(_replacements(text, start, list(steps), group, tracer))
            except _UnplacedError as exc:
                skipped.extend((edit, str(exc)) for edit in group)
    out, done = [], 0
    for begin, end, new in sorted(replacements):
        out += [text[done:begin], new]
        done = end
    out.append(text[done:])
    return Written(bom + "".join(out).encode(codec), skipped)


def _records(text: str, loads: Any, lines: bool, wanted: set[int]) -> list[tuple[int, int, Any]]:
    """(record number, where its value starts, the parsed record) of the wanted records:
    JSON Lines by line number, OICP JSON by position in its record list."""
    if lines:  # split as the JSON Lines reader splits: at "\n" only
        out, offset = [], 0
        for number, line in enumerate(text.split("\n"), start=1):
            if number in wanted:
                bom = 1 if line.startswith("\ufeff") else 0  # where files were joined
                start = _skip(text, offset + bom)
                out.append((number, start, loads(line[bom:])))
            offset += len(line) + 1
        return out
    document = loads(text)
    root = _SPACE.match(text, 0).end()  # type: ignore[union-attr]
    if isinstance(document, dict) and "EvseID" in document and "EvseDataRecord" not in document:
        return [(0, root, document)] if 0 in wanted else []
    path: list[Step] = []
    records = document
    if isinstance(document, dict):
        path = (
            ["OperatorEvseData", "EvseDataRecord"]
            if "OperatorEvseData" in document
            else ["EvseDataRecord"]
        )
        records = document
        for step in path:
            records = records[step]
    array = _walk(text, root, path)
    starts = _item_starts(text, array)
    return [(i, starts[i], records[i]) for i in sorted(wanted) if i < len(starts)]


def _grouped(
    tracer: _Tracer, edits: list[Edit], skipped: list[tuple[Edit, str]]
) -> dict[tuple[Step, ...], list[Edit]]:
    """The edits of one record by the JSON value they change (both axes of a Google
    coordinate string are one value)."""
    out: dict[tuple[Step, ...], list[Edit]] = {}
    for edit in edits:
        try:
            steps = tuple(tracer.steps(edit.column))
        except _UnplacedError as exc:
            skipped.append((edit, str(exc)))
            continue
        out.setdefault(steps, []).append(edit)
    return out


def _replacements(
    text: str, start: int, steps: list[Step], edits: list[Edit], tracer: _Tracer
) -> list[Replacement]:
    """The new text of the value at `steps`; of a list of as many items, only the changed
    items' (the list's layout stays)."""
    begin = _walk(text, start, steps)
    current = tracer.value(steps)
    value: Any
    if tracer.google(steps):
        value = _google(str(current), edits)
    else:
        value = _json_value(edits[-1], tracer.ruleset)
    if isinstance(current, list) and isinstance(value, list) and len(current) == len(value):
        items = _item_starts(text, begin)
        return [
            (at, _DECODER.raw_decode(text, at)[1], json.dumps(new, ensure_ascii=False))
            for at, old, new in zip(items, current, value, strict=True)
            if old != new or type(old) is not type(new)
        ]
    end = _DECODER.raw_decode(text, begin)[1]
    return [(begin, end, json.dumps(value, ensure_ascii=False))]


def _google(current: str, edits: list[Edit]) -> str:
    """A Google coordinate string ('lat lon') with the edited axes replaced, its separator
    kept."""
    pair = geo.split_google(current)
    if pair is None:
        raise _UnplacedError("the Google coordinate string cannot be read")
    separator = current.strip()[len(pair[0]) : len(current.strip()) - len(pair[1])]
    lat, lon = pair
    for edit in edits:
        if edit.column.endswith(".Latitude"):
            lat = edit.text
        else:
            lon = edit.text
    return f"{lat}{separator}{lon}"


def _json_value(edit: Edit, ruleset: RuleSet) -> Any:
    from poicheck.fix.kinds import wire_value
    from poicheck.oicp.cells import parse_opening_times as parse_cell

    prop = edit.prop
    if prop is None:
        return edit.text
    if prop.shape == "opening_times":
        days = tuple(ruleset.types["DayValueType"].enum or ())
        time = ruleset.types["PeriodTimeType"].pattern or ""
        parsed = parse_cell(edit.text, days, time)
        return parsed if parsed is not None else edit.text
    return wire_value(prop, edit.text)


class _Tracer:
    """Traces a canonical column to its value in one parsed record."""

    def __init__(self, ruleset: RuleSet, record: Any) -> None:
        self.ruleset = ruleset
        self.record = record
        self._google: set[tuple[Step, ...]] = set()
        self._aliases: dict[str, list[str]] = {}
        for alias, path in ruleset.alias_map().items():
            self._aliases.setdefault(path, []).append(alias.rsplit(".", 1)[-1])

    def value(self, steps: list[Step]) -> Any:
        node = self.record
        for step in steps:
            node = node[step]
        return node

    def google(self, steps: list[Step]) -> bool:
        return tuple(steps) in self._google

    def steps(self, column: str) -> list[Step]:
        parts = column.split(".")
        node, model, i = self.record, "", 0
        out: list[Step] = []
        while i < len(parts):
            prop = self.ruleset.properties.get(f"{model}.{parts[i]}" if model else parts[i])
            if prop is None or not isinstance(node, dict):
                raise _UnplacedError(f"{column} is not in the record as poicheck reads it")
            key = self._key(node, prop)
            out.append(key)
            node = node[key]
            if prop.shape == "object":
                model, i = prop.path, i + 1
            elif prop.shape == "object_list":
                index = int(parts[i + 1]) - 1
                if isinstance(node, list) and 0 <= index < len(node):
                    out.append(index)
                    node = node[index]
                elif not (isinstance(node, dict) and index == 0):
                    raise _UnplacedError(f"{column}: the record has no such item")
                model, i = f"{prop.path}.*", i + 2
            elif prop.shape == "infotext_list":
                return [*out, *self._infotext(node, parts[i + 1], column)]
            elif prop.shape == "geo":
                return [*out, *self._geo(node, parts[i + 1], out)]
            else:
                return out
        raise _UnplacedError(f"{column} is a container")

    def _key(self, node: dict[str, Any], prop: Property) -> str:
        name = prop.path.rsplit(".", 1)[-1]
        if name in node:
            return name
        for alias in self._aliases.get(prop.path, []):
            if alias in node:
                return alias
        near = [key for key in node if spelling(key) == spelling(name)]
        if near:
            return near[-1]
        raise _UnplacedError(f"the record has no {prop.path}")

    def _infotext(self, texts: Any, lang: str, column: str) -> list[Step]:
        if not isinstance(texts, list):
            raise _UnplacedError(f"{column}: not a list of InfoTexts")
        for index, item in enumerate(texts):
            if not isinstance(item, dict):
                continue
            keys = {spelling(k): k for k in item}
            if item.get(keys.get("lang", "lang")) == lang and "value" in keys:
                return [index, keys["value"]]
        raise _UnplacedError(f"{column}: no InfoText in '{lang}'")

    def _geo(self, value: Any, axis: str, before: list[Step]) -> list[Step]:
        if not isinstance(value, dict) or len(value) != 1:
            raise _UnplacedError("the coordinates are not in exactly one notation")
        ((key, body),) = value.items()
        notation = {spelling(n): n for n in geo.NOTATIONS}.get(spelling(key))
        if notation == "DecimalDegree" and isinstance(body, dict):
            return [key, self._key(body, self.ruleset.properties[f"GeoCoordinates.{axis}"])]
        if notation == "Google":
            inner = [key]
            if isinstance(body, dict):
                coordinates = [k for k in body if spelling(k) == spelling("Coordinates")]
                if not coordinates:
                    raise _UnplacedError("the Google coordinates have no Coordinates")
                inner.append(coordinates[-1])
            self._google.add((*before, *inner))
            return inner
        raise _UnplacedError(f"coordinates in {notation or key} notation are not rewritten")


def _walk(text: str, at: int, steps: list[Step]) -> int:
    """Where the value at `steps` below the value starting at `at` starts (the last of
    duplicate keys, as a JSON parser reads them)."""
    for step in steps:
        if isinstance(step, int):
            starts = _item_starts(text, at)
            at = starts[step]
        else:
            at = _member_start(text, at, step)
    return at


def _skip(text: str, at: int) -> int:
    return _SPACE.match(text, at).end()  # type: ignore[union-attr]


def _member_start(text: str, at: int, key: str) -> int:
    if text[at] != "{":
        raise _UnplacedError(f"no object where '{key}' was expected")
    at, found = _skip(text, at + 1), None
    while text[at] != "}":
        name, at = scanstring(text, at + 1)
        at = _skip(text, _skip(text, at) + 1)  # past the colon
        if name == key:
            found = at
        at = _skip(text, _DECODER.raw_decode(text, at)[1])
        if text[at] == ",":
            at = _skip(text, at + 1)
    if found is None:
        raise _UnplacedError(f"no key '{key}'")
    return found


def _item_starts(text: str, at: int) -> list[int]:
    if text[at] != "[":
        raise _UnplacedError("no list where one was expected")
    at, starts = _skip(text, at + 1), []
    while text[at] != "]":
        starts.append(at)
        at = _skip(text, _DECODER.raw_decode(text, at)[1])
        if text[at] == ",":
            at = _skip(text, at + 1)
    return starts
