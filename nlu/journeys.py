"""The journey codes (the NLU's labels) and how a Rasa parse becomes a primary and secondary journeys.

Pure Python: used by the copilot service (app runtime) and by the evaluation (Rasa runtime) alike.
"""

from typing import Any

from crm_core.acts.catalogue import JOURNEY_CODES  # the one catalogue of journeys and acts

__all__ = ["JOURNEY_CODES", "journey_ranking", "nothing_said", "primary_and_secondary", "unsure"]
CLAUSES = "clauses"  # parse key: each clause of a multi-request utterance with its own best journey
# parse key: the request before an additive connector ("je veux changer de forfait | et puis…") with its best journey.
# The labelling guide makes the first request stated the primary one when two are asked for; the whole utterance's
# ranking cannot tell which came first. Chosen with nlu_eval/primary_rule.py: on held-out set A it corrects the
# primary journey of 6 of the 25 two-reason calls and changes no single-reason call; cross-validated on the
# training data it changes 11 of 2,769 predictions, as many right as wrong. Rules that trust any first clause
# (after "et je…", a full stop) were rejected there: they take context ("j'ai déménagé. depuis…") for the request.
FIRST_REQUEST = "first_request"
FIRST_REQUEST_MIN_CONFIDENCE = 0.5
# A secondary journey is the best journey of one of the caller's clauses ("je déménage | et en plus je veux la
# fibre") with at least this confidence on that clause. Chosen with nlu_eval/secondary_thresholds.py on held-out
# set A: against the runners-up of the whole utterance's ranking (the earlier rule), it shows more second reasons
# of two-reason calls and adds fewer spurious ones to single-reason calls. Re-swept with the sentence encoder:
# 0.3 to 0.6 show the same second reasons, 0.6 adds the fewest spurious ones (16 against 24 at 0.4; docs/nlu.md).
CLAUSE_MIN_CONFIDENCE = 0.6
MAX_SECONDARY = 2
# The pop says « Motif incertain » when the best journey is below this, or the two best are this close.
UNSURE_BELOW = 0.5
UNSURE_MARGIN = 0.1
SILENCE = "silence"  # what FrenchTranscriptTokenizer makes of an utterance with nothing in it


# Words that say nothing of why one calls: an utterance made only of them is no reason yet.
COURTESY = frozenset("""allo allô bonjour bonsoir salut oui non ouais ok okay d'accord dac madame monsieur mademoiselle
merci beaucoup voila voilà alors bah ben bon hein euh heu hum hmm attendez attends pardon excusez-moi excusez moi
je vous écoute ecoute écoute c'est moi au revoir s'il vous plait plaît svp""".split())


def nothing_said(text: str) -> bool:
    """Whether the (normalised) utterance holds no reason: nothing, or courtesy and fillers only."""
    words = text.replace(",", " ").replace(".", " ").replace("!", " ").replace("?", " ").split()
    return not words or text.strip() == SILENCE or all(w.lower() in COURTESY for w in words)


def journey_ranking(parse: dict[str, Any]) -> list[tuple[str, float]]:
    """Journeys of the parse's intent ranking, best first (advisor-chat intents are not journeys)."""
    ranking = parse.get("intent_ranking") or ([parse["intent"]] if parse.get("intent") else [])
    scored = [(r["name"], float(r.get("confidence") or 0.0)) for r in ranking if r.get("name") in JOURNEY_CODES]
    return sorted(scored, key=lambda x: x[1], reverse=True)


def primary_and_secondary(parse: dict[str, Any]) -> tuple[str | None, float, list[str]]:
    """(primary journey, its confidence, the other journeys the caller also seems to want).

    Nothing said yet (empty, fillers, emoji, greetings and politeness only: « bonjour », « allô oui ») is no
    journey at all, whatever the classifier says: the pop says the reason is still to come.
    """
    if nothing_said(parse.get("text") or ""):
        return None, 0.0, []
    ranking = journey_ranking(parse)
    if not ranking:
        return None, 0.0, []
    primary, confidence = ranking[0]
    if primary == "out_of_scope":
        return primary, confidence, []
    candidates = [c["name"] for c in sorted(parse.get(CLAUSES) or [], key=lambda c: -c["confidence"])
                  if c["confidence"] >= CLAUSE_MIN_CONFIDENCE]
    first = parse.get(FIRST_REQUEST)
    if (first and first["name"] in JOURNEY_CODES and first["name"] not in (primary, "out_of_scope")
            and first["confidence"] >= FIRST_REQUEST_MIN_CONFIDENCE):
        candidates.insert(0, primary)  # the whole utterance's best stays on screen, as a secondary journey
        primary, confidence = first["name"], first["confidence"]
    secondary: list[str] = []
    for name in candidates:
        if name not in (primary, "out_of_scope", *secondary):
            secondary.append(name)
    return primary, confidence, secondary[:MAX_SECONDARY]


def unsure(parse: dict[str, Any]) -> bool:
    """Whether the journeys' own ranking leaves the reason in doubt (the pop asks the advisor to confirm)."""
    ranking = journey_ranking(parse)
    if not ranking:
        return True
    runner_up = ranking[1][1] if len(ranking) > 1 else 0.0
    return ranking[0][1] < UNSURE_BELOW or ranking[0][1] - runner_up < UNSURE_MARGIN
