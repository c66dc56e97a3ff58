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


TABS = {"Compare": "compare", "Relations": "relations", "Label discovery": "discovery", "Many labels": "many"}
WIDTHS = (1400, 390)
SCREENSHOTS = Path(os.environ.get("GLINER_BENCH_SCREENSHOTS", "")) if os.environ.get("GLINER_BENCH_SCREENSHOTS") \
    else None


@pytest.fixture(scope="module")
def served():
    _require_browser()
    from gliner_bench.app import build_app
    from gliner_bench.app.models import ModelPool
    from gliner_bench.app.service import Precomputed
    from gliner_bench.app.ui import serve, warm_up

    pool = ModelPool.from_config("", serving="int8")  # as `gliner-bench demo` serves
    cache = Precomputed()
    warm_up(pool, cache, background=False)  # as launch() does in the background: every model, every example
    demo = build_app(pool, precomputed=cache)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    serve(demo, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/", pool
    demo.close()


@pytest.fixture(scope="module")
def browser(served):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def _open(browser, url: str, width: int = 1400):
    page = browser.new_page(viewport={"width": width, "height": 1600})
    page.set_default_timeout(120_000)
    page.goto(url)
    page.wait_for_selector("#compare-run")
    return page


@pytest.fixture(scope="module")
def page(served, browser):
    page = _open(browser, served[0])
    yield page
    page.close()


def _tab(page, name: str) -> None:
    """Select a tab, through the "More tabs" menu where the tab bar is too narrow to show it."""
    tab = page.locator("[role=tablist] button[role=tab]", has_text=name)
    if tab.count() and tab.first.is_visible():
        tab.first.click()
    else:
        page.locator("button[aria-label='More tabs']").click()
        page.locator(".overflow-dropdown button", has_text=name).first.click()
    page.wait_for_timeout(300)


def _example(page, prefix: str, text: str):
    """The example showing this text: a table cell, or a gallery button where one column is shown."""
    return page.locator(f"#{prefix}-examples tbody td, #{prefix}-examples button.gallery-item",
                        has_text=text[:30]).first


def _run(page, text: str, labels: str):
    page.fill("#compare-text textarea", text)
    page.fill("#compare-labels textarea, #compare-labels input", labels)
    page.click("#compare-run")


def _wait_done(page):
    page.wait_for_timeout(300)
    page.wait_for_function("!document.querySelector('.model-highlight .progress-text, .model-title .progress-text')")


def _save(page, name: str, tmp_path) -> None:
    out = SCREENSHOTS or tmp_path
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)


def _panel_titles(page) -> list[str]:
    return [t for t in page.locator(".model-title:visible").all_inner_texts() if t.strip()]


def test_the_comparison_highlights_entities_for_several_architectures(page, served, tmp_path):
    _tab(page, "Compare")
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
    _save(page, "app-compare", tmp_path)


@pytest.mark.parametrize("text, labels, message", [
    ("", "person", "Type or paste some text"),
    ("Paris is nice.", " , ,, ", "Type at least one entity label"),
    ("x" * 100_000, "person", "100,000 characters"),
    ("Paris is nice.", ", ".join(f"t{i}" for i in range(1000)), "1,000 entity labels"),
])
def test_bad_input_gets_a_message_in_place_and_the_panels_keep_their_results(page, text, labels, message):
    _tab(page, "Compare")
    _run(page, "東京 and Berlin 🇩🇪 are capitals of countries.", "city, country")
    _wait_done(page)
    before = page.locator(".model-highlight", has_text="are capitals of countries").count()
    assert before >= 2
    _run(page, text, labels)
    page.locator("#compare-status .error", has_text=message).wait_for(state="visible", timeout=30_000)
    assert "Traceback" not in page.content()
    assert page.locator(".model-highlight", has_text="are capitals of countries").count() == before
    assert page.locator(".model-highlight .token.highlighted").count() >= 1
    assert page.locator("text=Error").count() == 0  # no panel turned into gradio's error badge


def test_a_hostile_duplicate_label_is_shown_as_text(page):
    _tab(page, "Compare")
    hostile = '<img src=x id=injected> <a id=injected-link href=https://example.com>x</a>'
    _run(page, "Paris is nice.", f"city, {hostile}, {hostile}")
    _wait_done(page)
    page.locator("#compare-status .notice", has_text="Dropped repeated label").wait_for(state="visible")
    assert page.locator("#injected, #injected-link").count() == 0
    assert "<img src=x id=injected>" in page.locator("#compare-status").inner_text()


