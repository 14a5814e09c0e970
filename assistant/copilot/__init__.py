"""The copilot service: per-call sessions, NLU calls, screen pops and the advisor panel's websocket."""
