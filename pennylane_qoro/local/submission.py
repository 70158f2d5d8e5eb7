"""Turn one ``add_circuits`` request into rows for the store, checking every limit first.

Owns the server-side reading of qoro-api.md §2.8 and §3:
  * bound circuits (shape a): gunzip each (§3.1), parse with Maestro, register widths;
  * templates (shape b): gunzip once, check every row's length, resolve the first row with the
    §3.5 substitution and parse it (rows differ only by numbers, so one parse validates the
    shape; a later row that still fails fails its job with the circuit's label);
  * the envelope: ``shots`` (``null`` -> :data:`DEFAULT_SHOTS`) and chunk-local
    ``shot_groups`` (§3.3); ``observables`` decoded from ``@gzs`` and ``circuit_ham_map`` read in
    job-global indices (§3.4, §8 item 1);
  * the qubit limit of the job's simulation method, and the service's memory budget
    (``memory.py``: a circuit whose state alone exceeds it is refused before any job runs);
  * the price of each circuit.

Pricing: ``protocol/pricing.py`` (the rule the client's estimates read too).

Observable terms must be exactly as long as the circuit's qubit count: a length mismatch is a 400
naming both lengths (0.15.1 pads short terms client-side, §3.4; the service does not guess).

Must not import anything from the device, compile, results or client packages other than the
shared codecs in ``protocol/`` (``observables``, ``text``, ``errors``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from ..protocol.errors import PayloadError, WireDecodeError
from ..protocol.noise import max_qubit_index
from ..protocol.observables import decode_observables, validate_pauli_terms
from ..protocol.pricing import execute_cost, expectation_cost
from ..protocol.shot_groups import check_shot_groups
from ..protocol.text import decompress_text
from .memory import too_large
from .models import AddCircuitsRequest
from .qasm import Placeholders, QasmError, Registers, parse, registers, validate
from .simulator_options import max_qubits
from .store import ChunkRows, CircuitRow, Job

DEFAULT_SHOTS = 1000  # seed/0.13 may send "shots": null (§2.8)
MAX_SHOTS = 10_000_000
# A decompressed circuit or template larger than this is refused (gzip bombs).
MAX_QASM_BYTES = 64 << 20


class SubmissionError(ValueError):
    """The request cannot be accepted (400); the message names the offending item."""


Chunk = ChunkRows
"""A validated ``add_circuits`` request, ready for :meth:`Store.append_chunk` (the store's
:class:`~.store.uploads.ChunkRows`: circuits, templates, observables, circuit_ham_map,
max_qubits, finalize)."""


def prepare_chunk(req: AddCircuitsRequest, job: Job, *,
                  memory_budget: int | None = None) -> Chunk:
    """Validate one request against its job and build the rows to store.

    Args:
        req (AddCircuitsRequest): the parsed body.
        job (Job): the job as stored before this request.
        memory_budget (int | None): the service's memory budget in bytes (``memory.py``): a
            circuit whose estimated state alone exceeds it can never run and is refused.

    Returns:
        Chunk: rows, templates and envelope to append.

    Raises:
        SubmissionError: anything wrong with the request; the message names the circuit label,
            the field or the row.
    """
    if job.job_type == "VALIDATE":
        raise SubmissionError("VALIDATE jobs take a QUBO through submit_qubo/, not circuits")
    bound = req.circuits is not None
    if bound == (req.circuit_template is not None):
        raise SubmissionError("send exactly one of 'circuits' or 'circuit_template'")
    observables, ham_map = _envelope(req, job)
    if bound:
        circuits, templates = _bound(req, job, observables, ham_map), []
    else:
        circuits, templates = _template(req, job, observables)
    limit, method = max_qubits(job.options)
    widest = max((c.n_qubits for c in circuits), default=0)
    if widest > limit:
        label = next(c.label for c in circuits if c.n_qubits == widest)
        raise SubmissionError(
            f"circuit {label!r} has {widest} qubits; {method} simulation allows at most {limit}"
        )
    refusal = None if memory_budget is None else too_large(widest, job.options, memory_budget)
    if refusal is not None:
        label = next(c.label for c in circuits if c.n_qubits == widest)
        raise SubmissionError(f"circuit {label!r} has {refusal}")
    _check_noise_width(job.options, circuits)
    return Chunk(circuits=circuits, templates=templates, observables=observables,
                 circuit_ham_map=ham_map, max_qubits=widest, finalize=req.finalized == "true")


def _check_noise_width(options: dict, circuits: list) -> None:
    """Maestro ignores noise on qubits a circuit does not have; say so instead (§2.13)."""
    calls = options.get("noise_model")
    if not calls:
        return
    need = max_qubit_index(calls)
    for c in circuits:
        if c.n_qubits < need:
            raise SubmissionError(
                f"maestro_config['noise_model'] refers to {need} qubits but circuit "
                f"{c.label!r} has {c.n_qubits}"
            )


def _envelope(req: AddCircuitsRequest,
              job: Job) -> tuple[list[list[str]] | None, list[list[int]] | None]:
    """Check the envelope keys against the job type; decode observables."""
    if req.shots is not None and not 0 < req.shots <= MAX_SHOTS:
        raise SubmissionError(f"shots must be between 1 and {MAX_SHOTS}, got {req.shots}")
    if req.shots is not None and req.shot_groups is not None:
        raise SubmissionError("send either 'shots' or 'shot_groups', not both")
    if job.job_type == "EXECUTE":
        if req.observables is not None or req.circuit_ham_map is not None:
            raise SubmissionError(
                "'observables' and 'circuit_ham_map' belong to EXPECTATION jobs; "
                "this job is EXECUTE"
            )
        return None, None
    # EXPECTATION: values are analytic, so shots are ignored (§4.6); shot_groups make no sense.
    if req.shot_groups is not None:
        raise SubmissionError("'shot_groups' belongs to EXECUTE jobs; this job is EXPECTATION")
    if req.observables is None:
        raise SubmissionError("EXPECTATION jobs need 'observables' in every add_circuits request")
    try:
        groups = decode_observables(req.observables)
        for g, terms in enumerate(groups):
            try:
                validate_pauli_terms(terms)
            except ValueError as exc:
                raise SubmissionError(f"observable group {g}: {exc}") from None
    except WireDecodeError as exc:
        raise SubmissionError(f"observables: {exc}") from None
    ham_map = None if req.circuit_ham_map is None else [list(r) for r in req.circuit_ham_map]
    if ham_map is not None:
        if len(ham_map) != len(groups):
            raise SubmissionError(
                f"circuit_ham_map has {len(ham_map)} ranges but observables have "
                f"{len(groups)} groups"
            )
        for start, end in ham_map:
            if not 0 <= start < end:
                raise SubmissionError(
                    f"circuit_ham_map range [{start}, {end}) is empty or negative"
                )
    elif len(groups) > 1 and req.circuits is None:
        raise SubmissionError("a template job takes a single observable group (no '|')")
    return groups, ham_map


def terms_for(index: int, groups: Sequence[Sequence[str]],
              ham_map: Sequence[Sequence[int]] | None) -> list[str]:
    """The dense terms evaluated on circuit ``index`` (job-global), duplicates collapsed.

    A circuit inside a ``circuit_ham_map`` range gets that group; any other circuit gets every
    group's terms, as divi's local runners do (qoro-api.md §3.4).

    >>> terms_for(1, [["ZI"], ["XX", "XX"]], [[0, 1], [1, 2]])
    ['XX']
    >>> terms_for(0, [["ZI"], ["IZ", "ZI"]], None)
    ['ZI', 'IZ']
    """
    chosen: Sequence[Sequence[str]] = groups
    for (start, end), terms in zip(ham_map or (), groups, strict=False):
        if start <= index < end:
            chosen = [terms]
            break
    return list(dict.fromkeys(term for group in chosen for term in group))


def _check_terms(label: str, terms: Sequence[str], regs: Registers) -> None:
    width = len(terms[0])
    if width != regs.n_qubits:
        raise SubmissionError(
            f"circuit {label!r} has {regs.n_qubits} qubits but its observable terms have "
            f"length {width} (e.g. {terms[0]!r}); terms must cover every qubit"
        )


def _decompress(data: str, what: str) -> str:
    try:
        return decompress_text(data, max_bytes=MAX_QASM_BYTES)
    except WireDecodeError as exc:
        raise SubmissionError(f"{what}: {exc}") from None


def _chunk_shots(req: AddCircuitsRequest, n: int) -> list[int]:
    """Shots of each circuit of this request; ``shot_groups`` are chunk-local (§3.3)."""
    if req.shot_groups is None:
        return [DEFAULT_SHOTS if req.shots is None else req.shots] * n
    try:
        groups = check_shot_groups(req.shot_groups, n, max_shots=MAX_SHOTS)
    except PayloadError as exc:
        raise SubmissionError(str(exc)) from None
    shots = [0] * n
    for start, end, count in groups:
        shots[start:end] = [count] * (end - start)
    return shots


def _bound(req: AddCircuitsRequest, job: Job, groups: list[list[str]] | None,
           ham_map: list[list[int]] | None) -> list[CircuitRow]:
    assert req.circuits is not None
    shots = _chunk_shots(req, len(req.circuits)) if groups is None else None
    rows = []
    for i, (label, data) in enumerate(req.circuits.items()):
        text = _decompress(data, f"circuit {label!r}")
        try:
            regs = validate(text, label=label)
        except QasmError as exc:
            raise SubmissionError(str(exc)) from None
        if groups is None:
            assert shots is not None
            cost = execute_cost(shots[i])
            rows.append(CircuitRow(label=label, n_qubits=regs.n_qubits, n_clbits=regs.n_clbits,
                                   cost=cost, qasm=text, shots=shots[i]))
        else:
            terms = terms_for(job.n_circuits + i, groups, ham_map)
            _check_terms(label, terms, regs)
            rows.append(CircuitRow(label=label, n_qubits=regs.n_qubits, n_clbits=regs.n_clbits,
                                   cost=expectation_cost(len(terms)), qasm=text))
    return rows


@functools.lru_cache(maxsize=32)
def _valid_template(text: str, names: tuple[str, ...]) -> bool:
    """Whether the template parses once its placeholders are substituted (any finite values
    give the same verdict). Kept for the last templates: jobs repeat them."""
    try:
        if registers(text).n_qubits == 0:
            return False
        parse(Placeholders(names).resolve(text, [0.5] * len(names)), label="template")
    except QasmError:
        return False
    return True


def _template(req: AddCircuitsRequest, job: Job, groups: list[list[str]] | None
              ) -> tuple[list[CircuitRow], list[tuple[str, tuple[str, ...]]]]:
    assert req.circuit_template is not None
    if req.shot_groups is not None or req.circuit_ham_map is not None:
        raise SubmissionError("the template path takes neither 'shot_groups' nor 'circuit_ham_map'")
    if req.parameter_names is None or req.parameter_sets is None:
        raise SubmissionError("a template needs 'parameter_names' and 'parameter_sets'")
    text = _decompress(req.circuit_template, "circuit_template")
    try:
        placeholders = Placeholders(req.parameter_names)
    except QasmError as exc:
        raise SubmissionError(f"circuit_template: {exc}") from None
    n_names = len(placeholders.names)
    for row in req.parameter_sets:
        if len(row.values) != n_names:
            raise SubmissionError(
                f"parameter set {row.label!r} has {len(row.values)} values but "
                f"parameter_names has {n_names}"
            )
    regs = registers(text)
    if req.parameter_sets and not _valid_template(text, placeholders.names):
        first = req.parameter_sets[0]
        try:  # the refusal, naming the first row (the check itself is cached without it)
            if regs.n_qubits == 0:
                raise QasmError(f"circuit {first.label!r}: invalid QASM: no qreg declaration")
            parse(placeholders.resolve(text, first.values), label=first.label)
        except QasmError as exc:
            raise SubmissionError(f"circuit_template: {exc}") from None
    terms = None if groups is None else terms_for(0, groups, None)
    if terms is not None and req.parameter_sets:
        _check_terms(req.parameter_sets[0].label, terms, regs)
    shots = DEFAULT_SHOTS if req.shots is None else req.shots
    cost = execute_cost(shots) if terms is None else expectation_cost(len(terms))
    rows = [
        CircuitRow(label=row.label, n_qubits=regs.n_qubits, n_clbits=regs.n_clbits, cost=cost,
                   template=0, params=tuple(float(v) for v in row.values),
                   shots=None if terms is not None else shots)
        for row in req.parameter_sets
    ]
    return rows, [(text, placeholders.names)]
