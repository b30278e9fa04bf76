"""Choosing a precompressed sibling (``.br``, ``.zst``, ``.gz``) from Accept-Encoding."""

from __future__ import annotations

import functools

__all__ = [
    "CODINGS",
    "NEVER_COMPRESSED",
    "parse_accept_encoding",
    "ranked_codings",
    "worth_compressing",
]

#: content-coding -> file suffix, in our order of preference when q-values tie
#: (smallest output first).
CODINGS: tuple[tuple[str, str], ...] = (("br", ".br"), ("zstd", ".zst"), ("gzip", ".gz"))

#: Extensions of formats that are compressed already: ``pegboard compress``
#: skips them and staticdir does not look for their siblings.
NEVER_COMPRESSED = frozenset(
    "br gz tgz zst zip 7z rar bz2 xz lz4 png apng jpg jpeg gif webp avif jxl heic "  # noqa: SIM905
    "woff woff2 mp3 m4a ogg oga opus flac aac mp4 m4v webm ogv mov mkv avi".split()
)

_ALIASES = {"x-gzip": "gzip"}
_ORDER = {coding: index for index, (coding, _) in enumerate(CODINGS)}


def worth_compressing(name: str) -> bool:
    """False for names whose extension is a compressed format (``.png``, ``.woff2``)."""
    dot = name.rfind(".")
    return dot < 0 or name[dot + 1 :].lower() not in NEVER_COMPRESSED


def parse_accept_encoding(value: str) -> dict[str, float]:
    """``{"gzip": 1.0, "br": 0.5, "*": 0.0}`` from an Accept-Encoding value.

    Codings are lower-cased; a member with a malformed q-value is skipped
    (RFC 9110 section 12.4.2 allows 0 to 1).
    """
    prefs: dict[str, float] = {}
    for member in value.split(","):
        coding, _, params = member.partition(";")
        coding = coding.strip().lower()
        if not coding:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, raw = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(raw.strip())
                except ValueError:
                    q = -1.0
                break
        if not 0.0 <= q <= 1.0:
            continue
        coding = _ALIASES.get(coding, coding)
        prefs[coding] = max(q, prefs.get(coding, q))
    return prefs


@functools.lru_cache(maxsize=256)
def ranked_codings(accept_encoding: str | None) -> tuple[str, ...]:
    """The codings of ``CODINGS`` this client accepts, best first.

    No Accept-Encoding means identity (nothing). A coding is acceptable when
    its q (or ``*``'s, if it is not named) is above 0 and not below an
    explicit ``identity;q=``; higher q first, ties in ``CODINGS`` order.

    PERF: browsers send a handful of distinct values, so the parse is cached.
    """
    if not accept_encoding:
        return ()
    prefs = parse_accept_encoding(accept_encoding)
    star = prefs.get("*", 0.0)
    identity = prefs.get("identity", 0.0)
    scored = []
    for coding, _ in CODINGS:
        q = prefs.get(coding, star)
        if q > 0.0 and q >= identity:
            scored.append((-q, _ORDER[coding], coding))
    return tuple(coding for _, _, coding in sorted(scored))
