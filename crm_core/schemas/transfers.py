"""Level-2 transfers: what the panel sends (request, decline, close) and what it gets back (the draft, the
transfer with its handover, a basket's waiting transfers). The panel's websocket messages reuse these."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from crm_core.text import safe_text

Code = Annotated[str, StringConstraints(max_length=40, pattern=r"^[A-Za-z0-9_.-]{1,40}$")]
Outcome = Literal["resolved", "unresolved", "technician", "callback", "redirected"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TransferRequest(_In):
    mode: Literal["warm", "cold"] = Field(description="warm: a level-2 advisor acknowledges before taking the "
                                                      "call; cold: the context waits in the team's basket")
    to: Code = Field(description='A team of the routing file or its basket\'s code; "n2": the default level-2 '
                                 "technical team")
    checked: list[Code] = Field(default_factory=list, max_length=30,
                                description="Codes of the prerequisites the advisor ticked")
    handover_text: safe_text(5000, multiline=True) | None = Field(  # type: ignore[valid-type]
        default=None, description="The handover's text as the advisor edited it (kept beside the draft)")


class TransferDecline(_In):
    reason: safe_text(500) = Field(min_length=3, description="Why level 2 declines (French, shown to level 1)")  # type: ignore[valid-type]


class TransferClose(_In):
    outcome: Outcome
    note: safe_text(1000, multiline=True) | None = None  # type: ignore[valid-type]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Prerequisite(_Out):
    code: str
    label: str
    blocking: bool
    done: bool
    source: Literal["trace", "advisor"] | None = Field(description="trace: the call's trace shows it done; advisor: "
                                                                   "ticked; null: not done")
    evidence: str | None = Field(description="French: what in the trace shows it done")


class Reason(_Out):
    text: str = Field(description="The caller's own words")
    field: str


class HandoverJourney(_Out):
    code: str | None
    label: str | None
    corrected: bool
    predicted: str | None


class IdentityCheck(_Out):
    checked: bool
    source: Literal["trace", "advisor"] | None
    identified_by: Literal["line", "advisor"] | None


class Fact(_Out):
    field: str = Field(description="The 360° field")
    label: str
    priority: Literal["indispensable", "important", "secondary"]
    display: str | list[str]


class HandoverAct(_Out):
    act: str
    label: str
    summary: str | None = Field(description="French, what the act did; null when it shows a field hidden to you")
    at: datetime
    by: str
    shows: list[str]


class Diagnostic(_Out):
    act: str
    label: str
    result: str | None
    solved: bool | None
    at: datetime
    shows: list[str]


class Remaining(_Out):
    text: str
    source: Literal["script", "diagnosis", "act_previewed", "act_refused", "prerequisite"]
    shows: list[str]


class Flag(_Out):
    code: Literal["complaint", "guardianship", "electronic_tag", "debt", "unhappy"]
    label: str
    detail: str
    field: str | None


class Handover(_Out):
    """Drafted from the call's trace and the CRM, cut to what the reader may see; ``text`` is written from it."""

    call_id: str
    customer_id: int | None
    customer_name: str | None
    team: str
    team_label: str
    reason: Reason | None
    journey: HandoverJourney
    identity_check: IdentityCheck
    customer_facts: list[Fact]
    acts_done: list[HandoverAct]
    diagnostics_tried: list[Diagnostic]
    remaining: list[Remaining]
    flags: list[Flag]
    text: str


class TeamChoice(_Out):
    team: str
    label: str
    basket: str


class TransferDraft(_Out):
    call_id: str
    team: str
    team_label: str
    basket: str
    proposed: TeamChoice = Field(description="What the routing file proposes for this call")
    teams: list[TeamChoice] = Field(description="The teams the advisor's profile may transfer to")
    prerequisites: list[Prerequisite]
    blocked: bool = Field(description="A blocking prerequisite is neither done nor ticked")
    handover: Handover


class TransferSummary(_Out):
    transfer_id: int
    call_id: str
    mode: Literal["warm", "cold"]
    mode_label: str
    status: Literal["requested", "waiting", "acknowledged", "picked_up", "declined", "closed", "cancelled"]
    status_label: str
    team: str
    team_label: str
    basket: str
    journey: str | None
    journey_label: str | None
    from_advisor: str
    to_advisor: str | None
    requested_at: datetime
    flags: list[str]
    outcome: str | None
    outcome_label: str | None
    outcome_note: str | None
    decline_reason: str | None


class TelephonyEvent(_Out):
    event: str
    agent: str | None
    at: datetime


class TransferView(TransferSummary):
    handover: Handover
    edited_text: str | None = Field(description="The handover's text as level 1 edited it, if they did")
    prerequisites: list[Prerequisite]
    acknowledged_at: datetime | None
    declined_at: datetime | None
    picked_up_at: datetime | None
    closed_at: datetime | None
    telephony: list[TelephonyEvent]


class Said(_Out):
    at: float | None
    sender: str
    text: str


class PickedUp(TransferView):
    """A cold transfer taken from the basket: the 360° and the copilot conversation where level 1 left them."""

    view360: dict[str, Any] | None = None
    conversation: list[Said] | None = Field(default=None, description="Null when the copilot is unreachable")


class BasketItem(TransferSummary):
    customer_name: str | None
    age_s: float = Field(description="Seconds since the transfer was requested")


class Basket(_Out):
    code: str
    team: str
    label: str
    waiting: int


class MyTransfer(TransferSummary):
    direction: Literal["sent", "received"]
