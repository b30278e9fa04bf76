"""The three packages are found through their ``pegboard`` entry points."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest


@pytest.mark.parametrize(
    ("entry_point", "tools"),
    [("gzip", {"gzip"}), ("json", {"json_in", "json_out"}), ("etags", {"etags", "last_modified"})],
)
def test_entry_point_provides_the_tools(entry_point, tools):
    found = {ep.name: ep for ep in entry_points(group="pegboard")}
    plugin = found[entry_point].load()
    provided = plugin.pegboard_tools()
    assert {tool.name for tool in provided} == tools
