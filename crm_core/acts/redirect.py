"""Journey "out_of_scope": where to send a caller the call centre cannot help, with the contact to give."""

from typing import Any

from crm_core.acts.base import Act, ActContext, Plan, register

# The operator's public addresses (set here for the site; the demo's are placeholders).
SHOP_LOCATOR_URL = "https://boutiques.operateur.example/trouver-une-boutique"
CUSTOMER_SPACE_URL = "https://espace-client.operateur.example"
RIO_SERVICE = "3179"
EMERGENCY_NUMBERS = (("112", "numéro d'urgence européen"), ("15", "SAMU"), ("17", "police secours"),
                     ("18", "pompiers"), ("114", "urgences par SMS, personnes sourdes ou malentendantes"))


def _shop(ctx: ActContext) -> tuple[str, str]:
    near = f"?cp={ctx.customer.postcode}" if ctx.customer is not None and ctx.customer.postcode else ""
    return (SHOP_LOCATOR_URL + near,
            "Pour un achat, un test du matériel ou un dépôt, orientez vers une boutique : adresses et horaires sur "
            f"{SHOP_LOCATOR_URL + near} (recherche par ville ou code postal).")


def _web(ctx: ActContext) -> tuple[str, str]:
    return (CUSTOMER_SPACE_URL,
            f"L'espace client en ligne ({CUSTOMER_SPACE_URL}) et l'application donnent factures, consommation, "
            "options et suivi des commandes, à toute heure.")


def _other_operator(ctx: ActContext) -> tuple[str, str]:
    return (f"RIO : {RIO_SERVICE}",
            "Cette demande relève d'un autre opérateur. Pour partir en gardant son numéro (portabilité) : donnez le "
            f"RIO au nouvel opérateur ; le client l'obtient au {RIO_SERVICE} depuis sa ligne (appel gratuit) ou "
            "avec l'acte « Donner le code RIO ». Le nouvel opérateur se charge de la résiliation.")


def _emergency(ctx: ActContext) -> tuple[str, str]:
    numbers = ", ".join(f"{n} ({what})" for n, what in EMERGENCY_NUMBERS)
    return (" / ".join(n for n, _ in EMERGENCY_NUMBERS),
            f"Urgence : faites raccrocher et appeler sans attendre le bon numéro, gratuit depuis tout téléphone : "
            f"{numbers}.")


ANSWERS = {"shop": _shop, "web": _web, "other_operator": _other_operator, "emergency": _emergency}


@register
class RedirectCaller(Act):
    code = "redirect_caller"

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        service = params["service"]
        label = dict(next(p for p in self.spec.params if p.name == "service").choices)[service]
        contact, answer = ANSWERS[service](ctx)
        return Plan(answer, details=[("Service", label), ("Contact à donner", contact)],
                    facts={"service": service, "contact": contact})
