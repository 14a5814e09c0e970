"""The one registry of trace names: everything the code records is registered, nothing else is recorded."""

import ast
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from crm_core.core.db import transaction
from crm_core.services import fields, trace_names, tracing
from crm_core.services.trace_buffer import TraceBuffer
from telephony_bridge.events import CallEventKind
from tests.conftest import count_rows
from tests.factories import advisor

ROOT = Path(__file__).resolve().parents[3]
ADVISOR = advisor(login="n1.demo")


def _recorded_names() -> set[str]:
    """Every literal trace name passed to a ``record(...)`` or ``_trace(...)`` call of the code."""
    names = set()
    for package in ("crm_core", "actions", "assistant", "copilot_cli", "telephony_bridge"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if called not in ("record", "_trace"):
                    continue
                for arg in node.args[:2]:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and "." in arg.value:
                        names.add(arg.value)
    return names


def test_every_name_the_code_records_is_registered() -> None:
    recorded = _recorded_names()
    assert {"customer.read", "guardianship.changed", "screen_pop.sent", "act.done", "nlu.corrected"} <= recorded
    assert recorded - set(trace_names.REGISTRY) == set()
    for kind in CallEventKind:  # the call's events are recorded as call.<event>
        assert f"call.{kind.value}" in trace_names.REGISTRY


def test_call_content_reveals_the_callers_number_and_security_events_nothing() -> None:
    for name in ("call.answered", "call.reason", "call.expired", "call.access_refused", "call.event_rejected",
                 "nlu.predicted", "chat.asked", "screen_pop.sent"):
        assert "phones" in trace_names.require(name).reveals, name
    for name in ("security.assertion_rejected", "session.renewed", "habilitation.pack_lent"):
        assert trace_names.require(name).reveals == (), name
    assert trace_names.require("guardianship.changed").reveals == ("guardianship",)
    assert trace_names.require("payment_method.changed").reveals == ("payment_method",)
    for spec in trace_names.REGISTRY.values():
        assert set(spec.reveals) <= set(fields.BY_NAME), spec.name
    assert set(trace_names.CHANGED_FIELDS.values()) <= set(fields.BY_NAME)


def test_registering_is_one_line_and_a_field_must_exist() -> None:
    spec = trace_names.register("test.registered_here", "phones")
    try:
        assert trace_names.require("test.registered_here") is spec and spec.reveals == ("phones",)
    finally:
        del trace_names.REGISTRY["test.registered_here"]
    with pytest.raises(ValueError, match="unknown 360° fields"):
        trace_names.register("test.bad", "no_such_field")
    assert "test.bad" not in trace_names.REGISTRY


def test_the_history_labels_are_those_of_the_registry() -> None:
    labels = trace_names.history_labels()
    assert labels["guardianship.changed"] == "Mesure de protection modifiée"
    assert labels["screen_pop.sent"] == "Appel reçu" and "customer.read" not in labels


def test_recording_an_unregistered_name_is_refused(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(ValueError, match="unregistered trace name 'customer.peeked'"):
        with transaction(sessions) as s:
            tracing.record(s, "customer.peeked", ADVISOR, customer_id=1)
    assert count_rows(sessions, "SELECT count(*) FROM trace_events") == 0
    buffer = TraceBuffer(sessions)
    try:
        with pytest.raises(ValueError, match="unregistered"):
            buffer.record("call.teleported", ADVISOR, call_id="c1")
        buffer.record("call.answered", ADVISOR, call_id="c1")
        assert buffer.flush()
    finally:
        buffer.close()
    assert count_rows(sessions, "SELECT count(*) FROM trace_events") == 1
