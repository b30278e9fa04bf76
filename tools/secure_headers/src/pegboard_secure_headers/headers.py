"""The header values of one path, built once from its options when the app starts."""

from __future__ import annotations

from .options import SecureHeadersOptions

__all__ = ["NONCE_MARK", "HeaderValues", "csp_text", "permissions_text"]

#: stands for the response's nonce in a prepared policy; replaced per response
NONCE_MARK = "{nonce}"
_REPORT_GROUP = "csp-endpoint"


def csp_text(policy: dict[str, list[str]]) -> str:
    """``default-src 'self'; object-src 'none'``: a policy as its header writes it."""
    return "; ".join(
        f"{directive} {' '.join(sources)}" if sources else directive
        for directive, sources in policy.items()
    )


def permissions_text(policy: dict[str, list[str]]) -> str:
    """``camera=(), geolocation=(self "https://maps.example")`` (a structured-field dictionary)."""
    parts = []
    for feature, allowed in policy.items():
        if allowed == ["*"]:
            parts.append(f"{feature}=*")
            continue
        items = [o if o in ("self", "src", "*") else f'"{o}"' for o in allowed]
        parts.append(f"{feature}=({' '.join(items)})")
    return ", ".join(parts)


def _with_nonce(policy: dict[str, list[str]], directives: list[str]) -> dict[str, list[str]]:
    """``policy`` with the nonce mark in each of ``directives`` (from default-src if unset)."""
    marked = {directive: list(sources) for directive, sources in policy.items()}
    fallback = policy.get("default-src")
    for directive in directives:
        sources = marked.get(directive, fallback)
        if sources is None:
            continue  # neither the directive nor default-src: inline code is not restricted
        kept = [s for s in sources if s != "'none'"]
        marked[directive] = [*kept, f"'nonce-{NONCE_MARK}'"]
    return marked


class HeaderValues:
    """Every header one path sends, ready to copy onto a response.

    ``fixed`` holds ``(name, lower-cased name, value)`` for the headers that
    never change; HSTS depends on the scheme and the CSP on the nonce, so
    they are kept apart.
    """

    __slots__ = ("csp", "csp_lowered", "csp_name", "csp_with_nonce", "fixed", "hsts", "nonced")

    def __init__(self, options: SecureHeadersOptions) -> None:
        fixed: list[tuple[str, str]] = []
        if options.content_type_options:
            fixed.append(("X-Content-Type-Options", "nosniff"))
        ancestors = options.frame_ancestors
        if ancestors is not None:
            if ancestors == ["'none'"]:
                fixed.append(("X-Frame-Options", "DENY"))
            elif ancestors == ["'self'"]:
                fixed.append(("X-Frame-Options", "SAMEORIGIN"))
        if options.referrer_policy is not None:
            fixed.append(("Referrer-Policy", options.referrer_policy))
        if options.permissions_policy:
            fixed.append(("Permissions-Policy", permissions_text(options.permissions_policy)))
        for name, value in (
            ("Cross-Origin-Opener-Policy", options.cross_origin_opener_policy),
            ("Cross-Origin-Embedder-Policy", options.cross_origin_embedder_policy),
            ("Cross-Origin-Resource-Policy", options.cross_origin_resource_policy),
        ):
            if value is not None:
                fixed.append((name, value))
        self.hsts: str | None = None
        if options.hsts:
            self.hsts = f"max-age={options.hsts_max_age}"
            if options.hsts_include_subdomains:
                self.hsts += "; includeSubDomains"
            if options.hsts_preload:
                self.hsts += "; preload"
        self.csp_name: str | None = None
        self.csp = self.csp_with_nonce = ""
        self.nonced = False
        frame_rule = f"frame-ancestors {' '.join(ancestors)}" if ancestors is not None else None
        policy = options.csp
        if policy is not None:
            policy = dict(policy)
            if options.csp_report_uri is not None:
                policy["report-uri"] = [options.csp_report_uri]
            if options.csp_report_to is not None:
                policy["report-to"] = [_REPORT_GROUP]
                fixed.append(("Reporting-Endpoints", f'{_REPORT_GROUP}="{options.csp_report_to}"'))
            text = csp_text(policy)
            nonced = csp_text(_with_nonce(policy, options.nonce_directives))
            if options.csp_report_only:
                # Browsers ignore frame-ancestors in a report-only policy: it stays enforced.
                self.csp_name = "Content-Security-Policy-Report-Only"
                if frame_rule is not None:
                    fixed.append(("Content-Security-Policy", frame_rule))
            else:
                self.csp_name = "Content-Security-Policy"
                if frame_rule is not None:
                    text = f"{text}; {frame_rule}" if text else frame_rule
                    nonced = f"{nonced}; {frame_rule}" if nonced else frame_rule
            self.csp, self.csp_with_nonce = text, nonced
            self.nonced = NONCE_MARK in nonced
        elif frame_rule is not None:
            fixed.append(("Content-Security-Policy", frame_rule))
        self.csp_lowered = self.csp_name.lower() if self.csp_name else ""
        self.fixed: tuple[tuple[str, str, str], ...] = tuple(
            (name, name.lower(), value) for name, value in fixed
        )
