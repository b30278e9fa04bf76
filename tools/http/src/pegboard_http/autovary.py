"""The ``autovary`` tool: name in ``Vary`` the request headers the handler read.

While the handler runs, ``req.headers`` and ``req.cookies`` are replaced by
recording views; in before_finalize the names read are merged into ``Vary``
(with whatever gzip, sessions or accept already put there). Headers that
never select a representation (conditionals, body framing, Host) are
ignored.
"""

from __future__ import annotations

import functools
from collections.abc import ItemsView, Iterator, ValuesView
from typing import TYPE_CHECKING, Any

import pegboard
from pegboard import RequestHeaders

if TYPE_CHECKING:
    from _collections_abc import dict_items, dict_keys, dict_values

__all__ = ["DEFAULT_IGNORE", "AutovaryOptions", "AutovaryTool", "autovary_read_of"]

#: Request headers never added to Vary unless ``ignore`` is configured otherwise.
DEFAULT_IGNORE = (
    "Cache-Control",
    "Connection",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Length",
    "Content-Type",
    "Expect",
    "Host",
    "If-Match",
    "If-Modified-Since",
    "If-None-Match",
    "If-Range",
    "If-Unmodified-Since",
    "Pragma",
    "Range",
    "TE",
    "Transfer-Encoding",
    "Upgrade",
)


class _Recorder:
    """The header names read while ``recording`` is on, lower-case -> as first written."""

    __slots__ = ("read", "recording")

    def __init__(self) -> None:
        self.read: dict[str, str] = {}
        self.recording = False

    def note(self, name: str) -> None:
        if self.recording:
            lower, display = _display(name)
            self.read.setdefault(lower, display)


@functools.lru_cache(maxsize=512)
def _display(name: str) -> tuple[str, str]:
    """``("accept-language", "Accept-Language")`` for any spelling of a header name.

    PERF: handlers read the same few names on every request; bounded, so odd
    names a handler builds from input only evict entries.
    """
    display = "-".join(part.capitalize() for part in name.replace("_", "-").split("-"))
    return display.lower(), display


class _RecordingHeaders(RequestHeaders):
    """Request headers that tell the recorder about every lookup by name.

    Iterating over all headers (logging them, say) is not recorded.
    """

    __slots__ = ("_recorder",)

    def __init__(self, environ: dict[str, Any], recorder: _Recorder) -> None:
        super().__init__(environ)
        self._recorder = recorder

    def __getitem__(self, name: str) -> str:
        self._recorder.note(name)
        return super().__getitem__(name)

    def get(self, name: str, default: Any = None) -> Any:
        self._recorder.note(name)
        return super().get(name, default)

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self._recorder.note(name)
        return super().__contains__(name)

    def items(self) -> ItemsView[str, str]:
        return {name: RequestHeaders.__getitem__(self, name) for name in self}.items()

    def values(self) -> ValuesView[str]:
        return {name: RequestHeaders.__getitem__(self, name) for name in self}.values()


class _RecordingCookies(dict[str, str]):
    """The request's cookies; any read notes ``Cookie``."""

    def __init__(self, cookies: dict[str, str], recorder: _Recorder) -> None:
        super().__init__(cookies)
        self._recorder = recorder

    def __getitem__(self, name: str) -> str:
        self._recorder.note("Cookie")
        return super().__getitem__(name)

    def get(self, name: str, default: Any = None) -> Any:
        self._recorder.note("Cookie")
        return super().get(name, default)

    def __contains__(self, name: object) -> bool:
        self._recorder.note("Cookie")
        return super().__contains__(name)

    def __iter__(self) -> Iterator[str]:
        self._recorder.note("Cookie")
        return super().__iter__()

    def keys(self) -> dict_keys[str, str]:
        self._recorder.note("Cookie")
        return super().keys()

    def items(self) -> dict_items[str, str]:
        self._recorder.note("Cookie")
        return super().items()

    def values(self) -> dict_values[str, str]:
        self._recorder.note("Cookie")
        return super().values()


def autovary_read_of(req: pegboard.Request) -> dict[str, str] | None:
    """The request headers the handler read (lower-case name -> as written), or None.

    None when autovary is not on for the request (or no handler ran).
    """
    read: dict[str, str] | None = req.state.get("autovary")
    return read


def _install(req: pegboard.Request, recorder: _Recorder) -> None:
    """Put recording views in place of ``req.headers`` and ``req.cookies`` (public setters)."""
    cookies = req.cookies
    req.headers = _RecordingHeaders(req.environ, recorder)
    req.cookies = _RecordingCookies(cookies, recorder)


class AutovaryOptions(pegboard.ToolOptions):
    """Options of the ``autovary`` tool."""

    ignore: list[str] | None = pegboard.option(
        default=None,
        doc="request headers never added to Vary; unset: DEFAULT_IGNORE (conditionals, framing, "
        "Host...)",
    )


class AutovaryTool(pegboard.Tool[AutovaryOptions]):
    """Add to ``Vary`` every request header (and ``Cookie``) the handler read.

    Only reads made while the handler runs count; a generator that reads
    headers while the body streams is not seen (the headers are already sent
    by then). ``ignore`` replaces the default list of headers never added.
    """

    hooks = (
        pegboard.HookDoc(
            "before_handler", 5, "records the request headers the handler reads (wraps it)"
        ),
        pegboard.HookDoc("before_finalize", 85, "adds the recorded headers to Vary"),
    )

    def __init__(self) -> None:
        super().__init__("autovary", point="before_finalize", priority=85)

    def attach(self, plan: pegboard.PlanBuilder, options: AutovaryOptions) -> None:
        ignore = DEFAULT_IGNORE if options.ignore is None else options.ignore
        skipped = frozenset(h.lower() for h in ignore)
        plan.add("before_handler", _record, 5)
        plan.add("before_finalize", _add_vary, self.priority, args=(skipped,))


def _record(req: pegboard.Request, resp: pegboard.Response) -> None:
    handler = req.handler
    if handler is None:
        return
    recorder = _Recorder()
    _install(req, recorder)
    req.state.autovary = recorder.read
    vars(req)["autovary_read"] = recorder.read  # the attribute older code reads

    def recorded(req: pegboard.Request, resp: pegboard.Response, **params: Any) -> Any:
        recorder.recording = True
        try:
            return handler(req, resp, **params)
        finally:
            recorder.recording = False

    req.handler = recorded


def _add_vary(req: pegboard.Request, resp: pegboard.Response, ignore: frozenset[str]) -> None:
    # PERF: the state's own dict, read directly (State.get is one more Python call).
    read: dict[str, str] | None = vars(req.state).get("autovary")
    if not read:
        return
    names = [display for lower, display in read.items() if lower not in ignore]
    if names:
        resp.headers.add_vary(*names)
