"""A realistic history of calls in the traces: ``copilot seed --activity DAYS`` and the steering's benchmark.

Each call leaves in ``trace_events`` what the real code records, with the same names, actors and data keys:
the call's events, the look-up, the NLU, the pop and its acts, a journey corrected, the chat, the wrap-up
(``assistant/copilot/sessions.py``), the acts opened, previewed, done, dropped or refused
(``crm_core/acts/service.py``) and the level-2 transfers (``crm_core/transfers/service.py``). As there, the
``call.*`` events carry no customer (``_receive`` records none); the others carry the identified caller.

Advisors work shifts in Paris time (Monday to Saturday, 8:30 to 19:30, about seven hours with a lunch break,
one weekday off), take calls back to back; talk times depend on the journey. Some calls are abandoned while
ringing, put on hold, corrected, transferred; some callers call again about the same journey within a week.
Everything is drawn from ``random.Random`` seeded with the seed, the advisor and the day: the same arguments
give the same history.

    calls(advisors, start, days, customers=...)  # one call's events at a time, in the order they were offered
    write(engine, calls(...))                    # bulk insert: (calls, events)
    seed_activity(engine, days)                  # the demo: its call-taking advisors, the CRM's customers

The benchmark builds its region with ``synthetic_region`` (500 advisors: about 450,000 calls and ten million
trace events a month).
"""

import heapq
import math
import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, func, insert, select
from sqlalchemy.orm import Session

from assistant.copilot.call_timing import WRAP_UP_MAX_S
from crm_core.acts.catalogue import ACTS, CHAT_INTENTS, JOURNEY_ACTS, JOURNEY_CODES
from crm_core.acts.complaint import CEILINGS
from crm_core.models import Advisor, Centre, Customer, Line, Region, Team, TraceEvent
from crm_core.seed.catalogue import OFFERS
from crm_core.services import fields
from crm_core.services.habilitations import PROFILES
from crm_core.transfers.service import OUTCOMES

PARIS = ZoneInfo("Europe/Paris")
OPENS, CLOSES = time(8, 30), time(19, 30)  # Monday to Saturday
WORK_MS = 7 * 3600 * 1000
WEEK_MS = 7 * 86_400_000
CALL_ID_PREFIX = "act-"  # the generated calls' ids: ``act-``, the offered time (ms, 11 hex digits), a number (5)
COPILOT = "copilot"
TRANSFER_BASE = 1_000_000  # the generated transfers' numbers, far above the ``transfers`` table's own ids
N1 = "n1_customer_contact"
# Callers enough that a customer seldom calls twice about the same journey in a week by chance (the demo's
# 35 advisors take about 8,000 calls a week): ``copilot seed --activity`` seeds at least these.
MIN_CUSTOMERS = 5000
SQLITE_CACHE_KIB = 256 * 1024
COLUMNS = ("occurred_at", "name", "actor", "call_id", "customer_id", "data")  # of trace_events, ``id`` aside

# The seeded advisors who take calls (crm_core/seed/organisation.py); the others supervise, train, administer.
DEMO_CALL_TAKERS = ("n1.demo", "n1.grenoble", "lead.demo", "n2.demo", "avsc.demo", "collection.demo")
# Extra advisors so that the demo's teams and centres have a realistic volume: team, login stem, profile, names.
ACTIVITY_TEAMS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("LYON-A", "cc.lyon", N1, ("Camille Bernard", "Yanis Haddad", "Manon Lefebvre", "Thomas Nguyen",
                               "Chloé Mercier", "Mamadou Diallo")),
    ("LYON-B", "cc.lyon", N1, ("Julie Fabre", "Antoine Da Silva", "Sofia Amrani", "Maxime Garnier",
                               "Aïcha Traoré", "Lucas Perrin")),
    ("GRENOBLE-A", "cc.grenoble", N1, ("Emma Rousseau", "Nicolas Blanc", "Leïla Mansouri", "Julien Faure",
                                       "Océane Rey", "Mehdi Bouzid")),
    ("CLERMONT-A", "cc.clermont", N1, ("Pauline Roche", "Romain Chevalier", "Fatou Ndiaye", "Clément Bonnet",
                                       "Laura Marchand", "Hakim Zerrouki")),
    ("RENNES-N2", "cc.rennes", "n2_technical", ("Gwenaëlle Le Goff", "Erwan Tanguy", "Yann Le Bihan")),
    ("PARIS-REC", "cc.paris", "collection", ("Nathalie Cohen", "Samir Belkacem", "Élodie Tran")),
)
FIRST_NAMES = ("Alice", "Bastien", "Céline", "Damien", "Élise", "Farid", "Gaëlle", "Hugo", "Isabelle", "Jérôme",
               "Karima", "Loïc", "Marion", "Nassim", "Ophélie", "Pierre", "Quentin", "Rachida", "Sébastien",
               "Tiphaine", "Ulysse", "Valérie", "William", "Yasmina", "Zoé", "Adama", "Bérénice", "Cyril")
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
              "Simon", "Laurent", "Michel", "Garcia", "Fournier", "Lambert", "Fontaine", "Rousseau", "Vincent",
              "Muller", "Lefèvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Hamidi", "Kone",
              "Ferreira", "Nguyen", "Benhamou", "Le Gall", "Diop", "Morel")

