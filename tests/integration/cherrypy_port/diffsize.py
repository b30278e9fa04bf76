"""How many lines the pegboard port of CherryPy's Tutorial 8 changes.

Run it (``python tests/integration/cherrypy_port/diffsize.py``) to print the
figures that docs/cherrypy-migration.md states; a test keeps them equal.
The comment block at the top of each file (where it comes from, how to run
it) is not part of the application and is not counted.
"""

from __future__ import annotations

import difflib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORIGINAL = HERE / "tut08_cherrypy.py"
PORT = HERE / "tut08_pegboard.py"


def code_lines(path: Path) -> list[str]:
    """The file's lines after its leading comment block."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = 0
    while start < len(lines) and lines[start].startswith("#"):
        start += 1
    return lines[start:]


def diff_size() -> tuple[int, int, int]:
    """(lines of the original, lines removed or changed, lines added or changed)."""
    original, port = code_lines(ORIGINAL), code_lines(PORT)
    removed = added = 0
    for line in difflib.unified_diff(original, port, lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")):
            continue
        if line.startswith("-"):
            removed += 1
        elif line.startswith("+"):
            added += 1
    return len(original), removed, added


def summary() -> str:
    total, removed, added = diff_size()
    return f"The port's diff against the tutorial's {total} lines: {removed} lines out, {added} in."


if __name__ == "__main__":
    print(summary())
    original, port = code_lines(ORIGINAL), code_lines(PORT)
    print("\n".join(difflib.unified_diff(original, port, "CherryPy", "pegboard", lineterm="")))
