"""The examples in docs/guide.md's "Testing your app" section pass, as a reader would run them.

Each Python block of the section becomes a file in a fresh folder (a block
whose first line is ``# name.py`` becomes that file; the others become test
files of their own), and pytest runs the folder in a subprocess with only
the pegboard plugin that installing pegboard brings.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
_FILE_NAME = re.compile(r"# ([\w/]+\.py)\n")


def _section(markdown: str, heading: str) -> str:
    start = markdown.index(f"\n## {heading}\n")
    end = markdown.find("\n## ", start + 1)
    return markdown[start : end if end != -1 else None]


def _write_blocks(folder: Path) -> list[str]:
    """Write the section's blocks into ``folder``; return the names of the tests they define."""
    tests = []
    for number, block in enumerate(_BLOCK.findall(_section(GUIDE.read_text(), "Testing your app"))):
        named = _FILE_NAME.match(block)
        name = named.group(1) if named else f"test_guide_block_{number}.py"
        assert not (folder / name).exists(), f"two blocks in the guide are both {name}"
        (folder / name).write_text(block)
        if name.startswith("test_"):
            module = name.removesuffix(".py").replace("/", ".")
            tests += [f"{module}.{test}" for test in re.findall(r"^def (test_\w+)\(", block, re.M)]
    return tests


def test_the_testing_examples_in_the_guide_pass(tmp_path: Path) -> None:
    expected = _write_blocks(tmp_path)
    assert len(expected) >= 8, f"the guide's testing section lost its examples: {expected}"
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # not the repository's settings
    report = tmp_path / "report.xml"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=prepend",
         f"--junitxml={report}", "."],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env=os.environ.copy(),
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    cases = {
        f"{case.get('classname')}.{case.get('name')}": case
        for case in ET.parse(report).iter("testcase")
    }
    assert sorted(cases) == sorted(expected)
    skipped = [name for name, case in cases.items() if case.find("skipped") is not None]
    # A missing server binary skips a backend test on a developer's machine only.
    assert not (skipped and os.environ.get("CI")), skipped
    assert len(skipped) < len(expected), run.stdout
