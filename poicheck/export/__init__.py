"""Push-ready eRoamingPushEvseData payloads: exact OICP JSON, ActionType semantics, batches,
a manifest in sending order, and a delta planner against what was pushed before.

```python
from poicheck.export import ExportOptions, build_export, write_export

export = build_export("evse.xlsx", ExportOptions(operator_id="DE*PCK", operator_name="Demo"))
write_export(export, "out")      # out/0001-fullLoad.json, out/manifest.json, out/snapshot.json
```

The names are imported lazily, so that `poicheck --help` (whose options name the ActionTypes)
does not pay for pandas.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from poicheck.export.model import (
        ACTIONS,
        DEFAULT_BATCH_SIZE,
        Changes,
        Excluded,
        Export,
        ExportOptions,
        PayloadFile,
        Reason,
    )
    from poicheck.export.ownership import Operator018Error
    from poicheck.export.run import build_export
    from poicheck.export.write import summary, write_export

_WHERE = {
    "ACTIONS": "model",
    "DEFAULT_BATCH_SIZE": "model",
    "Changes": "model",
    "Excluded": "model",
    "Export": "model",
    "ExportOptions": "model",
    "PayloadFile": "model",
    "Reason": "model",
    "Operator018Error": "ownership",
    "build_export": "run",
    "summary": "write",
    "write_export": "write",
}
__all__ = [
    "ACTIONS",
    "DEFAULT_BATCH_SIZE",
    "Changes",
    "Excluded",
    "Export",
    "ExportOptions",
    "Operator018Error",
    "PayloadFile",
    "Reason",
    "build_export",
    "summary",
    "write_export",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'poicheck.export' has no attribute {name!r}")
    return getattr(import_module(f"poicheck.export.{module}"), name)
