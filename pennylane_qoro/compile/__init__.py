"""Tapes -> what a Qoro job carries: QASM text (``qasm``), observables (``observables``), plans
(``batching``), parameter-shift rows for device derivatives (``gradients``). Pure functions and
frozen dataclasses only; no I/O, no device state."""

from __future__ import annotations

from .batching import AnalyticSlot, BatchPlan, JobPlan, SampledSlot, TemplateGroup, plan_batch
from .gradients import ShiftPlan, shift_plan
from .observables import MAX_ANALYTIC_PROBS_WIRES, Recipe, recipe
from .qasm import QASM_GATES, bind, template_text

__all__ = [
    "MAX_ANALYTIC_PROBS_WIRES",
    "QASM_GATES",
    "AnalyticSlot",
    "BatchPlan",
    "JobPlan",
    "Recipe",
    "SampledSlot",
    "ShiftPlan",
    "TemplateGroup",
    "bind",
    "plan_batch",
    "recipe",
    "shift_plan",
    "template_text",
]
