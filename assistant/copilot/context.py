"""The customer's situation beside the words: the journeys of a call's reason re-ranked with what the CRM knows.

The NLU reads the caller's reason alone; for an identified caller the copilot also knows their open orders,
open events (complaint, move, scheduled termination, withdrawal, collection), lines and recent contacts
(issue 10: a customer awaiting the technician of a fibre order was told « Je deviens client »; Kévin, whose open
complaint is about roaming charges, « je conteste encore les frais de roaming » got « Je change d'offre »).

``read_situation`` reads that once per call (traced as a ``customer.read`` with ``view="context"``); ``rerank``
applies a few readable rules, one function each, to the journeys' ranking (``nlu.journeys.journey_ranking``).
Each rule needs both a situation and words of the caller that point at it: an open complaint never turns a
breakdown into a complaint unless the caller speaks of that complaint. A rule gives its journey a share of the
other journeys' confidence (``shift``): the journeys' total is unchanged (what the advisor-chat intents hold
stays theirs), so the confidences stay comparable with the NLU's and a ranking no rule touches stays as it was.
``contextual_parse`` puts the re-ranked journeys back in the parse, so ``nlu.journeys``' own rules (primary,
secondary journeys, doubt) apply to them unchanged. ``BOOST`` was chosen with ``nlu_eval/context_gain.py`` on half
of ``nlu_eval/context_cases.jsonl``; the other half measures it (docs/nlu-context.md).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.copilot.nlu_client import JourneyPrediction, prediction_from_parse
from crm_core.acts.catalogue import ACTS
from crm_core.core import clock
from crm_core.models import Account, CollectionCase, CustomerEvent, Interaction, Line, Order
from crm_core.services import fields, tracing
from crm_core.services.actor import Actor
from crm_core.services.view360 import SAME_REASON_STEMS
from crm_core.services.view360 import _stems as reason_stems
from crm_core.text import fold
from nlu.journeys import CLAUSES, FIRST_REQUEST, JOURNEY_CODES, journey_ranking

Ranking = list[tuple[str, float]]

# -- what is read -----------------------------------------------------------------------------------------------
RECENT_DAYS = 30  # a contact older than this is not what the caller comes back about
RECENT_CONTACTS = 5
# The 360° fields the read covers (the trace names them, as every read of customer data does).
FIELDS_READ = ("lines", "offers_options", "orders", "ongoing_events", "collection", "collection_events", "history")


@dataclass(frozen=True)
class OpenOrder:
    number: str
    kind: str  # « Commande Box Fibre »
    pending: tuple[str, ...]  # the labels of the steps still to come


@dataclass(frozen=True)
class OpenEvent:
    kind: str  # complaint | move | scheduled_termination | withdrawal | collection | death | escalation
    summary: str


@dataclass(frozen=True)
class RecentContact:
    topic: str  # general | billing | collection | support
    summary: str


@dataclass(frozen=True)
class Situation:
    """What the CRM knows of an identified caller that may say why they call."""

    customer_id: int
    universes: frozenset[str] = frozenset()  # what their lines are: mobile, fixed (a convergent offer is both)
    suspended: bool = False  # one of their lines is suspended
    orders: tuple[OpenOrder, ...] = ()
    events: tuple[OpenEvent, ...] = ()
    in_collection: bool = False  # an open collection case on one of their accounts
    contacts: tuple[RecentContact, ...] = ()  # the last contacts of the past RECENT_DAYS, newest first

    def open(self, kind: str) -> list[OpenEvent]:
        return [e for e in self.events if e.kind == kind]


def read_situation(session: Session, customer_id: int, actor: Actor, today: date | None = None) -> Situation:
    """The customer's situation, in a handful of queries; the read is traced (``customer.read``, view context)."""
    today = today or clock.today()
    lines = list(session.scalars(select(Line).where(Line.customer_id == customer_id, Line.status != "terminated")))
    universes = {li.kind for li in lines} | ({"mobile", "fixed"} if any(li.offer.universe == "convergent"
                                                                          for li in lines) else set())
    orders = session.scalars(select(Order).where(Order.customer_id == customer_id, Order.status == "in_progress")
                             .order_by(Order.placed_on.desc()))
    events = session.scalars(select(CustomerEvent).where(CustomerEvent.customer_id == customer_id,
                                                         CustomerEvent.status == "open")
                             .order_by(CustomerEvent.opened_on))
    accounts = select(Account.id).where(Account.customer_id == customer_id)
    collection = session.scalar(select(CollectionCase.id).where(CollectionCase.account_id.in_(accounts),
                                                                CollectionCase.status == "open").limit(1))
    contacts = session.scalars(select(Interaction).where(Interaction.customer_id == customer_id)
                               .order_by(Interaction.occurred_at.desc()).limit(RECENT_CONTACTS))
    situation = Situation(
        customer_id=customer_id,
        universes=frozenset(universes),
        suspended=any(li.status == "suspended" for li in lines),
        orders=tuple(OpenOrder(o.number, o.kind, tuple(s.label for s in o.steps if s.status != "done"))
                     for o in orders),
        events=tuple(OpenEvent(e.kind, e.summary) for e in events),
        in_collection=collection is not None,
        contacts=tuple(RecentContact(i.topic, i.summary) for i in contacts
                       if (today - i.occurred_at.date()).days <= RECENT_DAYS),
    )
    tracing.record(session, "customer.read", actor, customer_id=customer_id, view="context",
                   fields=list(FIELDS_READ), sensitive=[f for f in FIELDS_READ if f in fields.SENSITIVE])
    return situation


