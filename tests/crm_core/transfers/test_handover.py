"""What a reader sees of a handover: the one permission filter's rule, field by field, and a text written again
from what is left (nothing hidden leaks through it). Pure functions, no database."""

from crm_core.services import permission_filter
from crm_core.services.habilitations import PROFILES
from crm_core.transfers.handover import for_reader, text

N1 = PROFILES["n1_customer_contact"][1]
N2 = PROFILES["n2_technical"][1]  # no billing block, no guardianship
IBAN = "FR1420041010050500013M02606"

HANDOVER = {
    "call_id": "c-1", "customer_id": 2, "customer_name": "M. Jean-Pierre Lefèvre", "team": "n2",
    "team_label": "Support technique N2",
    "reason": {"text": "ma box ADSL ne marche plus, c'est inadmissible", "field": "phones"},
    "journey": {"code": "breakdown", "label": "Je suis en panne", "corrected": False, "predicted": "breakdown"},
    "identity_check": {"checked": True, "source": "advisor", "identified_by": "line"},
    "customer_facts": [
        {"field": "identity", "label": "Identité", "priority": "indispensable", "display": "M. Jean-Pierre Lefèvre"},
        {"field": "balance", "label": "Solde du compte", "priority": "indispensable", "display": "58,40 € dû"},
        {"field": "lines", "label": "Lignes, statut", "priority": "indispensable",
         "display": ["09 98 44 55 66 — ligne fixe active"]}],
    "acts_done": [
        {"act": "diagnose_line", "label": "Voir l'état de la ligne et du matériel", "at": "2026-12-01T10:02:00",
         "summary": "Ligne 09 98 44 55 66 (Box ADSL 15 Mb/s) : active.", "by": "n1.demo",
         "shows": ["equipment", "lines", "support_history"]},
        {"act": "change_payment_method", "label": "Changer le moyen de paiement", "at": "2026-12-01T10:05:00",
         "summary": f"Prélèvement sur {IBAN} au nom de Jean-Pierre Lefèvre.", "by": "n1.demo",
         "shows": ["payment_method"]}],
    "diagnostics_tried": [
        {"act": "diagnose_line", "label": "Voir l'état de la ligne et du matériel", "at": "2026-12-01T10:02:00",
         "result": "Ligne 09 98 44 55 66 (Box ADSL 15 Mb/s) : active.", "solved": None,
         "shows": ["equipment", "lines", "support_history"]}],
    "remaining": [{"text": "À faire : Test de ligne lancé", "source": "prerequisite", "shows": []}],
    "flags": [
        {"code": "guardianship", "label": "Mesure de protection", "field": "guardianship",
         "detail": "Sous tutelle — représentant : Mme Anne Lefèvre (fille)"},
        {"code": "debt", "label": "Impayé", "detail": "Solde du compte : 58,40 € dû", "field": "balance"},
        {"code": "unhappy", "label": "Client mécontent", "detail": "« inadmissible » (mots du client)",
         "field": "phones"}],
}
HANDOVER["text"] = text(HANDOVER)


def test_level_2_sees_only_the_fields_of_its_profile_and_a_text_without_them() -> None:
    shown = for_reader(HANDOVER, N2)
    assert [f["field"] for f in shown["customer_facts"]] == ["identity", "lines"]
    assert [f["code"] for f in shown["flags"]] == ["unhappy"]
    acts = {a["act"]: a["summary"] for a in shown["acts_done"]}
    assert acts == {"diagnose_line": "Ligne 09 98 44 55 66 (Box ADSL 15 Mb/s) : active.",
                    "change_payment_method": None}  # the act is said, not what it showed
    for hidden in ("58,40", "Anne Lefèvre", IBAN, "Prélèvement"):
        assert hidden not in str(shown), hidden
    assert "Client mécontent : « inadmissible » (mots du client)" in shown["text"]
    assert "Changer le moyen de paiement" in shown["text"]


def test_level_1_sees_it_all_with_the_iban_masked_unless_it_may_see_the_payment_method() -> None:
    shown = for_reader(HANDOVER, N1)
    assert [f["code"] for f in shown["flags"]] == ["guardianship", "debt", "unhappy"]
    assert "58,40 € dû" in shown["text"] and "Sous tutelle" in shown["text"]
    assert IBAN not in str(for_reader(HANDOVER, N1 - {"field:payment_method"}))
    assert IBAN in str(for_reader(HANDOVER, N1))


def test_an_acts_summary_in_the_trace_needs_every_field_it_shows() -> None:
    data = {"act": "change_payment_method", "label": "Changer le moyen de paiement", "summary": "Prélèvement …",
            "result": {}, "shows": ["payment_method"], "changes": []}
    assert permission_filter.trace("act.done", data, N1)["summary"] == "Prélèvement …"  # type: ignore[index]
    without = permission_filter.trace("act.done", data, PROFILES["fleet_avsc"][1])
    assert without is not None and "summary" not in without and "result" not in without
    assert without["label"] == "Changer le moyen de paiement"
    assert "summary" not in permission_filter.trace("act.done", {**data, "shows": None}, N1)  # type: ignore[operator]
