"""docs/reference.md is generated from the option schemas; it must match what is installed."""

from pathlib import Path

from pegboard.plugins import build_plugin_manager, disabled_plugins
from pegboard.reference import render_reference

ROOT = Path(__file__).resolve().parents[2]


def test_reference_matches_the_installed_tools():
    _, registry, _ = build_plugin_manager((), disabled_plugins(), True)
    expected = render_reference(registry)
    actual = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    assert actual == expected, "regenerate it: uv run pegboard reference --output docs/reference.md"


def test_reference_lists_every_option_of_every_tool():
    _, registry, _ = build_plugin_manager((), disabled_plugins(), True)
    text = render_reference(registry)
    for tool in registry:
        assert f"### `{tool.name}`" in text
        for option in tool.options:
            assert f"`tools.{tool.name}.{option}`" in text
    assert "`request.max_body_size`" in text
