"""steering.activity: a realistic history of calls in the traces (``copilot seed --activity DAYS``, the benchmark)."""

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from crm_core.core.db import transaction
from crm_core.models import Advisor, Centre, Region, Team, TraceEvent
from crm_core.services import trace_names
from steering import activity
from steering.activity import calls, ensure_activity_advisors, seed_activity, synthetic_region, write

PARIS = ZoneInfo("Europe/Paris")
ADVISORS = [f"cc.test{i:02d}" for i in range(10)]
MONDAY = date(2026, 11, 2)
CALL_EVENTS = {"call.offered", "call.answered", "call.held", "call.resumed", "call.ended", "call.wrapup"}
AFTER_THE_CALL = {"call.wrapup", "transfer.picked_up", "transfer.closed"}  # may come once the call has ended

Call = list[dict[str, Any]]


@pytest.fixture(scope="module")
def history() -> list[Call]:
    """Three working days of ten N1 advisors."""
    return list(calls(ADVISORS, MONDAY, 3, customers=range(1, 20_001)))


def _first(call: Call, name: str) -> dict[str, Any] | None:
    return next((e for e in call if e["name"] == name), None)


def _named(call: Call, name: str) -> dict[str, Any]:
    found = _first(call, name)
    assert found is not None, f"{call[0]['call_id']} has no {name}"
    return found


def _journey(call: Call) -> str:
    corrected = _first(call, "nlu.corrected")
    return (corrected or _named(call, "nlu.predicted"))["data"]["journey"]


def _customer(call: Call) -> int | None:
    return next((e["customer_id"] for e in call if e["customer_id"] is not None), None)


def _s(delta: timedelta) -> float:
    return round(delta.total_seconds(), 3)


def test_every_event_is_registered_and_a_call_runs_from_offered_to_ended(history: list[Call]) -> None:
    assert len(history) > 500
    for call in history:
        for e in call:
            trace_names.require(e["name"])
            assert set(e) == {"occurred_at", "name", "actor", "call_id", "customer_id", "data"}
            assert e["occurred_at"].tzinfo is not None
        assert {e["call_id"] for e in call} == {call[0]["call_id"]}
        assert re.fullmatch(r"act-[0-9a-f]{16}", call[0]["call_id"])
        times = [e["occurred_at"] for e in call]
        assert times == sorted(times)
        assert call[0]["name"] == "call.offered" and call[0]["data"]["has_reason"]
        assert [e["name"] for e in call].count("call.ended") == 1
        ended = _named(call, "call.ended")["occurred_at"]
        assert all(e["occurred_at"] <= ended for e in call if e["name"] not in AFTER_THE_CALL)
        # the call's own events carry no customer (as ``_receive`` records them); the others the caller, if known
        assert all(e["customer_id"] is None for e in call if e["name"] in CALL_EVENTS)
        assert len({e["customer_id"] for e in call if e["name"] not in CALL_EVENTS}) == 1
        agent = call[0]["data"]["agent"]
        assert {e["data"]["agent"] for e in call if e["name"] in CALL_EVENTS} == {agent}
        assert {e["actor"] for e in call} <= {"copilot", agent, "n2.demo", "collection.demo", "sup.demo"}
    assert len({c[0]["call_id"] for c in history}) == len(history)


def test_the_durations_of_the_end_match_the_timestamps(history: list[Call]) -> None:
    held = 0
    for call in history:
        durations = _named(call, "call.ended")["data"]["durations"]
        answered = _first(call, "call.answered")
        if answered is None:
            continue
        offered, ended = call[0]["occurred_at"], _named(call, "call.ended")["occurred_at"]
        hold = timedelta(0)
        if _first(call, "call.held"):
            held += 1
            hold = _named(call, "call.resumed")["occurred_at"] - _named(call, "call.held")["occurred_at"]
            assert timedelta(seconds=20) <= hold <= timedelta(seconds=120)
        assert durations == {"ring_s": _s(answered["occurred_at"] - offered),
                             "talk_s": _s(ended - answered["occurred_at"] - hold), "hold_s": _s(hold)}
        assert 3 <= durations["ring_s"] <= 25
        assert durations["talk_s"] >= 120
    assert 0.08 < held / len(history) < 0.25


