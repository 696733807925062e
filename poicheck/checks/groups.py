"""The EVSEs of one station or pool stand together (IDN004, IDN005), and when they do not, the
finding goes to the member that is wrong (issue 15).

A member whose own findings explain the disagreement (the rule's `evidence`: an address
field that is empty or malformed, a position outside its country, swapped or a placeholder)
is set aside: the group's position and address are taken from the other members, and every
member (set aside or not) that differs from them is reported. A correct sibling of a culprit
is then not reported. Without evidence the majority decides; a group in which no position or
address has a majority is reported on every member, worded as such. Everything is computed
on integer codes per row; the evidence rules run only on the members of disagreeing groups.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from poicheck.checks.context import CheckContext
from poicheck.checks.frame import stripped
from poicheck.checks.geo import POSITION, coordinates
from poicheck.checks.params import BOOLEAN, NUMBER, RULE_IDS, Param
from poicheck.checks.registry import Params, RowResult, check_kind, get_kind
from poicheck.oicp.coordinates import haversine

ADDRESS_PARTS = ("Street", "HouseNum", "PostalCode", "City")


@dataclass(frozen=True)
class Members:
    """Per row its group (-1: none or alone), and per group the number of members."""

    group: np.ndarray
    groups: int

    def of(self, per_group: np.ndarray, empty: float = -1) -> np.ndarray:
        """A per-group array read at each row (`empty` where the row has no group)."""
        if not self.groups:
            return np.full(len(self.group), empty)
        return np.where(self.group >= 0, per_group[np.maximum(self.group, 0)], empty)

    def count(self, rows: np.ndarray) -> np.ndarray:
        """How many of the `rows` (a mask) each group has."""
        return np.bincount(self.group[rows & (self.group >= 0)], minlength=self.groups)


@check_kind(
    "group_together",
    "row",
    across_rows=True,
    reads=(
        f"{POSITION}.Latitude",
        f"{POSITION}.Longitude",
        *(f"Address.{part}" for part in ADDRESS_PARTS),
    ),
    params=(
        Param("max_distance", NUMBER, "metres from the group's position", required=True),
        Param(
            "compare_address",
            BOOLEAN,
            "also compare the members' addresses with the group's",
            default=False,
        ),
        Param(
            "evidence",
            RULE_IDS,
            "rules whose findings on a member explain a difference (it is blamed)",
            default=(),
        ),
    ),
    describe=lambda params: (
        f"EVSEs sharing it must share an address, within {params['max_distance']} m"
        + (
            "; a member whose own findings explain a difference is blamed, not its siblings"
            if params.get("evidence")
            else ""
        )
    ),
    message="{field} '{value}': {reason}",
)
def _group_together(
    frame: pd.DataFrame, field: str, params: Params, layout: CheckContext
) -> RowResult:
    """EVSEs sharing a station or pool ID stand within `max_distance` metres of the group's
    median position and, with `compare_address`, at the group's majority address; members
    with `evidence` are judged against the others (module docstring)."""
    codes = folded_codes(frame, field, layout, fold=False)
    groups = int(codes.max(initial=-1)) + 1
    size = np.bincount(codes[codes >= 0], minlength=groups)
    alone = np.append(size, 0)[codes] <= 1  # a row without a group (-1) picks the 0 at the end
    members = Members(np.where(alone, -1, codes), groups)
    lat, lon = coordinates(frame, POSITION, layout)
    # A position outside the globe is GEO003/GEO004's finding; it does not count here.
    outside = (np.abs(lat) > 90) | (np.abs(lon) > 180)
    lat, lon = np.where(outside, np.nan, lat), np.where(outside, np.nan, lon)
    address = _address(frame, layout) if params.get("compare_address") else None
    everyone = members.group >= 0
    off = _judged(members, lat, lon, address, (everyone, everyone), params)
    if params.get("evidence"):
        disagree = np.zeros(groups, dtype=bool)
        disagree[members.group[off.any]] = True
        suspects = np.flatnonzero(members.of(disagree, 0).astype(bool))
        marks = _evidence(frame, suspects, params["evidence"], layout)
        either = marks[POSITION] | marks["Address"]
        if either.any():
            # A difference in position is explained first by a finding about the position,
            # one in the address by a finding about the address; a group whose members have
            # none of these takes any evidence (a wrong country code, a postal code of
            # another country: the position may have been looked up from them).
            reference = tuple(
                everyone & ~_preferred(members, marks[aspect], either)
                for aspect in (POSITION, "Address")
            )
            off = _judged(members, lat, lon, address, reference, params)
    return ~off.any, {"reason": off.reasons(field)}


def _preferred(members: Members, own: np.ndarray, either: np.ndarray) -> np.ndarray:
    """Per row, its `own` evidence where its group has any, else `either`."""
    has_own = members.of(members.count(own) > 0, 0).astype(bool)
    out: np.ndarray = np.where(has_own, own, either)
    return out


@dataclass(frozen=True)
class Off:
    """Per row: far from its group's position (metres), at another address, and whether no
    position / address of its group has a majority; per row its group's size."""

    far: np.ndarray
    metres: np.ndarray
    elsewhere: np.ndarray
    tie_far: np.ndarray
    tie_address: np.ndarray
    size: np.ndarray

    @property
    def any(self) -> np.ndarray:
        out: np.ndarray = self.far | self.elsewhere
        return out

    def reasons(self, field: str) -> np.ndarray:
        """The message's reason at the failing rows ("" elsewhere)."""
        reason = np.full(len(self.far), "", dtype=object)
        cases = [
            (self.elsewhere & ~self.tie_address, "its address differs from that of the other {g}"),
            (self.elsewhere & self.tie_address, "{n} {g} have different addresses{none}"),
            (self.far & ~self.tie_far, "it stands {m} m from the other {g}"),
            (self.far & self.tie_far, "{n} {g} stand apart ({m} m from their middle){none}"),
        ]
        for mask, text in cases:
            rows = np.flatnonzero(mask)
            reason[rows] = [
                text.format(
                    g=f"EVSEs with this {field}",
                    m=int(m),
                    n="these two" if n == 2 else f"the {n}",
                    none="; one of them is wrong"
                    if n == 2
                    else "; none agrees with most of the others, so the data cannot say "
                    "which one is wrong",
                )
                for n, m in zip(self.size[rows], self.metres[rows].round(), strict=True)
            ]
        return reason


