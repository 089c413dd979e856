"""The built site, loaded in headless Chromium: what a student's browser shows.

Run after building the site (``pip install -e ".[docs]" && sphinx-build -W --keep-going -n
docs docs/_build/html``) with ``pytest -m browser`` (the ``test`` extra runs pytest);
``BNNCORE_SITE`` points at another build folder. The pages are served by a real HTTP
server on 127.0.0.1 and opened in Debian's Chromium through Playwright; each check reads
the rendered DOM, and every page must load without a console error, a failed request or an
HTTP error. Screenshots of the pages land in ``<site>/_screenshots/``.

Where Chromium, Playwright or the built site is absent the tests skip, naming what to
install or run (in CI, ``BNNCORE_NO_SKIP=1`` turns such a skip into a failure).
"""

from __future__ import annotations

import functools
import importlib
import os
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from test_api_reference import MODULES as API_MODULES

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
BUILD = 'pip install -e ".[docs]" && sphinx-build -W --keep-going -n docs docs/_build/html'
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def site() -> Path:
    folder = Path(os.environ.get("BNNCORE_SITE") or ROOT / "docs" / "_build" / "html")
    if not (folder / "index.html").is_file():
        pytest.skip(f"the site is not built in {folder}: run `{BUILD}` first")
    return folder


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@pytest.fixture(scope="module")
def chromium():
    try:
        sync_api = importlib.import_module("playwright.sync_api")
    except ImportError:
        pytest.skip('Playwright is not installed: run `pip install -e ".[docs]"`')
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(executable):
        pytest.skip("Chromium is absent: run `apt-get install chromium` (Debian's package)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


class Page:
    """One page opened in a fresh context, with every error the browser reports."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(
            f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.errors.append(
            f"request failed: {r.url} ({r.failure})"))
        self.page.on("response", lambda r: r.status >= 400 and self.errors.append(
            f"HTTP {r.status}: {r.url}"))
        self.page.goto(url, wait_until="load")
        self.page.wait_for_load_state("networkidle")

    def screenshot(self, site: Path, name: str, *, full_page: bool = False,
                   scroll_to: str | None = None) -> Path:
        """Save ``<site>/_screenshots/<name>.png``, optionally scrolled to an element."""
        if scroll_to is not None:
            self.page.locator(scroll_to).first.scroll_into_view_if_needed()
        path = site / "_screenshots" / f"{name}.png"
        path.parent.mkdir(exist_ok=True)
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def loaded_images(self, selector: str) -> tuple[int, int]:
        """(images matched, images with a non-zero natural width) under ``selector``."""
        return self.page.evaluate(
            """sel => { const imgs = [...document.querySelectorAll(sel)];
                        return [imgs.length, imgs.filter(i => i.complete && i.naturalWidth > 0)
                                                 .length]; }""", selector)

    def close(self):
        self.context.close()


@pytest.fixture
def open_page(chromium, server):
    opened: list[Page] = []

    def _open(path: str) -> Page:
        page = Page(chromium, f"{server}/{path}")
        opened.append(page)
        return page

    yield _open
    for page in opened:
        page.close()


def test_landing_page_has_its_title_commands_and_results_figure(open_page, site):
    p = open_page("index.html")
    assert p.page.title().startswith("bnncore")
    assert p.page.locator("h1").first.inner_text().strip().startswith("bnncore")
    text = p.page.locator("article").inner_text()
    assert "pip install -e . && bnncore compare" in text
    assert 'pip install -e ".[test]" && pytest' in text
    assert "sphinx-build -W --keep-going -n docs docs/_build/html" in text
    total, loaded = p.loaded_images("article img[alt^='Validation accuracy']")
    assert total == 1 and loaded == 1, "the results figure of bnncore compare did not load"
    nav = p.page.eval_on_selector_all("header nav a", "as => as.map(a => a.getAttribute('href'))")
    for section in ("tutorials.html", "methods.html", "theory.html", "experiments.html",
                    "api/index.html", "instructors.html"):
        assert section in nav, f"{section} missing from the navigation bar {nav}"
    p.screenshot(site, "index", full_page=True)
    assert p.errors == []


def test_method_page_renders_its_math(open_page, site):
    p = open_page("quantizers.html")
    assert "Quantizer pairs" in p.page.title()
    rendered = p.page.evaluate(
        "() => MathJax.startup.promise.then("
        "() => document.querySelectorAll('mjx-container').length)")
    assert rendered >= 20, f"only {rendered} formulas typeset by MathJax"
    assert p.page.locator("mjx-merror").count() == 0, "MathJax reported a TeX error"
    assert p.page.locator("article").inner_text().count("$$") == 0
    p.screenshot(site, "quantizers")
    assert p.errors == []


def test_tutorial_page_shows_its_outputs(open_page, site):
    p = open_page("tutorials/03_quantizer_pairs_and_pcpp.html")
    assert "Quantizer pairs" in p.page.title()
    total, loaded = p.loaded_images("article .cell_output img")
    assert total >= 4 and loaded == total, f"{loaded} of {total} output images loaded"
    assert p.page.locator("article .cell_output .output").count() >= 10   # printed outputs
    assert p.page.locator("article .tag_hide-cell").count() >= 3           # solutions, folded
    p.screenshot(site, "tutorial_03", scroll_to="article .cell_output img")
    assert p.errors == []


def test_api_page_lists_every_public_name_with_a_working_link(open_page, site):
    quantizers = importlib.import_module("bnncore.quantizers")
    p = open_page("api/bnncore.quantizers.html")
    assert p.page.title().startswith("bnncore.quantizers")
    links = p.page.eval_on_selector_all(
        "table.autosummary a.reference", "as => as.map(a => [a.textContent, a.href])")
    names = {text.strip() for text, _ in links}
    assert set(quantizers.__all__) - {"criteria"} <= names
    p.screenshot(site, "api_quantizers")
    assert p.errors == []
    target = open_page(links[0][1].replace(p.page.url.rsplit("/api/", 1)[0] + "/", ""))
    assert target.page.locator("dl.py").count() >= 1
    assert target.errors == []


def test_every_public_name_has_a_generated_page(site):
    missing = []
    for module in API_MODULES:
        mod = importlib.import_module(module)
        for name in mod.__all__:
            own = site / "api" / f"{module}.{name}.html"
            generated = site / "api" / "generated" / f"{module}.{name}.html"
            if not (own.is_file() or generated.is_file()):
                missing.append(f"{module}.{name}")
    assert missing == []
