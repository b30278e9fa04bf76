"""pegboard.httputil against the tools' own header parsers, side by side in one run.

Each group times the code a tool runs today and the httputil call meant to
replace it, on the same inputs, after checking that they give the same
answer. "warm" is the steady state (clients repeat their headers, so both
sides answer from a cache where they have one); "cold" is a header seen for
the first time (the parse itself, caches bypassed).

    uv run python bench/httputil_parsers.py [--repeat 7] [--target 0.2]

Figures are nanoseconds per call, the best of ``--repeat`` rounds of about
``--target`` seconds per row; rounds interleave the rows of a group, so
that load on a shared machine hits every row alike.
"""

from __future__ import annotations

import argparse
import email.utils
import time
import timeit
from collections.abc import Callable
from typing import Any

from pegboard import httputil
from pegboard.cookies import _http_date as cookies_http_date
from pegboard.httputil import _accept, _cachecontrol, _dates, _etags
from pegboard_caching import conditional as caching_conditional
from pegboard_caching import policy as caching_policy
from pegboard_etags import dates as etags_dates
from pegboard_etags import entity_tags as etags_tags
from pegboard_gzip.negotiation import Negotiator, parse_accept_encoding
from pegboard_http import negotiation as http_negotiation
from pegboard_http.qvalues import parse_weighted
from pegboard_static import negotiation as static_negotiation
from pegboard_static import ranges as static_ranges
from pegboard_static import validators as static_validators

CODINGS = ("zstd", "br", "gzip", "deflate")
BROWSER_AE = "gzip, deflate, br, zstd"
ETAG = '"5d8c72a5edda8d6a"'
INM_ONE = ETAG
INM_LIST = 'W/"0815", "5d8c72a5edda8d6a", "abc"'
STAMP = 1_700_000_000
DATE = "Tue, 14 Nov 2023 22:13:20 GMT"
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
MEDIA = ("application/json", "text/html")
CACHE_CONTROL = 'public, max-age=600, no-cache="Set-Cookie", stale-while-revalidate=30'


def _timings(rows: list[tuple[str, Callable[[], Any]]], repeat: int, target: float) -> list[float]:
    """Nanoseconds per call of each row: rounds interleave the rows, each keeps its best.

    The machine is shared: a burst of load slows one round of every row
    rather than every round of one row, and noise only ever adds time.
    """
    timers = [timeit.Timer(call) for _, call in rows]
    numbers = []
    for timer in timers:
        number, _ = timer.autorange()
        numbers.append(max(1, int(number * target / 0.2)))
    best = [float("inf")] * len(rows)
    for _ in range(repeat):
        for index, timer in enumerate(timers):
            elapsed = timer.timeit(numbers[index]) / numbers[index] * 1e9
            best[index] = min(best[index], elapsed)
    return best


def _group(title: str, rows: list[tuple[str, Callable[[], Any]]], args: argparse.Namespace) -> None:
    results = list(
        zip([label for label, _ in rows], _timings(rows, args.repeat, args.target), strict=True)
    )
    base = results[0][1]
    print(f"\n### {title}\n")
    print("| code | ns/call | vs first row |")
    print("|---|---:|---:|")
    for label, ns in results:
        print(f"| {label} | {ns:,.0f} | {base / ns:.2f}x |")


def _same(*values: Any) -> None:
    first = values[0]
    for value in values[1:]:
        assert value == first, values


