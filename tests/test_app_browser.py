"""The app served on localhost, driven in headless Chromium (Debian's, through Playwright): the comparison shows
highlighted entities for several architectures, bad input gets a message, and the app keeps serving.

Needs ``chromium`` on PATH (``bash scripts/setup.sh dev`` installs it where apt-get is available). Without it the
test is skipped, unless ``GLINER_BENCH_REQUIRE_BROWSER=1`` (CI sets it), which makes a missing browser a failure.
The screenshot goes to ``$GLINER_BENCH_SCREENSHOTS`` (default: the test's temporary directory).
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync"]


def _require_browser():
    missing = []
    if CHROMIUM is None:
        missing.append("chromium (apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright (bash scripts/setup.sh dev)")
    try:
        import gradio  # noqa: F401
    except ImportError:
        missing.append("gradio (bash scripts/setup.sh dev)")
    if missing:
        message = "browser test needs " + ", ".join(missing)
        if os.environ.get("GLINER_BENCH_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def served():
    _require_browser()
    from gliner_bench.app import build_app
    from gliner_bench.app.models import ModelPool

    pool = ModelPool.from_config("")
    pool.preload(background=False)
    demo = build_app(pool)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/", pool
    demo.close()


@pytest.fixture(scope="module")
def page(served):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.set_default_timeout(120_000)
        page.goto(served[0])
        page.wait_for_selector("#compare-run")
        yield page
        browser.close()


def _run(page, text: str, labels: str):
    page.fill("#compare-text textarea", text)
    page.fill("#compare-labels textarea, #compare-labels input", labels)
    page.click("#compare-run")


def _wait_done(page):
    page.wait_for_timeout(300)
    page.wait_for_function("!document.querySelector('.model-highlight .progress-text')")


def test_the_comparison_highlights_entities_for_several_architectures(page, served, tmp_path):
    _run(page, "Angela Merkel met Emmanuel Macron in Paris on Tuesday.", "person, city, date")
    _wait_done(page)
    pool = served[1]
    found = {}
    for name in pool.names():
        tokens = page.locator(f"#highlight-{name} .token.highlighted .text").all_inner_texts()
        found[name] = [t.strip() for t in tokens]
    with_entities = [n for n, toks in found.items() if toks]
    families = {pool.entries[n].family for n in with_entities}
    assert len(with_entities) >= 2 and len(families) >= 2, found
    assert any("Paris" in toks for toks in found.values()), found
    # each panel says its latency
    assert page.locator(".model-title", has_text=" ms · ").count() >= len(with_entities)
    out = Path(os.environ.get("GLINER_BENCH_SCREENSHOTS", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / "app-compare.png"), full_page=True)
    assert (out / "app-compare.png").stat().st_size > 10_000


@pytest.mark.parametrize("text, labels, message", [
    ("", "person", "Type or paste some text"),
    ("Paris is nice.", " , ,, ", "Type at least one entity label"),
    ("x" * 100_000, "person", "100,000 characters"),
    ("Paris is nice.", ", ".join(f"t{i}" for i in range(1000)), "1,000 entity labels"),
])
def test_bad_input_gets_a_message_and_the_app_keeps_serving(page, text, labels, message):
    _run(page, text, labels)
    toast = page.locator(".toast-body", has_text=message)
    toast.first.wait_for(state="visible", timeout=30_000)
    assert "Traceback" not in page.content()
    page.locator(".toast-body .toast-close, .toast-close").first.click()
    _run(page, "東京 and Berlin 🇩🇪 are capitals of countries.", "city, country")
    _wait_done(page)
    panels = page.locator(".model-highlight", has_text="are capitals of countries")  # this run's text, not the last
    assert panels.count() >= 2
    assert panels.locator(".token.highlighted").count() >= 1
