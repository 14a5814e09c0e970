"""Errors as RFC 9457 ``application/problem+json``, with French messages an advisor can act on."""

import logging
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any, get_args

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pydantic_core.core_schema import ErrorType
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match, Mount
from starlette.staticfiles import StaticFiles

from crm_core.acts.base import ActRefused
from crm_core.core.security import InvalidToken
from crm_core.services.customers import InvalidCursor
from crm_core.services.errors import CallRequired, Conflict, NotFound, StaleVersion, Unavailable
from crm_core.services.habilitations import NotAllowed
from crm_core.services.validation import FieldInvalid, ValidationFailed
from crm_core.transfers.prerequisites import UnknownPrerequisite

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"
TITLES = {400: "Requête invalide", 401: "Authentification requise", 403: "Action non autorisée",
          404: "Introuvable", 405: "Méthode non autorisée", 409: "Conflit", 422: "Données invalides",
          500: "Erreur interne", 503: "Service indisponible"}


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An error (RFC 9457): ``title`` and ``detail`` in French; ``errors`` lists each invalid field."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None
    current_version: int | None = None


def _doc(description: str) -> dict[str, Any]:
    return {"description": description, "model": Problem,
            "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


# Declared on every API router, so that the OpenAPI document says what errors look like.
RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _doc("Requête invalide (curseur de pagination…)"),
    401: _doc("Jeton absent, invalide ou expiré"),
    403: _doc("Habilitations insuffisantes"),
    404: _doc("Ressource introuvable"),
    409: _doc("Version périmée ou acte impossible dans l'état du client"),
    422: _doc("Données invalides, champ par champ"),
    500: _doc("Erreur interne"),
}


def problem(status: int, detail: str, errors: list[dict[str, str]] | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": TITLES.get(status, "Erreur"), "status": status,
                            "detail": detail}
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers or None)


# pydantic's own error types, in French; ``{...}`` are taken from the error's context.
_PYDANTIC_FR = {
    "missing": "Champ obligatoire.",
    "extra_forbidden": "Champ inconnu.",
    "string_too_long": "Texte trop long ({max_length} caractères au plus).",
    "string_too_short": "Texte trop court ({min_length} caractère(s) au moins).",
    "string_pattern_mismatch": "Format non reconnu.",
    "string_type": "Texte attendu.",
    "string_unicode": "Texte Unicode invalide.",
    "int_parsing": "Nombre entier attendu.",
    "int_type": "Nombre entier attendu.",
    "int_from_float": "Nombre entier attendu.",
    "int_parsing_size": "Nombre trop grand.",
    "date_from_datetime_parsing": "Date attendue (AAAA-MM-JJ).",
    "date_from_datetime_inexact": "Date attendue (AAAA-MM-JJ).",
    "date_parsing": "Date attendue (AAAA-MM-JJ).",
    "date_type": "Date attendue (AAAA-MM-JJ).",
    "datetime_parsing": "Date et heure attendues (ISO 8601).",
    "datetime_type": "Date et heure attendues (ISO 8601).",
    "bool_parsing": "Vrai ou faux attendu.",
    "bool_type": "Vrai ou faux attendu.",
    "literal_error": "Valeur non prévue.",
    "enum": "Valeur non prévue.",
    "greater_than_equal": "Valeur trop petite (au moins {ge}).",
    "less_than_equal": "Valeur trop grande (au plus {le}).",
    "json_invalid": "JSON invalide.",
    "json_type": "JSON attendu.",
    "model_attributes_type": "Objet JSON attendu.",
    "model_type": "Objet JSON attendu.",
    "dict_type": "Objet JSON attendu.",
    "list_type": "Liste attendue.",
}
# Any other type is one of ours (``PydanticCustomError``, e.g. ``text_forbidden_characters``): its message is French.
_PYDANTIC_TYPES = frozenset(get_args(ErrorType))
_PROBED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _message(error: dict[str, Any]) -> str:
    """The French message of one pydantic error."""
    context = error.get("ctx") or {}
    if isinstance(context.get("error"), FieldInvalid):  # a French check run by a validator (see IsoBirthDate)
        return context["error"].message
    if error["type"] in _PYDANTIC_FR:
        try:
            return _PYDANTIC_FR[error["type"]].format(**context)
        except (KeyError, IndexError):  # a context without the expected key: say less rather than fail
            return "Valeur invalide."
    if error["type"] not in _PYDANTIC_TYPES:
        return str(error["msg"])
    return "Valeur invalide."


def _is_business(error: dict[str, Any]) -> bool:
    return isinstance((error.get("ctx") or {}).get("error"), FieldInvalid)


def _mounted_methods(mount: Mount, scope: dict[str, Any]) -> set[str]:
    if isinstance(mount.app, StaticFiles):
        return {"GET", "HEAD"}
    return _methods_of(mount.routes, scope)  # a mounted router or app: its own routes; anything else, none known


def _methods_of(routes: Iterable[BaseRoute], scope: dict[str, Any]) -> set[str]:
    """The methods some route answers for ``scope``'s path, asked of each route as the router would."""
    methods: set[str] = set()
    for route in routes:
        if isinstance(route, Mount):
            match, child = route.matches({**scope, "method": "GET"})
            if match is Match.FULL:
                methods |= _mounted_methods(route, {**scope, **child})
            continue
        methods |= {method for method in _PROBED_METHODS if route.matches({**scope, "method": method})[0] is Match.FULL}
    return methods


def _allowed_methods(request: Request) -> list[str]:
    """What ``Allow`` says on a 405: every method a route, an included router or a mount (static files) answers
    on this path. Asked afresh from the top: the request's scope was narrowed by the routing that refused it."""
    root_path = request.scope.get("app_root_path", request.scope.get("root_path", ""))
    scope = {"type": "http", "path": request.scope["path"], "root_path": root_path,
             "headers": request.scope.get("headers", []), "query_string": b""}
    return sorted(_methods_of(request.app.router.routes, scope))


def _detail(request: Request, exc: StarletteHTTPException, allowed: list[str]) -> str:
    """A French detail: Starlette's own details are the English reason phrases."""
    if exc.status_code == 404:
        return "Ressource introuvable."
    if exc.status_code == 405:
        return f"Méthode {request.method} non autorisée sur cette adresse ; méthodes acceptées : {', '.join(allowed)}."
    try:
        phrase = HTTPStatus(exc.status_code).phrase
    except ValueError:
        phrase = None
    if not isinstance(exc.detail, str) or not exc.detail or exc.detail == phrase:
        return TITLES.get(exc.status_code, "Erreur") + "."
    return exc.detail


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_r: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": ".".join(str(p) for p in e["loc"] if p not in ("body", "query", "path", "header")) or
                   "body", "message": _message(e)} for e in exc.errors()]
        if all(_is_business(e) for e in exc.errors()):
            # French checks the schema cannot carry (a date up to today...), answered as the services' are
            return problem(422, "Données refusées : corrigez les champs indiqués.", errors)
        return problem(422, "La requête contient des données invalides.", errors)

    @app.exception_handler(ValidationFailed)
    async def _invalid_data(_r: Request, exc: ValidationFailed) -> JSONResponse:
        return problem(422, exc.detail or "Modification refusée : corrigez les champs indiqués. Rien n'a été "
                                          "enregistré.", [{"field": e.field, "message": e.message} for e in exc.errors])

    @app.exception_handler(InvalidToken)
    async def _unauthenticated(_r: Request, exc: InvalidToken) -> JSONResponse:
        return problem(401, str(exc))

    @app.exception_handler(NotAllowed)
    async def _forbidden(_r: Request, exc: NotAllowed) -> JSONResponse:
        return problem(403, str(exc))

    @app.exception_handler(NotFound)
    async def _not_found(_r: Request, exc: NotFound) -> JSONResponse:
        return problem(404, str(exc))

    @app.exception_handler(StaleVersion)
    async def _stale(_r: Request, exc: StaleVersion) -> JSONResponse:
        return problem(409, str(exc), current_version=exc.current)

    @app.exception_handler(StaleDataError)
    async def _raced(_r: Request, _exc: StaleDataError) -> JSONResponse:
        return problem(409, str(StaleVersion(0)))

    @app.exception_handler(ActRefused)
    async def _act_refused(_r: Request, exc: ActRefused) -> JSONResponse:
        errors = [{"field": exc.field, "message": exc.message}] if exc.field else None
        return problem(409, f"Acte refusé : {exc.message} Rien n'a été enregistré.", errors)

    @app.exception_handler(Conflict)
    async def _conflict(_r: Request, exc: Conflict) -> JSONResponse:
        items = getattr(exc, "prerequisites", None)  # a transfer stopped by a prerequisite: the checklist
        if items is not None:
            return problem(409, str(exc), prerequisites=items)
        worse = getattr(exc, "worse_on", None)  # a candidate worse than production: on which held-out sets
        return problem(409, str(exc)) if worse is None else problem(409, str(exc), worse_on=worse)

    @app.exception_handler(Unavailable)
    async def _unavailable(_r: Request, exc: Unavailable) -> JSONResponse:
        return problem(503, str(exc))

    @app.exception_handler(UnknownPrerequisite)
    async def _unknown_prerequisite(_r: Request, exc: UnknownPrerequisite) -> JSONResponse:
        return problem(422, str(exc), [{"field": "checked", "message": str(exc)}])

    @app.exception_handler(CallRequired)
    async def _call_required(_r: Request, exc: CallRequired) -> JSONResponse:
        return problem(400, str(exc))

    @app.exception_handler(InvalidCursor)
    async def _cursor(_r: Request, exc: InvalidCursor) -> JSONResponse:
        return problem(400, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(getattr(exc, "headers", None) or {})
        allowed: list[str] = []
        if exc.status_code == 405:  # Starlette names only the first route of the path, StaticFiles none
            allowed = _allowed_methods(request) or [m.strip() for m in headers.get("Allow", "").split(",") if m.strip()]
            headers["Allow"] = ", ".join(allowed)
        return problem(exc.status_code, _detail(request, exc, allowed), headers=headers)

    @app.exception_handler(Exception)
    async def _bug(_r: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem(500, "Erreur interne : l'incident est enregistré, réessayez ou prévenez le support.")
