"""The cell grammar: how a value that is a list, a number or OpeningTimes in OICP JSON is
written in one spreadsheet cell. Read by the checks, written and parsed by the conversion;
one copy, so the directions cannot drift apart.
"""

from __future__ import annotations

import re
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

# Items of a list cell: `Type2Outlet; CCSCombo2Plug` (spaces around ';' allowed).
LIST_SEPARATOR_PATTERN = r"[ ]*;[ ]*"
LIST_SEPARATOR = re.compile(LIST_SEPARATOR_PATTERN)

# A number as a cell holds it: plain digits, no unit, no exponent. 18 digits fit an int64 and
# 15 decimals a double, so a number that passes converts exactly (OICP has no longer numbers).
INTEGER_PATTERN = r"-?[0-9]{1,18}"
DECIMAL_PATTERN = r"-?[0-9]{1,18}(\.[0-9]{1,15})?"
INTEGER = re.compile(INTEGER_PATTERN, re.ASCII)
DECIMAL = re.compile(DECIMAL_PATTERN, re.ASCII)

# ASCII whitespace at either end, runs of spaces inside: what `tidy` removes, and the same
# characters for pyarrow (ascii_trim_whitespace) and Python (str.strip with these).
ENDS = " \t\n\r\f\v"
DOUBLED = " {2,}"

# Boolean spellings of spreadsheet programs and their users, by language. A column written
# only in these (no true/false at all) follows a convention and is read as true/false.
BOOLEAN_WORDS = {
    "1": "true",
    "0": "false",
    "yes": "true",
    "no": "false",
    "ja": "true",
    "nein": "false",
    "wahr": "true",
    "falsch": "false",
    "oui": "true",
    "non": "false",
    "vrai": "true",
    "faux": "false",
    "si": "true",
    "sí": "true",
    "sì": "true",
    "vero": "true",
    "falso": "false",
    "waar": "true",
    "onwaar": "false",
    "nee": "false",
}

REGEX_META = set("\\.^$|?*+()[]{}")


def regex_escape(text: str) -> str:
    """Escape a literal for RE2 (Python's re.escape also escapes spaces, which RE2 need not see)."""
    return "".join("\\" + ch if ch in REGEX_META else ch for ch in text)


def list_pattern(item: str) -> str:
    """An anchored pattern of a list cell whose every item matches `item` (a regex)."""
    return f"^{item}(?:{LIST_SEPARATOR_PATTERN}{item})*$"


def split_list(text: str) -> list[str]:
    """The items of a list cell, empty items dropped."""
    return [item for item in LIST_SEPARATOR.split(text.strip()) if item]


def opening_times_pattern(days: tuple[str, ...], time_pattern: str) -> str:
    """OpeningTimes in one cell (03 OpeningTimesType): `Workdays 08:00-18:00; Saturday
    09:00-13:00` — entries separated by ';', each an OICP day value followed by one or more
    periods HH:MM-HH:MM separated by spaces."""
    day = "(?:" + "|".join(regex_escape(d) for d in days) + ")"
    time = time_pattern.removeprefix("^").removesuffix("$")
    return list_pattern(f"{day}(?:[ ]+{time}-{time})+")


def parse_opening_times(
    text: str, days: tuple[str, ...], time_pattern: str
) -> list[dict[str, Any]] | None:
    """Cell text to OICP OpeningTimes objects, or None when the text does not fit the grammar."""
    if not re.fullmatch(opening_times_pattern(days, time_pattern), text.strip(), flags=re.ASCII):
        return None
    result: list[dict[str, Any]] = []
    for entry in LIST_SEPARATOR.split(text.strip()):
        day, *periods = entry.split()
        result.append(
            {
                "Period": [dict(zip(("begin", "end"), p.split("-"), strict=True)) for p in periods],
                "on": day,
            }
        )
    return result


def format_opening_times(opening_times: list[dict[str, Any]]) -> str:
    """OICP OpeningTimes objects to the cell text (the inverse of parse_opening_times)."""
    entries = []
    for item in opening_times:
        periods = " ".join(f"{p['begin']}-{p['end']}" for p in item["Period"])
        entries.append(f"{item['on']} {periods}")
    return "; ".join(entries)


def tidy(text: str) -> str:
    """`text` without whitespace at its ends and with single spaces inside: how `poicheck
    export` writes the texts of the rules of kind `spacing`."""
    return re.sub(DOUBLED, " ", text.strip(ENDS))


def tidied(values: pa.Array) -> pa.Array:
    """`tidy` of every value, vectorised."""
    return pc.replace_substring_regex(pc.ascii_trim_whitespace(values), DOUBLED, " ")
