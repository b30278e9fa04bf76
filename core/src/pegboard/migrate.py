"""Rewriting a CherryPy config as pegboard TOML: ``pegboard migrate-config``.

A CherryPy config is read the way CherryPy reads it (an INI file whose values
are Python expressions, or a dict in a Python module), but never evaluated:
names and calls in values are kept as :class:`Reference` and :class:`Call`
so that ``checkpassword_dict({...})`` can become ``tools.auth_basic.users``
and a function an import string. Every key pegboard has no equivalent for
becomes a TOML comment saying why; the names come from
:mod:`pegboard.cherrypy_names`.
"""

from __future__ import annotations

import ast
import configparser
import datetime
import importlib.util
import inspect
import json
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cherrypy_names import CHERRYPY_TOOLS, CHERRYPY_VALUES, cherrypy_equivalent
from .config import section_chain
from .errors import ConfigError

__all__ = [
    "Call",
    "Migration",
    "Opaque",
    "Reference",
    "migrate",
    "migrate_source",
    "read_cherrypy_config",
]

#: Namespaces that CherryPy applies per path (from [global] they apply to every path).
_PATH_NAMESPACES = {"tools", "request", "response", "hooks", "error_page"}
#: CherryPy's default access log format (cherrypy._cplogging.LogManager), Apache's combined.
_COMBINED = '{h} {l} {u} {t} "{r}" {s} {b} "{f}" "{a}"'
_COMMON = '{h} {l} {u} {t} "{r}" {s} {b}'
_STORES = {"RamSession": "ram", "FileSession": "file", "MemcachedSession": "memcached"}
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


# -- values that a TOML file cannot hold as they are ---------------------------


@dataclass(frozen=True, slots=True)
class Reference:
    """A Python name in a value: ``myapp.hooks.check``, a function or a class.

    ``module`` is the importable module part when it is known (values of a
    Python config); for INI values it is found when the import string is made.
    """

    dotted: str
    module: str | None = None

    @property
    def name(self) -> str:
        return self.dotted.rsplit(".", 1)[-1]

    def __str__(self) -> str:
        return self.dotted


@dataclass(frozen=True, slots=True)
class Call:
    """A call in a value, ``get_ha1_dict_plain({...})``, or an object built by one."""

    func: Reference
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        parts = [_describe(a) for a in self.args]
        parts += [f"{k}={_describe(v)}" for k, v in self.kwargs.items()]
        return f"{self.func}({', '.join(parts)})"


@dataclass(frozen=True, slots=True)
class Opaque:
    """A Python expression or object no config file can hold (its source or repr)."""

    text: str

    def __str__(self) -> str:
        return self.text


# -- reading CherryPy configs ----------------------------------------------------


