"""Check kinds: small vectorised functions that rules name and parameterise."""

from poicheck.checks.params import Param
from poicheck.checks.registry import (
    KINDS,
    Kind,
    SchemaPart,
    check_kind,
    get_kind,
    kind_names,
    register,
)

__all__ = [
    "KINDS",
    "Kind",
    "Param",
    "SchemaPart",
    "check_kind",
    "get_kind",
    "kind_names",
    "register",
]
