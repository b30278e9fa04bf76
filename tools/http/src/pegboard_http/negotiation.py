"""The ``accept`` tool: choose a media type from the Accept header, or answer 406."""

from __future__ import annotations

import functools
import re
from typing import Any

import pegboard

from ._config import with_defaults
from .qvalues import MalformedHeader, Weighted, parse_weighted

__all__ = ["AcceptTool", "MediaType", "best_media"]

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_MEDIA = re.compile(rf"^{_TOKEN}/{_TOKEN}$")

#: (type, subtype, params) of a media type the resource can produce
MediaType = tuple[str, str, tuple[tuple[str, str], ...]]


def _parse_offer(text: str) -> MediaType | None:
    """``"text/html; level=1"`` as a MediaType, or None if it is not a concrete type."""
    try:
        parsed = parse_weighted(text, media=True)
    except MalformedHeader:
        return None
    if len(parsed) != 1 or "*" in parsed[0].value or not _MEDIA.match(parsed[0].value):
        return None
    kind, _, sub = parsed[0].value.partition("/")
    return kind, sub, parsed[0].params


def _specificity(rng: Weighted, offer: MediaType) -> int:
    """How precisely ``rng`` matches ``offer`` (higher wins), or -1 when it does not."""
    kind, _, sub = rng.value.partition("/")
    if kind != "*" and kind != offer[0]:
        return -1
    if sub != "*" and sub != offer[1]:
        return -1
    offered = {k: v.lower() for k, v in offer[2]}
    for name, value in rng.params:
        if offered.get(name) != value.lower():
            return -1
    return (kind != "*") * 100 + (sub != "*") * 10 + len(rng.params)


def best_media(ranges: list[Weighted], offers: list[MediaType]) -> int | None:
    """Index of the offer the client prefers most, or None when none is acceptable.

    Each offer takes the q of the most specific range that matches it (RFC
    9110, 12.5.1), so ``text/*;q=0.5, text/html`` ranks html above plain
    text and ``*/*, text/csv;q=0`` refuses CSV. Ties go to the earlier offer.
    """
    best: int | None = None
    best_q = 0.0
    for index, offer in enumerate(offers):
        q = 0.0
        precision = -1
        for rng in ranges:
            s = _specificity(rng, offer)
            if s > precision:
                precision, q = s, rng.q
        if q > best_q:
            best, best_q = index, q
    return best


class AcceptTool(pegboard.Tool):
    """Pick the first of ``media`` the client accepts most; 406 when it accepts none.

    The chosen type is stored as ``req.accept_media`` (a string from
    ``media``, as configured). A missing or empty Accept header accepts
    anything (the first of ``media`` is chosen); a malformed one is a 400.
    ``Vary: Accept`` is added, because the answer depends on the header.
    """

    points = ("before_handler",)

    def __init__(self) -> None:
        super().__init__("accept", point="before_handler", priority=40)

    def check(self, options: dict[str, Any], section: str) -> None:
        media = with_defaults(self, options)["media"]
        for item in [media] if isinstance(media, str) else media or []:
            if _parse_offer(item) is None:
                raise pegboard.ConfigError(
                    f"{item!r} is not a media type like 'application/json' (no wildcards)",
                    section=section,
                    key="tools.accept.media",
                )

    def attach(  # type: ignore[override]  # the options are the schema
        self, plan: pegboard.PlanBuilder, media: list[str] | str | None = None
    ) -> None:
        if not media:
            return  # CherryPy's behaviour: without media, the tool checks nothing
        names = [media] if isinstance(media, str) else list(media)
        offers = [_parse_offer(n) for n in names]
        plan.add(
            "before_handler",
            _accept,
            self.priority,
            names=tuple(names),
            offers=tuple(o for o in offers if o is not None),
        )


@functools.lru_cache(maxsize=1024)
def _choose(header: str, offers: tuple[MediaType, ...]) -> int | None:
    """best_media for one Accept header. PERF: clients send the same few headers
    over and over; the cache is bounded (a malformed header raises, uncached)."""
    return best_media(parse_weighted(header, media=True), list(offers))


def _accept(
    req: pegboard.Request,
    resp: pegboard.Response,
    names: tuple[str, ...],
    offers: tuple[MediaType, ...],
) -> None:
    resp.headers.add_vary("Accept")
    header = req.headers.get("Accept")
    if header is None or not header.strip():
        req.__dict__["accept_media"] = names[0]
        return
    try:
        index = _choose(header, offers)
    except MalformedHeader as exc:
        raise pegboard.HTTPError(400, f"Malformed Accept header: {exc}.") from None
    if index is None:
        raise pegboard.HTTPError(
            406,
            f"Your client sent this Accept header: {header}. "
            f"This resource only emits these media types: {', '.join(names)}.",
        )
    req.__dict__["accept_media"] = names[index]
