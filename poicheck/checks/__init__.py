"""Check kinds: small vectorised functions that rules name and parameterise."""

from poicheck.checks.registry import KINDS, Kind, get_kind, kind_names, register

__all__ = ["KINDS", "Kind", "get_kind", "kind_names", "register"]