# -- the caller's words -----------------------------------------------------------------------------------------
# Cues are folded (no case, no accents) word beginnings, or several words (« nouvelle ligne »).
NEW_LINE = ("nouvelle ligne", "deuxieme ligne", "seconde ligne", "ligne supplementaire", "ligne en plus",
            "autre ligne", "ouvrir une ligne", "pour ma fille", "pour mon fils", "pour ma femme", "pour mon mari",
            "pour ma mere", "pour mon pere", "en plus de mon", "en plus de ma")
UNIVERSE = {"fixed": ("box", "internet", "fibre", "adsl", "fixe", "la tele", "television", "decodeur"),
            "mobile": ("portable", "mobile", "carte sim", "smartphone", "data", "gigas")}  # not « tele »: téléphone
ORDER = ("command", "livr", "colis", "technicien", "rendez vous", "rdv", "install", "raccord", "expedi", "suivi")
FAULT = ("panne", "marche plus", "marche pas", "fonctionne plus", "coupe", "capte", "plus de reseau",
         "plus d internet", "plus de connexion", "pas de service", "voyant", "ecran noir", "lent")
GRIEVANCE = ("inadmissible", "inacceptable", "scandal", "honte", "geste", "dedommag", "indemn", "compens",
             "reclam", "plainte", "mediateur")
CANCEL = ("annul", "retract", "renvoy", "retourn", "desist")
COMPLAINT = ("reclam", "plainte", "contest", "litige", "dossier", "dedommag", "geste", "indemn")
PERSISTENCE = ("encore", "toujours", "a nouveau", "de nouveau", "rappel", "troisieme fois", "deuxieme fois",
               "deja", "ou en est", "pas de nouvelles", "aucune nouvelle", "pas eu de reponse", "relance", "suite a",
               "suite au", "comme convenu")
MOVE = ("demenag", "emmenag", "nouvel appart", "nouvelle adresse", "nouveau logement", "nouvelle maison",
        "transfer", "changer d adresse", "changement d adresse")  # not « adresse » alone: « mon adresse mail »
TERMINATION = ("resili", "arret", "date de fin", "fin du mois", "fin de mon contrat", "partir chez", "pars chez",
               "rio", "portabilite", "autre operateur")
