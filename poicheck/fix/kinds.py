"""Fix kinds: what `poicheck fix` can do to a value, registered by name like the check kinds.

Rules name a fix kind in their `fix:` entry (rules/oicp-2.3/*.yaml); the kinds are code. A
*cell* kind maps one value of the finding's field to its fixed text, or None when it has no
fix for that value. A *row* kind gets the cells of the columns it `reads` (the field, the
record's country or position) and returns the fixed cells (column -> text), or None. Either
runs once per distinct value or combination of the failing cells (poicheck.fix.propose),
never once per row.

A kind's parameters are the rule's own, resolved for the field as the check sees them (the
enumeration of its type, the country column), updated by the fix entry's `params`; the
property of the field is passed as `property`. Kinds propose only what makes the value valid
for its rule: a fix that would not resolve its finding is no fix.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

Params = Mapping[str, Any]
Cells = Mapping[str, str | None]
Reads = Callable[[str, Params], tuple[str, ...]]


@dataclass(frozen=True)
class FixKind:
    """A fix kind: its function and what it reads.

    `raw`: the value the file holds is the finding's (a reader's finding about how the value
    was stored); the fix writes the value as read. `wire`: the text stays, its JSON type is
    what changes (OICP JSON inputs only).
    """

    name: str
    scope: Literal["cell", "row"]
    func: Callable[..., Any]
    describe: str
    reads: Reads = field(default=lambda column, params: ())
    raw: bool = False
    wire: bool = False


FIX_KINDS: dict[str, FixKind] = {}


def register(kind: FixKind) -> FixKind:
    if kind.name in FIX_KINDS:
        raise ValueError(f"fix kind {kind.name!r} registered twice")
    FIX_KINDS[kind.name] = kind
    return kind


def get_fix_kind(name: str) -> FixKind:
    _load_row_kinds()
    return FIX_KINDS[name]


def fix_kind_names() -> list[str]:
    _load_row_kinds()
    return sorted(FIX_KINDS)


def _load_row_kinds() -> None:
    from poicheck.fix import rowkinds  # noqa: F401  (registers the row kinds)


# --- helpers ---------------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s_\-.]+")


def folded(text: str) -> str:
    """A value as a near miss reads it: width, case, spaces, `_`, `-` and `.` set aside
    (`mode 3`, `MODE-3` and `Mode_3` are one)."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).casefold()


def narrow(text: str) -> str:
    """Full-width digits, letters and signs as ASCII (`２２` -> `22`): NFKC for those only."""
    return "".join(
        unicodedata.normalize("NFKC", ch) if "\uff01" <= ch <= "\uff5e" else ch for ch in text
    )


INTEGER = re.compile(r"-?[0-9]+", re.ASCII)
DECIMAL = re.compile(r"-?[0-9]+\.[0-9]+", re.ASCII)


# --- cell kinds ------------------------------------------------------------------------------


def _near_miss(value: str, params: Params) -> str | None:
    """An enumeration value written otherwise (`local`, `Mode 3`): the one allowed value it
    folds to; for a `;`-separated list, item by item (each bad item needs exactly one)."""
    allowed = tuple(params.get("enum") or ())
    kept = set(allowed) | set(params.get("tolerate") or ())
    by_fold: dict[str, list[str]] = {}
    for option in allowed:
        by_fold.setdefault(folded(option), []).append(option)
    prop = params.get("property")
    listed = prop is not None and prop.shape == "list"
    items = [item.strip() for item in value.split(";")] if listed else [value.strip()]
    items = [item for item in items if item] or [""]  # an empty item between separators
    out = []
    for item in items:
        if item in kept:
            out.append(item)
            continue
        found = by_fold.get(folded(item), [])
        if len(found) != 1:
            return None
        out.append(found[0])
    fixed = ";".join(out)
    return fixed if fixed != value else None


register(
    FixKind(
        "enum_near_miss",
        "cell",
        _near_miss,
        "the one allowed value it differs from only in case, width, spaces, '_', '-' or '.'",
    )
)


def _upper_case(value: str, params: Params) -> str | None:
    upper = value.upper()
    return upper if upper != value else None


register(FixKind("upper_case", "cell", _upper_case, "written in upper case"))


