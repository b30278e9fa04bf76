"""Statuses whose responses never carry content (RFC 9110 §6.4.1, §15.3.5, §15.4.5)."""

from __future__ import annotations

__all__ = ["NO_BODY_STATUSES"]

#: 1xx, 204 No Content and 304 Not Modified: a response with one of these ends
#: after its header section, whatever the handler returned.
NO_BODY_STATUSES: frozenset[int] = frozenset({*range(100, 200), 204, 304})