WITHDRAWAL = ("renvoy", "retour", "rembours", "retract", "colis", "etiquette", "annul", "desist")
PAYMENT = ("relance", "courrier", "lettre", "dette", "dois", "doit", "devo", "argent", "payer", "paie", "paye",
           "regl", "impaye", "echeanc", "etaler", "plusieurs fois", "montant", "factur", "combien", "huissier",
           "recouvr", "retabl")
ACCOUNT = ("adresse", "mail", "coordonnees", "mot de passe", "titulaire", "espace client")  # their details
# Stems too common to tie the caller's words to a summary (« demande », « ligne », the months of its dates).
COMMON_STEMS = frozenset({"demand", "depuis", "encore", "toujou", "votre", "quand", "parce", "comme", "apres",
                          "avant", "aussi", "alors", "bonjo", "voudra", "voulai", "savoir", "merci", "client",
                          "ligne", "appel", "mobile", "forfai", "janvie", "fevrie", "avril", "juille", "septem",
                          "octobr", "novemb", "decemb"})
PUNCTUATION = re.compile(r"[^\w' -]")


class Words:
    """A caller's reason, folded, to look cues and stems up in."""

    def __init__(self, text: str) -> None:
        self.folded = " " + " ".join(re.findall(r"[a-z0-9]+", fold(text))) + " "
        self.words = self.folded.split()
        self.stems = stems(text)

    def say(self, cues: tuple[str, ...]) -> bool:
        return any((" " + cue + " ") in self.folded if " " in cue else any(w.startswith(cue) for w in self.words)
                   for cue in cues)

    def share(self, text: str) -> int:
        """How many stems of ``text`` (a summary, an order) the caller's words share."""
        return len(self.stems & stems(text))


def stems(text: str) -> set[str]:
    """The word stems two reasons are compared on (those of the 360° view's same-reason test), common ones out."""
    return reason_stems(PUNCTUATION.sub(" ", text)) - COMMON_STEMS


# -- the rules --------------------------------------------------------------------------------------------------
# The share of the other journeys' confidence a rule gives its journey. Chosen on the odd ids of
# nlu_eval/context_cases.jsonl (``nlu_eval/context_gain.py --tune``): 0.4 to 1.0 all do best there, 0.3 misses
# Kévin's « je conteste encore les frais de roaming »; the middle of that range is kept (docs/nlu-context.md).
BOOST = 0.7
Rule = Callable[[dict[str, float], Situation, Words, float], str | None]


def shift(scores: dict[str, float], target: str, share: float) -> None:
    """Give ``target`` ``share`` of every other journey's confidence (the total stays the same)."""
    share = min(max(share, 0.0), 1.0)
    moved = 0.0
    for name in scores:
        if name != target:
            moved += scores[name] * share
            scores[name] *= 1 - share
    scores[target] = scores.get(target, 0.0) + moved


def order_journey(situation: Situation) -> str:
    """The journey of following an open order: an existing customer's order is a change of offer or equipment,
    unless it belongs to a move under way (the box for the new home, docs/nlu-labelling.md)."""
    return "move" if situation.open("move") else "change_offer"


def _mentions_order(situation: Situation, words: Words) -> bool:
    return bool(situation.orders) and (words.say(ORDER) or any(
        words.share(" ".join((o.kind, *o.pending))) for o in situation.orders))


def not_new_customer(scores: dict[str, float], situation: Situation, words: Words, boost: float) -> str | None:
    """An identified customer is not « becoming a customer », unless they ask for a new line, or for a service
    they do not have yet (a box for a mobile-only customer): become_customer's confidence goes to the journey of
    their open order if they speak of it, else to a change of offer (what an existing customer asking about
    offers wants)."""
    if not scores or max(scores, key=scores.__getitem__) != "become_customer" or words.say(NEW_LINE):
        return None
    if any(words.say(cues) for universe, cues in UNIVERSE.items() if universe not in situation.universes):
        return None
    target = order_journey(situation) if _mentions_order(situation, words) else "change_offer"
    scores[target] = scores.get(target, 0.0) + scores["become_customer"]
    scores["become_customer"] = 0.0
    return "not_new_customer"


