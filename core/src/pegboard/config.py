"""Loading configuration (dict, TOML, CherryPy-style INI) and merging path sections."""

from __future__ import annotations

import ast
import configparser
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["Config", "load_config", "path_depth", "section_chain"]

#: How many dotted parts a key has in each namespace (``tools.<tool>.<option>``).
_DEPTH = {"tools": 3}
_INI_SUFFIXES = {".ini", ".conf", ".cfg"}


def path_depth(path: str) -> int:
    """``"/"`` is 0, ``"/a"`` is 1, ``"/a/b"`` is 2."""
    return 0 if path == "/" else path.count("/")


def normalise_section(path: str) -> str:
    if not path.startswith("/"):
        raise ConfigError(f"a path section must start with '/', not {path!r}", section=path)
    return path.rstrip("/") or "/"


def section_chain(path: str) -> list[str]:
    """Every section path that applies to ``path``, shallowest first."""
    chain = ["/"]
    if path != "/":
        parts = path.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            chain.append("/" + "/".join(parts[:i]))
    return chain


def _put(out: dict[str, Any], parts: list[str], value: Any, depth: int) -> None:
    key = ".".join(parts[:depth])
    rest = parts[depth:]
    if not rest:
        out[key] = value
        return
    target = out.setdefault(key, {})
    if not isinstance(target, dict):
        raise ConfigError(f"{key} is both a value and a table")
    for part in rest[:-1]:
        target = target.setdefault(part, {})
    target[rest[-1]] = value


def flatten_section(data: Mapping[str, Any], section: str) -> dict[str, Any]:
    """Turn nested or dotted keys into flat namespaced keys (``tools.gzip.on``).

    Nesting stops at the namespace's depth, so a value that is itself a table
    (``tools.auth_basic.users = {alice = "..."}``) stays a dict.
    """
    out: dict[str, Any] = {}

    def walk(node: Mapping[str, Any], prefix: list[str]) -> None:
        for raw_key, value in node.items():
            parts = [*prefix, *str(raw_key).split(".")]
            depth = _DEPTH.get(parts[0], 2)
            if len(parts) < depth:
                if isinstance(value, Mapping):
                    walk(value, parts)
                    continue
                example = "tools.<tool>.<option>" if parts[0] == "tools" else f"{parts[0]}.<key>"
                raise ConfigError(
                    f"expected a key like {example}", section=section, key=".".join(parts)
                )
            _put(out, parts, value, depth)

    walk(data, [])
    return out


class Config:
    """Path sections (``"/static"`` -> flat keys) and global namespaces (``server``...)."""

    def __init__(
        self,
        sections: dict[str, dict[str, Any]] | None = None,
        globals_: dict[str, dict[str, Any]] | None = None,
        base_dir: Path | None = None,
        source: str = "<dict>",
    ) -> None:
        self.sections: dict[str, dict[str, Any]] = sections or {}
        self.globals: dict[str, dict[str, Any]] = globals_ or {}
        self.base_dir = base_dir
        self.source = source

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], base_dir: Path | None = None, source: str = "<dict>"
    ) -> Config:
        sections: dict[str, dict[str, Any]] = {}
        globals_: dict[str, dict[str, Any]] = {}
        for key, value in data.items():
            if not isinstance(value, Mapping):
                raise ConfigError(
                    "top-level keys must be path sections ('/...') or namespaces holding a table",
                    key=str(key),
                )
            if key.startswith("/"):
                path = normalise_section(key)
                sections.setdefault(path, {}).update(flatten_section(value, path))
            elif key == "global":
                for name, inner in flatten_section(value, "global").items():
                    ns, _, rest = name.partition(".")
                    globals_.setdefault(ns, {})[rest] = inner
            else:
                for name, inner in flatten_section({key: value}, key).items():
                    ns, _, rest = name.partition(".")
                    globals_.setdefault(ns, {})[rest] = inner
        return cls(sections, globals_, base_dir, source)

    def update(self, other: Config) -> None:
        """Overlay another config onto this one, key by key.

        Relative paths keep resolving against this config's folder (the app's
        own ``site.toml``); the overlay's folder is used only when this config
        came from a dict and has none.
        """
        for path, keys in other.sections.items():
            self.sections.setdefault(path, {}).update(keys)
        for ns, keys in other.globals.items():
            self.globals.setdefault(ns, {}).update(keys)
        if self.base_dir is None:
            self.base_dir = other.base_dir

    def chain(self, path: str) -> list[str]:
        """The sections that apply to ``path``, shallowest first."""
        return [p for p in section_chain(path) if p in self.sections]

    def deepest(self, path: str) -> str:
        """The deepest section that applies to ``path`` ("/" when none does)."""
        sections = self.sections
        while path != "/":
            if path in sections:
                return path
            path = path.rsplit("/", 1)[0] or "/"
        return "/"

    def merged(
        self,
        path: str,
        code_config: Mapping[str, Any] | None = None,
        code_depth: int = 0,
    ) -> dict[str, Any]:
        """Merge the sections for ``path`` with config given in code.

        Shallower sections first; config from code (route config, tool
        decorators) sits at its route's depth and is overridden by a file
        section of the same depth or deeper, so deployers have the last word.
        """
        merged: dict[str, Any] = {}
        chain = self.chain(path)
        for section in chain:
            if path_depth(section) < code_depth:
                merged.update(self.sections[section])
        if code_config:
            merged.update(code_config)
        for section in chain:
            if path_depth(section) >= code_depth:
                merged.update(self.sections[section])
        return merged


def _parse_ini(path: Path) -> dict[str, Any]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep key case
    try:
        with path.open(encoding="utf-8") as fh:
            parser.read_file(fh)
    except configparser.Error as exc:
        raise ConfigError(f"{path}: {exc}") from None
    data: dict[str, Any] = {}
    for section in parser.sections():
        table: dict[str, Any] = {}
        for key, raw in parser.items(section):
            try:
                table[key] = ast.literal_eval(raw)
            except (ValueError, SyntaxError):
                raise ConfigError(
                    f"{raw!r} is not a Python literal (quote strings: {key} = {raw!r})",
                    section=section,
                    key=key,
                ) from None
        data[section] = table
    return data


def load_config(source: Config | Mapping[str, Any] | str | Path | None) -> Config:
    """A Config from a dict, a ``.toml`` file, an INI file, or nothing."""
    if source is None:
        return Config()
    if isinstance(source, Config):
        return source
    if isinstance(source, Mapping):
        return Config.from_mapping(source)
    path = Path(source)
    if not path.is_file():
        raise ConfigError(f"config file {str(path)!r} does not exist")
    if path.suffix == ".toml":
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    elif path.suffix in _INI_SUFFIXES:
        data = _parse_ini(path)
    else:
        raise ConfigError(f"{path}: unknown config format; use .toml or .ini/.conf/.cfg")
    return Config.from_mapping(data, base_dir=path.resolve().parent, source=str(path))
