"""Run the atheris fuzz harnesses in fuzz/harnesses/ (see fuzz/README.md).

    uv run python fuzz/run.py --list
    uv run python fuzz/run.py range --seconds 60
    uv run python fuzz/run.py all --seconds 180          # each harness in turn
    uv run python fuzz/run.py all --together --seconds 5 # every harness in one process (CI)
    uv run python fuzz/run.py range --reproduce fuzz/.work/artifacts/range-crash-...

Each harness runs in a child process of its own (libFuzzer ends the process
when it stops), with the pegboard packages instrumented for coverage. New
interesting inputs are kept in ``<workdir>/corpus/<name>`` and reused by the
next run; a finding (an exception other than the one the parser documents,
or a failed check) is written to ``<workdir>/artifacts`` and ends the run
with a non-zero status.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
HARNESSES = HERE / "harnesses"
DEFAULT_WORKDIR = HERE / ".work"
DEFAULT_MAX_LEN = 4096
#: Top-level packages instrumented unless a harness names others in INSTRUMENT.
DEFAULT_INSTRUMENT = ("pegboard",)
_STAT = re.compile(r"^stat::(\w+):\s*(\d+)", re.MULTILINE)


def harness_names() -> list[str]:
    """Every harness: the files in fuzz/harnesses/ whose names do not start with ``_``."""
    return sorted(p.stem for p in HARNESSES.glob("*.py") if not p.name.startswith("_"))


def _literal(name: str, variable: str, default: object) -> object:
    """A module-level literal of a harness, read without importing it (not instrumented yet)."""
    tree = ast.parse((HARNESSES / f"{name}.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == variable for t in node.targets
        ):
            try:
                return ast.literal_eval(node.value)
            except ValueError:
                return default
    return default


def _max_len(name: str) -> int:
    value = _literal(name, "MAX_LEN", DEFAULT_MAX_LEN)
    return value if isinstance(value, int) else DEFAULT_MAX_LEN


def load_harness(name: str) -> ModuleType:
    """Import fuzz/harnesses/<name>.py (with fuzz/ on sys.path for ``fuzzlib``)."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    spec = importlib.util.spec_from_file_location(f"fuzz_harness_{name}", HARNESSES / f"{name}.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"no harness called {name!r}; see --list")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not callable(getattr(module, "fuzz_one", None)):
        raise SystemExit(f"fuzz/harnesses/{name}.py has no fuzz_one(data: bytes) function")
    return module


# -- the child process: one atheris run --------------------------------------------


def _child(names: list[str], workdir: Path, libfuzzer_args: list[str]) -> None:
    import atheris

    packages: set[str] = set()
    for name in names:
        declared = _literal(name, "INSTRUMENT", DEFAULT_INSTRUMENT)
        packages.update(declared if isinstance(declared, list | tuple) else DEFAULT_INSTRUMENT)
    with atheris.instrument_imports(include=sorted(packages)):
        modules = [load_harness(name) for name in names]
    if len(modules) == 1:
        target: Callable[[bytes], None] = modules[0].fuzz_one
    else:
        target = _together(names, modules, workdir / "together-counts.json")
    atheris.Setup([sys.argv[0], *libfuzzer_args], target)
    atheris.Fuzz()


def _together(
    names: list[str], modules: list[ModuleType], counts_file: Path
) -> Callable[[bytes], None]:
    """One target for several harnesses: the first byte picks the harness, the rest is its input."""
    targets = [m.fuzz_one for m in modules]
    counts = [0] * len(targets)

    def fuzz_one(data: bytes) -> None:
        index = data[0] % len(targets) if data else 0
        counts[index] += 1
        total = sum(counts)
        if counts[index] == 1 or total % 1000 == 0:
            # libFuzzer ends the process without Python's exit handlers: write as we go.
            counts_file.write_text(json.dumps(dict(zip(names, counts, strict=True))))
        targets[index](data[1:])

    return fuzz_one


# -- the parent: seeds, corpus, and a summary --------------------------------------


def _write_seeds(names: list[str], seeds_dir: Path, together: bool) -> int:
    seeds_dir.mkdir(parents=True, exist_ok=True)
    for old in seeds_dir.iterdir():
        old.unlink()
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    count = 0
    for index, name in enumerate(names):
        module = load_harness(name)
        for number, seed in enumerate(getattr(module, "SEEDS", [])):
            prefix = bytes([index]) if together else b""
            (seeds_dir / f"{name}-{number}").write_bytes(prefix + seed)
            count += 1
    return count


