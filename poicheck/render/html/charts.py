"""The report's charts: matplotlib figures as inline SVG (text kept as text, no fonts, images
or scripts from anywhere), so that the report works offline and even without JavaScript.

Figures are built with matplotlib's object API (no pyplot, no global state); settings apply
inside `rc_context` only. Chart ids are salted per chart so that the ids of several inline
SVGs never collide in one HTML document.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from poicheck.render.html.data import ReportData

# Okabe-Ito colours (readable with colour-vision deficiencies), one per status.
COLORS = {"error": "#D55E00", "warning": "#E69F00", "info": "#0072B2", "clean": "#009E73"}
MARKERS = {"error": "X", "warning": "^", "info": "s", "clean": "o"}
STATUSES = ("clean", "info", "warning", "error")  # drawn in this order: errors on top
SEVERITIES = ("error", "warning", "info")
# Above this many points the scatter is embedded as a raster image inside the SVG.
VECTOR_POINTS = 5_000
WIDTH = 7.5  # inches
RC = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    # Labels are data (column names, values): `$\\foo$` or `Fee $_$ total` is text, never
    # matplotlib mathtext, which would fail to parse it or render something else.
    "text.parse_math": False,
}
_PROLOG = re.compile(r"^.*?(?=<svg)", re.DOTALL)
_ID = re.compile(r'\sid="([^"]+)"')
_ID_ATTRIBUTE = re.compile(r'(?<=\s)id="([^"]+)"')
_REFERENCE = re.compile(r'(?:url\(#|href="#)([^")]+)')
_REFERENCE_SITE = re.compile(r'(url\(#|href="#)([^")]+)')


def _salt(kind: str, title: str) -> str:
    """A chart's id prefix (and matplotlib's hash salt): letters, digits and dashes."""
    return f"{kind}-" + re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()


@contextmanager
def _figure(salt: str, height: float) -> Iterator[Figure]:
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(cast("Any", {**RC, "svg.hashsalt": salt})):
        yield Figure(figsize=(WIDTH, height), layout="constrained")


def _svg(figure: Figure, label: str, prefix: str) -> str:
    buffer = io.StringIO()
    figure.savefig(
        buffer,
        format="svg",
        metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
    )
    svg = _PROLOG.sub("", buffer.getvalue(), count=1)
    # Links of the scatter's points stay in this page (matplotlib opens them in a new tab).
    svg = _scoped(svg.replace(' target="_blank"', ""), prefix)
    label = label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1).strip()


def _scoped(svg: str, prefix: str) -> str:
    """Ids unique in a page holding several charts: every id the SVG refers to gets the
    chart's prefix, the others (matplotlib names every group) are dropped."""
    defined = set(_ID.findall(svg))
    used = {name for name in _REFERENCE.findall(svg) if name in defined}

    def rename(match: re.Match[str]) -> str:
        name = match.group(1)
        return f'id="{prefix}-{name}"' if name in used else ""

    svg = _ID_ATTRIBUTE.sub(rename, svg)
    return _REFERENCE_SITE.sub(
        lambda m: f"{m.group(1)}{prefix}-{m.group(2)}" if m.group(2) in used else m.group(0), svg
    )


def _bar_height(count: int) -> float:
    return 0.9 + 0.24 * max(count, 1)


def severity_bars(title: str, labels: Sequence[str], counts: Mapping[str, Sequence[int]]) -> str:
    """Horizontal bars, one per label, stacked by severity (errors first)."""
    from matplotlib.ticker import MaxNLocator

    salt = _salt("bars", title)
    with _figure(salt, _bar_height(len(labels))) as figure:
        axes = figure.add_subplot()
        positions = list(range(len(labels)))
        left = [0] * len(labels)
        for severity in SEVERITIES:
            values = list(counts.get(severity, [0] * len(labels)))
            if any(values):
                axes.barh(positions, values, left=left, color=COLORS[severity], label=severity)
                left = [a + b for a, b in zip(left, values, strict=True)]
        axes.set_yticks(positions, labels=list(labels))
        axes.invert_yaxis()
        axes.set_xlabel("findings")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_title(title, loc="left")
        for position, total in zip(positions, left, strict=True):
            axes.annotate(
                f"{total}", (total, position), xytext=(3, 0), textcoords="offset points",
                va="center", fontsize=8,
            )  # fmt: skip
        if len(labels):
            axes.legend(loc="lower right", frameon=False)
        return _svg(figure, title, salt)


