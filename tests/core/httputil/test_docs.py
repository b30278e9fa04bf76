"""Every ``>>>`` example of docs/httputil.md runs and shows what the page says."""

from __future__ import annotations

import doctest
from pathlib import Path

from pegboard import httputil

DOC = Path(__file__).resolve().parents[3] / "docs" / "httputil.md"


def test_the_examples_of_the_reference_page():
    text = DOC.read_text(encoding="utf-8")
    parser = doctest.DocTestParser()
    test = parser.get_doctest(text, {"httputil": httputil}, "httputil.md", str(DOC), 0)
    assert len(test.examples) > 60, "the page lost its examples"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0


def test_the_page_names_every_public_function():
    text = DOC.read_text(encoding="utf-8")
    missing = [name for name in httputil.__all__ if name not in text]
    assert not missing, f"docs/httputil.md does not mention {missing}"
