"""Importing a sign-in sheet: reading it (sheets, reading, xlsx, words),
matching names (matching), planning rows (planning), the wizard (views, forms)."""

# What callers outside the package import from it; anything else is imported
# from its module.
from .planning import Decisions, ImportNotReady, Outcome, PlanChanged, plan_import
from .reading import read_sheet

__all__ = [
    "Decisions",
    "ImportNotReady",
    "Outcome",
    "PlanChanged",
    "plan_import",
    "read_sheet",
]
