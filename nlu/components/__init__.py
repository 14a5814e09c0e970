"""Custom Rasa components (registered with ``@DefaultV1Recipe.register``), referenced from config.yml.

This folder and nlu/text/, with the assistant's config, domain and data, decide what the trained model is:
it is part of the model's fingerprint (``assistant/model_store.py``).
"""
