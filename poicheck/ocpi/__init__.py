"""OCPI 2.2.1 Locations as OICP 2.3 EVSE data: what a CPO's OCPI master data becomes in OICP,
and whether Hubject would take it.

`poicheck.readers.json` hands a document that `detect.is_ocpi` recognises to
`reader.read_ocpi`, which converts every EVSE to one EvseDataRecord (`convert`, with the tables
of `rules/ocpi-2.2.1/mapping.yaml`; docs/ocpi.md) and flattens the records as the OICP JSON
reader does. From there on OCPI input is checked and exported like any other; findings point
into the OCPI document (`locate`). `defaults.with_defaults` fills what OCPI has no field for
(HotlinePhoneNumber, ...) from the configuration's `ocpi.defaults`.
"""

from __future__ import annotations

from poicheck.ocpi.detect import is_ocpi

__all__ = ["is_ocpi"]
