"""How one column of a foreign sheet becomes one or more canonical values (mapping, edition 2):
split (at a separator, the first or last space, or by a regular expression), items of a list
cell, value translations, unit factors, rounding and a default for empty cells.

Every conversion runs once per distinct cell text and is broadcast back to the rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import numpy as np
import pandas as pd

from poicheck.mapping import NUMBER, fold, scaled

SPACES = ("first space", "last space")


@dataclass(frozen=True)
class Conversion:
    """The reading of one column into `targets` (one value each per cell)."""

    targets: tuple[str, ...]
    values: Mapping[str, str] = field(default_factory=dict)  # folded spelling -> value
    factor: Decimal | None = None
    places: int | None = None  # round to at most this many decimals
    items: str | None = None  # separator of the items inside a cell
    listed: bool = False  # the target is a ';'-separated list
    split: str | None = None  # a separator, or 'first space' / 'last space'
    pattern: re.Pattern[str] | None = None
    default: str | None = None

    @property
    def converts(self) -> bool:
        """Whether the cell's text changes on the way (its native value no longer applies)."""
        return bool(
            self.values
            or self.factor is not None
            or self.places is not None
            or self.items is not None
            or self.splits
        )

    @property
    def splits(self) -> bool:
        return self.split is not None or self.pattern is not None

    @property
    def how(self) -> str:
        """How the cell is split, as the TBL013 message says it."""
        if self.pattern is not None:
            return self.pattern.pattern
        return self.split or ""

    def apply(self, cells: pd.Series) -> tuple[list[np.ndarray], np.ndarray]:
        """Per target, the values of `cells` (object arrays, None for empty), and per cell
        whether it could not be split."""
        codes, uniques = pd.factorize(cells.fillna("").astype(object), sort=False)
        done = [self.read(str(text)) for text in uniques]  # once per distinct text
        failed = np.append(np.array([d is None for d in done], dtype=bool), False)[codes]
        out = []
        for k in range(len(self.targets)):
            values = [None if d is None else d[k] for d in done]
            per_value = np.array([*values, self.default], dtype=object)
            out.append(per_value[codes])
        return out, failed

    def read(self, text: str) -> tuple[str | None, ...] | None:
        """The targets' values of one cell (None for empty), or None when it cannot be split."""
        parts = self._parts(text)
        if parts is None:
            return None
        return tuple(self._value(part) for part in parts)

    def _parts(self, text: str) -> list[str] | None:
        count = len(self.targets)
        if not text.strip():
            return [""] * count
        if not self.splits:
            return [text]
        if self.pattern is not None:
            match = self.pattern.search(text)
            if match is None:
                return None
            groups = match.groups() if self.pattern.groups else (match.group(0),)
            return [g or "" for g in groups]
        stripped = text.strip()
        if self.split == "first space":
            pieces = stripped.split(None, 1)
        elif self.split == "last space":
            pieces = stripped.rsplit(None, 1)
        else:
            assert self.split is not None
            between = r"\s+" if not self.split.strip() else rf"\s*{re.escape(self.split)}\s*"
            pieces = re.split(between, stripped)
        return pieces if len(pieces) == count else None

    def _value(self, text: str) -> str | None:
        if not text.strip():
            return self.default
        whole = self.values.get(fold(text))
        if whole is not None:
            return whole
        separator = self.items or (";" if self.listed else None)
        if separator is None:
            return self._number(text)
        items = [item.strip() for item in text.split(separator)]
        return ";".join(self._number(self.values.get(fold(i), i)) for i in items if i)

    def _number(self, text: str) -> str:
        if self.factor is not None:
            text = scaled(text, self.factor)
        if self.places is not None:
            text = rounded(text, self.places)
        return text


def rounded(text: str, places: int) -> str:
    """A number rounded to at most `places` decimals (half away from zero), written without
    exponent or trailing zeros; text that is not a plain number (or is ambiguous, like
    22,000) stays as it is. A decimal comma is read as a decimal point."""
    match = NUMBER.fullmatch(text.strip())
    if match is None:
        return text
    whole, mark, fraction = match.groups()
    if mark == "," and len(fraction) == 3:
        return text  # a thousands separator or a decimal comma: not certain
    try:
        number = Decimal(f"{whole}.{fraction}" if fraction else whole)
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return text
    result = format(number.normalize(), "f")
    return "0" if result in ("-0", "0") else result
