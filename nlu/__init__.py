"""Code that runs inside the Rasa runtime (Python 3.10, Rasa 3.6 pins): components and runners.

Depends on nothing beyond Rasa's own dependencies; loaded by path (repo root on PYTHONPATH).
"""
