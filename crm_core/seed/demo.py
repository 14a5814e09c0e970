"""Named demo personas, documented in the README, always present after ``copilot seed``."""

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from crm_core.models import (
    Account,
    CollectionCase,
    CommercialGesture,
    Consumption,
    Contract,
    Coverage,
    Customer,
    CustomerEvent,
    Equipment,
    Guardianship,
    HardwareTest,
    Interaction,
    Invoice,
    Line,
    LineOption,
    Order,
    OrderStep,
    PaymentMethod,
)

UNKNOWN_DEMO_NUMBER = "07 00 00 00 00"
COVERAGE = [("69003", True, 20, True), ("29200", False, 6, False), ("75019", True, 20, True),
            ("13001", True, 20, False)]


def _at(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=UTC)


def _camille(s: Session) -> None:
    s.flush()
    s.add(Customer(id=1, civility="Mme", first_name="Camille", last_name="Martin", birth_date=date(1986, 4, 12),
                   email="camille.martin@exemple.fr", contact_phone="+33712345678", address_line="12 rue des Lilas",
                   postcode="69003", city="Lyon", customer_since=date(2016, 5, 2), loyalty_tier="gold",
                   revenue_12m=Decimal("786.40"), interests=["séries TV", "football", "voyages"],
                   life_moments=["naissance d'un enfant (2025)"]))
    s.flush()
    s.add(Account(id=1, customer_id=1, number="CPT0000001", balance=Decimal("0"), payment_channel="direct_debit"))
    s.flush()
    s.add(PaymentMethod(account_id=1, kind="direct_debit", iban="FR7630006000011234567890189", bic="AGRIFRPP",
                        holder="Camille Martin", mandate_reference="RUM-0000001"))
    s.flush()
    s.add(Contract(id=1, customer_id=1, account_id=1, number="CTR0000001", signed_on=date(2016, 5, 2),
                   channel="shop"))
    s.flush()
    s.add(Line(id=1, customer_id=1, contract_id=1, number="+33712345678", kind="mobile", offer_code="MOBILE_5G_200G",
               activation_date=date(2024, 3, 15), commitment_end=date(2026, 3, 15)))
    s.flush()
    s.add(Line(id=2, customer_id=1, contract_id=1, number="+33972123456", kind="fixed", offer_code="BOX_FIBRE_2G_TV",
               activation_date=date(2025, 9, 1), commitment_end=date(2027, 9, 1)))
    s.flush()
    s.add_all([LineOption(line_id=1, option_code="OPT_DATA_EU", activated_on=date(2025, 6, 1)),
               LineOption(line_id=2, option_code="OPT_TV_SPORT", activated_on=date(2025, 9, 1))])
    s.flush()
    s.add_all([Consumption(line_id=1, month=date(2026, 11, 1), data_mb=214_000, voice_minutes=412, sms=86,
                           overage_volume="14 Go hors forfait", overage_amount=Decimal("14.00")),
               Consumption(line_id=1, month=date(2026, 10, 1), data_mb=150_300, voice_minutes=380, sms=90)])
    # plans 21,99 + 42,99 and options 3,00 + 9,99 a month; December adds November's 14 Go of overage, November
    # takes off the 10 € gesture of 12/10 (explain_invoice adds them up the same way)
    for k, (issued, amount, status) in enumerate([(date(2026, 12, 5), "91.97", "upcoming"),
                                                  (date(2026, 11, 5), "67.97", "paid"),
                                                  (date(2026, 10, 5), "77.97", "paid"),
                                                  (date(2026, 9, 5), "91.20", "paid")]):
        s.add(Invoice(account_id=1, number=f"FAC-0001-{k}", issued_on=issued, due_on=issued, amount=Decimal(amount),
                      status=status))
    order = Order(id=1, customer_id=1, number="WEB-2611-0042", channel="web", kind="Commande smartphone",
                  placed_on=date(2026, 11, 20), status="in_progress")
    s.flush()
    s.add(order)
    s.flush()
    for pos, (label, status, expected) in enumerate([("Commande validée", "done", date(2026, 11, 20)),
                                                     ("Paiement accepté", "done", date(2026, 11, 20)),
                                                     ("Préparation en entrepôt", "pending", date(2026, 11, 24)),
                                                     ("Livraison en boutique Lyon Part-Dieu", "pending",
                                                      date(2026, 11, 27))], start=1):
        s.add(OrderStep(order_id=1, position=pos, label=label, status=status, expected_on=expected,
                        done_on=expected if status == "done" else None))
    s.flush()
    s.add(Equipment(id=1, customer_id=1, line_id=2, kind="box", model="Box Fibre 2G", serial_number="BX2G-44A91",
                    ownership="rented", acquired_on=date(2025, 9, 1), technical={"firmware": "4.2.7"},
                    warranty_cover="panne et casse accidentelle", warranty_months=36, deposit_amount=Decimal("0")))
    s.flush()
    s.add(Equipment(id=2, customer_id=1, line_id=1, kind="phone", model="Galaxy S24", serial_number="R58W10XY",
                    ownership="bought", acquired_on=date(2024, 3, 15), technical={"IMEI": "356789104512345"},
                    warranty_cover="garantie constructeur", warranty_months=24))
    s.flush()
    s.add(HardwareTest(equipment_id=1, tested_at=_at(2026, 10, 14, 15), shop_code="LYON-PARTDIEU", result="pass",
                       details="alimentation et ports Ethernet conformes"))
    s.flush()
    s.add_all([
        Interaction(customer_id=1, occurred_at=_at(2026, 10, 12, 9, 30), channel="phone", kind="support",
                    summary="Coupures wifi le soir : redémarrage et changement de canal, sans succès",
                    advisor_login="n1.demo", equipment_id=1, topic="support"),
        Interaction(customer_id=1, occurred_at=_at(2026, 10, 14, 15), channel="shop", kind="after_sales",
                    summary="Box testée en boutique : matériel conforme", equipment_id=1, topic="support"),
        Interaction(customer_id=1, occurred_at=_at(2026, 11, 6, 8), channel="email", kind="correspondence",
                    summary="Envoi de la facture de novembre", topic="billing"),
    ])
    s.flush()
    s.add(CommercialGesture(customer_id=1, granted_on=date(2026, 10, 12), amount=Decimal("10.00"),
                            reason="coupures wifi répétées", advisor_login="n1.demo"))