# -- calls: what they are about, how long they last --------------------------------------------------------
JOURNEY_WEIGHTS = {"breakdown": 20, "billing_payment": 19, "manage_account": 14, "change_offer": 11, "usage_help": 8,
                   "terminate": 7, "complaint": 7, "move": 6, "become_customer": 4, "withdraw": 2, "out_of_scope": 2}
PROFILE_JOURNEYS = {
    "n2_technical": {"breakdown": 60, "usage_help": 30, "change_offer": 5, "manage_account": 5},
    "fleet_avsc": {"breakdown": 35, "change_offer": 25, "manage_account": 15, "usage_help": 15, "billing_payment": 10},
    "collection": {"billing_payment": 70, "manage_account": 10, "complaint": 10, "terminate": 7, "out_of_scope": 3},
}
UNKNOWN_CALLER_JOURNEYS = {"become_customer": 45, "out_of_scope": 20, "breakdown": 15, "billing_payment": 10,
                           "manage_account": 10}
TALK_MEDIAN_S = {"become_customer": 540, "change_offer": 480, "move": 600, "withdraw": 300, "terminate": 420,
                 "manage_account": 300, "billing_payment": 360, "breakdown": 600, "usage_help": 420, "complaint": 540,
                 "out_of_scope": 150}
REASONS = {
    "become_customer": ("bonjour je voudrais souscrire une box fibre", "je veux devenir client chez vous",
                        "je suis chez un autre opérateur et je voudrais passer chez vous avec un forfait mobile"),
    "change_offer": ("je voudrais changer de forfait pour avoir plus de data", "je veux passer à la fibre",
                     "est-ce que je peux ajouter l'option TV sport", "je voudrais un forfait moins cher"),
    "move": ("on déménage le mois prochain", "je déménage à Lille et je veux garder ma box",
             "bonjour je change d'adresse la semaine prochaine"),
    "withdraw": ("je voudrais me rétracter de ma commande", "j'ai souscrit il y a une semaine et je veux annuler"),
    "terminate": ("je veux résilier ma ligne", "je voudrais mon code RIO pour partir",
                  "mon père est décédé je dois résilier son abonnement"),
    "manage_account": ("je voudrais changer mon adresse mail", "je veux modifier mon numéro de contact",
                       "je voudrais changer mon RIB pour le prélèvement", "quand se termine mon engagement"),
    "billing_payment": ("ma facture est beaucoup plus élevée que d'habitude", "je n'ai pas reçu ma facture",
                        "je ne comprends pas le hors forfait", "je ne peux pas payer ce mois-ci",
                        "j'ai été prélevé deux fois"),
    "breakdown": ("ma box coupe tout le temps depuis hier", "je n'ai plus internet depuis ce matin",
                  "plus de tonalité sur le fixe", "la télé ne marche plus", "le wifi ne fonctionne plus"),
    "usage_help": ("je n'arrive pas à configurer ma messagerie", "comment je transfère mes appels",
                   "je n'arrive pas à connecter ma télé au wifi"),
    "complaint": ("je veux faire une réclamation", "c'est la troisième fois que j'appelle pour le même problème",
                  "on m'a facturé des frais de roaming injustifiés", "le technicien n'est jamais venu"),
    "out_of_scope": ("je cherche les horaires de la boutique", "c'est bien la banque ?",
                     "je voudrais parler à la mairie"),
}
# How often a journey's call goes to level 2, and where: (team, weight) for the senders allowed to (routing.yml).
TRANSFER_RATE = {"breakdown": 0.17, "usage_help": 0.08, "complaint": 0.18, "billing_payment": 0.07,
                 "out_of_scope": 0.0}
DEFAULT_TRANSFER_RATE = 0.035
TRANSFER_TEAMS = {"breakdown": (("n2", 1),), "usage_help": (("n2", 1),), "complaint": (("reclamations", 1),),
                  "billing_payment": (("recouvrement", 7), ("reclamations", 3))}
DEFAULT_TRANSFER_TEAMS = (("n2", 1), ("reclamations", 1))
SENDERS = {"n2": {N1, "team_leader", "fleet_avsc", "supervisor"},
           "recouvrement": {N1, "team_leader", "supervisor"},
           "reclamations": {N1, "team_leader", "fleet_avsc", "collection", "supervisor"}}
TEAMS = {"n2": ("Support technique N2", "N2-TECH"), "recouvrement": ("Recouvrement", "RECOUVREMENT"),
         "reclamations": ("Service réclamations", "RECLAMATIONS")}
DEFAULT_RECEIVERS: dict[str, tuple[str, ...]] = {"n2": ("n2.demo",), "recouvrement": ("collection.demo",),
                                                 "reclamations": ("sup.demo",)}
TRANSFER_OUTCOMES = {"n2": (("resolved", 45), ("technician", 30), ("callback", 15), ("unresolved", 10)),
                     "recouvrement": (("resolved", 60), ("callback", 25), ("unresolved", 15)),
                     "reclamations": (("resolved", 50), ("callback", 30), ("redirected", 10), ("unresolved", 10))}
