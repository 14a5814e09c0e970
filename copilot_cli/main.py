"""``copilot``: run the stack, simulate calls, train and query the NLU, seed the CRM."""

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from assistant.copilot.nlu_client import prediction_from_parse
from copilot_cli.bench import bench_app

app = typer.Typer(help="Copilote conseiller — Mon CRM.", no_args_is_help=True, add_completion=False)
call_app = typer.Typer(help="Simulated calls against a running stack.", no_args_is_help=True)
nlu_app = typer.Typer(help="Train and query the NLU.", no_args_is_help=True)
bridge_app = typer.Typer(help="The telephony bridge's protocol.", no_args_is_help=True)
app.add_typer(call_app, name="call")
app.add_typer(nlu_app, name="nlu")
panel_app = typer.Typer(help="The side panel's websocket protocol.", no_args_is_help=True)
app.add_typer(bridge_app, name="bridge")
app.add_typer(panel_app, name="panel")
app.add_typer(bench_app, name="bench")
steering_app = typer.Typer(help="The supervisors' KPIs (steering/).", no_args_is_help=True)
app.add_typer(steering_app, name="steering")


def _err(message: str, code: int = 2) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


# -- CRM data ------------------------------------------------------------------------------------
def seed_database(customers: int, seed: int, show_progress: bool = True) -> int:
    from crm_core.core.db import create_schema, get_engine, session_factory, transaction
    from crm_core.seed import seed_reference
    from crm_core.seed.synthetic import existing_synthetic, insert_synthetic

    engine = get_engine()
    create_schema(engine)
    factory = session_factory(engine)
    with transaction(factory) as session:
        seed_reference(session)
        already = existing_synthetic(session)
    todo = max(customers - already, 0)
    if todo == 0:
        return 0
    inserted = 0
    with Progress(TextColumn("seeding customers"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  disable=not show_progress) as progress:
        task = progress.add_task("seed", total=todo)
        target = already
        while target < customers:  # one transaction per chunk: progress is kept if interrupted
            target = min(customers, target + 50_000)
            with transaction(factory) as session:
                inserted += insert_synthetic(session, target, seed, progress=lambda n: progress.advance(task, n))
    return inserted


def seed_history(days: int, show_progress: bool = True) -> str:
    """``days`` days of calls up to yesterday in the traces (steering.activity), then the steering's KPIs computed
    again from all the traces; the French summary."""
    from crm_core.core.db import get_engine
    from steering.activity import seed_activity
    from steering.projector import rebuild

    engine = get_engine()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  disable=not show_progress) as progress:
        task = progress.add_task("writing the calls (days)", total=days)
        calls, events = seed_activity(engine, days, progress=lambda n: progress.advance(task, n))
        project = progress.add_task("computing the KPIs (trace events)", total=None)
        rebuild(engine, progress=lambda read, total: progress.update(project, completed=read, total=total))
    if not calls:
        return f"Historique déjà présent sur ces {days} jours : aucun appel ajouté, indicateurs recalculés."
    return f"{_thousands(calls)} appels, {_thousands(events)} évènements tracés sur {days} jours"


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def _activity_days(days: int | None) -> int | None:
    if days is not None and not 1 <= days <= 400:
        raise typer.BadParameter(f"{days} jours : l'historique d'activité compte de 1 à 400 jours.")
    return days


@app.command()
def seed(
    customers: Annotated[
        int, typer.Option(min=0, help="Synthetic customers wanted (besides the demo personas).")
    ] = 200,
    seed_: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same customers.")] = 42,
    activity: Annotated[int | None, typer.Option(
        "--activity", metavar="DAYS", callback=_activity_days,
        help="Also write DAYS days (1 to 400) of calls ending yesterday in the traces, for the seeded advisors and "
             "extra ones of their teams, then compute the steering's KPIs (at least 5000 synthetic customers are "
             "then seeded, so that repeat contacts stay realistic).")] = None,
) -> None:
    """Create the CRM schema and write demo personas plus deterministic synthetic French customers."""
    if activity is not None:
        from steering.activity import MIN_CUSTOMERS

        customers = max(customers, MIN_CUSTOMERS)
    inserted = seed_database(customers, seed_)
    typer.echo(f"{inserted} customers inserted ({customers} synthetic wanted, demo personas present).")
    if activity is not None:
        typer.echo(seed_history(activity))


