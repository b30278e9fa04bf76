"""Routes: static paths by dict lookup, templates compiled into one regex."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, HTTPError

if TYPE_CHECKING:
    from .compiler import RoutePlans
    from .plans import Plan

__all__ = ["METHODS", "Converter", "Route", "Router"]

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
#: The parameters of a fallback route: none (shared; never written to).
_NO_PARAMS: dict[str, Any] = {}
_PARAM = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z_][A-Za-z0-9_]*))?}")


@dataclass(frozen=True, slots=True)
class Converter:
    """A typed path segment: the regex it matches and how to convert the text."""

    pattern: str
    convert: Callable[[str], Any]


def _to_uuid(text: str) -> uuid.UUID:
    return uuid.UUID(text)


CONVERTERS: dict[str, Converter] = {
    "str": Converter(r"[^/]+", str),
    "int": Converter(r"-?[0-9]+", int),
    "float": Converter(r"-?[0-9]+(?:\.[0-9]+)?", float),
    "uuid": Converter(r"[0-9a-fA-F]{8}-?(?:[0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}", _to_uuid),
    "path": Converter(r".+", str),
}


class Route:
    """One path template and what answers it.

    ``handlers`` maps a method to a callable ``(req, resp, **params)``; an
    empty ``handlers`` with ``any_method`` set means one function for every
    method. Plans are filled in when the app starts.
    """

    def __init__(
        self,
        template: str,
        target: Any,
        methods: list[str] | None,
        config: dict[str, Any],
        converters: dict[str, Converter],
        *,
        fallback: bool = False,
    ) -> None:
        if not template.startswith("/"):
            raise ValueError(f"a route must start with '/', not {template!r}")
        self.template = template
        self.target = target
        #: answers what is below its literal prefix when no template matches, longest
        #: prefix first (a wrapped WSGI app's route): matched by prefix, not by pattern
        self.fallback = fallback
        self.config = config
        self.param_names: list[str] = []
        self.converters: list[tuple[str, Callable[[str], Any]]] = []
        regex_parts = []
        pos = 0
        for match in _PARAM.finditer(template):
            name, kind = match.group(1), match.group(2) or "str"
            if name in self.param_names:
                raise ValueError(f"route {template!r} names {name!r} twice")
            converter = converters.get(kind)
            if converter is None:
                raise ValueError(f"route {template!r}: unknown converter {kind!r}")
            self.param_names.append(name)
            self.converters.append((name, converter.convert))
            regex_parts.append(re.escape(template[pos : match.start()]))
            regex_parts.append(f"({converter.pattern})")
            pos = match.end()
        regex_parts.append(re.escape(template[pos:]))
        self._plain = all(convert is str for _, convert in self.converters)
        self.pattern = "".join(regex_parts)
        self.is_static = not self.param_names
        first = _PARAM.search(template)
        self.static_prefix = template[: first.start()] if first else template
        # how deep config from code sits: the route's literal prefix
        self.depth = self.static_prefix.rstrip("/").count("/")
        self.handlers: dict[str, Callable[..., Any]] = {}
        self.method_config: dict[str, dict[str, Any]] = {}
        self.any_method: Callable[..., Any] | None = None
        if isinstance(target, type):
            raise TypeError(
                f"route {template!r}: pass an instance of {target.__name__}, not the class"
            )
        responders = {m: getattr(target, "on_" + m.lower(), None) for m in METHODS}
        if any(callable(r) for r in responders.values()) and not _is_plain_function(target):
            if methods:
                raise ValueError(f"route {template!r}: methods= is for function handlers")
            for method, responder in responders.items():
                if callable(responder):
                    self.handlers[method] = responder
                    extra = getattr(responder, "_pegboard_config", None)
                    if extra:
                        self.method_config[method] = extra
        elif callable(target):
            if methods:
                for method in methods:
                    self.handlers[method.upper()] = target
            else:
                self.any_method = target
        else:
            raise TypeError(f"route {template!r}: {target!r} is neither callable nor a resource")
        if "GET" in self.handlers and "HEAD" not in self.handlers:
            self.handlers["HEAD"] = self.handlers["GET"]
        allowed = sorted(set(self.handlers) | ({"OPTIONS"} if self.handlers else set()))
        self.allow = ", ".join(allowed)
        #: the compiled plans, filled in when the app compiles
        self.compiled: RoutePlans | None = None

    @property
    def label(self) -> str:
        """How plans and config errors name this route."""
        if self.fallback:
            return f"WSGI app {self.static_prefix.rstrip('/')}/*"
        return f"route {self.template}"

    @property
    def default_plan(self) -> Plan | None:
        """The plan for methods without config of their own (None before the app compiles)."""
        return self.compiled.default if self.compiled is not None else None

    @property
    def plans(self) -> dict[str, Plan]:
        """The plans of methods that have config of their own, by method."""
        return dict(self.compiled.by_method) if self.compiled is not None else {}

    @property
    def section_plans(self) -> dict[str, tuple[Plan, dict[str, Plan]]]:
        """Per config section inside the template: (default plan, plans by method)."""
        if self.compiled is None:
            return {}
        return {s: (d, dict(m)) for s, (d, m) in self.compiled.by_section.items()}

    def code_config(self) -> dict[str, Any]:
        """Route config merged with decorator config on the target."""
        merged = dict(getattr(self.target, "_pegboard_config", None) or {})
        if not isinstance(self.target, type) and not _is_plain_function(self.target):
            merged.update(getattr(type(self.target), "_pegboard_config", None) or {})
        merged.update(self.config)
        return merged

    def convert(self, groups: tuple[str, ...]) -> dict[str, Any]:
        if self._plain:
            # PERF: every segment is a plain string; no conversion to run.
            return dict(zip(self.param_names, groups))  # noqa: B905  # same length by construction
        params = {}
        for (name, convert), text in zip(self.converters, groups, strict=True):
            try:
                params[name] = convert(text)
            except ValueError:
                raise HTTPError(404, f"{text!r} is not a valid {name}") from None
        return params

    def handler_for(self, method: str) -> Callable[..., Any] | None:
        """The callable for ``method``, or None (405)."""
        if self.any_method is not None:
            return self.any_method
        return self.handlers.get(method)

    def __repr__(self) -> str:
        return f"<Route {self.template}>"


def _is_plain_function(obj: Any) -> bool:
    return callable(obj) and (hasattr(obj, "__code__") or hasattr(obj, "__func__"))


class Router:
    """Matches paths: a dict for static routes, one combined regex for templates."""

    def __init__(self) -> None:
        self.static: dict[str, Route] = {}
        self.dynamic: list[Route] = []
        self.converters = dict(CONVERTERS)
        self._regex: re.Pattern[str] | None = None
        # marker group -> (route, its first group, its group count, the name of its
        # only parameter when that is a plain string, else None)
        self._slots: dict[int, tuple[Route, int, int, str | None]] = {}
        # (prefix, route) of the fallbacks, the longest prefix first
        self._fallbacks: list[tuple[str, Route]] = []
        #: the fallback that takes every path no other route takes: one at prefix ""
        #: with no templated route beside it (pegboard.wrap's), else None
        self.catch_all: Route | None = None
        # PERF: "<literal>/{name}" routes by their literal part, for the ones the regex
        # would try before any other kind: such a path is matched by one rpartition and
        # one dict lookup (see _tail_index).
        self._tails: dict[str, tuple[Route, str]] = {}
        self._compiled = False

    def add_converter(self, name: str, pattern: str, convert: Callable[[str], Any]) -> None:
        """Register a typed segment ``{name:kind}``; ``pattern`` must not capture."""
        if re.compile(pattern).groups:
            raise ValueError("a converter pattern must not contain capturing groups")
        self.converters[name] = Converter(pattern, convert)

    def add(self, route: Route) -> None:
        existing = self.static.get(route.template) if route.is_static else None
        if existing is not None or any(r.template == route.template for r in self.dynamic):
            raise ConfigError(f"route {route.template!r} is defined twice")
        if route.is_static:
            self.static[route.template] = route
        else:
            self.dynamic.append(route)
            self._compiled = False
            self.catch_all = None

    def remove(self, route: Route) -> None:
        if self.static.get(route.template) is route:
            del self.static[route.template]
        elif route in self.dynamic:
            self.dynamic.remove(route)
            self._compiled = False
            self.catch_all = None

    def routes(self) -> list[Route]:
        return [*self.static.values(), *self.dynamic]

    def compile(self) -> None:
        """Build the combined regex: each template is an alternative ending in a marker group.

        Fallback routes (a wrapped WSGI app's) are not in it: they answer
        whatever is below their prefix that no template matched.
        """
        parts = []
        slots: dict[int, tuple[Route, int, int, str | None]] = {}
        group = 0
        for route in self.dynamic:
            if route.fallback:
                continue
            first = group + 1
            count = len(route.param_names)
            group += count + 1
            single = route.param_names[0] if count == 1 and route._plain else None
            slots[group] = (route, first, count, single)
            parts.append(f"{route.pattern}()")
        self._regex = re.compile("(?:" + "|".join(parts) + r")\Z") if parts else None
        self._slots = slots
        self._tails = self._tail_index()
        fallbacks = [(r.static_prefix.rstrip("/"), r) for r in self.dynamic if r.fallback]
        self._fallbacks = sorted(fallbacks, key=lambda pair: len(pair[0]), reverse=True)
        whole = [route for prefix, route in self._fallbacks if prefix == ""]
        self.catch_all = whole[0] if whole and self._regex is None else None
        self._compiled = True

    def _tail_index(self) -> dict[str, tuple[Route, str]]:
        """The leading run of templates that end in one plain segment, by their literal part.

        Such a template (``/hello/{name}``) matches a path exactly when the path's
        last ``/`` splits it into its literal part and a non-empty segment. Only the
        templates before the first of any other kind are indexed: two of them never
        match the same path unless their literal parts are equal (the first is kept),
        so for these the lookup gives what the combined regex would.
        """
        tails: dict[str, tuple[Route, str]] = {}
        if self.converters["str"].pattern != CONVERTERS["str"].pattern:
            return tails  # a redefined {name} segment: the regex decides
        for route in self.dynamic:
            if route.fallback:
                continue  # not in the regex: tried after it
            prefix, names = route.static_prefix, route.param_names
            if not (
                len(names) == 1
                and prefix.endswith("/")
                and route.template == prefix + "{" + names[0] + "}"
            ):
                break
            tails.setdefault(prefix[:-1], (route, names[0]))
        return tails

    def match(self, path: str) -> tuple[Route | None, dict[str, Any]]:
        """The route for ``path`` and its converted parameters, or ``(None, {})``."""
        route = self.static.get(path)
        if route is not None:
            return route, {}
        return self.match_template(path)

    def match_template(self, path: str) -> tuple[Route | None, dict[str, Any]]:
        """Like ``match`` for templated routes only (the caller tried the dict)."""
        if not self._compiled:
            if not self.dynamic:
                return None, {}
            self.compile()
        head, slash, segment = path.rpartition("/")
        tail = self._tails.get(head)
        if tail is not None and segment and slash:
            return tail[0], {tail[1]: segment}
        regex = self._regex
        m = regex.match(path) if regex is not None else None
        if m is None:
            # PERF: a fallback is a prefix test, not an alternative of the regex.
            for prefix, fallback in self._fallbacks:
                if path.startswith(prefix) and (
                    len(path) == len(prefix) or path[len(prefix)] == "/"
                ):
                    return fallback, _NO_PARAMS  # its handler reads the path itself
            return None, {}
        # The marker group closes last, so lastindex tells which template matched.
        route, first, count, single = self._slots[m.lastindex or 0]
        if single is not None:
            # PERF: the common one-string-parameter route skips the tuple slicing.
            return route, {single: m.group(first)}
        return route, route.convert(m.groups()[first - 1 : first - 1 + count])
