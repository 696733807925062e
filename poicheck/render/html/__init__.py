"""The HTML compliance report: one self-contained file that works offline from disk.

Templating with Jinja2 (autoescaped), charts with matplotlib as inline SVG, the stylesheet
and the small script that sorts and filters the tables inlined from package data. No CDN,
no external script, font or image.
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from poicheck.results.report import Report

# Rows of the findings and EVSE tables, and EVSE detail cards, at most (the file stays usable).
LIMIT = 5_000
CARD_LIMIT = 500

__all__ = ["CARD_LIMIT", "LIMIT", "render_html"]


def _asset(name: str) -> str:
    return resources.files(__name__).joinpath("templates", name).read_text(encoding="utf-8")


def render_html(report: Report, *, title: str | None = None, limit: int = LIMIT) -> str:
    """The report as one HTML document.

    Args:
        report: the result of `poicheck.validate`.
        title: the page title (default "poicheck compliance report").
        limit: at most this many rows in the findings and EVSE tables (the most severe
            findings and the lowest-scoring EVSEs first); the report says what it left out.
    """
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
    from markupsafe import Markup

    from poicheck.render.html.charts import render_all
    from poicheck.render.html.data import build

    data = build(report, title=title, limit=limit)
    environment = Environment(
        loader=PackageLoader(__name__, "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["number"] = _number
    template = environment.get_template("report.html.j2")
    charts = {name: Markup(svg) for name, svg in render_all(data).items()}
    return template.render(
        data=data,
        charts=charts,
        style=Markup(_asset("report.css")),
        script=Markup(_asset("report.js")),
    )


def _number(value: float | int | None, digits: int = 1) -> str:
    """A score or count as a person reads it: 88.2, 100, 12,345."""
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:,.0f}"
