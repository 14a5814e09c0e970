"""Management acts: one catalogue of journeys and acts (``catalogue``), the act framework (``base``), the one
door every act goes through (``service``) and one module per journey family. Importing this package imports
nothing heavy: ``catalogue`` is pure data, shared with the Rasa runtime."""
