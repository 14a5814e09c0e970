"""The ``copilot`` command line."""
