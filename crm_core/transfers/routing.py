"""The transfer routing file: teams, prerequisites, routes and handover facts, validated when read.

The rules live in a YAML file (``routing.yml`` beside this module, or the site's own through
``COPILOT_TRANSFER_ROUTING``), not in code. ``load`` checks its shape and every name it uses (journeys, acts,
script steps, business profiles, 360° fields, prerequisites, teams) and raises ``RoutingInvalid`` with a
French message naming the file and the line; ``check_baskets`` checks the teams' baskets against the CRM.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.acts import scripts
from crm_core.acts.catalogue import ACTS, JOURNEY_CODES
from crm_core.core import config_file
from crm_core.core.config_file import unknown
from crm_core.models import WorkBasket
from crm_core.services import fields

DEFAULT_FILE = Path(__file__).with_name("routing.yml")
FLAGS = ("complaint", "guardianship", "electronic_tag", "debt", "unhappy")


class RoutingInvalid(config_file.ConfigInvalid):
    """The routing file is wrong: the message (French) names the file and the line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DoneBy(_Strict):
    acts: tuple[str, ...] = ()
    script_steps: tuple[str, ...] = ()
    customer: bool = False


class Prerequisite(_Strict):
    label: str = Field(min_length=1, max_length=120)
    done_by: DoneBy | None = None


class Team(_Strict):
    label: str = Field(min_length=1, max_length=120)
    basket: str = Field(min_length=1, max_length=40)
    receivers: tuple[str, ...] = Field(min_length=1)
    senders: tuple[str, ...] = Field(min_length=1)
    blocking: tuple[str, ...] = ()
    advised: tuple[str, ...] = ()


class When(_Strict):
    flags: tuple[str, ...] = ()
    acts_done: tuple[str, ...] = ()


