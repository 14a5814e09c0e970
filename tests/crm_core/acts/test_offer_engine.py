"""The offer engine: each criterion on its own, then the ranking of the demo customers' offers."""

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from crm_core.acts import offer_engine as engine
from crm_core.models import CollectionCase, Customer, Line, LineOption, Offer

TODAY = date(2026, 12, 1)
CAMILLE, JEAN_PIERRE, SOPHIE, KEVIN = 1, 2, 3, 4


def _offer(code: str, universe: str, price: str, kind: str = "plan", technology: str | None = None,
           months: int = 0, for_universe: str | None = None) -> Offer:
    return Offer(code=code, label=code.replace("_", " ").title(), universe=universe, kind=kind, technology=technology,
                 monthly_price=Decimal(price), commitment_months=months, for_universe=for_universe)


BOX_TV = _offer("BOX_FIBRE_2G_TV", "fixed", "42.99", technology="fibre", months=12)
BOX_ADSL = _offer("BOX_ADSL", "fixed", "24.99", technology="adsl", months=12)
CONV = _offer("CONV_FAMILLE", "convergent", "54.99", technology="fibre", months=12)
MOBILE_4G = _offer("MOBILE_100G", "mobile", "12.99", technology="4g")
MOBILE_5G = _offer("MOBILE_5G_200G", "mobile", "21.99", technology="5g", months=12)
TV_SPORT = _offer("OPT_TV_SPORT", "fixed", "9.99", kind="option", for_universe="fixed")
DATA_EU = _offer("OPT_DATA_EU", "mobile", "3.00", kind="option", for_universe="mobile")


def _line(kind: str, offer: Offer, *options: Offer, end: date | None = None) -> Line:
    return Line(number="+33712345678" if kind == "mobile" else "+33972123456", kind=kind, offer=offer,
                commitment_end=end, options=[LineOption(option=o, option_code=o.code) for o in options])


def _codes(recommendations: list[engine.Recommendation]) -> list[str]:
    return [r.offer.code for r in recommendations]


def _recommend(sessions: sessionmaker[Session], customer_id: int) -> list[engine.Recommendation]:
    with sessions() as s:
        return engine.recommend(s, s.get(Customer, customer_id), TODAY)


# -- each criterion ---------------------------------------------------------------------------------------------
def test_interests_are_read_whatever_their_case_and_accents() -> None:
    names = [t.name for t in engine.themes_of(["Séries TV", "FOOTBALL", "jeux video", "voyages", "jardinage"])]
    assert names == ["TV et séries", "sport", "jeux vidéo et très haut débit", "voyages"]
    assert engine.themes_of(["jardinage", "musique", "quad ATV"]) == []  # « tv » is not read inside a word
    assert engine.themes_of(None) == []


def test_an_upgrade_of_a_held_universe_outranks_a_new_line_and_a_cheaper_plan() -> None:
    mobile = _line("mobile", MOBILE_4G)
    assert engine.holding_points(MOBILE_5G, mobile)[0] == engine.UPGRADE
    assert engine.holding_points(BOX_TV, None)[0] == engine.CROSS_SELL
    cheaper = engine.holding_points(_offer("MOBILE_2H", "mobile", "4.99"), mobile)
    assert cheaper == (engine.DOWNGRADE, ["moins cher que « Mobile 100G » (fidélisation)"])
    assert engine.UPGRADE > engine.CROSS_SELL > engine.OPTION > engine.DOWNGRADE


def test_convergence_needs_a_mobile_and_rewards_the_missing_half() -> None:
    assert engine.convergence_points(CONV, {"mobile", "fixed"})[0] == engine.CONVERGENT_OFFER
    assert engine.convergence_points(CONV, {"fixed"})[0] == 0  # its discount needs a mobile line
    assert engine.convergence_points(BOX_TV, {"mobile"})[0] == engine.MISSING_HALF
    assert engine.convergence_points(MOBILE_5G, {"fixed"})[0] == engine.MISSING_HALF
    assert engine.convergence_points(MOBILE_5G, {"mobile"})[0] == 0
    assert engine.convergence_points(BOX_TV, set())[0] == 0  # a first line completes nothing
    assert engine.convergence_points(DATA_EU, {"fixed"})[0] == 0


def test_a_lost_option_costs_more_when_the_customer_cares_for_it() -> None:
    themes = engine.themes_of(["football"])
    assert engine.lost_option_points([TV_SPORT], []) == (-engine.LOST_OPTION, ["retire « Opt Tv Sport »"])
    assert engine.lost_option_points([TV_SPORT], themes)[0] == -engine.LOST_OPTION - engine.INTEREST


def test_adsl_comes_after_the_fibre_only_where_the_fibre_is_possible() -> None:
    assert engine.technology_points(BOX_ADSL, [BOX_ADSL, BOX_TV])[0] == -engine.SUPERSEDED
    assert engine.technology_points(BOX_ADSL, [BOX_ADSL, MOBILE_4G]) == (0, [])


def test_the_tv_option_needs_a_tv_plan_and_options_keep_to_their_kind_of_line() -> None:
    assert engine.incompatibility(TV_SPORT, BOX_TV) is None
    assert engine.incompatibility(TV_SPORT, CONV) == "« Opt Tv Sport » demande une offre avec la TV"
    assert engine.incompatibility(DATA_EU, BOX_TV) == "« Opt Data Eu » n'existe pas sur une ligne fixe"
    assert engine.incompatibility(DATA_EU, MOBILE_5G) is None


