"""Config validation: every key checked against the core, the tools and the plugins.

Runs when the app compiles (start-up, ``pegboard check``), never per request.
A key that names nothing, or a value of the wrong type, is a ConfigError that
names the section and key and suggests the closest valid name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .cherrypy_names import CHERRYPY_KEYS, cherrypy_hint
from .config import Config
from .errors import ConfigError
from .hooks import HOOKPOINTS, Hook
from .hosts import check_host_pattern
from .namespaces import CORE_NAMESPACES, GLOBAL_OPTIONS, REQUEST_OPTIONS, RESPONSE_OPTIONS
from .options import coerce
from .plugins import ToolRegistry
from .tool import suggest

__all__ = ["INVALID", "ConfigValidator", "NamespaceValidator"]


def _names_nothing(message: str) -> bool:
    """Whether a validation message says the key names nothing (unknown namespace/key/option)."""
    return message.startswith(("unknown ", "tool ")) and (
        "unknown" in message or "has no option" in message
    )


#: Stands for a tool option whose value was wrong (and reported) in its section.
INVALID: Any = type("Invalid", (), {"__repr__": lambda self: "<invalid>"})()

#: ``validate(key, value) -> value`` for a plugin's namespace, or None to accept anything
NamespaceValidator = Callable[[str, Any], Any] | None


class ConfigValidator:
    """Checks config against the core's namespaces, the installed tools and plugin namespaces."""

    def __init__(
        self,
        tools: ToolRegistry,
        namespaces: Mapping[str, NamespaceValidator],
        config: Config,
    ) -> None:
        self.tools = tools
        self.namespaces = dict(namespaces)
        self.config = config
        self.base_dir: Path | None = config.base_dir
        #: every mistake found so far, each placed where it was written
        self.errors: list[ConfigError] = []

    def _found(self, error: ConfigError, section: str, key: str | None) -> None:
        hint = cherrypy_hint(error.key) if error.key else None
        if hint is not None and "did you mean" in error.message and error.key not in CHERRYPY_KEYS:
            hint = None  # a family of CherryPy names, but the spelling is closer to ours
        if hint is not None and _names_nothing(error.message):
            # A CherryPy name: say what it is here, not a "did you mean" of letters.
            error = ConfigError(hint, section=error.section, key=error.key, source=error.source)
        source: str | None = (
            self.config.source_of(section, key) if key is not None else self.config.source
        )
        if section.startswith("route "):
            source = None  # config given in code: the section names the route
        self.errors.append(error.located(source=source) if source else error)

    def check_globals(self, globals_: dict[str, dict[str, Any]]) -> None:
        """Check the global namespaces (``server``, ``plugins``...), converting values in place."""
        for ns, keys in globals_.items():
            known = GLOBAL_OPTIONS.get(ns)
            if known is None:
                if ns in self.namespaces:
                    validator = self.namespaces[ns]
                    for key, value in keys.items():
                        try:
                            self._plugin_key(ns, key, value, validator, "global")
                        except ConfigError as exc:
                            self._found(exc, ns, key)
                    continue
                hint = suggest(ns, [*GLOBAL_OPTIONS, *self.namespaces])
                first = next(iter(keys), None)
                error = ConfigError(f"unknown namespace {ns!r}{hint}", section="global", key=ns)
                if first is not None and cherrypy_hint(f"{ns}.{first}"):
                    error = ConfigError(
                        f"unknown namespace {ns!r}{hint}", section=ns, key=f"{ns}.{first}"
                    )
                self._found(error, ns, first)
                continue
            for key, value in keys.items():
                try:
                    if key not in known:
                        raise ConfigError(
                            f"unknown key{suggest(key, known)}", section=ns, key=f"{ns}.{key}"
                        )
                    try:
                        keys[key] = coerce(value, known[key])
                        if (ns, key) == ("request", "allowed_hosts"):
                            keys[key] = [check_host_pattern(h) for h in keys[key]]
                    except (TypeError, ValueError) as exc:
                        raise ConfigError(str(exc), section=ns, key=f"{ns}.{key}") from None
                except ConfigError as exc:
                    self._found(exc, ns, key)

    def clean_section(self, flat: Mapping[str, Any], section: str) -> dict[str, Any]:
        """One section's keys validated, with import strings and file paths resolved.

        A key with a mistake is recorded in ``errors`` and left out; the
        others are still checked, so one run reports every mistake.
        """
        clean: dict[str, Any] = {}
        tool_options: dict[str, dict[str, Any]] = {}
        for key, value in flat.items():
            try:
                self._clean_key(key, value, section, clean, tool_options)
            except ConfigError as exc:
                self._found(exc, section, key)
        for name, options in tool_options.items():
            tool = self.tools.get(name)
            assert tool is not None  # required when its keys were read
            for option, value in options.items():
                key = f"tools.{name}.{option}"
                try:
                    checked = tool.validate({option: value}, section, complete=False)
                except ConfigError as exc:
                    self._found(exc, section, key)
                    clean[key] = INVALID  # reported; the plans leave the tool out quietly
                    continue
                clean[key] = checked[option]
        return clean

    def _clean_key(
        self,
        key: str,
        value: Any,
        section: str,
        clean: dict[str, Any],
        tool_options: dict[str, dict[str, Any]],
    ) -> None:
        """Validate one key into ``clean`` (or ``tool_options``); raise ConfigError."""
        ns, _, rest = key.partition(".")
        if ns == "tools":
            name, _, option = rest.partition(".")
            self.tools.require(name, section, key)
            tool_options.setdefault(name, {})[option] = value
        elif ns == "hooks":
            if rest not in HOOKPOINTS:
                raise ConfigError(
                    f"unknown hookpoint{suggest(rest, HOOKPOINTS)}", section=section, key=key
                )
            clean[key] = self._hooks_value(value, section, key)
        elif ns == "request" or ns == "response":
            known = REQUEST_OPTIONS if ns == "request" else RESPONSE_OPTIONS
            if rest not in known and rest in GLOBAL_OPTIONS.get(ns, {}):
                raise ConfigError(
                    f"{key} applies to the whole site: set it in a top-level [{ns}] "
                    "table, not in a path section",
                    section=section,
                    key=key,
                )
            if rest not in known:
                raise ConfigError(f"unknown option{suggest(rest, known)}", section=section, key=key)
            try:
                clean[key] = coerce(value, known[rest])
            except TypeError as exc:
                raise ConfigError(str(exc), section=section, key=key) from None
        elif ns == "error_page":
            clean[key] = self._error_page_value(rest, value, section, key)
        elif ns in self.namespaces:
            clean[key] = self._plugin_key(ns, rest, value, self.namespaces[ns], section)
        else:
            hint = suggest(ns, [*CORE_NAMESPACES, *self.namespaces])
            raise ConfigError(f"unknown namespace {ns!r}{hint}", section=section, key=key)

    @staticmethod
    def _plugin_key(
        ns: str, key: str, value: Any, validator: NamespaceValidator, section: str
    ) -> Any:
        if validator is None:
            return value
        try:
            return validator(key, value)
        except (TypeError, ValueError, KeyError) as exc:
            raise ConfigError(str(exc), section=section, key=f"{ns}.{key}") from None

    @staticmethod
    def _hooks_value(value: Any, section: str, key: str) -> list[Hook]:
        items = value if isinstance(value, (list, tuple)) else [value]
        hooks = []
        for item in items:
            try:
                hooks.append(
                    Hook.coerce(coerce(item, Callable[..., Any]) if isinstance(item, str) else item)
                )
            except TypeError as exc:
                raise ConfigError(str(exc), section=section, key=key) from None
        return hooks

    def _error_page_value(self, code: str, value: Any, section: str, key: str) -> Any:
        if code != "default" and not (code.isdigit() and 400 <= int(code) <= 599):
            raise ConfigError(
                "error_page keys are 4xx/5xx codes or 'default'", section=section, key=key
            )
        if callable(value):
            return value
        if not isinstance(value, str):
            raise ConfigError(
                "expected a callable, an import string or a file path", section=section, key=key
            )
        if ":" in value and not Path(value).exists():
            try:
                return coerce(value, Callable[..., Any])
            except TypeError as exc:
                raise ConfigError(str(exc), section=section, key=key) from None
        path = Path(value)
        if not path.is_absolute() and self.base_dir is not None:
            path = self.base_dir / path
        if not path.is_file():
            raise ConfigError(
                f"error page file {str(path)!r} does not exist", section=section, key=key
            )
        return str(path)