@app.command()
def token(user: Annotated[str, typer.Option("--user", help="Login of a seeded advisor, e.g. n1.demo.")]) -> None:
    """Print a development bearer token for a seeded advisor (development mode only)."""
    from crm_core.core.config import get_crm_settings
    from crm_core.core.db import create_schema, get_engine, session_factory, transaction
    from crm_core.core.security import issue_token
    from crm_core.services.habilitations import UnknownAdvisor, actor_for

    if get_crm_settings().env != "development":
        raise _err("development tokens are minted in development mode only (COPILOT_ENV=development)")
    engine = get_engine()
    create_schema(engine)
    try:
        with transaction(session_factory(engine)) as session:
            actor_for(session, user)
    except UnknownAdvisor as exc:
        raise _err(f"no active advisor {user!r} in the CRM (run `copilot seed` first?)") from exc
    typer.echo(issue_token(user))


# -- NLU -----------------------------------------------------------------------------------------
@nlu_app.command("train")
def nlu_train(force: Annotated[bool, typer.Option(help="Retrain even if the model matches the data.")] = False) -> None:
    """Train the assistant's model unless one already matches its data and config."""
    from assistant.model_store import RasaRuntimeMissing, ensure_model

    try:
        path, trained = ensure_model(force=force)
    except RasaRuntimeMissing as exc:
        raise _err(str(exc)) from exc
    typer.echo(f"{'trained' if trained else 'up to date'}: {path}")


@nlu_app.command("export")
def nlu_export(
    out: Annotated[Path | None, typer.Option(help="Rasa YAML to write (default: assistant/data/nlu/curated.yml, "
                                                  "trained with the repository from then on).")] = None,
    user: Annotated[str, typer.Option("--user", help="The trainer who exports (needs nlu:curate; traced).")] =
    "trainer.demo",
) -> None:
    """Write the curated examples of the database (the last version of each) as Rasa YAML for the repository."""
    from crm_core.core.db import get_engine, session_factory, transaction
    from crm_core.services import tracing
    from crm_core.services.habilitations import NotAllowed, UnknownAdvisor, actor_for
    from trainer.dataset import EXPORT_FILE, to_yaml
    from trainer.examples import Curation, as_training

    target = out or EXPORT_FILE
    try:
        with transaction(session_factory(get_engine())) as session:
            actor = actor_for(session, user)
            rows = Curation(session, actor).active()
            target.write_text(to_yaml(as_training(rows), "Curated by the trainers: exported from the database by "
                                                         "`copilot nlu export` (trainer/dataset.py)."))
            tracing.record(session, "trainer.examples_exported", actor, examples=len(rows), file=target.name)
    except (NotAllowed, UnknownAdvisor) as exc:
        raise _err(str(exc)) from exc
    typer.echo(f"{len(rows)} curated example(s) written to {target}")


@steering_app.command("rebuild")
def steering_rebuild() -> None:
    """Empty the steering's projection and compute it again from every trace (after a change of a KPI's
    definition or of the organisation); the traces are not touched. The running app follows on by itself."""
    from crm_core.core.db import get_engine, session_factory, transaction
    from crm_core.services import tracing
    from crm_core.services.habilitations import system_actor
    from steering.projector import rebuild

    engine = get_engine()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()) as bar:
        task = bar.add_task("computing the KPIs (trace events)", total=None)
        read = rebuild(engine, progress=lambda done, total: bar.update(task, completed=done, total=total))
    with transaction(session_factory(engine)) as session:
        tracing.record(session, "steering.rebuilt", system_actor("copilot-cli"), events=read)
    typer.echo(f"{_thousands(read)} évènements tracés relus : indicateurs recalculés.")


