"""Ready means ready: before ``/health`` says ok, every path of a call has run once.

A cold process answers its first call slowly (the Rasa model's first parse, SQLAlchemy's first compiled
queries and mapper set-up, the catalogue cache, the first connections): 1.3–1.7 s were seen, enough to miss
the NLU timeout on a cold machine. The warm-up runs the pop's own code paths once: the customer by line,
the advisor's centre and the 360° read (in a transaction rolled back, so it leaves no trace), a parse of a
call reason through the same Rasa client as the calls, and a signed chat message on a conversation of its
own. It retries while Rasa starts.
"""

import asyncio
import logging
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from assistant.copilot.nlu_client import NluUnavailable, RasaClient
from crm_core.services.customers import CustomerService
from crm_core.services.habilitations import centre_of, system_actor
from nlu.assertion import make_assertion

log = logging.getLogger(__name__)

SAMPLE_NUMBER = "0712345678"
SAMPLE_REASON = "bonjour je voudrais connaître la date de fin de mon engagement"
WARMUP_SENDER = "copilot-warmup"


@dataclass
class Warmup:
    done: bool = False
    detail: str = "préchauffage en cours"
    took_ms: float | None = None


def _warm_database(sessions: sessionmaker[Session]) -> None:
    """The queries of a pop (customer by line, advisor's centre) and of the 360° the panel loads next."""
    with sessions() as session:
        try:
            service = CustomerService(session, system_actor("copilot-warmup"))
            service.find_by_line(SAMPLE_NUMBER)
            service.view360_by_line(SAMPLE_NUMBER)
            centre_of(session, "n1.demo")
        finally:
            session.rollback()  # the reads' traces are not kept: nobody read anything


async def run_warmup(state: Warmup, sessions: sessionmaker[Session], rasa: RasaClient, secret: str,
                     retry_s: float = 0.5) -> None:
    started = time.perf_counter()
    await asyncio.to_thread(_warm_database, sessions)
    while True:
        try:
            await rasa.parse(SAMPLE_REASON)
            assertion = make_assertion(secret, advisor="copilot-warmup", call_id=WARMUP_SENDER, customer_id=None,
                                       text="bonjour")
            await rasa.chat(WARMUP_SENDER, "bonjour", assertion)
            break
        except NluUnavailable as exc:
            state.detail = f"préchauffage en attente de Rasa ({str(exc)[:120]})"
            await asyncio.sleep(retry_s)
    state.took_ms = round((time.perf_counter() - started) * 1000, 1)
    state.done, state.detail = True, "ok"
    log.info("warm-up done in %.0f ms", state.took_ms)
