"""The supervisor's steering page (/steering) in the browser, on the real stack: a real call to n1.demo (the bridge,
the NLU, an act done through the acts API) seen live on sup.demo's board, then gone from it when it ends, without a
reload; the figures of two weeks of calls in the region (hand-built traces, ``steering_history``); from a figure to
the calls behind it, from a call to its timeline; the CSV; the centre beside its region. And what each profile
gets: a trainer the French refusal, a team leader the advisor and team levels only, nobody a name or a trace's data
read as HTML; without Chart.js, the tables.

The stack is shared by the test session: the history's calls have their own ids (``steer-…``) and advisors, and
carry no reasons (the trainer's inbox shows none of them).
"""

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, insert, select, update

from crm_core.core.db import transaction
from crm_core.models import Advisor, TraceEvent
from crm_core.models.steering import CallFact
from tests.conftest import RunningStack
from tests.factories import auth
from tests.web_widget import steering_history
from tests.web_widget.panel import contrast_failures, docs_screenshot, expect_refused, inject_call, new_page, traces
from tests.web_widget.test_panel_transfers import end_call

pytestmark = [pytest.mark.browser, pytest.mark.integration]

WIDE = {"width": 1400, "height": 900}
CAMILLE = "07 12 34 56 78"
REASON = "bonjour je voudrais savoir quand se termine mon engagement"
ACT_LABEL = "Vérifier la fin d'engagement et les frais"
XSS = "<img src=x onerror=alert(1)>"
ORG_CACHE_S = 31  # the projector reads the advisors' teams again every 30 s (steering.projector.ORG_TTL_S)


class History:
    """The region's two weeks, written once the projector knows the extra advisors."""

    def __init__(self, stack: RunningStack) -> None:
        self.stack = stack
        steering_history.add_advisors(stack)
        self.added = time.monotonic()
        self.written = False

    def ready(self) -> None:
        if self.written:
            return
        time.sleep(max(0.0, self.added + ORG_CACHE_S - time.monotonic()))
        events = steering_history.history(datetime.now(UTC))
        calls = {e["call_id"] for e in events}
        with transaction(self.stack.sessions) as s:
            s.execute(insert(TraceEvent), events)
        deadline = time.monotonic() + 60
        while True:  # the app's projector follows the traces (0.5 s polls)
            with self.stack.sessions() as s:
                projected = s.scalar(select(func.count()).select_from(CallFact)
                                     .where(CallFact.call_id.in_(calls)))
            if projected == len(calls):
                break
            assert time.monotonic() < deadline, f"{projected} of {len(calls)} calls projected"
            time.sleep(0.3)
        self.written = True


@pytest.fixture(scope="module")
def history(stack: RunningStack) -> Iterator[History]:
    yield History(stack)


def steering(browser: Browser, pages: list[Page], stack: RunningStack, login: str = "sup.demo") -> Page:
    return new_page(browser, pages, f"{stack.url}/steering?advisor={login}", WIDE)


def paris_day(days_back: int = 0) -> str:
    """A day as the page writes it (jj/mm/aaaa), in Paris: the traces are stamped with the real time."""
    day = datetime.now(steering_history.PARIS).date() - timedelta(days=days_back)
    return day.strftime("%d/%m/%Y")


def show(page: Page, level: str, start: str, end: str, period: str = "day") -> None:
    """The filters as a supervisor sets them, then the table as the API answered them."""
    page.get_by_test_id("f-from").fill(start)
    page.get_by_test_id("f-to").fill(end)
    page.get_by_test_id("f-period").select_option(period)
    page.get_by_test_id("f-level").select_option(level)
    page.get_by_test_id("f-apply").click()
    expect(page.get_by_test_id("kpi-rows")).not_to_have_attribute("aria-busy", "true")
    expect(page.get_by_test_id("figures-title")).to_contain_text(start if start == end else f"du {start} au {end}")


def row(page: Page, key: str):  # type: ignore[no-untyped-def]
    return page.locator(f'[data-testid="kpi-row"][data-key="{key}"]')