def _from_ast(node: ast.expr, text: str) -> Any:
    """A value from CherryPy's ``unrepr`` grammar, without evaluating names or calls."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        items = [_from_ast(e, text) for e in node.elts]
        return tuple(items) if isinstance(node, ast.Tuple) else items
    if isinstance(node, ast.Dict):
        return {
            _from_ast(k, text) if k is not None else None: _from_ast(v, text)
            for k, v in zip(node.keys, node.values, strict=True)
        }
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _from_ast(node.operand, text)
        if isinstance(operand, int | float) and not isinstance(operand, bool):
            return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mult):
        left, right = _from_ast(node.left, text), _from_ast(node.right, text)
        if _is_data(left) and _is_data(right):
            try:  # CherryPy's unrepr knows + and * (100 * 1024 * 1024)
                return left + right if isinstance(node.op, ast.Add) else left * right
            except TypeError:
                pass
    dotted = _dotted(node)
    if dotted is not None:
        return Reference(dotted)
    if isinstance(node, ast.Call):
        func = _dotted(node.func)
        if func is not None:
            args = tuple(_from_ast(a, text) for a in node.args)
            kwargs = {k.arg: _from_ast(k.value, text) for k in node.keywords if k.arg}
            return Call(Reference(func), args, kwargs)
    return Opaque(ast.get_source_segment(text, node) or ast.dump(node))


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        parent = _dotted(node.value)
        return f"{parent}.{node.attr}" if parent else None
    return None


def _unrepr(raw: str, section: str, key: str) -> Any:
    """CherryPy reads every INI value as a Python expression; the empty value is ''."""
    if not raw:
        return raw
    try:
        tree = ast.parse(raw, mode="eval")
    except SyntaxError:
        raise ConfigError(
            f"{raw!r} is not a Python value (CherryPy needs quotes around strings)",
            section=section,
            key=key,
        ) from None
    return _from_ast(tree.body, raw)


def _read_ini(path: Path) -> dict[str, dict[str, Any]]:
    # CherryPy's reprconf.Parser: a ConfigParser that keeps the case of keys and
    # interpolates %(name)s, so this reads exactly the files CherryPy reads.
    parser = configparser.ConfigParser()
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep key case
    try:
        with path.open(encoding="utf-8") as fh:
            parser.read_file(fh, source=str(path))
        return {
            section: {
                key: _unrepr(parser.get(section, key), section, key)
                for key in parser.options(section)
            }
            for section in parser.sections()
        }
    except configparser.Error as exc:
        raise ConfigError(f"{path}: {' '.join(str(exc).split())}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not a UTF-8 text file") from None


def _from_python(value: Any) -> Any:
    """A value of a Python config in the form INI values take (names kept as names)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        items = [_from_python(v) for v in value]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        return {k: _from_python(v) for k, v in value.items()}
    if isinstance(value, datetime.timedelta):
        seconds = value.total_seconds()
        return int(seconds) if seconds.is_integer() else seconds
    if inspect.isfunction(value) or inspect.isclass(value) or inspect.isbuiltin(value):
        module = getattr(value, "__module__", None) or "builtins"
        qualname: str = getattr(value, "__qualname__", value.__name__)
        if qualname.endswith("<lambda>"):
            return Opaque(f"a lambda in {module}")
        if "<locals>" in qualname and inspect.isfunction(value):
            # A helper's closure: checkpassword_dict({...}) is a function
            # whose only free variable is the dict it was given.
            outer = qualname.split(".<locals>", 1)[0]
            free = inspect.getclosurevars(value).nonlocals
            return Call(
                Reference(f"{module}.{outer}", module),
                tuple(_from_python(v) for v in free.values()),
            )
        return Reference(f"{module}.{qualname}", module)
    kind = type(value)
    return Call(Reference(f"{kind.__module__}.{kind.__qualname__}", kind.__module__))


