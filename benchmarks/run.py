"""Benchmark `poicheck validate` end to end against the per-record jsonschema baseline.

    python benchmarks/run.py                 # 10k, 100k, 1M CSV; 100k XLSX; 100k JSON; exports
    python benchmarks/run.py --quick         # 10k and 100k CSV, 10k XLSX and JSON; 10k exports
    python benchmarks/run.py --sizes csv:10000,xlsx:100000 --no-exports
    python benchmarks/run.py --sizes csv:10000 --exports 100000 --deltas 100000

Datasets (benchmarks/datasets.py: the valid sample replicated, ~5 % planted mistakes) are
generated once into --data (default: ~/.cache/poicheck-bench) and reused. Each run is a fresh
`python -m poicheck validate FILE --format json -o OUT -q` subprocess with all rules on and the
operator configuration beside the data: wall time includes interpreter start-up, reading,
every rule and writing the JSON findings; memory is the larger of the child's peak RSS and the
sampled peak PSS of all its processes (forked workers included). CSV datasets of 1M rows are
also run with --chunk-rows, and the two runs' findings must be byte-identical.

`poicheck export` runs (benchmarks/exports.py) beside a validate run of the same file: a
fullLoad and insert batches of 100k and 1M CSV rows, and a delta of 1M rows with 1 % changed
against the fullLoad as --previous.

The baseline is what a user builds without poicheck: each row turned into its OICP JSON record
(poicheck.oicp.convert.Builder) and validated with `jsonschema` against poicheck's own record
schema,
timed on a sample of --baseline-sample rows and extrapolated.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import datasets
import exports

FULL = "csv:10000,csv:100000,csv:1000000,xlsx:100000,json:100000"
QUICK = "csv:10000,csv:100000,xlsx:10000,json:10000"
# The targets: seconds of wall time per dataset (format, rows), peak RSS, speed-up.
TARGET_SECONDS = {("csv", 10_000): 2.0, ("csv", 1_000_000): 10.0, ("xlsx", 100_000): 8.0}
TARGET_RSS_MB = {("csv", 1_000_000): 3072}
TARGET_RATIO = 30.0
CHUNKED_FROM = 1_000_000  # CSV datasets this large are also run in chunks, findings compared
CHUNK_ROWS = 200_000
EXPORTS = "100000,1000000"  # CSV rows exported (fullLoad, insert batches)
DELTAS = "1000000"  # CSV rows exported as a delta with 1 % changed


@dataclass(frozen=True)
class Result:
    fmt: str
    rows: int
    seconds: float
    rss_mb: float
    findings: int
    exit_code: int
    variant: str = ""

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


class TreeMemory:
    """Samples the proportional set size (PSS) of a process and all its descendants: forked
    workers share the parent's pages copy-on-write, so PSS counts each page once, where a
    sum of RSS would count shared pages once per process.

    Reading smaps_rollup walks the process's page tables: ~12 ms for a 2.5 GB process on
    this machine, so sampling every 50 ms took a third of a core from the run it measured
    (two processes to read). Every 0.25 s costs a twentieth; the peak of a large run lasts
    seconds, and the main process's exact peak RSS is taken as well."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        self.pid, self.interval, self.peak_mb = pid, interval, 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return self.peak_mb

    def _run(self) -> None:
        while not self._done.wait(self.interval):
            total = sum(_pss_kb(pid) for pid in _tree(self.pid))
            self.peak_mb = max(self.peak_mb, total / 1024)