def accept_encoding(args: argparse.Namespace) -> None:
    negotiator = Negotiator(CODINGS)
    _same(negotiator.choose(BROWSER_AE), httputil.best_encoding(BROWSER_AE, CODINGS, strict=False))
    static_codings = tuple(coding for coding, _ in static_negotiation.CODINGS)
    _same(
        static_negotiation.ranked_codings(BROWSER_AE),
        httputil.ranked_encodings(BROWSER_AE, static_codings, strict=False),
    )
    _group(
        "Accept-Encoding negotiation, warm (`gzip, deflate, br, zstd`)",
        [
            ("gzip tool: Negotiator.choose (dict cache)", lambda: negotiator.choose(BROWSER_AE)),
            (
                "static tool: ranked_codings (lru_cache)",
                lambda: static_negotiation.ranked_codings(BROWSER_AE),
            ),
            (
                "httputil.best_encoding",
                lambda: httputil.best_encoding(BROWSER_AE, CODINGS, strict=False),
            ),
            (
                "httputil.ranked_encodings",
                lambda: httputil.ranked_encodings(BROWSER_AE, CODINGS, strict=False),
            ),
        ],
        args,
    )
    cold = _accept._parse_accept_encoding.__wrapped__  # type: ignore[attr-defined]
    _group(
        "Accept-Encoding negotiation, cold (parse + choose)",
        [
            (
                "gzip tool: parse_accept_encoding + _choose",
                lambda: negotiator._choose(parse_accept_encoding(BROWSER_AE)),
            ),
            (
                "static tool: ranked_codings uncached",
                lambda: static_negotiation.ranked_codings.__wrapped__(BROWSER_AE),
            ),
            (
                "httputil: parse_accept_encoding uncached + preferred",
                lambda: cold(BROWSER_AE, False).preferred(CODINGS),
            ),
        ],
        args,
    )


def entity_tags(args: argparse.Namespace) -> None:
    def etags_tool(header: str) -> bool:
        return etags_tags.matches_any(
            etags_tags.parse_entity_tag(ETAG),
            etags_tags.parse_tag_list(header),
            weak=True,
            exists=True,
        )

    def static_tool(header: str) -> bool:
        return static_validators._weak_match(static_validators.parse_etags(header) or [], ETAG)

    for header in (INM_ONE, INM_LIST):
        _same(
            etags_tool(header),
            static_tool(header),
            caching_conditional.etag_matches(header, ETAG, None),
            httputil.entity_tags_match(header, ETAG, weak=True),
        )
    for header, name in ((INM_ONE, "one tag"), (INM_LIST, "a list of three")):
        _group(
            f"If-None-Match weak comparison ({name})",
            [
                (
                    "etags tool: parse_entity_tag + parse_tag_list + matches_any",
                    lambda h=header: etags_tool(h),
                ),
                ("static tool: parse_etags + _weak_match", lambda h=header: static_tool(h)),
                (
                    "caching tool: etag_matches",
                    lambda h=header: caching_conditional.etag_matches(h, ETAG, None),
                ),
                (
                    "httputil.entity_tags_match",
                    lambda h=header: httputil.entity_tags_match(h, ETAG, weak=True),
                ),
            ],
            args,
        )
    cold = _etags._parse_list.__wrapped__  # type: ignore[attr-defined]
    _group(
        "If-None-Match list parse, cold (a list of three)",
        [
            ("etags tool: parse_tag_list", lambda: etags_tags.parse_tag_list(INM_LIST)),
            ("static tool: parse_etags", lambda: static_validators.parse_etags(INM_LIST)),
            ("httputil: parse_entity_tag_list uncached", lambda: cold(INM_LIST, False)),
        ],
        args,
    )


def date_formatting(args: argparse.Namespace) -> None:
    _same(
        etags_dates.http_date(STAMP),
        static_validators.http_date(STAMP),
        cookies_http_date(STAMP),
        email.utils.formatdate(STAMP, usegmt=True),
        httputil.format_http_date(STAMP),
    )
    _group(
        "HTTP-date formatting, now (a Date header)",
        [
            (
                "caching tool / test kit: formatdate(time.time(), usegmt=True)",
                lambda: email.utils.formatdate(time.time(), usegmt=True),
            ),
            ("etags tool: http_date(time.time())", lambda: etags_dates.http_date(time.time())),
            ("httputil.format_http_date()", httputil.format_http_date),
        ],
        args,
    )
    _group(
        "HTTP-date formatting, a fixed timestamp (Last-Modified, Expires)",
        [
            ("etags tool: http_date(ts)", lambda: etags_dates.http_date(STAMP)),
            ("static tool: http_date(ts) (lru_cache)", lambda: static_validators.http_date(STAMP)),
            ("core cookies: _http_date(ts) (lru_cache)", lambda: cookies_http_date(STAMP)),
            ("httputil.format_http_date(ts)", lambda: httputil.format_http_date(STAMP)),
            (
                "httputil, cache bypassed",
                lambda: _dates._format_seconds.__wrapped__(STAMP),  # type: ignore[attr-defined]
            ),
        ],
        args,
    )


