import pytest
from sqlalchemy.orm import Session, sessionmaker

from crm_core.core.db import transaction
from crm_core.services.customers import CustomerNotFound, CustomerService
from crm_core.services.habilitations import NotAllowed
from tests.conftest import count_rows
from tests.factories import advisor

N1 = advisor(login="n1.demo", call_id="call-1")


def test_a_line_number_in_any_french_form_finds_its_holder(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as db:
        found = CustomerService(db, N1).find_by_line("07 12 34 56 78")
    assert found is not None
    assert (found.id, found.first_name, found.last_name) == (1, "Camille", "Martin")
    assert {line.offer_code for line in found.lines} == {"MOBILE_5G_200G", "BOX_FIBRE_2G_TV"}
    box = next(line for line in found.lines if line.kind == "fixed")
    assert box.commitment_end is not None and box.commitment_end.isoformat() == "2027-09-01"
    assert box.display_number == "09 72 12 34 56"


def test_every_lookup_and_read_leaves_a_trace(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as db:
        CustomerService(db, N1).find_by_line("+33712345678")
    assert count_rows(sessions, "SELECT count(*) FROM trace_events WHERE name='customer.read' "
                      "AND customer_id=1 AND actor='n1.demo' AND call_id='call-1'") == 1
    assert count_rows(sessions, "SELECT count(*) FROM trace_events WHERE name='customer.lookup'") == 1


@pytest.mark.parametrize("number", ["07 00 00 00 00", "n'importe quoi", ""])
def test_unknown_or_unreadable_numbers_find_nobody_but_are_traced(
    sessions: sessionmaker[Session], number: str
) -> None:
    with transaction(sessions) as db:
        assert CustomerService(db, N1).find_by_line(number) is None
    assert count_rows(sessions, "SELECT count(*) FROM trace_events WHERE name='customer.lookup'") == 1
    assert count_rows(sessions, "SELECT count(*) FROM trace_events WHERE name='customer.read'") == 0


def test_the_trainer_profile_reads_no_customer_data(sessions: sessionmaker[Session]) -> None:
    trainer = advisor("trainer")
    with transaction(sessions) as db, pytest.raises(NotAllowed, match="habilité"):
        CustomerService(db, trainer).find_by_line("07 12 34 56 78")
    with transaction(sessions) as db, pytest.raises(NotAllowed):
        CustomerService(db, trainer).search(name="Martin")


def test_unknown_id_is_a_clear_error(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as db, pytest.raises(CustomerNotFound, match="introuvable"):
        CustomerService(db, N1).get(999_999)


def test_search_by_name_prefix_and_by_line(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as db:
        by_name = CustomerService(db, N1).search(name="lef")
        by_line = CustomerService(db, N1).search(line="09 98 44 55 66")
        by_bad_line = CustomerService(db, N1).search(line="pas un numéro")
    assert [c.display_name for c in by_name.items] == ["M. Jean-Pierre Lefèvre"]
    assert [c.id for c in by_line.items] == [2]
    assert by_line.items[0].line_numbers == ["07 98 76 54 32", "09 98 44 55 66"]
    assert by_bad_line.items == [] and by_bad_line.next_cursor is None


def test_the_360_view_by_line_is_the_view_of_the_lines_holder(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as db:
        by_line = CustomerService(db, N1).view360_by_line("09 72 12 34 56")
        by_id = CustomerService(db, N1).view360(1)
        unknown = CustomerService(db, N1).view360_by_line("07 00 00 00 00")
    assert by_line == by_id and by_line is not None and by_line["customer_id"] == 1
    assert unknown is None
    assert count_rows(sessions, "SELECT count(*) FROM trace_events WHERE name='customer.lookup'") == 2
