"""Where in the OCPI document each OICP value of each record came from, and findings pointed
there.

The checks compute a finding's JSON pointer in the OICP record they see (`/Address/City`).
For OCPI input the pointer that helps is the one into the user's document
(`/data/0/evses/1/connectors/0/max_voltage`): `Places.locate` rewrites the pointers of a
findings table by the finding's field (the OICP property, which the finding keeps), with the
table `locate` of the mapping file and a few bases per record (the Location, the EVSE, the
connector each charging facility came from...). It works per distinct field, on arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from poicheck.ocpi.mapping import Mapping
from poicheck.ruleset.reader_ids import JSON_LONE_SURROGATE

# Findings the OCPI reader made itself: their pointers are in the OCPI document already.
OWN_RULES = ("OCP", JSON_LONE_SURROGATE)
ITEMS = {"ChargingFacilities": "facility", "EnergySource": "energy_source"}


@dataclass(frozen=True)
class Where:
    """The OCPI nodes one record came from."""

    location: str
    evse: str
    coordinates: str
    directions: str | None
    image: str | None
    plugs: str
    facility: list[str]
    energy_source: list[str]


@dataclass
class Places:
    """`Where` of every record, as columns; and the pointers of the envelope's values."""

    mapping: Mapping
    rows: list[Where] = field(default_factory=list)
    envelope: dict[str, str] = field(default_factory=dict)

    def add(self, where: Where) -> None:
        self.rows.append(where)

    def locate(self, findings: pd.DataFrame) -> pd.DataFrame:
        """`findings` with the pointers of OICP values turned into OCPI pointers."""
        if findings.empty or not (self.rows or self.envelope):
            return findings
        pointers = findings["pointer"].to_numpy(dtype=object).copy()
        rules = findings["rule"].astype(str)
        own = rules.str.startswith(OWN_RULES).to_numpy()
        placed = findings["record"].notna().to_numpy()
        fields = findings["field"].fillna("").astype(str).to_numpy(dtype=object)
        for name, at in self.envelope.items():
            pointers[~placed & (fields == name)] = at
        chosen = placed & ~own
        if chosen.any():
            records = findings["record"].to_numpy(dtype="float64")
            for name in pd.unique(fields[chosen]):
                rows = np.flatnonzero(chosen & (fields == name))
                pointers[rows] = self.pointers(str(name), records[rows].astype(np.int64))
        out = findings.assign(pointer=pointers)
        out.attrs = {
            **findings.attrs,
            "notes": [*findings.attrs.get("notes", []), *self._notes(out)],
        }
        return out

    def _notes(self, findings: pd.DataFrame) -> list[str]:
        """A note naming the mandatory OICP values the OCPI data did not give."""
        wanted = (*self.mapping.without_source, *self.mapping.unsaid)
        missing = findings["value"].isna() & findings["record"].notna()
        named = set(findings.loc[missing, "field"].dropna().astype(str))
        lacking = [name for name in wanted if name in named]
        if not lacking:
            return []
        return [
            f"the OCPI data gives no {', '.join(lacking)}: OCPI has no field for them or does "
            "not say; give the operator's values in the configuration's ocpi.defaults "
            "(docs/ocpi.md)"
        ]

    def pointers(self, name: str, records: np.ndarray) -> np.ndarray:
        """The OCPI pointer of OICP field `name` (a canonical column) in each of `records`."""
        parts = name.split(".")
        if parts[0] in ITEMS and len(parts) > 1 and parts[1].isdigit():
            pattern = ".".join([parts[0], "*", *parts[2:]])
            base, suffix = self.mapping.locate.get(pattern, (ITEMS[parts[0]], ""))
            index = int(parts[1]) - 1
            bases = [self._item(row, base, index) for row in self._at(records)]
        else:
            base, suffix = self._entry(parts)
            bases = [getattr(row, base) for row in self._at(records)]
        evse = [row.evse for row in self._at(records)]
        return np.asarray(
            [b + suffix if b is not None else e for b, e in zip(bases, evse, strict=True)],
            dtype=object,
        )

    def _at(self, records: np.ndarray) -> list[Where]:
        return [self.rows[int(r)] for r in records]

    def _entry(self, parts: list[str]) -> tuple[str, str]:
        """The locate entry of a column or of the nearest property above it (an InfoText
        column `ChargingStationNames.en` is its list's); the EVSE for others."""
        for end in range(len(parts), 0, -1):
            found = self.mapping.locate.get(".".join(parts[:end]))
            if found is not None:
                return found
        return ("evse", "")

    @staticmethod
    def _item(row: Where, base: str, index: int) -> str | None:
        items: list[str] = getattr(row, base)
        return items[index] if index < len(items) else None