def test_a_trainer_gets_the_french_refusal_and_no_figures(browser: Browser, pages: list[Page],
                                                          stack: RunningStack) -> None:
    page = steering(browser, pages, stack, "trainer.demo")
    expect_refused(page, "trainer.demo", "Votre profil ne donne accès à aucun indicateur de pilotage.",
                   ("filters", "live", "kpi-table", "scope", "connection"))
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_a_team_leader_chooses_between_advisors_and_the_team_only(browser: Browser, pages: list[Page],
                                                                 stack: RunningStack, history: History) -> None:
    page = steering(browser, pages, stack, "lead.demo")
    expect(page.get_by_test_id("scope")).to_have_text("Équipe Lyon A")
    level = page.get_by_test_id("f-level")
    expect(level.locator("option")).to_have_text(["Conseiller", "Équipe"])
    expect(level).to_have_value("advisor")
    expect(page.get_by_test_id("compare")).to_be_hidden()  # the region is not theirs
    expect(row(page, "n1.demo")).to_be_visible()
    expect(page.get_by_test_id("kpi-rows")).not_to_contain_text("Hugo Morel")  # Grenoble's advisor
    expect(row(page, "n1.demo").get_by_test_id("cell-ack_s")).to_have_count(0)
    page.get_by_test_id("all-kpis").click()  # every KPI of the catalogue
    expect(row(page, "n1.demo").get_by_test_id("cell-ack_s")).to_be_visible()
    kpis = httpx.get(f"{stack.url}/api/kpis/definitions", headers=auth("lead.demo"), timeout=10).json()["kpis"]
    expect(page.get_by_test_id("kpi-table").locator("thead th")).to_have_count(2 + len(kpis))
    expect(page.get_by_test_id("connection")).to_have_text("En direct")
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_without_chart_js_the_page_shows_its_tables(browser: Browser, pages: list[Page], stack: RunningStack) -> None:
    page = browser.new_page(viewport=WIDE, locale="fr-FR")
    pages.append(page)
    page.route("**/vendor/chart.js/**", lambda route: route.fulfill(status=404, body="absent"))
    page.goto(f"{stack.url}/steering?advisor=sup.demo")
    expect(page.get_by_test_id("charts-missing")).to_be_visible()
    expect(row(page, "CCO-LYON")).to_be_visible()
    expect(page.get_by_test_id("connection")).to_have_text("En direct")
    r = httpx.get(f"{stack.url}/vendor/chart.js/chart.umd.js", timeout=10)  # the real one is served
    assert r.status_code == 200 and "Chart" in r.text[-400:]


