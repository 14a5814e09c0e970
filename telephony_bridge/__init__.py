"""Turns telephony engines' events into canonical CallEvents (the bridge's websocket protocol)."""
