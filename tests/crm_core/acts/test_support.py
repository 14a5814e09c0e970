"""Journeys "breakdown" and "usage_help": the diagnosis of a line, tickets, technicians, exchanges, scripts."""

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.acts import scripts
from crm_core.acts.base import ActRefused
from crm_core.models import Appointment, HardwareTest, Interaction, Order, Ticket
from crm_core.services.habilitations import NotAllowed
from crm_core.services.validation import ValidationFailed
from tests.crm_core.acts.conftest import Acts, traces

CAMILLE, JEAN_PIERRE, SOPHIE = 1, 2, 3
CAMILLE_MOBILE, CAMILLE_BOX = 1, 2
BOX, GALAXY, JP_ADSL_BOX = 1, 2, 3
FIRST_SLOT = "2026-12-02T08:00"  # tomorrow morning: today is pinned to 01/12/2026


def _count(sessions: sessionmaker[Session], model: type, *where: object) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def _visit(day: date, **row: object) -> Appointment:
    """A morning visit on that day."""
    return Appointment(kind="repair", starts_at=datetime.combine(day, time(8), UTC),
                       ends_at=datetime.combine(day, time(12), UTC), **row)


def _tickets(sessions: sessionmaker[Session], line: int) -> list[Ticket]:
    with sessions() as s:
        return list(s.scalars(select(Ticket).where(Ticket.line_id == line).order_by(Ticket.id)))


# -- diagnosis ------------------------------------------------------------------------------------------
def test_camille_s_box_diagnosis_tells_what_was_tried_and_the_shop_test(acts: Acts) -> None:
    out = acts().preview("diagnose_line", CAMILLE, {"line": str(CAMILLE_BOX)})
    assert "test en boutique réussi le 14/10/2026" in out["summary"]
    assert "redémarrage et changement de canal" in out["summary"]
    # no ticket yet: the last support contact is where it stopped
    assert "Reprendre à : Box testée en boutique : matériel conforme (boutique, 14/10/2026)" in out["summary"]
    [box] = out["facts"]["equipment"]
    assert (box["model"], box["ownership"], box["firmware"]) == ("Box Fibre 2G", "rented", "4.2.7")
    assert box["warranty_end"] == "2028-09-01" and box["under_warranty"] is True
    assert box["tests"] == [{"on": "2026-10-14", "shop": "LYON-PARTDIEU", "result": "pass"}]
    # the support contacts about the box, not the billing e-mail of November
    assert [c["on"] for c in out["facts"]["contacts"]] == ["2026-10-12", "2026-10-14"]
    assert any("14/10/2026" in w and "conforme" in w for w in out["warnings"])
    assert {"label": "Garantie", "value": "Box Fibre 2G : panne et casse accidentelle jusqu'au 01/09/2028 "
                                          "(en cours) — matériel loué : échange couvert"} in out["details"]


def test_the_mobile_line_s_diagnosis_shows_its_own_equipment_only(acts: Acts) -> None:
    out = acts().preview("diagnose_line", CAMILLE, {"line": str(CAMILLE_MOBILE)})
    [phone] = out["facts"]["equipment"]
    assert phone["model"] == "Galaxy S24" and phone["under_warranty"] is False
    assert "garantie expirée depuis le 15/03/2026" in out["summary"]
    assert out["facts"]["contacts"] == [] and out["facts"]["resume_at"] is None  # the box's contacts are not here
    assert "Aucun contact SAV précédent." in out["summary"]


def test_the_line_the_caller_speaks_of_comes_before_the_line_he_calls_from(acts: Acts) -> None:
    service = acts()
    calling = {"caller_number": "+33712345678"}  # Camille's mobile
    assert service.open("diagnose_line", CAMILLE, calling)["params"][0]["value"] == str(CAMILLE_MOBILE)
    about_the_box = {**calling, "entities": [{"entity": "equipment", "value": "box"}]}
    assert service.open("diagnose_line", CAMILLE, about_the_box)["params"][0]["value"] == str(CAMILLE_BOX)