def test_a_wrap_up_runs_to_the_advisors_next_call_and_the_days_last_call_has_none(history: list[Call]) -> None:
    by_id = {c[0]["call_id"]: c for c in history}
    days: dict[tuple[str, date], list[Call]] = defaultdict(list)
    for call in history:
        days[(call[0]["data"]["agent"], call[0]["occurred_at"].astimezone(PARIS).date())].append(call)
    pauses = 0
    for (agent, _day), day_calls in days.items():
        day_calls.sort(key=lambda c: c[0]["occurred_at"])
        assert _first(day_calls[-1], "call.wrapup") is None
        for call, following in zip(day_calls, day_calls[1:], strict=False):
            wrapup = _named(call, "call.wrapup")
            assert wrapup["data"]["next_call"] == following[0]["call_id"]
            assert wrapup["data"]["agent"] == agent and wrapup["actor"] == "copilot"
            assert wrapup["occurred_at"] == following[0]["occurred_at"] == by_id[following[0]["call_id"]][0][
                "occurred_at"]
            gap = _s(following[0]["occurred_at"] - _named(call, "call.ended")["occurred_at"])
            assert gap > 0
            if gap > 1800:
                pauses += 1
                assert wrapup["data"]["wrapup_s"] is None
            else:
                assert wrapup["data"]["wrapup_s"] == gap
    assert pauses >= len(days)  # lunch, at least


def test_an_abandoned_call_has_no_work_of_the_advisor(history: list[Call]) -> None:
    abandoned = [c for c in history if _first(c, "call.answered") is None]
    assert 0.01 < len(abandoned) / len(history) < 0.06
    for call in abandoned:
        agent = call[0]["data"]["agent"]
        assert {e["actor"] for e in call} == {"copilot"} != {agent}
        assert {e["name"] for e in call} <= {"call.offered", "customer.lookup", "nlu.predicted", "call.ended",
                                             "call.wrapup"}
        ended = _named(call, "call.ended")
        assert ended["data"]["durations"] == {"ring_s": None, "talk_s": None, "hold_s": 0.0}
        assert timedelta(seconds=10) <= ended["occurred_at"] - call[0]["occurred_at"] <= timedelta(seconds=90)


def test_the_acts_follow_the_journey_and_the_pop(history: list[Call]) -> None:
    from crm_core.acts.catalogue import ACTS, JOURNEY_ACTS

    outcomes: Counter[str] = Counter()
    outside = done = 0
    for call in history:
        agent = call[0]["data"]["agent"]
        suggested = [e for e in call if e["name"] == "act.suggested"]
        opened = [e for e in call if e["name"] == "act.opened"]
        if _first(call, "call.answered") is None:
            continue
        journey = _journey(call)
        assert suggested[-1]["data"]["journey"] == journey
        assert suggested[-1]["data"]["acts"] == list(JOURNEY_ACTS[journey])
        assert suggested[-1]["data"]["corrected"] == (_first(call, "nlu.corrected") is not None)
        for act in opened:
            code = act["data"]["act"]
            assert act["actor"] == agent and act["data"]["journey"] == journey
            ends = [e for e in call if e["name"] in ("act.done", "act.cancelled", "act.refused")
                    and e["data"]["act"] == code and e["occurred_at"] >= act["occurred_at"]]
            assert ends, f"act {code} opened and never ended"
            outcomes[ends[0]["name"]] += 1
            previews = [e for e in call if e["name"] == "act.previewed" and e["data"]["act"] == code]
            assert all(act["occurred_at"] <= p["occurred_at"] <= ends[0]["occurred_at"] for p in previews)
            if not ACTS[code].writes or ends[0]["data"].get("stage") == "form":
                assert not previews, f"{code}: previewed without a preview step"
            elif ends[0]["name"] == "act.done":
                assert 1 <= len(previews) <= 2
            outside += code not in JOURNEY_ACTS[journey]
        for e in (e for e in call if e["name"] == "act.done"):
            done += 1
            spec = ACTS[e["data"]["act"]]
            assert e["data"]["label"] == spec.label and e["data"]["writes"] == spec.writes
            if spec.code == "recommend_offers":
                assert 1 <= len(e["data"]["result"]["offered"]) <= 3
            elif spec.code == "grant_gesture":
                amount = e["data"]["result"]["amount"]
                assert re.fullmatch(r"\d+\.\d\d", amount) and 5 <= float(amount) <= 30  # the N1 ceiling
            else:
                assert e["data"]["result"] == {}
    total = sum(outcomes.values())
    assert 1.0 < total / len(history) < 2.2
    assert 0.85 < outcomes["act.done"] / total < 0.95
    assert 0.03 < outcomes["act.cancelled"] / total < 0.12
    assert 0.005 < outcomes["act.refused"] / total < 0.05
    assert 0.03 < outside / total < 0.2


