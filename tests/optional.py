"""Which optional packages a test needs, as a skip reason: one check for every reference test."""

from __future__ import annotations

import importlib


def missing(*modules: str) -> str | None:
    """None when every module imports; else why the test skips (the first that does not)."""
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as err:
            return f"{' / '.join(modules)} not installed ({err.name})"
    return None
