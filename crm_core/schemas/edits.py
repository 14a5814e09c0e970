"""What advisors send to edit a customer. Types only here; French formats are checked by the services."""

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Edit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(default=None, ge=1, description="Version the edit is based on (optimistic lock).")


class ContactUpdate(_Edit):
    email: str | None = Field(default=None, max_length=200)
    contact_phone: str | None = Field(default=None, max_length=32)
    address_line: str | None = Field(default=None, max_length=300)
    postcode: str | None = Field(default=None, max_length=10)
    city: str | None = Field(default=None, max_length=120)


class PaymentMethodUpdate(_Edit):
    kind: Literal["direct_debit", "card", "transfer", "cheque"]
    iban: str | None = Field(default=None, max_length=50)
    bic: str | None = Field(default=None, max_length=20)
    holder: str = Field(max_length=200)


class OptionAdd(_Edit):
    option_code: str = Field(max_length=40)


class GuardianshipUpdate(_Edit):
    kind: Literal["tutelle", "curatelle", "sauvegarde"]
    guardian_name: str = Field(max_length=200)
    guardian_phone: str | None = Field(default=None, max_length=32)
    guardian_email: str | None = Field(default=None, max_length=200)
    guardian_address: str = Field(default="", max_length=300)
    court_decision_on: date | None = None


class PackLoanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pack_code: str = Field(max_length=40)
    profile_code: str = Field(max_length=40)
    days: int = Field(ge=1, le=90, description="How long the pack is lent.")


class Edited(BaseModel):
    """The customer's new version: send it with the next edit (or as ``If-Match``)."""

    customer_id: int
    version: int
