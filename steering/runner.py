"""The projector's loop inside the app: a step every ``poll_s`` (at once again while there is a backlog), in a
worker thread; a failing step is logged and retried, never the end of the loop."""

import asyncio
import logging

from steering.projector import Projector

log = logging.getLogger(__name__)


async def follow(projector: Projector, poll_s: float = 0.5) -> None:
    while True:
        try:
            step = await asyncio.to_thread(projector.step)
        except Exception:
            log.exception("steering: a projection step failed (retried)")
            await asyncio.sleep(max(poll_s, 2.0))
            continue
        if step.events < projector.batch:
            await asyncio.sleep(poll_s)
