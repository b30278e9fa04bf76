"""Build a copy of the core with its request path compiled by mypyc, to measure it.

An experiment, not a build pegboard ships: it shows what compiling the hot
modules to C would buy, counted and over a real server, beside the interpreted
core (bench/README.md, "Round six"). The copy goes to ``OUT/core/src``; hand that
to the benches' ``--baseline-src``:

    uv run python bench/servers/compiled_core.py /tmp/compiled
    uv run python bench/servers/app_instructions.py --baseline-src /tmp/compiled/core/src
    uv run python bench/servers/frameworks.py --only hello --workers 1 \\
        --frameworks pegboard --baseline-src /tmp/compiled/core/src --no-chart

Two places in the core use what compiled classes refuse (``object.__new__`` of a
class, a class's ``__slots__`` read at import); the copy gets an equivalent of
each, and the build stops if either is no longer there. ``context`` (its
proxies set their slots through ``object.__setattr__``) and ``state`` (a class
body with a ``TYPE_CHECKING`` block) stay interpreted.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPILED = (  # the modules a hello world runs through, besides context and state
    "app",
    "request",
    "response",
    "responding",
    "routing",
    "errors",
    "headers",
    "plans",
    "hooks",
    "serving/bodies",
)
_HEADERS_BY_NEW = (
    "        headers = _new_headers(ResponseHeaders)\n"
    "        headers._items = {}\n"
    "        self.headers = headers\n"
)
_PLAN_SLOTS_READ = "name for name in Plan.__slots__ if name"
_MYPY_CONFIG = """\
[mypy]
python_version = 3.11
strict = True
[mypy-waitress.*,multipart,granian.*]
ignore_missing_imports = True
"""


def _rewrite(module: str, text: str) -> str:
    """The compiled copy's text of ``module``: the same behaviour, in what mypyc takes."""
    if module == "response":
        _expect(module, text, _HEADERS_BY_NEW)
        return text.replace(_HEADERS_BY_NEW, "        self.headers = ResponseHeaders()\n")
    if module == "plans":  # Plan's slot names written out where the class's are read
        _expect(module, text, _PLAN_SLOTS_READ)
        start = text.index("    __slots__ = (")
        names = text[text.index("(", start) : text.index(")", start) + 1]
        return text.replace(_PLAN_SLOTS_READ, f"name for name in {names} if name")
    return text


def _expect(module: str, text: str, line: str) -> None:
    if line not in text:
        sys.exit(f"compiled_core: pegboard/{module}.py changed; update its rewrite to match")


def build(out: Path) -> Path:
    """Copy core/src under ``out``, rewrite two places, compile; the copy's src path."""
    src = out / "core" / "src"
    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(ROOT / "core" / "src", src, ignore=shutil.ignore_patterns("__pycache__"))
    for module in ("response", "plans"):
        path = src / "pegboard" / f"{module}.py"
        path.write_text(_rewrite(module, path.read_text()))
    (src / "mypy.ini").write_text(_MYPY_CONFIG)
    mypyc = Path(sys.executable).with_name("mypyc")
    files = [f"pegboard/{name}.py" for name in COMPILED]
    built = subprocess.run([str(mypyc), *files], cwd=src, capture_output=True, text=True)
    if built.returncode:
        sys.exit(f"compiled_core: mypyc failed:\n{built.stdout[-4000:]}{built.stderr[-4000:]}")
    return src


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="where the compiled copy goes (OUT/core/src)")
    args = parser.parse_args(argv)
    src = build(args.out.resolve())
    print(f"compiled core: {src}  (pass it as --baseline-src)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