DECLINES = ("Hors périmètre du niveau 2 : à traiter en N1.", "Diagnostic de la ligne manquant, merci de le faire.",
            "Le client doit d'abord redémarrer sa box.")
REFUSALS = ("Ce client a déjà reçu un geste pour ce motif ce mois-ci.", "Aucune ligne active ne correspond.",
            "Le délai de 14 jours est dépassé.")
OFFER_CODES = tuple(o[0] for o in OFFERS)
CHAT_QUESTIONS = tuple((c.example, c.fields) for c in CHAT_INTENTS if c.fields)

for _weights in (JOURNEY_WEIGHTS, UNKNOWN_CALLER_JOURNEYS, TALK_MEDIAN_S, REASONS, *PROFILE_JOURNEYS.values()):
    assert set(_weights) <= set(JOURNEY_CODES), set(_weights) - set(JOURNEY_CODES)


def _choices(weights: Mapping[str, int] | Sequence[tuple[str, int]]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    pairs = list(weights.items()) if isinstance(weights, Mapping) else list(weights)
    return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)


# -- the organisation ------------------------------------------------------------------------------------
def activity_logins() -> list[str]:
    """The extra activity advisors' logins (``cc.lyon01``…), in ``ACTIVITY_TEAMS`` order."""
    logins: list[str] = []
    counts: dict[str, int] = {}
    for _team, stem, _profile, names in ACTIVITY_TEAMS:
        for _ in names:
            counts[stem] = counts.get(stem, 0) + 1
            logins.append(f"{stem}{counts[stem]:02d}")
    return logins


def ensure_activity_advisors(session: Session) -> list[str]:
    """Create or update the extra advisors of the demo's teams (the teams must be seeded); their logins."""
    teams = {t.code: t for t in session.scalars(select(Team).where(Team.code.in_([a[0] for a in ACTIVITY_TEAMS])))}
    missing = [a[0] for a in ACTIVITY_TEAMS if a[0] not in teams]
    if missing:
        raise LookupError(f"teams {missing} are not seeded: run crm_core.seed.seed_reference first")
    logins = iter(activity_logins())
    people = [(next(logins), name, profile, teams[code]) for code, _stem, profile, names in ACTIVITY_TEAMS
              for name in names]
    _upsert_advisors(session, people)
    return [p[0] for p in people]


