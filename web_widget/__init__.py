"""The advisor's side panel, the trainer's console and the supervisor's steering page: static HTML/JS/CSS served
by the app. No framework, no build step; the one browser library (Chart.js, for the steering's charts) is pinned in
``package.json`` and installed by ``make build`` (``npm ci``), and served as the package ships it."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
# The only file of node_modules the app serves: Chart.js's UMD build (it sets ``window.Chart``).
CHART_JS = Path(__file__).parent / "node_modules" / "chart.js" / "dist" / "chart.umd.js"


def mount_panel(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="panel-static")

    @app.get("/", include_in_schema=False)
    async def panel_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/trainer", include_in_schema=False)
    async def trainer_page() -> FileResponse:
        """The trainer's console (inbox, examples, models); its API answers the trainer profile only."""
        return FileResponse(STATIC_DIR / "trainer" / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/steering", include_in_schema=False)
    async def steering_page() -> FileResponse:
        """The supervisors' steering page (live board, KPIs, drill-down to the calls); its API says who sees what."""
        return FileResponse(STATIC_DIR / "steering" / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/vendor/chart.js/chart.umd.js", include_in_schema=False)
    async def chart_js() -> Response:
        """Chart.js as ``npm ci`` installed it; 404 when it is not installed (the page then shows tables only)."""
        if not CHART_JS.is_file():
            return PlainTextResponse("Chart.js is not installed: make build (npm ci --prefix web_widget).",
                                     status_code=404)
        return FileResponse(CHART_JS, media_type="text/javascript; charset=utf-8",
                            headers={"Cache-Control": "no-cache"})
