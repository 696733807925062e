"""Renderers turn a Report into text for people or machines; picked by name.

The registry names modules, not functions, so that listing the formats (for `--format`)
imports nothing heavy: `poicheck --help` must not pull in pandas.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from poicheck.results.report import Report

Renderer = Callable[..., str]

# name -> module with `render(report, **options) -> str`; the first is the default.
RENDERERS = {
    "text": "poicheck.render.text",
    "json": "poicheck.render.json",
    "sarif": "poicheck.render.sarif",
    "junit": "poicheck.render.junit",
    "github": "poicheck.render.github",
    "markdown": "poicheck.render.markdown",
}


def renderer_names() -> tuple[str, ...]:
    """The output formats, the default first (imports no renderer)."""
    return tuple(RENDERERS)


def renderers() -> dict[str, Renderer]:
    """Every renderer by name."""
    return {name: import_module(module).render for name, module in RENDERERS.items()}


def render(name: str, report: Report, **options: Any) -> str:
    """Render `report` in format `name`; renderers ignore options they do not know."""
    renderer: Renderer = import_module(RENDERERS[name]).render
    return renderer(report, **options)
