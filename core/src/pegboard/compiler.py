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
from .hooks import HOOKPOINTS
from .plans import DEFAULT_MAX_BODY_SIZE, Plan, PlanBuilder
from .plugins import ToolRegistry
from .routing import Route
from .tool import Tool
from .validation import ConfigValidator

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

    def compile_sections(self) -> None:
        """Validate the globals and every section; compile one plan per section and for '/'."""
        self.validator.check_globals(self.config.globals)
        self.sections = {
            path: self.validator.clean_section(flat, path)
            for path, flat in self.config.sections.items()
        }
        self.section_plans = {
            path: self.compile(self.merged(path), path) for path in {"/", *self.sections}
        }

    def merged(
        self, path: str, code: Mapping[str, Any] | None = None, depth: int = 0
    ) -> dict[str, Any]:
        """The validated sections for ``path`` merged with config from code (Config.merged)."""
        return Config(self.sections).merged(path, code, depth)

    def compile(self, merged: Mapping[str, Any], label: str) -> Plan:
        """Turn merged config into a Plan: tools attached, hooks sorted, settings read."""
        builder = PlanBuilder(label, self.config.base_dir, self.app)
        tool_options: dict[str, dict[str, Any]] = {}
        for key, value in merged.items():
            if key.startswith("tools."):
                _, name, option = key.split(".", 2)
                tool_options.setdefault(name, {})[option] = value
        active: list[Tool] = []
        for name, options in tool_options.items():
            if not options.get("on"):
                continue
            tool = self.tools.require(name, label, f"tools.{name}.on")
            options = tool.validate(options, label, complete=True)
            options.pop("on")
            priority = options.pop("priority", None)
            builder._enter_tool(name, tool.point, priority)
            tool.attach_configured(builder, options, label)
            active.append(tool)
        builder._enter_tool(None, None, None)
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
            tool.check_plan(plan)
            self.active_tools.setdefault(tool.name, tool)
        return plan

    def compile_route(self, route: Route) -> RoutePlans:
        """A route's plans: one per method with config of its own, one default, per section."""
        label = f"route {route.template}"
        code = self.validator.clean_section(route.code_config(), label)
        base = route.static_prefix.rstrip("/") or "/"
        if not route.is_static and "/" in route.static_prefix:
            base = route.static_prefix[: route.static_prefix.rfind("/")] or "/"

        def plans_for(section_path: str) -> tuple[Plan, dict[str, Plan]]:
            default = self.compile(self.merged(section_path, code, route.depth), label)
            by_method = {}
            for method, extra in route.method_config.items():
                merged_code = {**code, **self.validator.clean_section(extra, f"{label} {method}")}
                by_method[method] = self.compile(
                    self.merged(section_path, merged_code, route.depth), label
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
