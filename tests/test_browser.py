"""Open the built site in a real headless browser with no network but its own server.

Serves $NNLAB_SITE (default <repo>/_build/html) on 127.0.0.1, opens chapter 1 in Debian's
Chromium through playwright, and checks: every request stays on 127.0.0.1, MathJax renders,
the first static experiment responds to its first control, the console stays clean, and the
search page finds a chapter. Skips when Chromium or the built site is missing.
"""
import functools
import http.server
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("NNLAB_SITE", REPO / "_build" / "html")).resolve()
SHOTS = Path(tempfile.gettempdir())
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

if not os.access(CHROMIUM, os.X_OK):
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run the browser test",
                allow_module_level=True)
if not (SITE / "search.html").is_file():
    pytest.skip(f"no built site at {SITE} (run `make book`, or set NNLAB_SITE)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

CHAPTER_1 = sorted(SITE.glob("chapters/01_*.html"))
if not CHAPTER_1:
    pytest.skip(f"no chapter 1 page in {SITE / 'chapters'}", allow_module_level=True)
CHAPTER_1 = CHAPTER_1[0]


SERVED = []   # (status, path) of every request the server answered, the browser's own ones too


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def log_request(self, code="-", size="-"):
        SERVED.append((int(getattr(code, "value", code)), self.path))


@pytest.fixture(scope="module")
def server():
    """The site on http://127.0.0.1:<ephemeral port>/, served from a thread."""
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(SITE)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    # requests the browser makes by itself (such as /favicon.ico) never reach page.on("request")
    failed = [f"{code} {path}" for code, path in SERVED if code >= 400]
    assert not failed, f"the server answered with errors: {failed}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture(scope="module")
def browser_context():
    profile = tempfile.mkdtemp(prefix="nnlab-chromium-")
    try:
        with sync_api.sync_playwright() as p:
            context = p.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=FLAGS,  # the profile goes in as --user-data-dir
                viewport={"width": 1280, "height": 900}, service_workers="block")
            context.set_default_timeout(20_000)   # generous: shared CI machines can be slow
            yield context
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


class PageLog:
    """Everything a page asked for or complained about."""

    def __init__(self, context, page):
        self.requests, self.failed, self.bad_status, self.errors, self.sockets = [], [], [], [], []
        context.on("request", lambda r: self.requests.append(r.url))
        context.on("requestfailed", lambda r: self.failed.append(f"{r.url}: {r.failure}"))
        context.on("response", lambda r: r.status >= 400 and self.bad_status.append(f"{r.status} {r.url}"))
        page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("websocket", lambda w: self.sockets.append(w.url))

    def off_site(self):
        out = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme == "data":
                continue
            if parts.scheme not in ("http", "https") or parts.hostname != "127.0.0.1":
                out.append(url)
        return out


@pytest.fixture(scope="module")
def chapter(server, browser_context):
    """Chapter 1, loaded, with MathJax given time to typeset."""
    page = browser_context.new_page()
    log = PageLog(browser_context, page)
    start = time.perf_counter()
    page.goto(f"{server}/{CHAPTER_1.relative_to(SITE).as_posix()}", wait_until="load")
    page.wait_for_selector("mjx-container", state="attached")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SHOTS / "nnlab_site_chapter1_top.png"))
    log.load_seconds = time.perf_counter() - start
    yield page, log
    page.close()


def test_every_request_stays_on_the_local_server(chapter):
    page, log = chapter
    assert log.requests, "the page made no requests at all?"
    assert not log.off_site(), f"requests to other hosts: {log.off_site()}"
    assert not log.sockets, f"websockets opened: {log.sockets}"
    assert not log.failed, f"failed requests: {log.failed}"
    assert not log.bad_status, f"error responses: {log.bad_status}"
    print(f"\n{len(log.requests)} requests in {log.load_seconds:.1f} s, all to 127.0.0.1:")
    for url in sorted({urlsplit(u).path for u in log.requests}):
        print("  ", url)


def test_page_has_title_navigation_search_and_download(chapter):
    page, _ = chapter
    assert page.title().strip()
    assert page.locator("nav.bd-docs-nav a").count() >= 2
    assert page.locator("button.search-button__button, .search-button-field").first.is_visible()
    href = page.locator("a.btn-download-source-button").first.get_attribute("href")
    assert href.endswith(".ipynb"), href
    reply = page.request.get(page.url.rsplit("/", 1)[0] + "/" + href)
    assert reply.ok and reply.json()["nbformat"] == 4


def test_mathjax_rendered_all_math(chapter):
    page, _ = chapter
    assert page.locator("mjx-container").count() > 0
    report = page.evaluate("""() => {
        const bad = [];
        document.querySelectorAll('.math').forEach(el => {
          if (!el.querySelector('mjx-container')) { bad.push('not typeset: ' + el.textContent.slice(0, 60)); return; }
          const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
          let raw = '';
          for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            if (!n.parentElement.closest('mjx-container')) raw += n.textContent;
          }
          if (/[$]|\\\\[(\\[a-zA-Z]/.test(raw)) bad.push('raw TeX left: ' + raw.slice(0, 60));
        });
        return {count: document.querySelectorAll('.math').length, bad: bad};
    }""")
    assert report["count"] > 0, "no math on chapter 1?"
    assert not report["bad"], report["bad"]