def _judged(
    members: Members,
    lat: np.ndarray,
    lon: np.ndarray,
    address: np.ndarray | None,
    reference: tuple[np.ndarray, ...],
    params: Params,
) -> Off:
    """Which members differ from the position and the address of their group's reference
    members (`reference`: for the position, for the address; all members in a group
    without any)."""
    grouped = members.group >= 0
    centre_lat, centre_lon = _centre(members, np.where(reference[0], members.group, -1), lat, lon)
    metres = np.zeros(len(lat))
    # Most EVSEs stand at their group's median position: the distance is computed elsewhere.
    moved = np.flatnonzero(grouped & ((lat != centre_lat) | (lon != centre_lon)))
    metres[moved] = np.nan_to_num(
        haversine(lat[moved], lon[moved], centre_lat[moved], centre_lon[moved])
    )
    far = grouped & (metres > params["max_distance"])
    placed = grouped & ~np.isnan(lat) & ~np.isnan(lon)
    tie_far = members.of(members.count(far) == members.count(placed), 0).astype(bool)
    elsewhere = np.zeros(len(lat), dtype=bool)
    tie_address = np.zeros(len(lat), dtype=bool)
    if address is not None:
        shared = np.where(reference[1], members.group, -1)
        majority = _majority(shared, address, members.groups)
        fallback = _majority(members.group, address, members.groups)
        majority = np.where(majority == -2, fallback, majority)
        wanted = members.of(majority)
        elsewhere = grouped & (wanted != -2) & (address != wanted) & ~far
        tie_address = grouped & (wanted == -1)
    size = members.of(members.count(grouped), 0)
    return Off(far, metres, elsewhere, tie_far & far, tie_address & elsewhere, size)


def _aspect(column: str) -> str:
    """What a column tells of a member that a group compares: its position (GeoCoordinates),
    its address (Address), or nothing ("": the entrance, the operator...)."""
    head = column.split(".")[0]
    return head if head in (POSITION, "Address") else ""


