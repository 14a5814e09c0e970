"""What the panel sends to open, preview, execute or drop an act, and what it gets back."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from crm_core.schemas.edits import MAX_INT4
from crm_core.text import safe_text

ParamName = Annotated[str, StringConstraints(max_length=40, pattern=r"^[a-z_]{1,40}$")]
# A parameter's value as typed or chosen: text, a number, yes/no, or a list of short codes (a script's steps).
ParamValue = bool | int | safe_text(2000) | list[safe_text(40)] | None
CustomerId = Annotated[int | None, Field(default=None, ge=1, le=MAX_INT4,
                                         description="The customer the act is about (none: acts that create one)")]
JourneyCode = Annotated[str | None, Field(default=None, max_length=40, pattern=r"^[a-z_]{1,40}$")]


class ActOpen(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: CustomerId = None
    journey: JourneyCode = None


class ActRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: CustomerId = None
    params: dict[ParamName, ParamValue] = Field(default_factory=dict, max_length=30)
    version: int | None = Field(default=None, ge=1, le=MAX_INT4, description="The customer's version the act is "
                                                                             "based on (optimistic lock)")
    journey: JourneyCode = None


class ActCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: CustomerId = None
    stage: Literal["form", "preview"] = "form"
    journey: JourneyCode = None


class JourneyInfo(BaseModel):
    code: str
    label: str
    acts: list[str]


class ParamInfo(BaseModel):
    name: str
    type: str
    label: str
    required: bool


class Choice(BaseModel):
    value: str
    label: str


class FormParam(ParamInfo):
    value: Any = None
    choices: list[Choice] | None = None


class ActInfo(BaseModel):
    code: str
    label: str
    journeys: list[str]
    permission: str
    writes: bool
    needs_customer: bool
    description: str
    reads: list[str]
    params: list[ParamInfo]
    allowed: bool | None = None


class ActForm(ActInfo):
    """The act's form, already filled from the call and the 360° view."""

    params: list[FormParam]  # type: ignore[assignment]
    customer_id: int | None
    version: int | None


class ChangeOut(BaseModel):
    field: str
    label: str
    before: Any
    after: Any


class Detail(BaseModel):
    label: str
    value: str


class ActOutcome(BaseModel):
    """The preview (``status`` preview: nothing written) or the result (``done``) of an act."""

    act: str
    label: str
    status: Literal["preview", "done"]
    writes: bool
    summary: str
    changes: list[ChangeOut]
    details: list[Detail]
    warnings: list[str]
    facts: dict[str, Any]
    customer_id: int | None
    version: int | None