def test_repeats_transfers_and_corrections_come_in_realistic_shares(history: list[Call]) -> None:
    last: dict[tuple[int, str], datetime] = {}
    repeats = identified = 0
    for call in sorted(history, key=lambda c: c[0]["occurred_at"]):
        customer = _customer(call)
        if customer is None:
            continue
        identified += 1
        key, at = (customer, _journey(call)), call[0]["occurred_at"]
        repeats += key in last and at - last[key] <= timedelta(days=7)
        last[key] = at
    transferred = [c for c in history if _first(c, "transfer.requested")]
    corrected = [c for c in history if _first(c, "nlu.corrected")]
    assert 0.06 < repeats / identified < 0.18
    assert 0.04 < len(transferred) / len(history) < 0.13
    assert 0.04 < len(corrected) / len(history) < 0.13
    assert 18 < sum(map(len, history)) / len(history) < 26
    for call in corrected:
        correction = _named(call, "nlu.corrected")
        assert correction["data"]["predicted"] == _named(call, "nlu.predicted")["data"]["journey"]
        assert correction["data"]["journey"] != correction["data"]["predicted"]


def test_a_transfer_goes_through_its_steps_with_consistent_durations(history: list[Call]) -> None:
    modes: Counter[str] = Counter()
    for call in (c for c in history if _first(c, "transfer.requested")):
        requested = _named(call, "transfer.requested")
        data = requested["data"]
        assert requested["actor"] == call[0]["data"]["agent"] and data["journey"] == _journey(call)
        assert data["call_age_s"] == _s(requested["occurred_at"] - call[0]["occurred_at"])
        steps = [e for e in call if e["name"].startswith("transfer.")]
        assert {e["data"]["transfer"] for e in steps} == {data["transfer"]}
        modes[data["mode"]] += 1
        if data["mode"] == "warm":
            taken = _first(call, "transfer.acknowledged")
            if taken is None:
                declined = _named(call, "transfer.declined")
                assert 5 <= declined["data"]["to_decline_s"] <= 90
                assert _first(call, "transfer.closed") is None
                continue
            assert taken["data"]["to_ack_s"] == _s(taken["occurred_at"] - requested["occurred_at"])
            assert taken["occurred_at"] < _named(call, "call.ended")["occurred_at"]
        else:
            taken = _named(call, "transfer.picked_up")
            assert 300 <= taken["data"]["to_pickup_s"] <= 7200
        closed = _named(call, "transfer.closed")
        assert closed["actor"] == taken["actor"] == closed["data"]["by"] != requested["actor"]
        assert closed["data"]["to_resolve_s"] == _s(closed["occurred_at"] - requested["occurred_at"])
        assert closed["data"]["handling_s"] == _s(closed["occurred_at"] - taken["occurred_at"])
    assert modes["warm"] and modes["cold"]


