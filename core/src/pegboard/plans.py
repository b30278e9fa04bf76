"""Compiled plans: everything a request needs, resolved once per route or section."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .hooks import HOOKPOINTS, Hook, run_hooks

if TYPE_CHECKING:
    from .app import App

__all__ = ["HookWrapper", "Plan", "PlanBuilder", "QuickAnswer"]

#: ``callback(environ) -> (status, headers, body) | None``: see PlanBuilder.offer_quick_answer
QuickAnswer = Callable[[dict[str, Any]], "tuple[int, list[tuple[str, str]], bytes] | None"]

#: ``wrapper(hook, call) -> call``: see PlanBuilder.wrap_hooks
HookWrapper = Callable[[Hook, Callable[[Any, Any], Any]], Callable[[Any, Any], Any]]

DEFAULT_MAX_BODY_SIZE = 10 * 1024 * 1024


class Plan:
    """The immutable result of compiling config for one route or config section.

    For each hookpoint it holds a tuple of ready-to-call callables (options
    already bound) and their failsafe flags; a request only iterates them.
    """

    __slots__ = (
        "_failsafe",
        "after_error_response",
        "before_error_response",
        "before_finalize",
        "before_handler",
        "before_request_body",
        "config",
        "error_pages",
        "hook_wrappers",
        "hooks",
        "label",
        "max_body_size",
        "on_end_request",
        "on_end_resource",
        "on_start_resource",
        "process_request_body",
        "quick_answer",
        "response_headers",
        "runners",
        "show_tracebacks",
        "tools",
    )

    # Declared for type checkers; filled in by __init__ through setattr.
    on_start_resource: tuple[Callable[..., Any], ...]
    before_request_body: tuple[Callable[..., Any], ...]
    before_handler: tuple[Callable[..., Any], ...]
    before_finalize: tuple[Callable[..., Any], ...]
    on_end_resource: tuple[Callable[..., Any], ...]
    on_end_request: tuple[Callable[..., Any], ...]
    before_error_response: tuple[Callable[..., Any], ...]
    after_error_response: tuple[Callable[..., Any], ...]

    def __init__(
        self,
        hooks: Mapping[str, tuple[Hook, ...]],
        *,
        config: Mapping[str, Any] | None = None,
        tools: tuple[str, ...] = (),
        label: str = "",
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        show_tracebacks: bool = False,
        process_request_body: bool = True,
        error_pages: Mapping[str, Any] | None = None,
        response_headers: tuple[tuple[str, str], ...] = (),
        quick_answer: QuickAnswer | None = None,
        hook_wrappers: tuple[HookWrapper, ...] = (),
    ) -> None:
        self.hooks: Mapping[str, tuple[Hook, ...]] = MappingProxyType(
            {point: tuple(hooks.get(point, ())) for point in HOOKPOINTS}
        )
        #: what wraps every hook's call (timing, tracing); see PlanBuilder.wrap_hooks
        self.hook_wrappers = hook_wrappers
        failsafe: dict[str, tuple[bool, ...]] = {}
        runners: list[Callable[[Any, Any], Any] | None] = []
        for point in HOOKPOINTS:
            ordered = self.hooks[point]
            callbacks = tuple(self._bind(h) for h in ordered)
            setattr(self, point, callbacks)
            failsafe[point] = flags = tuple(h.failsafe for h in ordered)
            runners.append(_runner(callbacks, flags))
        self._failsafe = failsafe
        #: one callable per hookpoint, in HOOKPOINTS order, or None where nothing is attached
        self.runners: tuple[Callable[[Any, Any], Any] | None, ...] = tuple(runners)
        self.config: Mapping[str, Any] = MappingProxyType(dict(config or {}))
        self.tools = tools
        self.label = label
        self.max_body_size = max_body_size
        self.show_tracebacks = show_tracebacks
        self.process_request_body = process_request_body
        self.error_pages: Mapping[str, Any] = MappingProxyType(dict(error_pages or {}))
        self.response_headers = response_headers
        #: answers a request from its environ alone, or None; see PlanBuilder.offer_quick_answer
        self.quick_answer = quick_answer

    def _bind(self, hook: Hook) -> Callable[..., Any]:
        call = hook.bind()
        for wrapper in self.hook_wrappers:
            call = wrapper(hook, call)
        return call

    def failsafe(self, point: str) -> tuple[bool, ...]:
        """The failsafe flags of ``point``'s callables, in the same order."""
        return self._failsafe[point]

    def with_hook(self, point: str, hook: Hook) -> Plan:
        """A copy with one more hook at ``point`` (copy-on-write for per-request hooks)."""
        if point not in HOOKPOINTS:
            raise ValueError(
                f"unknown hookpoint {point!r}; expected one of {', '.join(HOOKPOINTS)}"
            )
        # PERF: this runs per request (a session lock's release, say), so only the
        # one hookpoint is rebuilt; every other tuple and mapping is shared.
        ordered = self.hooks[point]
        index = bisect.bisect_right(ordered, hook.priority, key=_priority)
        new = object.__new__(Plan)
        for name in _SHARED_SLOTS:
            setattr(new, name, getattr(self, name))
        hooks = dict(self.hooks)
        hooks[point] = (*ordered[:index], hook, *ordered[index:])
        new.hooks = hooks
        callbacks = getattr(self, point)
        callbacks = (*callbacks[:index], self._bind(hook), *callbacks[index:])
        setattr(new, point, callbacks)
        flags = self._failsafe[point]
        flags = (*flags[:index], hook.failsafe, *flags[index:])
        new._failsafe = {**self._failsafe, point: flags}
        runners = list(self.runners)
        runners[HOOKPOINTS.index(point)] = _runner(callbacks, flags)
        new.runners = tuple(runners)
        return new

    def with_wrapper(self, wrapper: HookWrapper) -> Plan:
        """A copy whose every hook is also wrapped by ``wrapper`` (see PlanBuilder.wrap_hooks).

        For instrumentation of some requests only (one in N sampled): the
        tool switches ``req.plan`` to such a copy, made once per plan, and the
        other requests run the compiled plan untouched.
        """
        return Plan(
            self.hooks,
            config=self.config,
            tools=self.tools,
            label=self.label,
            max_body_size=self.max_body_size,
            show_tracebacks=self.show_tracebacks,
            process_request_body=self.process_request_body,
            error_pages=self.error_pages,
            response_headers=self.response_headers,
            quick_answer=self.quick_answer,
            hook_wrappers=(*self.hook_wrappers, wrapper),
        )

    def describe(self) -> list[str]:
        """Human-readable lines: each hookpoint and its hooks in run order."""
        lines = []
        for point in HOOKPOINTS:
            for hook in self.hooks[point]:
                lines.append(f"{point:<22} {hook.describe()}")
        quick = self.quick_answer
        if quick is not None:
            name = getattr(quick, "__qualname__", None) or repr(quick)
            lines.append(f"{'quick_answer':<22}     {getattr(quick, '__module__', '')}.{name}")
        return lines