def synthetic_region(session: Session, advisors: int = 500, centres: int = 5, region: str = "BENCH") -> list[str]:
    """A region for the load benchmark (« Région de charge »): ``centres`` call centres, teams of about twelve,
    ``advisors`` N1 advisors (``bench.c1.0001``…) spread evenly; idempotent. Their logins."""
    if advisors < 1 or centres < 1:
        raise ValueError("a region needs at least one centre and one advisor")
    found = session.scalar(select(Region).where(Region.code == region)) or Region(code=region)
    found.name = "Région de charge"
    session.add(found)
    session.flush()
    stem, people, number = region.lower(), [], 0
    for c in range(1, centres + 1):
        code = f"{region}-C{c}"
        centre = session.scalar(select(Centre).where(Centre.code == code)) or Centre(code=code)
        centre.name, centre.kind, centre.region_id = f"Centre de charge {c}", "cco", found.id
        session.add(centre)
        session.flush()
        size = advisors // centres + (1 if c <= advisors % centres else 0)
        team_count = max(1, round(size / 12))
        for t in range(team_count):
            team_code = f"{code}-T{t + 1:02d}"
            team = session.scalar(select(Team).where(Team.code == team_code)) or Team(code=team_code)
            team.label, team.centre_id = f"Équipe {t + 1:02d} du centre de charge {c}", centre.id
            session.add(team)
            session.flush()
            for k in range(size * t // team_count, size * (t + 1) // team_count):
                name = f"{FIRST_NAMES[number % len(FIRST_NAMES)]} {LAST_NAMES[(number * 7 + 3) % len(LAST_NAMES)]}"
                people.append((f"{stem}.c{c}.{k + 1:04d}", name, N1, team))
                number += 1
    _upsert_advisors(session, people)
    return [p[0] for p in people]


def _upsert_advisors(session: Session, people: list[tuple[str, str, str, Team]]) -> None:
    existing = {a.login: a for a in session.scalars(select(Advisor).where(Advisor.login.in_([p[0] for p in people])))}
    for login, name, profile, team in people:
        advisor = existing.get(login) or Advisor(login=login)
        advisor.display_name, advisor.profile_code = name, profile
        advisor.centre_id, advisor.team_id, advisor.active = team.centre_id, team.id, True
        session.add(advisor)
    session.flush()


# -- the calls ---------------------------------------------------------------------------------------------
@dataclass
class _History:
    """What the generator remembers across advisors: recent calls (repeat contacts), transfer numbers."""

    customers: Sequence[int]
    numbers: Mapping[int, str]
    receivers: Mapping[str, Sequence[str]]
    profiles: Mapping[str, str]
    seed: int
    recent: list[tuple[int, int, str]] = field(default_factory=list)  # (offered ms, customer, journey)
    first: int = 0  # recent[:first] is older than a week
    last_seen: dict[tuple[int, str], int] = field(default_factory=dict)  # (customer, journey) → offered ms
    transfers: int = TRANSFER_BASE
    calls: int = 0

    def remember(self, at: int, customer: int, journey: str) -> None:
        self.recent.append((at, customer, journey))
        self.last_seen[(customer, journey)] = at
        while self.first < len(self.recent) and self.recent[self.first][0] < at - WEEK_MS:
            self.first += 1
        if self.first > 50_000 and self.first * 2 > len(self.recent):
            del self.recent[:self.first]
            self.first = 0

    def earlier_call(self, rng: random.Random, at: int) -> tuple[int, str] | None:
        """A call of the last seven days (at least ten minutes before ``at``) to call again about."""
        if self.first >= len(self.recent):
            return None
        for _ in range(4):
            then, customer, journey = self.recent[rng.randrange(self.first, len(self.recent))]
            if at - WEEK_MS < then < at - 600_000:
                return customer, journey
        return None

    def fresh_customer(self, rng: random.Random, journey: str, at: int) -> int:
        """A customer who did not call about ``journey`` in the last seven days, when one is found quickly."""
        customer = rng.choice(self.customers)
        for _ in range(6):
            seen = self.last_seen.get((customer, journey))
            if seen is None or seen < at - WEEK_MS:
                break
            customer = rng.choice(self.customers)
        return customer


class _Call:
    """One call's events as (ms, name, actor, customer, data), in the order the code records them."""

    __slots__ = ("call_id", "customer", "events", "offered", "ended")

    def __init__(self, call_id: str, customer: int | None, offered: int) -> None:
        self.call_id, self.customer, self.offered, self.ended = call_id, customer, offered, offered
        self.events: list[tuple[int, str, str, int | None, dict[str, Any]]] = []

    def add(self, at: int, name: str, actor: str, data: dict[str, Any], customer: bool = True) -> None:
        self.events.append((at, name, actor, self.customer if customer else None, data))

    def rows(self) -> list[dict[str, Any]]:
        self.events.sort(key=itemgetter(0))  # stable: equal times keep the order they were recorded in
        return [{"occurred_at": _when(at), "name": name, "actor": actor, "call_id": self.call_id,
                 "customer_id": customer, "data": data} for at, name, actor, customer, data in self.events]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _when(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def _ms(day: date, at: time) -> int:
    """Epoch milliseconds of a Paris wall-clock time."""
    return int(datetime.combine(day, at, PARIS).timestamp() * 1000)


def _s(ms: int) -> float:
    return round(ms / 1000, 3)


def _profile_fields(profile: str) -> tuple[list[str], list[str]]:
    permissions = PROFILES.get(profile, PROFILES[N1])[1]
    visible = [f.name for f in fields.visible_fields(permissions)]
    return visible, [n for n in visible if n in fields.SENSITIVE]


@dataclass(frozen=True)
class _Advisor:
    login: str
    profile: str
    permissions: frozenset[str]
    view: tuple[list[str], list[str]]  # the 360° fields they read, the sensitive ones among them
    journeys: tuple[tuple[str, ...], tuple[int, ...]]
    day_off: int  # 0 Monday … 5 Saturday


def _advisor(login: str, profile: str, seed: int) -> _Advisor:
    rng = random.Random(f"{seed}:{login}")
    weights = PROFILE_JOURNEYS.get(profile, JOURNEY_WEIGHTS)
    return _Advisor(login, profile, PROFILES.get(profile, PROFILES[N1])[1], _profile_fields(profile),
                    _choices(weights), rng.choices(range(6), weights=(20, 11, 11, 11, 12, 35))[0])


def _shift(rng: random.Random, day: date) -> list[tuple[int, int]]:
    """The advisor's working periods that day (ms): a morning and an afternoon around lunch, Paris time."""
    opens, closes = _ms(day, OPENS), _ms(day, CLOSES)
    lunch_ms = rng.randint(45, 75) * 60_000
    work = WORK_MS - rng.randint(0, 30) * 60_000
    start = opens + rng.randint(0, 11) * 15 * 60_000 + rng.randint(0, 4) * 60_000
    end = min(closes, start + work + lunch_ms)
    earliest, latest = max(_ms(day, time(11, 45)), start + 150 * 60_000), min(_ms(day, time(14, 0)),
                                                                             end - lunch_ms - 150 * 60_000)
    lunch = rng.randint(min(earliest, latest), latest)
    return [(start, lunch), (lunch + lunch_ms, end)]


def _talk_ms(rng: random.Random, journey: str) -> int:
    seconds = TALK_MEDIAN_S[journey] * math.exp(rng.gauss(0, 0.45))
    return int(min(900.0, max(120.0, seconds)) * 1000) + rng.randint(0, 999)


def _wrapup_ms(rng: random.Random) -> int:
    gap = 10_000 + int(rng.betavariate(2, 4) * 80_000)
    if rng.random() < 0.05:  # a short break between two calls
        gap += rng.randint(180, 900) * 1000
    return gap


def calls(advisors: list[str], start: date, days: int, *, customers: Sequence[int], seed: int = 14,
          numbers: Mapping[int, str] | None = None, profiles: Mapping[str, str] | None = None,
          receivers: Mapping[str, Sequence[str]] | None = None) -> Iterator[list[dict[str, Any]]]:
    """The calls ``advisors`` took over ``days`` days from ``start``, one call's trace events at a time.

    Calls come in the order they were offered, all advisors together (a call is yielded once the advisor's next
    call is known: its ``call.wrapup`` is with it). ``customers``: the caller pool; ``numbers``: a customer's line
    (else a made-up one); ``profiles``: each advisor's business profile (default N1); ``receivers``: the level-2
    advisors of each transfer team (default the seeded ones)."""
    if not customers:
        raise ValueError("calls need a pool of customers")
    history = _History(customers, numbers or {}, receivers or DEFAULT_RECEIVERS, profiles or {}, seed)
    people = [_advisor(login, history.profiles.get(login, N1), seed) for login in advisors]
    for offset in range(days):
        day = start + timedelta(days=offset)
        if day.weekday() == 6:  # closed on Sundays
            continue
        merged = heapq.merge(*(_advisor_day(history, a, day) for a in people), key=itemgetter(0))
        for _offered, call in merged:
            yield call.rows()


def _advisor_day(history: _History, advisor: _Advisor, day: date) -> Iterator[tuple[int, _Call]]:
    rng = random.Random(f"{history.seed}:{advisor.login}:{day.isoformat()}")
    if day.weekday() == advisor.day_off or rng.random() < 0.04:  # day off, absent
        return
    previous: _Call | None = None
    stopped = None
    for begin, end in _shift(rng, day):
        at = begin + rng.randint(5_000, 180_000)
        if previous is not None and stopped is not None:  # the break starts when the last call is over
            at = max(at, previous.ended + begin - stopped)
        stopped = end
        while at < end - 60_000:
            call = _one_call(history, advisor, rng, at)
            if previous is not None:
                gap = at - previous.ended
                previous.add(at, "call.wrapup", COPILOT, {"agent": advisor.login, "next_call": call.call_id,
                                                          "wrapup_s": _s(gap) if gap <= WRAP_UP_MAX_S * 1000
                                                          else None}, customer=False)
                yield previous.offered, previous
            previous = call
            answered = any(e[1] == "call.answered" for e in call.events)
            at = call.ended + (_wrapup_ms(rng) if answered else rng.randint(2_000, 15_000))
    if previous is not None:
        yield previous.offered, previous  # the day's last call: no next call, no wrap-up


def _one_call(history: _History, advisor: _Advisor, rng: random.Random, offered: int) -> _Call:
    login = advisor.login
    known = rng.random() >= 0.04
    repeat = history.earlier_call(rng, offered) if known and rng.random() < 0.12 else None
    if repeat is not None and repeat[1] not in advisor.journeys[0]:
        repeat = None  # the call goes to a team that takes that journey
    if repeat is not None:
        customer, journey = repeat
    elif known:
        journey = rng.choices(*advisor.journeys)[0]
        customer = history.fresh_customer(rng, journey, offered)
    else:
        customer, journey = None, rng.choices(*_choices(UNKNOWN_CALLER_JOURNEYS))[0]
    if customer is None:
        number = f"+337{rng.randrange(10**8):08d}"  # not a line of the CRM
    else:
        number = history.numbers.get(customer) or f"+336{customer % 100_000_000:08d}"
    history.calls += 1  # the id grows with time: the index on call_id takes it at its end, fast
    call = _Call(f"{CALL_ID_PREFIX}{offered:011x}{history.calls % 16**5:05x}", customer, offered)
    reason = rng.choice(REASONS[journey])
    line = {"agent": login, "caller_number": number, "ivr_choice": None}
    quiet = {**line, "has_reason": False, "reason": None}
    call.add(offered, "call.offered", COPILOT, {**line, "has_reason": True, "reason": reason}, customer=False)
    call.add(offered + rng.randint(20, 150), "customer.lookup", COPILOT, {"by": "line", "found": known})
    wrong = rng.random() < 0.08
    predicted = rng.choice([j for j in JOURNEY_CODES if j != journey]) if wrong else journey
    confidence = round(rng.uniform(0.4, 0.75) if wrong else min(0.99, rng.uniform(0.55, 1.05)), 4)
    call.add(offered + rng.randint(150, 900), "nlu.predicted", COPILOT,
             {"journey": predicted, "confidence": confidence, "intent": predicted, "entities": [], "text": reason,
              "unsure": confidence < 0.5})
    if customer is not None:
        history.remember(offered, customer, journey)
    if rng.random() < 0.03:  # the caller hangs up while it rings
        call.ended = offered + rng.randint(10_000, 90_000)
        call.add(call.ended, "call.ended", COPILOT, {**quiet, "durations": {"ring_s": None, "talk_s": None,
                                                                            "hold_s": 0.0}}, customer=False)
        return call
    answered = offered + rng.randint(3_000, 25_000)
    call.add(answered, "call.answered", COPILOT, dict(quiet), customer=False)
    at = _pop(call, advisor, rng, answered + rng.randint(20, 400), predicted, corrected=False)
    if known:
        again = rng.choices((0, 1, 2, 3), weights=(5, 20, 35, 40))[0]
        at = _read(call, advisor, rng, at + rng.randint(300, 2500), again)
    talk, hold = _talk_ms(rng, journey), rng.randint(20_000, 120_000) if rng.random() < 0.15 else 0
    closing = answered + talk + hold
    if wrong:  # the advisor switches the journey: the pop follows with its acts
        at += rng.randint(15_000, 90_000)
        call.add(at, "nlu.corrected", login, {"journey": journey, "predicted": predicted, "nlu_journey": predicted,
                                              "confidence": confidence, "intent": predicted, "reason": reason})
        at = _pop(call, advisor, rng, at + rng.randint(20, 300), journey, corrected=True)
    if hold:
        held = answered + int(talk * rng.uniform(0.3, 0.8))
        call.add(held, "call.held", COPILOT, dict(quiet), customer=False)
        call.add(held + hold, "call.resumed", COPILOT, dict(quiet), customer=False)
    for _ in range(rng.choices((0, 1, 2, 3, 4, 5), weights=(5, 12, 25, 25, 18, 15))[0] if known else 0):
        asked = rng.randint(answered + 5_000, max(answered + 6_000, closing - 10_000))
        text, wanted = rng.choice(CHAT_QUESTIONS)
        call.add(asked, "chat.asked", login, {"text": text})
        shown = [f for f in wanted if f in advisor.view[0]]
        if shown:
            call.add(asked + rng.randint(800, 2500), "customer.read", login,
                     {"view": "chat", "fields": shown, "sensitive": [f for f in shown if f in fields.SENSITIVE]})
    at = _acts(call, advisor, rng, at + rng.randint(10_000, 60_000), closing, journey, known)
    ended = max(closing, at + rng.randint(5_000, 30_000))
    if known and rng.random() < _transfer_rate(advisor, journey):
        ended = max(ended, _transfer(call, history, advisor, rng, at + rng.randint(10_000, 40_000), journey))
    call.ended = ended
    call.add(ended, "call.ended", COPILOT, {**quiet, "durations": {"ring_s": _s(answered - offered),
                                                                   "talk_s": _s(ended - answered - hold),
                                                                   "hold_s": _s(hold)}}, customer=False)
    return call


def _pop(call: _Call, advisor: _Advisor, rng: random.Random, at: int, journey: str, corrected: bool) -> int:
    login = advisor.login
    call.add(at, "screen_pop.sent", COPILOT, {"journey": journey, "identified": call.customer is not None,
                                              "panels": 1, "nlu_status": "ok", "agent": login, "context": []})
    at += rng.randint(1, 5)
    call.add(at, "act.suggested", COPILOT, {"journey": journey, "corrected": corrected,
                                            "acts": list(JOURNEY_ACTS[journey]), "agent": login})
    return at


def _read(call: _Call, advisor: _Advisor, rng: random.Random, at: int, again: int = 0) -> int:
    """The panel reads the 360° view (when the pop arrives, after an act that writes), and ``again`` times more
    as the advisor goes through it; returns the time of the last read."""
    visible, sensitive = advisor.view
    for n in range(again + 1):
        at += rng.randint(5_000, 40_000) if n else 0
        call.add(at, "customer.read", advisor.login, {"view": "360", "fields": list(visible),
                                                      "sensitive": list(sensitive)})
    return at


def _chosen_acts(advisor: _Advisor, rng: random.Random, journey: str, known: bool) -> list[str]:
    """The acts the advisor does: the first suggested ones most often; now and then one the pop did not suggest."""
    allowed = [a for a in ACTS.values() if a.permission in advisor.permissions and (known or not a.needs_customer)]
    suggested = [a.code for a in allowed if a.code in JOURNEY_ACTS[journey]]
    suggested.sort(key=JOURNEY_ACTS[journey].index)
    others = [a.code for a in allowed if a.code not in JOURNEY_ACTS[journey]]
    wanted = rng.choices((0, 1, 2, 3), weights=(8, 30, 37, 25))[0]
    chosen: list[str] = []
    for _ in range(wanted):
        if others and rng.random() < 0.1:
            pool = [c for c in others if c not in chosen]
            weights = [1.0] * len(pool)
        else:
            pool = [c for c in suggested if c not in chosen]
            weights = [1 / (i + 1) ** 1.3 for i in range(len(pool))]
        if not pool:
            break
        chosen.append(rng.choices(pool, weights=weights)[0])
    return chosen


def _acts(call: _Call, advisor: _Advisor, rng: random.Random, at: int, closing: int, journey: str,
          known: bool) -> int:
    login = advisor.login
    for rank, code in enumerate(_chosen_acts(advisor, rng, journey, known)):
        spec = ACTS[code]
        room = closing - at - 5_000
        if room < 15_000 and rank:  # no time left for another act: the first one lengthens the call
            break
        took = max(15_000, min(rng.randint(20_000, 240_000), room))
        call.add(at, "act.opened", login, {"act": code, "journey": journey, "prefilled": []})
        fate, no_gesture = rng.random(), code == "grant_gesture" and advisor.profile not in CEILINGS
        stage = "execute" if fate >= 0.07 or no_gesture else rng.choice(("form", "preview")) if spec.writes else "form"
        if spec.writes and stage != "form":  # previewed, and again now and then once the form is edited
            for share in sorted(rng.uniform(0.4, 0.95) for _ in range(1 if rng.random() < 0.7 else 2)):
                call.add(at + int(took * share), "act.previewed", login, {"act": code, "changes": []})
        at += took
        if stage != "execute":
            call.add(at, "act.cancelled", login, {"act": code, "stage": stage, "journey": journey})
        elif fate < 0.09 or no_gesture:
            reason = (f"Le profil « {advisor.profile} » ne peut accorder aucun geste commercial : transférez à un "
                      "superviseur." if no_gesture else rng.choice(REFUSALS))
            call.add(at, "act.refused", login, {"act": code, "stage": "execute", "error": "ActRefused",
                                                "reason": reason})
        else:
            call.add(at, "act.done", login, {"act": code, "label": spec.label, "journey": journey,
                                             "writes": spec.writes, "changes": [], "ref": None,
                                             "summary": f"{spec.label} : fait.", "result": _result(rng, advisor, code),
                                             "shows": sorted(spec.reads)})
            if spec.writes and known:  # the 360° view follows
                at = _read(call, advisor, rng, at + rng.randint(200, 800))
        at += rng.randint(5_000, 40_000)
    return at


def _result(rng: random.Random, advisor: _Advisor, code: str) -> dict[str, Any]:
    if code == "recommend_offers":
        return {"offered": rng.sample(OFFER_CODES, rng.randint(1, 3))}
    if code == "grant_gesture":
        ceiling = int(CEILINGS[advisor.profile].per_gesture)
        return {"amount": str(Decimal(rng.choice([a for a in (5, 10, 10, 15, 15, 20, 20, 25, 30, 40, 50)
                                                   if a <= ceiling])).quantize(Decimal("0.01")))}
    return {}


def _transfer_rate(advisor: _Advisor, journey: str) -> float:
    teams = [t for t, _ in TRANSFER_TEAMS.get(journey, DEFAULT_TRANSFER_TEAMS) if advisor.profile in SENDERS[t]]
    return TRANSFER_RATE.get(journey, DEFAULT_TRANSFER_RATE) if teams else 0.0


def _transfer(call: _Call, history: _History, advisor: _Advisor, rng: random.Random, at: int, journey: str) -> int:
    """A level-2 transfer asked at ``at``; returns when the first advisor can hang up (taken, declined, queued)."""
    teams = [(t, w) for t, w in TRANSFER_TEAMS.get(journey, DEFAULT_TRANSFER_TEAMS) if advisor.profile in SENDERS[t]]
    team = rng.choices(*_choices(teams))[0]
    mode = "warm" if rng.random() < 0.6 else "cold"
    history.transfers += 1
    base = {"transfer": history.transfers, "team": team, "mode": mode}
    label, basket = TEAMS[team]
    takers = [r for r in history.receivers.get(team, ()) if r != advisor.login] or list(DEFAULT_RECEIVERS[team])
    taker = rng.choice(takers)
    call.add(at, "transfer.prerequisites_checked", advisor.login, {**base, "ok": True, "items": [
        {"code": "customer_identified", "blocking": True, "done": True, "source": "trace"},
        {"code": "identity_checked", "blocking": True, "done": True, "source": "advisor"}]})
    call.add(at + 1, "transfer.requested", advisor.login, {
        **base, "team_label": label, "basket": basket, "proposed": team, "overridden": False, "journey": journey,
        "edited": False, "flags": [], "call_age_s": _s(at + 1 - call.offered)})
    asked = at + 1
    if mode == "warm":
        waited = rng.randint(5_000, 90_000)
        if rng.random() < 0.1:
            call.add(asked + waited, "transfer.declined", taker, {**base, "by": taker, "reason": rng.choice(DECLINES),
                                                                  "to_decline_s": _s(waited)})
            return asked + waited + rng.randint(20_000, 90_000)
        call.add(asked + waited, "transfer.acknowledged", taker, {**base, "by": taker, "to_ack_s": _s(waited)})
        taken, hangs_up, handling = asked + waited, asked + waited + rng.randint(10_000, 40_000), (120, 1800)
    else:
        waited = rng.randint(300_000, 7_200_000)
        taken, hangs_up, handling = asked + waited, asked + rng.randint(5_000, 30_000), (300, 3600)
        call.add(taken, "transfer.picked_up", taker, {**base, "by": taker, "to_pickup_s": _s(waited)})
    closed = taken + rng.randint(*handling) * 1000 + rng.randint(0, 999)
    outcome = rng.choices(*_choices(TRANSFER_OUTCOMES[team]))[0]
    call.add(closed, "transfer.closed", taker, {**base, "by": taker, "outcome": outcome,
                                                "outcome_label": OUTCOMES[outcome], "note": None,
                                                "to_resolve_s": _s(closed - asked), "handling_s": _s(closed - taken)})
    return hangs_up


# -- writing -----------------------------------------------------------------------------------------------
def write(engine: Engine, events_iter: Iterable[list[dict[str, Any]]], batch: int = 5000,
          progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Insert the calls' events, one transaction per ``batch`` events or so; (calls, events). ``progress(n)``
    after each transaction with the number of events it wrote.

    The rows get the column types' own conversions (what a Core insert does, without its per-row bookkeeping),
    so they are those the ORM would write, and go to the driver's ``executemany`` (PostgreSQL with psycopg:
    ``COPY``)."""
    table, dialect = TraceEvent.__table__, engine.dialect
    copy = dialect.name == "postgresql" and dialect.driver == "psycopg"
    compiled = insert(table).compile(dialect=dialect, column_keys=list(COLUMNS))
    positional = copy or compiled.positional
    keys = list(compiled.positiontup or ()) if positional and not copy else list(COLUMNS)
    convert = [(key, table.c[key].type.dialect_impl(dialect).bind_processor(dialect)) for key in keys]
    sql = f"COPY {table.name} ({', '.join(COLUMNS)}) FROM STDIN" if copy else compiled.string
    rows: list[Any] = []
    calls_written = events_written = 0
    with engine.connect() as connection:
        sqlite = dialect.name == "sqlite"
        if sqlite:  # the indexes of a large table in memory while it grows (this connection, this write only)
            cache = connection.exec_driver_sql("PRAGMA cache_size").scalar()
            connection.exec_driver_sql(f"PRAGMA cache_size={-SQLITE_CACHE_KIB}")
            connection.commit()
        try:
            for call in events_iter:
                for event in call:
                    values = [process(event[key]) if process else event[key] for key, process in convert]
                    rows.append(tuple(values) if positional else dict(zip(keys, values, strict=True)))
                calls_written += 1
                if len(rows) >= batch:
                    events_written += _insert(connection, sql, rows, copy, progress)
            events_written += _insert(connection, sql, rows, copy, progress)
        finally:
            if sqlite:
                connection.rollback()  # what a failed batch left open
                connection.exec_driver_sql(f"PRAGMA cache_size={int(cache)}")
                connection.commit()
    return calls_written, events_written


def _insert(connection: Connection, sql: str, rows: list[Any], copy: bool,
            progress: Callable[[int], None] | None) -> int:
    if not rows:
        return 0
    with connection.begin():
        if copy:
            with connection.connection.driver_connection.cursor() as cursor, cursor.copy(sql) as stream:
                for row in rows:
                    stream.write_row(row)
        else:
            connection.exec_driver_sql(sql, rows)
    count = len(rows)
    rows.clear()
    if progress is not None:
        progress(count)
    return count


# -- the demo's history (``copilot seed --activity DAYS``) ----------------------------------------------------
def seed_activity(engine: Engine, days: int, end: date | None = None,
                  progress: Callable[[int], None] | None = None, seed: int = 14) -> tuple[int, int]:
    """``days`` days of calls up to ``end`` (default yesterday, Paris, by the real clock as the traces are) for the
    seeded call-taking advisors and the activity advisors, from the customers of the CRM; (calls, events). Days
    already written by an earlier run are not written again. ``progress(1)`` after each day."""
    from crm_core.core.db import session_factory, transaction
    from steering.facts import today

    end = end or today() - timedelta(days=1)
    start = end - timedelta(days=days - 1)
    with transaction(session_factory(engine)) as session:
        extra = ensure_activity_advisors(session)
        staff = {login: profile for login, profile in session.execute(
            select(Advisor.login, Advisor.profile_code).where(Advisor.active.is_(True)))}
        customers = list(session.scalars(select(Customer.id).order_by(Customer.id)))
        numbers: dict[int, str] = {}
        for customer, number in session.execute(select(Line.customer_id, Line.number).order_by(Line.id)):
            numbers.setdefault(customer, number)
        written = session.execute(select(func.min(TraceEvent.occurred_at), func.max(TraceEvent.occurred_at))
                                  .where(TraceEvent.name == "call.offered",
                                         TraceEvent.call_id.like(f"{CALL_ID_PREFIX}%"))).one()
    advisors = [a for a in [*DEMO_CALL_TAKERS, *extra] if a in staff]
    receivers = {"n2": [a for a in advisors if staff[a] == "n2_technical"],
                 "recouvrement": [a for a in advisors if staff[a] == "collection"],
                 "reclamations": sorted(a for a, p in staff.items() if p == "supervisor")}
    spans = [(start, end)]
    if written[0] is not None:  # an earlier run wrote [first, last]: only the days before and after
        first, last = (_paris_day(w) for w in written)
        spans = [(start, min(end, first - timedelta(days=1))), (max(start, last + timedelta(days=1)), end)]
    told = total_calls = total_events = 0

    def tell(count: int) -> None:
        nonlocal told
        told += count
        if progress is not None and count:
            progress(count)

    def stream(low: date, count: int) -> Iterator[list[dict[str, Any]]]:
        current = low
        for call in calls(advisors, low, count, customers=customers, seed=seed, numbers=numbers, profiles=staff,
                          receivers=receivers):
            day = _paris_day(call[0]["occurred_at"])
            tell((day - current).days)  # the days before this call's are written (or about to be)
            current = day
            yield call

    for low, high in spans:
        if low <= high:
            done = told
            calls_written, events_written = write(engine, stream(low, (high - low).days + 1))
            tell((high - low).days + 1 - (told - done))
            total_calls, total_events = total_calls + calls_written, total_events + events_written
    tell(days - told)  # the days an earlier run wrote
    return total_calls, total_events


def _paris_day(at: datetime) -> date:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(PARIS).date()
