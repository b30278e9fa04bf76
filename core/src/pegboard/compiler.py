"""Plan compilation: merged config turned into immutable plans, once per route and section.

Everything here runs when the app compiles (start-up, ``pegboard check``,
``pegboard routes``, a route added later), never per request: config
merging, tool lookup, option validation and hook sorting.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .config import Config, path_depth
from .errors import ConfigError, ConfigWarning
from .hooks import HOOKPOINTS
from .plans import DEFAULT_MAX_BODY_SIZE, Plan, PlanBuilder
from .plugins import ToolRegistry
from .routing import Route
from .tool import Tool
from .validation import INVALID, ConfigValidator

if TYPE_CHECKING:
    from .app import App

__all__ = ["PlanCompiler", "RoutePlans"]


@dataclass(frozen=True, slots=True)
class RoutePlans:
    """The compiled plans of one route.

    ``default`` serves every method without config of its own; ``by_method``
    the methods that have some (a resource's ``on_post`` with a decorator).
    ``by_section`` holds, for each config section that lies inside the
    route's template (``/users/{id}`` with a ``/users/admin`` section), the
    same pair compiled for that section; it is empty for most routes.
    """

    default: Plan
    by_method: Mapping[str, Plan] = field(default_factory=dict)
    by_section: Mapping[str, tuple[Plan, Mapping[str, Plan]]] = field(default_factory=dict)

    def select(self, method: str, section: str | None = None) -> Plan:
        """The plan for ``method``, under ``section`` when the route depends on sections."""
        default, by_method = self.default, self.by_method
        if section is not None and self.by_section:
            found = self.by_section.get(section)
            if found is not None:
                default, by_method = found
        return by_method.get(method) or default

    def __iter__(self) -> Iterator[Plan]:
        yield self.default
        yield from self.by_method.values()
        for default, by_method in self.by_section.values():
            yield default
            yield from by_method.values()


class PlanCompiler:
    """Validates an app's config and compiles its plans, keeping the results for the app."""

    def __init__(
        self, app: App, config: Config, tools: ToolRegistry, validator: ConfigValidator
    ) -> None:
        self.app = app
        self.config = config
        self.tools = tools
        self.validator = validator
        #: each config section's keys, validated (import strings resolved)
        self.sections: dict[str, dict[str, Any]] = {}
        #: the plan of each config section, for paths no route matches
        self.section_plans: dict[str, Plan] = {}
        #: every tool that is on in at least one compiled plan, in the order first met
        self.active_tools: dict[str, Tool] = {}
        #: the mistakes found while compiling (validation's own are in validator.errors)
        self.errors = validator.errors
        #: settings that are legal but probably not what was meant, deduplicated
        self.warnings: dict[str, ConfigWarning] = {}

    def compile_sections(self) -> None:
        """Validate the globals and every section; compile one plan per section and for '/'."""
        self.validator.check_globals(self.config.globals)
        self.sections = {
            path: self.validator.clean_section(flat, path)
            for path, flat in self.config.sections.items()
        }
        self.section_plans = {
            path: self.compile(*self.merged(path), path) for path in {"/", *self.sections}
        }

    def merged(
        self, path: str, code: Mapping[str, Any] | None = None, depth: int = 0, label: str = ""
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """The validated sections for ``path`` merged with code config; each key's origin."""
        return Config(self.sections).merged_with_origins(path, code, depth, label)

    def _located(self, error: ConfigError, origins: Mapping[str, str], label: str) -> ConfigError:
        """``error`` placed in the section where its key was written (not the plan's label)."""
        key = error.key
        if key is None or error.section not in (label, None):
            return error
        written = key
        origin = origins.get(key)
        if origin is None and key.startswith("tools."):
            written = ".".join(key.split(".")[:2]) + ".on"  # a missing option: where it was on
            origin = origins.get(written)
        if origin is None:
            return error
        source = None if origin.startswith("route ") else self.config.source_of(origin, written)
        return error.located(section=origin, source=source)

    def compile(self, merged: Mapping[str, Any], origins: Mapping[str, str], label: str) -> Plan:
        """Turn merged config into a Plan: tools attached, hooks sorted, settings read.

        A tool whose options are wrong is left out of the plan and its error
        recorded in ``errors``, so the rest of the config is still checked.
        """
        builder = PlanBuilder(label, self.config.base_dir, self.app)
        tool_options: dict[str, dict[str, Any]] = {}
        for key, value in merged.items():
            if key.startswith("tools."):
                _, name, option = key.split(".", 2)
                tool_options.setdefault(name, {})[option] = value
        active: list[Tool] = []
        builder.tools_on = frozenset(
            name for name, options in tool_options.items() if options.get("on")
        )
        for name, options in tool_options.items():
            if not options.get("on"):
                continue
            tool = self.tools.get(name)
            if tool is None or any(v is INVALID for v in options.values()):
                continue  # an unknown tool or a wrong option: validation reported it
            builder._enter_tool(name, tool.point, None)
            try:
                options = tool.validate(options, label, complete=True)
                options.pop("on")
                builder._enter_tool(name, tool.point, options.pop("priority", None))
                tool.attach_configured(builder, options, label)
            except ConfigError as exc:
                self.errors.append(self._located(exc, origins, label))
                builder._drop_tool(name)
                continue
            active.append(tool)
        builder._enter_tool(None, None, None)
        for message, at in builder.warnings:
            self._warn(self._located(ConfigError(message, section=label, key=at), origins, label))
        for point in HOOKPOINTS:
            for hook in merged.get(f"hooks.{point}", ()):
                builder.add_hook(point, hook)
        error_pages = {
            k[len("error_page.") :]: v for k, v in merged.items() if k.startswith("error_page.")
        }
        plan = builder.build(
            config=merged,
            tools=tuple(tool.name for tool in active),
            label=label,
            max_body_size=merged.get("request.max_body_size", DEFAULT_MAX_BODY_SIZE),
            show_tracebacks=merged.get("request.show_tracebacks", False),
            process_request_body=merged.get("request.process_request_body", True),
            error_pages=error_pages,
            response_headers=tuple(merged.get("response.headers", {}).items()),
        )
        for tool in active:
            try:
                tool.check_plan(plan)
            except ConfigError as exc:
                self.errors.append(self._located(exc, origins, label))
            self.active_tools.setdefault(tool.name, tool)
        return plan

    def _warn(self, error: ConfigError) -> None:
        warning = ConfigWarning(error.message, error.section, error.key, error.source)
        self.warnings.setdefault(warning.line(), warning)

    def warn_unused_options(self) -> None:
        """Warn about options of tools that are on for no path: they would do nothing."""
        for section, keys in self.sections.items():
            for key in keys:
                if not key.startswith("tools."):
                    continue
                _, name, option = key.split(".", 2)
                if option not in ("on", "priority") and name not in self.active_tools:
                    self._warn(
                        ConfigError(
                            f"tools.{name} is on for no path, so this option does nothing; "
                            f"add tools.{name}.on = true here or remove it",
                            section=section,
                            key=key,
                            source=self.config.source_of(section, key),
                        )
                    )

    def compile_route(self, route: Route) -> RoutePlans:
        """A route's plans: one per method with config of its own, one default, per section."""
        label = route.label
        code = self.validator.clean_section(route.code_config(), label)
        base = route.static_prefix.rstrip("/") or "/"
        if not route.is_static and "/" in route.static_prefix:
            base = route.static_prefix[: route.static_prefix.rfind("/")] or "/"

        def plans_for(section_path: str) -> tuple[Plan, dict[str, Plan]]:
            default = self.compile(*self.merged(section_path, code, route.depth, label), label)
            by_method = {}
            for method, extra in route.method_config.items():
                merged_code = {**code, **self.validator.clean_section(extra, f"{label} {method}")}
                by_method[method] = self.compile(
                    *self.merged(section_path, merged_code, route.depth, label), label
                )
            return default, by_method

        default, by_method = plans_for(route.template if route.is_static else base)
        by_section: dict[str, tuple[Plan, Mapping[str, Plan]]] = {}
        if not route.is_static:
            inner = base.rstrip("/") + "/"
            for section in self.sections:
                if section.startswith(inner) and path_depth(section) > path_depth(base):
                    by_section[section] = plans_for(section)
        return RoutePlans(default, by_method, by_section)
