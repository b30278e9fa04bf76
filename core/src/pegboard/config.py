"""Loading configuration (dict, TOML, CherryPy-style INI) and merging path sections."""

from __future__ import annotations

import ast
import configparser
import re
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
        # (section path or global namespace, key) -> the file that set it, when it
        # differs from ``source`` (a --config file laid over the app's own)
        self._sources: dict[tuple[str, str], str] = {}

    def source_of(self, section: str, key: str) -> str:
        """The file (or ``<dict>``) where ``key`` of ``section`` was written."""
        return self._sources.get((section, key), self.source)

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
            for key in keys:
                self._sources[(path, key)] = other.source_of(path, key)
        for ns, keys in other.globals.items():
            self.globals.setdefault(ns, {}).update(keys)
            for key in keys:
                self._sources[(ns, key)] = other.source_of(ns, key)
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
        return self.merged_with_origins(path, code_config, code_depth)[0]

    def merged_with_origins(
        self,
        path: str,
        code_config: Mapping[str, Any] | None = None,
        code_depth: int = 0,
        code_label: str = "code",
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Like :meth:`merged`, with the section (or ``code_label``) that set each key."""
        merged: dict[str, Any] = {}
        origins: dict[str, str] = {}
        chain = self.chain(path)

        def lay(keys: Mapping[str, Any], origin: str) -> None:
            merged.update(keys)
            for key in keys:
                origins[key] = origin

        for section in chain:
            if path_depth(section) < code_depth:
                lay(self.sections[section], section)
        if code_config:
            lay(code_config, code_label)
        for section in chain:
            if path_depth(section) >= code_depth:
                lay(self.sections[section], section)
        return merged, origins


def _parse_ini(path: Path) -> dict[str, Any]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep key case
    try:
        with path.open(encoding="utf-8") as fh:
            parser.read_file(fh)
    except configparser.Error as exc:
        text = " ".join(str(exc).split())  # configparser's messages span lines
        raise ConfigError(f"INI syntax error: {text}", source=str(path)) from None
    data: dict[str, Any] = {}
    errors: list[ConfigError] = []
    for section in parser.sections():
        table: dict[str, Any] = {}
        for key, raw in parser.items(section):
            try:
                table[key] = ast.literal_eval(raw)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                errors.append(
                    ConfigError(
                        f"{raw!r} is not a Python literal (quote strings: {key} = {raw!r})",
                        section=section,
                        key=key,
                        source=str(path),
                    )
                )
        data[section] = table
    if errors:
        raise ConfigError.gather(errors)
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
        where = "" if path.is_absolute() else f" (relative paths start from {Path.cwd()})"
        kind = "is a folder, not a" if path.is_dir() else "does not exist: no such"
        raise ConfigError(f"{kind} config file {str(path)!r}{where}", source=str(path))
    if path.suffix == ".toml":
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read it: {exc}", source=str(path)) from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(_toml_message(exc, text), source=str(path)) from None
    elif path.suffix in _INI_SUFFIXES:
        data = _parse_ini(path)
    else:
        raise ConfigError(
            "unknown config format; name the file .toml (or .ini, .conf, .cfg)", source=str(path)
        )
    try:
        return Config.from_mapping(data, base_dir=path.resolve().parent, source=str(path))
    except ConfigError as exc:
        raise exc.located(source=str(path)) from None


_UNQUOTED_SECTION = re.compile(r"^\s*\[\[?\s*/")


def _toml_message(exc: tomllib.TOMLDecodeError, text: str) -> str:
    """tomllib's message, with a hint when an unquoted path section (``[/static]``) is why."""
    message = str(exc)
    line_no = getattr(exc, "lineno", None)
    if line_no is None:
        found = re.search(r"line (\d+)", message)
        line_no = int(found.group(1)) if found else None
    lines = text.splitlines()
    candidates = [lines[line_no - 1]] if line_no and line_no <= len(lines) else lines
    for line in candidates:
        if _UNQUOTED_SECTION.match(line):
            name = line.strip().strip("[]").strip()
            return (
                f"TOML syntax error: {message}; path sections must be quoted in TOML: "
                f'write ["{name}"], not [{name}]'
            )
    return f"TOML syntax error: {message}"
