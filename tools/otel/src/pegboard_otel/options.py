"""The options of ``tools.otel``."""

from __future__ import annotations

from typing import Any, Literal

import pegboard
from pegboard import OptionError, option
from pegboard.httputil import is_token

__all__ = ["DEFAULT_REDACTED_QUERY_KEYS", "OtelOptions"]

#: The query keys whose values the semantic conventions say to redact by default.
DEFAULT_REDACTED_QUERY_KEYS: tuple[str, ...] = (
    "AWSAccessKeyId",
    "Signature",
    "sig",
    "X-Goog-Signature",
)


class OtelOptions(pegboard.ToolOptions):
    """The options of ``tools.otel``: each field is one config key."""

    hooks: Literal["events", "spans", "off"] = option(
        default="events",
        doc="how each tool's hooks are recorded on the request's span: `events` (one span "
        "event per hook, with its duration), `spans` (a child span per hook, so what a tool "
        "calls nests under it) or `off`",
    )
    request_headers: tuple[str, ...] = option(
        default=(),
        doc="request headers recorded as `http.request.header.<name>` attributes "
        "(none by default: headers may carry secrets)",
    )
    response_headers: tuple[str, ...] = option(
        default=(), doc="response headers recorded as `http.response.header.<name>` attributes"
    )
    redact_query: tuple[str, ...] = option(
        default=DEFAULT_REDACTED_QUERY_KEYS,
        doc="query keys whose values `url.query` shows as `REDACTED`",
    )
    tracer_provider: Any = option(
        default=None,
        doc="the TracerProvider to use, or an import string `module:attr` naming one; unset: "
        "the global provider, as set (opentelemetry.trace.set_tracer_provider) when the app starts",
    )

    def __post_init__(self) -> None:
        for key in ("request_headers", "response_headers"):
            for name in getattr(self, key):
                if not is_token(name):
                    raise OptionError(key, f"{name!r} is not a header name")
        provider = self.tracer_provider
        if isinstance(provider, str):
            try:
                provider = pegboard.import_string(provider)
            except (ImportError, AttributeError, ValueError) as exc:
                raise OptionError("tracer_provider", f"cannot import {provider!r}: {exc}") from None
            object.__setattr__(self, "tracer_provider", provider)
        if provider is not None and not callable(getattr(provider, "get_tracer", None)):
            raise OptionError(
                "tracer_provider",
                f"{provider!r} is not a TracerProvider (it has no get_tracer method)",
            )