# A visible highlight panel reads this text: its letters, in order, with the entity chips' labels between them.
SHOWS_TEXT = """
(text) => {
    const norm = (s) => s.replace(/[^\\p{L}\\p{N}]/gu, '').toLowerCase();
    const want = norm(text);
    return [...document.querySelectorAll('.model-highlight')].some((h) => {
        if (!h.offsetParent) return false;
        let i = 0;
        for (const c of norm(h.innerText)) if (c === want[i]) i++;
        return i === want.length;
    });
}
"""


@pytest.mark.parametrize("tab", list(TABS))
def test_every_example_fills_the_inputs_and_shows_results_at_once(page, tab, tmp_path):
    from gliner_bench.app import examples

    shown = {"Compare": examples.COMPARE, "Relations": examples.RELATIONS, "Label discovery": examples.DISCOVERY,
             "Many labels": examples.MANY}[tab]
    _tab(page, tab)
    prefix = TABS[tab]
    for i, ex in enumerate(shown):
        _example(page, prefix, ex.text).click()
        page.wait_for_function(
            "([id, text]) => document.querySelector(`#${id}-text textarea`).value === text", arg=[prefix, ex.text])
        _wait_done(page)
        page.wait_for_function(SHOWS_TEXT, arg=ex.text, timeout=10_000)
        titles = _panel_titles(page)
        assert titles, f"{tab} example {i}: no panel"
        for title in titles:
            assert "⚠️" not in title and " ms · " in title, title
            assert "precomputed example" in title, title  # served at once, not recomputed
            assert "written answer" in title, title  # and it says whether the model got the example right
        assert page.locator(".model-highlight:visible .token.highlighted").count() >= 1
    _save(page, f"app-{prefix}-examples", tmp_path)


CHECKS = """
() => {
  const visible = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 &&
                          getComputedStyle(el).visibility !== 'hidden'; };
  const rgba = s => { const m = s.match(/[\\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
  const lum = ([r, g, b]) => { const f = c => { c /= 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
                               return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = el => {  // the colour behind el: its ancestors' backgrounds composited over white
    let layers = [];
    for (let e = el; e; e = e.parentElement) { const c = rgba(getComputedStyle(e).backgroundColor); if (c[3] > 0) layers.push(c); if (c[3] >= 1) break; }
    let out = [255, 255, 255];
    for (const [r, g, b, a] of layers.reverse()) out = [r * a + out[0] * (1 - a), g * a + out[1] * (1 - a), b * a + out[2] * (1 - a)];
    return out;
  };
  const contrast = [];
  for (const el of document.querySelectorAll('.model-highlight .label, .model-highlight .token.highlighted .text')) {
    if (!visible(el)) continue;
    const fg = rgba(getComputedStyle(el).color), bg = background(el);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    if (ratio < 4.5) contrast.push([el.innerText, ratio.toFixed(2)]);
  }
  const overflow = [];
  const selector = '.gb-table, .gb-table th, .gb-table td, .js-plotly-plot, .gb-plot, .model-title, .model-highlight, ' +
                   '.run-status, [id$="-examples"] .table-wrap, [id$="-examples"] td, .prose, .tabitem';
  for (const el of document.querySelectorAll(selector)) {
    if (!visible(el)) continue;
    if (el.scrollWidth > el.clientWidth + 1) overflow.push([el.tagName, el.className.toString().slice(0, 40),
                                                            el.scrollWidth, el.clientWidth, (el.innerText || '').slice(0, 40)]);
  }
  if (document.documentElement.scrollWidth > document.documentElement.clientWidth + 1)
    overflow.push(['page', '', document.documentElement.scrollWidth, document.documentElement.clientWidth, '']);
  const broken = [];  // a header word laid out on two lines
  for (const th of document.querySelectorAll('.gb-table th')) {
    if (!visible(th)) continue;
    const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const re = /\\S+/g; let m;
      while ((m = re.exec(node.textContent))) {
        const range = document.createRange(); range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push(m[0]);
      }
    }
  }
  return {contrast, overflow, broken};
}
"""


@pytest.mark.parametrize("width", WIDTHS)
def test_every_tab_is_readable_at_desktop_and_phone_width(served, browser, width, tmp_path):
    page = _open(browser, served[0], width)
    problems = {}
    for tab in ["Compare", "Relations", "Label discovery", "Many labels", "Leaderboard", "Scaling"]:
        _tab(page, tab)
        if tab in TABS:
            _example(page, TABS[tab], "").click()
            _wait_done(page)
            page.wait_for_timeout(500)
        else:
            page.wait_for_timeout(1500)  # the plots lay out
        found = page.evaluate(CHECKS)
        if any(found.values()):
            problems[tab] = found
        _save(page, f"app-{TABS.get(tab, tab.lower())}-{width}px", tmp_path)
    page.close()
    assert problems == {}
