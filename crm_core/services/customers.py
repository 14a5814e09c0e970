"""Customer look-ups and the 360° read. Every read checks habilitations and leaves a trace.

What a read returns goes through ``permission_filter``: the 360° view, the traces and the chat answers show
an actor only what they may see in the 360° view.
"""

import base64
from collections.abc import Iterator
from datetime import date
from itertools import islice
from typing import Any

from sqlalchemy import and_, desc, func, or_, select
from sqlalchemy.orm import Session

from crm_core.core import clock
from crm_core.models import Customer, Line, TraceEvent
from crm_core.phone import InvalidPhoneNumber, to_e164, to_national
from crm_core.schemas.customer import CustomerListItem, CustomerPage, CustomerPublic, LinePublic, TracePage
from crm_core.services import fields as catalogue
from crm_core.services import habilitations, permission_filter, tracing, view360
from crm_core.services.actor import Actor
from crm_core.services.errors import NotFound
from crm_core.text import fold


class CustomerNotFound(NotFound):
    pass


# At most this many traces are looked at for one page of a customer's traces (hidden ones included).
TRACE_SCAN_LIMIT = 2000
# The fields of the 360° view a CustomerPublic carries (what a look-up reads).
PUBLIC_FIELDS = ("identity", "birth_date", "email", "postal_address", "lines", "offers_options",
                 "activation_commitment")


MIN_PARTIAL_DIGITS = 4  # a part of a line number searched by its beginning or its end


def _name_matches(name: str) -> Any:
    """« Martin », « Camille Martin », « martin camille », « jean pierre lefevre », « mart »: the last name's
    beginning, or with two words or more, a first name and a last name in either order (accents, case and
    hyphens ignored)."""
    words = fold(name).replace("-", " ").split()
    whole = " ".join(words)
    matches = [Customer.last_name_key.startswith(fold(name), autoescape=True),
               func.replace(Customer.last_name_key, "-", " ").startswith(whole, autoescape=True)]
    first_name = func.replace(Customer.first_name_key, "-", " ")
    last_name = func.replace(Customer.last_name_key, "-", " ")
    for cut in range(1, len(words)):
        head, tail = " ".join(words[:cut]), " ".join(words[cut:])
        matches.append(and_(first_name == head, last_name.startswith(tail, autoescape=True)))
        matches.append(and_(last_name == head, first_name.startswith(tail, autoescape=True)))
    return or_(*matches)


class InvalidCursor(ValueError):
    """A pagination cursor this service did not make (or for an id no table can hold): a 400, never a 500."""


