"""Case-insensitive header containers for requests (read-only) and responses."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["RequestHeaders", "ResponseHeaders"]

_SPECIAL = {"CONTENT_TYPE": "Content-Type", "CONTENT_LENGTH": "Content-Length"}
#: header names whose values ResponseHeaders checked (a few dozen per site; bounded)
_NAMES_OK: set[str] = set()
#: header names add_vary() has checked (a handful per site; bounded)
_VARY_NAMES: set[str] = set()
#: (a Vary line, a name) -> the line with the name in it (the line itself when it was
#: there); bounded, lines past _VARY_CACHED_LENGTH are not kept
_VARY_JOINED: dict[tuple[str, str], str] = {}
_VARY_CACHE_SIZE = 256
_VARY_CACHED_LENGTH = 256


def _environ_key(name: str) -> str:
    upper = name.upper().replace("-", "_")
    if upper in _SPECIAL:
        return upper
    return "HTTP_" + upper


def _checked_vary_name(name: str) -> None:
    """Refuse a name that would break the header line; remember one that passed."""
    ResponseHeaders._check("Vary", name)
    if len(_VARY_NAMES) < 256:
        _VARY_NAMES.add(name)


def _join_vary(line: str, name: str) -> str:
    """``line`` with ``name`` added, unless it (or ``*``) is already one of its parts."""
    if name not in _VARY_NAMES:
        _checked_vary_name(name)
    wanted = name.lower()
    parts = [part.strip() for part in line.lower().split(",")]
    if wanted in parts or "*" in parts:
        joined = line
    else:
        joined = f"{line}, {name}" if line.strip() else name
    if len(line) <= _VARY_CACHED_LENGTH:
        if len(_VARY_JOINED) >= _VARY_CACHE_SIZE:
            _VARY_JOINED.clear()
        _VARY_JOINED[(line, name)] = joined
    return joined


class RequestHeaders(Mapping[str, str]):
    """The request's headers, read straight from the WSGI environ.

    PERF: nothing is copied; a lookup turns the name into its ``HTTP_*``
    environ key, so reading one header costs one dict lookup.
    """

    __slots__ = ("_environ",)

    def __init__(self, environ: dict[str, Any]) -> None:
        self._environ = environ

    def __getitem__(self, name: str) -> str:
        value: str = self._environ[_environ_key(name)]
        return value

    def get(self, name: str, default: Any = None) -> Any:
        return self._environ.get(_environ_key(name), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and _environ_key(name) in self._environ

    def __iter__(self) -> Iterator[str]:
        for key in self._environ:
            if key.startswith("HTTP_"):
                yield key[5:].replace("_", "-").title()
            elif key in _SPECIAL and self._environ[key] != "":
                yield _SPECIAL[key]

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"RequestHeaders({dict(self.items())!r})"


class ResponseHeaders:
    """Response headers: case-insensitive, one value per name unless ``add`` is used.

    Values are checked for CR/LF so that no header can be injected through a
    value taken from user input.
    """

    __slots__ = ("_items",)

    def __init__(self, initial: Mapping[str, str] | None = None) -> None:
        # lower-cased name -> list of (name as given, value)
        self._items: dict[str, list[tuple[str, str]]] = {}
        if initial:
            for name, value in initial.items():
                self[name] = value

    @staticmethod
    def _check(name: str, value: object) -> str:
        # PERF: a printable str (no CR, LF, NUL or other control character) under a
        # name that passed before needs no search character by character.
        if type(value) is str and name in _NAMES_OK and value.isprintable():
            return value
        if isinstance(value, str):
            text = value
        elif isinstance(value, (bytes, bytearray)):
            text = bytes(value).decode("latin-1")  # field values are octets (RFC 9110 §5.5)
        else:
            text = str(value)
        if (
            "\n" in text
            or "\r" in text
            or "\0" in text
            or "\n" in name
            or "\r" in name
            or ":" in name
        ):
            raise ValueError(f"invalid header {name!r}: CR, LF, NUL and ':' are not allowed")
        if len(_NAMES_OK) < 512:
            _NAMES_OK.add(name)
        return text

    def __setitem__(self, name: str, value: object) -> None:
        self._items[name.lower()] = [(name, self._check(name, value))]

    def set_trusted(self, name: str, value: str, lowered: str | None = None) -> None:
        """Set a header without checking the value for CR/LF.

        PERF: for values a tool built itself from safe parts (a number, a
        constant, a value it checked when it stored it), on hot paths. Never
        for text that came from a client or a handler. ``lowered`` may pass
        ``name.lower()`` when the caller already has it.
        """
        self._items[lowered or name.lower()] = [(name, value)]

    def add(self, name: str, value: object) -> None:
        """Add one more value for ``name`` (sent as a separate header line)."""
        self._items.setdefault(name.lower(), []).append((name, self._check(name, value)))

    def __getitem__(self, name: str) -> str:
        return ", ".join(v for _, v in self._items[name.lower()])

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self._items.get(name.lower())
        if not values:
            return default
        if len(values) == 1:
            return values[0][1]  # PERF: one line, nothing to join
        return ", ".join(v for _, v in values)

    def get_all(self, name: str) -> list[str]:
        """Every value set for ``name``, in order."""
        return [v for _, v in self._items.get(name.lower(), ())]

    def setdefault(self, name: str, value: object) -> str:
        key = name.lower()
        if key not in self._items:
            self._items[key] = [(name, self._check(name, value))]
        return ", ".join(v for _, v in self._items[key])

    def pop(self, name: str, default: str | None = None) -> str | None:
        values = self._items.pop(name.lower(), None)
        if values is None:
            return default
        if len(values) == 1:
            return values[0][1]
        return ", ".join(v for _, v in values)

    def __delitem__(self, name: str) -> None:
        del self._items[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[str]:
        for values in self._items.values():
            yield values[0][0]

    def keys(self) -> list[str]:
        return list(self)

    def items(self) -> list[tuple[str, str]]:
        """Every header line as ``(name, value)``, repeated names included."""
        return [pair for values in self._items.values() for pair in values]

    def update(self, other: Mapping[str, str]) -> None:
        for name, value in other.items():
            self[name] = value

    def clear(self) -> None:
        self._items.clear()

    def add_vary(self, name: str = "", *names: str) -> None:
        """Add header names to ``Vary`` once each, keeping what is already there."""
        if name and not names:
            # PERF: one name at a time is how tools call it: no tuple of names. The few
            # names a site varies on are checked once; a stored line was checked when
            # it was set, so a line joined from it and a checked name needs no check.
            items = self._items
            values = items.get("vary")
            if values is None:
                if name not in _VARY_NAMES:
                    _checked_vary_name(name)
                items["vary"] = [("Vary", name)]
                return
            if len(values) == 1:
                given, line = values[0]
                # PERF: a site sends a handful of Vary lines, each joined with the same
                # few names (sessions' "Cookie", then gzip's "Accept-Encoding"): each
                # pair is worked out once.
                joined = _VARY_JOINED.get((line, name)) or _join_vary(line, name)
                if joined != line:
                    items["vary"] = [(given, joined)]
                return
        if name:
            names = (name, *names)
        current = self.get("Vary")
        present = [v.strip() for v in current.split(",")] if current else []
        if "*" in present:
            return
        lowered = {p.lower() for p in present}
        changed = False
        for name in names:
            if name.lower() not in lowered:
                present.append(name)
                lowered.add(name.lower())
                changed = True
        if changed:
            self["Vary"] = ", ".join(p for p in present if p)

    def __repr__(self) -> str:
        return f"ResponseHeaders({self.items()!r})"
