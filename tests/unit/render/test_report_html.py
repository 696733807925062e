"""The HTML compliance report: one self-contained file (no external reference), its charts,
tables and per-EVSE details, `poicheck report` end to end, and a headless-browser smoke test."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from poicheck import validate
from poicheck.cli import cli
from poicheck.cli import report as _report  # noqa: F401  (registers the command)
from poicheck.render.html import render_html
from poicheck.render.html.charts import VECTOR_POINTS, coordinate_scatter
from poicheck.results.report import Report
from poicheck.results.score import completeness_shares
from tests.records import VALID_CELLS, frame_of

pytestmark = pytest.mark.slow  # its fixtures take seconds: not in the quick loop

ROOT = Path(__file__).resolve().parents[3]
INVALID = "samples/invalid/evse-invalid.csv"
INVALID_JSON = "samples/invalid/evse-invalid.json"
VALID_XLSX = "samples/valid/evse-valid.xlsx"
OPERATOR = {
    "operator_id": "DE*PCK",
    "operator_name": "PoiCheck Demo Hub",
    "sub_operator_ids": ["AT*VLT", "FR*ELC", "NL*GRN", "CH*ALP", "IT*COR"],
}
# Attributes that make a browser fetch something.
FETCHING = {"src", "href", "xlink:href", "srcset", "action", "data", "poster", "background"}


class Page(HTMLParser):
    """Every element's tag and attributes, and the text of <style> and <script> elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.styles: list[str] = []
        self.scripts: list[str] = []
        self._in = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        self._in = tag

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        self._in = ""

    def handle_data(self, data: str) -> None:
        if self._in == "style":
            self.styles.append(data)
        elif self._in == "script":
            self.scripts.append(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def section(html: str, element_id: str) -> str:
    """The markup of the element with this id (up to the next chart or section)."""
    start = html.index(f'id="{element_id}"')
    end = html.find('<div class="chart"', start + 1)
    following = html.find("<section", start + 1)
    ends = [e for e in (end, following) if e > 0]
    return html[start : min(ends) if ends else len(html)]


@pytest.fixture(scope="module")
def report() -> Report:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        return validate([INVALID, INVALID_JSON, VALID_XLSX], **OPERATOR)


@pytest.fixture(scope="module")
def html(report: Report) -> str:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        patch.setenv("SOURCE_DATE_EPOCH", "1767225600")
        return render_html(report)


@pytest.mark.slow
def test_the_report_references_nothing_outside_itself(html: str) -> None:
    page = parse(html)
    for tag, attrs in page.elements:
        assert tag not in {"link", "iframe", "object", "embed", "base"}, tag
        if tag == "script":
            assert "src" not in attrs
        for name, value in attrs.items():
            if name in FETCHING:
                assert value.startswith(("#", "data:")), f"<{tag} {name}={value!r}>"
    css = "".join(page.styles)
    assert "@import" not in css
    assert not re.search(r"url\((?!#|data:)", css)
    # The only absolute URIs in markup, styles and scripts are XML namespace names, which
    # nothing fetches. Text may quote one: a rule's pattern, a ChargingStationImage finding.
    for tag, attrs in page.elements:
        for name, value in attrs.items():
            assert name.startswith("xmlns") or "://" not in value, f"<{tag} {name}={value!r}>"
    assert "://" not in css
    assert not any("://" in script for script in page.scripts)


def test_ids_are_unique_across_the_inline_charts(html: str) -> None:
    ids = Counter(attrs["id"] for _, attrs in parse(html).elements if "id" in attrs)
    assert [name for name, count in ids.items() if count > 1] == []
    assert "2026-01-01 00:00 UTC" in html  # SOURCE_DATE_EPOCH makes the file reproducible


def test_the_score_and_counts_are_shown(report: Report, html: str) -> None:
    score = report.score.summary() if report.score else None
    assert score is not None
    assert f'<div class="value">{score["overall"]:g}</div>' in html
    counts = report.counts()
    assert f'<div class="value status-error">{counts["error"]}</div>' in html
    assert f'<div class="value status-warning">{counts["warning"]}</div>' in html
    for factor in score["factors"]:
        assert factor.replace("_", " ") in section(html, "score-table")


def test_every_chart_is_inline_svg_with_its_data(report: Report, html: str) -> None:
    for chart in ("score", "rules", "fields", "completeness", "scatter"):
        block = section(html, f"chart-{chart}")
        assert "<svg" in block, chart
        assert 'role="img"' in block
    rules = section(html, "chart-rules")
    counts = report.frame["rule"].value_counts()
    # Rules with more findings than the last of the 25 bars are surely shown (ties are not).
    top = counts[counts > counts.iloc[min(len(counts), 25) - 1]].index
    assert len(top)
    assert all(f"{rule} " in rules for rule in top)  # the labels are text, not paths
    fields = section(html, "chart-fields")
    assert "GeoCoordinates" in fields
    assert report.records is not None
    completeness = section(html, "chart-completeness")
    for path in completeness_shares(report.records):
        assert path in completeness


def test_the_scatter_links_every_located_evse_and_colours_it_by_status(
    report: Report, html: str
) -> None:
    assert report.records is not None
    lat, lon = report.records["latitude"], report.records["longitude"]
    located = int(((lat.abs() <= 90) & (lon.abs() <= 180)).sum())
    scatter = section(html, "chart-scatter")
    assert scatter.count('<a xlink:href="#') == located
    assert "target=" not in scatter  # links stay in the page
    legend = dict(re.findall(r"(clean|info|warning|error) \((\d+)\)", scatter))
    assert sum(int(n) for n in legend.values()) == located
    frame = report.frame.dropna(subset=["record"])
    errors = frame[frame["severity"] == "error"][["file", "record"]].drop_duplicates()
    keyed = report.records.reset_index()[["file", "record", "latitude", "longitude", "index"]]
    errors = errors.astype({"record": "int64"}).merge(keyed, on=["file", "record"])
    plotted = (errors["latitude"].abs() <= 90) & (errors["longitude"].abs() <= 180)
    assert int(legend["error"]) == int(plotted.sum())
    unplotted = len(report.records) - located
    assert f"{unplotted} EVSEs without usable coordinates" in html


def test_the_findings_table_lists_every_finding_for_sorting_and_filtering(
    report: Report, html: str
) -> None:
    table = section(html, "findings-table")
    assert table.count("<tr data-severity=") == len(report.frame)
    assert 'class="sortable"' in html[html.index('id="findings-table"') - 40 :][:60]
    for name in ("severity", "rule", "file"):
        assert f'<select name="{name}"' in html
    severities = re.findall(r'<tr data-severity="(\w+)"', table)
    assert severities == sorted(severities, key=["error", "warning", "info"].index)


def test_every_evse_with_findings_has_its_details(report: Report, html: str) -> None:
    located = report.frame.dropna(subset=["record"])
    evses = located[["file", "record"]].drop_duplicates()
    cards = re.findall(r'<details class="evse" id="card-(\d+)"', html)
    assert len(cards) == len(evses)
    assert report.records is not None
    first = int(cards[0])  # the lowest score comes first
    assert report.score is not None
    assert report.score.records["overall"].iloc[first] == report.score.records["overall"].min()
    card = html[html.index(f'id="card-{first}"') :]
    card = card[: card.index("</details>")]
    record = report.records.iloc[first]
    assert record["evse_id"] in card
    assert "completeness" in card
    mine = located[(located["file"] == record["file"]) & (located["record"] == record["record"])]
    assert card.count('<td class="sev ') == len(mine) > 0


@pytest.mark.slow
def test_long_tables_are_cut_and_say_so(report: Report) -> None:
    html = render_html(report, limit=10)
    assert section(html, "findings-table").count("<tr data-severity=") == 10
    assert f"Showing the 10 most severe of {len(report.frame)} findings" in html
    assert "(the 10 lowest of 180)" in html


@pytest.mark.slow
def test_values_from_the_data_are_escaped() -> None:
    report = validate(frame_of({**VALID_CELLS, "Plugs": "<script>alert(1)</script>"}))
    html = render_html(report)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.slow
def test_clean_data_and_unreadable_input_still_make_a_report(tmp_path: Path) -> None:
    clean = render_html(validate(ROOT / "samples/valid/evse-valid.csv", **OPERATOR))
    assert "No errors and no warnings." in clean
    assert "No findings." in clean
    nothing = render_html(validate(tmp_path / "missing.csv"))
    assert "Not ready to push" in nothing
    assert "no such file" in nothing
    assert "No record could be read" in nothing


def test_large_scatters_are_embedded_as_an_image_inside_the_svg() -> None:
    rng = np.random.default_rng(7)
    size = VECTOR_POINTS + 1
    svg = coordinate_scatter(
        "many",
        rng.uniform(5, 15, size),
        rng.uniform(45, 55, size),
        rng.choice(np.array(["clean", "error"], dtype=object), size),
        np.array([None] * size, dtype=object),
    )
    assert "data:image/png;base64," in svg
    assert svg.count("<use ") < 100  # not one element per point


# --- poicheck report ------------------------------------------------------------------------


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(ROOT)
    return CliRunner()


@pytest.mark.slow
def test_report_command_writes_html_and_markdown(runner: CliRunner, tmp_path: Path) -> None:
    html, markdown = tmp_path / "report.html", tmp_path / "summary.md"
    result = runner.invoke(
        cli,
        ["report", INVALID, "--html", str(html), "--markdown", str(markdown)],
        catch_exceptions=False,
    )
    assert result.exit_code == 1  # errors remain, as with validate
    assert result.stdout.splitlines()[0] == "33 errors, 47 warnings, 1 info in 1 file (60 records)."
    assert f"Wrote {html}" in result.stdout
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert markdown.read_text(encoding="utf-8").startswith("## ❌ poicheck:")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "summary.md"]