def _python_sections(data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A CherryPy dict: app config (paths -> dicts), global config (flat keys), or both."""
    sections: dict[str, dict[str, Any]] = {}
    for key, value in data.items():
        if isinstance(value, Mapping) and (key.startswith("/") or "." not in key):
            sections.setdefault(key, {}).update({k: _from_python(v) for k, v in value.items()})
        else:
            sections.setdefault("global", {})[key] = _from_python(value)
    return sections


def read_cherrypy_config(source: str) -> tuple[dict[str, dict[str, Any]], str]:
    """Read ``source`` as CherryPy would: an INI file, or ``module:NAME`` / ``file.py:NAME``.

    Returns the sections (``"global"``, ``"/path"``, or other names) and the
    name of the module a Python config came from ("" for an INI file).
    """
    path = Path(source)
    if path.is_file() and path.suffix != ".py":
        return _read_ini(path), ""
    location, sep, name = source.rpartition(":")
    if not sep or not name or not location:
        if path.suffix == ".py":
            raise ConfigError(f"name the config dict in {source}: {source}:NAME")
        raise ConfigError(f"config file {source!r} does not exist")
    from .loading import load_target

    try:
        data = load_target(source)
    except SystemExit as exc:
        raise ConfigError(str(exc).removeprefix("pegboard: ")) from None
    except Exception as exc:
        raise ConfigError(f"importing {location} failed: {type(exc).__name__}: {exc}") from None
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source} is a {type(data).__name__}, not a CherryPy config dict")
    module = location
    if location.endswith(".py") or "/" in location:
        module = Path(location).stem
    return _python_sections(data), module


# -- the output ----------------------------------------------------------------------


@dataclass
class _Table:
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
    tables: dict[str, _Table] = field(default_factory=dict)

    def table(self, name: str) -> _Table:
        return self.tables.setdefault(name, _Table())

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
    raise TypeError(f"{value!r} has no TOML form")  # _plain() lets none of these through


def _is_data(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, list | tuple):
        return all(_is_data(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_data(v) for k, v in value.items())
    return False


def _describe(value: Any) -> str:
    text = str(value) if isinstance(value, Reference | Call | Opaque) else repr(value)
    return " ".join(text.split())


# -- converting values ---------------------------------------------------------------


class _Unmappable(Exception):
    """A value (or key) pegboard cannot take; the message says why."""


def _plain(value: Any) -> Any:
    """``value`` as TOML data; names become import strings. Raises _Unmappable."""
    if value is None:
        raise _Unmappable("None has no TOML form: leave the key out for pegboard's default")
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise _Unmappable("a table's keys must be strings in TOML")
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Reference):
        return _import_string(value)
    if isinstance(value, Call):
        hint = CHERRYPY_VALUES.get(value.func.name)
        if hint:
            raise _Unmappable(hint)
        raise _Unmappable(
            f"{_describe(value)} is Python code a config file cannot hold: "
            "write its value, or make it a function and name it as 'module:function'"
        )
    raise _Unmappable(f"{_describe(value)} is Python code a config file cannot hold")


def _import_string(ref: Reference) -> str:
    """``module:attr`` for a named function or class; CherryPy's own need porting."""
    if ref.module is not None:
        module, attr = ref.module, ref.dotted[len(ref.module) + 1 :]
        # pegboard.loading names a file's module after the file, prefixed on a clash
        module = module.removeprefix("_pegboard_app_")
    else:
        module, attr = _split_module(ref.dotted)
    if module == "cherrypy" or module.startswith("cherrypy."):
        hint = CHERRYPY_VALUES.get(ref.name)
        raise _Unmappable(
            hint
            or f"{ref.dotted} is CherryPy code (it reads cherrypy.request): "
            "port it to a pegboard function taking (req, resp)"
        )
    if not module or not attr:
        raise _Unmappable(f"{ref.dotted} is not a function or class a config can name")
    return f"{module}:{attr}"


def _split_module(dotted: str) -> tuple[str, str]:
    """The longest importable module prefix of ``a.b.c`` (as CherryPy would import it)."""
    parts = dotted.split(".")
    for i in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:i])
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if found:
            return module, ".".join(parts[i:])
    return ".".join(parts[:-1]), parts[-1]


# -- the rules -------------------------------------------------------------------------