def test_first_experiment_responds_to_its_first_control(chapter):
    page, log = chapter
    exp = page.locator("div.nnlab-experiment").first
    exp.scroll_into_view_if_needed()
    img = exp.locator("img").first
    before = img.get_attribute("src"), img.get_attribute("alt")
    assert before[0].startswith("data:image/webp;base64,")
    control = exp.locator("[data-control]").first
    tag = control.evaluate("el => el.tagName.toLowerCase()")
    if tag == "select":
        count = control.locator("option").count()
        assert count >= 2, "first control offers a single option"
        current = int(control.input_value())
        control.select_option(index=(current + 1) % count)
    else:
        lo, hi, cur = (int(control.get_attribute(a)) for a in ("min", "max", "value"))
        assert hi > lo, "first control is a one-value slider"
        new = hi if cur != hi else lo
        control.evaluate("(el, v) => { el.value = String(v); el.dispatchEvent(new Event('input', {bubbles: true})); }", new)
    after = img.get_attribute("src"), img.get_attribute("alt")
    assert after[0] != before[0], "the picture did not change"
    assert after[1] != before[1], f"the alt text did not change ({before[1]!r})"
    assert after[0].startswith("data:image/webp;base64,")
    natural = img.evaluate("el => el.decode().then(() => el.naturalWidth)")
    assert natural > 0, "the new frame did not decode"
    page.screenshot(path=str(SHOTS / "nnlab_site_chapter1_experiment.png"))
    assert not log.off_site()


def test_no_console_errors(chapter):
    _, log = chapter
    assert not log.errors, log.errors


def test_search_finds_chapter_one(server, browser_context):
    page = browser_context.new_page()
    log = PageLog(browser_context, page)
    page.goto(f"{server}/search.html?q=activation", wait_until="load")
    page.wait_for_selector("#search-results li a", state="attached")
    hits = page.locator("#search-results li a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    assert any(CHAPTER_1.stem in h for h in hits), hits
    assert not log.off_site(), log.off_site()
    assert not log.errors, log.errors
    page.close()


def test_landing_page_loads_locally_and_lists_the_chapters(server, browser_context):
    page = browser_context.new_page()
    log = PageLog(browser_context, page)
    page.goto(f"{server}/index.html", wait_until="load")      # redirects to intro.html
    page.wait_for_url("**/intro.html")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SHOTS / "nnlab_site_intro.png"), full_page=True)
    toc = page.locator("article .toctree-wrapper a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    assert any(CHAPTER_1.name in h for h in toc), f"the landing page does not list chapter 1: {toc}"
    assert not log.off_site(), log.off_site()
    assert not log.errors, log.errors
    page.close()


def test_playground_scenarios_are_built_and_respond(server, browser_context):
    """Chapter 15: the static lab's picture, and every scenario's run and epoch controls change its picture."""
    pages = sorted(SITE.glob("chapters/15_*.html"))
    if not pages:
        pytest.skip(f"no playground page in {SITE / 'chapters'}")
    page = browser_context.new_page()
    log = PageLog(browser_context, page)
    # the heaviest page (seven recorded runs, every frame inline): its load event is enough; waiting
    # for the network to fall idle timed out on it after the other pages of this module
    page.goto(f"{server}/{pages[0].relative_to(SITE).as_posix()}", wait_until="load", timeout=120_000)
    page.locator("div.nnlab-experiment").nth(6).wait_for(state="attached", timeout=60_000)
    assert page.locator("div.nnlab-playground img").count() == 1
    scenarios = page.locator("div.nnlab-experiment")
    assert scenarios.count() == 7, scenarios.count()
    for i in range(scenarios.count()):
        exp = scenarios.nth(i)
        exp.scroll_into_view_if_needed()
        img = exp.locator("img").first
        run, epoch = exp.locator("select[data-control]").first, exp.locator("input[data-control]").first
        before = img.get_attribute("src")
        last = epoch.get_attribute("value")
        epoch.evaluate("el => { el.value = '0'; el.dispatchEvent(new Event('input', {bubbles: true})); }")
        assert img.get_attribute("src") != before, f"scenario {i}: the epoch scrubber did not change the picture"
        epoch.evaluate("(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }", last)
        assert img.get_attribute("src") == before
        run.select_option(index=0)                           # the other run, at the last epoch
        assert img.get_attribute("src") != before, f"scenario {i}: the run did not change the picture"
        assert img.evaluate("el => el.decode().then(() => el.naturalWidth)") > 0
    page.screenshot(path=str(SHOTS / "nnlab_site_playground.png"))
    assert not log.off_site(), log.off_site()
    assert not log.errors, log.errors
    page.close()