@nlu_app.command("classify")
def nlu_classify() -> None:
    """Read JSON lines {"id", "text"} on stdin; write {"id", "journey", "confidence", "acts", "entities"}."""
    from assistant.model_store import RASA_VENV, RasaRuntimeMissing, ensure_model, rasa_env

    try:
        model, _ = ensure_model(quiet=True)
    except RasaRuntimeMissing as exc:
        raise _err(str(exc)) from exc
    result = subprocess.run(
        [str(RASA_VENV / "bin" / "python"), "-m", "nlu.classify_stream", "--model", str(model)],
        input=sys.stdin.read(), capture_output=True, text=True, env=rasa_env(),
    )
    if result.returncode != 0:
        raise _err(f"classifier failed: {result.stderr[-2000:]}", 1)
    for line in result.stdout.splitlines():
        item = json.loads(line)
        if "error" in item:
            typer.echo(json.dumps({"id": item["id"], "error": item["error"]}, ensure_ascii=False))
            continue
        p = prediction_from_parse(item["parse"])
        typer.echo(json.dumps({"id": item["id"], "journey": p.journey, "confidence": p.confidence,
                               "secondary_journeys": [s["journey"] for s in p.secondary],
                               "acts": [a["code"] for a in p.acts], "entities": p.entities}, ensure_ascii=False))


@nlu_app.command("evaluate")
def nlu_evaluate(
    out: Annotated[Path | None, typer.Option(help="Where the report goes (default: .build/nlu-eval/latest, "
                                                  "or .build/nlu-eval/advisor with --advisor).")] = None,
    config: Annotated[Path | None, typer.Option(help="Train this config on assistant/data first (default: the "
                                                     "current model).")] = None,
    cv: Annotated[int, typer.Option(help="Also run a k-fold cross-validation on the training data (needs --config)."
                                    )] = 0,
    heldout: Annotated[Path | None, typer.Option(help="The held-out set (default: nlu_eval/heldout.jsonl, or "
                                                      "nlu_eval/advisor_heldout.jsonl with --advisor).")] = None,
    advisor: Annotated[bool, typer.Option("--advisor", help="Score the advisor-chat intents (the advisor's "
                                          "questions and orders to the copilot) instead of the journeys.")] = False,
    model: Annotated[Path | None, typer.Option(help="Score this model file (default: the one matching the data, "
                                                    "trained first if missing).")] = None,
) -> None:
    """Accuracy, macro-F1, per-journey (or, with --advisor, per-intent) precision/recall, errors, confusion matrix
    on the held-out set."""
    from assistant.model_store import RASA_VENV, RasaRuntimeMissing, ensure_model, rasa_env

    if cv and config is None:
        raise _err("--cv needs --config (a cross-validation trains one model per fold)")
    if config is not None and (advisor or model is not None):
        raise _err("--config trains its own model: it goes with neither --advisor nor --model")
    if model is not None and not model.is_file():
        raise _err(f"no model file {model}")
    out = out or Path(".build/nlu-eval/advisor" if advisor else ".build/nlu-eval/latest")
    heldout = heldout or Path("nlu_eval/advisor_heldout.jsonl" if advisor else "nlu_eval/heldout.jsonl")
    module = "nlu.evaluate_advisor" if advisor else "nlu.evaluate"
    cmd = [str(RASA_VENV / "bin" / "python"), "-m", module, "--heldout", str(heldout.resolve()),
           "--out", str(out.resolve())]
    if config is not None:
        cmd += ["--config", str(config.resolve())] + (["--cv", str(cv)] if cv else [])
    else:
        label = f"model {model.name}" if model is not None else None
        if model is None:
            try:
                model, _ = ensure_model(quiet=True)
            except RasaRuntimeMissing as exc:
                raise _err(str(exc)) from exc
        cmd += ["--model", str(model.resolve()), "--label", label or f"current model ({model.name})"]
    result = subprocess.run(cmd, capture_output=True, text=True, env=rasa_env())
    if result.returncode != 0:
        raise _err(f"evaluation failed: {result.stderr[-3000:]}", 1)
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    report = json.loads((out / "metrics.json").read_text())
    if advisor:
        _print_advisor_evaluation(summary, report, out)
        return
    typer.echo(f"accuracy {summary['accuracy']:.3f}   macro-F1 {summary['macro_f1']:.3f}   "
               f"min recall {summary['min_recall']:.2f}   parse p95 {summary['parse_ms']['p95']:.1f} ms")
    for name, m in report["per_journey"].items():
        typer.echo(f"  {name:<16} precision {m['precision']:.2f}  recall {m['recall']:.2f}  (n={m['support']})")
    typer.echo(f"{len(report['errors'])} errors; report: {out / 'report.md'}, confusion matrix: "
               f"{out / 'confusion_matrix.png'}")
    if "cross_validation" in summary:
        cvr = summary["cross_validation"]
        typer.echo(f"cross-validation ({cvr['folds']} folds): accuracy {cvr['accuracy_mean']:.3f}")


