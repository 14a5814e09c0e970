"""Custom actions run by the rasa-sdk action server (``python -m rasa_sdk --actions actions``).

One module per journey; they reach the CRM only through ``actions.crm`` (the service layer), which
checks habilitations and traces every read and act.
"""
