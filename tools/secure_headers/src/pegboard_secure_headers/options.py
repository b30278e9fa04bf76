"""``tools.secure_headers.*``: the options, their safe defaults, and their checks."""

from __future__ import annotations

import re
from typing import Literal

import pegboard

__all__ = [
    "DEFAULT_CSP",
    "DEFAULT_PERMISSIONS_POLICY",
    "REFERRER_POLICIES",
    "SecureHeadersOptions",
]

#: A policy that allows this origin's own scripts, styles, images, fonts and
#: connections, no plugins, no <base> rewriting and forms posting here only
#: (OWASP's basic policy); csp_nonce(req) adds a nonce to script-src and style-src.
DEFAULT_CSP: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
}
#: Powerful features a page does not get unless it asks: none of them, for anyone.
DEFAULT_PERMISSIONS_POLICY: dict[str, list[str]] = {
    "accelerometer": [],
    "camera": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "payment": [],
    "usb": [],
}
REFERRER_POLICIES = frozenset(
    {
        "no-referrer",
        "no-referrer-when-downgrade",
        "origin",
        "origin-when-cross-origin",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
        "unsafe-url",
    }
)
OpenerPolicy = Literal[
    "same-origin", "same-origin-allow-popups", "noopener-allow-popups", "unsafe-none"
]
EmbedderPolicy = Literal["require-corp", "credentialless", "unsafe-none"]
ResourcePolicy = Literal["same-origin", "same-site", "cross-origin"]
#: one year: what the HSTS preload list asks for at least
PRELOAD_MIN_AGE = 31_536_000

_DIRECTIVE = re.compile(r"[a-z][a-z0-9\-]*")
_SOURCE = re.compile(r"[^\s;,]+")
_KEYWORDS = frozenset(
    {
        "self",
        "none",
        "unsafe-inline",
        "unsafe-eval",
        "unsafe-hashes",
        "strict-dynamic",
        "report-sample",
        "wasm-unsafe-eval",
        "inline-speculation-rules",
    }
)
_FEATURE = re.compile(r"[a-z][a-z0-9\-]*")
_ALLOW_ORIGIN = re.compile(r"[a-z][a-z0-9+.\-]*://[^\s\"\\,;()]+")


def check_sources(key: str, directive: str, sources: list[str]) -> None:
    """Raise OptionError for a CSP source list a browser would misread or drop."""
    for source in sources:
        if not _SOURCE.fullmatch(source):
            raise pegboard.OptionError(
                key, f"{directive}: {source!r} is not one source (no spaces, ';' or ',')"
            )
        if source.lower() in _KEYWORDS:
            raise pegboard.OptionError(
                key,
                f"{directive}: write \"'{source.lower()}'\" with single quotes; without "
                f"them {source!r} is a host name",
            )
        if source.lower().startswith("'nonce-"):
            raise pegboard.OptionError(
                key,
                f"{directive}: a fixed nonce protects nothing; leave it out and call "
                "pegboard_secure_headers.csp_nonce(req): each response gets its own",
            )
    if "'none'" in sources and len(sources) > 1:
        raise pegboard.OptionError(
            key, f"{directive}: 'none' cannot go with other sources (browsers drop it)"
        )


def check_policy(key: str, policy: dict[str, list[str]]) -> None:
    """Raise OptionError for a CSP directive or source a browser would misread or drop."""
    for directive, sources in policy.items():
        if not _DIRECTIVE.fullmatch(directive):
            raise pegboard.OptionError(key, f"{directive!r} is not a CSP directive name")
        if directive == "frame-ancestors":
            raise pegboard.OptionError(
                key,
                "set frame_ancestors instead: it writes frame-ancestors and X-Frame-Options "
                "together (and keeps them enforced in report-only mode)",
            )
        check_sources(key, directive, sources)