def open_complaint(scores: dict[str, float], situation: Situation, words: Words, boost: float) -> str | None:
    """An open complaint the caller speaks of (two words of its summary, « réclamation », « contestation »; one
    word is enough with « encore », « toujours », « je rappelle ») is what they call about."""
    complaints = situation.open("complaint")
    if not complaints:
        return None
    shared = max(words.share(c.summary) for c in complaints)
    if not (shared >= SAME_REASON_STEMS or words.say(COMPLAINT) or (shared and words.say(PERSISTENCE))):
        return None
    shift(scores, "complaint", boost)
    return "open_complaint"


def open_order(scores: dict[str, float], situation: Situation, words: Words, boost: float) -> str | None:
    """An open order the caller speaks of (« commande », « livraison », « technicien », « colis », its steps):
    they follow it, unless they want it cancelled (withdraw), complain about it or report a fault."""
    if not _mentions_order(situation, words) or words.say(CANCEL) or words.say(GRIEVANCE) or words.say(FAULT):
        return None
    shift(scores, order_journey(situation), boost)
    return "open_order"


def _event_rule(kind: str, journey: str, cues: tuple[str, ...], name: str) -> Rule:
    """An open event of ``kind`` the caller speaks of (``cues`` or a word of its summary) boosts ``journey``;
    not when they report a fault (a fault after a move is a breakdown)."""

    def rule(scores: dict[str, float], situation: Situation, words: Words, boost: float) -> str | None:
        events = situation.open(kind)
        if not events or words.say(FAULT) or not (words.say(cues) or any(words.share(e.summary) for e in events)):
            return None
        shift(scores, journey, boost)
        return name

    rule.__name__ = name
    rule.__doc__ = f"An open {kind} event the caller speaks of boosts {journey}."
    return rule


open_move = _event_rule("move", "move", MOVE, "open_move")
scheduled_termination = _event_rule("scheduled_termination", "terminate", TERMINATION, "scheduled_termination")
open_withdrawal = _event_rule("withdrawal", "withdraw", WITHDRAWAL, "open_withdrawal")


def in_collection(scores: dict[str, float], situation: Situation, words: Words, boost: float) -> str | None:
    """An open collection case: what the caller says of letters, debts and paying is about it, and so is a
    « fault » of a line suspended for it; not a change of their details (where the letters go)."""
    summaries = [e.summary for e in situation.open("collection")]
    if not (situation.in_collection or summaries) or words.say(ACCOUNT):
        return None
    if not (words.say(PAYMENT) or any(words.share(s) for s in summaries)
            or (situation.suspended and words.say(FAULT))):
        return None
    shift(scores, "billing_payment", boost)
    return "in_collection"


CONTACT_JOURNEYS = {"support": "breakdown", "billing": "billing_payment", "collection": "billing_payment"}


def recent_contact(scores: dict[str, float], situation: Situation, words: Words, boost: float) -> str | None:
    """A caller coming back (« je vous rappelle », « toujours ») about a recent contact of theirs (a word of its
    summary): that contact's journey (support: breakdown; billing, collection: billing_payment)."""
    if not words.say(PERSISTENCE):
        return None
    for contact in situation.contacts:
        journey = CONTACT_JOURNEYS.get(contact.topic)
        if journey and words.share(contact.summary):
            shift(scores, journey, boost)
            return "recent_contact"
    return None


# In this order: the customer's being known first, then what is open, the order last.
RULES: tuple[Rule, ...] = (not_new_customer, open_complaint, scheduled_termination, open_withdrawal, in_collection,
                           open_move, recent_contact, open_order)


