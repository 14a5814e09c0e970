from datetime import date

from pydantic import BaseModel, ConfigDict


class LinePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

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
    lines: list[LinePublic]


class CustomerListItem(BaseModel):
    id: int
    display_name: str
    line_numbers: list[str]
