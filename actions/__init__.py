"""Custom actions run by the rasa-sdk action server (``python -m rasa_sdk --actions actions``).

The chat's two doors: ``questions`` (about the 360° view) and ``acts`` (orders: prepared, previewed, confirmed),
with one module per journey family for what an order's words say about its act (``account``, ``billing``). They
reach the CRM only through ``actions.crm`` (the service layer and the act service), which checks the copilot's
signed assertion, habilitations, and traces every read and act.
"""