class SecureHeadersOptions(pegboard.ToolOptions):
    """The options of ``tools.secure_headers``: one header (or part of one) each."""

    hsts: bool = pegboard.option(
        default=True,
        doc="send Strict-Transport-Security on responses to HTTPS requests "
        "(the scheme the proxy tool resolved; never over plain HTTP)",
    )
    hsts_max_age: int = pegboard.option(
        default=63_072_000,
        doc="how long browsers keep to HTTPS for this host (two years)",
        unit="seconds",
    )
    hsts_include_subdomains: bool = pegboard.option(
        default=True, doc="HSTS covers every subdomain too (`includeSubDomains`)"
    )
    hsts_preload: bool = pegboard.option(
        default=False,
        doc="add `preload` (ask for the browsers' preload list; needs includeSubDomains and a "
        "year's max-age)",
    )
    csp: dict[str, list[str]] | None = pegboard.option(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_CSP.items()},
        doc="the Content-Security-Policy: directive -> sources (a section that sets it "
        "replaces the whole policy; none: no policy)",
    )
    csp_report_only: bool = pegboard.option(
        default=False,
        doc="send the policy as Content-Security-Policy-Report-Only: browsers report "
        "violations and block nothing",
    )
    csp_report_uri: str | None = pegboard.option(
        default=None, doc="where browsers POST violation reports (`report-uri`)"
    )
    csp_report_to: str | None = pegboard.option(
        default=None,
        doc="a Reporting API endpoint URL for violation reports (`report-to`, with "
        "Reporting-Endpoints)",
    )
    nonce_directives: list[str] = pegboard.option(
        default_factory=lambda: ["script-src", "style-src"],
        doc="the directives that get the response's nonce once `csp_nonce(req)` was called",
    )
    frame_ancestors: list[str] | None = pegboard.option(
        default_factory=lambda: ["'none'"],
        doc="who may frame the page: CSP frame-ancestors, and X-Frame-Options DENY for "
        "'none' or SAMEORIGIN for 'self' (none: no framing rule)",
    )
    referrer_policy: str | None = pegboard.option(
        default="strict-origin-when-cross-origin", doc="the Referrer-Policy header"
    )
    permissions_policy: dict[str, list[str]] | None = pegboard.option(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_PERMISSIONS_POLICY.items()},
        doc="feature -> allowed origins (`self`, `*` or an origin; empty: nobody) for the "
        "Permissions-Policy header",
    )
    cross_origin_opener_policy: OpenerPolicy | None = pegboard.option(
        default="same-origin",
        doc="Cross-Origin-Opener-Policy: keep other sites' windows out of this page's group",
    )
    cross_origin_embedder_policy: EmbedderPolicy | None = pegboard.option(
        default=None,
        doc="Cross-Origin-Embedder-Policy (none: not sent; `require-corp` blocks every "
        "cross-origin resource without CORP or CORS)",
    )
    cross_origin_resource_policy: ResourcePolicy | None = pegboard.option(
        default="same-site",
        doc="Cross-Origin-Resource-Policy: who may embed these responses",
    )
    content_type_options: bool = pegboard.option(
        default=True, doc="send `X-Content-Type-Options: nosniff`"
    )

    def __post_init__(self) -> None:
        if self.hsts_max_age < 0:
            raise pegboard.OptionError(
                "hsts_max_age", f"must not be negative, not {self.hsts_max_age}"
            )
        if self.hsts_preload and (
            not self.hsts_include_subdomains or self.hsts_max_age < PRELOAD_MIN_AGE
        ):
            raise pegboard.OptionError(
                "hsts_preload",
                f"the preload list needs hsts_include_subdomains and an hsts_max_age of at "
                f"least {PRELOAD_MIN_AGE} seconds",
            )
        if self.csp is not None:
            check_policy("csp", self.csp)
        for directive in self.nonce_directives:
            if not _DIRECTIVE.fullmatch(directive):
                raise pegboard.OptionError(
                    "nonce_directives", f"{directive!r} is not a CSP directive name"
                )
        for key in ("csp_report_uri", "csp_report_to"):
            value = getattr(self, key)
            if value is not None and not _SOURCE.fullmatch(value):
                raise pegboard.OptionError(key, f"{value!r} is not a URL without spaces")
        if self.frame_ancestors is not None:
            check_sources("frame_ancestors", "frame-ancestors", self.frame_ancestors)
        if self.referrer_policy is not None:
            for token in self.referrer_policy.split(","):
                if token.strip() not in REFERRER_POLICIES:
                    raise pegboard.OptionError(
                        "referrer_policy",
                        f"{token.strip()!r} is not a referrer policy; one of "
                        f"{', '.join(sorted(REFERRER_POLICIES))}",
                    )
        for feature, allowed in (self.permissions_policy or {}).items():
            if not _FEATURE.fullmatch(feature):
                raise pegboard.OptionError(
                    "permissions_policy", f"{feature!r} is not a feature name like 'camera'"
                )
            for origin in allowed:
                if origin not in ("self", "*", "src") and not _ALLOW_ORIGIN.fullmatch(origin):
                    raise pegboard.OptionError(
                        "permissions_policy",
                        f"{feature}: {origin!r} is not self, * or an origin like "
                        "'https://maps.example'",
                    )
