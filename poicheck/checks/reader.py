"""The `reader` kind: rules about raw input structure, executed by the readers themselves.

The readers report what only they can see (JSON wire types, unknown properties, duplicate
columns) as raw findings naming these rules; the engine renders them like all others.
"""

from __future__ import annotations

from poicheck.checks.params import INTEGER, Param
from poicheck.checks.registry import Kind, register

# No function to decorate: the readers run these rules (poicheck.ruleset.reader_ids).
register(
    Kind(
        name="reader",
        scope="reader",
        func=None,
        params=(
            Param(
                "per_file",
                INTEGER,
                "report the finding once per file, with its rows, from this many records on",
            ),
        ),
        describe=lambda params: "is checked while the input is read",
        message="{field}: {hint}",
    )
)
