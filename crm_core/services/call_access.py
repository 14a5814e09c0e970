"""Who may act on a call: the advisor it is presented to, the level-2 advisor who took its transfer, or a
supervisor of the advisor's centre.

Every door that takes a call id (the panel's chat and customer choice, the API's ``X-Call-Id``, later acts
and transfers) asks ``require_call``. Unknown calls and other advisors' calls get the same French refusal,
so a refusal tells nothing about which calls exist; each refusal is traced by the directory.
"""

import re
from dataclasses import dataclass
from typing import Protocol

from crm_core.services.actor import Actor
from crm_core.services.habilitations import CALL_SUPERVISE, NotAllowed

CALL_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,80}$")  # the CallEvent's own pattern
REFUSAL = "Cet appel ne vous est pas attribué : action refusée."


class NotYourCall(NotAllowed):
    pass


class CallEnded(NotAllowed):
    """The advisor's own call, but it has ended: nothing more can be done on it from the panel."""


@dataclass(frozen=True)
class CallOwner:
    call_id: str
    agent: str | None  # None: the call waits for an advisor
    centre: str | None  # the agent's centre
    active: bool  # False: ended recently (after-call work on the same call is still the agent's)
    customer_id: int | None = None  # the customer the call is about (identified by the line or attached by hand)
    shared: frozenset[str] = frozenset()  # level-2 advisors who took the call's transfer (crm_core.transfers)


class CallDirectory(Protocol):
    def owner(self, call_id: str) -> CallOwner | None: ...

    def refused(self, actor: Actor, call_id: str, door: str) -> None: ...


def may_access(actor: Actor, owner: CallOwner) -> bool:
    if owner.agent is None:
        return False
    if actor.login == owner.agent or actor.login in owner.shared:
        return True
    return actor.can(CALL_SUPERVISE) and owner.centre is not None and actor.centre == owner.centre


NOT_THE_CALLS_CUSTOMER = ("Ce client n'est pas celui de l'appel en cours : recherchez-le et rattachez-le à l'appel "
                          "avant d'agir sur son dossier.")


class NotTheCallsCustomer(NotAllowed):
    pass


def require_call_customer(owner: CallOwner, customer_id: int | None) -> None:
    """An act on a call is about the call's customer (or about none, to create one): not whoever the client names."""
    if customer_id is not None and customer_id != owner.customer_id:
        raise NotTheCallsCustomer(NOT_THE_CALLS_CUSTOMER)


def require_call(directory: CallDirectory | None, actor: Actor, call_id: str, door: str,
                 active: bool = False) -> CallOwner:
    """The call's owner when ``actor`` may act on it (and, with ``active``, it is still in progress)."""
    owner = directory.owner(call_id) if directory is not None and CALL_ID.match(call_id) else None
    if owner is None or not may_access(actor, owner):
        if directory is not None:
            directory.refused(actor, call_id[:80], door)
        raise NotYourCall(REFUSAL)
    if active and not owner.active:
        raise CallEnded("Cet appel est terminé.")
    return owner
