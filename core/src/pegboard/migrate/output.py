"""The migrated config: tables of settings and comments, written as TOML."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Migration", "Table"]

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass
class Table:
    """One TOML table: settings (with an optional note above each) and comment lines."""

    items: list[tuple[str, Any, str] | str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    def set(self, key: str, value: Any, note: str = "") -> None:
        if key in self.index:
            old = self.items[self.index[key]]
            assert isinstance(old, tuple)
            self.items[self.index[key]] = (key, value, note or old[2])
            return
        self.index[key] = len(self.items)
        self.items.append((key, value, note))

    def comment(self, text: str) -> None:
        self.items.append(text)

    def get(self, key: str, default: Any = None) -> Any:
        if key not in self.index:
            return default
        item = self.items[self.index[key]]
        assert isinstance(item, tuple)
        return item[1]


@dataclass
class Migration:
    """The pegboard config a CherryPy config became; :meth:`to_toml` writes it."""

    origin: str
    top: list[str] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)

    def table(self, name: str) -> Table:
        return self.tables.setdefault(name, Table())

    def settings(self, name: str) -> dict[str, Any]:
        """The keys and values written in table ``name`` (flat keys, as pegboard reads them)."""
        table = self.tables.get(name)
        if table is None:
            return {}
        return {item[0]: item[1] for item in table.items if isinstance(item, tuple)}

    def comments(self) -> list[str]:
        """Every comment line, for keys that could not be mapped and notes."""
        lines = list(self.top)
        for table in self.tables.values():
            for item in table.items:
                if isinstance(item, str):
                    lines.append(item)
                elif item[2]:
                    lines.append(item[2])
        return lines

    def to_toml(self) -> str:
        out = [
            f"# pegboard config written by `pegboard migrate-config` from {self.origin}.",
            "# Keys pegboard has no equivalent for are comments saying why;",
            "# notes start with 'note:'. Check it with `pegboard check FILE`.",
        ]
        out += [f"# {line}" for line in self.top]
        order = sorted(self.tables, key=lambda n: (n.startswith("/"), n != "/"))
        for name in order:
            table = self.tables[name]
            out.append("")
            out.append(f"[{_toml_key(name)}]")
            for item in table.items:
                if isinstance(item, str):
                    out.append(f"# {item}")
                    continue
                key, value, note = item
                if note:
                    out.append(f"# note: {note}")
                dotted = ".".join(_toml_key(part) for part in key.split("."))
                out.append(f"{dotted} = {_toml_value(value)}")
        return "\n".join(out) + "\n"


def _toml_key(part: str) -> str:
    return part if _BARE_KEY.match(part) else _toml_string(part)


def _toml_string(text: str) -> str:
    # A JSON string is a TOML basic string, except that TOML also forbids DEL.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007F")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items())
        return "{" + inner + "}" if inner else "{}"
    raise TypeError(f"{value!r} has no TOML form")  # the rules let none of these through
