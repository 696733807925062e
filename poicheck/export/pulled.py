"""A delta pull as export input: the changes Hubject reported since LastCall, not every EVSE.

Hubject marks each record of a delta pull (eRoamingPullEvseData with LastCall, 03
EvseDataRecordType `deltaType`) as insert, update or delete. Such a file is not the operator's
whole data: a fullLoad of it would make Hubject delete every EVSE it does not list, and a delta
against `--previous` would plan those as deletions. Only an explicit insert or update (or
delete) of its records is what the file can mean; its `delete` records are EVSEs that no
longer exist, an error of rule EVS010 (consequence `deleted`), and left out like any record
with an error.
"""

from __future__ import annotations

from collections.abc import Sequence

from poicheck.errors import UsageError
from poicheck.export.model import FULL_LOAD, ExportOptions
from poicheck.table import CanonicalTable

DELTA_TYPE = "deltaType"


def check_delta_pull(tables: Sequence[CanonicalTable], options: ExportOptions) -> None:
    """Refuse a fullLoad or a planned delta of a delta pull (UsageError, exit 2)."""
    if options.action not in (None, FULL_LOAD):
        return
    how = "a delta against --previous" if options.previous and not options.action else "a fullLoad"
    for table in tables:
        if DELTA_TYPE not in table.frame.columns:
            continue
        marked = int(table.frame[DELTA_TYPE].fillna("").str.strip().ne("").sum())
        if marked:
            raise UsageError(
                f"a delta pull: {marked} record(s) carry a deltaType, the changes Hubject "
                f"reported since LastCall, not every EVSE; {how} of it would make Hubject "
                "delete every EVSE it does not list. Export the operator's whole data, or "
                "these records with --action insert or --action update",
                location=str(table.source.path),
            )