def _age(birth: date | None, today: date | None = None) -> int | None:
    if birth is None:
        return None
    today = today or clock.today()
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

    def fields(self, customer_id: int, names: list[str], today: date | None = None,
               read_for: str = "chat") -> list[dict[str, Any]]:
        """Some fields of the 360° view (a chat answer), each with its block; NotAllowed when one of them is not
        visible to the actor. Only these fields' read is traced."""
        habilitations.require(self.actor, habilitations.CUSTOMER_READ)
        for name in names:
            permission_filter.require_field(self.actor, name)
        customer = self._customer(customer_id)
        view = view360.build(view360.load_file(self.session, customer, today), self.actor.permissions,
                             frozenset(names))
        found = {f["name"]: {**f, "block": b["name"], "block_label": b["label"]}
                 for b in view["blocks"] for f in b["fields"]}
        tracing.record(self.session, "customer.read", self.actor, customer_id=customer_id, view=read_for,
                       fields=list(names), sensitive=[n for n in names if n in catalogue.SENSITIVE])
        return [found[name] for name in names if name in found]

    def _view360(self, customer: Customer, today: date | None) -> dict[str, Any]:
        customer_id = customer.id
        view = view360.build(view360.load_file(self.session, customer, today), self.actor.permissions)
        fields = [f["name"] for b in view["blocks"] for f in b["fields"]]
        sensitive = [name for name in fields if name in catalogue.SENSITIVE]
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
            query = self._by_line(query, line)
            if query is None:
                return CustomerPage(items=[], next_cursor=None)
        if name:
            query = query.where(_name_matches(name))
        if birth_date:
            query = query.where(Customer.birth_date == birth_date)
        if email:
            query = query.where(func.lower(Customer.email) == email.strip().lower())
        customers = list(self.session.scalars(query))
        more = len(customers) > limit
        customers = customers[:limit]
        criteria = [k for k, v in (("line", line), ("name", name), ("birth_date", birth_date), ("email", email)) if v]
        tracing.record(self.session, "customer.searched", self.actor, by=criteria, results=len(customers))
        city, born = (catalogue.can_see(self.actor.permissions, f) for f in ("postal_address", "birth_date"))
        return CustomerPage(
            items=[CustomerListItem(id=c.id, display_name=display_name(c),
                                    line_numbers=[to_national(li.number) for li in c.lines],
                                    city=c.city or None if city else None,
                                    birth_date=c.birth_date if born else None) for c in customers],
            next_cursor=encode_cursor(customers[-1].id) if more else None,
        )

    def _by_line(self, query: Any, line: str) -> Any:
        """A whole number (any French format), or a part of one: its beginning (« 07 12 34 ») or its last
        digits (« 56 78 », at least four). None: nothing can match."""
        try:
            return query.join(Line, Line.customer_id == Customer.id).where(Line.number == to_e164(line))
        except InvalidPhoneNumber:
            pass
        digits = "".join(ch for ch in line if ch.isdigit())
        if len(digits) < MIN_PARTIAL_DIGITS:
            return None
        if digits.startswith("0"):
            pattern = "+33" + digits[1:] + "%"
        elif line.strip().startswith("+"):
            pattern = "+" + digits + "%"
        else:
            pattern = "%" + digits
        return query.join(Line, Line.customer_id == Customer.id).where(Line.number.like(pattern)).distinct()

    def traces(self, customer_id: int, limit: int = 50, cursor: str | None = None) -> TracePage:
        """The customer's traces the actor may see (``permission_filter.trace``), newest first.

        Hidden traces are skipped, so a page may hold fewer than ``limit`` items (none at all after
        ``TRACE_SCAN_LIMIT`` hidden ones in a row) while ``next_cursor`` says there is more.
        """
        habilitations.require(self.actor, habilitations.TRACE_READ)
        self._customer(customer_id)
        items: list[dict[str, Any]] = []
        last: int | None = None
        for row in islice(self._trace_rows(customer_id, decode_cursor(cursor) if cursor else None),
                          TRACE_SCAN_LIMIT):
            last = row.id
            data = permission_filter.trace(row.name, row.data, self.actor.permissions)
            if data is not None:
                items.append({"id": row.id, "occurred_at": row.occurred_at, "name": row.name, "actor": row.actor,
                              "call_id": row.call_id, "data": data})
                if len(items) == limit:
                    break
        more = last is not None and self.session.scalar(
            select(TraceEvent.id).where(TraceEvent.customer_id == customer_id, TraceEvent.id < last).limit(1)
        ) is not None
        return TracePage(items=items, next_cursor=encode_cursor(last) if more and last is not None else None)

    def _trace_rows(self, customer_id: int, before: int | None, batch: int = 200) -> Iterator[TraceEvent]:
        """The customer's traces older than ``before``, newest first, read in batches."""
        while True:
            query = select(TraceEvent).where(TraceEvent.customer_id == customer_id)
            if before is not None:
                query = query.where(TraceEvent.id < before)
            rows = list(self.session.scalars(query.order_by(desc(TraceEvent.id)).limit(batch)))
            yield from rows
            if len(rows) < batch:
                return
            before = rows[-1].id

    def commitment_ends(self, customer_id: int) -> list[LinePublic]:
        """The customer's lines with their commitment end (a data read, traced); only for whom may see
        the commitment in the 360° view (NotAllowed otherwise)."""
        habilitations.require(self.actor, habilitations.CUSTOMER_READ)
        permission_filter.require_field(self.actor, "activation_commitment")
        return self.get(customer_id).lines

    def _read(self, customer: Customer, reason: str) -> CustomerPublic:
        public = to_public(customer)
        tracing.record(self.session, "customer.read", self.actor, customer_id=customer.id,
                       fields=list(PUBLIC_FIELDS), reason=reason)
        return public