@dataclass
class Summary:
    """What one fuzzing process reported (libFuzzer's final stats) and left behind."""

    name: str
    status: int
    seconds: float
    executions: int
    exec_per_second: int
    new_units: int
    corpus_files: int
    peak_rss_mb: int
    findings: list[str]
    output: str = field(repr=False)

    def row(self) -> str:
        found = len(self.findings) or "none"
        return (
            f"{self.name:18} {self.status:>6} {self.seconds:>8} {self.executions:>11} "
            f"{self.exec_per_second:>7} {self.corpus_files:>7}  {found}"
        )


HEADER = (
    f"{'harness':18} {'status':>6} {'seconds':>8} {'executions':>11} "
    f"{'exec/s':>7} {'corpus':>7}  findings"
)


def run(
    names: list[str],
    *,
    seconds: float,
    workdir: Path,
    together: bool = False,
    reproduce: list[str] | None = None,
    quiet: bool = False,
) -> Summary:
    """Fuzz ``names`` (one process) for ``seconds``; a summary of what libFuzzer reported."""
    label = "together" if together else names[0]
    corpus = workdir / "corpus" / label
    seeds = workdir / "seeds" / label
    artifacts = workdir / "artifacts"
    for folder in (corpus, artifacts):
        folder.mkdir(parents=True, exist_ok=True)
    _write_seeds(names, seeds, together)
    max_len = max(_max_len(name) for name in names)
    libfuzzer = [
        f"-max_len={max_len + (1 if together else 0)}",
        "-timeout=10",  # one input slower than this is a finding (a pathological regex...)
        "-rss_limit_mb=2048",
        "-print_final_stats=1",
        f"-artifact_prefix={artifacts}/{label}-",
    ]
    if reproduce:
        libfuzzer += reproduce
    else:
        libfuzzer += [f"-max_total_time={max(1, round(seconds))}", str(corpus), str(seeds)]
    command = [sys.executable, __file__, "--child", *names, "--workdir", str(workdir), "--"]
    started = time.monotonic()
    result = subprocess.run(
        [*command, *libfuzzer], capture_output=True, text=True, errors="replace", check=False
    )
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    stats = {key: int(value) for key, value in _STAT.findall(output)}
    summary = Summary(
        name=label,
        status=result.returncode,
        seconds=round(elapsed, 1),
        executions=stats.get("number_of_executed_units", 0),
        exec_per_second=stats.get("average_exec_per_sec", 0),
        new_units=stats.get("new_units_added", 0),
        corpus_files=sum(1 for _ in corpus.iterdir()),
        peak_rss_mb=stats.get("peak_rss_mb", 0),
        findings=sorted(str(p) for p in artifacts.glob(f"{label}-*")),
        output=output,
    )
    if result.returncode != 0 and not quiet:
        print(output[-6000:], file=sys.stderr)
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description="Run pegboard's atheris fuzz harnesses.")
    parser.add_argument("names", nargs="*", help="harness names, or 'all'")
    parser.add_argument("--seconds", type=float, default=10.0, help="per harness (default 10)")
    parser.add_argument("--together", action="store_true", help="one process for all the names")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--reproduce", nargs="+", metavar="FILE", help="run these inputs once")
    parser.add_argument("--json", type=Path, help="write the summaries here too")
    parser.add_argument("--list", action="store_true", help="list the harnesses")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    argv = sys.argv[1:]
    libfuzzer_args: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, libfuzzer_args = argv[:split], argv[split + 1 :]
    args = parser.parse_args(argv)
    if args.child:
        _child(args.names, args.workdir, libfuzzer_args)
        return 0
    available = harness_names()
    if args.list or not args.names:
        for name in available:
            doc = (load_harness(name).__doc__ or "").strip().splitlines()
            print(f"{name:18} {doc[0] if doc else ''}")
        return 0
    names = available if args.names == ["all"] else args.names
    unknown = [n for n in names if n not in available]
    if unknown:
        parser.error(f"unknown harness {', '.join(unknown)}; known: {', '.join(available)}")
    batches = [names] if args.together or args.reproduce else [[n] for n in names]
    summaries = []
    print(HEADER)
    for batch in batches:
        summary = run(
            batch,
            seconds=args.seconds,
            workdir=args.workdir,
            together=args.together,
            reproduce=args.reproduce,
        )
        summaries.append(summary)
        print(summary.row(), flush=True)
    if args.json:
        rows = [{k: v for k, v in asdict(s).items() if k != "output"} for s in summaries]
        args.json.write_text(json.dumps(rows, indent=2))
    return 0 if all(s.status == 0 for s in summaries) else 1


if __name__ == "__main__":
    sys.exit(main())
