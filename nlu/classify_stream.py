"""Classify JSON lines ``{"id", "text"}`` from stdin with a trained model; one parse per line on stdout.

Run in the Rasa runtime: ``.venv-rasa/bin/python -m nlu.classify_stream --model PATH``. Output lines are
``{"id", "parse"}`` or ``{"id", "error"}``, in input order; a bad line never stops the stream.
"""

import argparse
import asyncio
import json
import logging
import os
import sys


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.disable(logging.WARNING)
    # Our results own stdout; whatever Rasa or TensorFlow print goes to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    def emit(record: dict) -> None:
        out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        out.flush()

    from rasa.core.agent import Agent  # heavy import: after argument parsing

    agent = Agent.load(args.model)
    loop = asyncio.new_event_loop()
    for raw in sys.stdin:
        raw = raw.strip()
        if not raw:
            continue
        try:
            item = json.loads(raw)
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise ValueError('expected an object with a string "text"')
        except ValueError as exc:
            emit({"id": None, "error": f"invalid input line: {exc}"})
            continue
        try:
            parse = loop.run_until_complete(agent.parse_message(item["text"]))
            emit({"id": item.get("id"), "parse": parse})
        except Exception as exc:  # one bad text must not stop the stream
            emit({"id": item.get("id"), "error": f"{type(exc).__name__}: {exc}"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
