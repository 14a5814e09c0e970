"""What advisors send to edit a customer. Types only here; French formats are checked by the services.

Every text goes through the shared text rule (``safe_text``: no control or invisible character), and every
integer is bounded so that none reaches the database out of its column's range."""

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_core.text import safe_text

MAX_INT4 = 2**31 - 1


class _Edit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(default=None, ge=1, le=MAX_INT4,
                                description="Version the edit is based on (optimistic lock).")


class ContactUpdate(_Edit):
    email: safe_text(200) | None = None
    contact_phone: safe_text(32) | None = None
    address_line: safe_text(300) | None = None
    postcode: safe_text(10) | None = None
    city: safe_text(120) | None = None


class PaymentMethodUpdate(_Edit):
    kind: Literal["direct_debit", "card", "transfer", "cheque"]
    iban: safe_text(50) | None = None
    bic: safe_text(20) | None = None
    holder: safe_text(200)


class OptionAdd(_Edit):
    option_code: safe_text(40)


class GuardianshipUpdate(_Edit):
    kind: Literal["tutelle", "curatelle", "sauvegarde"]
    guardian_name: safe_text(200)
    guardian_phone: safe_text(32) | None = None
    guardian_email: safe_text(200) | None = None
    guardian_address: safe_text(300) = ""
    court_decision_on: date | None = Field(default=None, description="From 1900-01-01 to today (checked by the "
                                                                      "service).")


class PackLoanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pack_code: safe_text(40)
    profile_code: safe_text(40)
    days: int = Field(ge=1, le=90, description="How long the pack is lent.")


class Edited(BaseModel):
    """The customer's new version: send it with the next edit (or as ``If-Match``)."""

    customer_id: int
    version: int
