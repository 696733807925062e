"""poicheck: check EV charging-point master data against OICP 2.3 before pushing it to Hubject.

The public API is imported lazily so that `poicheck --help` does not pay for pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from poicheck.version import __version__

if TYPE_CHECKING:
    from poicheck.api import validate
    from poicheck.results.report import FileResult, Finding, Report
    from poicheck.ruleset.loader import load_ruleset

__all__ = ["FileResult", "Finding", "Report", "__version__", "load_ruleset", "validate"]


def __getattr__(name: str) -> Any:
    if name == "validate":
        from poicheck.api import validate

        return validate
    if name in ("Finding", "Report", "FileResult"):
        from poicheck.results import report

        return getattr(report, name)
    if name == "load_ruleset":
        from poicheck.ruleset.loader import load_ruleset

        return load_ruleset
    raise AttributeError(f"module 'poicheck' has no attribute {name!r}")
