"""What the panel's browser tests share: opening a signed-in panel, putting a call on the bridge, the
documentation's screenshots, the traces of a call, and the contrast of what the panel shows."""

import json
import os
import time
import uuid
from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from websockets.sync.client import connect

from copilot_cli.simulate import ws_url
from crm_core.models import TraceEvent
from tests.conftest import RunningStack
from tests.factories import bridge_auth

BRIDGE = bridge_auth()
# The documentation's screenshots: refreshed only on request (COPILOT_UPDATE_SCREENSHOTS=1), so a test run
# leaves the work tree clean.
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
SIDE_PANEL = {"width": 460, "height": 900}


def new_page(browser: Browser, pages: list[Page], url: str, viewport: dict[str, int] | None = None) -> Page:
    page = browser.new_page(viewport=viewport or SIDE_PANEL, locale="fr-FR")
    errors: list[str] = []  # uncaught exceptions in the panel's script
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors  # type: ignore[attr-defined]
    pages.append(page)
    page.goto(url)
    return page


def open_panel(browser: Browser, pages: list[Page], stack: RunningStack, advisor: str,
               viewport: dict[str, int] | None = None) -> Page:
    """The panel signed in as a seeded advisor; « Connecté » means its websocket is authenticated."""
    page = new_page(browser, pages, f"{stack.url}/?advisor={advisor}", viewport)
    expect(page.get_by_test_id("connection")).to_have_text("Connecté")
    expect(page.get_by_test_id("advisor")).to_contain_text(advisor)
    return page


def expect_refused(page: Page, login: str, message: str, hidden: tuple[str, ...]) -> None:
    """A page refusing the profile signed in: its French reason, who is signed in, and none of what it guards."""
    expect(page.get_by_test_id("auth-error")).to_have_text(message)
    expect(page.get_by_test_id("advisor")).to_contain_text(login)
    for test_id in hidden:
        expect(page.get_by_test_id(test_id)).to_be_hidden()


def inject_call(stack: RunningStack, caller: str, reason: str, agent: str) -> str:
    """offered + answered on the bridge, presented to ``agent`` (the login the panel signed in as)."""
    call_id = f"browser-{uuid.uuid4().hex[:10]}"
    with connect(ws_url(stack.url, "/ws/bridge"), additional_headers=BRIDGE) as bridge:
        for event in ({"event": "offered", "caller_number": caller, "reason_transcript": reason, "agent": agent},
                      {"event": "answered"}):
            bridge.send(json.dumps({"call_id": call_id, **event}))
            assert json.loads(bridge.recv(10))["type"] == "ack"
    return call_id


def docs_screenshot(page: Page, name: str, full_page: bool = True) -> bytes:
    """A PNG of the page (or of its top, the viewport), written to docs/img/``name`` when
    COPILOT_UPDATE_SCREENSHOTS=1."""
    if not full_page:
        page.evaluate("window.scrollTo(0, 0)")
    shot = page.screenshot(full_page=full_page)
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("COPILOT_UPDATE_SCREENSHOTS") == "1":
        (DOCS_IMG / name).write_bytes(shot)
    return shot


def traces(stack: RunningStack, call_id: str, name: str, at_least: int = 0) -> list[TraceEvent]:
    """The call's traces of that name, waiting a few seconds for ``at_least`` of them (a request the panel
    sent without waiting for its answer)."""
    deadline = time.monotonic() + 5
    while True:
        with stack.sessions() as s:
            found = list(s.scalars(select(TraceEvent).where(TraceEvent.call_id == call_id, TraceEvent.name == name)
                                   .order_by(TraceEvent.id)))
        if len(found) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


# Every element with text of its own: its colour against the first opaque background behind it (WCAG 2
# contrast ratio). Disabled controls are exempt (WCAG 1.4.3), and so is what is not shown.
CONTRAST_AUDIT = """() => {
  const rgb = (c) => { const m = c.match(/[\\d.]+/g) || []; return m.map(Number); };
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92
    : ((v + 0.055) / 1.055) ** 2.4; }).reduce((acc, v, i) => acc + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = (node) => {
    for (let n = node; n; n = n.parentElement) {
      const c = rgb(getComputedStyle(n).backgroundColor);
      if (c.length === 3 || c[3] === 1) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const failures = [];
  for (const node of document.body.querySelectorAll("*")) {
    const own = [...node.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim());
    if (!own || node.closest("[hidden], :disabled, .sr-only") || !node.getClientRects().length) continue;
    const style = getComputedStyle(node);
    if (style.visibility === "hidden" || style.display === "none") continue;
    const fg = lum(rgb(style.color).slice(0, 3));
    const bg = lum(background(node));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    if (ratio < 4.5) failures.push(`${node.tagName.toLowerCase()}.${node.className} « ${node.textContent.trim()
      .slice(0, 40)} » ${style.color} on ${background(node)}: ${ratio.toFixed(2)}`);
  }
  return failures;
}"""


def contrast_failures(page: Page) -> list[str]:
    return page.evaluate(CONTRAST_AUDIT)
