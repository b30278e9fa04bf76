"""A real browser against the example site: headless Chromium driven by Selenium.

Debian's ``chromium`` and ``chromium-driver`` (``bash .ci/install-browser``).
Without them, or without Selenium, the tests skip on a developer's machine
and fail in CI (``CI`` set), like the backend tests.
"""

from __future__ import annotations

import collections
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pegboard.testing import LiveServer
from pegboard.testing.backend_fixtures import unavailable

from .conftest import SITE_DIR
from .test_site import CSS_BYTES, CSS_NAME

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WINDOW = (800, 600)
WAIT = 10.0  # seconds for a page or an element; the pages answer in milliseconds
# The stylesheet's colours (assets/app.css), as getComputedStyle writes them.
PAPER = (247, 245, 240)
ACCENT = (47, 111, 79)
CARD = (255, 255, 255)

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    f"--window-size={WINDOW[0]},{WINDOW[1]}",
)


@pytest.fixture(scope="module")
def live_site(site_module: ModuleType) -> Iterator[str]:
    """One fresh site on a live server for the module; its URL."""
    app = site_module.create_app()
    with LiveServer(app) as server:
        yield server.url


@pytest.fixture(scope="module")
def browser(live_site: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Chromium for the module, with a new empty profile."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        unavailable("selenium is not installed (it is in the dev dependencies: uv sync)")
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not binary.exists():
            unavailable(f"{binary} not found: run bash .ci/install-browser")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(WAIT)
    driver.set_script_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def site_url(live_site: str, browser: Any) -> str:
    """The live site's URL; the browser starts each test without cookies."""
    browser.delete_all_cookies()
    return live_site


def _wait_for(browser: Any, element_id: str) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, WAIT).until(
        expected_conditions.presence_of_element_located((By.ID, element_id))
    )


def _sign_in(browser: Any, site_url: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{site_url}/account")
    form = _wait_for(browser, "login")
    form.find_element(By.NAME, "username").send_keys("alice")
    form.find_element(By.NAME, "password").send_keys("demo-alice-password")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _wait_for(browser, "account-user")


def _rgb(css_colour: str) -> tuple[int, ...]:
    """``rgb(1, 2, 3)`` -> ``(1, 2, 3)``."""
    inside = css_colour[css_colour.index("(") + 1 : css_colour.index(")")]
    return tuple(int(part) for part in inside.split(",")[:3])


def test_sign_in_through_the_form_and_stay_signed_in(browser: Any, site_url: str) -> None:
    browser.get(f"{site_url}/")
    assert _wait_for(browser, "visits").text == "1"
    _sign_in(browser, site_url)
    assert browser.current_url == f"{site_url}/account"
    assert _wait_for(browser, "account-user").text == "Signed in as alice."
    session_cookie = browser.get_cookie("session_id")
    assert session_cookie["httpOnly"] is True and session_cookie["sameSite"] == "Lax"

    browser.refresh()
    assert _wait_for(browser, "account-user").text == "Signed in as alice."
    browser.get(f"{site_url}/")
    assert _wait_for(browser, "visits").text == "2"  # the visit before signing in counts
    assert _wait_for(browser, "who").text == "You are signed in as alice."

    from selenium.webdriver.common.by import By

    browser.get(f"{site_url}/account")
    _wait_for(browser, "account-user")
    browser.find_element(By.CSS_SELECTOR, "form[action='/account/do_logout'] button").click()
    assert _wait_for(browser, "visits").text == "1"  # signed out: back home, a new session
    assert browser.get_cookie("session_id")["value"] != session_cookie["value"]


def test_the_compressed_stylesheet_is_fetched_and_applied(browser: Any, site_url: str) -> None:
    browser.get(f"{site_url}/account")
    _wait_for(browser, "login")
    style = browser.execute_script(
        "const header = document.querySelector('.site-header');"
        "return [getComputedStyle(document.body).backgroundColor,"
        " getComputedStyle(header).backgroundColor, getComputedStyle(header).display];"
    )
    assert (_rgb(style[0]), _rgb(style[1]), style[2]) == (PAPER, ACCENT, "flex")

    # The Resource Timing entry of the page's stylesheet: sent compressed (brotli,
    # the best the browser accepts), the whole file once decoded.
    sizes = browser.execute_script(
        "const e = performance.getEntriesByType('resource')"
        f".find(e => e.name.endsWith('/static/{CSS_NAME}'));"
        "return e ? [e.encodedBodySize, e.decodedBodySize] : null;"
    )
    brotli_size = (SITE_DIR / "static" / f"{CSS_NAME}.br").stat().st_size
    assert sizes == [brotli_size, len(CSS_BYTES)]

    headers = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        f"fetch('/static/{CSS_NAME}', {{cache: 'no-store'}})"
        ".then(r => r.text().then(t => done([r.status, r.headers.get('content-encoding'),"
        " r.headers.get('cache-control'), r.headers.get('vary'), t.length])))"
        ".catch(e => done(String(e)));"
    )
    assert headers == [
        200,
        "br",
        "max-age=31536000, immutable",
        "Accept-Encoding",
        len(CSS_BYTES.decode()),
    ]