# -- tickets --------------------------------------------------------------------------------------------
def test_a_ticket_is_opened_then_completed_not_duplicated(acts: Acts, sessions: sessionmaker[Session]) -> None:
    service = acts()
    first = {"line": str(CAMILLE_BOX), "summary": "Le wifi coupe encore tous les soirs vers 21 h"}
    preview = service.preview("open_ticket", CAMILLE, first)
    assert preview["summary"].startswith("Nouveau ticket « Je suis en panne »")
    assert _tickets(sessions, CAMILLE_BOX) == []  # a preview writes nothing
    done = service.execute("open_ticket", CAMILLE, first)
    [ticket] = _tickets(sessions, CAMILLE_BOX)
    assert done["facts"]["ref"] == {"ticket": ticket.id}
    assert (ticket.journey, ticket.status, ticket.equipment_id) == ("breakdown", "open", BOX)
    assert ticket.summary == first["summary"] and ticket.opened_on == date(2026, 12, 1)

    again = {"line": str(CAMILLE_BOX), "summary": "La box redémarre seule"}
    preview = service.preview("open_ticket", CAMILLE, again)
    assert f"ticket n° {ticket.id}" in preview["summary"] and "complété" in preview["summary"]
    service.execute("open_ticket", CAMILLE, again)
    [ticket] = _tickets(sessions, CAMILLE_BOX)
    assert ticket.summary == f"{first['summary']}\n01/12/2026 : La box redémarre seule"
    assert ticket.last_step == "Constat du 01/12/2026 : La box redémarre seule"
    with sessions() as s:
        written = s.scalars(select(Interaction).where(Interaction.customer_id == CAMILLE,
                                                      Interaction.summary.startswith("Ticket n°"))).all()
        assert [(i.topic, i.equipment_id, i.advisor_login) for i in written] == [("support", BOX, "n1.demo")] * 2

    out = service.preview("diagnose_line", CAMILLE, {"line": str(CAMILLE_BOX)})
    assert out["facts"]["resume_at"].startswith("Constat du 01/12/2026 : La box redémarre seule")


def test_a_usage_help_ticket_keeps_its_journey(acts: Acts, sessions: sessionmaker[Session]) -> None:
    acts().execute("open_ticket", SOPHIE, {"line": "5", "summary": "Ne sait pas écouter ses messages",
                                           "journey": "usage_help"})
    [ticket] = _tickets(sessions, 5)
    assert ticket.journey == "usage_help" and ticket.equipment_id is None  # no equipment on her line


def test_a_profile_without_the_support_act_cannot_open_a_ticket(acts: Acts, sessions: sessionmaker[Session]) -> None:
    with pytest.raises(NotAllowed):
        acts("collection").execute("open_ticket", CAMILLE, {"line": str(CAMILLE_BOX), "summary": "Panne"})
    assert _tickets(sessions, CAMILLE_BOX) == []


# -- technician -----------------------------------------------------------------------------------------
def test_a_technician_is_booked_on_a_free_slot_with_the_open_ticket(acts: Acts,
                                                                     sessions: sessionmaker[Session]) -> None:
    service = acts()
    service.execute("open_ticket", CAMILLE, {"line": str(CAMILLE_BOX), "summary": "Plus de synchro fibre"})
    [ticket] = _tickets(sessions, CAMILLE_BOX)
    form = service.open("book_technician", CAMILLE, {})
    slot = next(p for p in form["params"] if p["name"] == "slot")
    assert slot["choices"][0] == {"value": FIRST_SLOT, "label": "mercredi 02/12/2026 8 h – 12 h"}

    done = service.execute("book_technician", CAMILLE, {"line": str(CAMILLE_BOX), "slot": FIRST_SLOT})
    assert "mercredi 02/12/2026 8 h – 12 h" in done["summary"] and f"ticket n° {ticket.id}" in done["summary"]
    with sessions() as s:
        visit = s.get(Appointment, done["facts"]["ref"]["appointment"])
        assert (visit.kind, visit.ticket_id, visit.line_id, visit.postcode) == ("repair", ticket.id, CAMILLE_BOX,
                                                                                "69003")
        assert s.get(Ticket, ticket.id).last_step == "Rendez-vous technicien pris pour le " + done["facts"]["when"]

    with pytest.raises(ActRefused, match="déjà prévu pour la ligne 09 72 12 34 56 le mercredi 02/12/2026 8 h – 12 h"):
        service.execute("book_technician", CAMILLE, {"line": str(CAMILLE_BOX), "slot": "2026-12-03T08:00"})
    assert _count(sessions, Appointment, Appointment.line_id == CAMILLE_BOX) == 1
    [refusal] = traces(sessions, "act.refused")
    assert refusal["act"] == "book_technician" and "déjà prévu" in refusal["reason"]