def _print_advisor_evaluation(summary: dict, report: dict, out: Path) -> None:
    typer.echo(f"intent accuracy {summary['accuracy']:.3f}   macro-F1 {summary['macro_f1']:.3f}   "
               f"min recall {summary['min_recall']:.2f}   parse p95 {summary['parse_ms']['p95']:.1f} ms")
    typer.echo(f"{summary['examples']} held-out lines scored ({summary['heldout_items']} in the file, "
               f"{summary['dropped_in_training']} left out: also in the training data)")
    for name, m in report["per_intent"].items():
        typer.echo(f"  {name:<24} precision {m['precision']:.2f}  recall {m['recall']:.2f}  (n={m['support']})")
    typer.echo(f"{len(report['errors'])} errors; report: {out / 'report.md'}, confusion matrix: "
               f"{out / 'confusion_matrix.png'}")


# -- calls ---------------------------------------------------------------------------------------
@call_app.command("simulate")
def call_simulate(
    from_: Annotated[str, typer.Option("--from", help="Caller's number.")],
    reason: Annotated[str | None, typer.Option(help="Call reason transcript.")] = None,
    url: Annotated[str | None, typer.Option(help="App URL (default: from settings).")] = None,
    agent: Annotated[str, typer.Option(help="Login of the seeded advisor the call is presented to.")] = "n1.demo",
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the pop.")] = 10.0,
    keep_open: Annotated[bool, typer.Option("--keep-open", help="Leave the call in progress (no `ended`).")] = False,
    call_id: Annotated[str | None, typer.Option(help="The call's id (default: a new one).")] = None,
) -> None:
    """Send one call's canonical events to the running stack; print the screen pop as JSON."""
    from assistant.copilot.settings import get_copilot_settings
    from copilot_cli.simulate import simulate_call
    from crm_core.core.config import get_crm_settings

    s = get_copilot_settings()
    base = url or f"http://{s.host}:{s.port}"
    try:
        pop = asyncio.run(simulate_call(base, from_, reason, agent=agent, timeout_s=timeout, call_id=call_id,
                                        end=not keep_open, bridge_token=get_crm_settings().secret("bridge_token")))
    except (OSError, TimeoutError) as exc:
        raise _err(f"no copilot answering at {base} ({type(exc).__name__}): start it with `make run`", 1) from exc
    typer.echo(json.dumps(pop, ensure_ascii=False))


