"""Telephony adapters: each turns one engine's events into canonical CallEvents (protocol version 2).

Every adapter module has a pure ``translate(raw, state) -> list[CallEvent]`` and an async runner that
forwards what it translates to the bridge websocket (docs/call-event.md, « Adapters »).
"""