def test_a_past_visit_does_not_block_a_new_one(acts: Acts, sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        s.add(_visit(date(2026, 11, 20), customer_id=CAMILLE, line_id=CAMILLE_BOX, postcode="69003"))
    acts().execute("book_technician", CAMILLE, {"line": str(CAMILLE_BOX), "slot": FIRST_SLOT})
    assert _count(sessions, Appointment, Appointment.line_id == CAMILLE_BOX) == 2


def test_a_full_slot_is_refused_by_name(acts: Acts, sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:  # two visits already in the Rhône that morning: the slot is full
        for _ in range(2):
            s.add(_visit(date(2026, 12, 2), customer_id=JEAN_PIERRE, postcode="69001"))
    service = acts()
    slot = next(p for p in service.open("book_technician", CAMILLE, {})["params"] if p["name"] == "slot")
    assert FIRST_SLOT not in {c["value"] for c in slot["choices"]}
    with pytest.raises(ValidationFailed, match="Le créneau du mercredi 02/12/2026 8 h – 12 h n'est pas ou plus libre"):
        service.execute("book_technician", CAMILLE, {"line": str(CAMILLE_BOX), "slot": FIRST_SLOT})
    assert _count(sessions, Appointment, Appointment.customer_id == CAMILLE) == 0
    assert traces(sessions, "act.refused")[0]["error"] == "ValidationFailed"


def test_no_technician_for_a_mobile_line(acts: Acts, sessions: sessionmaker[Session]) -> None:
    with pytest.raises(ActRefused, match="ligne mobile : un technicien n'intervient que sur une ligne fixe"):
        acts().execute("book_technician", CAMILLE, {"line": str(CAMILLE_MOBILE), "slot": FIRST_SLOT})
    assert _count(sessions, Appointment, Appointment.customer_id == CAMILLE) == 0


# -- exchange -------------------------------------------------------------------------------------------
def test_the_rented_box_is_exchanged_with_an_order_of_two_steps(acts: Acts, sessions: sessionmaker[Session]) -> None:
    service = acts()
    done = service.execute("exchange_equipment", CAMILLE, {"equipment": str(BOX)})
    assert done["facts"]["covered_by"] == "rental"
    assert any("14/10/2026" in w for w in done["warnings"])  # an older shop test: only a warning
    with sessions() as s:
        order = s.get(Order, done["facts"]["ref"]["order"])
        assert (order.kind, order.channel, order.status, order.placed_on) == ("Échange Box Fibre 2G", "phone",
                                                                              "in_progress", date(2026, 12, 1))
        assert [(st.label, st.status, st.expected_on) for st in order.steps] == [
            ("Expédition du matériel de remplacement", "pending", date(2026, 12, 3)),
            ("Retour de l'ancien matériel", "pending", date(2026, 12, 18))]
        noted = s.scalar(select(Interaction).where(Interaction.kind == "after_sales",
                                                   Interaction.summary.contains(order.number)))
        assert (noted.topic, noted.equipment_id) == ("support", BOX)
    with pytest.raises(ActRefused, match=f"déjà en cours \\(commande {done['facts']['ref']['number']}"):
        service.execute("exchange_equipment", CAMILLE, {"equipment": str(BOX)})


def test_bought_equipment_out_of_warranty_is_not_exchanged(acts: Acts, sessions: sessionmaker[Session]) -> None:
    with pytest.raises(ActRefused, match="Galaxy S24 n'est plus sous garantie : garantie constructeur de 24 mois "
                                         "terminée le 15/03/2026"):
        acts().execute("exchange_equipment", CAMILLE, {"equipment": str(GALAXY)})
    assert _count(sessions, Order, Order.customer_id == CAMILLE) == 1  # the web order only
    assert _count(sessions, Interaction, Interaction.kind == "after_sales", Interaction.equipment_id == GALAXY) == 0
    [refusal] = traces(sessions, "act.refused")
    assert refusal["act"] == "exchange_equipment" and "15/03/2026" in refusal["reason"]


def test_a_rented_box_is_exchanged_even_years_after_its_warranty(acts: Acts) -> None:
    done = acts().execute("exchange_equipment", JEAN_PIERRE, {"equipment": str(JP_ADSL_BOX)})
    assert done["facts"]["covered_by"] == "rental" and done["facts"]["warranty_end"] == "2014-01-20"


def test_a_recent_shop_test_blocks_the_exchange_until_a_fault_is_reported(acts: Acts,
                                                                        sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        s.add(HardwareTest(equipment_id=BOX, tested_at=datetime(2026, 11, 20, 15, tzinfo=UTC),
                           shop_code="LYON-BELLECOUR", result="pass", details="conforme"))
    service = acts()
    with pytest.raises(ActRefused, match="testé\\(e\\) conforme en boutique le 20/11/2026 \\(LYON-BELLECOUR\\)"):
        service.execute("exchange_equipment", CAMILLE, {"equipment": str(BOX)})
    assert _count(sessions, Order, Order.kind == "Échange Box Fibre 2G") == 0
    service.execute("open_ticket", CAMILLE, {"line": str(CAMILLE_BOX), "summary": "Coupures malgré le test"})
    done = service.execute("exchange_equipment", CAMILLE, {"equipment": str(BOX)})
    assert any("20/11/2026" in w for w in done["warnings"])
    [ticket] = _tickets(sessions, CAMILLE_BOX)
    assert ticket.last_step == f"Échange du matériel lancé (commande {done['facts']['ref']['number']})"


def test_the_equipment_the_caller_names_is_prefilled(acts: Acts) -> None:
    said = {"entities": [{"entity": "equipment", "value": "galaxy"}]}
    assert acts().open("exchange_equipment", CAMILLE, said)["params"][0]["value"] == str(GALAXY)
    assert acts().open("exchange_equipment", CAMILLE, {})["params"][0]["value"] is None  # two: the advisor picks
    assert acts().open("exchange_equipment", JEAN_PIERRE, {})["params"][0]["value"] == str(JP_ADSL_BOX)


# -- guided scripts -------------------------------------------------------------------------------------
def test_every_script_is_complete_and_in_french() -> None:
    assert len(scripts.SCRIPTS) >= 5
    for script in scripts.SCRIPTS:
        assert script.journeys and set(script.journeys) <= {"breakdown", "usage_help"}
        assert script.line_kind in ("fixed", "mobile") and script.equipment in ("box", "decoder", "phone")
        assert len(script.steps) >= 3 and all(s.instruction and s.expected for s in script.steps)
    assert scripts.get("wifi_coupures").step("canal") is not None
    assert [s.code for s in scripts.for_line_kinds({"mobile"}, "usage_help")] == ["messagerie_vocale",
                                                                                  "mobile_pas_de_data"]


def test_the_scripts_offered_fit_the_customer_s_lines(acts: Acts) -> None:
    def offered(customer: int) -> set[str]:
        form = acts().open("run_script", customer, {})
        return {c["value"] for c in next(p for p in form["params"] if p["name"] == "script")["choices"]}

    assert offered(CAMILLE) == {s.code for s in scripts.SCRIPTS}  # a box and a mobile
    assert offered(SOPHIE) == {"messagerie_vocale", "mobile_pas_de_data"}  # a mobile only


def test_a_script_is_recorded_in_a_ticket_then_solved(acts: Acts, sessions: sessionmaker[Session]) -> None:
    service = acts()
    params = {"line": str(CAMILLE_BOX), "script": "wifi_coupures", "steps": ["canal", "redemarrage"]}
    preview = service.preview("run_script", CAMILLE, params)
    assert [s for s in preview["facts"]["steps"] if s["done"]] == [{"id": "redemarrage", "done": True},
                                                                   {"id": "canal", "done": True}]
    assert preview["details"][0]["label"] == "Étape 1 — à faire" and preview["details"][1]["label"] == "Étape 2 — faite"
    assert "Prochaine étape : Vérifier les voyants" in preview["warnings"][0]
    assert _tickets(sessions, CAMILLE_BOX) == []

    assert preview["summary"].endswith("non résolu — noté dans un nouveau ticket.")
    done = service.execute("run_script", CAMILLE, params)
    [ticket] = _tickets(sessions, CAMILLE_BOX)
    assert done["summary"] == f"Script « Coupures du wifi de la box » : 2/6 étapes faites, non résolu — noté dans le " \
                              f"ticket n° {ticket.id}."  # the ticket it went to, as the trace keeps it
    assert ticket.status == "open" and ticket.journey == "breakdown"
    assert ticket.scripts == [{"script": "wifi_coupures", "steps": ["redemarrage", "canal"], "solved": False,
                               "on": "2026-12-01", "by": "n1.demo"}]
    canal = scripts.get("wifi_coupures").step("canal")
    assert ticket.last_step == f"« Coupures du wifi de la box » : {canal.instruction}"

    again = {**params, "steps": ["bande_5ghz"], "solved": "oui"}
    preview = service.preview("run_script", CAMILLE, again)
    assert any("déjà été déroulé le 01/12/2026 par n1.demo" in w for w in preview["warnings"])
    service.execute("run_script", CAMILLE, again)
    [ticket] = _tickets(sessions, CAMILLE_BOX)  # the same ticket, both runs kept (the JSON list was replaced)
    assert [(e["steps"], e["solved"]) for e in ticket.scripts] == [(["redemarrage", "canal"], False),
                                                                    (["bande_5ghz"], True)]
    assert ticket.status == "resolved"
    out = service.preview("diagnose_line", CAMILLE, {"line": str(CAMILLE_BOX)})
    assert len(out["facts"]["scripts_tried"]) == 2
    tried = [d["value"] for d in out["details"] if d["label"] == "Script déjà tenté"]
    assert tried[0] == "« Coupures du wifi de la box » le 01/12/2026 par n1.demo : 2/6 étapes, non résolu"


def test_a_script_goes_into_the_ticket_already_open(acts: Acts, sessions: sessionmaker[Session]) -> None:
    service = acts()
    service.execute("open_ticket", SOPHIE, {"line": "5", "summary": "Pas de 4G depuis hier"})
    done = service.execute("run_script", SOPHIE, {"line": "5", "script": "mobile_pas_de_data",
                                                  "steps": ["donnees", "conso", "redemarrage", "apn", "itinerance",
                                                            "sim"]})
    assert any("Toutes les étapes sont faites sans succès" in w for w in done["warnings"])
    [ticket] = _tickets(sessions, 5)
    assert done["facts"]["ref"] == {"ticket": ticket.id} and len(ticket.scripts[0]["steps"]) == 6


def test_a_script_for_another_line_or_an_unknown_step_is_refused(acts: Acts, sessions: sessionmaker[Session]) -> None:
    with pytest.raises(ActRefused, match="concerne une ligne mobile : choisissez cette ligne"):
        acts().execute("run_script", CAMILLE, {"line": str(CAMILLE_BOX), "script": "mobile_pas_de_data",
                                               "steps": ["donnees"]})
    with pytest.raises(ActRefused, match="Étape inconnue pour le script « Coupures du wifi de la box » : apn"):
        acts().execute("run_script", CAMILLE, {"line": str(CAMILLE_BOX), "script": "wifi_coupures",
                                               "steps": ["canal", "apn"]})
    with pytest.raises(ValidationFailed):  # a script that is not in the catalogue
        acts().execute("run_script", CAMILLE, {"line": str(CAMILLE_BOX), "script": "formater_le_disque",
                                               "steps": ["canal"]})
    assert _tickets(sessions, CAMILLE_BOX) == [] and _tickets(sessions, CAMILLE_MOBILE) == []
    assert [t["act"] for t in traces(sessions, "act.refused")] == ["run_script"] * 3


def test_the_open_ticket_and_the_coming_visit_show_in_the_360(acts: Acts, sessions: sessionmaker[Session]) -> None:
    from crm_core.services.customers import CustomerService
    from tests.factories import advisor

    acts().execute("open_ticket", CAMILLE, {"line": str(CAMILLE_BOX), "summary": "Plus d'internet depuis hier soir"})
    acts().execute("book_technician", CAMILLE, {"line": str(CAMILLE_BOX), "slot": FIRST_SLOT})
    with sessions() as s:
        view = CustomerService(s, advisor("n2_technical")).view360(CAMILLE)
    events = next(f for b in view["blocks"] for f in b["fields"] if f["name"] == "ongoing_events")
    shown = " ".join(events["display"])
    assert "Plus d'internet depuis hier soir" in shown and "Ticket n°" in shown
    assert "Rendez-vous technicien (dépannage) : mercredi 02/12/2026 8 h – 12 h" in shown
    assert {v["kind"] for v in events["value"]} >= {"ticket", "appointment"}
