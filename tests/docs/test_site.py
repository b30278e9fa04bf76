"""``mkdocs build --strict`` fails on each kind of mistake the docs can make, and only on those.

The build runs on a copy of docs/ and mkdocs.yml beside the real packages and
READMEs, with four mistakes put in: a link to a page that does not exist, an
anchor that does not exist in a package README (a link the site's hook
rewrites, so the rewrite must not hide it), a page left out of the
navigation, and a tool package without an API page. The build must fail
and name exactly those four; any other warning means the real docs have one
too (``.ci/run`` builds them as they are).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _copy_of_the_docs(tmp_path: Path) -> Path:
    site = tmp_path / "repo"
    site.mkdir()
    shutil.copytree(ROOT / "docs", site / "docs")
    shutil.copy(ROOT / "mkdocs.yml", site)
    for name in ("README.md", "core", "examples", "bench"):
        (site / name).symlink_to(ROOT / name)
    (site / "tools").mkdir()
    for package in (ROOT / "tools").iterdir():
        (site / "tools" / package.name).symlink_to(package)
    return site


def test_a_strict_build_names_every_mistake(tmp_path: Path) -> None:
    repo = _copy_of_the_docs(tmp_path)
    docs = repo / "docs"
    with (docs / "guide.md").open("a") as guide:
        guide.write("\nSee [the missing page](no-such-page.md).\n")
    with (docs / "tools" / "sessions.md").open("a") as page:
        page.write("\nSee [stores](../../tools/sessions/README.md#no-such-heading).\n")
    (docs / "orphan.md").write_text("# A page nobody listed\n")
    fake = repo / "tools" / "fake" / "src" / "pegboard_fake"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('"""A tool package without an API page."""\n')

    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=repo, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    warnings = sorted(re.findall(r"^WARNING\s+-\s+(.*)$", output, re.M))
    assert len(warnings) == 4, "\n".join(warnings)
    expected = [
        "Doc file 'guide.md' contains a link 'no-such-page.md', but the target is not found",
        "contains a link '../packages/sessions.md#no-such-heading', but the doc "
        "'packages/sessions.md' does not contain an anchor '#no-such-heading'",
        'The following pages exist in the docs directory, but are not included in the "nav"',
        "pegboard_fake has no API page: add docs/api/pegboard_fake.md",
    ]
    for fragment in expected:
        assert any(fragment in line for line in warnings), (fragment, warnings)
    assert re.search(r"not included in the \"nav\" configuration:\n\s+- orphan\.md\n", output)
    assert "Aborted with 4 warnings in strict mode!" in output
