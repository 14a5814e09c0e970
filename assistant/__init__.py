"""The assistant: the Rasa project (config.yml, domain/, data/) and the copilot service (copilot/)."""
