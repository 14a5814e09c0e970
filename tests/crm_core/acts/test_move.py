"""Journey "move": the new address checked by the catalogue filter, the box transfer and the technician's slot."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.acts.base import ActRefused
from crm_core.models import Appointment, Customer, CustomerEvent
from tests.crm_core.acts.conftest import Acts, traces

CAMILLE, JEAN_PIERRE, SOPHIE = 1, 2, 3
MARSEILLE = {"address_line": "5 rue de la République", "postcode": "13001", "city": "Marseille",
             "move_date": "2026-12-07"}  # fibre, no 5G
CAMILLE_BOX = 2


def _address(sessions: sessionmaker[Session], customer_id: int) -> tuple[str, str, str]:
    with sessions() as s:
        c = s.get(Customer, customer_id)
        return c.address_line, c.postcode, c.city


def _written(sessions: sessionmaker[Session], customer_id: int) -> tuple[list[CustomerEvent], list[Appointment]]:
    """The move events opened today and the appointments of the customer."""
    with sessions() as s:
        events = list(s.scalars(select(CustomerEvent).where(CustomerEvent.customer_id == customer_id,
                                                            CustomerEvent.kind == "move",
                                                            CustomerEvent.opened_on == date(2026, 12, 1))))
        return events, list(s.scalars(select(Appointment).where(Appointment.customer_id == customer_id)))


def test_a_fibre_box_moves_with_a_technician_on_the_move_date(acts: Acts, sessions: sessionmaker[Session]) -> None:
    service = acts()
    with pytest.raises(ActRefused, match="box fibre demande un technicien.*lundi 07/12/2026 8 h – 12 h"):
        service.preview("move_address", CAMILLE, MARSEILLE)
    params = {**MARSEILLE, "slot": "2026-12-07T13:00"}
    preview = service.preview("move_address", CAMILLE, params)
    assert preview["changes"] == [{"field": "postal_address", "label": "Adresse postale",
                                   "before": "12 rue des Lilas, 69003 Lyon",
                                   "after": "5 rue de la République, 13001 Marseille"}]
    shown = dict((d["label"], d["value"]) for d in preview["details"])
    assert shown["Technicien"] == "lundi 07/12/2026 13 h – 17 h au 13001"
    assert "Box Fibre 2 Gb/s + TV" in shown["Transfert de la box"]
    assert any("07 12 34 56 78" in w and "5G" in w for w in preview["warnings"])  # her 5G plan, no 5G there
    assert any("WEB-2611-0042" in w for w in preview["warnings"])  # her order waits in a Lyon shop
    assert _address(sessions, CAMILLE)[1] == "69003" and _written(sessions, CAMILLE) == ([], [])

    done = service.execute("move_address", CAMILLE, params, version=preview["version"])
    assert done["version"] > preview["version"]
    assert _address(sessions, CAMILLE) == ("5 rue de la République", "13001", "Marseille")
    [event], [visit] = _written(sessions, CAMILLE)
    assert event.due_on == date(2026, 12, 7) and event.line_id == CAMILLE_BOX
    assert event.details["from"] == "12 rue des Lilas, 69003 Lyon" and event.details["appointment"] == visit.id
    assert visit.kind == "move" and visit.postcode == "13001" and visit.line_id == CAMILLE_BOX
    assert visit.starts_at.replace(tzinfo=UTC) == datetime(2026, 12, 7, 13, tzinfo=UTC)
    assert done["facts"]["ref"] == {"event": event.id, "appointment": visit.id}
    [trace] = traces(sessions, "act.done")
    assert trace["act"] == "move_address" and trace["changes"][0]["field"] == "postal_address"

    with pytest.raises(ActRefused, match="déjà celle du dossier"):
        service.execute("move_address", CAMILLE, params)


def test_a_box_not_possible_there_is_refused_with_what_is(acts: Acts, sessions: sessionmaker[Session]) -> None:
    brest = {**MARSEILLE, "postcode": "29200", "city": "Brest", "slot": "2026-12-07T08:00"}
    with pytest.raises(ActRefused) as refused:
        acts().execute("move_address", CAMILLE, brest)
    message = refused.value.message
    assert "« Box Fibre 2 Gb/s + TV » n'est pas disponible au 29200 (fibre non déployée à l'adresse)" in message
    assert "Offres box possibles à cette adresse : Box ADSL 15 Mb/s (24,99 €/mois)" in message
    assert "Fibre 1 Gb/s" not in message
    assert _address(sessions, CAMILLE)[1] == "69003" and _written(sessions, CAMILLE) == ([], [])
    [refusal] = traces(sessions, "act.refused")
    assert refusal["act"] == "move_address" and "29200" in refusal["reason"]


def test_an_unknown_postcode_is_refused(acts: Acts, sessions: sessionmaker[Session]) -> None:
    with pytest.raises(ActRefused, match=r"hors couverture connue \(code postal 75001\)"):
        acts().execute("move_address", SOPHIE, {**MARSEILLE, "postcode": "75001", "city": "Paris"})
    assert _address(sessions, SOPHIE)[1] == "75019"


def test_the_move_date_is_neither_past_nor_beyond_six_months(acts: Acts) -> None:
    with pytest.raises(ActRefused, match="ne peut pas être passée"):
        acts().preview("move_address", SOPHIE, {**MARSEILLE, "move_date": "2026-11-30"})
    with pytest.raises(ActRefused, match="au plus 6 mois à l'avance .jusqu'au 01/06/2027"):
        acts().preview("move_address", SOPHIE, {**MARSEILLE, "move_date": "2027-06-02"})
    assert acts().preview("move_address", SOPHIE, {**MARSEILLE, "move_date": "2027-06-01"})["status"] == "preview"


def test_a_slot_must_be_free_from_the_move_date(acts: Acts, sessions: sessionmaker[Session]) -> None:
    with pytest.raises(ActRefused, match="pas libre au 13001 à partir du 07/12/2026"):
        acts().preview("move_address", CAMILLE, {**MARSEILLE, "slot": "2026-12-04T08:00"})  # before the move
    for _ in range(2):  # the département's two visits of that half-day are taken
        with sessions() as s, s.begin():
            s.add(Appointment(customer_id=SOPHIE, kind="repair", postcode="13008", status="booked",
                              starts_at=datetime(2026, 12, 7, 13, tzinfo=UTC),
                              ends_at=datetime(2026, 12, 7, 17, tzinfo=UTC)))
    with pytest.raises(ActRefused, match="pas libre"):
        acts().preview("move_address", CAMILLE, {**MARSEILLE, "slot": "2026-12-07T13:00"})
    assert acts().preview("move_address", CAMILLE, {**MARSEILLE, "slot": "2026-12-07T08:00"})["facts"]["slot"] \
        == "2026-12-07T08:00"


def test_a_move_beyond_the_open_slots_is_booked_later(acts: Acts, sessions: sessionmaker[Session]) -> None:
    done = acts().execute("move_address", CAMILLE, {**MARSEILLE, "move_date": "2027-03-01"})
    assert any("Aucun créneau technicien libre à partir du 01/03/2027" in w for w in done["warnings"])
    [event], appointments = _written(sessions, CAMILLE)
    assert event.due_on == date(2027, 3, 1) and event.details["slot"] is None and appointments == []


def test_an_adsl_box_moves_without_technician_and_fibre_is_offered(acts: Acts, sessions: sessionmaker[Session]) -> None:
    lyon = {**MARSEILLE, "postcode": "69003", "city": "Lyon"}
    done = acts().execute("move_address", JEAN_PIERRE, lyon)
    assert done["warnings"][0].startswith("Sous tutelle")
    # Fibre there, but his unpaid invoices keep the TV offer out: the plain fibre box is proposed.
    assert any("proposez Box Fibre 1 Gb/s (32,99 €/mois)" in w for w in done["warnings"])
    [event], appointments = _written(sessions, JEAN_PIERRE)
    assert event.line_id == 4 and event.details["transfer_on"] == "2026-12-07" and appointments == []


def test_a_mobile_only_customer_only_changes_address(acts: Acts, sessions: sessionmaker[Session]) -> None:
    done = acts().execute("move_address", SOPHIE, {**MARSEILLE, "slot": "2026-12-07T08:00"})
    assert any("Client sans box" in w for w in done["warnings"])
    assert any("déjà en cours depuis le 19/11/2026" in w for w in done["warnings"])  # her move-in still open
    assert "transfert" not in done["summary"]
    assert _address(sessions, SOPHIE) == ("5 rue de la République", "13001", "Marseille")
    [event], appointments = _written(sessions, SOPHIE)
    assert event.line_id is None and event.details["transfer_on"] is None and appointments == []


def test_the_same_address_written_differently_changes_nothing(acts: Acts) -> None:
    same = {"address_line": "12 RUE DES LILAS", "postcode": "69003", "city": "lyon", "move_date": "2026-12-07"}
    with pytest.raises(ActRefused, match="rien à modifier"):
        acts().preview("move_address", CAMILLE, same)
