"""The service layer: habilitation checks and automatic tracing live here, for the API, actions and CLI."""
