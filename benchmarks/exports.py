"""Benchmark `poicheck export` beside `poicheck validate` on the same files (issue 22).

Per size: validate the dataset, export it as one fullLoad, and as insert batches (the
default 1,000 records per request); for the delta sizes also validate the dataset with 1 % of
its records changed (datasets.changed_rows) and export it with the fullLoad's manifest as
--previous. Every run is a fresh subprocess, measured like the validate runs (wall time with
interpreter start-up; memory: the larger of the main process's peak RSS and the sampled peak
PSS of all its processes), and each export is put beside the validate run of its own input in
the same run: the ratio is what the issue's targets are about, on a machine whose speed
changes from hour to hour.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import datasets

TARGET_RATIO = {"fullLoad": 3.0, "insert": 3.0, "delta": 2.0}  # times validate, at 1M rows
TARGET_MEMORY_MB = {"fullLoad": 2560, "insert": 2560}  # at 1M rows
TARGET_ROWS = 1_000_000


@dataclass(frozen=True)
class ExportResult:
    kind: str  # fullLoad, insert or delta
    rows: int
    seconds: float
    memory_mb: float
    validate_seconds: float
    validate_memory_mb: float
    files: int
    exit_code: int

    @property
    def ratio(self) -> float:
        return self.seconds / self.validate_seconds


def measure(
    command: list[str], cwd: Path, tree_memory: Callable[[int], Any]
) -> tuple[float, float, int]:
    """Wall seconds, peak memory (MB) and exit code of one subprocess."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stderr=subprocess.PIPE, cwd=cwd)
    memory = tree_memory(process.pid) if Path("/proc/self/smaps_rollup").exists() else None
    stderr = process.stderr.read().decode() if process.stderr else ""
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    tree_mb = memory.stop() if memory else 0.0
    code = os.waitstatus_to_exitcode(status)
    if process.stderr:
        process.stderr.close()
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(command[2:5])} failed ({code}): {stderr}")
    return seconds, max(usage.ru_maxrss / 1024, tree_mb), code


def benchmark(
    data: Path,
    sizes: list[int],
    delta_sizes: list[int],
    validate: Callable[[Path, list[str]], tuple[Any, ...]],
    tree_memory: Callable[[int], Any],
    repeat: int = 1,
) -> list[ExportResult]:
    """The export runs, each beside a validate run of its input (with `repeat`, each run
    that many times: the fastest time is kept, and the largest peak memory)."""
    results = []
    for count in sorted(set(sizes) | set(delta_sizes)):
        path = datasets.dataset(data, "csv", count)
        with tempfile.TemporaryDirectory(dir=path.parent, prefix=".bench-export-") as tmp:
            out = Path(tmp)
            base = validate(path, [])
            runs = [("fullLoad", path, ["--allow-deletions"])]
            if count in sizes:
                runs.append(("insert", path, ["--action", "insert"]))
            for kind, source, extra in runs:
                result = _best(kind, count, source, out, extra, base, tree_memory, repeat=repeat)
                results.append(result)
            if count in delta_sizes:
                changed = datasets.dataset(data, "csv", count, changed=True)
                again = validate(changed, [])
                previous = ["--previous", str(out / "fullLoad" / "manifest.json")]
                results.append(
                    _best("delta", count, changed, out, previous, again, tree_memory, repeat=repeat)
                )
            if count not in sizes:  # the fullLoad was only the delta's previous state
                results = [r for r in results if not (r.rows == count and r.kind == "fullLoad")]
    return results


def _best(*args: Any, repeat: int = 1) -> ExportResult:
    """The fastest of `repeat` runs of `_export`, with the largest memory of them."""
    runs = [_export(*args) for _ in range(max(1, repeat))]
    best = min(runs, key=lambda r: r.seconds)
    return replace(best, memory_mb=max(r.memory_mb for r in runs))


def _export(
    kind: str,
    count: int,
    source: Path,
    out: Path,
    extra: list[str],
    validated: tuple[Any, ...],
    tree_memory: Callable[[int], Any],
) -> ExportResult:
    target = out / kind
    command = [sys.executable, "-m", "poicheck", "export", str(source), "--out", str(target)]
    seconds, memory, code = measure([*command, "-q", *extra], source.parent, tree_memory)
    files = len([p for p in target.iterdir() if p.name[:4].isdigit()])
    result = ExportResult(kind, count, seconds, memory, validated[0], validated[1], files, code)
    print(
        f"export {kind:8} {count:>9,}: {seconds:6.2f} s {memory:7.0f} MB, {files} request(s); "
        f"validate {validated[0]:6.2f} s: {result.ratio:.2f}x",
        flush=True,
    )
    if kind != "fullLoad":  # the fullLoad stays: the delta's previous state
        with contextlib.suppress(OSError):
            for child in target.iterdir():
                child.unlink()
    return result


def verdict(result: ExportResult) -> str:
    if result.rows != TARGET_ROWS:
        return ""
    checks = []
    limit = TARGET_RATIO[result.kind]
    checks.append(f"<= {limit:g}x {'ok' if result.ratio <= limit else 'MISSED'}")
    if result.kind in TARGET_MEMORY_MB:
        mb = TARGET_MEMORY_MB[result.kind]
        checks.append(f"<= {mb / 1024:g} GB {'ok' if result.memory_mb <= mb else 'MISSED'}")
    return "; ".join(checks)


def table(results: list[ExportResult]) -> str:
    header = ["export", "rows", "wall s", "peak memory MB", "validate s", "validate MB", "ratio"]
    lines = ["| " + " | ".join([*header, "target"]) + " |", "|" + "---|" * (len(header) + 1)]
    names = {"fullLoad": "fullLoad (1 request)", "insert": "insert (batches of 1,000)"}
    names["delta"] = "delta, 1 % changed (--previous)"
    for r in results:
        cells = [
            names[r.kind],
            f"{r.rows:,}",
            f"{r.seconds:.2f}",
            f"{r.memory_mb:,.0f}",
            f"{r.validate_seconds:.2f}",
            f"{r.validate_memory_mb:,.0f}",
            f"{r.ratio:.2f}x",
            verdict(r),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
