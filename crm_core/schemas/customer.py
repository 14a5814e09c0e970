from datetime import date, datetime
from typing import Any

from pydantic import BaseModel


class LinePublic(BaseModel):
    id: int
    number: str
    display_number: str
    kind: str
    status: str
    offer_code: str
    offer_label: str
    activation_date: date
    commitment_end: date | None


class CustomerPublic(BaseModel):
    """What a screen pop shows of a customer."""

    id: int
    identified: bool = True
    display_name: str
    civility: str
    first_name: str
    last_name: str
    birth_date: date | None
    age: int | None
    email: str | None
    address: str
    version: int
    lines: list[LinePublic]


class CustomerListItem(BaseModel):
    id: int
    display_name: str
    line_numbers: list[str]
    # To tell namesakes apart, each when the advisor may see it in the 360° view
    city: str | None = None
    birth_date: date | None = None


class CustomerPage(BaseModel):
    items: list[CustomerListItem]
    next_cursor: str | None


class TraceItem(BaseModel):
    id: int
    occurred_at: datetime
    name: str
    actor: str
    call_id: str | None
    data: dict[str, Any]


class TracePage(BaseModel):
    items: list[TraceItem]
    next_cursor: str | None


class View360Field(BaseModel):
    name: str
    label: str
    value: Any
    display: str | list[str]
    priority: str


class View360Block(BaseModel):
    name: str
    label: str
    fields: list[View360Field]


class View360(BaseModel):
    customer_id: int
    version: int
    blocks: list[View360Block]