def rerank(ranking: Ranking, situation: Situation, text: str, boost: float = BOOST) -> tuple[Ranking, list[str]]:
    """The journeys re-ranked by the rules that apply (best first, same total confidence), and those rules."""
    scores = dict(ranking)
    words = Words(text)
    fired = [name for rule in RULES if (name := rule(scores, situation, words, boost))]
    if not fired:
        return list(ranking), []
    return sorted(scores.items(), key=lambda x: x[1], reverse=True), fired


def contextual_parse(parse: dict[str, Any], situation: Situation,
                     boost: float = BOOST) -> tuple[dict[str, Any], list[str]]:
    """The parse with its journeys re-ranked (the advisor-chat intents as they were), and the rules applied.

    When the caller cannot be becoming a customer, neither can one of their clauses (``nlu.journeys``' first-request
    and secondary rules read them): a clause's « become_customer » takes the best journey left."""
    reranked, fired = rerank(journey_ranking(parse), situation, parse.get("text") or "", boost)
    if not fired:
        return parse, []
    others = [r for r in parse.get("intent_ranking") or [] if r.get("name") not in JOURNEY_CODES]
    ranking = sorted([{"name": n, "confidence": c} for n, c in reranked] + others, key=lambda r: -r["confidence"])
    new = {**parse, "intent_ranking": ranking}
    if "not_new_customer" in fired:
        instead = next(n for n, _ in reranked)
        for key in (CLAUSES, FIRST_REQUEST):
            value = parse.get(key)
            if isinstance(value, dict):
                new[key] = _renamed(value, instead)
            elif isinstance(value, list):
                new[key] = [_renamed(c, instead) for c in value]
    return new, fired


def _renamed(clause: dict[str, Any], instead: str) -> dict[str, Any]:
    return {**clause, "name": instead} if clause.get("name") == "become_customer" else clause


# -- in the call session ----------------------------------------------------------------------------------------
async def classify(rasa: Any, text: str) -> tuple[JourneyPrediction, dict[str, Any] | None]:
    """The NLU's prediction and the parse it came from (none from a client that classifies some other way)."""
    prediction = await rasa.classify(text)
    return prediction, prediction.parse


def contextual(prediction: JourneyPrediction | None, parse: dict[str, Any] | None, situation: Situation | None,
               customer_id: int | None) -> tuple[JourneyPrediction | None, list[str]]:
    """The prediction the pop shows for the identified customer ``customer_id``, and the rules that made it;
    the NLU's own prediction when there is no parse, no situation of that customer, or no rule applies."""
    if prediction is None or parse is None or situation is None or situation.customer_id != customer_id:
        return prediction, []
    new, fired = contextual_parse(parse, situation)
    return (prediction_from_parse(new), fired) if fired else (prediction, [])


# The 360° field each rule rests on: the pop's trace (``screen_pop.sent``, shown to whoever may see the
# caller's number) names a rule only when anyone may see its field; the others are « restricted ».
RULE_FIELDS = {"not_new_customer": "lines", "open_complaint": "ongoing_events", "open_order": "orders",
               "open_move": "ongoing_events", "scheduled_termination": "ongoing_events",
               "open_withdrawal": "ongoing_events", "in_collection": "collection", "recent_contact": "history"}
RESTRICTED = "restricted"


def for_trace(fired: list[str]) -> list[str]:
    """The rules as the pop's trace records them: those resting on a restricted field (collection) unnamed."""
    return [RESTRICTED if RULE_FIELDS.get(rule) in fields.SENSITIVE else rule for rule in fired]


FOLLOW_ORDER = "follow_order"


def acts_in_context(acts: list[dict[str, Any]], fired: list[str], journey: str | None) -> list[dict[str, Any]]:
    """The pop's acts: following the order first when the caller speaks of their open order."""
    if "open_order" not in fired:
        return acts
    spec = ACTS[FOLLOW_ORDER]
    follow = next((a for a in acts if a["code"] == FOLLOW_ORDER),
                  {"code": spec.code, "label": spec.label, "writes": spec.writes, "journey": journey})
    return [follow, *(a for a in acts if a["code"] != FOLLOW_ORDER)]