def _priority(hook: Hook) -> int:
    return hook.priority


# Everything with_hook() shares with the plan it copies: settings and other hookpoints.
_SHARED_SLOTS = tuple(
    name for name in Plan.__slots__ if name not in ("hooks", "_failsafe", "runners")
)


def _runner(
    callbacks: tuple[Callable[..., Any], ...], failsafe: tuple[bool, ...]
) -> Callable[[Any, Any], Any] | None:
    """What runs one hookpoint: nothing, its only callback, or all of them in order.

    PERF: a lone hook is called directly (with nothing after it, failsafe
    changes nothing), so the common plan pays no loop and no extra frame.
    """
    if not callbacks:
        return None
    if len(callbacks) == 1:
        return callbacks[0]
    if not any(failsafe[1:]):
        # PERF: no failsafe hook after the first, so a failure runs nothing more: a
        # plain sequence of calls, with no loop, index or handler (two or three hooks
        # is what a plan with a few tools on has at a hookpoint).
        return _sequence(callbacks)

    def run(req: Any, resp: Any) -> None:
        run_hooks(callbacks, failsafe, req, resp)

    return run


def _sequence(callbacks: tuple[Callable[..., Any], ...]) -> Callable[[Any, Any], None]:
    """Call each of ``callbacks`` in order; an exception stops the rest."""
    if len(callbacks) == 2:
        first, second = callbacks

        def run_two(req: Any, resp: Any) -> None:
            first(req, resp)
            second(req, resp)

        return run_two
    if len(callbacks) == 3:
        first, second, third = callbacks

        def run_three(req: Any, resp: Any) -> None:
            first(req, resp)
            second(req, resp)
            third(req, resp)

        return run_three

    def run_all(req: Any, resp: Any) -> None:
        for callback in callbacks:
            callback(req, resp)

    return run_all


def _sorted(hooks: tuple[Hook, ...]) -> tuple[Hook, ...]:
    # sorted() is stable, so equal priorities keep attachment order.
    return tuple(sorted(hooks, key=lambda h: h.priority))


