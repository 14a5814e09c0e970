"""Regions, centres, baskets, business profiles, application packs and the demo advisors."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.models import Advisor, Centre, Region, Team, WorkBasket
from crm_core.services.habilitations import upsert_catalogue as upsert_habilitations

REGIONS = [("ARA", "Auvergne-Rhône-Alpes"), ("BRE", "Bretagne"), ("IDF", "Île-de-France")]
CENTRES = [("CCO-LYON", "Centre relation client Lyon", "cco", "ARA"),
           ("CCO-GRENOBLE", "Centre relation client Grenoble", "cco", "ARA"),
           ("AVSC-RENNES", "Centre de services spécialisés Rennes (flotte, fibre)", "avsc", "BRE"),
           ("CCO-CLERMONT", "Centre relation client Clermont-Ferrand", "cco", "ARA"),
           ("CONV-PARIS", "Centre convergent Paris", "convergent", "IDF")]
# code, label, centre, leader: the steering's team level (a team leader reads their team's figures)
TEAMS = [("LYON-A", "Équipe Lyon A", "CCO-LYON", "lead.demo"),
         ("LYON-B", "Équipe Lyon B", "CCO-LYON", None),
         ("GRENOBLE-A", "Équipe Grenoble A", "CCO-GRENOBLE", None),
         ("CLERMONT-A", "Équipe Clermont A", "CCO-CLERMONT", None),
         ("RENNES-N2", "Équipe N2 Rennes", "AVSC-RENNES", None),
         ("PARIS-REC", "Équipe recouvrement Paris", "CONV-PARIS", None)]
BASKETS = [("N2-TECH", "Corbeille N2 technique", "AVSC-RENNES", "n2_technical"),
           ("RECOUVREMENT", "Corbeille recouvrement", "CONV-PARIS", "collection"),
           ("RECLAMATIONS", "Corbeille réclamations", "CCO-LYON", "supervisor")]
# login, name, profile, centre: the README lists them; `copilot token --user LOGIN` signs in as them
ADVISORS = [("n1.demo", "Léa Dubois", "n1_customer_contact", "CCO-LYON", "LYON-A"),
            ("n1.grenoble", "Hugo Morel", "n1_customer_contact", "CCO-GRENOBLE", "GRENOBLE-A"),
            ("n2.demo", "Karim Benali", "n2_technical", "AVSC-RENNES", "RENNES-N2"),
            ("avsc.demo", "Nadia Roux", "fleet_avsc", "AVSC-RENNES", "RENNES-N2"),
            ("collection.demo", "Paul Girard", "collection", "CONV-PARIS", "PARIS-REC"),
            ("lead.demo", "Sarah Lemoine", "team_leader", "CCO-LYON", "LYON-A"),
            ("sup.demo", "Claire Fontaine", "supervisor", "CCO-LYON", None),
            ("trainer.demo", "Inès Lambert", "trainer", None, None),
            ("admin.demo", "Marc Petit", "admin", None, None)]


def upsert_organisation(session: Session) -> None:
    upsert_habilitations(session)
    regions = {}
    for code, name in REGIONS:
        region = session.scalar(select(Region).where(Region.code == code)) or Region(code=code, name=name)
        session.add(region)
        regions[code] = region
    session.flush()
    centres = {}
    for code, name, kind, region in CENTRES:
        centre = session.scalar(select(Centre).where(Centre.code == code)) or Centre(code=code)
        centre.name, centre.kind, centre.region_id = name, kind, regions[region].id
        session.add(centre)
        centres[code] = centre
    session.flush()
    for code, label, centre, profile in BASKETS:
        basket = session.scalar(select(WorkBasket).where(WorkBasket.code == code)) or WorkBasket(code=code)
        basket.label, basket.centre_id, basket.profile_code = label, centres[centre].id, profile
        session.add(basket)
    teams = {}
    for code, label, centre, leader in TEAMS:
        team = session.scalar(select(Team).where(Team.code == code)) or Team(code=code)
        team.label, team.centre_id, team.leader_login = label, centres[centre].id, leader
        session.add(team)
        teams[code] = team
    session.flush()
    for login, name, profile, centre, team in ADVISORS:
        advisor = session.scalar(select(Advisor).where(Advisor.login == login)) or Advisor(login=login)
        advisor.display_name, advisor.profile_code = name, profile
        advisor.centre_id = centres[centre].id if centre else None
        advisor.team_id = teams[team].id if team else None
        session.add(advisor)
