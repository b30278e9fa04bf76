"""Charset labels (RFC 9110 §8.3.2) to Python codecs, refusing what is not a safe text encoding."""

from __future__ import annotations

import codecs
import encodings
import encodings.aliases
import functools
import pkgutil
import re

from ._cache import cache_short

__all__ = ["charset_codec"]

# mime-charset characters (RFC 2978), at most 40 of them as IANA registers.
_LABEL = re.compile(r"[A-Za-z0-9!#$%&'+\-^_`{}~.:]{1,40}").fullmatch
# Text codecs a client must not be able to pick: UTF-7 is a known cross-site
# scripting vector, the others turn bytes into escapes or are not charsets.
_REFUSED = frozenset(
    {"utf-7", "idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined"}
)


@functools.cache
def _known_names() -> frozenset[str]:
    """Every name the standard library's codec search can resolve, normalised as it does."""
    aliases = encodings.aliases.aliases
    modules = {info.name for info in pkgutil.iter_modules(encodings.__path__)}
    return frozenset(aliases) | frozenset(aliases.values()) | modules


def charset_codec(label: str) -> str | None:
    """Python's codec name for a charset label (``"UTF8"`` -> ``"utf-8"``), or None.

    None for labels that are not charsets Python knows, and for codecs that
    are not text encodings (``rot13``, ``hex``, ``base64``, ``zlib``) or are
    unsafe (``utf-7``): decoding a body with one of those would be a 500 or a
    hole. Only the normalised forms of known names reach the codec registry,
    so labels made up by clients do not fill its caches.
    """
    return _charset_codec(label.strip(" \t"))


# PERF: a handful of labels recur; the lookup below walks the codec registry.
@cache_short(256)
def _charset_codec(label: str) -> str | None:
    if _LABEL(label) is None:
        return None
    normalised = encodings.normalize_encoding(label.lower())
    known = _known_names()
    if normalised not in known:
        normalised = normalised.replace(".", "_")
        if normalised not in known:
            return None
    try:
        # The normalised name, not the label: "utf!8" and "utf#8" must not each add an
        # entry to the codec registry's caches, which nothing ever empties.
        info = codecs.lookup(normalised)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _REFUSED:
        return None
    return info.name