class PlanBuilder:
    """Collects hooks while tools attach; ``build()`` sorts them into a Plan.

    Tools receive the builder in ``Tool.attach(plan, **options)`` and call
    ``plan.add(point, callback, priority, failsafe, **options)``.
    """

    def __init__(self, label: str = "", base_dir: Any = None, app: App | None = None) -> None:
        #: the route or config section being compiled, for error messages
        self.label = label
        #: the folder of the config file (a Path), for relative paths in options
        self.base_dir = base_dir
        #: the app being compiled: app-wide state lives in ``app.state``
        self.app = app
        self._hooks: dict[str, list[Hook]] = {point: [] for point in HOOKPOINTS}
        self._tool: str | None = None
        self._tool_point: str | None = None
        self._priority_override: int | None = None
        self._quick: tuple[QuickAnswer, str | None] | None = None
        #: (message, key) of each warning a tool raised while attaching
        self.warnings: list[tuple[str, str | None]] = []
        #: the names of the tools that are on in this plan (all of them, before any attaches)
        self.tools_on: frozenset[str] = frozenset()
        self._wrappers: list[tuple[HookWrapper, str | None]] = []

    def add(
        self,
        point: str,
        callback: Callable[..., Any],
        priority: int = 50,
        failsafe: bool = False,
        *,
        args: tuple[Any, ...] = (),
        **options: Any,
    ) -> None:
        """Attach ``callback(req, resp, *args, **options)`` at ``point``.

        A typed tool passes its options object as ``args=(options,)``.
        """
        if point not in self._hooks:
            raise ValueError(
                f"unknown hookpoint {point!r}; expected one of {', '.join(HOOKPOINTS)}"
            )
        if self._priority_override is not None and point == self._tool_point:
            priority = self._priority_override
        self._hooks[point].append(Hook(callback, priority, failsafe, options, self._tool, args))

    def add_hook(self, point: str, hook: Hook) -> None:
        """Attach a ready-made Hook at ``point``."""
        if point not in self._hooks:
            raise ValueError(
                f"unknown hookpoint {point!r}; expected one of {', '.join(HOOKPOINTS)}"
            )
        self._hooks[point].append(hook)

    def warn(self, message: str, key: str | None = None) -> None:
        """Report a setting that is legal but will not do what was probably meant.

        ``key`` is the config key at fault (``tools.<name>.<option>``); the
        warning is placed in the section where it was written, shown by
        ``pegboard check`` and ``pegboard serve``, and logged at start.
        """
        self.warnings.append((message, key))

    def wrap_hooks(self, wrapper: HookWrapper) -> None:
        """Wrap the call of every hook of this plan, every tool's included.

        ``wrapper(hook, call)`` returns what the plan calls instead of
        ``call(req, resp)``; ``hook.source`` names the tool that attached it
        (None for config hooks). For instrumentation that must see each tool
        separately (the time each tool's hooks take, a tracing event per
        tool); hooks added per request (``req.attach_hook``) are wrapped too.
        The wrapping costs only on plans whose tools asked for it.
        """
        self._wrappers.append((wrapper, self._tool))

    def offer_quick_answer(self, callback: QuickAnswer) -> None:
        """Let ``callback(environ)`` answer requests before any Request object exists.

        It returns ``(status, headers, body)``, the WSGI header list complete
        (Content-Type, Content-Length) and checked, or None to let the request
        run the whole lifecycle. The core calls it only for a routed request
        without a body, and only when every hook of the plan belongs to the
        tool that offers it and config adds no response headers: skipping the
        hooks then skips only that tool's own work, which it has done. A cache
        hit uses it.
        """
        self._quick = (callback, self._tool)

    def _drop_tool(self, name: str) -> None:
        """Forget the hooks ``name`` attached (its options turned out wrong)."""
        for hooks in self._hooks.values():
            hooks[:] = [h for h in hooks if h.source != name]
        if self._quick is not None and self._quick[1] == name:
            self._quick = None
        self._wrappers = [(w, tool) for w, tool in self._wrappers if tool != name]

    def _enter_tool(self, name: str | None, point: str | None, priority: int | None) -> None:
        self._tool, self._tool_point, self._priority_override = name, point, priority

    def build(self, **settings: Any) -> Plan:
        hooks = {point: _sorted(tuple(items)) for point, items in self._hooks.items()}
        quick = self._quick
        if (
            quick is not None
            and not settings.get("response_headers")
            and all(h.source == quick[1] for items in hooks.values() for h in items)
        ):
            settings["quick_answer"] = quick[0]
        return Plan(hooks, hook_wrappers=tuple(w for w, _ in self._wrappers), **settings)
