"""``rasa run`` with the HTTP API token taken from the environment (``COPILOT_RASA_TOKEN``).

Rasa reads its token only from ``--auth-token``; passing it here, inside the process, keeps it out of
the process list that every local user can read. Refuses to start the API without a token.
"""

import os
import sys


def main() -> None:
    token = os.environ.get("COPILOT_RASA_TOKEN", "")
    if len(token) < 16:
        sys.exit("COPILOT_RASA_TOKEN is missing or too short: Rasa's HTTP API would be open to anyone")
    sys.argv = ["rasa", "run", *sys.argv[1:], "--auth-token", token]
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
