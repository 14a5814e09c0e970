"""Deterministic demo and synthetic data for the CRM."""
