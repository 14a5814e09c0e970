"""Migration 0003: the interactions recorded before the topic column existed get one."""

from pathlib import Path

from sqlalchemy import create_engine, text

from crm_core.core.migrate import upgrade


def test_existing_interactions_are_classified_once(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")  # no foreign keys: interactions alone
    upgrade(engine, "0002")
    rows = [("phone", "support", "Coupures wifi le soir"), ("shop", "after_sales", "Box testée en boutique"),
            ("email", "correspondence", "Envoi de la facture de novembre"),
            ("letter", "correspondence", "Courrier de relance envoyé à la tutrice"),
            ("letter", "correspondence", "Mise en demeure avant suspension"),
            ("phone", "contact", "Demande de code PUK")]
    with engine.begin() as conn:
        for n, (channel, kind, summary) in enumerate(rows, start=1):
            conn.execute(text("INSERT INTO interactions (id, customer_id, occurred_at, channel, kind, summary) "
                              "VALUES (:id, 1, '2026-11-18 11:00:00', :channel, :kind, :summary)"),
                         {"id": n, "channel": channel, "kind": kind, "summary": summary})
    upgrade(engine)
    with engine.connect() as conn:
        topics = [t for (t,) in conn.execute(text("SELECT topic FROM interactions ORDER BY id"))]
    assert topics == ["support", "support", "billing", "collection", "collection", "general"]
    engine.dispose()
