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


def test_the_ordering_table_in_lifecycle_md_matches_the_installed_tools():
    from pegboard.reference import ORDERING_END, ORDERING_START, render_ordering

    _, registry, _ = build_plugin_manager((), disabled_plugins(), True)
    page = (ROOT / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    table = page.split(ORDERING_START, 1)[1].split(ORDERING_END, 1)[0].strip()
    assert table == render_ordering(registry).strip(), (
        "regenerate it: uv run pegboard reference --output docs/reference.md "
        "--lifecycle docs/lifecycle.md"
    )


def test_every_option_of_every_built_in_tool_says_what_it_does():
    """The reference gives each option its meaning (and its unit where it has one)."""
    _, registry, _ = build_plugin_manager((), disabled_plugins(), True)
    undocumented = [
        f"tools.{tool.name}.{option.name}"
        for tool in registry
        if (tool.distribution or "").startswith("pegboard")
        for option in tool.options.values()
        if not option.doc.strip()
    ]
    assert undocumented == []
    sessions = registry.get("sessions")
    assert sessions is not None and sessions.options["timeout"].unit == "minutes"
