"""Content negotiation (RFC 9110 §12): Accept, Accept-Encoding, Accept-Charset, Accept-Language.

Each header is parsed once into an immutable preferences object that answers
``quality(offer)``, ``acceptable(offer)``, ``ranked(offers)`` and
``best(offers)``. A weight of 0 means "not acceptable" (§12.4.2). A member
listed twice keeps its highest weight.

``strict=True`` (the default) raises :class:`HeaderError` for a member that
breaks the grammar, so that a tool can answer 400; ``strict=False`` skips such
members and keeps the rest, for negotiations that degrade gracefully (a
response left uncompressed is never wrong).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from ._cache import cache_short
from ._fields import HeaderError, _shorten, parse_parameters, split_list
from ._mediatypes import MediaType, parse_media_type

__all__ = [
    "Accept",
    "AcceptCharset",
    "AcceptEncoding",
    "AcceptLanguage",
    "MediaRange",
    "QualityItem",
    "best_charset",
    "best_encoding",
    "best_language",
    "best_media",
    "parse_accept",
    "parse_accept_charset",
    "parse_accept_encoding",
    "parse_accept_language",
    "parse_qvalue",
    "ranked_encodings",
]

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+").fullmatch
_QVALUE = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+").fullmatch
# language-range (RFC 4647 §2.1): "*" or 1*8ALPHA *("-" 1*8alphanum)
_LANGUAGE_RANGE = re.compile(r"\*|[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*").fullmatch
# x-gzip and x-compress are gzip and compress (RFC 9110 §8.4.1.1, §8.4.1.3).
_CODING_ALIASES = {"x-gzip": "gzip", "x-compress": "compress"}
#: The weight an unnamed ``identity`` gets: acceptable, but after every coding named.
_IDENTITY_DEFAULT = 0.001
_OWS = " \t"


def parse_qvalue(text: str) -> float | None:
    """The weight a ``q=`` parameter carries (0 to 1), or None when ``text`` is not one.

    RFC 9110 allows at most three decimals; more (``0.12345``) and a leading
    dot (``.5``) are accepted because real clients send them.
    """
    if _QVALUE(text) is None:
        return None
    q = float(text)  # a run of digits of any length is fine: float() has no length limit
    return q if q <= 1.0 else None


class QualityItem(NamedTuple):
    """One member of Accept-Encoding, Accept-Charset or Accept-Language: lower-cased value and q."""

    value: str
    q: float


class MediaRange(NamedTuple):
    """One member of Accept: ``type/subtype`` (either may be ``*``), parameters before q, q."""

    type: str
    subtype: str
    params: tuple[tuple[str, str], ...]
    q: float

    def matches(self, offer: MediaType) -> bool:
        """Whether this range covers ``offer``; each range parameter must be on the offer too."""
        if self.type != "*" and self.type != offer.type:
            return False
        if self.subtype != "*" and self.subtype != offer.subtype:
            return False
        for name, value in self.params:
            given = offer.param(name)
            if given is None or given.lower() != value.lower():
                return False
        return True

    @property
    def precedence(self) -> tuple[bool, bool, int]:
        """How specific the range is; the most specific range matching an offer gives its q."""
        return (self.type != "*", self.subtype != "*", len(self.params))


class _Preferences:
    """What every Accept-* preferences object answers, given ``quality``."""

    __slots__ = ()

    def quality(self, offer: str) -> float:
        raise NotImplementedError

    def acceptable(self, offer: str) -> bool:
        """Whether the client accepts ``offer`` at all (its weight is above 0)."""
        return self.quality(offer) > 0.0

    def ranked(self, offers: Iterable[str]) -> tuple[str, ...]:
        """The acceptable ``offers``, the client's favourite first; ties keep the offers' order."""
        scored = [
            (-q, index, offer)
            for index, offer in enumerate(offers)
            if (q := self.quality(offer)) > 0.0
        ]
        scored.sort()
        return tuple(offer for _, _, offer in scored)

    def best(self, offers: Iterable[str]) -> str | None:
        """The acceptable offer the client prefers (the earliest on a tie), or None."""
        chosen: str | None = None
        chosen_q = 0.0
        for offer in offers:
            q = self.quality(offer)
            if q > chosen_q:
                chosen, chosen_q = offer, q
        return chosen


class AcceptEncoding(_Preferences):
    """Parsed Accept-Encoding (RFC 9110 §12.5.3).

    ``*`` covers every coding not named, ``identity`` included. ``identity``
    is acceptable unless ``identity;q=0`` or ``*;q=0`` excludes it; unnamed,
    it ranks after every coding the client named (weight 0.001). An empty
    header means identity only. ``x-gzip`` counts as ``gzip``.
    """

    __slots__ = ("_weights", "items")

    def __init__(self, items: Sequence[QualityItem]) -> None:
        self.items: tuple[QualityItem, ...] = tuple(items)
        self._weights = _highest_weights(self.items)

    def quality(self, offer: str) -> float:
        """The weight of content coding ``offer`` (case-insensitive); 0 means not acceptable."""
        name = offer.lower()
        name = _CODING_ALIASES.get(name, name)
        weights = self._weights
        q = weights.get(name)
        if q is not None:
            return q
        star = weights.get("*")
        if star is not None:
            return star
        return _IDENTITY_DEFAULT if name == "identity" else 0.0

    def preferred(self, offers: Iterable[str]) -> tuple[str, ...]:
        """The ``offers`` the client takes over no coding at all, best first (offer order on ties).

        Include ``"identity"`` among them to see where it ranks.
        """
        floor = self.quality("identity")
        weights = self._weights
        star = weights.get("*")
        unnamed = 0.0 if star is None else star
        scored = []
        for index, offer in enumerate(offers):
            # PERF: quality() inlined; this runs once per new header and route.
            name = offer.lower()
            q = weights.get(_CODING_ALIASES.get(name, name))
            if q is None:
                q = _IDENTITY_DEFAULT if name == "identity" and star is None else unnamed
            if q > 0.0 and q >= floor:
                scored.append((-q, index, offer))
        scored.sort()
        return tuple(offer for _, _, offer in scored)


class AcceptCharset(_Preferences):
    """Parsed Accept-Charset (RFC 9110 §12.5.2): names are case-insensitive, ``*`` covers the rest.

    An empty header is treated like an absent one: every charset is acceptable.
    """

    __slots__ = ("_weights", "items")

    def __init__(self, items: Sequence[QualityItem]) -> None:
        self.items: tuple[QualityItem, ...] = tuple(items)
        self._weights = _highest_weights(self.items)

    def quality(self, offer: str) -> float:
        """The weight of charset ``offer``; 0 means not acceptable."""
        if not self.items:
            return 1.0
        weights = self._weights
        q = weights.get(offer.lower())
        if q is None:
            q = weights.get("*", 0.0)
        return q


class AcceptLanguage(_Preferences):
    """Parsed Accept-Language (RFC 9110 §12.5.4) with RFC 4647 basic filtering.

    A range matches a tag equal to it or starting with it and ``-`` (``en``
    matches ``en-GB``, not the reverse); the longest matching range gives the
    weight, ``*`` the weight of tags no range names. Empty means no preference.
    """

    __slots__ = ("items",)

    def __init__(self, items: Sequence[QualityItem]) -> None:
        self.items: tuple[QualityItem, ...] = tuple(items)

    def quality(self, offer: str) -> float:
        """The weight of language tag ``offer`` (case-insensitive); 0 means not acceptable."""
        if not self.items:
            return 1.0
        tag = offer.lower()
        best_length = -1
        q = 0.0
        for item in self.items:
            rng = item.value
            if rng == "*":
                length = 0
            elif tag == rng or (tag.startswith(rng) and tag[len(rng) : len(rng) + 1] == "-"):
                length = len(rng)
            else:
                continue
            if length > best_length or (length == best_length and item.q > q):
                best_length, q = length, item.q
        return q


class Accept(_Preferences):
    """Parsed Accept (RFC 9110 §12.5.1): each offer takes the q of the most specific matching range.

    Offers are concrete media types such as ``"text/html"`` or
    ``"text/html; level=1"``; an offer that is not one is a HeaderError. An
    empty header is treated like an absent one: everything is acceptable.
    """

    __slots__ = ("ranges",)

    def __init__(self, ranges: Sequence[MediaRange]) -> None:
        self.ranges: tuple[MediaRange, ...] = tuple(ranges)

    @property
    def items(self) -> tuple[MediaRange, ...]:
        """The media ranges, in the order sent (the same as ``ranges``)."""
        return self.ranges

    def quality(self, offer: str | MediaType) -> float:
        """The weight of media type ``offer``; 0 means not acceptable."""
        if not self.ranges:
            return 1.0
        media = offer if isinstance(offer, MediaType) else _offer(offer)
        best: tuple[bool, bool, int] | None = None
        q = 0.0
        for rng in self.ranges:
            if rng.matches(media):
                precedence = rng.precedence
                if best is None or precedence > best or (precedence == best and rng.q > q):
                    best, q = precedence, rng.q
        return q


def _offer(text: str) -> MediaType:
    try:
        return parse_media_type(text)
    except HeaderError:
        raise HeaderError(
            f"the offer {_shorten(text)} is not a media type like 'text/html'"
        ) from None


def _highest_weights(items: tuple[QualityItem, ...]) -> dict[str, float]:
    weights: dict[str, float] = {}
    for item in items:
        if item.q > weights.get(item.value, -1.0):
            weights[item.value] = item.q
    return weights


# -- parsing -----------------------------------------------------------------


def _members(value: str, strict: bool) -> list[str]:
    try:
        return split_list(value)
    except HeaderError:
        if strict:
            raise
        return [m for m in (part.strip(_OWS) for part in value.split(",")) if m]


def _split_member(member: str) -> tuple[str, tuple[tuple[str, str], ...], float]:
    """``value; params; q=0.5; ext`` as (value, parameters before q, q). Raises HeaderError."""
    semicolon = member.find(";")
    if semicolon < 0:
        return member, (), 1.0  # PERF: the usual member has no parameters at all
    params: list[tuple[str, str]] = []
    q = 1.0
    for name, raw in parse_parameters(member[semicolon:]):
        if name == "q":
            weight = parse_qvalue(raw)
            if weight is None:
                raise HeaderError(f"{_shorten(member)} has an invalid q value {_shorten(raw)}")
            q = weight
            break  # what follows q are extensions, not parameters of the value
        params.append((name, raw))
    return member[:semicolon].rstrip(_OWS), tuple(params), q


def _quality_items(
    value: str, strict: bool, kind: str, aliases: dict[str, str] | None = None
) -> list[QualityItem]:
    check = _LANGUAGE_RANGE if kind == "language range" else _TOKEN
    items: list[QualityItem] = []
    # PERF: without a quoted string, str.split is the list grammar; no second pass.
    members = value.split(",") if '"' not in value else _members(value, strict)
    for member in members:
        member = member.strip(_OWS)
        if not member:
            continue
        try:
            if ";" in member:
                name, _, q = _split_member(member)
            else:
                name, q = member, 1.0
            if check(name) is None:
                raise HeaderError(f"{_shorten(name)} is not a valid {kind}")
        except HeaderError:
            if strict:
                raise
            continue
        name = name.lower()
        items.append(QualityItem(aliases.get(name, name) if aliases else name, q))
    return items


def parse_accept_encoding(value: str, *, strict: bool = True) -> AcceptEncoding:
    """Parse an Accept-Encoding value such as ``"gzip;q=0.8, br"``.

    Codings are lower-cased tokens; parameters other than q are ignored.
    HeaderError for a malformed member when ``strict``; otherwise it is skipped.
    """
    return _parse_accept_encoding(value, strict)


def parse_accept_charset(value: str, *, strict: bool = True) -> AcceptCharset:
    """Parse an Accept-Charset value such as ``"utf-8, iso-8859-1;q=0.5"``.

    HeaderError for a malformed member when ``strict``; otherwise it is skipped.
    """
    return _parse_accept_charset(value, strict)


def parse_accept_language(value: str, *, strict: bool = True) -> AcceptLanguage:
    """Parse an Accept-Language value such as ``"fr-CH, fr;q=0.9, *;q=0.1"``.

    Each member must be a language range (RFC 4647); HeaderError for a
    malformed one when ``strict``, otherwise it is skipped.
    """
    return _parse_accept_language(value, strict)


def parse_accept(value: str, *, strict: bool = True) -> Accept:
    """Parse an Accept value such as ``"text/html, application/*;q=0.8"``.

    A bare ``*`` (sent by old Java clients) counts as ``*/*``; ``*/html`` is
    malformed. Parameters after q are dropped. HeaderError for a malformed
    member when ``strict``; otherwise it is skipped.
    """
    return _parse_accept(value, strict)


# PERF: clients send the same few header values again and again; each parse is
# a pure function of the value, so it is kept (bounded) and shared.
@cache_short(256)
def _parse_accept_encoding(value: str, strict: bool) -> AcceptEncoding:
    return AcceptEncoding(_quality_items(value, strict, "content coding", _CODING_ALIASES))


@cache_short(256)
def _parse_accept_charset(value: str, strict: bool) -> AcceptCharset:
    return AcceptCharset(_quality_items(value, strict, "charset"))


@cache_short(256)
def _parse_accept_language(value: str, strict: bool) -> AcceptLanguage:
    return AcceptLanguage(_quality_items(value, strict, "language range"))


@cache_short(256)
def _parse_accept(value: str, strict: bool) -> Accept:
    ranges: list[MediaRange] = []
    for member in _members(value, strict):
        try:
            ranges.append(_media_range(member))
        except HeaderError:
            if strict:
                raise
    return Accept(ranges)


def _media_range(member: str) -> MediaRange:
    text, params, q = _split_member(member)
    text = text.lower()
    if text == "*":
        text = "*/*"  # legacy clients (Java) send a bare "*"
    kind, slash, sub = text.partition("/")
    if not slash or _TOKEN(kind) is None or _TOKEN(sub) is None or (kind == "*" and sub != "*"):
        raise HeaderError(f"{_shorten(member)} is not a media range like 'text/html' or 'text/*'")
    return MediaRange(kind, sub, params, q)


# -- negotiation in one call -------------------------------------------------


def best_media(header: str | None, offers: Sequence[str], *, strict: bool = True) -> str | None:
    """The offer (a media type) the client's Accept prefers, or None when it accepts none.

    An absent or empty header accepts anything, so the first offer is chosen.
    HeaderError for a malformed header when ``strict`` (answer 400).
    """
    if not offers:
        return None
    return _best_media(header or "", offers if type(offers) is tuple else tuple(offers), strict)


def best_charset(header: str | None, offers: Sequence[str], *, strict: bool = True) -> str | None:
    """The offered charset the client's Accept-Charset prefers, or None when it accepts none.

    An absent or empty header accepts anything, so the first offer is chosen.
    """
    if not offers:
        return None
    return _best_charset(header or "", offers if type(offers) is tuple else tuple(offers), strict)


def best_language(header: str | None, offers: Sequence[str], *, strict: bool = True) -> str | None:
    """The offered language tag the client's Accept-Language prefers, or None when it accepts none.

    An absent or empty header accepts anything, so the first offer is chosen.
    """
    if not offers:
        return None
    return _best_language(header or "", offers if type(offers) is tuple else tuple(offers), strict)


def ranked_encodings(
    header: str | None, offers: Sequence[str], *, strict: bool = True
) -> tuple[str, ...]:
    """The offered content codings the client prefers to none at all, best first.

    Ties keep the offers' order (the server's preference). No header gives
    ``()``: RFC 9110 would allow any coding, but a client that says nothing
    is served uncompressed, which it can always read.
    """
    if header is None or not offers:
        return ()
    return _ranked_encodings(header, offers if type(offers) is tuple else tuple(offers), strict)


def best_encoding(header: str | None, offers: Sequence[str], *, strict: bool = True) -> str | None:
    """The content coding to apply, or None for none (identity); never a reason for 406.

    The first of :func:`ranked_encodings`.
    """
    if header is None or not offers:
        return None
    # PERF: one call and one cache lookup on the way; offers are a tuple fixed per route.
    ranked = _ranked_encodings(header, offers if type(offers) is tuple else tuple(offers), strict)
    return ranked[0] if ranked else None


# PERF: the answers are pure functions of (header, offers); offers are fixed per
# route, headers repeat, so a bounded cache turns negotiation into one lookup.
@cache_short(512)
def _best_media(header: str, offers: tuple[str, ...], strict: bool) -> str | None:
    return _parse_accept(header, strict).best(offers)


@cache_short(512)
def _best_charset(header: str, offers: tuple[str, ...], strict: bool) -> str | None:
    return _parse_accept_charset(header, strict).best(offers)


@cache_short(512)
def _best_language(header: str, offers: tuple[str, ...], strict: bool) -> str | None:
    return _parse_accept_language(header, strict).best(offers)


@cache_short(512)
def _ranked_encodings(header: str, offers: tuple[str, ...], strict: bool) -> tuple[str, ...]:
    return _parse_accept_encoding(header, strict).preferred(offers)
