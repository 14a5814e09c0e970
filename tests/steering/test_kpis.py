"""KPIs on hand-built traces, the expected figures computed by hand (in the comments), on SQLite and PostgreSQL,
through the routes (the app in-process, its projector following the traces)."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.models import TraceEvent
from crm_core.models.steering import CallFact
from steering.projector import Projector
from tests.factories import app_without_rasa, auth

DAY1 = datetime(2026, 11, 30, tzinfo=UTC)  # a Monday; Paris is UTC+1
DAY2 = datetime(2026, 12, 2, tzinfo=UTC)
BILLING = ["explain_invoice", "change_payment_method", "send_invoice_duplicate", "grant_payment_extension",
           "grant_gesture"]


def at(day: datetime, hhmmss: str) -> datetime:
    h, m, s = (int(x) for x in hhmmss.split(":"))
    return day + timedelta(hours=h, minutes=m, seconds=s)


def ev(call: str, when: datetime, name: str, actor: str = "copilot", customer: int | None = None,
       **data: Any) -> dict[str, Any]:
    return {"call_id": call, "occurred_at": when, "name": name, "actor": actor, "customer_id": customer, "data": data}


def history() -> list[dict[str, Any]]:
    a, b, c, d, e = "call-A", "call-B", "call-C", "call-D", "call-E"
    return [
        # A — n1.demo, customer 1, billing: talk 300 s, hold 60 s, wrap-up 60 s → handling 420 s; two acts done
        # (explain_invoice 30 s, grant_gesture 60 s for 12,50 €), both suggested
        ev(a, at(DAY1, "09:00:00"), "call.offered", agent="n1.demo"),
        ev(a, at(DAY1, "09:00:10"), "call.answered", agent="n1.demo"),
        ev(a, at(DAY1, "09:00:11"), "nlu.predicted", customer=1, journey="billing_payment", confidence=0.9),
        ev(a, at(DAY1, "09:00:12"), "act.suggested", customer=1, journey="billing_payment", acts=BILLING),
        ev(a, at(DAY1, "09:01:00"), "act.opened", "n1.demo", 1, act="explain_invoice", journey="billing_payment"),
        ev(a, at(DAY1, "09:01:30"), "act.done", "n1.demo", 1, act="explain_invoice", journey="billing_payment",
           result={}),
        ev(a, at(DAY1, "09:02:00"), "call.held", agent="n1.demo"),
        ev(a, at(DAY1, "09:03:00"), "call.resumed", agent="n1.demo"),
        ev(a, at(DAY1, "09:04:00"), "act.opened", "n1.demo", 1, act="grant_gesture", journey="billing_payment"),
        ev(a, at(DAY1, "09:05:00"), "act.done", "n1.demo", 1, act="grant_gesture", journey="billing_payment",
           result={"amount": "12.50"}),
        ev(a, at(DAY1, "09:06:10"), "call.ended", agent="n1.demo",
           durations={"ring_s": 10.0, "talk_s": 300.0, "hold_s": 60.0}),
        ev(a, at(DAY1, "09:07:10"), "call.wrapup", agent="n1.demo", next_call=b, wrapup_s=60.0),
        # B — n1.demo, customer 2: the NLU said breakdown, the advisor corrected to usage_help; the script was
        # opened then dropped; warm transfer acknowledged after 20 s, closed after 600 s; talk 300 s, no wrap-up
        ev(b, at(DAY1, "09:07:10"), "call.offered", agent="n1.demo"),
        ev(b, at(DAY1, "09:07:20"), "call.answered", agent="n1.demo"),
        ev(b, at(DAY1, "09:07:21"), "nlu.predicted", customer=2, journey="breakdown", confidence=0.6),
        ev(b, at(DAY1, "09:07:22"), "act.suggested", customer=2, journey="breakdown", acts=["diagnose_line"]),
        ev(b, at(DAY1, "09:07:40"), "nlu.corrected", "n1.demo", 2, journey="usage_help", predicted="breakdown"),
        ev(b, at(DAY1, "09:07:41"), "act.suggested", customer=2, journey="usage_help",
           acts=["run_script", "diagnose_line", "open_ticket"]),
        ev(b, at(DAY1, "09:08:00"), "act.opened", "n1.demo", 2, act="run_script", journey="usage_help"),
        ev(b, at(DAY1, "09:08:30"), "act.cancelled", "n1.demo", 2, act="run_script", stage="form",
           journey="usage_help"),
        ev(b, at(DAY1, "09:10:00"), "transfer.requested", "n1.demo", 2, transfer=1, team="n2", mode="warm"),
        ev(b, at(DAY1, "09:10:20"), "transfer.acknowledged", "n2.demo", 2, transfer=1, mode="warm", to_ack_s=20.0),
        ev(b, at(DAY1, "09:12:20"), "call.ended", agent="n1.demo",
           durations={"ring_s": 10.0, "talk_s": 300.0, "hold_s": 0.0}),
        ev(b, at(DAY1, "09:20:00"), "transfer.closed", "n2.demo", 2, transfer=1, mode="warm", to_resolve_s=600.0),
        # D — n1.grenoble: never answered (abandoned)
        ev(d, at(DAY1, "09:30:00"), "call.offered", agent="n1.grenoble"),
        ev(d, at(DAY1, "09:31:00"), "call.ended", agent="n1.grenoble", durations={"ring_s": None}),
        # E — n1.grenoble, unknown caller, manage_account: talk 100 s, one act done without a form (untimed)
        ev(e, at(DAY1, "10:00:00"), "call.offered", agent="n1.grenoble"),
        ev(e, at(DAY1, "10:00:05"), "call.answered", agent="n1.grenoble"),
        ev(e, at(DAY1, "10:00:06"), "nlu.predicted", journey="manage_account", confidence=0.8),
        ev(e, at(DAY1, "10:00:07"), "act.suggested", journey="manage_account", acts=["update_contact_details"]),
        ev(e, at(DAY1, "10:01:00"), "act.done", "n1.grenoble", act="give_rio", journey="manage_account",
           result={}),
        ev(e, at(DAY1, "10:01:45"), "call.ended", agent="n1.grenoble",
           durations={"ring_s": 5.0, "talk_s": 100.0, "hold_s": 0.0}),
        # C — n1.demo two days later (Paris: 2 Dec), customer 1 again about billing: a repeat of A (A is
        # "recontacted"); two offers proposed (45 s), one option added (cross-sell, accepted)
        ev(c, at(DAY2, "10:00:00"), "call.offered", agent="n1.demo"),
        ev(c, at(DAY2, "10:00:10"), "call.answered", agent="n1.demo"),
        ev(c, at(DAY2, "10:00:11"), "nlu.predicted", customer=1, journey="billing_payment", confidence=0.9),
        ev(c, at(DAY2, "10:00:12"), "act.suggested", customer=1, journey="billing_payment", acts=BILLING),
        ev(c, at(DAY2, "10:01:00"), "act.opened", "n1.demo", 1, act="recommend_offers", journey="billing_payment"),
        ev(c, at(DAY2, "10:01:45"), "act.done", "n1.demo", 1, act="recommend_offers", journey="billing_payment",
           result={"offered": ["FIBRE_1G", "OPT_SECU"]}),
        ev(c, at(DAY2, "10:02:00"), "act.done", "n1.demo", 1, act="add_option", journey="billing_payment",
           result={}),
        ev(c, at(DAY2, "10:03:30"), "call.ended", agent="n1.demo",
           durations={"ring_s": 10.0, "talk_s": 200.0, "hold_s": 0.0}),
    ]


@pytest.fixture
def client(sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    with sessions() as session, session.begin():
        session.execute(insert(TraceEvent), history())
    with TestClient(app_without_rasa(sessions.kw["bind"], steering_poll_s=3600.0)) as c:
        c.app.state.projector.catch_up()  # the app's own projector (its loop waits an hour between steps)
        yield c


def get(client: TestClient, url: str, login: str = "sup.demo", status: int = 200) -> Any:
    response = client.get(url, headers=auth(login))
    assert response.status_code == status, response.text
    return response.json()


def row_of(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return next(r for r in rows if r["key"] == key)


def test_advisor_day(client: TestClient) -> None:
    rows = get(client, "/api/kpis?level=advisor&period=day&from=2026-11-30&to=2026-11-30")["rows"]
    lea = row_of(rows, "n1.demo")
    assert lea["label"] == "Léa Dubois" and lea["period_start"] == "2026-11-30"
    assert (lea["calls"], lea["answered"], lea["abandoned"]) == (2, 2, 0)
    assert lea["dmt_s"] == 360.0  # (420 + 300) / 2
    assert (lea["talk_s"], lea["hold_s"], lea["wrapup_s"]) == (300.0, 30.0, 60.0)
    assert (lea["transfers"], lea["transfer_rate"], lea["transfer_rate_warm"], lea["transfer_rate_cold"]) == (
        1, 0.5, 0.5, 0.0)
    assert (lea["ack_s"], lea["resolve_s"]) == (20.0, 600.0)
    assert (lea["acts_done"], lea["acts_per_call"], lea["act_s"], lea["acts_dropped"]) == (2, 1.0, 45.0, 1)
    assert lea["suggestion_acceptance"] == 0.5  # A took a suggested act, B none
    assert lea["suggested_acts_done_rate"] == 1.0
    assert lea["nlu_correction_rate"] == 0.5
    assert lea["repeat_contact_rate"] == 0.5  # A was followed by C within 7 days; B was not
    assert (lea["gestures"], lea["gesture_amount"], lea["offers_proposed"]) == (1, 12.5, 0)
    hugo = row_of(rows, "n1.grenoble")
    assert (hugo["calls"], hugo["answered"], hugo["abandoned"], hugo["dmt_s"]) == (2, 1, 1, 100.0)
    assert hugo["act_s"] is None and hugo["acts_done"] == 1  # done without a form: not timed
    assert hugo["repeat_contact_rate"] is None  # no identified caller: no ratio, not 0


def test_second_day_week_and_hour(client: TestClient) -> None:
    day2 = row_of(get(client, "/api/kpis?level=advisor&period=day&from=2026-12-02&sums=true")["rows"], "n1.demo")
    assert (day2["calls"], day2["offers_proposed"], day2["offers_accepted"], day2["cross_sell"]) == (1, 2, 1, 1)
    # one call with offers proposed, and an option taken after them: converted (1 of 1)
    assert day2["offer_acceptance_rate"] == 1.0 and day2["act_s"] == 45.0 and day2["acts_done"] == 2
    assert day2["sums"]["proposals"] == 1 and day2["sums"]["conversions"] == 1
    assert day2["repeat_contact_rate"] == 0.0
    week = row_of(get(client, "/api/kpis?level=advisor&period=week&from=2026-11-30&to=2026-12-06")["rows"],
                  "n1.demo")
    assert week["period_start"] == "2026-11-30" and week["calls"] == 3
    assert week["dmt_s"] == round((420 + 300 + 200) / 3, 1)
    hours = get(client, "/api/kpis?level=centre&period=hour&from=2026-11-30")["rows"]
    lyon = [r for r in hours if r["key"] == "CCO-LYON"]
    assert [(r["period_start"], r["calls"]) for r in lyon] == [("2026-11-30T10:00:00+01:00", 2)]
    grenoble = [(r["period_start"], r["calls"]) for r in hours if r["key"] == "CCO-GRENOBLE"]
    assert grenoble == [("2026-11-30T10:00:00+01:00", 1), ("2026-11-30T11:00:00+01:00", 1)]


def test_levels_and_zero_rows(client: TestClient) -> None:
    body = get(client, "/api/kpis?level=centre&period=day&from=2026-11-30")
    centres = {r["key"]: r["calls"] for r in body["rows"]}
    assert centres == {"CCO-LYON": 2, "CCO-GRENOBLE": 2, "CCO-CLERMONT": 0}  # the region's, Clermont at zero
    assert body["totals"]["calls"] == 4 and body["scope"] == {
        "kind": "region", "code": "ARA", "label": "Auvergne-Rhône-Alpes", "centre": "CCO-LYON", "levels": [
            "advisor", "team", "centre", "region"], "level_labels": {
            "advisor": "conseiller", "team": "équipe", "centre": "centre", "region": "région"}}
    teams = {r["key"]: r["calls"] for r in get(client, "/api/kpis?level=team&from=2026-11-30")["rows"]}
    assert teams == {"LYON-A": 2, "LYON-B": 0, "GRENOBLE-A": 2, "CLERMONT-A": 0}
    region = get(client, "/api/kpis?level=region&from=2026-11-30&to=2026-12-02")["rows"]
    assert [(r["key"], r["period_start"], r["calls"]) for r in region] == [
        ("ARA", "2026-11-30", 4), ("ARA", "2026-12-02", 1)]
    empty = get(client, "/api/kpis?level=centre&from=2026-06-01&to=2026-06-30")
    assert empty["totals"]["calls"] == 0 and empty["totals"]["dmt_s"] is None
    assert {r["calls"] for r in empty["rows"]} == {0}


def test_compare_centre_with_region(client: TestClient) -> None:
    body = get(client, "/api/kpis/compare?centre=CCO-LYON&from=2026-11-30")
    kpi = {k["name"]: k for k in body["kpis"]}
    # DMT Lyon 360, Grenoble 100, Clermont none → median 230, Lyon 2nd of 2 (lower is better), gap +130
    assert (kpi["dmt_s"]["value"], kpi["dmt_s"]["median"], kpi["dmt_s"]["gap"]) == (360.0, 230.0, 130.0)
    assert (kpi["dmt_s"]["rank"], kpi["dmt_s"]["of"]) == (2, 2)
    assert (kpi["acts_done"]["rank"], kpi["acts_done"]["value"], kpi["acts_done"]["median"]) == (1, 2, 1.0)
    assert {c["key"] for c in body["centres"]} == {"CCO-LYON", "CCO-GRENOBLE", "CCO-CLERMONT"}
    assert body["region"] == {"code": "ARA", "label": "Auvergne-Rhône-Alpes"}


def test_acts_per_journey(client: TestClient) -> None:
    acts = get(client, "/api/kpis/acts?level=advisor&key=n1.demo&from=2026-11-30&to=2026-12-02")["acts"]
    found = {(a["journey"], a["act"]): (a["done"], a["cancelled"], a["act_s"]) for a in acts}
    assert found == {("billing_payment", "explain_invoice"): (1, 0, 30.0),
                     ("billing_payment", "grant_gesture"): (1, 0, 60.0),
                     ("billing_payment", "recommend_offers"): (1, 0, 45.0),
                     ("billing_payment", "add_option"): (1, 0, None),
                     ("usage_help", "run_script"): (0, 1, None)}


def test_drill_down_and_timeline(client: TestClient) -> None:
    found = get(client, "/api/kpis/calls?level=advisor&key=n1.demo&period=day&period_start=2026-11-30"
                        "&kpi=transfer_rate&from=2026-11-30")
    assert found["total"] == 1 and [c["call_id"] for c in found["calls"]] == ["call-B"]
    call = found["calls"][0]
    assert (call["transfer"], call["corrected"], call["journey"], call["handling_s"]) == (
        "warm", True, "usage_help", 300.0)
    hour = get(client, "/api/kpis/calls?level=centre&key=CCO-GRENOBLE&period=hour"
                       "&period_start=2026-11-30T11:00:00%2B01:00&from=2026-11-30")
    assert [c["call_id"] for c in hour["calls"]] == ["call-E"]
    timeline = get(client, "/api/kpis/calls/call-B/timeline")
    names = [e["name"] for e in timeline["events"]]
    assert names[:2] == ["call.offered", "call.answered"] and "transfer.acknowledged" in names
    assert timeline["events"][1]["offset_s"] == 10.0


def test_csv_one_row_per_call(client: TestClient) -> None:
    response = client.get("/api/kpis/calls.csv?level=region&key=ARA&from=2026-11-30&to=2026-12-02",
                          headers=auth("sup.demo"))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    lines = response.text.strip().splitlines()
    assert lines[0].startswith("call_id;started_at;advisor") and len(lines) == 1 + 5
    b = next(line for line in lines if line.startswith("call-B;"))
    assert ";warm;" in b and ";oui;" in b and "300,0" in b


def test_repeat_flags_follow_late_events(sessions: sessionmaker[Session]) -> None:
    """C's events read before A's (the projection's order does not matter): A is still "recontacted"."""
    events = history()
    with sessions() as session, session.begin():
        session.execute(insert(TraceEvent), [e for e in events if e["call_id"] == "call-C"])
    projector = Projector(sessions)
    projector.catch_up()
    with sessions() as session, session.begin():
        session.execute(insert(TraceEvent), [e for e in events if e["call_id"] != "call-C"])
    projector.catch_up()
    with sessions() as session:
        flags = {f.call_id: (f.repeats, f.recontacted) for f in session.scalars(select(CallFact))}
    assert flags["call-A"] == (0, 1) and flags["call-C"] == (1, 0) and flags["call-B"] == (0, 0)


def test_two_projectors_at_once_give_the_same_facts(sessions: sessionmaker[Session]) -> None:
    """Two processes projecting together (the app and `copilot steering rebuild`, or two replicas) collide at
    worst; a step is then done again and the facts come out right."""
    from concurrent.futures import ThreadPoolExecutor

    from steering.projector import _step_retried

    with sessions() as session, session.begin():
        session.execute(insert(TraceEvent), history())
    projectors = [Projector(sessions, batch=7), Projector(sessions, batch=7)]

    def follow(projector: Projector) -> None:
        while _step_retried(projector).events:
            pass

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(follow, projectors))
    with sessions() as session:
        facts = {f.call_id: (f.advisor, f.handling_s, f.recontacted) for f in session.scalars(select(CallFact))}
    assert facts == {"call-A": ("n1.demo", 420.0, 1), "call-B": ("n1.demo", 300.0, 0),
                     "call-C": ("n1.demo", 200.0, 0), "call-D": ("n1.grenoble", 0.0, 0),
                     "call-E": ("n1.grenoble", 100.0, 0)}