def percent_bars(title: str, values: dict[str, float], *, xlabel: str) -> str:
    """Horizontal bars from 0 to 100, each labelled with its value."""
    labels = list(values)
    salt = _salt("percent", title)
    with _figure(salt, _bar_height(len(labels))) as figure:
        axes = figure.add_subplot()
        shares = [values[label] for label in labels]
        colors = [_grade(share) for share in shares]
        axes.barh(range(len(labels)), shares, color=colors)
        axes.set_yticks(range(len(labels)), labels=labels)
        axes.invert_yaxis()
        axes.set_xlim(0, 108)
        axes.set_xticks([0, 25, 50, 75, 100])
        axes.set_xlabel(xlabel)
        axes.set_title(title, loc="left")
        for position, share in enumerate(shares):
            axes.annotate(
                f"{share:.1f}", (share, position), xytext=(3, 0), textcoords="offset points",
                va="center", fontsize=8,
            )  # fmt: skip
        return _svg(figure, title, salt)


def _grade(value: float) -> str:
    if value >= 90:
        return COLORS["clean"]
    return COLORS["warning"] if value >= 50 else COLORS["error"]


def coordinate_scatter(
    title: str,
    longitude: np.ndarray,
    latitude: np.ndarray,
    status: np.ndarray,
    links: np.ndarray,
) -> str:
    """EVSE positions (longitude, latitude) coloured by their worst finding; every point links
    to its EVSE's details (while the points are drawn as vectors)."""
    salt = _salt("scatter", title)
    with _figure(salt, 5.2) as figure:
        axes = figure.add_subplot()
        raster = len(longitude) > VECTOR_POINTS
        for name in STATUSES:
            chosen = status == name
            count = int(chosen.sum())
            if not count:
                continue
            points = axes.scatter(
                longitude[chosen],
                latitude[chosen],
                s=22 if name == "clean" else 34,
                c=COLORS[name],
                marker=MARKERS[name],
                label=f"{name} ({count})",
                edgecolors="white",
                linewidths=0.4,
                rasterized=raster,
                zorder=2 + STATUSES.index(name),
            )
            if not raster:
                points.set_urls([str(link) for link in links[chosen]])
        _geographic(axes, latitude)
        axes.set_xlabel("longitude (°)")
        axes.set_ylabel("latitude (°)")
        axes.set_title(title, loc="left")
        axes.grid(color="#dddddd", linewidth=0.5, zorder=0)
        axes.legend(loc="best", frameon=True, fontsize=8, title="worst finding")
        return _svg(figure, title, salt)


def _geographic(axes: Axes, latitude: np.ndarray) -> None:
    # One degree of longitude is cos(latitude) degrees of latitude long: keep shapes true.
    if len(latitude):
        middle = (float(latitude.min()) + float(latitude.max())) / 2
        axes.set_aspect(1 / max(math.cos(math.radians(middle)), 0.1), adjustable="datalim")


def render_all(data: ReportData) -> dict[str, str]:
    """Every chart of the report, by name, from the report's data (see `data.ReportData`)."""
    charts: dict[str, str] = {}
    if data.score is not None:
        charts["score"] = percent_bars("Data score and its parts", data.score_parts, xlabel="score")
    if data.rule_chart[0]:
        charts["rules"] = severity_bars("Findings per rule", *data.rule_chart)
    if data.field_chart[0]:
        charts["fields"] = severity_bars("Findings per field", *data.field_chart)
    if data.completeness:
        charts["completeness"] = percent_bars(
            "Completeness: share of EVSEs filling each optional property",
            data.completeness,
            xlabel="% of EVSEs",
        )
    if data.scatter is not None:
        charts["scatter"] = coordinate_scatter("EVSE positions by status", *data.scatter)
    return charts