class Route(_Strict):
    journey: tuple[str, ...] = ()  # empty: any journey
    when: When | None = None
    to: str
    blocking: tuple[str, ...] = ()
    advised: tuple[str, ...] = ()

    @field_validator("journey", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    def matches(self, journey: str | None, flags: Iterable[str], acts_done: Iterable[str]) -> bool:
        if self.journey and journey not in self.journey:
            return False
        if self.when is None:
            return True
        return set(self.when.flags) <= set(flags) and set(self.when.acts_done) <= set(acts_done)


class Routing(_Strict):
    teams: dict[str, Team] = Field(min_length=1)
    default_team: str
    prerequisites: dict[str, Prerequisite]
    routes: tuple[Route, ...] = ()
    facts: dict[str, tuple[str, ...]]
    unhappy_words: tuple[str, ...] = ()

    # -- what the transfer asks of the routing --------------------------------------------------------------
    def team_code(self, to: str) -> str | None:
        """The team a request names: a team's code, its basket's code, or ``n2`` (the default team)."""
        if to in self.teams:
            return to
        if to == "n2":
            return self.default_team
        return next((code for code, team in self.teams.items() if team.basket == to), None)

    def propose(self, journey: str | None, flags: Iterable[str], acts_done: Iterable[str]) -> "Choice":
        """The first route that matches the call (else the default team, with its own prerequisites)."""
        flags, acts_done = set(flags), set(acts_done)
        for route in self.routes:
            if route.matches(journey, flags, acts_done):
                return Choice(route.to, route.blocking, route.advised)
        team = self.teams[self.default_team]
        return Choice(self.default_team, team.blocking, team.advised)

    def for_team(self, team: str, journey: str | None, flags: Iterable[str], acts_done: Iterable[str]) -> "Choice":
        """The prerequisites of a transfer to ``team``: those of the first route to that team that matches the
        call, else the team's own (an advisor who picks another team does not skip what it needs)."""
        flags, acts_done = set(flags), set(acts_done)
        for route in self.routes:
            if route.to == team and route.matches(journey, flags, acts_done):
                return Choice(team, route.blocking, route.advised)
        spec = self.teams[team]
        return Choice(team, spec.blocking, spec.advised)

    def senders_teams(self, profile: str) -> list[str]:
        return [code for code, team in self.teams.items() if profile in team.senders]

    def receivers_teams(self, profile: str) -> list[str]:
        return [code for code, team in self.teams.items() if profile in team.receivers]

    def facts_for(self, journey: str | None) -> tuple[str, ...]:
        return self.facts.get(journey or "", self.facts["default"])


@dataclass(frozen=True)
class Choice:
    team: str
    blocking: tuple[str, ...]
    advised: tuple[str, ...]


# -- reading the file -----------------------------------------------------------------------------------------
def load(path: Path | str | None = None) -> Routing:
    """The routing file, checked; ``RoutingInvalid`` (French, with the line) otherwise."""
    path = Path(path) if path else DEFAULT_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RoutingInvalid(f"Fichier de routage des transferts illisible ({path}) : {exc.strerror}.") from exc
    return parse(text, str(path))


def parse(text: str, name: str = "routing.yml") -> Routing:
    try:
        return config_file.load(text, name, Routing, _names)
    except config_file.ConfigInvalid as exc:
        raise RoutingInvalid(str(exc)) from exc


def check_baskets(routing: Routing, session: Session, name: str = "routing.yml") -> None:
    """Every team's basket exists in the CRM (checked at start, against the database)."""
    known = set(session.scalars(select(WorkBasket.code)))
    for code, team in routing.teams.items():
        if team.basket not in known:
            raise RoutingInvalid(f"{name} : la corbeille « {team.basket} » de l'équipe « {code} » n'existe pas "
                                 f"dans le CRM (corbeilles : {', '.join(sorted(known)) or 'aucune'}).")


def _names(r: Routing) -> Iterable[tuple[tuple[Any, ...], str]]:
    """Every name the file uses that the project does not know, with where it is."""
    from crm_core.services.habilitations import PROFILES

    steps = {s.id for script in scripts.SCRIPTS for s in script.steps}

    def prerequisites(loc: tuple[Any, ...], codes: Sequence[str]) -> Iterable[tuple[tuple[Any, ...], str]]:
        for i, code in enumerate(codes):
            if code not in r.prerequisites:
                yield (*loc, i), unknown("prérequis", code, r.prerequisites)

    if r.default_team not in r.teams:
        yield ("default_team",), unknown("équipe", r.default_team, r.teams)
    for code, team in r.teams.items():
        for key in ("receivers", "senders"):
            for i, profile in enumerate(getattr(team, key)):
                if profile not in PROFILES:
                    yield ("teams", code, key, i), unknown("profil", profile, PROFILES)
        yield from prerequisites(("teams", code, "blocking"), team.blocking)
        yield from prerequisites(("teams", code, "advised"), team.advised)
    for code, spec in r.prerequisites.items():
        done = spec.done_by
        for i, act in enumerate(done.acts if done else ()):
            if act not in ACTS:
                yield ("prerequisites", code, "done_by", "acts", i), unknown("acte", act, ACTS)
        for i, step in enumerate(done.script_steps if done else ()):
            if step not in steps:
                yield ("prerequisites", code, "done_by", "script_steps", i), unknown("étape de script", step, steps)
    for n, route in enumerate(r.routes):
        for i, journey in enumerate(route.journey):
            if journey not in JOURNEY_CODES:
                yield ("routes", n, "journey", i if len(route.journey) > 1 else None), unknown(
                    "parcours", journey, JOURNEY_CODES)
        if route.to not in r.teams:
            yield ("routes", n, "to"), unknown("équipe", route.to, r.teams)
        for i, flag in enumerate(route.when.flags if route.when else ()):
            if flag not in FLAGS:
                yield ("routes", n, "when", "flags", i), unknown("signalement", flag, FLAGS)
        for i, act in enumerate(route.when.acts_done if route.when else ()):
            if act not in ACTS:
                yield ("routes", n, "when", "acts_done", i), unknown("acte", act, ACTS)
        yield from prerequisites(("routes", n, "blocking"), route.blocking)
        yield from prerequisites(("routes", n, "advised"), route.advised)
    if "default" not in r.facts:
        yield ("facts",), "la liste « default » des faits manque (parcours non listés)."
    for journey, names in r.facts.items():
        if journey != "default" and journey not in JOURNEY_CODES:
            yield ("facts", journey), unknown("parcours", journey, JOURNEY_CODES)
        for i, name in enumerate(names):
            if name not in fields.BY_NAME:
                yield ("facts", journey, i), unknown("champ 360°", name, fields.BY_NAME)
