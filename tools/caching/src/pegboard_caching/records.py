"""What the cache stores: a response with its freshness facts, or a Vary record.

Network stores get these as bytes through :func:`encode`/:func:`decode`: a
short magic, a JSON header and the raw body. No pickle: a value read back
from a shared store can never run code.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass, field

__all__ = ["CachedResponse", "Record", "VaryRecord", "decode", "encode"]

_RESPONSE_MAGIC = b"PBC1"
_VARY_MAGIC = b"PBV1"
_LENGTH = struct.Struct(">I")
_UNSAFE = re.compile(r"[\r\n\x00]")
_UNSAFE_NAME = re.compile(r"[\r\n\x00:]")


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """A stored response and what RFC 9111 needs to reuse it.

    Times are wall-clock seconds (shared stores are read by other processes);
    ``lifetime`` is the freshness lifetime, the two ``stale_*`` values the
    windows of RFC 5861 after it.
    """

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    stored_at: float
    initial_age: float
    lifetime: float
    stale_while_revalidate: float = 0.0
    stale_if_error: float = 0.0
    must_revalidate: bool = False
    #: lower-cased request header names of ``Vary`` and the request's values for them
    vary: tuple[str, ...] = ()
    vary_values: tuple[str | None, ...] = ()
    etag: str | None = None
    last_modified: float | None = None
    content_encoding: str | None = None
    #: the headers ready to replay: (lower-cased name, name, value, is a repeated line)
    replay: tuple[tuple[str, str, str, bool], ...] = field(
        init=False, repr=False, compare=False, default=()
    )
    _wsgi: tuple[list[tuple[str, str]], list[tuple[str, str]]] | None = field(
        init=False, repr=False, compare=False, default=None
    )

    def __post_init__(self) -> None:
        # PERF: worked out once per stored response, not on every hit.
        replay = []
        previous = ""
        for name, value in self.headers:
            lowered = name.lower()
            replay.append((lowered, name, value, lowered == previous))
            previous = lowered
        object.__setattr__(self, "replay", tuple(replay))

    def wsgi_headers(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """The header list a hit sends, split where ``Age`` and ``Cache-Status`` go.

        Worked out on first use and kept: the same list the core would send
        after replaying the stored headers (Content-Length and the default
        Content-Type at the end).
        """
        found = self._wsgi
        if found is None:
            head = list(self.headers)
            tail = [("Content-Length", str(len(self.body)))]
            if not any(lowered == "content-type" for lowered, _, _, _ in self.replay):
                tail.append(("Content-Type", "text/html; charset=utf-8"))
            found = (head, tail)
            object.__setattr__(self, "_wsgi", found)
        return found

    def age(self, now: float) -> float:
        """The current age (RFC 9111 section 4.2.3) at wall-clock time ``now``."""
        resident = now - self.stored_at
        return self.initial_age + (resident if resident > 0 else 0.0)

    @property
    def size(self) -> int:
        """Roughly the bytes this entry occupies (body and headers)."""
        return len(self.body) + sum(len(n) + len(v) + 4 for n, v in self.headers) + 200


@dataclass(frozen=True, slots=True)
class VaryRecord:
    """Stored under a URL whose responses vary: which request headers select a variant.

    ``generation`` is part of every variant key, so purging the URL (deleting
    this record) makes its old variants unreachable even in stores that cannot
    list them.
    """

    names: tuple[str, ...]
    generation: str


Record = CachedResponse | VaryRecord


def encode(record: Record) -> bytes:
    """Bytes for a network store."""
    if isinstance(record, VaryRecord):
        return _VARY_MAGIC + json.dumps([list(record.names), record.generation]).encode()
    meta = json.dumps(
        [
            record.status,
            [list(h) for h in record.headers],
            record.stored_at,
            record.initial_age,
            record.lifetime,
            record.stale_while_revalidate,
            record.stale_if_error,
            record.must_revalidate,
            list(record.vary),
            list(record.vary_values),
            record.etag,
            record.last_modified,
            record.content_encoding,
        ],
        separators=(",", ":"),
    ).encode()
    return _RESPONSE_MAGIC + _LENGTH.pack(len(meta)) + meta + record.body


def decode(raw: bytes) -> Record | None:
    """The record in ``raw``, or None for bytes this package did not write."""
    try:
        magic = raw[:4]
        if magic == _RESPONSE_MAGIC:
            (length,) = _LENGTH.unpack_from(raw, 4)
            end = 8 + length
            m = json.loads(raw[8:end])
            headers = tuple((str(n), str(v)) for n, v in m[1])
            if any(_UNSAFE_NAME.search(n) or _UNSAFE.search(v) for n, v in headers):
                return None  # not written by this package: never replay an injected line
            return CachedResponse(
                status=int(m[0]),
                headers=headers,
                body=bytes(raw[end:]),
                stored_at=float(m[2]),
                initial_age=float(m[3]),
                lifetime=float(m[4]),
                stale_while_revalidate=float(m[5]),
                stale_if_error=float(m[6]),
                must_revalidate=bool(m[7]),
                vary=tuple(m[8]),
                vary_values=tuple(m[9]),
                etag=m[10],
                last_modified=m[11],
                content_encoding=m[12],
            )
        if magic == _VARY_MAGIC:
            names, generation = json.loads(raw[4:])
            return VaryRecord(tuple(str(n) for n in names), str(generation))
    except (ValueError, TypeError, IndexError, struct.error):
        return None
    return None