def _tree(pid: int) -> list[int]:
    pids, index = [pid], 0
    while index < len(pids):
        for task in Path(f"/proc/{pids[index]}/task").glob("*/children"):
            with contextlib.suppress(OSError):  # a worker that just ended
                pids += [int(child) for child in task.read_text().split()]
        index += 1
    return pids


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def run_poicheck(path: Path, extra: list[str]) -> tuple[float, float, int, int, bytes]:
    """Wall seconds, peak memory (MB), findings, exit code and the findings' JSON of one
    validate subprocess. Memory is the larger of the main process's peak RSS and the
    sampled peak PSS of all its processes (workers included)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "findings.json"
        command = [sys.executable, "-m", "poicheck", "validate", str(path)]
        command += ["--format", "json", "-o", str(out), "-q", *extra]
        start = time.perf_counter()
        process = subprocess.Popen(command, stderr=subprocess.PIPE, cwd=path.parent)
        memory = TreeMemory(process.pid) if Path("/proc/self/smaps_rollup").exists() else None
        stderr = process.stderr.read().decode() if process.stderr else ""
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        tree_mb = memory.stop() if memory else 0.0
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.stderr:
            process.stderr.close()
        if process.returncode not in (0, 1) or not out.exists():
            raise SystemExit(f"poicheck failed on {path} ({process.returncode}): {stderr}")
        data = out.read_bytes()
        findings = len(json.loads(data)["findings"])
    return seconds, max(usage.ru_maxrss / 1024, tree_mb), findings, process.returncode, data


def cores_available(processes: int = 2) -> float:
    """How many cores' worth of work `processes` busy processes get, from a fixed pure-Python
    loop run alone and then `processes` at once. On a shared virtual machine this varies
    from hour to hour and explains most of the variation of the figures."""
    loop = "x = 0\nfor i in range(15_000_000): x += i"

    def wall(count: int) -> float:
        start = time.perf_counter()
        running = [subprocess.Popen([sys.executable, "-c", loop]) for _ in range(count)]
        for process in running:
            process.wait()
        return time.perf_counter() - start

    # Best of three each: a single slow start-up would otherwise decide the ratio.
    alone = min(wall(1) for _ in range(3))
    together = min(wall(processes) for _ in range(3))
    return processes * alone / together


def baseline_rate(sample_rows: int) -> float:
    """Rows per second of Builder + jsonschema per record, on `sample_rows` rows."""
    import jsonschema

    from poicheck.oicp.convert import Builder
    from poicheck.ruleset.loader import load_ruleset
    from poicheck.ruleset.schema import record_schema

    ruleset = load_ruleset()
    schema = record_schema(ruleset)
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    builder = Builder(ruleset)
    sample = list(datasets.rows(sample_rows))
    for row in sample[:60]:  # warm up: compiled patterns and caches, as a long run has them
        list(validator.iter_errors(builder.build(row)))
    errors = 0
    start = time.perf_counter()
    for row in sample:
        record = builder.build(row)
        errors += sum(1 for _ in validator.iter_errors(record))
    seconds = time.perf_counter() - start
    print(f"baseline: {sample_rows} records, {errors} schema errors, {seconds:.2f} s", flush=True)
    return sample_rows / seconds


def parse_sizes(text: str) -> list[tuple[str, int]]:
    out = []
    for item in text.split(","):
        fmt, _, count = item.strip().partition(":")
        if fmt not in datasets.WRITERS or not count.isdigit():
            raise SystemExit(f"bad size {item!r}: write FORMAT:ROWS, FORMAT one of csv, xlsx, json")
        out.append((fmt, int(count)))
    return out


def verdict(result: Result, ratio: float) -> str:
    key = (result.fmt, result.rows)
    checks = []
    if key in TARGET_SECONDS and not result.variant:  # the targets are for the default run
        limit = TARGET_SECONDS[key]
        checks.append(f"<= {limit:g} s {'ok' if result.seconds <= limit else 'MISSED'}")
    if key in TARGET_RSS_MB:
        limit_mb = TARGET_RSS_MB[key]
        checks.append(
            f"<= {limit_mb / 1024:g} GB {'ok' if result.rss_mb <= limit_mb else 'MISSED'}"
        )
    if key == ("csv", 1_000_000) and not result.variant:
        checks.append(f">= {TARGET_RATIO:g}x {'ok' if ratio >= TARGET_RATIO else 'MISSED'}")
    return "; ".join(checks)


def table(results: list[Result], baseline: float) -> str:
    header = [
        "input",
        "rows",
        "wall s",
        "peak memory MB",
        "rows/s",
        "findings",
        "jsonschema s",
        "speed-up",
        "target",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in results:
        base_seconds = r.rows / baseline
        ratio = base_seconds / r.seconds
        cells = [
            r.fmt.upper() + (f" ({r.variant})" if r.variant else ""),
            f"{r.rows:,}",
            f"{r.seconds:.2f}",
            f"{r.rss_mb:,.0f}",
            f"{r.rate:,.0f}",
            f"{r.findings:,}",
            f"{base_seconds:,.1f}",
            f"{ratio:.1f}x",
            verdict(r, ratio),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help=f"FORMAT:ROWS,... (default {FULL})")
    parser.add_argument("--quick", action="store_true", help=f"same as --sizes {QUICK}")
    parser.add_argument("--data", type=Path, default=Path.home() / ".cache" / "poicheck-bench")
    parser.add_argument("--baseline-sample", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=1, help="runs per dataset; best is kept")
    parser.add_argument("--csv-out", type=Path, help="also write the results as CSV")
    parser.add_argument(
        "--no-chunked",
        action="store_true",
        help=f"skip the chunked run of CSV files of {CHUNKED_FROM:,} rows or more",
    )
    parser.add_argument("--exports", help="CSV rows to export (default 100000,1000000)")
    parser.add_argument("--deltas", help="CSV rows to export as a delta (default 1000000)")
    parser.add_argument("--no-exports", action="store_true", help="no export runs")
    parser.add_argument("poicheck_args", nargs="*", help="extra `validate` options, after --")
    args = parser.parse_args(argv)
    sizes = parse_sizes(args.sizes or (QUICK if args.quick else FULL))
    results = []
    before = cores_available()
    print(f"CPU check: two busy processes got {before:.2f} cores' worth of work", flush=True)
    for fmt, count in sizes:
        start = time.perf_counter()
        path = datasets.dataset(args.data, fmt, count)
        made = time.perf_counter() - start
        variants = [("", args.poicheck_args)]
        if fmt == "csv" and count >= CHUNKED_FROM and not args.no_chunked:
            chunked = ["--chunk-rows", str(CHUNK_ROWS), *args.poicheck_args]
            variants.append((f"chunks of {CHUNK_ROWS:,}", chunked))
        outputs = []
        for variant, extra in variants:
            runs = [run_poicheck(path, extra) for _ in range(args.repeat)]
            seconds, rss, findings, code, data = min(runs, key=lambda run: run[0])
            outputs.append(data)
            print(
                f"{fmt} {count:>9,} {variant}: {seconds:6.2f} s {rss:7.0f} MB "
                f"{findings:>8,} findings (exit {code}; dataset ready in {made:.1f} s)",
                flush=True,
            )
            results.append(Result(fmt, count, seconds, rss, findings, code, variant))
        if len(outputs) > 1:
            same = all(o == outputs[0] for o in outputs[1:])
            print(f"  chunked findings identical to the in-memory run: {'yes' if same else 'NO'}")
            if not same:
                return 1
    exported = []
    if not args.no_exports:
        sizes = [int(n) for n in (args.exports or ("10000" if args.quick else EXPORTS)).split(",")]
        deltas = [int(n) for n in (args.deltas or ("10000" if args.quick else DELTAS)).split(",")]

        def validated(path: Path, extra: list[str]) -> tuple[float, float]:
            runs = [run_poicheck(path, extra) for _ in range(args.repeat)]
            seconds = min(run[0] for run in runs)
            rss = max(run[1] for run in runs)
            print(f"validate {path.name}: {seconds:6.2f} s {rss:7.0f} MB", flush=True)
            return seconds, rss

        exported = exports.benchmark(
            args.data, sizes, deltas, validated, TreeMemory, repeat=args.repeat
        )
    after = cores_available()
    baseline = baseline_rate(args.baseline_sample)
    print(f"\nCPU check after the runs: {after:.2f} cores (before: {before:.2f} of 2)")
    print(f"jsonschema per record: {baseline:,.0f} rows/s on this machine\n")
    print(table(results, baseline))
    if exported:
        print()
        print(exports.table(exported))
    if args.csv_out:
        with args.csv_out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                ["format", "variant", "rows", "seconds", "memory_mb", "findings", "baseline_rows_s"]
            )
            for r in results:
                writer.writerow(
                    [
                        r.fmt,
                        r.variant,
                        r.rows,
                        f"{r.seconds:.3f}",
                        f"{r.rss_mb:.0f}",
                        r.findings,
                        f"{baseline:.0f}",
                    ]
                )
            for e in exported:
                row = ["csv", f"export {e.kind}", e.rows, f"{e.seconds:.3f}", f"{e.memory_mb:.0f}"]
                writer.writerow([*row, "", f"{baseline:.0f}"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