class _Migrator:
    def __init__(self, sections: Mapping[str, Mapping[str, Any]], origin: str) -> None:
        self.sections = sections
        self.out = Migration(origin)
        self.paths: dict[str, dict[str, Any]] = {}
        self.roots: dict[str, dict[str, Any]] = {"staticdir": {}, "staticfile": {}}

    def run(self) -> Migration:
        site: dict[str, Any] = {}
        for key, value in self.sections.get("global", {}).items():
            ns = key.split(".", 1)[0]
            if ns in _PATH_NAMESPACES:
                site[key] = value  # CherryPy applies these to every path of every app
            else:
                self.global_key(key, value)
        paths = {}
        for name, keys in self.sections.items():
            if name.startswith("/"):
                paths[name.rstrip("/") or "/"] = dict(keys)
            elif name != "global":
                self.data_section(name, keys)
        if site or "/" in paths:
            paths["/"] = {**site, **paths.get("/", {})}
        self.paths = dict(sorted(paths.items(), key=lambda kv: kv[0] != "/"))
        for tool in self.roots:
            for path, keys in self.paths.items():
                if f"tools.{tool}.root" in keys:
                    self.roots[tool][path] = keys[f"tools.{tool}.root"]
        for path, keys in self.paths.items():
            for key, value in keys.items():
                if key.split(".", 1)[0] in ("server", "engine", "log", "checker", "wsgi", "tree"):
                    self.global_key(key, value)
                else:
                    self.path_key(path, key, value)
        self.trailing_slash()
        return self.out

    # global keys -----------------------------------------------------------

    def unmapped(self, key: str, value: Any, why: str, table: str | None = None) -> None:
        line = f"{key} = {_describe(value)}: {why}"
        if table is None:
            self.out.top.append(line)
        else:
            self.out.table(table).comment(line)

    def global_key(self, key: str, value: Any) -> None:
        if key == "server.bind_addr" and isinstance(value, tuple) and len(value) == 2:
            self.global_key("server.socket_host", value[0])
            self.global_key("server.socket_port", value[1])
            return
        if key == "server.max_request_body_size":
            self.max_body_size(key, value)
            return
        if key.startswith("log."):
            self.log_key(key, value)
            return
        found = cherrypy_equivalent(key)
        if found is None:
            ns = key.split(".", 1)[0]
            why = (
                f"a custom CherryPy namespace ({ns}): pegboard refuses unknown namespaces; "
                "a plugin can add it with the pegboard_config_namespaces hook"
            )
            self.unmapped(key, value, why)
        elif found.key is None:
            self.unmapped(key, value, found.why)
        else:
            try:
                ns, _, rest = found.key.partition(".")
                self.out.table(ns).set(rest, _plain(value))
            except _Unmappable as exc:
                self.unmapped(key, value, str(exc))

    def max_body_size(self, key: str, value: Any) -> None:
        if value == 0 or value is None:
            self.unmapped(
                key,
                value,
                "CherryPy's 0 meant no limit; pegboard always has one "
                '(request.max_body_size in ["/"], default 10 MiB)',
            )
            return
        note = f"from {key}"
        self.out.table("/").set("request.max_body_size", value, note)

    def log_key(self, key: str, value: Any) -> None:
        if key == "log.access_file" and value:
            note = (
                f"from log.access_file = {_describe(value)}: access lines go to the "
                "'pegboard.access' logger; send it to that file with a logging.FileHandler"
            )
            self.out.table("/").set("tools.access_log.on", True, note)
            return
        if key == "log.access_log_format" and value in (_COMBINED, _COMMON):
            fmt = "combined" if value == _COMBINED else "common"
            self.out.table("/").set("tools.access_log.format", fmt)
            return
        found = cherrypy_equivalent(key)
        assert found is not None  # every log.* key has an entry or the log. prefix
        why = found.why
        if key == "log.access_file":
            why = "empty: no access log, which is pegboard's default"
        self.unmapped(key, value, why)

    def data_section(self, name: str, keys: Mapping[str, Any]) -> None:
        self.out.top.append(
            f"[{name}]: CherryPy keeps sections that are not paths as application data; "
            "pegboard config holds no such data (keep it in a file of its own):"
        )
        for key, value in keys.items():
            self.out.top.append(f"  {key} = {_describe(value)}")

    # path keys -------------------------------------------------------------------

    def path_key(self, path: str, key: str, value: Any) -> None:
        table = self.out.table(path)
        special = _SPECIAL.get(key)
        if special is None and key.startswith("response.headers."):
            special = _Migrator.response_header
        if special is not None:
            try:
                special(self, path, key, value)
            except _Unmappable as exc:
                self.unmapped(key, value, str(exc), path)
            return
        ns, dot, _ = key.partition(".")
        if not dot:
            self.unmapped(key, value, "not in a namespace, so CherryPy ignored it too", path)
            return
        if ns in ("hooks", "error_page"):
            self.code_value(path, key, value)
            return
        found = cherrypy_equivalent(key)
        if found is None:
            if ns == "tools":
                self.other_tool(path, key, value)
                return
            why = (
                f"a custom CherryPy namespace ({ns}): pegboard refuses unknown namespaces; "
                "a plugin can add it with the pegboard_config_namespaces hook"
            )
            self.unmapped(key, value, why, path)
            return
        if found.key is None:
            self.unmapped(key, value, found.why, path)
            return
        try:
            table.set(found.key, _plain(value))
        except _Unmappable as exc:
            self.unmapped(key, value, str(exc), path)

    def other_tool(self, path: str, key: str, value: Any) -> None:
        tool = key.split(".")[1]
        if tool in CHERRYPY_TOOLS:
            self.unmapped(
                key,
                value,
                f"not an option of CherryPy's {tool} tool; `pegboard tools` lists pegboard's",
                path,
            )
            return
        note = ""
        if key == f"tools.{tool}.on":
            note = (
                f"{tool} is not a CherryPy tool: port it as a pegboard.Tool named {tool!r} "
                "(docs/tool-authoring.md); pegboard check fails until it is installed"
            )
        try:
            self.out.table(path).set(key, _plain(value), note)
        except _Unmappable as exc:
            self.unmapped(key, value, str(exc), path)

    def code_value(self, path: str, key: str, value: Any) -> None:
        """hooks.* and error_page.*: callables become import strings, files stay paths."""
        note = ""
        if (
            key.startswith("error_page.")
            and isinstance(value, str)
            and ":" not in value
            and not os.path.isabs(value)
        ):
            note = (
                "a relative error page is read from the config file's folder "
                "(CherryPy: from the working directory)"
            )
        if key.startswith("error_page.") and isinstance(value, str) and _has_percent_fields(value):
            note = (
                "pegboard's error page templates use $status, $message, $traceback and "
                "$version where CherryPy's use %(status)s: edit the file"
            )
        if key.startswith("hooks."):
            note = "a pegboard hook is called as hook(req, resp): check its signature"
        self.out.table(path).set(key, _plain(value), note)

    def response_header(self, path: str, key: str, value: Any) -> None:
        table = self.out.table(path)
        headers = dict(table.get("response.headers", {}))
        headers[key.removeprefix("response.headers.")] = _plain(value)
        table.set("response.headers", headers)

    def set_store(self, path: str, store: str) -> None:
        table = self.out.table(path)
        table.set("tools.sessions.storage_type", store)
        if store == "memcached" and "tools.sessions.servers" not in self.paths.get(path, {}):
            # MemcachedSession.servers defaults to this; pegboard wants it said.
            table.set("tools.sessions.servers", ["localhost:11211"], "CherryPy's default servers")

    def storage_class(self, path: str, key: str, value: Any) -> None:
        if isinstance(value, Reference) and value.name in _STORES:
            self.set_store(path, _STORES[value.name])
            return
        raise _Unmappable(
            f"{_describe(value)} is no CherryPy store pegboard knows: pegboard-sessions takes "
            "a store name (a third-party store registers one, see its README)"
        )

    def storage_type(self, path: str, key: str, value: Any) -> None:
        self.set_store(path, str(_plain(value)).lower())

    def cache_class(self, path: str, key: str, value: Any) -> None:
        if isinstance(value, Reference) and value.name == "MemoryCache":
            self.out.table(path).set("tools.caching.backend", "memory")
            return
        raise _Unmappable(
            f"{_describe(value)}: pegboard-caching takes a backend name "
            '("memory", "redis", "memcached"), not a class'
        )

    def checkpassword(self, path: str, key: str, value: Any) -> None:
        if isinstance(value, Call) and value.func.name == "checkpassword_dict" and value.args:
            users = _plain(value.args[0])
            self.out.table(path).set("tools.auth_basic.users", users)
            return
        self.out.table(path).set(key, _plain(value))

    def get_ha1(self, path: str, key: str, value: Any) -> None:
        table = self.out.table(path)
        if isinstance(value, Call) and value.args:
            name = value.func.name
            if name == "get_ha1_dict_plain":
                table.set("tools.auth_digest.users", _plain(value.args[0]))
                return
            if name == "get_ha1_file_htdigest":
                table.set("tools.auth_digest.htdigest", _plain(value.args[0]))
                return
        table.set(key, _plain(value))

    def static_path(self, path: str, key: str, value: Any) -> None:
        """staticdir.dir / staticfile.filename, joined to the root CherryPy would use."""
        tool = key.split(".")[1]
        target = _plain(value)
        if not isinstance(target, str):
            raise _Unmappable(f"{key} must be a path")
        note = ""
        root = self.root_for(tool, path)
        if root is not None and not os.path.isabs(target):
            if not isinstance(root, str):
                raise _Unmappable(f"tools.{tool}.root = {_describe(root)} is not a path")
            joined = os.path.normpath(os.path.join(root, target))
            note = f"tools.{tool}.root {root!r} and {key.rsplit('.', 1)[1]} {target!r} joined"
            target = joined
        elif not os.path.isabs(target):
            note = (
                "a relative path is taken from the config file's folder "
                "(CherryPy needed an absolute one or a root)"
            )
        self.out.table(path).set(key, target, note)

    def static_root(self, path: str, key: str, value: Any) -> None:
        tool = key.split(".")[1]
        option = "dir" if tool == "staticdir" else "filename"
        self.out.table(path).comment(
            f"{key} = {_describe(value)}: joined into tools.{tool}.{option} "
            "of the sections below it"
        )

    def root_for(self, tool: str, path: str) -> Any:
        roots = self.roots[tool]
        found = None
        for section in section_chain(path):
            if section in roots:
                found = roots[section]
        return found

    def proxy_on(self, path: str, key: str, value: Any) -> None:
        note = ""
        if value and "tools.proxy.trusted" not in self.paths.get(path, {}):
            note = (
                "pegboard believes forwarding headers only from tools.proxy.trusted "
                "(default: loopback); list your proxy's address there if it is elsewhere"
            )
        self.out.table(path).set(key, _plain(value), note)

    def dispatch(self, path: str, key: str, value: Any) -> None:
        name = value.func.name if isinstance(value, Call) else getattr(value, "name", "")
        hint = CHERRYPY_VALUES.get(name)
        found = cherrypy_equivalent(key)
        assert found is not None
        raise _Unmappable(hint or found.why)

    def trailing_slash(self) -> None:
        """CherryPy redirects /admin to /admin/ by default; say so explicitly in pegboard."""
        for keys in self.paths.values():
            if "tools.trailing_slash.on" in keys:
                return
        self.out.table("/").set(
            "tools.trailing_slash.on",
            True,
            "CherryPy redirects /admin to /admin/ (a handler's index) by default; "
            "pegboard does where this tool is on",
        )


