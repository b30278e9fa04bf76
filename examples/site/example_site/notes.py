"""The notes behind the JSON API: a small thread-safe store kept in memory.

A real site would keep them in a database; the API and its tools (json_in,
json_out, etags, gzip) would not change.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime

#: Longest note text accepted, in characters.
MAX_TEXT = 500


@dataclass(frozen=True)
class Note:
    """One note; json_out encodes it as an object of these fields."""

    id: int
    text: str
    created: datetime


class NoteStore:
    """Notes by id, safe to use from the server's request threads."""

    def __init__(self, texts: list[str] | None = None) -> None:
        self._lock = threading.Lock()
        self._notes: dict[int, Note] = {}
        self._next_id = 1
        for text in texts or []:
            self.add(text)

    def add(self, text: str) -> Note:
        with self._lock:
            note = Note(self._next_id, text, datetime.now(UTC).replace(microsecond=0))
            self._notes[note.id] = note
            self._next_id += 1
            return note

    def get(self, note_id: int) -> Note | None:
        with self._lock:
            return self._notes.get(note_id)

    def delete(self, note_id: int) -> bool:
        with self._lock:
            return self._notes.pop(note_id, None) is not None

    def all(self) -> list[Note]:
        with self._lock:
            return list(self._notes.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._notes)


def valid_text(payload: object) -> str:
    """The note text from a JSON body, or ValueError saying what is wrong with it."""
    if not isinstance(payload, dict):
        raise ValueError('Expected a JSON object like {"text": "..."}.')
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError('"text" must be a non-empty string.')
    if len(text) > MAX_TEXT:
        raise ValueError(f'"text" is longer than {MAX_TEXT} characters.')
    unknown = sorted(set(payload) - {"text"})
    if unknown:
        raise ValueError(f"Unknown member(s): {', '.join(unknown)}.")
    return text.strip()
