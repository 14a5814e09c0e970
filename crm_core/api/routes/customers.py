"""Customers: search, the 360° view, edits in place, traces."""

import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response

from crm_core.api.deps import ActorDep, SessionDep
from crm_core.api.problems import RESPONSES
from crm_core.schemas.customer import CustomerPage, TracePage, View360
from crm_core.schemas.edits import ContactUpdate, Edited, GuardianshipUpdate, OptionAdd, PaymentMethodUpdate
from crm_core.services.customers import CustomerService
from crm_core.services.edits import CustomerEditor
from crm_core.services.errors import StaleVersion
from crm_core.services.validation import FieldInvalid, IsoBirthDate, ValidationFailed
from crm_core.text import safe_text

router = APIRouter(prefix="/api/customers", tags=["customers"], responses=RESPONSES)

CustomerId = Annotated[int, Path(ge=1, le=2**31 - 1)]
IfMatch = Annotated[str | None, Header(max_length=40, description='Version the edit is based on: "3"')]


def _version(if_match: str | None, body_version: int | None) -> int | None:
    """The version an edit is based on: the ``version`` field, else ``If-Match``; both must agree."""
    header = None
    if if_match:
        found = re.fullmatch(r'\s*(?:W/)?"?(\d{1,9})"?\s*', if_match)
        if found is None:
            raise StaleVersion(0)
        header = int(found.group(1))
    if header is not None and body_version is not None and header != body_version:
        raise StaleVersion(0)
    return body_version if body_version is not None else header


def _etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'


@router.get("", response_model=CustomerPage)
def search_customers(
    session: SessionDep,
    actor: ActorDep,
    line: Annotated[safe_text(40) | None, Query(max_length=40, description="A line number, any French format")] = None,
    name: Annotated[safe_text(80) | None, Query(max_length=80, description="Start of the last name")] = None,
    birth_date: Annotated[IsoBirthDate | None, Query(description="With name: the birth date (AAAA-MM-JJ), from "
                                                     "1900-01-01 to today")] = None,
    email: Annotated[safe_text(200) | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> CustomerPage:
    try:
        born = date.fromisoformat(birth_date) if birth_date else None
    except ValueError as exc:
        raise ValidationFailed([FieldInvalid("birth_date", "Date de naissance impossible.")]) from exc
    return CustomerService(session, actor).search(line=line, name=name, birth_date=born, email=email,
                                                  limit=limit, cursor=cursor)


@router.get("/{customer_id}/view360", response_model=View360)
def read_view360(customer_id: CustomerId, session: SessionDep, actor: ActorDep, response: Response) -> dict:
    view = CustomerService(session, actor).view360(customer_id)
    _etag(response, view["version"])
    return view


@router.get("/{customer_id}/traces", response_model=TracePage)
def read_traces(
    customer_id: CustomerId, session: SessionDep, actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> TracePage:
    return CustomerService(session, actor).traces(customer_id, limit, cursor)


@router.patch("/{customer_id}", response_model=Edited)
def update_contact(customer_id: CustomerId, update: ContactUpdate, session: SessionDep, actor: ActorDep,
                   response: Response, if_match: IfMatch = None) -> dict:
    """Contact data and postal address. Only the fields sent are changed."""
    update.version = _version(if_match, update.version)
    version = CustomerEditor(session, actor).update_contact(customer_id, update)
    _etag(response, version)
    return {"customer_id": customer_id, "version": version}


@router.put("/{customer_id}/payment-method", response_model=Edited)
def set_payment_method(customer_id: CustomerId, update: PaymentMethodUpdate, session: SessionDep,
                       actor: ActorDep, response: Response, if_match: IfMatch = None) -> dict:
    update.version = _version(if_match, update.version)
    version = CustomerEditor(session, actor).set_payment_method(customer_id, update)
    _etag(response, version)
    return {"customer_id": customer_id, "version": version}


@router.post("/{customer_id}/lines/{line_id}/options", response_model=Edited, status_code=201)
def add_option(customer_id: CustomerId, line_id: Annotated[int, Path(ge=1, le=2**31 - 1)], update: OptionAdd,
               session: SessionDep, actor: ActorDep, response: Response, if_match: IfMatch = None) -> dict:
    version = CustomerEditor(session, actor).add_option(customer_id, line_id, update.option_code,
                                                        _version(if_match, update.version))
    _etag(response, version)
    return {"customer_id": customer_id, "version": version}


@router.delete("/{customer_id}/lines/{line_id}/options/{option_code}", response_model=Edited)
def remove_option(customer_id: CustomerId, line_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
                  option_code: Annotated[str, Path(max_length=40)], session: SessionDep, actor: ActorDep,
                  response: Response, if_match: IfMatch = None) -> dict:
    version = CustomerEditor(session, actor).remove_option(customer_id, line_id, option_code,
                                                           _version(if_match, None))
    _etag(response, version)
    return {"customer_id": customer_id, "version": version}


@router.put("/{customer_id}/guardianship", response_model=Edited)
def set_guardianship(customer_id: CustomerId, update: GuardianshipUpdate, session: SessionDep, actor: ActorDep,
                     response: Response, if_match: IfMatch = None) -> dict:
    update.version = _version(if_match, update.version)
    version = CustomerEditor(session, actor).set_guardianship(customer_id, update)
    _etag(response, version)
    return {"customer_id": customer_id, "version": version}


@router.delete("/{customer_id}/guardianship", response_model=Edited)
def remove_guardianship(customer_id: CustomerId, session: SessionDep, actor: ActorDep, response: Response,
                        if_match: IfMatch = None) -> dict:
    version = CustomerEditor(session, actor).remove_guardianship(customer_id, _version(if_match, None))
    _etag(response, version)
    return {"customer_id": customer_id, "version": version}
