"""Two weeks of calls in the region ARA for the steering page's browser test, written as the real code traces them
(``call.*``, ``nlu.*``, ``act.*``, ``transfer.*``, with the data keys ``steering.facts`` reads), plus three calls in
progress. Deterministic (``random.Random`` seeded by advisor and day), relative to the real time: traces are
stamped with it, and the live view reads it.

The reasons are left out (as are the caller numbers): the trainer's inbox, which shares the stack, shows none of
these calls.
"""

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from crm_core.acts.catalogue import JOURNEY_ACTS
from crm_core.core.db import transaction
from crm_core.models import Advisor, Centre, Team
from tests.conftest import RunningStack

PARIS = ZoneInfo("Europe/Paris")
PREFIX = "steer-"
# Advisors the seeded CRM lacks, so that every centre and team of the region has calls: login, name, team, centre.
EXTRA = (("steer.lyonb", "Julie Fabre", "LYON-B", "CCO-LYON"),
         ("steer.gre", "Nicolas Blanc", "GRENOBLE-A", "CCO-GRENOBLE"),
         ("steer.cler1", "Pauline Roche", "CLERMONT-A", "CCO-CLERMONT"),
         ("steer.cler2", "Romain Chevalier", "CLERMONT-A", "CCO-CLERMONT"))
# Each advisor's pace (talk times are multiplied by it) and calls a day, so that the centres differ.
PACE = {"n1.demo": (1.0, 13), "lead.demo": (0.9, 9), "n1.grenoble": (1.15, 12), "steer.lyonb": (1.05, 14),
        "steer.gre": (0.95, 12), "steer.cler1": (1.25, 10), "steer.cler2": (0.85, 15)}
TALK_S = {"billing_payment": (150, 420), "manage_account": (100, 280), "breakdown": (300, 760),
          "change_offer": (240, 560), "move": (280, 600), "terminate": (200, 460), "complaint": (260, 620)}
IN_PROGRESS = (("steer.lyonb", "billing_payment", 250, False), ("steer.gre", "breakdown", 430, True),
               ("steer.cler1", "move", 70, False))  # advisor, journey, seconds since answered, on hold


