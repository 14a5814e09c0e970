"""Calls the running Rasa server's HTTP API and turns a parse into a journey prediction."""

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from crm_core.acts.catalogue import acts_for, label_for
from nlu.assertion import model_signature, reason_signature
from nlu.journeys import primary_and_secondary, unsure


class NluUnavailable(RuntimeError):
    """The Rasa server could not be reached or answered badly."""


@dataclass
class JourneyPrediction:
    journey: str | None
    confidence: float
    acts: list[dict[str, Any]]
    entities: list[dict[str, Any]] = field(default_factory=list)
    intent: str | None = None
    secondary: list[dict[str, str]] = field(default_factory=list)  # other reasons of the same call
    unsure: bool = False  # the journeys' ranking leaves the reason in doubt
    parse: dict[str, Any] | None = field(default=None, repr=False)  # Rasa's parse it was made from


def prediction_from_parse(parse: dict[str, Any]) -> JourneyPrediction:
    """Primary and secondary journeys from Rasa's intent ranking (advisor-chat intents are not journeys).

    The acts are those of the primary journey followed by those of the secondary ones, without repeats.
    """
    journey, confidence, secondary = primary_and_secondary(parse)
    entities = [
        {"entity": e.get("entity"), "value": e.get("value"), "text": parse.get("text", "")[e["start"]:e["end"]]
         if "start" in e and "end" in e else e.get("value")}
        for e in parse.get("entities", [])
    ]
    return JourneyPrediction(
        journey=journey,
        confidence=round(confidence, 4),
        acts=suggested_acts(journey, secondary),
        entities=entities,
        intent=(parse.get("intent") or {}).get("name"),
        secondary=[{"journey": s, "label": label_for(s) or s} for s in secondary],
        unsure=journey is not None and confidence < 1.0 and unsure(parse),
        parse=parse,
    )


def suggested_acts(journey: str | None, secondary: list[str]) -> list[dict[str, Any]]:
    """The acts of the primary journey, then those of the secondary ones, without repeats (the pop's buttons)."""
    acts: list[dict[str, Any]] = []
    for name in [journey, *secondary]:
        acts += [{"code": a.code, "label": a.label, "writes": a.writes, "journey": name}
                 for a in acts_for(name) if a.code not in {x["code"] for x in acts}]
    return acts


class RasaClient:
    """The copilot's client of its Rasa server: the HTTP API with the server's token, and the conversations
    through the copilot's signed channel (``nlu/channels/copilot.py``)."""

    CHAT_WEBHOOK = "/webhooks/copilot/webhook"
    REASON_PARSE = "/webhooks/copilot/parse"
    MODEL_LOAD = "/webhooks/copilot/model"

    def __init__(self, base_url: str, timeout_s: float = 2.0, chat_timeout_s: float = 10.0,
                 token: str = "", secret: str = "") -> None:
        self.base_url = base_url.rstrip("/")
        self.chat_timeout_s = chat_timeout_s
        self._token = token
        self._secret = secret  # signs the call reasons sent to the channel's parse (nlu/channels/copilot.py)
        self._reason_route = bool(secret)  # False once the server said it has no such route (an older one)
        self._client = httpx.AsyncClient(timeout=timeout_s)

    def _api(self, path: str) -> tuple[str, dict[str, str]]:
        """URL and query of an API route (Rasa takes its token as ``?token=`` only)."""
        return f"{self.base_url}{path}", {"token": self._token}

    async def parse(self, text: str) -> dict[str, Any]:
        url, params = self._api("/model/parse")
        try:
            response = await self._client.post(url, params=params, json={"text": text})
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise NluUnavailable(f"Rasa parse failed: {_safe(exc)}") from exc

    async def status(self) -> dict[str, Any]:
        url, params = self._api("/status")
        try:
            response = await self._client.get(url, params=params)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise NluUnavailable(f"Rasa status failed: {_safe(exc)}") from exc

    async def conversation(self, call_id: str) -> list[dict[str, Any]]:
        """The call's conversation events (Rasa's tracker), read with the API token."""
        url, params = self._api(f"/conversations/{call_id}/tracker")
        try:
            response = await self._client.get(url, params=params | {"include_events": "ALL"})
            response.raise_for_status()
            return list(response.json().get("events") or [])
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            raise NluUnavailable(f"Rasa tracker read failed: {_safe(exc)}") from exc

    async def parse_reason(self, text: str) -> dict[str, Any]:
        """A caller's reason parsed as a call reason: the channel's signed parse, which skips the advisor-chat
        classifiers (half of a parse's time); Rasa's ``/model/parse`` when the server has no such route."""
        if not self._reason_route:
            return await self.parse(text)
        try:
            response = await self._client.post(f"{self.base_url}{self.REASON_PARSE}", json={"text": text},
                                               headers={"X-Copilot-Signature": reason_signature(self._secret, text)})
            if response.status_code == 404:
                self._reason_route = False
                return await self.parse(text)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise NluUnavailable(f"Rasa parse failed: {_safe(exc)}") from exc

    async def load_model(self, path: str, timeout_s: float = 120.0) -> dict[str, Any]:
        """Have the running server load a published model (``/webhooks/copilot/model``); returns its
        ``model_id``. NluUnavailable when the server cannot be reached or refuses the archive."""
        issued = int(time.time())
        try:
            response = await self._client.post(
                f"{self.base_url}{self.MODEL_LOAD}", json={"path": path, "issued_at": issued}, timeout=timeout_s,
                headers={"X-Copilot-Signature": model_signature(self._secret, path, issued)})
        except httpx.HTTPError as exc:
            raise NluUnavailable(f"Rasa model load failed: {_safe(exc)}") from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200:
            raise NluUnavailable(f"Rasa refused the model ({response.status_code}): {body.get('error', '')}"[:500])
        return body

    async def classify(self, text: str) -> JourneyPrediction:
        return prediction_from_parse(await self.parse_reason(text))

    async def chat(self, sender: str, text: str, assertion: str) -> list[dict[str, Any]]:
        """Send one advisor message, with the copilot's assertion, to the call's conversation; returns the
        bot's messages."""
        try:
            response = await self._client.post(
                f"{self.base_url}{self.CHAT_WEBHOOK}",
                json={"sender": sender, "message": text, "metadata": {"assertion": assertion}},
                timeout=self.chat_timeout_s,
            )
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise NluUnavailable(f"Rasa conversation failed: {_safe(exc)}") from exc

    async def aclose(self) -> None:
        await self._client.aclose()


def _safe(exc: Exception) -> str:
    """The error without the URL's query (it carries the API token)."""
    text = repr(exc)
    return text.split("?token=")[0] + ("?token=***" if "?token=" in text else "")
