"""Kinds for the hygiene of free texts: surrounding and doubled spaces (which `poicheck
export` repairs: `tidy`), control characters, and texts that match what they must not."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from poicheck.checks._arrow import full_match, passes
from poicheck.checks.params import REGEX, TYPE, Param
from poicheck.checks.registry import Params, check_kind
from poicheck.oicp.cells import DOUBLED, ENDS, tidied, tidy

# C0 controls but tab, line feed and carriage return, and DEL: not allowed in XML 1.0
# (2.2 Characters) and shown as nothing or garbage by most systems.
CONTROL = "[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F]"
CONTROL_NAMES = {0: "NUL", 7: "BEL", 8: "BS", 11: "VT", 12: "FF", 27: "ESC", 127: "DEL"}


def _spacing_hint(value: str, params: Params) -> str:
    problems = [
        name
        for name, found in (
            ("whitespace at its start", value != value.lstrip(ENDS)),
            ("whitespace at its end", value != value.rstrip(ENDS)),
            ("doubled spaces", re.search(DOUBLED, value) is not None),
        )
        if found
    ]
    return f"has {' and '.join(problems)}; poicheck export writes '{tidy(value)}'"


@check_kind(
    "spacing",
    "cell",
    describe=lambda params: "must have no spaces at its ends and no doubled spaces",
    message="{field} '{value}' {hint}",
    hint=_spacing_hint,
)
def _spacing(values: pa.Array, params: Params) -> np.ndarray:
    return passes(pc.equal(values, tidied(values)))


def shown(text: str) -> str:
    """`text` with its control characters written as \\xNN, safe to print."""
    return re.sub(CONTROL, lambda m: f"\\x{ord(m.group()):02x}", text)


def _control_hint(value: str, params: Params) -> str:
    found = dict.fromkeys(ord(c) for c in re.findall(CONTROL, value))
    names = ", ".join(
        f"U+{c:04X}" + (f" {CONTROL_NAMES[c]}" if c in CONTROL_NAMES else "") for c in found
    )
    return f"'{shown(value)}' holds the control character{'s' if len(found) > 1 else ''} {names}"


@check_kind(
    "control_characters",
    "cell",
    describe=lambda params: "must hold no control characters (NUL, BEL, ESC, ...)",
    message="{field} {hint}; XML and many systems reject control characters: remove it",
    hint=_control_hint,
)
def _control_characters(values: pa.Array, params: Params) -> np.ndarray:
    return passes(pc.invert(pc.match_substring_regex(values, CONTROL)))


@check_kind(
    "forbidden_pattern",
    "cell",
    params=(Param("pattern", REGEX, "what the value must not be", required=True), TYPE),
    describe=lambda params: f"must not match {params['pattern']}",
    message="{field} '{value}' must not match {pattern}",
)
def _forbidden_pattern(values: pa.Array, params: Params) -> np.ndarray:
    return passes(pc.invert(full_match(values, params["pattern"])))
