"""How one column of a foreign sheet becomes one or more canonical values (mapping, edition 2):
split (at a separator, the first or last space, or by a regular expression), items of a list
cell, value translations, unit factors, rounding and a default for empty cells.

Every conversion runs once per distinct cell text and is broadcast back to the rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from poicheck.mapping import fold, scaled

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
        distinct = np.asarray(uniques, dtype=object)
        if self.splits or self.values or self.items or self.factor is not None:
            done = [self.read(str(text)) for text in distinct]  # once per distinct text
            failed = np.array([d is None for d in done], dtype=bool)
            parts = [
                np.array([None if d is None else d[k] for d in done], dtype=object)
                for k in range(len(self.targets))
            ]
        else:  # rounding only: no Python per value
            failed = np.zeros(len(distinct), dtype=bool)
            parts = [distinct]
        out = []
        for values in parts:
            if self.places is not None:
                values = rounded_array(values, self.places)
            if self.default is not None:
                values = np.where(blank(values) & ~failed, self.default, values)
            out.append(values[codes])
        return out, failed[codes]

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
            return None
        whole = self.values.get(fold(text))
        if whole is not None:
            return whole
        separator = self.items or (";" if self.listed else None)
        if separator is None:
            return self._number(text)
        items = [item.strip() for item in text.split(separator)]
        return ";".join(self._number(self.values.get(fold(i), i)) for i in items if i)

    def _number(self, text: str) -> str:
        return scaled(text, self.factor) if self.factor is not None else text


def blank(values: np.ndarray) -> np.ndarray:
    """Per value, whether it is None or only spaces."""
    return np.asarray(pd.Series(values, dtype="str").fillna("").str.strip() == "", dtype=bool)


_PLAIN = r"^-?[0-9]{1,20}(?:[.,][0-9]{1,17})?$"
_AMBIGUOUS = r"^-?[0-9]+,[0-9]{3}$"  # 22,000: a thousands separator or a decimal comma
_SCALE = 17


def rounded_array(values: np.ndarray, places: int) -> np.ndarray:
    """Numbers rounded to at most `places` decimals (half away from zero, in exact decimal
    arithmetic), written without trailing zeros; a decimal comma is read as a point. Other
    text (and None) stays as it is. All values at once (pyarrow)."""
    text = pc.utf8_trim_whitespace(pa.array(values, type=pa.large_string(), from_pandas=True))
    plain = pc.and_(
        pc.match_substring_regex(text, _PLAIN),
        pc.invert(pc.match_substring_regex(text, _AMBIGUOUS)),
    )
    which = np.asarray(pc.fill_null(plain, False), dtype=bool)
    if not which.any():
        return values
    numbers = pc.replace_substring(pc.filter(text, pa.array(which)), ",", ".")
    exact = pc.cast(numbers, pa.decimal128(38, _SCALE))
    done = pc.round(exact, ndigits=places, round_mode="half_towards_infinity")
    written = pc.replace_substring_regex(pc.cast(done, pa.large_string()), r"0+$", "")
    written = pc.replace_substring_regex(written, r"\.$", "")
    written = pc.if_else(pc.equal(done, pa.scalar(0, done.type)), "0", written)
    out = values.copy()
    out[which] = np.asarray(written.to_numpy(zero_copy_only=False), dtype=object)
    return out


def rounded(text: str, places: int) -> str:
    """One text as `rounded_array` rounds it."""
    return str(rounded_array(np.array([text], dtype=object), places)[0])
