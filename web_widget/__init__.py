"""The advisor's side panel and the trainer's console: static HTML/JS/CSS served by the app. No framework, no build
step."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"


def mount_panel(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="panel-static")

    @app.get("/", include_in_schema=False)
    async def panel_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/trainer", include_in_schema=False)
    async def trainer_page() -> FileResponse:
        """The trainer's console (inbox, examples, models); its API answers the trainer profile only."""
        return FileResponse(STATIC_DIR / "trainer" / "index.html", headers={"Cache-Control": "no-cache"})
