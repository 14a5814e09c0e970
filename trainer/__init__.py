"""The trainer's console: the inbox of reasons to review, curated examples, candidate models, publication.

Runs in the app runtime; it drives the Rasa runtime through its command line (training, evaluation) and the
copilot's channel of the running Rasa server (loading a published model).
"""