def date_parsing(args: argparse.Namespace) -> None:
    _same(
        int(etags_dates.parse_http_date(DATE) or 0),
        static_validators.parse_http_date(DATE),
        int(caching_policy.http_date(DATE) or 0),
        httputil.parse_http_date(DATE),
    )
    cold = _dates._parse_http_date.__wrapped__  # type: ignore[attr-defined]
    _group(
        "HTTP-date parsing (If-Modified-Since)",
        [
            ("etags tool: parse_http_date", lambda: etags_dates.parse_http_date(DATE)),
            ("static tool: parse_http_date", lambda: static_validators.parse_http_date(DATE)),
            ("caching tool: http_date", lambda: caching_policy.http_date(DATE)),
            ("httputil.parse_http_date", lambda: httputil.parse_http_date(DATE)),
            ("httputil, cache bypassed", lambda: cold(DATE)),
        ],
        args,
    )


def accept_media(args: argparse.Namespace) -> None:
    offers = tuple(http_negotiation._parse_offer(m) for m in MEDIA)
    index = http_negotiation._choose(ACCEPT, offers)
    _same(MEDIA[index] if index is not None else None, httputil.best_media(ACCEPT, MEDIA))
    cold = _accept._parse_accept.__wrapped__  # type: ignore[attr-defined]
    _group(
        "Accept negotiation, warm (a browser's Accept)",
        [
            ("http tool: _choose (lru_cache)", lambda: http_negotiation._choose(ACCEPT, offers)),
            ("httputil.best_media", lambda: httputil.best_media(ACCEPT, MEDIA)),
        ],
        args,
    )
    _group(
        "Accept negotiation, cold (parse + choose)",
        [
            (
                "http tool: parse_weighted + best_media",
                lambda: http_negotiation.best_media(
                    parse_weighted(ACCEPT, media=True), list(offers)
                ),
            ),
            ("httputil: parse_accept uncached + best", lambda: cold(ACCEPT, True).best(MEDIA)),
        ],
        args,
    )


def ranges(args: argparse.Namespace) -> None:
    for header in ("bytes=0-1023", "bytes=0-99,200-299,-100"):
        _same(static_ranges.parse_range(header, 10**6), httputil.parse_range(header, 10**6))
        _group(
            f"Range parsing (`{header}`)",
            [
                ("static tool: parse_range", lambda h=header: static_ranges.parse_range(h, 10**6)),
                ("httputil.parse_range", lambda h=header: httputil.parse_range(h, 10**6)),
            ],
            args,
        )


def cache_control(args: argparse.Namespace) -> None:
    _same(
        caching_policy.parse_cache_control(CACHE_CONTROL),
        dict(httputil.parse_cache_control(CACHE_CONTROL)),
    )
    cold = _cachecontrol._parse_cache_control.__wrapped__  # type: ignore[attr-defined]
    _group(
        "Cache-Control parsing (a response's)",
        [
            (
                "caching tool: parse_cache_control",
                lambda: caching_policy.parse_cache_control(CACHE_CONTROL),
            ),
            ("httputil.parse_cache_control", lambda: httputil.parse_cache_control(CACHE_CONTROL)),
            ("httputil, cache bypassed", lambda: cold(CACHE_CONTROL)),
        ],
        args,
    )


GROUPS = {
    "accept-encoding": accept_encoding,
    "etags": entity_tags,
    "date-format": date_formatting,
    "date-parse": date_parsing,
    "accept": accept_media,
    "range": ranges,
    "cache-control": cache_control,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--target", type=float, default=0.2, help="seconds per timed run")
    parser.add_argument("--only", nargs="*", choices=sorted(GROUPS), default=sorted(GROUPS))
    args = parser.parse_args()
    print(f"# pegboard.httputil vs the tools' parsers (best of {args.repeat})")
    for name in GROUPS:
        if name in args.only:
            GROUPS[name](args)


if __name__ == "__main__":
    main()
