"""The IVR menu as a prior on the call's journey (``ivr_menu.yml``, or the site's ``COPILOT_IVR_MENU``).

The caller's menu choice (a ``dtmf`` event, or v1 ``ivr_choice``) names a journey; beside the call reason it
moves ``weight`` of the other journeys' confidence to that journey (the same total), so the caller's own words
still win when they clearly say something else; with no reason to classify, the pop shows the menu's journey,
marked unsure. The file is checked when the app starts (French error with the line).
"""

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from assistant.copilot.context import shift
from assistant.copilot.nlu_client import JourneyPrediction, prediction_from_parse, suggested_acts
from crm_core.acts.catalogue import JOURNEY_CODES
from crm_core.core import config_file
from nlu.journeys import journey_ranking

DEFAULT_FILE = Path(__file__).with_name("ivr_menu.yml")
FIRED = "ivr_menu"  # the name the pop's trace gives the prior when it changed the journeys' ranking


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(min_length=1, max_length=120)
    journey: str | None  # None: a choice that says nothing of the journey (« autre demande »)


class IvrMenu(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    weight: float = Field(ge=0, le=1)
    alone_confidence: float = Field(gt=0, le=1)
    choices: dict[str, Choice]

    def journey(self, keys: str | None) -> str | None:
        """The journey of the menu choice ``keys`` (the last key pressed first, then the whole entry)."""
        if not keys:
            return None
        choice = self.choices.get(keys) or self.choices.get(keys.rstrip("#")[-1:] if keys.rstrip("#") else "")
        return choice.journey if choice else None

    def apply(self, prediction: JourneyPrediction | None, parse: dict[str, Any] | None,
              keys: str | None) -> tuple[JourneyPrediction | None, bool]:
        """The prediction with the menu's prior, and whether the prior changed it."""
        journey = self.journey(keys)
        if journey is None:
            return prediction, False
        if prediction is None or parse is None:
            return JourneyPrediction(journey, self.alone_confidence, suggested_acts(journey, []), unsure=True), True
        ranking = dict(journey_ranking(parse))
        if not ranking:
            return prediction, False
        shift(ranking, journey, self.weight)
        others = [r for r in parse.get("intent_ranking") or [] if r.get("name") not in JOURNEY_CODES]
        shifted = sorted([{"name": n, "confidence": c} for n, c in ranking.items()] + others,
                         key=lambda r: -r["confidence"])
        new = prediction_from_parse({**parse, "intent_ranking": shifted})
        return new, (new.journey, round(new.confidence, 6)) != (prediction.journey, round(prediction.confidence, 6))


def _names(menu: IvrMenu) -> list[config_file.Located]:
    problems: list[config_file.Located] = []
    for keys, choice in menu.choices.items():
        if not keys or any(k not in "0123456789*#" for k in keys):
            problems.append((("choices", keys), f"touche(s) invalide(s) « {keys} » (0-9, * et #)."))
        if choice.journey is not None and choice.journey not in JOURNEY_CODES:
            problems.append((("choices", keys, "journey"), config_file.unknown("parcours", choice.journey,
                                                                              JOURNEY_CODES)))
    return problems


def load(path: Path | str | None = None) -> IvrMenu:
    path = Path(path) if path else DEFAULT_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise config_file.ConfigInvalid(f"Menu du serveur vocal illisible ({path}) : {exc.strerror}.") from exc
    return config_file.load(text, str(path.name), IvrMenu, _names)