def _centre(
    members: Members, shared: np.ndarray, lat: np.ndarray, lon: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the median position of its group's `shared` members (of all its members
    where none of those has a position)."""
    if not members.groups:
        return lat, lon
    out = []
    for values in (lat, lon):
        medians = _medians(shared, values, members.groups)
        every = _medians(members.group, values, members.groups)
        out.append(members.of(np.where(np.isnan(medians), every, medians), np.nan))
    return out[0], out[1]


def _evidence(
    frame: pd.DataFrame, rows: np.ndarray, rule_ids: list[str], layout: CheckContext
) -> dict[str, np.ndarray]:
    """Per aspect (POSITION, "Address"), the `rows` that a rule of `rule_ids` reports on a
    field of that aspect: reader rules from the findings the readers made
    (`layout.flagged`), the others run here on `rows` only."""
    from poicheck.engine.binding import bind, failures

    found = {aspect: np.zeros(len(frame), dtype=bool) for aspect in (POSITION, "Address", "")}
    if not len(rows):
        return found
    asked = np.zeros(len(frame), dtype=bool)
    asked[rows] = True
    for name, records in layout.flagged.items():
        rule_id, _, column = name.partition("|")
        if rule_id in rule_ids:
            found[_aspect(column)][records] = True
    known = [layout.ruleset.rules[i] for i in rule_ids if i in layout.ruleset.rules]
    rules = [r for r in known if get_kind(r.kind).scope != "reader"]
    # A rule that compares rows (a point shared with another station) judges a member only
    # among all rows; the others run on the suspects alone.
    across = [r for r in rules if get_kind(r.kind).across_rows]
    local = [r for r in rules if not get_kind(r.kind).across_rows]
    for chosen, positions in ((local, rows), (across, np.arange(len(frame)))):
        if not chosen:
            continue
        part = frame.iloc[positions].reset_index(drop=True)
        own = CheckContext(part.columns, layout.ruleset)
        own.operator_ids = layout.operator_ids
        bindings = bind(layout.ruleset.with_rules(chosen), own, "record")
        failed = failures(part, [b for b in bindings if _aspect(b.column)], own)
        # One name per failing member and rule: `<rule id>|<column>`.
        names = failed["check"].tolist()
        aspects = np.array([_aspect(n.partition("|")[2]) for n in names], dtype=object)
        at = positions[failed["index"].to_numpy(dtype=np.int64)]
        for aspect in (POSITION, "Address"):
            found[aspect][at[aspects == aspect]] = True
    return {aspect: mask & asked for aspect, mask in found.items()}


def _medians(codes: np.ndarray, values: np.ndarray, groups: int) -> np.ndarray:
    """The median of `values` (NaN left out) per group code (negative codes left out), as
    pandas computes it: the middle value, or the mean of the two middle ones. Most groups
    (the EVSEs of one station) share one position: only the others are sorted."""
    kept = (codes >= 0) & ~np.isnan(values)
    code, value = codes[kept], values[kept]
    low = np.full(groups, np.inf)
    high = np.full(groups, -np.inf)
    np.minimum.at(low, code, value)
    np.maximum.at(high, code, value)
    medians = np.where(low == high, low, np.nan)
    spread = np.flatnonzero(low < high)
    if len(spread):
        rows = np.isin(code, spread)
        code, value = code[rows], value[rows]
        order = np.lexsort((value, code))
        code, value = code[order], value[order]
        count = np.bincount(code, minlength=groups)
        start = np.cumsum(count) - count
        has = count > 0
        lower = start[has] + (count[has] - 1) // 2
        upper = start[has] + count[has] // 2
        medians[has] = (value[lower] + value[upper]) / 2
    return medians


def _address(frame: pd.DataFrame, layout: CheckContext) -> np.ndarray:
    """Street, number, postal code and city as one integer per row (equal when all four
    are equal, case and surrounding spaces ignored), for comparing the addresses of a
    group; built once per table."""

    def compute() -> np.ndarray:
        address = np.zeros(len(frame), dtype=np.int64)
        for part in ADDRESS_PARTS:
            codes = folded_codes(frame, f"Address.{part}", layout, fold=True) + 1
            address = pd.factorize(address * (int(codes.max(initial=0)) + 1) + codes)[0]
        return address.astype(np.int64)

    return layout.memo("address", compute)


def casefolded(texts: pa.Array) -> pa.Array:
    """Python's casefold (ß -> ss), which pyarrow has not; for ASCII texts it is lower(),
    which pyarrow does at C speed, so only the others go through Python."""
    lowered = pc.ascii_lower(texts)
    other = pc.invert(pc.string_is_ascii(texts))
    if not pc.any(other).as_py():
        return lowered
    folded = [str(t).casefold() for t in pc.filter(texts, other).to_pylist()]
    return pc.replace_with_mask(lowered, other, pa.array(folded, pa.large_string()))


def folded_codes(
    frame: pd.DataFrame, column: str, layout: CheckContext, *, fold: bool
) -> np.ndarray:
    """Per row, an integer standing for the column's stripped (and with `fold`, case-folded)
    text: equal texts, equal integers; -1 for an empty cell or an absent column."""
    if column not in frame.columns:
        return np.full(len(frame), -1, dtype=np.int64)
    cells = stripped(frame, column, layout)
    texts = casefolded(cells.values) if fold else cells.values
    encoded = pc.dictionary_encode(texts)
    number = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    blank = np.flatnonzero(np.asarray(pc.equal(encoded.dictionary, "")))
    number[np.isin(number, blank)] = -1
    return np.append(number, -1)[cells.codes]  # an empty cell (-1) picks -1


def _majority(codes: np.ndarray, values: np.ndarray, groups: int) -> np.ndarray:
    """Per group, the single most frequent of `values` (non-negative integers) among its
    rows (codes not negative): -1 when two or more are most frequent, -2 without rows.
    Counted on integer pairs, with no per-group Python."""
    majority = np.full(groups, -2, dtype=np.int64)
    rows = np.flatnonzero(codes >= 0)
    if not len(rows):
        return majority
    width = int(values.max(initial=0)) + 1
    pair = codes[rows].astype(np.int64) * width + values[rows]
    pairs, count = np.unique(pair, return_counts=True)
    key = pairs // width
    most = np.zeros(groups, dtype=np.int64)
    np.maximum.at(most, key, count)
    top = count == most[key]
    ties = np.bincount(key[top], minlength=groups)
    majority[key[top]] = np.where(ties[key[top]] == 1, pairs[top] % width, -1)
    return majority
