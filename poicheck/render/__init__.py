"""Renderers turn a Report into text for people or machines; picked by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from poicheck.report import Report

Renderer = Callable[..., str]


def renderers() -> dict[str, Renderer]:
    from poicheck.render import json as json_renderer
    from poicheck.render import text

    return {"text": text.render, "json": json_renderer.render}


def render(name: str, report: Report, **options: Any) -> str:
    return renderers()[name](report, **options)
