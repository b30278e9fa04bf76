"""Choosing a precompressed sibling (``.br``, ``.zst``, ``.gz``) from Accept-Encoding.

The header is read by :func:`pegboard.httputil.ranked_encodings`; this
module knows which codings have siblings, their suffixes, and which files are
not worth looking for siblings of.
"""

from __future__ import annotations

from pegboard.httputil import ranked_encodings

__all__ = ["CODINGS", "NEVER_COMPRESSED", "ranked_codings", "worth_compressing"]

#: content-coding -> file suffix, in our order of preference when q-values tie
#: (smallest output first).
CODINGS: tuple[tuple[str, str], ...] = (("br", ".br"), ("zstd", ".zst"), ("gzip", ".gz"))

#: Extensions of formats that are compressed already: ``pegboard compress``
#: skips them and staticdir does not look for their siblings.
NEVER_COMPRESSED = frozenset(
    "br gz tgz zst zip 7z rar bz2 xz lz4 png apng jpg jpeg gif webp avif jxl heic "  # noqa: SIM905
    "woff woff2 mp3 m4a ogg oga opus flac aac mp4 m4v webm ogv mov mkv avi".split()
)

_OFFERS = tuple(coding for coding, _ in CODINGS)


def worth_compressing(name: str) -> bool:
    """False for names whose extension is a compressed format (``.png``, ``.woff2``)."""
    dot = name.rfind(".")
    return dot < 0 or name[dot + 1 :].lower() not in NEVER_COMPRESSED


def ranked_codings(accept_encoding: str | None) -> tuple[str, ...]:
    """The codings of ``CODINGS`` this client takes over no coding at all, best first.

    No Accept-Encoding means identity (nothing). Higher q first, ties in
    ``CODINGS`` order; a coding with q=0, or below ``identity`` (named, or
    covered by ``*``), is left out. A malformed member is skipped.

    PERF: browsers send a handful of distinct values, so answers are kept in
    a small dict, one lookup per request; it is emptied when it grows past
    its bound, and values longer than any browser sends are not kept.
    """
    if not accept_encoding:
        return ()
    found = _CACHE.get(accept_encoding)
    if found is None:
        found = ranked_encodings(accept_encoding, _OFFERS, strict=False)
        if len(accept_encoding) <= _CACHED_LENGTH:
            if len(_CACHE) >= _CACHE_SIZE:
                _CACHE.clear()
            _CACHE[accept_encoding] = found
    return found


_CACHE: dict[str, tuple[str, ...]] = {}
_CACHE_SIZE = 256
_CACHED_LENGTH = 256
