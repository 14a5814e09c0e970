"""Imports every act module of ``crm_core.acts`` (one per journey family), so that each registers its acts."""

import importlib
import pkgutil

import crm_core.acts as package

FRAMEWORK = {"base", "catalogue", "service", "implementations"}

for _module in pkgutil.iter_modules(package.__path__):
    if _module.name not in FRAMEWORK and not _module.name.startswith("_"):
        importlib.import_module(f"{package.__name__}.{_module.name}")
