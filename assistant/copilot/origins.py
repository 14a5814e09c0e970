"""Which browser pages may open our websockets: the app's own, and the origins settings allow.

A telephony adapter or a script sends no ``Origin``; a browser always does, so a page of another site
cannot drive a panel's or the bridge's socket from an advisor's browser.
"""

from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

from crm_core.core.config import get_crm_settings


def origin_allowed(conn: HTTPConnection) -> bool:
    origin = conn.headers.get("origin")
    if origin is None:
        return True
    if urlsplit(origin).netloc and urlsplit(origin).netloc == conn.headers.get("host"):
        return True
    return origin.rstrip("/") in {o.rstrip("/") for o in get_crm_settings().allowed_origins}