def _integer_text(value: str, params: Params) -> str | None:
    """`22kW`, `２２`, `22 kW`, `22.0` -> `22`: full-width digits, the unit of the field (the
    rule's `units`) and a zero fraction removed; anything else is no fix."""
    text = narrow(value).strip()
    for unit in sorted(params.get("units", ()), key=len, reverse=True):
        if text.casefold().endswith(unit.casefold()):
            text = text[: -len(unit)].rstrip()
            break
    if re.fullmatch(r"-?[0-9]+\.0+", text):
        text = text.split(".")[0]
    if not INTEGER.fullmatch(text):
        return None
    return text if text != value else None


register(
    FixKind(
        "integer_text",
        "cell",
        _integer_text,
        "the whole number without its unit, full-width digits or '.0'",
    )
)


def _decimal_text(value: str, params: Params) -> str | None:
    """`48,208174` -> `48.208174`, full-width digits -> ASCII: a decimal comma or a
    full-width digit in a number that is otherwise plain."""
    text = narrow(value).strip()
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    if not DECIMAL.fullmatch(text):
        return None
    return text if text != value else None


register(
    FixKind(
        "decimal_text",
        "cell",
        _decimal_text,
        "a decimal point for its decimal comma, ASCII for full-width digits",
    )
)


def _round_decimals(value: str, params: Params) -> str | None:
    """A decimal with more than `max` decimals rounded to `max` (half to even, as `poicheck
    export` writes it): Excel's `49.3852714999999` is `49.385271`."""
    from poicheck.oicp.coordinates import format_decimal

    text = value.strip()
    if not DECIMAL.fullmatch(text):
        return None
    digits = int(params.get("max", 6))
    if len(text.split(".")[1]) <= digits:
        return None
    return format_decimal(text, digits)


register(
    FixKind(
        "round_decimals", "cell", _round_decimals, "rounded to the decimals OICP allows ({max})"
    )
)


def _country_alpha3(value: str, params: Params) -> str | None:
    """An ISO 3166-1 alpha-2 or alpha-3 code in any case (`DE`, `deu`) or a country's exact
    ISO name (`Germany`) -> its alpha-3 code (`DEU`)."""
    import pycountry

    text = value.strip()
    country = None
    if re.fullmatch(r"[A-Za-z]{2}", text):
        country = pycountry.countries.get(alpha_2=text.upper())
    elif re.fullmatch(r"[A-Za-z]{3}", text):
        country = pycountry.countries.get(alpha_3=text.upper())
    elif text:
        wanted = text.casefold()
        country = next(
            (
                c
                for c in pycountry.countries
                if wanted in {str(getattr(c, a, "")).casefold() for a in ("name", "common_name")}
            ),
            None,
        )
    code = str(country.alpha_3) if country is not None else None
    return code if code and code != value else None


register(
    FixKind(
        "country_alpha3",
        "cell",
        _country_alpha3,
        "the ISO 3166-1 alpha-3 code of the alpha-2 code or country name",
    )
)


def _spacing(value: str, params: Params) -> str | None:
    from poicheck.oicp.cells import tidy

    fixed = tidy(value)
    return fixed if fixed and fixed != value else None


register(
    FixKind("spacing", "cell", _spacing, "spaces at the ends removed, doubled spaces made single")
)

# `8:00` (a one-digit hour) and the spaces around the '-' of a period.
_SHORT_HOUR = re.compile(r"(?<![0-9:])([0-9]):([0-5][0-9])(?![0-9])", re.ASCII)
_PERIOD_DASH = re.compile(r"([0-9]{2}:[0-9]{2})[ ]*[-\u2013\u2014][ ]*([0-9]{2}:[0-9]{2})")


def _clock_times(value: str, params: Params) -> str | None:
    """OpeningTimes with `8:00` for `08:00`, `08:00 - 18:00` or an en dash for
    `08:00-18:00`, full-width digits; only when the result fits the OICP grammar."""
    from poicheck.oicp.cells import opening_times_pattern as cell_pattern

    text = _SHORT_HOUR.sub(r"0\1:\2", narrow(value))
    text = _PERIOD_DASH.sub(r"\1-\2", text).strip()
    days, time = params.get("days"), params.get("time_pattern")
    if days is None or time is None:
        return None
    if not re.fullmatch(cell_pattern(tuple(days), time), text, flags=re.ASCII):
        return None
    return text if text != value else None


