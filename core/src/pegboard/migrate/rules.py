"""The rules that turn each CherryPy key into pegboard's, or into a comment saying why not."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..cherrypy_names import CHERRYPY_TOOLS, CHERRYPY_VALUES, cherrypy_equivalent
from ..config import section_chain
from .output import Migration
from .reading import Call, Reference, describe, read_cherrypy_config

__all__ = ["migrate", "migrate_source"]

#: Namespaces that CherryPy applies per path (from [global] they apply to every path).
_PATH_NAMESPACES = {"tools", "request", "response", "hooks", "error_page"}
#: CherryPy's default access log format (cherrypy._cplogging.LogManager), Apache's combined.
_COMBINED = '{h} {l} {u} {t} "{r}" {s} {b} "{f}" "{a}"'
_COMMON = '{h} {l} {u} {t} "{r}" {s} {b}'
_STORES = {"RamSession": "ram", "FileSession": "file", "MemcachedSession": "memcached"}

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
            f"{describe(value)} is Python code a config file cannot hold: "
            "write its value, or make it a function and name it as 'module:function'"
        )
    raise _Unmappable(
        "Python code a config file cannot hold: make it a named function and write "
        "'module:function'"
    )


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
        line = f"{key} = {describe(value)}: {why}"
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
        if found is None and "." not in key:
            self.unmapped(key, value, "not in a namespace, so CherryPy ignored it too")
        elif found is None:
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
                f"from log.access_file = {describe(value)}: access lines go to the "
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
            self.out.top.append(f"  {key} = {describe(value)}")

    # path keys -------------------------------------------------------------------

    def path_key(self, path: str, key: str, value: Any) -> None:
        try:
            self._path_key(path, key, value)
        except _Unmappable as exc:
            self.unmapped(key, value, str(exc), path)

    def _path_key(self, path: str, key: str, value: Any) -> None:
        special = _SPECIAL.get(key)
        if special is None and key.startswith("response.headers."):
            special = _Migrator.response_header
        if special is not None:
            special(self, path, key, value)
            return
        ns, dot, _ = key.partition(".")
        if not dot:
            raise _Unmappable("not in a namespace, so CherryPy ignored it too")
        if ns in ("hooks", "error_page"):
            self.code_value(path, key, value)
            return
        found = cherrypy_equivalent(key)
        if found is None and ns == "tools":
            self.other_tool(path, key, value)
        elif found is None:
            raise _Unmappable(
                f"a custom CherryPy namespace ({ns}): pegboard refuses unknown namespaces; "
                "a plugin can add it with the pegboard_config_namespaces hook"
            )
        elif found.key is None:
            raise _Unmappable(found.why)
        else:
            self.out.table(path).set(found.key, _plain(value))

    def other_tool(self, path: str, key: str, value: Any) -> None:
        tool = key.split(".")[1]
        if tool in CHERRYPY_TOOLS:
            raise _Unmappable(
                f"not an option of CherryPy's {tool} tool; `pegboard tools` lists pegboard's"
            )
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
            f"{describe(value)} is no CherryPy store pegboard knows: pegboard-sessions takes "
            "a store name (a third-party store registers one, see its README)"
        )

    def storage_type(self, path: str, key: str, value: Any) -> None:
        self.set_store(path, str(_plain(value)).lower())

    def cache_class(self, path: str, key: str, value: Any) -> None:
        if isinstance(value, Reference) and value.name == "MemoryCache":
            self.out.table(path).set("tools.caching.backend", "memory")
            return
        raise _Unmappable(
            f"{describe(value)}: pegboard-caching takes a backend name "
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
                raise _Unmappable(f"tools.{tool}.root = {describe(root)} is not a path")
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
            f"{key} = {describe(value)}: joined into tools.{tool}.{option} of the sections below it"
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
