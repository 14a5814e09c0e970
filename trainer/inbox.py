"""The trainer's inbox: call reasons worth a look, masked, grouped by near-duplicates, newest decisions out.

Three sources, all read from the trace (nothing is asked of the advisors):

* ``unsure``: the NLU hesitated (``nlu.predicted`` flagged unsure: fallback, confidence under 0.5, or the two
  best journeys within 0.1 of each other);
* ``corrected``: an advisor switched the journey in the panel (``nlu.corrected``): the advisor's journey is
  the suggested label;
* ``dropped``: an advisor dropped an act the pop proposed (``act.cancelled``) on the call.

Each call counts once, with its reason (the last one the NLU parsed). Reasons are masked
(``trainer.masking``: phone numbers, IBANs, cards, e-mails, other long numbers and the customer's names) and
carry no call or customer id. A group someone decided on (accepted, relabelled, rejected) or whose wording is
already a curated example leaves the inbox.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.acts.catalogue import label_for
from crm_core.models import Advisor, Customer, TraceEvent
from crm_core.models.trainer import CuratedExample, InboxDecision
from crm_core.services import tracing
from crm_core.services.actor import Actor
from crm_core.services.errors import NotFound
from crm_core.services.habilitations import require
from trainer.dataset import heldout_keys, repository_examples
from trainer.dedup import group_id, group_keys, text_key
from trainer.masking import mask

SOURCES = ("unsure", "corrected", "dropped")
UNSURE_BELOW = 0.5
DEFAULT_DAYS = 30
FIND_DAYS = 366  # how far back a decision on a group looks for it
CHUNK = 500


@dataclass
class CallReason:
    """What the inbox knows of one call."""

    text: str = ""
    predicted: str | None = None
    confidence: float | None = None
    corrected_to: str | None = None
    sources: set[str] = field(default_factory=set)
    at: datetime | None = None
    agent: str | None = None
    customer_id: int | None = None


@dataclass
class Filters:
    journey: str | None = None
    since: date | None = None
    until: date | None = None
    centre: str | None = None
    source: str | None = None


def _unsure(data: dict[str, Any]) -> bool:
    if "unsure" in data:
        return bool(data["unsure"])
    confidence = data.get("confidence")
    return data.get("intent") == "nlu_fallback" or (isinstance(confidence, int | float) and confidence < UNSURE_BELOW)


class Inbox:
    def __init__(self, session: Session, actor: Actor) -> None:
        require(actor, "nlu:curate")
        self.session, self.actor = session, actor

    def _window(self, filters: Filters) -> tuple[datetime, datetime]:
        until = filters.until or datetime.now(UTC).date()  # traces are stamped with the real time
        since = filters.since or until - timedelta(days=DEFAULT_DAYS)
        return datetime.combine(since, time.min, UTC), datetime.combine(until + timedelta(days=1), time.min, UTC)

    def _calls(self, filters: Filters) -> dict[str, CallReason]:
        start, end = self._window(filters)
        calls: dict[str, CallReason] = {}
        rows = self.session.execute(
            select(TraceEvent.name, TraceEvent.actor, TraceEvent.call_id, TraceEvent.customer_id,
                   TraceEvent.occurred_at, TraceEvent.data)
            .where(TraceEvent.name.in_(("nlu.predicted", "nlu.corrected", "act.cancelled")),
                   TraceEvent.occurred_at >= start, TraceEvent.occurred_at < end, TraceEvent.call_id.is_not(None))
            .order_by(TraceEvent.id))
        for name, actor, call_id, customer_id, at, data in rows:
            call = calls.setdefault(call_id, CallReason())
            call.customer_id = call.customer_id or customer_id
            data = data or {}
            if name == "nlu.predicted":
                call.text = str(data.get("text") or call.text)
                call.predicted, call.confidence, call.at = data.get("journey"), data.get("confidence"), at
                call.sources.discard("unsure")
                if _unsure(data):
                    call.sources.add("unsure")
            elif name == "nlu.corrected":
                call.corrected_to, call.agent = data.get("journey"), actor
                call.text = call.text or str(data.get("reason") or "")
                call.predicted = call.predicted or data.get("nlu_journey") or data.get("predicted")
                call.sources.add("corrected")
                call.at = call.at or at
            else:
                call.agent = call.agent or actor
                call.sources.add("dropped")
        calls = {k: c for k, c in calls.items() if c.sources and c.text.strip()}
        self._agents(calls)
        return calls

    def _agents(self, calls: dict[str, CallReason]) -> None:
        """The advisor each call was popped to (for the centre) and its customer (whose names are masked), from
        the pop's trace: the reason is often parsed before the caller is identified."""
        ids = list(calls)
        for i in range(0, len(ids), CHUNK):
            for call_id, customer_id, data in self.session.execute(
                    select(TraceEvent.call_id, TraceEvent.customer_id, TraceEvent.data)
                    .where(TraceEvent.name == "screen_pop.sent", TraceEvent.call_id.in_(ids[i: i + CHUNK]))):
                call = calls[call_id]
                call.agent = call.agent or (data or {}).get("agent")
                call.customer_id = call.customer_id or customer_id

    def _centres(self, logins: set[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for advisor in self.session.scalars(select(Advisor).where(Advisor.login.in_(logins))):
            if advisor.centre is not None:
                found[advisor.login] = advisor.centre.code
        return found

    def _names(self, customer_ids: set[int]) -> dict[int, tuple[str, str]]:
        return {cid: (first, last) for cid, first, last in self.session.execute(
            select(Customer.id, Customer.first_name, Customer.last_name).where(Customer.id.in_(customer_ids)))}

    def groups(self, filters: Filters, limit: int = 100, trace: bool = True) -> list[dict[str, Any]]:
        calls = self._calls(filters)
        centres = self._centres({c.agent for c in calls.values() if c.agent})
        names = self._names({c.customer_id for c in calls.values() if c.customer_id})
        decided = set(self.session.scalars(select(InboxDecision.inbox_key)))
        curated = set(self.session.scalars(select(CuratedExample.text_key).where(CuratedExample.retired_at.is_(None))))
        by_key: dict[str, list[tuple[str, CallReason, str]]] = {}
        for call in calls.values():
            centre = centres.get(call.agent or "")
            if filters.centre and centre != filters.centre:
                continue
            if filters.source and filters.source not in call.sources:
                continue
            if filters.journey and filters.journey not in (call.predicted, call.corrected_to):
                continue
            masked = mask(call.text, names.get(call.customer_id or 0, ()))
            key = text_key(masked)
            if key and key not in decided and key not in curated:
                by_key.setdefault(key, []).append((masked, call, centre or ""))
        keys = sorted(by_key, key=lambda k: (-len(by_key[k]), k))
        held, repo = heldout_keys(), repository_examples()
        out = [self._group(members, by_key, held, repo) for members in group_keys(keys)]
        out.sort(key=lambda g: (g["count"], g["last_seen"].isoformat() if g["last_seen"] else ""), reverse=True)
        if trace:
            tracing.record(self.session, "trainer.inbox_read", self.actor, groups=len(out), journey=filters.journey,
                           centre=filters.centre, source=filters.source)
        return out[:limit]

    @staticmethod
    def _group(members: list[str], by_key: dict[str, list[tuple[str, CallReason, str]]], held: frozenset[str],
               repo: dict[str, str]) -> dict[str, Any]:
        items = [item for key in members for item in by_key[key]]
        texts = Counter(masked for masked, _, _ in items)
        predicted = Counter(c.predicted for _, c, _ in items if c.predicted)
        corrected = Counter(c.corrected_to for _, c, _ in items if c.corrected_to)
        sources = Counter(s for _, c, _ in items for s in c.sources)
        confidences = [c.confidence for _, c, _ in items if isinstance(c.confidence, int | float)]
        seen = sorted(c.at for _, c, _ in items if c.at)
        best = (corrected or predicted).most_common(1)
        suggested = best[0][0] if best else None
        return {
            "id": group_id(members[0]),
            "text": texts.most_common(1)[0][0],
            "variants": [t for t, _ in texts.most_common(6)[1:]],
            "count": len(items),
            "sources": {s: sources.get(s, 0) for s in SOURCES},
            "predicted": predicted.most_common(1)[0][0] if predicted else None,
            "predicted_label": label_for(predicted.most_common(1)[0][0]) if predicted else None,
            "confidence": round(min(confidences), 3) if confidences else None,
            "corrected_to": [{"journey": j, "label": label_for(j), "count": n} for j, n in corrected.most_common()],
            "suggested": suggested,
            "suggested_label": label_for(suggested) if suggested else None,
            "centres": sorted({centre for _, _, centre in items if centre}),
            "first_seen": seen[0] if seen else None,
            "last_seen": seen[-1] if seen else None,
            "heldout": any(k in held for k in members),
            "in_repository": next((repo[k] for k in members if k in repo), None),
            "keys": members,
        }

    def find(self, inbox_id: str) -> dict[str, Any]:
        """The group of this id over the last year (whatever filters the trainer's list used)."""
        until = datetime.now(UTC).date()
        for group in self.groups(Filters(since=until - timedelta(days=FIND_DAYS), until=until), limit=100_000,
                                 trace=False):
            if group["id"] == inbox_id:
                return group
        raise NotFound("Ce groupe n'est plus dans la boîte de réception (déjà traité par un autre entraîneur ?). "
                       "Rechargez la liste.")

    def decide(self, group: dict[str, Any], decision: str, journey: str | None = None,
               example_id: int | None = None) -> None:
        for key in group["keys"]:
            self.session.merge(InboxDecision(inbox_key=key, decision=decision, journey=journey, example_id=example_id,
                                             decided_by=self.actor.login))
        if decision == "rejected":
            tracing.record(self.session, "trainer.inbox_rejected", self.actor, inbox=group["id"],
                           count=group["count"], predicted=group["predicted"])