register(
    FixKind("clock_times", "cell", _clock_times, "times written HH:MM-HH:MM ('8:00' is '08:00')")
)

_PHONE_SEPARATORS = re.compile(r"[\s\-./()\u00a0]+")


def international(text: str, region: str | None = None) -> str | None:
    """A phone number as OICP writes it (`+` and digits, E.164), when phonenumbers finds it
    valid; `region` (alpha-2) reads a national number. None when it is not certain."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def phone_digits(value: str) -> str:
    """A phone number without the separators people write (`+41 44 520 88 00`, `(0)`)."""
    return _PHONE_SEPARATORS.sub("", narrow(value).strip().replace("(0)", ""))


def _phone_format(value: str, params: Params) -> str | None:
    """An international number written with separators (`+41 44 520 88 00`), with `00` for
    `+` or with a national `(0)`: `+` and digits, when the number is valid for its country
    calling code."""
    text = phone_digits(value)
    if text.startswith("00"):
        text = "+" + text[2:]
    if not re.fullmatch(r"\+[0-9]{5,15}", text, flags=re.ASCII):
        return None
    fixed = international(text)
    return fixed if fixed and fixed != value else None


register(
    FixKind(
        "phone_format",
        "cell",
        _phone_format,
        "'+' and digits of a valid international number (separators removed, '00' as '+')",
    )
)


def _boolean_word(value: str, params: Params) -> str | None:
    from poicheck.oicp.cells import BOOLEAN_WORDS

    meant = BOOLEAN_WORDS.get(value.strip().casefold())
    return meant if meant is not None and meant != value else None


register(
    FixKind(
        "boolean_word",
        "cell",
        _boolean_word,
        "true or false for a yes/no word (ja, oui, 1, ...)",
    )
)


def _replace_value(value: str, params: Params) -> str | None:
    """A known wrong value and its right one, listed in the rule file (`values`)."""
    replacements = {str(k): str(v) for k, v in (params.get("values") or {}).items()}
    text = value.strip()
    try:
        number = Decimal(text)
        key = str(int(number)) if number == number.to_integral_value() else str(number)
    except (InvalidOperation, ValueError):
        key = text
    fixed = replacements.get(text, replacements.get(key))
    return fixed if fixed is not None and fixed != value else None


register(
    FixKind(
        "replace_value", "cell", _replace_value, "a listed wrong value replaced by its right one"
    )
)


def _as_read(value: str, params: Params) -> str | None:
    return value  # the value as read (the reader's cleaning); see FixKind.raw


register(
    FixKind(
        "as_read",
        "cell",
        _as_read,
        "written as poicheck reads it (invisible characters and stray spaces removed)",
        raw=True,
    )
)


def wire_value(prop: Any, text: str) -> Any:
    """The JSON value a cell's text stands for on the wire (a list, a typed scalar), or the
    text itself when it stands for nothing else."""
    from poicheck.oicp.to_json import typed
    from poicheck.oicp.wire import LIST_SEPARATOR

    if prop.shape == "list":
        return [item for item in LIST_SEPARATOR.split(text.strip()) if item]
    if prop.shape == "scalar":
        return typed(prop, text)
    return text


def _wire_type(value: str, params: Params) -> str | None:
    """A value sent as the wrong JSON type (`"true"` for true, `"22"` for 22, a string for a
    list): the same text, written as the type OICP takes."""
    from poicheck.oicp.wire import expected_type, fits, found_type

    prop = params.get("property")
    if prop is None or prop.shape not in ("scalar", "list"):
        return None
    meant = wire_value(prop, value)
    if found_type(meant) != expected_type(prop):
        return None
    if isinstance(meant, str) and not fits(prop, meant):
        return None
    if isinstance(meant, list) and not all(fits(prop, item) for item in meant):
        return None
    return value


register(
    FixKind(
        "wire_type",
        "cell",
        _wire_type,
        "the same value written as the JSON type OICP takes",
        wire=True,
    )
)
