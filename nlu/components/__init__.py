"""Custom Rasa components (registered with ``@DefaultV1Recipe.register``), referenced from config.yml.

Only this folder, with the assistant's config, domain and data, decides what the trained model is:
it is part of the model's fingerprint (``assistant/model_store.py``).
"""