@call_app.command("say")
def call_say(
    text: Annotated[str, typer.Argument(help="What the advisor types, in French.")],
    call: Annotated[str, typer.Option("--call", help="The call's id (one kept open by `call simulate --keep-open`).")],
    login: Annotated[str, typer.Option("--as", help="Login of the advisor the call is presented to.")],
    url: Annotated[str | None, typer.Option(help="App URL (default: from settings).")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the copilot.")] = 30.0,
) -> None:
    """Send one advisor message into a call's chat; print the copilot's replies as one JSON object."""
    from assistant.copilot.settings import get_copilot_settings
    from copilot_cli.simulate import say

    s = get_copilot_settings()
    base = url or f"http://{s.host}:{s.port}"
    try:
        said = asyncio.run(say(base, call, login, text, timeout_s=timeout))
    except (OSError, TimeoutError) as exc:
        raise _err(f"no copilot answering at {base} ({type(exc).__name__}): start it with `make run`", 1) from exc
    except RuntimeError as exc:
        raise _err(str(exc), 1) from exc
    typer.echo(json.dumps(said, ensure_ascii=False))
    if "error" in said:
        raise typer.Exit(1)


# -- bridge protocol -----------------------------------------------------------------------------
@bridge_app.command("schema")
def bridge_schema(
    write: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
) -> None:
    """Print (or write) the CallEvent JSON Schema."""
    from telephony_bridge.events import json_schema

    _print_schema(json_schema(), write)


@bridge_app.command("baresip")
def bridge_baresip(
    agent: Annotated[str, typer.Option(help="Login of the advisor this softphone belongs to.")],
    ctrl: Annotated[str, typer.Option(help="baresip's ctrl_tcp (ctrl_tcp_listen), HOST:PORT.")] = "127.0.0.1:4444",
    app_url: Annotated[str | None, typer.Option("--app", help="App URL (default: from settings).")] = None,
    reason: Annotated[str | None, typer.Option(help="A fixed call reason for every call (demo).")] = None,
) -> None:
    """Forward a baresip softphone's incoming calls (ctrl_tcp events) to the bridge as CallEvents, until Ctrl-C."""
    import logging

    from assistant.copilot.settings import get_copilot_settings
    from crm_core.core.config import get_crm_settings
    from telephony_bridge.adapters import baresip
    from telephony_bridge.adapters._common import BridgeForwarder, bridge_url

    host, _, port = ctrl.rpartition(":")
    if not host or not port.isdigit():
        raise _err(f"--ctrl must be HOST:PORT, not {ctrl!r}")
    s = get_copilot_settings()
    url = bridge_url(app_url or f"http://{s.host}:{s.port}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    forwarder = BridgeForwarder(url, get_crm_settings().secret("bridge_token"))
    state = baresip.BaresipState(agent=agent, reason=reason)
    try:
        asyncio.run(baresip.run(host, int(port), forwarder, state))
    except KeyboardInterrupt:
        pass


def _print_schema(schema: dict, write: Path | None) -> None:
    text = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    if write:
        write.write_text(text)
    else:
        typer.echo(text, nl=False)


@panel_app.command("schema")
def panel_schema(
    side: Annotated[Literal["inbound", "outbound"], typer.Option(
        help="inbound: what a panel may send; outbound: what the app sends to it.")] = "inbound",
    write: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
) -> None:
    """Print (or write) the JSON Schema of the panel websocket's frames, one side at a time."""
    from assistant.copilot.panel_messages import json_schema

    _print_schema(json_schema(side), write)


# -- processes -----------------------------------------------------------------------------------
@app.command()
def serve() -> None:
    """Run the app process only (CRM API, copilot service, websockets, panel)."""
    from assistant.copilot.app import main

    main()


@app.command()
def run(
    demo_customers: Annotated[int, typer.Option(help="Synthetic customers to seed if missing.")] = 200,
    health_timeout: Annotated[float, typer.Option(help="Seconds to wait for the stack to be healthy.")] = 240.0,
) -> None:
    """Build what is missing (CRM data, model), start Rasa, the action server and the app; Ctrl-C stops all."""
    from assistant.copilot.settings import get_copilot_settings
    from assistant.model_store import RasaRuntimeMissing, ensure_model
    from copilot_cli.stack import PortBusy, Stack, StackConfig, serving_model

    settings = get_copilot_settings()
    seed_database(demo_customers, 42)
    try:
        model, trained = ensure_model()
    except RasaRuntimeMissing as exc:
        raise _err(str(exc)) from exc
    serving = serving_model(model, None, settings.models_dir)  # what the trainers published, if anything
    if serving.note:
        typer.echo(f"note: {serving.note}", err=True)
    model = serving.link.resolve()
    stack = Stack(StackConfig(model=serving.link, host=settings.host, port=settings.port, rasa_url=settings.rasa_url,
                              actions_url=settings.actions_url), say=lambda m: typer.echo(m, err=True))
    try:
        stack.check_ports()
    except PortBusy as exc:
        raise _err(str(exc)) from exc
    stopping = False

    def _stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    code = 0
    try:
        stack.start()
        typer.echo(f"starting Rasa ({model.name}), action server and app; logs in {stack.config.logs}")
        try:
            stack.wait_healthy(health_timeout, should_stop=lambda: stopping)
        except (RuntimeError, TimeoutError) as exc:
            raise _err(f"the stack did not become healthy: {exc}", 1) from exc
        if stopping:
            raise typer.Exit(0)
        typer.echo(f"Copilot ready. Advisor panel: {stack.config.app_url}/?advisor=n1.demo  (Ctrl-C to stop)")
        code = stack.supervise(lambda: stopping)
    finally:
        typer.echo("stopping…", err=True)
        stack.stop()
    raise typer.Exit(code)
