"""HTTP exceptions that become responses, and the configuration error."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

__all__ = [
    "ConfigError",
    "ConfigWarning",
    "HTTPError",
    "HTTPRedirect",
    "NotFound",
    "reason",
    "status_line",
]

# PERF: status lines are built once; the hot path only indexes this dict.
_STATUS_LINES: dict[int, str] = {s.value: f"{s.value} {s.phrase}" for s in HTTPStatus}
#: PERF: ``_STATUS_LINES.get`` bound once, for the modules that import it (see
#: ``context._set_current`` for why that matters on the request path).
_known_status_line = _STATUS_LINES.get


def reason(status: int) -> str:
    """The reason phrase for ``status`` ("Not Found"), or "Unknown"."""
    line = _STATUS_LINES.get(status)
    return line[4:] if line else "Unknown"


def status_line(status: int) -> str:
    """The WSGI status string for an integer status, e.g. ``"404 Not Found"``."""
    line = _STATUS_LINES.get(status)
    if line is None:
        line = f"{status} Unknown"
    return line


def parse_status(value: int | str) -> int:
    """Accept ``404`` or ``"404 Not Found"`` and return the integer code."""
    if isinstance(value, int) and not isinstance(value, bool):
        code = value
    elif isinstance(value, str):
        head = value.strip().split(" ", 1)[0]
        if not head.isdigit():
            raise ValueError(f"invalid HTTP status {value!r}")
        code = int(head)
    else:
        raise TypeError(f"HTTP status must be an int or a string, not {type(value).__name__}")
    if not 100 <= code <= 599:
        raise ValueError(f"HTTP status {code} is outside 100-599")
    return code


class ConfigError(Exception):
    """Configuration that cannot work, found when the app starts.

    ``source`` (the file), ``section`` and ``key`` name where the mistake was
    written, so the message points at the exact line of a config file. One
    error may carry several (``errors``): validation reports every mistake of
    a config in one run, one line each.
    """

    def __init__(
        self,
        message: str,
        *,
        section: str | None = None,
        key: str | None = None,
        source: str | None = None,
        errors: Sequence[ConfigError] | None = None,
    ):
        self.message = message
        self.section = section
        self.key = key
        self.source = source
        #: every error this one stands for (itself alone, unless it gathers several)
        self.errors: list[ConfigError] = list(errors) if errors else [self]
        super().__init__(self.line() if errors is None else "\n".join(e.line() for e in errors))

    def line(self) -> str:
        """This error on one line: ``file: [section] key: message``."""
        where = ""
        if self.source and not self.source.startswith("<"):
            where = f"{self.source}: "
        if self.section is not None:
            where += f"[{self.section}] "
        if self.key is not None:
            where += f"{self.key}: "
        return where + self.message

    def located(self, section: str | None = None, source: str | None = None) -> ConfigError:
        """A copy of this error placed in ``section`` of ``source`` (where it was written)."""
        return ConfigError(
            self.message,
            section=section if section is not None else self.section,
            key=self.key,
            source=source if source is not None else self.source,
        )

    @classmethod
    def gather(cls, errors: Sequence[ConfigError]) -> ConfigError:
        """One error standing for ``errors`` (duplicates dropped, order kept)."""
        unique: dict[str, ConfigError] = {}
        for error in errors:
            for one in error.errors:
                unique.setdefault(one.line(), one)
        found = list(unique.values())
        if len(found) == 1:
            return found[0]
        return cls(f"{len(found)} config errors", errors=found)


@dataclass(frozen=True, slots=True)
class ConfigWarning:
    """A setting that is legal but probably does not do what was meant.

    Collected when the app compiles (``App.config_warnings``), logged when it
    starts, and printed by ``pegboard check`` and ``pegboard serve``.
    """

    message: str
    section: str | None = None
    key: str | None = None
    source: str | None = None

    def line(self) -> str:
        """This warning on one line, placed like a ConfigError."""
        return ConfigError(
            self.message, section=self.section, key=self.key, source=self.source
        ).line()


class HTTPError(Exception):
    """Raise anywhere in a request to answer with an HTTP error status.

    ``headers`` are added to the error response (for example ``Allow`` on a
    405 or ``WWW-Authenticate`` on a 401). ``page`` renders the body when the
    config has no ``error_page`` for the status (a tool's own refusal page).
    """

    def __init__(
        self,
        status: int | str = 500,
        message: str | None = None,
        *,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        page: Any = None,
    ) -> None:
        self.status = parse_status(status)
        #: the page to show when config names none for this status: a callable or a
        #: file path, as ``error_page.<code>`` takes (a tool's own refusal page)
        self.page = page
        if self.status < 400:
            raise ValueError(f"HTTPError needs a 4xx or 5xx status, not {self.status}")
        self.message = message
        self.headers: list[tuple[str, str]] = list(
            headers.items() if isinstance(headers, Mapping) else (headers or ())
        )
        super().__init__(self.status, message)

    def __str__(self) -> str:
        return (
            f"{status_line(self.status)}: {self.message}"
            if self.message
            else status_line(self.status)
        )


class Answered(Exception):  # a signal, like HTTPRedirect, not a failure
    """Raise from a hook before the handler when the response is complete.

    The rest of the handling is skipped: the later hooks of
    ``on_start_resource``, ``before_request_body`` and ``before_handler``, and
    the handler itself. ``before_finalize`` and the hookpoints after it still
    run, so headers, logging and the like still apply. A CORS preflight is
    answered this way, before any tool that authenticates or loads a session.
    """


class NotFound(HTTPError):
    """404: nothing here answers the requested path."""

    def __init__(self, path: str | None = None) -> None:
        message = f"The path {path!r} was not found." if path else None
        super().__init__(404, message)


class HTTPRedirect(Exception):
    """Raise to redirect the client; relative URLs resolve against the request URL."""

    def __init__(self, urls: str | Iterable[str], status: int = 303) -> None:
        self.urls = [urls] if isinstance(urls, str) else list(urls)
        if not self.urls:
            raise ValueError("HTTPRedirect needs at least one URL")
        code = parse_status(status)
        if not 300 <= code <= 399:
            raise ValueError(f"HTTPRedirect needs a 3xx status, not {code}")
        self.status = code
        super().__init__(self.urls, code)

    @property
    def url(self) -> str:
        """The first (main) target URL."""
        return self.urls[0]