def test_the_price_difference_counts_the_options_a_plan_change_removes() -> None:
    box = _line("fixed", BOX_TV, TV_SPORT)
    removed = [o.option for o in engine.dropped_options(CONV, box)]
    assert removed == [TV_SPORT]
    assert engine.price_delta(CONV, box, removed) == Decimal("2.01")  # 54.99 − 42.99 − 9.99
    assert engine.price_delta(MOBILE_5G, None, []) == Decimal("21.99")  # a new line costs its whole price
    assert engine.price_delta(DATA_EU, _line("mobile", MOBILE_4G), []) == Decimal("3.00")


def test_commitment_restarts_with_a_committed_plan_and_stays_otherwise() -> None:
    held = _line("mobile", MOBILE_5G, end=date(2027, 3, 15))
    assert engine.new_commitment_end(MOBILE_5G, held.commitment_end, TODAY) == date(2027, 12, 1)
    assert engine.new_commitment_end(MOBILE_4G, held.commitment_end, TODAY) == date(2027, 3, 15)
    assert engine.commitment_phrase(MOBILE_5G, held, TODAY) == "réengagement de 12 mois, jusqu'au 01/12/2027"
    assert engine.commitment_phrase(MOBILE_5G, None, TODAY) == "engagement de 12 mois, jusqu'au 01/12/2027"
    assert engine.commitment_phrase(MOBILE_4G, held, TODAY) == \
        "sans engagement (engagement en cours jusqu'au 15/03/2027 inchangé)"
    assert engine.commitment_phrase(DATA_EU, None, TODAY) == "sans engagement"


def test_the_score_adds_every_criterion() -> None:
    holdings = engine.Holdings([_line("fixed", BOX_TV, TV_SPORT), _line("mobile", MOBILE_4G)],
                               engine.themes_of(["football"]), [CONV])
    points, reasons = engine.score(CONV, holdings.line_for(CONV), [TV_SPORT], holdings)
    assert points == engine.UPGRADE + engine.CONVERGENT_OFFER - engine.LOST_OPTION - engine.INTEREST
    assert reasons == ["montée en gamme de « Box Fibre 2G Tv »", "box + mobile : remise convergence",
                       "retire « Opt Tv Sport »"]


# -- the ranking on the demo customers --------------------------------------------------------------------------
def test_a_gamer_with_a_mobile_is_offered_the_5g_upgrade_then_the_convergent_fibre(sessions) -> None:
    found = _recommend(sessions, SOPHIE)
    assert _codes(found)[:4] == ["MOBILE_5G_200G", "CONV_FAMILLE", "BOX_FIBRE_1G", "BOX_FIBRE_2G_TV"]
    first = found[0]
    assert first.line.number == "+33755443322" and first.price_delta == Decimal("9.00")  # 21.99 − 12.99
    assert first.commitment_end == date(2027, 12, 1)
    assert "intérêt : jeux vidéo et très haut débit" in first.reasons
    assert any("Offre Famille" in s for s in first.cross_sell)  # no box yet: the convergent offer goes with it
    assert _codes(found)[-1] == "MOBILE_2H"  # the cheaper plan comes last
    assert "BOX_ADSL" in _codes(found) and _codes(found).index("BOX_ADSL") > _codes(found).index("BOX_FIBRE_2G_TV")


def test_what_the_customer_holds_is_never_offered_and_lost_options_are_counted(sessions) -> None:
    found = _recommend(sessions, CAMILLE)
    codes = _codes(found)
    assert not {"MOBILE_5G_200G", "BOX_FIBRE_2G_TV", "OPT_DATA_EU", "OPT_TV_SPORT"} & set(codes)
    assert codes[0] == "OPT_INTERNATIONAL"  # she travels: the option her mobile lacks
    conv = next(r for r in found if r.offer.code == "CONV_FAMILLE")
    assert [o.code for o in conv.removed_options] == ["OPT_TV_SPORT"]
    assert conv.price_delta == Decimal("2.01") and conv.commitment_end == date(2027, 12, 1)
    assert codes.index("CONV_FAMILLE") < codes.index("MOBILE_100G")
    assert codes[-2:] == ["BOX_FIBRE_1G", "BOX_ADSL"]  # losing the sport she watches, and ADSL where fibre is


def test_only_what_the_address_allows_is_offered(sessions) -> None:
    brest = _codes(_recommend(sessions, JEAN_PIERRE))  # no fibre, no 5G in Brest
    assert brest[0] == "MOBILE_100G"
    assert not {"BOX_FIBRE_1G", "BOX_FIBRE_2G_TV", "CONV_FAMILLE", "MOBILE_5G_200G", "OPT_TV_SPORT"} & set(brest)
    assert "MOBILE_5G_200G" not in _codes(_recommend(sessions, KEVIN))  # no 5G in Marseille 13001


def test_an_open_collection_case_withdraws_the_offers_that_need_no_unpaid(sessions) -> None:
    with sessions.begin() as s:
        s.add(CollectionCase(account_id=1, opened_on=TODAY, amount_due=Decimal("64.97"), stage="reminder"))
    codes = _codes(_recommend(sessions, CAMILLE))
    assert "CONV_FAMILLE" not in codes and "BOX_FIBRE_1G" in codes
