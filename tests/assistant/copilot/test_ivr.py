"""The IVR menu as a prior on the call's journey: the shipped file, the prior beside a reason or alone, a
mistake in the file named with its line, and a call whose caller pressed a key."""

import re

import pytest
from sqlalchemy.orm import Session, sessionmaker

from assistant.copilot import ivr
from assistant.copilot.nlu_client import prediction_from_parse
from assistant.copilot.panel_hub import PanelHub
from crm_core.core import config_file
from crm_core.core.config_file import ConfigInvalid
from tests.assistant.copilot.test_sessions import N1, FakeRasa, _next_pop, manager_for, v2

MENU = ivr.load()


def parse(*ranking: tuple[str, float]) -> dict[str, object]:
    return {"text": "…", "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking]}


def test_the_menus_choice_tips_an_unsure_reason_but_not_a_clear_one() -> None:
    unsure = parse(("move", 0.5), ("breakdown", 0.3), ("billing_payment", 0.2))
    shown, moved = MENU.apply(prediction_from_parse(unsure), unsure, "2")  # « une panne »
    assert moved and shown is not None and shown.journey == "breakdown"
    assert sum(r["confidence"] for r in shown.parse["intent_ranking"]) == pytest.approx(1.0)  # type: ignore[index]
    clear = parse(("move", 0.9), ("breakdown", 0.05), ("billing_payment", 0.05))
    shown, _ = MENU.apply(prediction_from_parse(clear), clear, "2")
    assert shown is not None and shown.journey == "move"  # the caller's words win
    same = prediction_from_parse(unsure)
    assert MENU.apply(same, unsure, "9") == (same, False)  # « une autre demande » says nothing
    assert MENU.apply(same, unsure, None) == (same, False)


def test_without_a_reason_the_menus_journey_is_shown_unsure() -> None:
    shown, moved = MENU.apply(None, None, "4")
    assert moved and shown is not None
    assert (shown.journey, shown.confidence, shown.unsure) == ("move", MENU.alone_confidence, True)
    assert shown.acts and shown.acts[0]["journey"] == "move"


@pytest.mark.parametrize(("change", "says"), [
    (('journey: breakdown}', 'journey: panne}'), "ligne 10 : parcours inconnu(e) « panne »"),
    (('"3": {label', '"3a": {label'), "ligne 11 : touche(s) invalide(s) « 3a »"),
    (("weight: 0.4", "weight: 4"), "ligne 6 : weight — valeur trop grande."),
])
def test_a_mistake_in_the_menu_names_its_line(change: tuple[str, str], says: str) -> None:
    text = ivr.DEFAULT_FILE.read_text(encoding="utf-8").replace(*change)
    with pytest.raises(ConfigInvalid, match=re.escape(says)):
        config_file.load(text, "ivr_menu.yml", ivr.IvrMenu, ivr._names)


async def test_a_caller_who_pressed_2_with_the_nlu_down_pops_a_breakdown_to_confirm(
        sqlite_sessions: sessionmaker[Session]) -> None:
    hub = PanelHub()
    sub = hub.subscribe("n1.demo", permissions=N1)
    manager = manager_for(sqlite_sessions, FakeRasa(down=True), hub, ivr_menu=MENU)
    try:
        await manager.handle(v2("offered", caller_number="0712345678", agent="n1.demo"))
        await manager.handle(v2("dtmf", digits="2"))
        await manager.handle(v2("transcript", transcript={"text": "oui bonjour c'est encore moi", "final": True}))
        await manager.handle(v2("answered"))
        pop = await _next_pop(sub, "c2")
        assert (pop["journey"], pop["low_confidence"], pop["nlu_status"]) == ("breakdown", True, "unavailable")
        assert "diagnose_line" in [a["code"] for a in pop["acts"]]
    finally:
        await manager.aclose()
