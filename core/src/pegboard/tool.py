"""The Tool model, wrapper tools, and the ``pegboard.tools`` decorator namespace."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any, TypeVar

from .errors import ConfigError
from .hooks import HOOKPOINTS
from .options import Option, coerce, schema_from
from .plans import Plan, PlanBuilder

__all__ = ["Tool", "WrapperTool", "tools"]

F = TypeVar("F")

#: Options every tool accepts: ``on`` switches it, ``priority`` overrides its priority.
RESERVED_OPTIONS = {"on": Option("on", bool, False), "priority": Option("priority", int, None)}


def suggest(name: str, candidates: Any) -> str:
    """``"; did you mean 'x'?"`` for the closest candidate, or an empty string."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


class Tool:
    """A named, configurable behaviour attached to one or more hookpoints.

    The callback's keyword parameters after ``(req, resp)`` are the tool's
    options: their annotations and defaults are its schema, checked when the
    app starts. A tool that needs several hookpoints subclasses Tool and
    overrides ``attach(plan, **options)``; then ``attach``'s parameters are
    the schema.
    """

    #: hookpoints this tool uses, for ``pegboard tools`` (subclasses list theirs)
    points: tuple[str, ...] = ()

    def __init__(
        self,
        name: str,
        callback: Callable[..., Any] | None = None,
        point: str = "before_handler",
        priority: int = 50,
        *,
        failsafe: bool = False,
        doc: str | None = None,
    ) -> None:
        if not name.isidentifier():
            raise ValueError(f"a tool name must be a Python identifier, not {name!r}")
        if point not in HOOKPOINTS:
            raise ValueError(
                f"unknown hookpoint {point!r}; expected one of {', '.join(HOOKPOINTS)}"
            )
        if callback is None and type(self).attach is Tool.attach:
            raise TypeError(f"tool {name!r} needs a callback or an attach() override")
        self.name = name
        self.callback = callback
        self.point = point
        self.priority = priority
        self.failsafe = failsafe
        self.doc = doc or (callback.__doc__ if callback else type(self).__doc__) or ""
        #: the distribution that provided this tool (set at discovery)
        self.distribution: str | None = None
        self._schema: tuple[dict[str, Option], bool] | None = None
        if not self.points:
            self.points = (point,)

    # -- schema ------------------------------------------------------------

    @property
    def options(self) -> dict[str, Option]:
        """The option schema, without the reserved ``on`` and ``priority``."""
        return dict(self._get_schema()[0])

    def _get_schema(self) -> tuple[dict[str, Option], bool]:
        if self._schema is None:
            if type(self).attach is not Tool.attach:
                self._schema = schema_from(self.attach, skip=1)
            else:
                assert self.callback is not None
                self._schema = schema_from(self.callback, skip=self._callback_skip())
        return self._schema

    def _callback_skip(self) -> int:
        return 2  # req, resp

    def validate(
        self, options: dict[str, Any], section: str, complete: bool = True
    ) -> dict[str, Any]:
        """Check and convert configured options; raise ConfigError naming the key.

        ``complete`` is False for one config section on its own (required
        options may come from a parent section) and True for merged config.
        """
        schema, open_ended = self._get_schema()
        checked: dict[str, Any] = {}
        for key, value in options.items():
            full = f"tools.{self.name}.{key}"
            option = RESERVED_OPTIONS.get(key) or schema.get(key)
            if option is None:
                if open_ended:
                    checked[key] = value
                    continue
                hint = suggest(key, [*schema, *RESERVED_OPTIONS])
                raise ConfigError(
                    f"tool {self.name!r} has no option {key!r}{hint}", section=section, key=full
                )
            try:
                checked[key] = coerce(value, option.annotation)
            except (TypeError, ValueError) as exc:
                raise ConfigError(str(exc), section=section, key=full) from None
        if complete and checked.get("on"):
            missing = [o.name for o in schema.values() if o.required and o.name not in checked]
            if missing:
                raise ConfigError(
                    f"tool {self.name!r} needs option {missing[0]!r}",
                    section=section,
                    key=f"tools.{self.name}.{missing[0]}",
                )
            self.check(checked, section)
        return checked

    def check(self, options: dict[str, Any], section: str) -> None:
        """Cross-option checks for subclasses; raise ConfigError. Runs at start-up."""

    def check_plan(self, plan: Plan) -> None:
        """Cross-tool checks on each compiled plan where this tool is on.

        Raise ConfigError (``section=plan.label``) when the plan cannot work,
        for example a tool that needs another one on the same path, earlier.
        Runs when plans are compiled: at start, in ``pegboard check`` and for
        routes added later.
        """

    # -- attaching ---------------------------------------------------------------

    def attach(self, plan: PlanBuilder, **options: Any) -> None:
        """Add this tool's hooks to a plan being compiled."""
        assert self.callback is not None
        plan.add(self.point, self.callback, self.priority, self.failsafe, **options)

    def __call__(self, **options: Any) -> Callable[[F], F]:
        """Decorator: switch this tool on for a handler, with options."""
        return _decorator(self.name, options)

    def __repr__(self) -> str:
        return f"<Tool {self.name} at {self.point}, priority {self.priority}>"


class WrapperTool(Tool):
    """A tool that wraps the handler: ``wrapper(handler, req, resp, **options)``.

    ``handler()`` calls the route's handler with its path parameters and
    returns what it returned; the wrapper returns the body to use. If a
    handler tool already answered the request, the wrapper is skipped.
    """

    def __init__(
        self,
        name: str,
        wrapper: Callable[..., Any],
        priority: int = 50,
        *,
        doc: str | None = None,
    ) -> None:
        self.wrapper = wrapper
        super().__init__(name, wrapper, "before_handler", priority, doc=doc or wrapper.__doc__)

    def _callback_skip(self) -> int:
        return 3  # handler, req, resp

    def attach(self, plan: PlanBuilder, **options: Any) -> None:
        plan.add(
            "before_handler", _wrap_handler, self.priority, False, _wrapper=self.wrapper, **options
        )

    def _get_schema(self) -> tuple[dict[str, Option], bool]:
        if self._schema is None:
            self._schema = schema_from(self.wrapper, skip=3)
        return self._schema


def _wrap_handler(req: Any, resp: Any, _wrapper: Callable[..., Any], **options: Any) -> None:
    inner = req.handler
    if inner is None:
        return

    def wrapped(req: Any, resp: Any, **params: Any) -> Any:
        return _wrapper(lambda: inner(req, resp, **params), req, resp, **options)

    req.handler = wrapped


def _decorator(name: str, options: dict[str, Any]) -> Callable[[F], F]:
    def decorate(target: F) -> F:
        config = dict(getattr(target, "__dict__", {}).get("_pegboard_config", {}))
        config[f"tools.{name}.on"] = True
        for key, value in options.items():
            config[f"tools.{name}.{key}"] = value
        target._pegboard_config = config  # type: ignore[attr-defined]
        return target

    return decorate


class _ToolDecorators:
    """``@pegboard.tools.sessions(timeout=30)``: switch a tool on for one handler.

    Names are checked when the app starts, so a tool installed later (or a
    typo) is reported then, with a suggestion.
    """

    def __getattr__(self, name: str) -> Callable[..., Callable[[F], F]]:
        if name.startswith("_"):
            raise AttributeError(name)

        def factory(**options: Any) -> Callable[[F], F]:
            return _decorator(name, options)

        factory.__name__ = name
        return factory


tools = _ToolDecorators()