def test_a_supervisor_follows_a_call_live_and_drills_down_to_its_timeline(browser: Browser, pages: list[Page],
                                                                          stack: RunningStack,
                                                                          history: History) -> None:
    # a real call to n1.demo: the bridge, the NLU's pop, an act done through the acts API
    call_id = inject_call(stack, CAMILLE, REASON, "n1.demo")
    traces(stack, call_id, "screen_pop.sent", at_least=1)
    on_call = auth("n1.demo") | {"X-Call-Id": call_id}
    for step, body in (("open", {"journey": "terminate"}), ("execute", {"params": {}})):
        r = httpx.post(f"{stack.url}/api/acts/check_commitment_end/{step}", headers=on_call, timeout=10,
                       json={"customer_id": 1} | body)
        assert r.status_code == 200, r.text
    traces(stack, call_id, "act.done", at_least=1)

    page = steering(browser, pages, stack)
    expect(page.get_by_test_id("scope")).to_have_text("Région Auvergne-Rhône-Alpes")
    expect(page.get_by_test_id("advisor")).to_contain_text("sup.demo · Superviseur")
    expect(page.get_by_test_id("connection")).to_have_text("En direct")
    lea = page.locator('[data-testid="board-tile"][data-advisor="n1.demo"]')
    live_call = lea.locator(f'[data-call-id="{call_id}"]')
    expect(live_call).to_be_visible()
    expect(lea.get_by_test_id("board-state")).to_have_text("En conversation")
    expect(live_call.get_by_test_id("board-clock")).to_have_text(re.compile(r"^\d+:\d\d$"))

    # two weeks of the region: the chart over the days, the centre beside the region, the docs' screenshot
    history.ready()
    show(page, "centre", paris_day(13), paris_day())
    expect(row(page, "CCO-CLERMONT").first).to_be_visible()
    page.get_by_test_id("compare-centre").select_option("CCO-LYON")
    expect(page.get_by_test_id("compare-head")).to_have_text(
        "Centre relation client Lyon parmi les 3 centres de la région Auvergne-Rhône-Alpes. Rang 1 : le meilleur.")
    acts_rank = page.locator('[data-testid="compare-kpi"][data-kpi="acts_done"] [data-testid="compare-rank"]')
    expect(acts_rank).to_have_text(re.compile(r"^[123](ᵉʳ|ᵉ) sur 3$"))
    expect(page.locator('[data-testid="board-tile"][data-advisor="steer.gre"] [data-testid="board-state"]')) \
        .to_have_text("En attente")
    expect(page.get_by_test_id("live-calls-today")).not_to_have_text("0")
    page.wait_for_timeout(300)  # the charts drawn
    assert contrast_failures(page) == []
    docs_screenshot(page, "steering-page.png", full_page=False)

    # the call ends: the board follows without a reload
    end_call(stack, call_id)
    expect(live_call).to_have_count(0, timeout=10000)

    # n1.demo's figures today, the calls behind « Actes », the call's timeline
    show(page, "advisor", paris_day(), paris_day())
    acts = row(page, "n1.demo").get_by_test_id("cell-acts_done")
    expect(acts).to_have_text(re.compile(r"^\d+$"))
    acts.click()
    expect(page.get_by_test_id("drill-title")).to_contain_text("Actes réalisés · Léa Dubois · ")
    mine = page.locator(f'[data-testid="drill-call"][data-call-id="{call_id}"]')
    expect(mine).to_be_visible()
    expect(mine).to_contain_text("Léa Dubois")
    expect(page.get_by_test_id("drill-what")).to_contain_text(re.compile(r"^\d+ appels? le "))
    mine.get_by_role("button").click()
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_be_visible()
    expect(page.get_by_test_id("timeline-call")).to_contain_text(call_id)
    labels = page.get_by_test_id("timeline-events").get_by_test_id("event-label")
    expect(labels.first).to_have_text("Appel présenté")
    expect(labels.filter(has_text="Décroché")).to_have_count(1)
    done = page.locator('[data-testid="timeline-event"][data-name="act.done"]')
    expect(done.get_by_test_id("event-label")).to_have_text("Acte réalisé")
    expect(done.get_by_test_id("event-detail")).to_contain_text(ACT_LABEL)
    offered = page.locator('[data-testid="timeline-event"][data-name="call.offered"]')
    expect(offered.get_by_test_id("event-detail")).to_contain_text(f"« {REASON} »")
    expect(page.locator('[data-testid="timeline-event"][data-name="call.ended"]')).to_have_count(1)

    # the same calls as CSV
    with page.expect_download() as download:
        page.get_by_test_id("drill-csv").click()
    assert re.fullmatch(r"appels-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.csv", download.value.suggested_filename)
    lines = open(download.value.path(), encoding="utf-8").read().splitlines()  # noqa: SIM115
    assert lines[0].startswith("call_id;started_at;advisor")
    assert any(line.startswith(f"{call_id};") and ";n1.demo;" in line for line in lines)
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_names_and_trace_data_are_shown_as_text(browser: Browser, pages: list[Page], stack: RunningStack,
                                                history: History) -> None:
    history.ready()
    login = "steer.cler2"
    with transaction(stack.sessions) as s:
        s.execute(update(Advisor).where(Advisor.login == login).values(display_name=f"Romain {XSS}"))
        call_id = s.scalar(select(CallFact.call_id).where(CallFact.advisor == login, CallFact.state == "ended")
                           .order_by(CallFact.started_at.desc()).limit(1))
        at = s.scalar(select(func.max(TraceEvent.occurred_at)).where(TraceEvent.call_id == call_id))
        s.execute(insert(TraceEvent), [{"call_id": call_id, "occurred_at": at, "name": "act.refused",
                                        "actor": login, "customer_id": None,
                                        "data": {"act": "give_rio", "reason": f"refusé {XSS}"}}])
    day = steering_history.paris(at).strftime("%d/%m/%Y")
    try:
        page = steering(browser, pages, stack)
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        expect(page.locator(f'[data-testid="board-tile"][data-advisor="{login}"]')).to_contain_text(f"Romain {XSS}")
        show(page, "advisor", day, day)
        expect(row(page, login).locator("th")).to_contain_text(f"Romain {XSS}")
        row(page, login).get_by_test_id("cell-calls").click()
        call = page.locator(f'[data-testid="drill-call"][data-call-id="{call_id}"]')
        expect(call).to_contain_text(f"Romain {XSS}")
        call.get_by_role("button").click()
        expect(page.get_by_test_id("timeline-call")).to_contain_text(f"Romain {XSS}")
        refused = page.locator('[data-testid="timeline-event"][data-name="act.refused"]')
        expect(refused.get_by_test_id("event-detail")).to_have_text(f"Donner le code RIO : refusé {XSS}")
        expect(refused.locator("pre")).to_contain_text(XSS)
        expect(page.locator("main img")).to_have_count(0)
        assert dialogs == [] and page.js_errors == []  # type: ignore[attr-defined]
    finally:
        with transaction(stack.sessions) as s:
            s.execute(update(Advisor).where(Advisor.login == login).values(display_name="Romain Chevalier"))