def paris(at: datetime) -> date:
    """The Paris day of an instant (SQLite gives naive UTC datetimes back)."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(PARIS).date()


def add_advisors(stack: RunningStack) -> None:
    """The extra advisors (once per stack)."""
    with transaction(stack.sessions) as s:
        for login, name, team, centre in EXTRA:
            if s.scalar(select(Advisor).where(Advisor.login == login)) is None:
                s.add(Advisor(login=login, display_name=name, profile_code="n1_customer_contact",
                              centre_id=s.scalar(select(Centre.id).where(Centre.code == centre)),
                              team_id=s.scalar(select(Team.id).where(Team.code == team))))


class Call:
    def __init__(self, call_id: str, advisor: str, at: datetime) -> None:
        self.call_id, self.advisor, self.at = call_id, advisor, at
        self.events: list[dict[str, Any]] = []

    def add(self, seconds: float, name: str, actor: str = "copilot", customer: int | None = None,
            **data: Any) -> datetime:
        self.at += timedelta(seconds=seconds)
        self.events.append({"call_id": self.call_id, "occurred_at": self.at, "name": name, "actor": actor,
                            "customer_id": customer, "data": data})
        return self.at


def one_call(call: Call, rng: random.Random, pace: float) -> float:
    """A call answered or not, its journey, acts, hold, transfer and wrap-up; the seconds it took the advisor."""
    agent, started = call.advisor, call.at
    call.add(0, "call.offered", agent=agent)
    ring = rng.uniform(4, 20)
    if rng.random() < 0.04:
        call.add(ring + 30, "call.ended", agent=agent, durations={"ring_s": None})
        return ring + 30
    call.add(ring, "call.answered", agent=agent)
    customer = rng.randint(5, 50)
    journey = rng.choice(list(TALK_S))
    call.add(1, "nlu.predicted", customer=customer, journey=journey, confidence=round(rng.uniform(0.55, 0.98), 2))
    call.add(1, "act.suggested", customer=customer, journey=journey, acts=list(JOURNEY_ACTS[journey][:4]))
    if rng.random() < 0.09:
        corrected = rng.choice([j for j in TALK_S if j != journey])
        call.add(20, "nlu.corrected", agent, customer, journey=corrected, predicted=journey)
        journey = corrected
        call.add(1, "act.suggested", customer=customer, journey=journey, acts=list(JOURNEY_ACTS[journey][:4]))
    talk = rng.uniform(*TALK_S[journey]) * pace
    hold = rng.uniform(30, 120) if rng.random() < 0.2 else 0.0
    for act in rng.sample(JOURNEY_ACTS[journey][:4], rng.choice([0, 1, 1, 1, 2])):
        call.add(rng.uniform(15, 60), "act.opened", agent, customer, act=act, journey=journey)
        result = {"amount": "10.00"} if act == "grant_gesture" else {}
        call.add(rng.uniform(20, 90) * pace, "act.done", agent, customer, act=act, journey=journey, result=result,
                 shows=[])
    if hold:
        call.add(10, "call.held", agent=agent)
        call.add(hold, "call.resumed", agent=agent)
    if rng.random() < 0.07:
        mode = rng.choice(["warm", "cold"])
        call.add(15, "transfer.requested", agent, customer, transfer=2_000_000 + rng.randrange(10**6), team="n2",
                 team_label="Support technique N2", mode=mode)
        if mode == "warm":
            call.add(rng.uniform(10, 40), "transfer.acknowledged", "n2.demo", customer, mode=mode,
                     to_ack_s=round(rng.uniform(10, 40), 1))
    ended = started + timedelta(seconds=ring + talk + hold)
    call.add(max(1.0, (ended - call.at).total_seconds()), "call.ended", agent=agent,
             durations={"ring_s": round(ring, 1), "talk_s": round(talk, 1), "hold_s": round(hold, 1)})
    wrapup = rng.uniform(15, 90)
    call.add(wrapup, "call.wrapup", agent=agent, wrapup_s=round(wrapup, 1))
    return (call.at - started).total_seconds()


def days_of(advisor: str, first: datetime, until: datetime, count: int) -> Iterator[Call]:
    rng = random.Random(f"{advisor}:{first.isoformat()}")
    pace, _ = PACE[advisor]
    at = first
    for i in range(count):
        if at >= until:
            return
        call = Call(f"{PREFIX}{advisor}-{at:%Y%m%d%H%M}-{i}", advisor, at)
        took = one_call(call, rng, pace)
        at += timedelta(seconds=took + rng.uniform(20, 240))
        yield call


def history(now: datetime, days: int = 13) -> list[dict[str, Any]]:
    """The traces: ``days`` days before today (Paris; closed on Sundays), today's last two hours, the calls in
    progress."""
    today = now.astimezone(PARIS).date()
    events: list[dict[str, Any]] = []
    for advisor, (_, per_day) in PACE.items():
        for back in range(days, 0, -1):
            day: date = today - timedelta(days=back)
            if day.weekday() == 6:
                continue
            opens = datetime.combine(day, time(9, 0), PARIS).astimezone(UTC)
            for call in days_of(advisor, opens, opens + timedelta(hours=9), per_day):
                events.extend(call.events)
        for call in days_of(advisor, now - timedelta(hours=2, minutes=30), now - timedelta(minutes=12), per_day):
            events.extend(call.events)
    for advisor, journey, since, held in IN_PROGRESS:
        call = Call(f"{PREFIX}live-{advisor}-{now:%H%M%S}", advisor, now - timedelta(seconds=since + 12))
        call.add(0, "call.offered", agent=advisor)
        call.add(12, "call.answered", agent=advisor)
        call.add(1, "nlu.predicted", customer=7, journey=journey, confidence=0.91)
        call.add(1, "act.suggested", customer=7, journey=journey, acts=list(JOURNEY_ACTS[journey][:4]))
        if held:
            call.add(since / 2, "call.held", agent=advisor)
        events.extend(call.events)
    return events
