"""The routing file: the shipped one loads, routes each call as written, and a mistake stops the start with a
French error naming the line."""

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from crm_core.transfers import routing
from crm_core.transfers.routing import RoutingInvalid

SHIPPED = routing.DEFAULT_FILE.read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_shipped_file_routes_each_journey_as_written() -> None:
    r = routing.load()
    assert r.propose("breakdown", [], []).team == "n2"
    assert r.propose("breakdown", [], []).blocking == ("customer_identified", "identity_checked", "line_diagnosed",
                                                       "box_restarted")
    assert r.propose("billing_payment", ["debt"], []).team == "recouvrement"
    assert r.propose("billing_payment", [], []).team == "reclamations"
    assert r.propose("complaint", ["unhappy"], []).team == "reclamations"
    assert r.propose(None, [], []).team == r.default_team == "n2"
    # the team an advisor picks keeps its own prerequisites: no way around them by choosing another team
    assert r.for_team("recouvrement", "breakdown", [], []).blocking == ("customer_identified", "identity_checked")
    assert r.team_code("n2") == "n2" and r.team_code("RECOUVREMENT") == "recouvrement" and r.team_code("x") is None
    assert r.senders_teams("n2_technical") == [] and "n2" in r.receivers_teams("n2_technical")
    assert r.facts_for("breakdown")[:2] == ("identity", "phones") and r.facts_for("withdraw") != r.facts["default"]


@pytest.mark.parametrize(("change", "needle", "says"), [
    (("to: reclamations", "to: reclamation"), "to: reclamation", "équipe inconnu(e) « reclamation »"),
    (("[redemarrage]", "[redemarage]"), "[redemarage]", "étape de script inconnu(e) « redemarage »"),
    (("journey: terminate", "journey: terminer"), "journey: terminer", "parcours inconnu(e) « terminer »"),
    (("receivers: [n2_technical, supervisor]", "receivers: [n2_tech, supervisor]"), "receivers: [n2_tech",
     "profil inconnu(e) « n2_tech »"),
    (("advised: [line_test, ticket_opened]", "advised: [line_tests, ticket_opened]"), "line_tests",
     "prérequis inconnu(e) « line_tests »"),
    (("    label: Support technique N2\n", "    label: Support technique N2\n    colour: blue\n"), "colour: blue",
     "teams.n2.colour — champ inconnu."),
    (("  usage_help: [identity, phones, lines, offers_options, equipment, support_history]",
      "  usage_help: [identity, phone]"), "usage_help: [identity, phone]", "champ 360° inconnu(e) « phone »"),
])
def test_a_mistake_names_its_line_in_french(change: tuple[str, str], needle: str, says: str) -> None:
    text = SHIPPED.replace(*change, 1)
    assert text != SHIPPED
    with pytest.raises(RoutingInvalid) as raised:
        routing.parse(text, "transferts.yml")
    assert str(raised.value).startswith(f"transferts.yml, ligne {line_of(text, needle)} : "), str(raised.value)
    assert says in str(raised.value)


def test_a_file_that_is_not_yaml_or_not_there_says_so(tmp_path: Path) -> None:
    with pytest.raises(RoutingInvalid, match=r"^x.yml, ligne 3 : YAML invalide"):
        routing.parse("teams:\n  n2: [a\n  b: c\n", "x.yml")
    with pytest.raises(RoutingInvalid, match="illisible"):
        routing.load(tmp_path / "absent.yml")


def test_the_baskets_are_checked_against_the_crm(sqlite_sessions: sessionmaker[Session]) -> None:
    with sqlite_sessions() as s:
        routing.check_baskets(routing.load(), s)
        broken = routing.parse(SHIPPED.replace("basket: N2-TECH", "basket: N3-TECH"))
        with pytest.raises(RoutingInvalid, match="la corbeille « N3-TECH » de l'équipe « n2 » n'existe pas"):
            routing.check_baskets(broken, s)


def test_the_app_does_not_start_on_a_wrong_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.copilot.app import create_app
    from assistant.copilot.settings import CopilotSettings

    wrong = tmp_path / "routing.yml"
    wrong.write_text(SHIPPED.replace("default_team: n2", "default_team: n9"), encoding="utf-8")
    with pytest.raises(RoutingInvalid, match=rf"ligne {line_of(SHIPPED, 'default_team: n2')} : équipe inconnu"):
        create_app(CopilotSettings(transfer_routing=wrong))
    monkeypatch.setenv("COPILOT_TRANSFER_ROUTING", str(wrong))
    with pytest.raises(RoutingInvalid):
        create_app(CopilotSettings())
