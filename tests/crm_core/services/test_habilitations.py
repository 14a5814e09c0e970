from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from crm_core.core.db import transaction
from crm_core.models import PackLoan
from crm_core.models.base import utcnow
from crm_core.services.habilitations import PROFILES, UnknownAdvisor, actor_for, effective_permissions


def test_an_advisor_gets_the_permissions_of_their_profile(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        actor = actor_for(s, "n2.demo", call_id="c-1")
    assert (actor.profile, actor.call_id) == ("n2_technical", "c-1")
    assert actor.permissions == PROFILES["n2_technical"][1]
    with transaction(sessions) as s, pytest.raises(UnknownAdvisor):
        actor_for(s, "nobody")


def test_a_lent_pack_counts_only_between_its_start_and_its_expiry(sessions: sessionmaker[Session]) -> None:
    assert "field:collection" not in PROFILES["n2_technical"][1]
    now = utcnow()
    with transaction(sessions) as s:
        s.add(PackLoan(pack_code="collection_tools", profile_code="n2_technical", granted_by="admin.demo",
                       starts_at=now, expires_at=now + timedelta(days=1)))
    with transaction(sessions) as s:
        during = effective_permissions(s, "n2_technical", now + timedelta(hours=1))
        after = effective_permissions(s, "n2_technical", now + timedelta(days=2))
        before = effective_permissions(s, "n2_technical", now - timedelta(hours=1))
    assert {"field:collection", "block:billing"} <= during
    assert after == before == PROFILES["n2_technical"][1]


def test_a_revoked_loan_grants_nothing(sessions: sessionmaker[Session]) -> None:
    now = utcnow()
    with transaction(sessions) as s:
        s.add(PackLoan(pack_code="collection_tools", profile_code="n2_technical", granted_by="admin.demo",
                       starts_at=now, expires_at=now + timedelta(days=1), revoked_at=now))
    with transaction(sessions) as s:
        assert effective_permissions(s, "n2_technical", now + timedelta(hours=1)) == PROFILES["n2_technical"][1]
