"""The Tool model, wrapper tools, and the ``pegboard.tools`` decorator namespace."""

from __future__ import annotations

import difflib
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic

from typing_extensions import TypeVar

from .errors import ConfigError
from .hooks import HOOKPOINTS
from .options import Option, OptionError, coerce, schema_from, schema_of_options
from .plans import Plan, PlanBuilder

if TYPE_CHECKING:
    from .app import App

__all__ = ["HookDoc", "Tool", "WrapperTool", "tools"]

F = TypeVar("F")
#: The options type of a tool: a ToolOptions subclass (or any dataclass); Any for
#: tools that declare their options as keyword parameters (the older form).
OptionsT = TypeVar("OptionsT", default=Any)

#: Options every tool accepts: ``on`` switches it, ``priority`` overrides its priority.
RESERVED_OPTIONS = {
    "on": Option("on", bool, False, "switch the tool on for this path and below"),
    "priority": Option("priority", int, None, "run the tool's main hook at this priority"),
}


def suggest(name: str, candidates: Any) -> str:
    """``"; did you mean 'x'?"`` for the closest candidate, or an empty string."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


@dataclass(frozen=True, slots=True)
class HookDoc:
    """One hook a tool attaches, as the ordering table shows it.

    A tool lists these in its ``hooks`` class attribute; ``docs/lifecycle.md``
    is generated from them and a test checks them against what ``attach``
    really does.
    """

    point: str
    priority: int
    does: str = ""
    failsafe: bool = False
    #: True for a hook attached per request (``req.attach_hook``), not in the plan
    per_request: bool = False

    def __post_init__(self) -> None:
        if self.point not in HOOKPOINTS:
            raise ValueError(
                f"unknown hookpoint {self.point!r}; expected one of {', '.join(HOOKPOINTS)}"
            )


def _options_type_of(cls: type) -> type | None:
    """``GzipOptions`` for ``class GzipTool(Tool[GzipOptions])``, else None."""
    for klass in cls.__mro__:
        for base in getattr(klass, "__orig_bases__", ()):
            if typing.get_origin(base) is not None and isinstance(typing.get_origin(base), type):
                origin = typing.get_origin(base)
                if issubclass(origin, Tool):
                    args = typing.get_args(base)
                    if args and isinstance(args[0], type):
                        return args[0]
    return None


class Tool(Generic[OptionsT]):
    """A named, configurable behaviour attached to one or more hookpoints.

    Options are declared in one of two forms:

    - **typed** (preferred): an options class, a :class:`~pegboard.ToolOptions`
      subclass, given as ``options_type`` or as the type argument of a
      subclass (``class GzipTool(pegboard.Tool[GzipOptions])``). The core
      builds one instance per compiled plan and calls ``attach(plan, options)``;
      a plain callback is called as ``callback(req, resp, options)``.
    - **signature**: the callback's keyword parameters after ``(req, resp)``
      (or those of an ``attach(plan, **options)`` override) are the schema, and
      are passed as keyword arguments.

    A tool that keeps state for a whole app (a pool, a registry, counters)
    keeps it in ``app.state`` and opens and closes it in :meth:`start` and
    :meth:`stop`, which run with the app when the tool is on for some path.
    """

    #: hookpoints this tool uses, for ``pegboard tools`` (derived from ``hooks`` when set)
    points: tuple[str, ...] = ()
    #: the hooks this tool attaches, for the generated ordering table
    hooks: tuple[HookDoc, ...] = ()
    #: the options class of a typed tool (or pass ``options_type=`` to ``__init__``)
    options_type: type[OptionsT] | None = None

    def __init__(
        self,
        name: str,
        callback: Callable[..., Any] | None = None,
        point: str = "before_handler",
        priority: int = 50,
        *,
        failsafe: bool = False,
        doc: str | None = None,
        options_type: type[OptionsT] | None = None,
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
        if options_type is None:
            options_type = type(self).options_type or _options_type_of(type(self))
        self.options_type = options_type
        self._schema: tuple[dict[str, Option], bool] | None = None
        if not self.hooks:
            first = (self.doc or "").strip().split("\n", 1)[0]
            self.hooks = tuple(HookDoc(p, priority, first) for p in (self.points or (point,)))
        if not self.points:
            self.points = tuple(dict.fromkeys(h.point for h in self.hooks))

    # -- schema ------------------------------------------------------------

    @property
    def options(self) -> dict[str, Option]:
        """The option schema, without the reserved ``on`` and ``priority``."""
        return dict(self._get_schema()[0])

    @property
    def typed(self) -> bool:
        """Whether this tool declares its options as an options class."""
        return self.options_type is not None

    def _get_schema(self) -> tuple[dict[str, Option], bool]:
        if self._schema is None:
            if self.options_type is not None:
                self._schema = (schema_of_options(self.options_type), False)
            elif type(self).attach is not Tool.attach:
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
            if self.options_type is None:
                self._checked(section, self.check, checked, section)
        return checked

    def build_options(self, checked: Mapping[str, Any], section: str) -> OptionsT:
        """The options object of a typed tool from validated config (``on``/``priority`` dropped).

        Runs the class's own checks (``__post_init__``) and :meth:`check`.
        """
        if self.options_type is None:
            raise TypeError(f"tool {self.name!r} declares no options class")
        values = {k: v for k, v in checked.items() if k not in RESERVED_OPTIONS}
        built: OptionsT = self._checked(section, self.options_type, **values)
        self._checked(section, self.check, built, section)
        return built

    def _checked(self, section: str, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """``func(*args, **kwargs)``, an OptionError turned into a ConfigError for ``section``."""
        try:
            return func(*args, **kwargs)
        except OptionError as exc:
            raise ConfigError(
                exc.message, section=section, key=f"tools.{self.name}.{exc.key}"
            ) from None

    def check(self, options: Any, section: str) -> None:
        """Cross-option checks; raise :class:`~pegboard.OptionError` (or ConfigError).

        ``options`` is the options object of a typed tool, or the dict of
        configured options for the signature form. Runs at start-up.
        """

    def check_plan(self, plan: Plan) -> None:
        """Cross-tool checks on each compiled plan where this tool is on.

        Raise ConfigError (``section=plan.label``) when the plan cannot work,
        for example a tool that needs another one on the same path, earlier.
        Runs when plans are compiled: at start, in ``pegboard check`` and for
        routes added later.
        """

    # -- lifecycle -----------------------------------------------------------------

    def start(self, app: App) -> None:
        """Open what this tool needs for ``app`` (pools, threads, ``app.state``).

        Runs once per app start, after every plan compiled, for each tool that
        is on for at least one path. If it raises, the app does not start and
        the tools already started are stopped.
        """

    def stop(self, app: App) -> None:
        """Close what :meth:`start` opened; runs once per app stop, in reverse order."""

    # -- attaching ---------------------------------------------------------------

    def attach(self, plan: PlanBuilder, options: OptionsT) -> None:
        """Add this tool's hooks to a plan being compiled.

        The default attaches the callback at the tool's point, called as
        ``callback(req, resp, options)``. Signature-form subclasses override
        it as ``attach(self, plan, **options)``.
        """
        assert self.callback is not None
        plan.add(self.point, self.callback, self.priority, self.failsafe, args=(options,))

    def attach_configured(self, plan: PlanBuilder, options: dict[str, Any], label: str) -> None:
        """Attach with validated config, in whichever form this tool declares its options.

        ``attach`` may raise :class:`~pegboard.OptionError` for what it can only
        check with the app at hand (a backend that is not installed, a folder).
        """
        if self.options_type is not None:
            self._checked(label, self.attach, plan, self.build_options(options, label))
        elif type(self).attach is not Tool.attach:
            self._checked(label, self.attach, plan, **options)
        else:
            assert self.callback is not None
            plan.add(self.point, self.callback, self.priority, self.failsafe, **options)

    def __call__(self, **options: Any) -> Callable[[F], F]:
        """Decorator: switch this tool on for a handler, with options."""
        return _decorator(self.name, options)

    def __repr__(self) -> str:
        return f"<Tool {self.name} at {self.point}, priority {self.priority}>"


class WrapperTool(Tool[OptionsT]):
    """A tool that wraps the handler: ``wrapper(handler, req, resp, options)``.

    ``handler()`` calls the route's handler with its path parameters and
    returns what it returned; the wrapper returns the body to use. If a
    handler tool already answered the request, the wrapper is skipped. In the
    signature form the wrapper takes its options as keyword parameters.
    """

    def __init__(
        self,
        name: str,
        wrapper: Callable[..., Any],
        priority: int = 50,
        *,
        doc: str | None = None,
        options_type: type[OptionsT] | None = None,
    ) -> None:
        self.wrapper = wrapper
        super().__init__(
            name,
            wrapper,
            "before_handler",
            priority,
            doc=doc or wrapper.__doc__,
            options_type=options_type,
        )

    def _callback_skip(self) -> int:
        return 3  # handler, req, resp

    def _get_schema(self) -> tuple[dict[str, Option], bool]:
        if self._schema is None and self.options_type is None:
            self._schema = schema_from(self.wrapper, skip=3)
        return super()._get_schema()

    def attach(self, plan: PlanBuilder, options: OptionsT) -> None:
        plan.add("before_handler", _wrap_handler, self.priority, args=(self.wrapper, (options,)))

    def attach_configured(self, plan: PlanBuilder, options: dict[str, Any], label: str) -> None:
        if self.options_type is not None:
            self._checked(label, self.attach, plan, self.build_options(options, label))
        else:
            plan.add(
                "before_handler", _wrap_handler, self.priority, args=(self.wrapper, ()), **options
            )


def _wrap_handler(
    req: Any, resp: Any, wrapper: Callable[..., Any], args: tuple[Any, ...], **options: Any
) -> None:
    inner = req.handler
    if inner is None:
        return

    def wrapped(req: Any, resp: Any, **params: Any) -> Any:
        return wrapper(lambda: inner(req, resp, **params), req, resp, *args, **options)

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
