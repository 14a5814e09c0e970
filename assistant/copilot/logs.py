"""Logging of the app process: credentials never reach the logs."""

import copy
import logging
import re
from typing import Any

_SECRET = re.compile(r"((?:token|access_token)=)[^&\s\"']+", re.IGNORECASE)
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+")


def redact(text: str) -> str:
    return _BEARER.sub(r"\1***", _SECRET.sub(r"\1***", text))


class RedactSecrets(logging.Filter):
    """Masks ``token=…`` query parameters and bearer tokens in every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's default logging, with the redaction filter on its handlers."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact"] = {"()": RedactSecrets}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact")
    return config