_Rule = Callable[[_Migrator, str, str, Any], None]

_SPECIAL: dict[str, _Rule] = {
    "tools.sessions.storage_class": _Migrator.storage_class,
    "tools.sessions.storage_type": _Migrator.storage_type,
    "tools.caching.cache_class": _Migrator.cache_class,
    "tools.auth_basic.checkpassword": _Migrator.checkpassword,
    "tools.auth_digest.get_ha1": _Migrator.get_ha1,
    "tools.staticdir.dir": _Migrator.static_path,
    "tools.staticfile.filename": _Migrator.static_path,
    "tools.staticdir.root": _Migrator.static_root,
    "tools.staticfile.root": _Migrator.static_root,
    "tools.proxy.on": _Migrator.proxy_on,
    "request.dispatch": _Migrator.dispatch,
    "request.body.maxbytes": lambda m, path, key, value: m.max_body_size(key, value),
}


def _has_percent_fields(path: str) -> bool:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "%(" in text


def migrate(sections: Mapping[str, Mapping[str, Any]], origin: str = "<dict>") -> Migration:
    """The pegboard equivalent of CherryPy config ``sections`` (as read_cherrypy_config gives)."""
    return _Migrator(sections, origin).run()


def migrate_source(source: str) -> Migration:
    """Read a CherryPy config (INI file, ``module:NAME`` or ``file.py:NAME``) and migrate it."""
    sections, _ = read_cherrypy_config(source)
    return migrate(sections, source)