def test_the_pages_inline_script_runs_by_its_csp_nonce(browser: Any, site_url: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{site_url}/about/")
    written = WebDriverWait(browser, WAIT).until(
        lambda driver: driver.find_element(By.ID, "local-time").text
    )
    assert written.startswith("your time ")  # the script ran: the policy allowed its nonce
    browser.get(f"{site_url}/report")  # a page the cache serves to all: no nonce, no script
    _wait_for(browser, "generated")
    assert browser.find_element(By.ID, "local-time").text == ""


def test_a_screenshot_of_the_signed_in_home_page_is_not_blank(
    browser: Any, site_url: str, tmp_path: Path
) -> None:
    _sign_in(browser, site_url)
    browser.get(f"{site_url}/")
    _wait_for(browser, "who")
    png = browser.get_screenshot_as_png()
    width, height, pixels = decode_png(png)
    assert [width, height] == browser.execute_script(
        "return [window.innerWidth * devicePixelRatio, window.innerHeight * devicePixelRatio];"
    )
    (tmp_path / "home.png").write_bytes(png)  # kept by pytest for a look after a failure
    counts = collections.Counter(pixels)
    share = {colour: counts[colour] / len(pixels) for colour in (PAPER, CARD, ACCENT)}
    assert share[PAPER] > 0.05, share  # the page background, from the stylesheet
    assert share[CARD] > 0.2, share  # the white cards
    assert share[ACCENT] > 0.05, share  # the header bar and the visit counter
    assert counts.most_common(1)[0][1] / len(pixels) < 0.8  # no single colour fills it
    assert len(counts) > 50, len(counts)  # text: anti-aliased glyphs in many shades


# -- a small PNG reader (8-bit RGB/RGBA, not interlaced: what Chromium writes) -----------


def decode_png(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Width, height and every pixel's (r, g, b) of a PNG; alpha is dropped."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, compressed = 8, []
    header = b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        chunk = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            header = chunk
        elif kind == b"IDAT":
            compressed.append(chunk)
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(compressed))
    stride = width * channels
    previous = bytes(stride)
    pixels: list[tuple[int, int, int]] = []
    for row in range(height):
        start = row * (stride + 1)
        line = _unfilter(raw[start], raw[start + 1 : start + 1 + stride], previous, channels)
        pixels.extend(zip(line[0::channels], line[1::channels], line[2::channels], strict=True))
        previous = line
    return width, height, pixels


def _unfilter(kind: int, line: bytes, above: bytes, step: int) -> bytes:
    """Undo one row's PNG filter (RFC 2083, section 6)."""
    if kind == 0:
        return line
    if kind == 2:
        return bytes((a + b) & 0xFF for a, b in zip(line, above, strict=True))
    out = bytearray(line)
    for i in range(len(out)):
        left = out[i - step] if i >= step else 0
        if kind == 1:
            out[i] = (out[i] + left) & 0xFF
        elif kind == 3:
            out[i] = (out[i] + ((left + above[i]) >> 1)) & 0xFF
        elif kind == 4:
            up_left = above[i - step] if i >= step else 0
            guess = left + above[i] - up_left
            dl, du, dul = abs(guess - left), abs(guess - above[i]), abs(guess - up_left)
            nearest = left if dl <= du and dl <= dul else above[i] if du <= dul else up_left
            out[i] = (out[i] + nearest) & 0xFF
        else:
            raise AssertionError(f"unknown PNG filter {kind}")
    return bytes(out)
