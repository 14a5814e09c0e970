"""Who sees whose figures: a supervisor the centres of their region, a team leader their team, an advisor their
own figures; anyone else (trainers, administrators) none. Read from the CRM at each request, never from what
the client says."""

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from crm_core.models import Advisor, Centre, Region, Team
from crm_core.services.actor import Actor
from crm_core.services.errors import NotFound
from crm_core.services.habilitations import KPI_OWN, KPI_REGION, KPI_TEAM, NotAllowed

Level = Literal["advisor", "team", "centre", "region"]
LEVELS: tuple[Level, ...] = ("advisor", "team", "centre", "region")
LEVEL_LABELS = {"advisor": "conseiller", "team": "équipe", "centre": "centre", "region": "région"}
NO_FIGURES = "Votre profil ne donne accès à aucun indicateur de pilotage."


@dataclass(frozen=True)
class Scope:
    """The figures one may read: ``kind`` region (code), team (code) or own (login)."""

    kind: Literal["region", "team", "own"]
    code: str
    levels: tuple[Level, ...]
    centre: str | None = None  # the reader's own centre (the comparison opens on it)

    @property
    def default_level(self) -> Level:
        """The level a page opens on: centres for a supervisor, the team's advisors for a team leader."""
        return "centre" if "centre" in self.levels else "advisor"

    def allows(self, level: str) -> bool:
        return level in self.levels

    def refuse_level(self, level: str) -> None:
        if not self.allows(level):
            what = {"region": "des centres de votre région", "team": "de votre équipe",
                    "own": "de votre propre activité"}[self.kind]
            raise NotAllowed(f"Vous ne pouvez voir que les chiffres {what} : le niveau « "
                             f"{LEVEL_LABELS.get(level, level)} » ne vous est pas ouvert.")

    def where(self, table: type) -> ColumnElement[bool]:
        """The rows of ``table`` (a model with advisor/team/region columns) inside the scope."""
        column = {"region": table.region, "team": table.team, "own": table.advisor}[self.kind]  # type: ignore[attr-defined]
        return column == self.code  # type: ignore[no-any-return]


def scope_of(session: Session, actor: Actor) -> Scope:
    """The widest scope the actor's permissions give (403 in French when none)."""
    advisor = session.scalar(select(Advisor).where(Advisor.login == actor.login))
    centre = advisor.centre.code if advisor is not None and advisor.centre is not None else None
    if actor.can(KPI_REGION) and advisor is not None and advisor.centre is not None:
        region = session.get(Region, advisor.centre.region_id)
        if region is not None:
            return Scope("region", region.code, LEVELS, centre)
    if actor.can(KPI_TEAM) and advisor is not None:
        led = session.scalar(select(Team).where(Team.leader_login == actor.login).order_by(Team.id))
        if led is not None:
            return Scope("team", led.code, ("advisor", "team"), centre)
    if actor.can(KPI_OWN) and advisor is not None:
        return Scope("own", actor.login, ("advisor",), centre)
    raise NotAllowed(NO_FIGURES)


def centre_in_scope(session: Session, scope: Scope, code: str) -> Centre:
    """The centre ``code`` when the scope covers it: 404 unknown, 403 outside the scope (in French)."""
    check_key(session, scope, "centre", code)
    centre = session.scalar(select(Centre).where(Centre.code == code))
    assert centre is not None
    return centre


def check_key(session: Session, scope: Scope, level: str, key: str) -> None:
    """A key the request names (a filter or a row's key): 404 when unknown, 403 when outside the scope, in French
    (a level's key the scope covers partly, e.g. a team leader's centre, is refused: its figures would be the
    team's, not the centre's)."""
    if level == "region":
        region = session.scalar(select(Region).where(Region.code == key))
        if region is None:
            raise NotFound(f"Région inconnue : « {key[:40]} ».")
        inside, name = scope.kind == "region" and region.code == scope.code, region.name
    elif level == "centre":
        centre = session.scalar(select(Centre).where(Centre.code == key))
        if centre is None:
            raise NotFound(f"Centre inconnu : « {key[:40]} ».")
        inside, name = scope.kind == "region" and centre.region.code == scope.code, centre.name
    elif level == "team":
        team = session.scalar(select(Team).where(Team.code == key))
        if team is None:
            raise NotFound(f"Équipe inconnue : « {key[:40]} ».")
        inside = (scope.kind == "region" and team.centre.region.code == scope.code) or (
            scope.kind == "team" and team.code == scope.code)
        name = team.label
    else:
        advisor = session.scalar(select(Advisor).where(Advisor.login == key))
        if advisor is None:
            raise NotFound(f"Conseiller inconnu : « {key[:80]} ».")
        inside = (scope.kind == "region" and advisor.centre is not None and advisor.centre.region.code == scope.code
                  ) or (scope.kind == "team" and advisor.team is not None and advisor.team.code == scope.code) or (
            scope.kind == "own" and advisor.login == scope.code)
        name = advisor.display_name
    if not inside:
        raise NotAllowed(f"« {name} » n'est pas dans votre périmètre de pilotage.")
