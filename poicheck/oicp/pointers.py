"""RFC 6901 JSON pointers from canonical columns, consistent with the table -> OICP conversion.

List items are compacted on conversion (an empty ChargingFacilities.1 with a filled
ChargingFacilities.2 becomes item 0), so an item's JSON index is the number of non-empty
items before it in that row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from poicheck.table import Layout

GEO_WIRE = {
    "DecimalDegree": {
        "Latitude": "/DecimalDegree/Latitude",
        "Longitude": "/DecimalDegree/Longitude",
    },
    "Google": {"Latitude": "/Google/Coordinates", "Longitude": "/Google/Coordinates"},
    "DegreeMinuteSeconds": {
        "Latitude": "/DegreeMinuteSeconds/Latitude",
        "Longitude": "/DegreeMinuteSeconds/Longitude",
    },
}


def escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


class PointerBuilder:
    """Builds pointers for many rows of one table at once, caching per-list item positions."""

    def __init__(
        self, frame: pd.DataFrame, layout: Layout, notations: dict[str, np.ndarray] | None = None
    ) -> None:
        self.frame = frame
        self.layout = layout
        self.notations = notations or {}
        self._positions: dict[str, dict[str, np.ndarray]] = {}

    def _item_positions(self, container: str) -> dict[str, np.ndarray]:
        if container not in self._positions:
            items = self.layout.items(container)
            filled = np.column_stack(
                [np.asarray(self.frame[list(cols)].notna().any(axis=1)) for cols in items.values()]
                or [np.zeros(len(self.frame), dtype=bool)]
            )
            before = np.cumsum(filled, axis=1) - filled
            self._positions[container] = {key: before[:, i] for i, key in enumerate(items)}
        return self._positions[container]

    def pointers(self, column: str, records: np.ndarray, leaf: str = "value") -> np.ndarray:
        """The pointer of `column` in each of `records` (0-based record indices)."""
        properties = self.layout.ruleset.properties
        parts = column.split(".")
        pieces: list[np.ndarray | str] = []
        i = 0
        while i < len(parts):
            path = ".".join(parts[: i + 1])
            shape = properties[path].shape if path in properties else "scalar"
            pieces.append("/" + escape(parts[i]))
            has_item = i + 1 < len(parts)
            if shape in ("object_list", "infotext_list") and has_item:
                positions = self._item_positions(path).get(parts[i + 1])
                index = positions[records] if positions is not None else np.zeros(len(records), int)
                pieces.append(np.char.add("/", index.astype(str)))
                if shape == "infotext_list":
                    pieces.append("/" + leaf)
                i += 2
            elif shape == "geo" and has_item:
                pieces.append(self._geo_piece(path, parts[i + 1], records))
                i += 2
            else:
                i += 1
        result = np.full(len(records), "", dtype=object)
        for piece in pieces:
            result = np.char.add(result.astype(str), piece)
        return result.astype(object)

    def _geo_piece(self, path: str, axis: str, records: np.ndarray) -> np.ndarray | str:
        notation = self.notations.get(path)
        if notation is None:
            return GEO_WIRE["DecimalDegree"][axis]
        wire = [GEO_WIRE.get(n, GEO_WIRE["DecimalDegree"])[axis] for n in notation[records]]
        return np.asarray(wire, dtype=str)
