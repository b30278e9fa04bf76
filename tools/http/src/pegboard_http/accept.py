"""The ``accept`` tool: choose a media type from the Accept header, or answer 406."""

from __future__ import annotations

import functools

import pegboard
import pegboard.httputil as httputil
from pegboard.httputil import HeaderError

__all__ = ["AcceptOptions", "AcceptTool", "accept_media_of"]


def accept_media_of(req: pegboard.Request) -> str | None:
    """The media type the accept tool chose for ``req`` (as written in ``media``), or None."""
    chosen: str | None = req.state.get("accept")
    return chosen


class AcceptOptions(pegboard.ToolOptions):
    """Options of the ``accept`` tool."""

    media: list[str] | str | None = pegboard.option(
        default=None,
        doc="media types the resource can produce, preferred first; unset: nothing is checked",
    )

    def __post_init__(self) -> None:
        for item in self.names():
            try:
                httputil.parse_media_type(item)
            except HeaderError:
                raise pegboard.OptionError(
                    "media", f"{item!r} is not a media type like 'application/json' (no wildcards)"
                ) from None

    def names(self) -> tuple[str, ...]:
        """The configured media types, in order."""
        media = self.media
        return (media,) if isinstance(media, str) else tuple(media or ())


class AcceptTool(pegboard.Tool[AcceptOptions]):
    """Pick the first of ``media`` the client accepts most; 406 when it accepts none.

    The chosen type is ``accept_media_of(req)`` (and ``req.accept_media``), a
    string from ``media`` as configured. A missing or empty Accept header
    accepts anything (the first of ``media`` is chosen); a malformed one is a
    400. ``Vary: Accept`` is added, because the answer depends on the header.
    """

    hooks = (
        pegboard.HookDoc(
            "before_handler", 40, "chooses the media type from Accept (406 if none fits)"
        ),
    )

    def __init__(self) -> None:
        super().__init__("accept", point="before_handler", priority=40)

    def attach(self, plan: pegboard.PlanBuilder, options: AcceptOptions) -> None:
        names = options.names()
        if not names:
            return  # CherryPy's behaviour: without media, the tool checks nothing
        plan.add("before_handler", _accept, self.priority, args=(names,))


#: httputil.best_media behind one C-level cache lookup. PERF: clients repeat the same
#: few headers and the types are fixed per route; a malformed header raises, uncached.
_best_media = functools.lru_cache(maxsize=512)(httputil.best_media)


def _accept(req: pegboard.Request, resp: pegboard.Response, names: tuple[str, ...]) -> None:
    resp.headers.add_vary("Accept")
    header = req.headers.get("Accept")
    if header is None or not header.strip():
        chosen: str | None = names[0]
    else:
        try:
            # Each type takes the q of the most specific range that matches it
            # (RFC 9110 12.5.1); ties go to the earlier type.
            chosen = _best_media(header, names)
        except HeaderError as exc:
            raise pegboard.HTTPError(400, f"Malformed Accept header: {exc}.") from None
        if chosen is None:
            raise pegboard.HTTPError(
                406,
                f"Your client sent this Accept header: {header}. "
                f"This resource only emits these media types: {', '.join(names)}.",
            )
    req.state.accept = chosen
    vars(req)["accept_media"] = chosen  # the attribute older code reads
