"""Customer look-ups and the 360° read. Every read checks habilitations and leaves a trace."""

import base64
from datetime import date
from typing import Any

from sqlalchemy import desc, func, select
from sqlalchemy.orm import Session

from crm_core.models import Customer, Line, TraceEvent
from crm_core.phone import InvalidPhoneNumber, to_e164, to_national
from crm_core.schemas.customer import CustomerListItem, CustomerPage, CustomerPublic, LinePublic, TracePage
from crm_core.services import habilitations, tracing, view360
from crm_core.services.actor import Actor
from crm_core.services.errors import NotFound
from crm_core.text import fold


class CustomerNotFound(NotFound):
    pass


class InvalidCursor(ValueError):
    """A pagination cursor this service did not make (or for an id no table can hold): a 400, never a 500."""


def _age(birth: date | None, today: date | None = None) -> int | None:
    if birth is None:
        return None
    today = today or date.today()
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def display_name(customer: Customer) -> str:
    return f"{customer.civility} {customer.first_name} {customer.last_name}".strip()


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, max_id: int = 2**31 - 1) -> int:
    """The id in a cursor of ``encode_cursor``: ASCII digits, from 1 to ``max_id`` (ids are 32-bit integer
    primary keys on PostgreSQL), else ``InvalidCursor``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, value = raw.split(":", 1)
        if kind != "id" or not (value.isascii() and value.isdigit()) or len(value) > len(str(max_id)):
            raise ValueError(raw[:20])
        last_id = int(value)
        if not 1 <= last_id <= max_id:
            raise ValueError(last_id)
        return last_id
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor("Curseur de pagination invalide : reprenez depuis la première page.") from exc


def to_public(customer: Customer) -> CustomerPublic:
    return CustomerPublic(
        id=customer.id,
        display_name=display_name(customer),
        civility=customer.civility,
        first_name=customer.first_name,
        last_name=customer.last_name,
        birth_date=customer.birth_date,
        age=_age(customer.birth_date),
        email=customer.email,
        address=f"{customer.address_line}, {customer.postcode} {customer.city}".strip(", "),
        version=customer.version,
        lines=[
            LinePublic(
                id=line.id,
                number=line.number,
                display_number=to_national(line.number),
                kind=line.kind,
                status=line.status,
                offer_code=line.offer_code,
                offer_label=line.offer.label,
                activation_date=line.activation_date,
                commitment_end=line.commitment_end,
            )
            for line in customer.lines
        ],
    )


class CustomerService:
    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.actor = actor

    def _customer(self, customer_id: int) -> Customer:
        customer = self.session.get(Customer, customer_id)
        if customer is None:
            raise CustomerNotFound(f"Client {customer_id} introuvable.")
        return customer

    def find_by_line(self, raw_number: str) -> CustomerPublic | None:
        """The customer holding this line, or None (unknown or unreadable number)."""
        habilitations.require(self.actor, habilitations.CUSTOMER_READ)
        customer = self._holder(raw_number)
        return None if customer is None else self._read(customer, reason="line_lookup")

    def _holder(self, raw_number: str) -> Customer | None:
        """Look the line up (traced, found or not)."""
        try:
            number = to_e164(raw_number)
        except InvalidPhoneNumber:
            number = None
        customer = None
        if number is not None:
            customer = self.session.scalar(
                select(Customer).join(Line, Line.customer_id == Customer.id).where(Line.number == number)
            )
        tracing.record(self.session, "customer.lookup", self.actor,
                       customer_id=customer.id if customer else None, by="line", found=customer is not None)
        return customer

    def get(self, customer_id: int) -> CustomerPublic:
        habilitations.require(self.actor, habilitations.CUSTOMER_READ)
        return self._read(self._customer(customer_id), reason="by_id")

    def view360(self, customer_id: int, today: date | None = None) -> dict[str, Any]:
        """The 360° view as the actor may see it; the read of each field is traced."""
        habilitations.require(self.actor, habilitations.CUSTOMER_READ)
        return self._view360(self._customer(customer_id), today)

    def view360_by_line(self, raw_number: str, today: date | None = None) -> dict[str, Any] | None:
        """The 360° view of the customer holding this line (one look-up, the customer loaded once)."""
        habilitations.require(self.actor, habilitations.CUSTOMER_READ)
        customer = self._holder(raw_number)
        return None if customer is None else self._view360(customer, today)

    def _view360(self, customer: Customer, today: date | None) -> dict[str, Any]:
        customer_id = customer.id
        view = view360.build(view360.load_file(self.session, customer, today), self.actor.permissions)
        fields = [f["name"] for b in view["blocks"] for f in b["fields"]]
        sensitive = [name for name in fields if name in habilitations.SENSITIVE or name == "collection_events"]
        tracing.record(self.session, "customer.read", self.actor, customer_id=customer_id, view="360",
                       fields=fields, sensitive=sensitive)
        return view

    def search(self, *, line: str | None = None, name: str | None = None, birth_date: date | None = None,
               email: str | None = None, limit: int = 20, cursor: str | None = None) -> CustomerPage:
        habilitations.require(self.actor, habilitations.CUSTOMER_SEARCH)
        query = select(Customer).order_by(Customer.id).limit(limit + 1)
        if cursor:
            query = query.where(Customer.id > decode_cursor(cursor))
        if line:
            try:
                number = to_e164(line)
            except InvalidPhoneNumber:
                return CustomerPage(items=[], next_cursor=None)
            query = query.join(Line, Line.customer_id == Customer.id).where(Line.number == number)
        if name:
            query = query.where(Customer.last_name_key.startswith(fold(name), autoescape=True))
        if birth_date:
            query = query.where(Customer.birth_date == birth_date)
        if email:
            query = query.where(func.lower(Customer.email) == email.strip().lower())
        customers = list(self.session.scalars(query))
        more = len(customers) > limit
        customers = customers[:limit]
        criteria = [k for k, v in (("line", line), ("name", name), ("birth_date", birth_date), ("email", email)) if v]
        tracing.record(self.session, "customer.searched", self.actor, by=criteria, results=len(customers))
        return CustomerPage(
            items=[CustomerListItem(id=c.id, display_name=display_name(c),
                                    line_numbers=[to_national(li.number) for li in c.lines]) for c in customers],
            next_cursor=encode_cursor(customers[-1].id) if more else None,
        )

    def traces(self, customer_id: int, limit: int = 50, cursor: str | None = None) -> TracePage:
        """The customer's trace, newest first."""
        habilitations.require(self.actor, habilitations.TRACE_READ)
        self._customer(customer_id)
        query = select(TraceEvent).where(TraceEvent.customer_id == customer_id).order_by(desc(TraceEvent.id))
        if cursor:
            query = query.where(TraceEvent.id < decode_cursor(cursor))
        rows = list(self.session.scalars(query.limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        return TracePage(
            items=[{"id": t.id, "occurred_at": t.occurred_at, "name": t.name, "actor": t.actor, "call_id": t.call_id,
                    "data": t.data} for t in rows],
            next_cursor=encode_cursor(rows[-1].id) if more else None,
        )

    def commitment_ends(self, customer_id: int) -> list[LinePublic]:
        """The customer's lines with their commitment end (a data read, traced)."""
        return self.get(customer_id).lines

    def _read(self, customer: Customer, reason: str) -> CustomerPublic:
        public = to_public(customer)
        tracing.record(self.session, "customer.read", self.actor, customer_id=customer.id,
                       fields=["identity", "contact", "address", "lines"], reason=reason)
        return public
