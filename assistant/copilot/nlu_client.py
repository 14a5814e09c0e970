"""Calls the running Rasa server's HTTP API and turns a parse into a journey prediction."""

from dataclasses import dataclass, field
from typing import Any

import httpx

from assistant.copilot.journeys import acts_for, label_for
from nlu.journeys import primary_and_secondary


class NluUnavailable(RuntimeError):
    """The Rasa server could not be reached or answered badly."""


@dataclass
class JourneyPrediction:
    journey: str | None
    confidence: float
    acts: list[dict[str, str]]
    entities: list[dict[str, Any]] = field(default_factory=list)
    intent: str | None = None
    secondary: list[dict[str, str]] = field(default_factory=list)  # other reasons of the same call


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
    acts: list[dict[str, str]] = []
    for name in [journey, *secondary]:
        acts += [a for a in acts_for(name) if a["code"] not in {x["code"] for x in acts}]
    return JourneyPrediction(
        journey=journey,
        confidence=round(confidence, 4),
        acts=acts,
        entities=entities,
        intent=(parse.get("intent") or {}).get("name"),
        secondary=[{"journey": s, "label": label_for(s) or s} for s in secondary],
    )


class RasaClient:
    def __init__(self, base_url: str, timeout_s: float = 2.0, chat_timeout_s: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.chat_timeout_s = chat_timeout_s
        self._client = httpx.AsyncClient(timeout=timeout_s)

    async def parse(self, text: str) -> dict[str, Any]:
        try:
            response = await self._client.post(f"{self.base_url}/model/parse", json={"text": text})
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise NluUnavailable(f"Rasa parse failed: {exc!r}") from exc

    async def classify(self, text: str) -> JourneyPrediction:
        return prediction_from_parse(await self.parse(text))

    async def chat(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """Send one advisor message to the call's Rasa conversation; returns the bot's messages."""
        try:
            response = await self._client.post(
                f"{self.base_url}/webhooks/rest/webhook",
                json={"sender": sender, "message": text, "metadata": metadata},
                timeout=self.chat_timeout_s,
            )
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise NluUnavailable(f"Rasa conversation failed: {exc!r}") from exc

    async def aclose(self) -> None:
        await self._client.aclose()
