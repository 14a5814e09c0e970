"""Rasa input channels of ours (loaded by dotted path from ``assistant/credentials.yml``)."""
