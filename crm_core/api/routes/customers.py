from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from crm_core.api.deps import ActorDep, SessionDep
from crm_core.schemas.customer import CustomerListItem, CustomerPublic
from crm_core.services.customers import CustomerNotFound, CustomerService

router = APIRouter(prefix="/api/customers", tags=["customers"])


@router.get("", response_model=list[CustomerListItem])
def search_customers(
    session: SessionDep,
    actor: ActorDep,
    line: Annotated[str | None, Query(max_length=40)] = None,
    name: Annotated[str | None, Query(max_length=80)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[CustomerListItem]:
    return CustomerService(session, actor).search(line=line, name=name, limit=limit)


@router.get("/{customer_id}", response_model=CustomerPublic)
def read_customer(customer_id: int, session: SessionDep, actor: ActorDep) -> CustomerPublic:
    try:
        return CustomerService(session, actor).get(customer_id)
    except CustomerNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