def test_the_same_seed_gives_the_same_history_and_another_seed_another() -> None:
    def run(seed: int) -> list[Call]:
        return list(calls(ADVISORS[:3], MONDAY, 2, customers=range(1, 5000), seed=seed))

    first = run(14)
    assert first == run(14)
    assert [c[0]["call_id"] for c in first] != [c[0]["call_id"] for c in run(15)]


@pytest.mark.parametrize("monday", [date(2026, 10, 19), date(2026, 3, 23)], ids=["october", "march"])
def test_shifts_are_in_paris_opening_hours_across_a_clock_change(monday: date) -> None:
    """Europe/Paris leaves summer time on Sunday 25 October 2026 and enters it on Sunday 29 March 2026."""
    advisors = [f"cc.shift{i:02d}" for i in range(30)]
    history = list(calls(advisors, monday, 14, customers=range(1, 50_000)))
    worked: dict[str, set[date]] = defaultdict(set)
    by_day: dict[tuple[str, date], list[Call]] = defaultdict(list)
    for call in history:
        offered = call[0]["occurred_at"].astimezone(PARIS)
        assert time(8, 30) <= offered.time() < time(19, 30), offered
        assert offered.weekday() != 6
        assert _named(call, "call.ended")["occurred_at"].astimezone(PARIS).time() < time(20, 0)
        by_day[(call[0]["data"]["agent"], offered.date())].append(call)
        worked[call[0]["data"]["agent"]].add(offered.date())
    days = {day for _agent, day in by_day}
    assert len(days) == 12  # Monday to Saturday, two weeks
    for day in days:  # someone starts at opening time: a wrong UTC offset would move every shift by an hour
        first = min(c[0]["occurred_at"] for (_a, d), cs in by_day.items() if d == day for c in cs)
        assert first.astimezone(PARIS).time() < time(9, 30), (day, first)
    for agent, dates in worked.items():
        for week in (monday, monday + timedelta(days=7)):
            assert len({d for d in dates if week <= d < week + timedelta(days=7)}) <= 5, agent
    for day_calls in by_day.values():
        day_calls.sort(key=lambda c: c[0]["occurred_at"])
        start, end = day_calls[0][0]["occurred_at"], _named(day_calls[-1], "call.ended")["occurred_at"]
        assert timedelta(hours=6) < end - start < timedelta(hours=9)
        gaps = [b[0]["occurred_at"] - _named(a, "call.ended")["occurred_at"]
                for a, b in zip(day_calls, day_calls[1:], strict=False)]
        assert max(gaps) >= timedelta(minutes=45)  # lunch
        work = sum((_named(c, "call.ended")["occurred_at"] - c[0]["occurred_at"] for c in day_calls), timedelta())
        assert timedelta(hours=5) < work < timedelta(hours=7, minutes=30)


def _advisors(session: Session) -> dict[str, tuple[str, str | None, str | None]]:
    rows = session.execute(select(Advisor.login, Advisor.profile_code, Team.code, Centre.code)
                           .outerjoin(Team, Advisor.team_id == Team.id)
                           .outerjoin(Centre, Advisor.centre_id == Centre.id))
    return {login: (profile, team, centre) for login, profile, team, centre in rows}


def test_the_activity_advisors_are_created_once_in_the_demos_teams(sqlite_sessions: sessionmaker[Session]) -> None:
    with transaction(sqlite_sessions) as s:
        before = _advisors(s)
        logins = ensure_activity_advisors(s)
    with transaction(sqlite_sessions) as s:
        assert ensure_activity_advisors(s) == logins
        after = _advisors(s)
    assert len(logins) == len(set(logins)) == 30
    assert set(after) == set(before) | set(logins) and not set(before) & set(logins)
    assert after["cc.lyon01"] == ("n1_customer_contact", "LYON-A", "CCO-LYON")
    assert after["cc.lyon07"] == ("n1_customer_contact", "LYON-B", "CCO-LYON")
    assert after["cc.clermont06"] == ("n1_customer_contact", "CLERMONT-A", "CCO-CLERMONT")
    assert after["cc.rennes03"] == ("n2_technical", "RENNES-N2", "AVSC-RENNES")
    assert after["cc.paris01"] == ("collection", "PARIS-REC", "CONV-PARIS")
    assert Counter(team for _p, team, _c in (after[x] for x in logins)) == {
        "LYON-A": 6, "LYON-B": 6, "GRENOBLE-A": 6, "CLERMONT-A": 6, "RENNES-N2": 3, "PARIS-REC": 3}
    with sqlite_sessions() as s:
        names = list(s.scalars(select(Advisor.display_name).where(Advisor.login.in_(logins))))
    assert len(set(names)) == 30


