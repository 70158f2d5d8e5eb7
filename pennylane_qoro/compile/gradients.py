"""Device-computed parameter-shift derivatives: shifted parameter rows and their recombination.

A tape on the template path is one template text plus a parameter row (qoro-api.md §3.5); every
gate argument is a placeholder column. A parameter-shift derivative only changes ONE column of
that row, so the shifted circuits of a gradient are just more rows of the same template, in the
same job as the forward rows:

* :func:`shift_plan` reads each trainable parameter's shift rule from PennyLane (the operator's
  ``grad_recipe``, else ``generate_shift_rule`` of its ``parameter_frequencies``: two terms for
  RX/RY/RZ/PhaseShift/U2/U3/ControlledPhaseShift, four for CRX/CRY/CRZ) and records, per
  distinct shifted evaluation, the column, multiplier and shift. Non-trainable placeholders get
  no rows; a zero-shift term reuses the forward row.
* :meth:`ShiftPlan.rows` turns the forward rows into the shifted rows (shift-major, then
  broadcast element).
* :meth:`ShiftPlan.combine` applies the rule to any *linear statistic* of the rows (Pauli-term
  expectation values, probabilities, moments): ``dL/dθ_i = Σ_t c_t L(row_t)``. Non-linear
  results (variances) are finished from these by the chain rule in
  ``observables.finish_derivative``.

Pure: no I/O, clock or device state. Imports numpy and PennyLane only; never the client, the
local service or the device.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pennylane.exceptions import DeviceError
from pennylane.gradients import generate_shift_rule
from pennylane.gradients.general_shift_rules import process_shifts

from .qasm import QASM_GATES

#: Index of the forward evaluation in a parameter's rule (a zero-shift term, no extra row).
FORWARD = -1


@dataclass(frozen=True, eq=False)
class ShiftPlan:
    """The shifted evaluations of one tape and the rule of each trainable parameter.

    Attributes:
        shifts (tuple[tuple[int, float, float], ...]): per shifted evaluation ``j``, the
            placeholder column it changes, the multiplier ``m`` and the shift ``s``: the column's
            value ``v`` becomes ``m * v + s``.
        rules (tuple[tuple[tuple[int, float], ...], ...]): per trainable parameter (in
            ``tape.trainable_params`` order), ``(j, coefficient)`` terms; ``j == FORWARD``
            means the unshifted rows.
    """

    shifts: tuple[tuple[int, float, float], ...]
    rules: tuple[tuple[tuple[int, float], ...], ...]

    @property
    def n_shifts(self) -> int:
        """Shifted evaluations (each adds one row per broadcast element)."""
        return len(self.shifts)

    @property
    def n_params(self) -> int:
        """Trainable parameters the plan differentiates."""
        return len(self.rules)

    def rows(self, forward: np.ndarray) -> np.ndarray:
        """The shifted parameter rows.

        Args:
            forward (np.ndarray): the tape's forward rows, shape ``(B, n_columns)`` (``B = 1``
                without broadcasting).

        Returns:
            np.ndarray: shape ``(n_shifts * B, n_columns)``; row ``j * B + b`` is broadcast
            element ``b`` under shifted evaluation ``j``.

        >>> plan = ShiftPlan(((1, 1.0, 0.5), (1, 1.0, -0.5)), (((0, 1.0), (1, -1.0)),))
        >>> plan.rows(np.array([[0.1, 0.2]])).tolist()
        [[0.1, 0.7], [0.1, -0.3]]
        """
        batch = len(forward)
        out = np.tile(forward, (self.n_shifts, 1))
        for j, (column, mult, shift) in enumerate(self.shifts):
            block = out[j * batch : (j + 1) * batch, column]
            block *= mult
            block += shift
        return out

    def combine(self, forward: Sequence, shifted: Sequence) -> list:
        """Apply every parameter's rule to a linear statistic of the rows.

        Args:
            forward (Sequence): the statistic at the forward rows (any array-like; per
                broadcast element if the caller keeps a batch axis).
            shifted (Sequence): the statistic at each shifted evaluation ``j``, same shape.

        Returns:
            list: per trainable parameter, ``Σ_t c_t L_t`` as a float64 array.

        >>> ShiftPlan(((0, 1.0, 0.5), (0, 1.0, -0.5)), (((0, 0.5), (1, -0.5)),)).combine(
        ...     np.array([0.0]), [np.array([3.0]), np.array([1.0])])[0].tolist()
        [1.0]
        """
        out = []
        for rule in self.rules:
            total = 0.0
            for j, coeff in rule:
                total = total + coeff * np.asarray(forward if j == FORWARD else shifted[j])
            out.append(np.asarray(total, dtype=np.float64))
        return out


def shift_plan(tape, n_columns: int | None = None) -> ShiftPlan:
    """The parameter-shift plan of a decomposed, numpy-valued tape.

    Trainable parameter ``k`` of ``tape.par_info`` is placeholder column ``k``: the template
    (``qasm.template_text``) numbers placeholders over ``op.data`` in operation order, which is
    the order of ``par_info`` for operation parameters.

    Args:
        tape (QuantumScript): operations in the device gate set; ``trainable_params`` set.
        n_columns (int | None): the template's placeholder count (operation parameters);
            computed from the tape when omitted.

    Returns:
        ShiftPlan: shifted evaluations and per-parameter rules.

    Raises:
        DeviceError: a trainable parameter belongs to a measured observable (its derivative is
            no parameter shift), or a gate has no shift rule.

    >>> import pennylane as qml
    >>> t = qml.tape.QuantumScript([qml.RX(0.3, 0), qml.RY(0.1, 0)], [qml.expval(qml.Z(0))],
    ...                            trainable_params=[1])
    >>> plan = shift_plan(t)
    >>> plan.shifts == ((1, 1.0, np.pi / 2), (1, 1.0, -np.pi / 2))
    True
    >>> [[(j, round(c, 12)) for j, c in rule] for rule in plan.rules]
    [[(0, 0.5), (1, -0.5)]]
    """
    if n_columns is None:
        n_columns = sum(len(op.data) for op in tape.operations)
    shifts: list[tuple[int, float, float]] = []
    rules = []
    for index in tape.trainable_params:
        if index >= n_columns:
            raise DeviceError(
                "diff_method='device' on qoro.maestro differentiates gate parameters only; "
                f"trainable parameter {index} belongs to a measured observable. Make the "
                "observable's coefficients non-trainable or use diff_method='parameter-shift'."
            )
        info = tape.par_info[index]
        terms = []
        for coeff, mult, shift in operation_recipe(info["op"], info["p_idx"]):
            if mult == 1.0 and shift == 0.0:
                terms.append((FORWARD, coeff))
                continue
            terms.append((len(shifts), coeff))
            shifts.append((index, mult, shift))
        rules.append(tuple(terms))
    return ShiftPlan(tuple(shifts), tuple(rules))


def operation_recipe(op, p_idx: int) -> tuple[tuple[float, float, float], ...]:
    """The first-order shift rule ``((coeff, multiplier, shift), ...)`` of one gate argument.

    Same precedence as PennyLane's ``param_shift``: the operator's ``grad_recipe``, else the
    general rule generated from its ``parameter_frequencies``. Rules of the device's own gates
    (``QASM_GATES``) do not depend on the parameter values and are cached per gate class.

    Raises:
        DeviceError: the operator has neither.

    >>> import pennylane as qml
    >>> [tuple(round(v, 4) for v in t) for t in operation_recipe(qml.RX(0.3, 0), 0)]
    [(0.5, 1.0, 1.5708), (-0.5, 1.0, -1.5708)]
    >>> len(operation_recipe(qml.CRX(0.3, [0, 1]), 0))
    4
    """
    key = (type(op), p_idx)
    rule = _RECIPES.get(key)
    if rule is None:
        rule = _compute_recipe(op, p_idx)
        if op.name in QASM_GATES:
            _RECIPES[key] = rule
    return rule


_RECIPES: dict = {}


def _compute_recipe(op, p_idx: int) -> tuple[tuple[float, float, float], ...]:
    recipe = op.grad_recipe[p_idx] if op.grad_recipe else None
    if recipe is not None:
        rule = process_shifts(np.array(recipe, dtype=float), batch_duplicates=False)
        return tuple((float(c), float(m), float(s)) for c, m, s in rule)
    try:
        frequencies = op.parameter_frequencies[p_idx]
    except Exception as exc:  # ParameterFrequenciesUndefinedError, or no generator at all
        raise DeviceError(
            f"{op.name} has no parameter-shift rule (no grad_recipe or parameter frequencies); "
            "diff_method='device' cannot differentiate it."
        ) from exc
    return tuple((float(c), 1.0, float(s)) for c, s in generate_shift_rule(frequencies))