def _jean_pierre(s: Session) -> None:
    s.flush()
    s.add(Customer(id=2, civility="M.", first_name="Jean-Pierre", last_name="Lefèvre", birth_date=date(1947, 11, 2),
                   email="jp.lefevre@exemple.fr", contact_phone="+33798765432", address_line="3 place de l'Église",
                   postcode="29200", city="Brest", customer_since=date(2012, 1, 20), loyalty_tier="silver",
                   revenue_12m=Decimal("412.00"), interests=["jardinage"], life_moments=["retraite"]))
    s.flush()
    s.add(Guardianship(customer_id=2, kind="tutelle", guardian_name="Mme Anne Lefèvre (fille)",
                       guardian_phone="+33611223300", guardian_email="anne.lefevre@exemple.fr",
                       guardian_address="8 rue de Siam, 29200 Brest", court_decision_on=date(2024, 2, 12)))
    s.flush()
    s.add(Account(id=2, customer_id=2, number="CPT0000002", balance=Decimal("-58.40"), payment_channel="cheque",
                  invoice_delivery="paper", payer_quality="watch"))
    s.flush()
    s.add(PaymentMethod(account_id=2, kind="cheque", holder="Jean-Pierre Lefèvre"))
    s.flush()
    s.add(Contract(id=2, customer_id=2, account_id=2, number="CTR0000002", signed_on=date(2012, 1, 20),
                   channel="shop"))
    s.flush()
    s.add(Line(id=3, customer_id=2, contract_id=2, number="+33798765432", kind="mobile", offer_code="MOBILE_2H",
               activation_date=date(2019, 6, 10)))
    s.flush()
    s.add(Line(id=4, customer_id=2, contract_id=2, number="+33998445566", kind="fixed", offer_code="BOX_ADSL",
               activation_date=date(2012, 1, 20)))
    s.flush()
    s.add(Consumption(line_id=3, month=date(2026, 11, 1), data_mb=310, voice_minutes=95, sms=4))
    for k, (issued, amount, status) in enumerate([(date(2026, 12, 3), "29.98", "upcoming"),
                                                  (date(2026, 11, 3), "29.98", "unpaid"),
                                                  (date(2026, 10, 3), "28.42", "partial"),
                                                  (date(2026, 9, 3), "29.98", "paid")]):
        s.add(Invoice(account_id=2, number=f"FAC-0002-{k}", issued_on=issued, due_on=issued, amount=Decimal(amount),
                      status=status))
    s.flush()
    s.add(CollectionCase(account_id=2, opened_on=date(2026, 11, 18), amount_due=Decimal("58.40"), stage="reminder"))
    s.flush()
    s.add(CustomerEvent(customer_id=2, kind="collection", opened_on=date(2026, 11, 18), due_on=date(2026, 12, 2),
                        summary="Relance pour deux factures impayées"))
    s.flush()
    s.add(Equipment(id=3, customer_id=2, line_id=4, kind="box", model="Box ADSL v3", serial_number="BXA3-10022",
                    ownership="rented", acquired_on=date(2012, 1, 20), technical={"firmware": "2.9.1"},
                    warranty_cover="panne", warranty_months=24, deposit_amount=Decimal("49.00")))
    s.flush()
    s.add(Interaction(customer_id=2, occurred_at=_at(2026, 11, 18, 11), channel="letter", kind="correspondence",
                      summary="Courrier de relance envoyé à la tutrice", topic="collection"))