@pytest.mark.slow
def test_report_command_takes_validate_options(runner: CliRunner, tmp_path: Path) -> None:
    html = tmp_path / "r.html"
    result = runner.invoke(
        cli,
        ["report", INVALID, "--html", str(html), "--select", "EVS003", "--quiet"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "EVS003" in html.read_text(encoding="utf-8")
    assert "PWR007" not in section(html.read_text(encoding="utf-8"), "findings-table")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", INVALID], "give --html FILE and/or --markdown FILE"),
        (["report", INVALID, "--html", "no/such/dir/r.html"], "the directory does not exist"),
        (["report", INVALID, "--html", INVALID], "never overwrites it"),
        (["report", INVALID, "--html", "x.html", "--markdown", "x.html"], "the same file"),
    ],
)
def test_report_command_refuses_bad_outputs_before_working(
    runner: CliRunner, args: list[str], message: str
) -> None:
    before = (ROOT / INVALID).read_bytes()
    result = runner.invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 2
    assert message in result.stderr
    assert (ROOT / INVALID).read_bytes() == before
    assert not (ROOT / "x.html").exists()


# --- a real browser -------------------------------------------------------------------------

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
# Run after the report's own script: use the controls as a person would, note what happened.
PROBE = """<script>
(function () {
  var root = document.documentElement;
  var button = document.querySelector("#evses-table button[data-evse]");
  button.click();
  var shown = document.querySelectorAll("#findings-table tbody tr:not([hidden])");
  root.setAttribute("data-probe-evse", button.getAttribute("data-evse"));
  root.setAttribute("data-probe-shown", String(shown.length));
  var header = document.querySelector("#findings-table th:nth-child(4)");
  header.click();
  header.click();
  var first = document.querySelector("#findings-table tbody tr td:nth-child(4)");
  root.setAttribute("data-probe-top-row", first.getAttribute("data-sort"));
  // The findings table fits the page: nothing wider than the window at 1280 px.
  var table = document.querySelector("#findings-table").getBoundingClientRect();
  root.setAttribute("data-probe-window", String(window.innerWidth));
  root.setAttribute("data-probe-table-right", String(Math.ceil(table.right)));
  root.setAttribute("data-probe-page-width", String(root.scrollWidth));
})();
</script>
</body>"""


