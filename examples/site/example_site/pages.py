"""The example site's HTML: one layout and a function per page.

Plain f-strings with every dynamic value passed through ``html.escape``; a
real site would use a template engine. The Content-Security-Policy
(``default-src 'self'``, from the secure_headers tool) forbids inline code
unless it carries the response's nonce: the one inline script of the layout
does (``csp_nonce(req)``); all styling comes from the hashed stylesheet.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

NAV = (
    ("/", "Home"),
    ("/account", "Account"),
    ("/report", "Report"),
    ("/api/notes", "Notes API"),
    ("/admin", "Admin"),
    ("/legacy/", "Old site (Flask)"),
    ("/about/", "About"),
)


def layout(
    title: str,
    body: str,
    *,
    css: str,
    icon: str,
    current: str = "",
    request_id: str | None = None,
    nonce: str | None = None,
) -> str:
    """A whole page around ``body`` (already HTML).

    With ``nonce`` (the response's CSP nonce) the footer gets a small inline
    script that writes the visitor's local time; a page sent to many
    visitors (from the cache) has no nonce, and no script.
    """
    links = "".join(
        f'<a href="{href}"{" aria-current=page" if href == current else ""}>{label}</a>'
        for href, label in NAV
    )
    footer = f"request id <code>{escape(request_id)}</code>" if request_id else ""
    script = (
        f'<script nonce="{escape(nonce)}">'
        "document.getElementById('local-time').textContent = "
        "'your time ' + new Date().toLocaleTimeString();</script>"
        if nonce
        else ""
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · pegboard example</title>"
        f'<link rel="stylesheet" href="{escape(css)}">'
        f'<link rel="icon" href="{escape(icon)}" type="image/svg+xml">'
        "</head><body>"
        '<header class="site-header"><a class="brand" href="/">pegboard example</a>'
        f"<nav>{links}</nav></header>"
        f"<main>{body}</main>"
        f'<footer class="site-footer">Served by pegboard · {footer} '
        '<span id="local-time"></span></footer>'
        f"{script}</body></html>\n"
    )


def home(visits: int, user: str | None) -> str:
    plural = "visit" if visits == 1 else "visits"
    who = (
        f"You are signed in as <strong>{escape(user)}</strong>."
        if user
        else 'You are not signed in. <a href="/account">Sign in</a> to see your account page.'
    )
    return (
        "<h1>Hello from pegboard</h1>"
        '<section class="card"><h2>Your visits</h2>'
        f'<p class="counter" id="visits">{visits}</p>'
        f"<p>{plural} to this page in this session (the <code>sessions</code> tool, RAM store).</p>"
        f'<p id="who">{who}</p></section>'
        '<section class="card"><h2>What to try</h2><ul>'
        '<li><a href="/account">Account</a>: a form login with <code>session_auth</code>.</li>'
        '<li><a href="/report">Report</a>: a slow page answered from the cache '
        "(<code>caching</code>, <code>expires</code>, <code>last_modified</code>).</li>"
        '<li><a href="/api/notes">Notes API</a>: JSON with <code>json_in</code>, '
        "<code>json_out</code>, <code>etags</code> and <code>gzip</code>.</li>"
        '<li><a href="/admin">Admin</a>: HTTP Digest authentication '
        "(<code>auth_digest</code>).</li>"
        '<li><a href="/admin/stats">Statistics</a>: requests per route, latency, the time '
        "each tool takes, objects and gc, behind the Digest login (<code>stats</code>, "
        "<code>stats_page</code>).</li>"
        '<li><a href="/metrics">Metrics</a>: the same figures for Prometheus, behind HTTP '
        "Basic authentication (<code>stats_metrics</code>, <code>auth_basic</code>).</li>"
        '<li><a href="/about">About</a>: every route and the tools on it '
        "(<code>trailing_slash</code> adds the slash).</li>"
        "</ul></section>"
    )


def login(*, action: str, from_page: str, username: str, error: str, csrf_token: str) -> str:
    """The sign-in form that session_auth shows in place of a page that needs a login."""
    alert = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return (
        "<h1>Sign in</h1>"
        '<section class="card">'
        "<p>Demo accounts: <code>alice</code> / <code>demo-alice-password</code>, "
        "<code>bob</code> / <code>demo-bob-password</code>.</p>"
        f'{alert}<form class="stacked" id="login" method="post" action="{escape(action)}">'
        '<label>User name <input type="text" name="username" '
        f'value="{escape(username)}" autocomplete="username" required autofocus></label>'
        '<label>Password <input type="password" name="password" '
        'autocomplete="current-password" required></label>'
        f'<input type="hidden" name="from_page" value="{escape(from_page)}">'
        f'<input type="hidden" name="csrf_token" value="{escape(csrf_token)}">'
        '<button type="submit">Sign in</button></form>'
        "</section>"
    )


def account(user: str, visits: int, csrf_token: str) -> str:
    return (
        f"<h1>Your account, {escape(user)}</h1>"
        '<section class="card">'
        f'<p id="account-user">Signed in as <strong>{escape(user)}</strong>.</p>'
        f"<p>This session has seen the home page {visits} time(s).</p>"
        '<form method="post" action="/account/do_logout">'
        '<input type="hidden" name="from_page" value="/">'
        f'<input type="hidden" name="csrf_token" value="{escape(csrf_token)}">'
        '<button type="submit">Sign out</button></form>'
        "</section>"
    )


def report(rows: Iterable[tuple[int, int]], generated: str, took_ms: float) -> str:
    table = "".join(f"<tr><td>{limit:,}</td><td>{count:,}</td></tr>" for limit, count in rows)
    return (
        "<h1>Prime report</h1>"
        '<section class="card">'
        f'<p>Generated at <time id="generated">{escape(generated)}</time> in {took_ms:.0f} ms. '
        "The cache keeps it for a minute: reload, and the time stays the same.</p>"
        f"<table><thead><tr><th>below</th><th>primes</th></tr></thead><tbody>{table}</tbody></table>"
        "</section>"
    )


def admin(user: str, notes: int, purged: int | None, csrf_field: str) -> str:
    """The admin page; ``csrf_field`` is the csrf tool's hidden token field (HTML)."""
    done = f'<p id="purged">Dropped {purged} cached page(s).</p>' if purged is not None else ""
    return (
        "<h1>Admin</h1>"
        '<section class="card">'
        f'<p id="admin-user">Digest login: <strong>{escape(user)}</strong>.</p>'
        f"<p>{notes} note(s) in the store.</p>{done}"
        f'<form method="post" action="/admin/purge-cache">{csrf_field}'
        '<button type="submit">Empty the page cache</button></form>'
        '<p><a href="/admin/stats">Statistics</a> (and <a href="/admin/stats/gc">objects '
        "and gc</a>).</p></section>"
    )


def no_flask() -> str:
    return (
        "<h1>The old site</h1>"
        '<section class="card"><p>This part of the site is a Flask app that pegboard '
        "mounts with its tools around it; Flask is not installed here "
        "(<code>pip install flask</code>).</p></section>"
    )


def about(plans: Iterable[tuple[str, Iterable[str]]]) -> str:
    rows = "".join(
        f"<tr><td><code>{escape(label)}</code></td><td>{escape(', '.join(tools)) or '-'}</td></tr>"
        for label, tools in plans
    )
    return (
        "<h1>About this site</h1>"
        '<section class="card"><p>Every route and config section of the site, '
        "with the tools <code>site.toml</code> switches on for it "
        "(<code>pegboard routes examples/site/app.py</code> prints the hooks too).</p>"
        f"<table><thead><tr><th>route or section</th><th>tools</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )
