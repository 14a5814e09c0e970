"""Errors as RFC 9457 ``application/problem+json``, with French messages an advisor can act on."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from crm_core.core.security import InvalidToken
from crm_core.services.customers import InvalidCursor
from crm_core.services.errors import Conflict, NotFound, StaleVersion
from crm_core.services.habilitations import NotAllowed
from crm_core.services.validation import ValidationFailed

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"
TITLES = {400: "Requête invalide", 401: "Authentification requise", 403: "Action non autorisée",
          404: "Introuvable", 405: "Méthode non autorisée", 409: "Conflit", 422: "Données invalides",
          500: "Erreur interne"}


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


_PYDANTIC_FR = {
    "missing": "Champ obligatoire.",
    "extra_forbidden": "Champ inconnu.",
    "string_too_long": "Texte trop long.",
    "string_type": "Texte attendu.",
    "int_parsing": "Nombre entier attendu.",
    "int_type": "Nombre entier attendu.",
    "date_from_datetime_parsing": "Date attendue (AAAA-MM-JJ).",
    "date_parsing": "Date attendue (AAAA-MM-JJ).",
    "date_type": "Date attendue (AAAA-MM-JJ).",
    "literal_error": "Valeur non prévue.",
    "greater_than_equal": "Valeur trop petite.",
    "less_than_equal": "Valeur trop grande.",
    "json_invalid": "JSON invalide.",
    "model_attributes_type": "Objet JSON attendu.",
    "dict_type": "Objet JSON attendu.",
}


def _allowed_methods(request: Request) -> list[str]:
    methods: set[str] = set()
    for route in request.app.routes:
        match, _ = route.matches({**request.scope, "method": "GET"} | {"type": "http"})
        if match is not Match.NONE and getattr(route, "methods", None):
            methods |= set(route.methods)
    return sorted(methods)


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_r: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": ".".join(str(p) for p in e["loc"] if p not in ("body", "query", "path", "header")) or
                   "body", "message": _PYDANTIC_FR.get(e["type"], "Valeur invalide.")} for e in exc.errors()]
        return problem(422, "La requête contient des données invalides.", errors)

    @app.exception_handler(ValidationFailed)
    async def _invalid_data(_r: Request, exc: ValidationFailed) -> JSONResponse:
        return problem(422, "Modification refusée : corrigez les champs indiqués. Rien n'a été enregistré.",
                       [{"field": e.field, "message": e.message} for e in exc.errors])

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

    @app.exception_handler(Conflict)
    async def _conflict(_r: Request, exc: Conflict) -> JSONResponse:
        return problem(409, str(exc))

    @app.exception_handler(InvalidCursor)
    async def _cursor(_r: Request, exc: InvalidCursor) -> JSONResponse:
        return problem(400, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else \
            "Ressource introuvable." if exc.status_code == 404 else TITLES.get(exc.status_code, "Erreur")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:  # Starlette names only the first route of the path; list them all
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return problem(exc.status_code, detail, headers=headers)

    @app.exception_handler(Exception)
    async def _bug(_r: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem(500, "Erreur interne : l'incident est enregistré, réessayez ou prévenez le support.")
