"""What an order's words fill in each journey's act (actions/<journey>.py), before the copilot asks the rest."""

from actions import complaint, extract, move, offers, support, terminate

LINES = {"params": [{"name": "line", "choices": [
    {"value": "1", "label": "Forfait 5G 200 Go — 07 12 34 56 78"},
    {"value": "2", "label": "Box Fibre 2 Gb/s + TV — 09 72 12 34 56"}]}]}


def test_the_new_address_is_read_around_its_postcode() -> None:
    filled = move.move_address("il déménage au 4 rue Pasteur 69007 Lyon le 15 janvier", {}, "copilot_move",
                               [{"entity": "date", "value": "2027-01-15"}])
    assert filled == {"address_line": "4 rue Pasteur", "postcode": "69007", "city": "Lyon",
                      "move_date": "2027-01-15"}
    assert move.move_address("elle déménage bientôt", {}, "copilot_move", []) == {}


def test_the_line_is_named_by_its_kind_or_its_number() -> None:
    assert extract.line("résilie sa box au 31", LINES) == "2"
    assert extract.line("coupe son forfait mobile", LINES) == "1"
    assert extract.line("la ligne 09 72 12 34 56", LINES) == "2"
    assert extract.line("résilie tout", LINES) is None
    assert extract.line("coupures wifi tous les soirs", LINES) == "2"
    filled = terminate.register_termination("résilie sa box au 31 décembre", LINES, "copilot_terminate",
                                            [{"entity": "date", "value": "2026-12-31"}])
    assert filled == {"line": "2", "termination_date": "2026-12-31"}


def test_a_withdrawal_names_its_order_only_when_there_is_one() -> None:
    form = {"params": [{"name": "target", "choices": [{"value": "line:5", "label": "Abonnement"},
                                                      {"value": "order:2", "label": "Commande WEB-2611-0107"}]}]}
    assert terminate.register_withdrawal("sa rétractation pour la commande", form, "copilot_withdraw", []) == \
        {"target": "order:2"}
    assert terminate.register_withdrawal("enregistre sa rétractation", form, "copilot_withdraw", []) == {}


def test_a_plan_and_a_ticket_and_a_gesture() -> None:
    form = {"params": LINES["params"] + [{"name": "offer_code", "choices": [
        {"value": "BOX_FIBRE_1G", "label": "Box Fibre 1 Gb/s — 29,99 €/mois"},
        {"value": "BOX_ADSL", "label": "Box ADSL 15 Mb/s — 24,99 €/mois"}]}]}
    assert offers.change_offer("passe sa box sur la fibre 1 Gb", form, "copilot_change_offer", []) == \
        {"line": "2", "offer_code": "BOX_FIBRE_1G"}
    assert support.open_ticket("ouvre un ticket : plus d'internet depuis hier soir", LINES, "copilot_open_ticket",
                               []) == {"line": "2", "summary": "plus d'internet depuis hier soir"}  # internet: the box
    assert complaint.grant_gesture("fais-lui un geste de 10 euros pour la coupure", {}, "copilot_gesture", []) == \
        {"amount": "10", "reason": "la coupure"}
    assert complaint.open_complaint("ouvre une réclamation sur sa facture de novembre", {}, "copilot_open_complaint",
                                    []) == {"summary": "sa facture de novembre"}
