"""Customer look-ups. Every read checks habilitations and leaves a trace."""

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.models import Customer, Line
from crm_core.phone import InvalidPhoneNumber, to_e164, to_national
from crm_core.schemas.customer import CustomerListItem, CustomerPublic, LinePublic
from crm_core.services import habilitations, tracing
from crm_core.services.actor import Actor


class CustomerNotFound(LookupError):
    pass


def _age(birth: date | None, today: date | None = None) -> int | None:
    if birth is None:
        return None
    today = today or date.today()
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def display_name(customer: Customer) -> str:
    return f"{customer.civility} {customer.first_name} {customer.last_name}".strip()


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
        lines=[
            LinePublic(
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

    def find_by_line(self, raw_number: str) -> CustomerPublic | None:
        """The customer holding this line, or None (unknown or unreadable number)."""
        habilitations.require(self.actor, habilitations.CUSTOMER_READ)
        try:
            number = to_e164(raw_number)
        except InvalidPhoneNumber:
            number = None
        customer = None
        if number is not None:
            customer = self.session.scalar(
                select(Customer).join(Line, Line.customer_id == Customer.id).where(Line.number == number)
            )
        tracing.record(
            self.session,
            "customer.lookup",
            self.actor,
            customer_id=customer.id if customer else None,
            by="line",
            found=customer is not None,
        )
        if customer is None:
            return None
        return self._read(customer, reason="line_lookup")

    def get(self, customer_id: int) -> CustomerPublic:
        habilitations.require(self.actor, habilitations.CUSTOMER_READ)
        customer = self.session.get(Customer, customer_id)
        if customer is None:
            raise CustomerNotFound(f"Client {customer_id} introuvable.")
        return self._read(customer, reason="by_id")

    def search(self, *, line: str | None = None, name: str | None = None, limit: int = 20) -> list[CustomerListItem]:
        habilitations.require(self.actor, habilitations.CUSTOMER_SEARCH)
        query = select(Customer).order_by(Customer.id).limit(limit)
        if line:
            try:
                number = to_e164(line)
            except InvalidPhoneNumber:
                return []
            query = query.join(Line, Line.customer_id == Customer.id).where(Line.number == number)
        if name:
            query = query.where(func.lower(Customer.last_name).startswith(name.strip().lower()))
        customers = list(self.session.scalars(query))
        tracing.record(self.session, "customer.searched", self.actor, by="line" if line else "name",
                       results=len(customers))
        return [
            CustomerListItem(
                id=c.id, display_name=display_name(c), line_numbers=[to_national(li.number) for li in c.lines]
            )
            for c in customers
        ]

    def commitment_ends(self, customer_id: int) -> list[LinePublic]:
        """The customer's lines with their commitment end (a data read, traced)."""
        view = self.get(customer_id)
        return view.lines

    def _read(self, customer: Customer, reason: str) -> CustomerPublic:
        public = to_public(customer)
        tracing.record(
            self.session,
            "customer.read",
            self.actor,
            customer_id=customer.id,
            fields=["identity", "contact", "address", "lines"],
            reason=reason,
        )
        return public