def _sophie(s: Session) -> None:
    s.flush()
    s.add(Customer(id=3, civility="Mme", first_name="Sophie", last_name="Nguyen", birth_date=date(1995, 7, 30),
                   email="sophie.nguyen@exemple.fr", contact_phone="+33755443322",
                   address_line="48 avenue Jean Jaurès", postcode="75019", city="Paris",
                   customer_since=date(2026, 10, 2), interests=["jeux vidéo", "musique"],
                   life_moments=["déménagement prévu"]))
    s.flush()
    s.add(Account(id=3, customer_id=3, number="CPT0000003", payment_channel="card"))
    s.flush()
    s.add(PaymentMethod(account_id=3, kind="card", holder="Sophie Nguyen"))
    s.flush()
    s.add(Contract(id=3, customer_id=3, account_id=3, number="CTR0000003", signed_on=date(2026, 10, 2),
                   channel="web"))
    s.flush()
    s.add(Line(id=5, customer_id=3, contract_id=3, number="+33755443322", kind="mobile", offer_code="MOBILE_100G",
               activation_date=date(2026, 10, 2), commitment_end=date(2027, 10, 2)))
    s.flush()
    s.add(Consumption(line_id=5, month=date(2026, 11, 1), data_mb=48_200, voice_minutes=120, sms=310))
    s.flush()
    s.add(Invoice(account_id=3, number="FAC-0003-0", issued_on=date(2026, 12, 2), due_on=date(2026, 12, 2),
                  amount=Decimal("12.99"), status="upcoming"))
    s.flush()
    s.add(Order(id=2, customer_id=3, number="WEB-2611-0107", channel="web", kind="Commande Box Fibre",
                placed_on=date(2026, 11, 19), status="in_progress"))
    s.flush()
    for pos, (label, status, expected) in enumerate([("Commande validée", "done", date(2026, 11, 19)),
                                                     ("Rendez-vous technicien", "pending", date(2026, 12, 1)),
                                                     ("Activation de la ligne", "pending", date(2026, 12, 2))],
                                                    start=1):
        s.add(OrderStep(order_id=2, position=pos, label=label, status=status, expected_on=expected,
                        done_on=expected if status == "done" else None))
    s.flush()
    s.add(CustomerEvent(customer_id=3, kind="move", opened_on=date(2026, 11, 19), due_on=date(2026, 12, 1),
                        summary="Emménagement rue de Crimée, box fibre commandée sur le web"))


def _kevin(s: Session) -> None:
    s.flush()
    s.add(Customer(id=4, civility="M.", first_name="Kévin", last_name="Moreau", birth_date=date(1990, 2, 14),
                   email="kevin.moreau@exemple.fr", contact_phone="+33711223344", address_line="5 quai du Port",
                   postcode="13001", city="Marseille", customer_since=date(2020, 3, 3), revenue_12m=Decimal("263.88")))
    s.flush()
    s.add(Account(id=4, customer_id=4, number="CPT0000004", payment_channel="direct_debit"))
    s.flush()
    s.add(PaymentMethod(account_id=4, kind="direct_debit", iban="FR1420041010050500013M02606", holder="Kévin Moreau"))
    s.flush()
    s.add(Contract(id=4, customer_id=4, account_id=4, number="CTR0000004", signed_on=date(2020, 3, 3),
                   channel="phone"))
    s.flush()
    s.add(Line(id=6, customer_id=4, contract_id=4, number="+33711223344", kind="mobile", offer_code="MOBILE_100G",
               activation_date=date(2020, 3, 3), electronic_tag=True))
    s.flush()
    s.add(Consumption(line_id=6, month=date(2026, 11, 1), data_mb=22_000, voice_minutes=240, sms=40))
    s.flush()
    s.add(CustomerEvent(customer_id=4, kind="complaint", opened_on=date(2026, 11, 10),
                        summary="Conteste des frais de roaming facturés en octobre"))
    s.flush()
    s.add(CommercialGesture(customer_id=4, granted_on=date(2026, 6, 2), amount=Decimal("15.00"),
                            reason="frais de roaming contestés", advisor_login="n1.grenoble"))
    s.flush()
    s.add(CommercialGesture(customer_id=4, granted_on=date(2025, 12, 9), amount=Decimal("20.00"),
                            reason="frais de roaming contestés", advisor_login="n1.demo"))


PERSONAS = (_camille, _jean_pierre, _sophie, _kevin)


def upsert_personas(session: Session) -> None:
    from crm_core.seed.synthetic import reset_sequences

    for postcode, fibre, adsl, g5 in COVERAGE:
        session.merge(Coverage(postcode=postcode, fibre=fibre, adsl_max_mbps=adsl, mobile_5g=g5))
    for number, build in enumerate(PERSONAS, start=1):
        if session.get(Customer, number) is None:
            build(session)
            session.flush()
    reset_sequences(session)
