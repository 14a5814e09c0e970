"""Pure-Python French text tools (no dependency): used by the Rasa components and testable anywhere."""