def test_the_synthetic_region_is_created_once(sqlite_sessions: sessionmaker[Session]) -> None:
    with transaction(sqlite_sessions) as s:
        logins = synthetic_region(s, advisors=50, centres=2, region="LOAD")
    with transaction(sqlite_sessions) as s:
        assert synthetic_region(s, advisors=50, centres=2, region="LOAD") == logins
        assert s.scalar(select(Region.name).where(Region.code == "LOAD")) == "Région de charge"
        teams = Counter(team for login, (_p, team, _c) in _advisors(s).items() if login in logins)
        centres = Counter(centre for login, (_p, _t, centre) in _advisors(s).items() if login in logins)
        assert s.scalar(select(func.count()).select_from(Team).where(Team.code.like("LOAD-%"))) == 4
    assert len(logins) == len(set(logins)) == 50
    assert logins[0] == "load.c1.0001" and logins[-1] == "load.c2.0025"
    assert centres == {"LOAD-C1": 25, "LOAD-C2": 25}
    assert set(teams) == {"LOAD-C1-T01", "LOAD-C1-T02", "LOAD-C2-T01", "LOAD-C2-T02"}
    assert all(12 <= n <= 13 for n in teams.values())


def test_the_events_are_written_as_the_orm_writes_them(engine: Engine) -> None:
    written = list(calls(ADVISORS[:2], MONDAY, 1, customers=range(1, 1000)))
    sizes: list[int] = []
    assert write(engine, iter(written), batch=100, progress=sizes.append) == (len(written),
                                                                             sum(map(len, written)))
    assert sum(sizes) == sum(map(len, written)) and len(sizes) > 5
    with Session(engine) as s:
        rows = list(s.scalars(select(TraceEvent).order_by(TraceEvent.id)))
    events = [e for c in written for e in c]
    assert len(rows) == len(events)
    for row, event in zip(rows, events, strict=True):
        at = row.occurred_at if row.occurred_at.tzinfo else row.occurred_at.replace(tzinfo=UTC)
        assert (at, row.name, row.actor, row.call_id, row.customer_id, row.data) == (
            event["occurred_at"], event["name"], event["actor"], event["call_id"], event["customer_id"],
            event["data"])
    with Session(engine) as s:  # the period filters of the steering work on them
        first_day = s.scalar(select(func.count()).select_from(TraceEvent).where(
            TraceEvent.name == "call.offered",
            TraceEvent.occurred_at >= datetime.combine(MONDAY, time(0), PARIS).astimezone(UTC),
            TraceEvent.occurred_at < datetime.combine(MONDAY, time(12), PARIS).astimezone(UTC)))
    assert first_day == sum(1 for c in written if c[0]["occurred_at"].astimezone(PARIS).hour < 12) > 0


