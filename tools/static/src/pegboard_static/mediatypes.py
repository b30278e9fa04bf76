"""Content-Type from a file name: a fixed table for the web, then Python's own.

The table does not read ``/etc/mime.types``, so a file gets the same type on
every machine. ``content_types`` (config) is laid over it.
"""

from __future__ import annotations

import functools
import mimetypes
from collections.abc import Mapping

from pegboard.httputil import HeaderError, parse_media_type

__all__ = ["DEFAULT_TYPE", "MediaTypes", "media_types", "normalise_extension"]

DEFAULT_TYPE = "application/octet-stream"

_WEB_TYPES: dict[str, str] = {
    "html": "text/html",
    "htm": "text/html",
    "css": "text/css",
    "js": "text/javascript",
    "mjs": "text/javascript",
    "cjs": "text/javascript",
    "json": "application/json",
    "map": "application/json",
    "jsonld": "application/ld+json",
    "webmanifest": "application/manifest+json",
    "txt": "text/plain",
    "md": "text/markdown",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "ics": "text/calendar",
    "vtt": "text/vtt",
    "xml": "application/xml",
    "xsl": "application/xml",
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "yaml": "application/yaml",
    "yml": "application/yaml",
    "toml": "application/toml",
    "svg": "image/svg+xml",
    "png": "image/png",
    "apng": "image/apng",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "avif": "image/avif",
    "jxl": "image/jxl",
    "bmp": "image/bmp",
    "ico": "image/vnd.microsoft.icon",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "woff": "font/woff",
    "woff2": "font/woff2",
    "ttf": "font/ttf",
    "otf": "font/otf",
    "eot": "application/vnd.ms-fontobject",
    "wasm": "application/wasm",
    "pdf": "application/pdf",
    "zip": "application/zip",
    "gz": "application/gzip",
    "tgz": "application/gzip",
    "br": "application/x-brotli",
    "zst": "application/zstd",
    "tar": "application/x-tar",
    "7z": "application/x-7z-compressed",
    "epub": "application/epub+zip",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "opus": "audio/ogg",
    "wav": "audio/wav",
    "flac": "audio/flac",
    "mp4": "video/mp4",
    "m4v": "video/mp4",
    "webm": "video/webm",
    "ogv": "video/ogg",
    "mov": "video/quicktime",
}

# Types that are text although they do not start with "text/": they get a charset too.
_TEXTUAL = frozenset(
    {
        "application/json",
        "application/ld+json",
        "application/manifest+json",
        "application/xml",
        "application/rss+xml",
        "application/atom+xml",
        "application/yaml",
        "application/toml",
        "image/svg+xml",
    }
)


@functools.cache
def _python_types() -> dict[str, str]:
    # MimeTypes(filenames=()) holds only the table compiled into Python.
    table = mimetypes.MimeTypes(filenames=())
    out: dict[str, str] = {}
    for strict in (False, True):
        for ext, ctype in table.types_map[strict].items():
            out[ext.lstrip(".").lower()] = ctype
    return out


def normalise_extension(ext: str) -> str:
    """``".CSS"`` and ``"css"`` both become ``"css"``."""
    return ext.strip().lstrip(".").lower()


class MediaTypes:
    """Maps a file name to the Content-Type sent for it, charset included.

    Built once per configured tool (``attach``); ``for_name`` is a dict
    lookup on the lower-cased last extension.
    """

    __slots__ = ("_charset", "_table")

    def __init__(
        self, extra: Mapping[str, str] | None = None, charset: str | None = "utf-8"
    ) -> None:
        table = {**_python_types(), **_WEB_TYPES}
        for ext, ctype in (extra or {}).items():
            table[normalise_extension(ext)] = ctype
        self._charset = charset
        # PERF: the charset is appended here, once, not on every request.
        self._table = {ext: self._with_charset(ctype) for ext, ctype in table.items()}

    def _with_charset(self, ctype: str) -> str:
        if self._charset is None:
            return ctype
        try:
            media = parse_media_type(ctype)
        except HeaderError:
            return ctype  # not ours to fix (the options check refuses such a type)
        if media.charset is not None:
            return ctype
        if media.type == "text" or media.essence in _TEXTUAL:
            return f"{ctype}; charset={self._charset}"
        return ctype

    def for_name(self, name: str) -> str:
        """The Content-Type for a file called ``name`` (application/octet-stream if unknown)."""
        dot = name.rfind(".")
        if dot < 0:
            return DEFAULT_TYPE
        return self._table.get(name[dot + 1 :].lower(), DEFAULT_TYPE)

    def with_charset(self, ctype: str) -> str:
        """``ctype`` with this table's charset added if it is a text type without one."""
        return self._with_charset(ctype)


@functools.lru_cache(maxsize=32)
def _cached(extra: tuple[tuple[str, str], ...], charset: str | None) -> MediaTypes:
    return MediaTypes(dict(extra), charset)


def media_types(extra: Mapping[str, str] | None, charset: str | None) -> MediaTypes:
    """The table for these options, shared by every plan configured the same way.

    PERF: building a table parses a thousand types; routes under one
    ``staticdir`` section would each build the same one at start-up.
    """
    return _cached(tuple(sorted((extra or {}).items())), charset)