@pytest.mark.slow
def test_the_report_opens_offline_in_headless_chromium(
    report: Report, html: str, tmp_path: Path
) -> None:
    browser = next((b for b in map(shutil.which, BROWSERS) if b), None)
    if browser is None:
        if os.environ.get("CI"):  # .ci/run installs Chromium: a skip there hides a failure
            pytest.fail("no Chromium or Chrome installed in CI")
        pytest.skip("no Chromium or Chrome installed (apt-get install chromium)")
    page = tmp_path / "report.html"
    page.write_text(html.replace("</body>", PROBE), encoding="utf-8")
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        # Any attempt to reach a network host fails: the page must not need one.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1280,900",
        "--virtual-time-budget=5000",
        "--dump-dom",
        page.as_uri(),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert 'data-ready="true"' in dom  # the script ran to the end without an error
    assert re.search(r"showing \d+ of \d+", dom)  # the filter controls are live
    assert dom.count("<svg") >= 5
    probed = dict(re.findall(r'data-probe-([a-z-]+)="([^"]*)"', dom))
    evse = probed["evse"]
    # "show" on an EVSE lists exactly its findings (not those of DE*X*E1*10 for DE*X*E1*1)
    assert int(probed["shown"]) == int((report.frame["evse_id"] == evse).sum()) > 0
    # sorting by row, twice: descending
    assert int(probed["top-row"]) == int(report.frame["row"].max())
    # at 1280 px the findings table fits the page (no sideways scrolling)
    assert int(probed["window"]) == 1280
    assert int(probed["table-right"]) <= int(probed["window"]), probed
    assert int(probed["page-width"]) <= int(probed["window"]), probed