def test_the_demos_history_is_written_once_for_its_advisors(sqlite_sessions: sessionmaker[Session]) -> None:
    engine = sqlite_sessions.kw["bind"]
    told: list[int] = []
    calls_written, events = seed_activity(engine, 3, end=date(2026, 11, 28), progress=told.append)
    assert sum(told) == 3
    with sqlite_sessions() as s:
        agents = Counter(d["agent"] for d in s.scalars(select(TraceEvent.data).where(
            TraceEvent.name == "call.offered")))
        assert s.scalar(select(func.count()).select_from(TraceEvent)) == events
        days = {_paris(d) for d in s.scalars(select(TraceEvent.occurred_at).where(TraceEvent.name == "call.offered"))}
    assert sum(agents.values()) == calls_written > 300
    assert set(activity.DEMO_CALL_TAKERS) <= set(agents) and {"cc.lyon01", "cc.rennes03", "cc.paris02"} <= set(agents)
    assert not {"sup.demo", "trainer.demo", "admin.demo"} & set(agents)
    assert days <= {date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 28)} and len(days) == 3
    told.clear()
    assert seed_activity(engine, 3, end=date(2026, 11, 28), progress=told.append) == (0, 0)
    assert sum(told) == 3
    more, _ = seed_activity(engine, 4, end=date(2026, 11, 30))  # the 29th is a Sunday: only the 30th is new
    with sqlite_sessions() as s:
        days = {_paris(d) for d in s.scalars(select(TraceEvent.occurred_at).where(TraceEvent.name == "call.offered"))}
    assert more > 0 and max(days) == date(2026, 11, 30) and len(days) == 4


def _paris(at: datetime) -> date:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(PARIS).date()


@pytest.fixture
def cli_database(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from crm_core.core.config import get_crm_settings
    from crm_core.core.db import get_engine

    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    monkeypatch.setenv("COPILOT_DATABASE_URL", url)
    get_crm_settings.cache_clear()
    get_engine.cache_clear()
    yield url
    get_engine().dispose()
    get_crm_settings.cache_clear()
    get_engine.cache_clear()


def test_copilot_seed_activity_writes_the_history_and_computes_the_kpis(cli_database: str) -> None:
    from copilot_cli.main import app
    from crm_core.core.db import get_engine
    from crm_core.models import CallFact

    done = CliRunner().invoke(app, ["seed", "--customers", "0", "--activity", "2"])
    assert done.exit_code == 0, done.output
    summary = re.search(r"^([\d ]+) appels, ([\d ]+) évènements tracés sur 2 jours$", done.output, re.M)
    assert summary, done.output
    called, traced = (int(g.replace(" ", "")) for g in summary.groups())
    with Session(get_engine()) as s:
        assert s.scalar(select(func.count()).select_from(TraceEvent)) >= traced > called > 300
        assert s.scalar(select(func.count()).select_from(CallFact)) == called
    again = CliRunner().invoke(app, ["seed", "--customers", "0", "--activity", "2"])
    assert again.exit_code == 0 and "aucun appel ajouté" in again.output


@pytest.mark.parametrize("days", ["0", "401"])
def test_copilot_seed_refuses_an_activity_out_of_range(days: str, cli_database: str) -> None:
    from copilot_cli.main import app

    done = CliRunner().invoke(app, ["seed", "--activity", days])
    assert done.exit_code == 2
    said = " ".join(re.sub(r"[│╭╮╰╯─]", " ", done.output).split())  # as the terminal's error box wraps it
    assert f"{days} jours : l'historique d'activité compte de 1 à 400 jours." in said


def test_copilot_steering_rebuild_gives_the_same_kpis_back(cli_database: str) -> None:
    """The projection is only derived from the traces: emptied and rebuilt, the sums are the same."""
    from copilot_cli.main import app
    from crm_core.core.db import get_engine
    from crm_core.models import KpiHourly

    assert CliRunner().invoke(app, ["seed", "--customers", "0", "--activity", "1"]).exit_code == 0

    def sums() -> tuple[Any, ...]:
        with Session(get_engine()) as s:
            return tuple(s.execute(select(func.count(), func.sum(KpiHourly.calls), func.sum(KpiHourly.handling_s),
                                          func.sum(KpiHourly.recontacted), func.sum(KpiHourly.acts_done))
                                   .select_from(KpiHourly)).one())

    before = sums()
    assert before[1] > 100
    done = CliRunner().invoke(app, ["steering", "rebuild"])
    assert done.exit_code == 0, done.output
    assert "indicateurs recalculés" in done.output
    assert sums() == before
    with Session(get_engine()) as s:
        assert s.scalar(select(TraceEvent.data).where(TraceEvent.name == "steering.rebuilt"))["events"] > before[1]
