"""Upload size of one gradient batch: the template path against the bound path.

Both payloads are built by the project's own functions, exactly as a job would carry them:
the device's preprocessing, ``compile.plan_batch`` (one template + one parameter row per
tape), then ``client.upload.plan_template_requests`` for the template path, and
``compile.bind`` + ``protocol.text.compress_text`` + ``client.upload.plan_bound_requests`` for
the bound path (one gzip+base64 circuit per tape). The observables envelope is the same on
both. Nothing is sent.

The sizes are the ``add_circuits`` bodies as serialized (qoro-api.md §3.2); ``gzip`` gives
the same bodies with HTTP request compression, which the client applies only where the
service says it accepts it (the embedded service does; the Qoro cloud does not advertise it).

Imports the package's compile and client layers and PennyLane; never starts a service.
"""

from __future__ import annotations

import gzip

import pennylane as qml

from pennylane_qoro.client import upload
from pennylane_qoro.compile import bind, plan_batch
from pennylane_qoro.protocol import observables, text

from .floor import step_tapes


def gradient_batch(n: int) -> list[qml.tape.QuantumScript]:
    """The shifted tapes of one parameter-shift step (what the device gets as one batch)."""
    return step_tapes(n)[1:]


def _preprocessed(n: int, tapes: list) -> list:
    """Run the qoro.maestro preprocessing pipeline (no service is contacted)."""
    dev = qml.device("qoro.maestro", wires=n, url="http://127.0.0.1:9/api", api_key="unused")
    program = dev.preprocess_transforms()
    batch, _ = program(tapes)
    return list(batch)


def payload_sizes(n: int, *, gzip_bodies: bool = False) -> dict[str, float | int | bool]:
    """Bytes of the ``add_circuits`` bodies of the n-qubit gradient batch, both paths.

    Returns:
        dict: ``rows``, ``parameters`` per row, ``template_bytes`` / ``bound_bytes`` (bodies as
        serialized), their ``*_gzip`` forms (HTTP request compression, level 6), request
        counts, the ratios ``template / bound``, and ``ratio_as_sent``: the ratio for the
        bodies the client really sends (gzip-encoded when ``gzip_bodies``).
    """
    tapes = _preprocessed(n, gradient_batch(n))
    plan = plan_batch(tapes, range(n))
    (job,) = plan.jobs
    (tmpl,) = job.templates
    envelope = {"observables": observables.encode_observables([list(job.observables)])}
    rows = [
        (label, row.tolist()) for label, row in zip(tmpl.labels, tmpl.values, strict=True)
    ]
    template_bodies = upload.plan_template_requests(
        [(text.compress_text(tmpl.qasm), list(tmpl.parameter_names), rows)], envelope
    )
    bound = [
        (label, text.compress_text(bind(tmpl.qasm, tmpl.parameter_names, values)))
        for label, values in rows
    ]
    bound_bodies = upload.plan_bound_requests(bound, envelope)
    out: dict[str, float | int | bool] = {
        "n": n,
        "rows": len(rows),
        "parameters": len(tmpl.parameter_names),
        "template_requests": len(template_bodies),
        "bound_requests": len(bound_bodies),
        "template_bytes": sum(map(len, template_bodies)),
        "bound_bytes": sum(map(len, bound_bodies)),
        "template_bytes_gzip": sum(len(gzip.compress(b, 6)) for b in template_bodies),
        "bound_bytes_gzip": sum(len(gzip.compress(b, 6)) for b in bound_bodies),
    }
    out["ratio"] = out["template_bytes"] / out["bound_bytes"]
    out["ratio_gzip"] = out["template_bytes_gzip"] / out["bound_bytes_gzip"]
    out["ratio_gzip_vs_plain_bound"] = out["template_bytes_gzip"] / out["bound_bytes"]
    out["client_gzip"] = gzip_bodies
    out["ratio_as_sent"] = out["ratio_gzip"] if gzip_bodies else out["ratio"]
    return out
