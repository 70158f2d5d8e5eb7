"""Reading job answers: status fields, result rows of resultsV2 pages and of the answering
finalize (the local extension of ``protocol.vocabulary.FINALIZE_WAIT_FIELD``).

Imports the standard library, ``protocol`` and ``client`` modules only.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from ..protocol.histogram import decode_histogram
from .errors import WireDecodeError
from .polling import completed

__all__ = [
    "decode_row",
    "finalized_status",
    "inline_rows",
    "lenient_float",
    "page_count",
    "page_rows",
    "positive_number",
    "take_labels",
]

log = logging.getLogger(__name__)


def positive_number(value: Any) -> bool:
    """Whether an advertised limit (``max_wait``, ``max_finalize_wait``) is a usable number."""
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def finalized_status(job_id: str, answer: Any) -> dict | None:
    """The COMPLETED status carried by an answering finalize, or None (no such answer, or the
    job is still active: the caller polls). Failures raise as ``QoroClient.wait`` does."""
    if not isinstance(answer, dict) or not isinstance(answer.get("status"), str):
        return None
    if not completed(job_id, answer):
        return None
    return {"status": "COMPLETED", "run_time": lenient_float(answer.get("run_time"))}


def inline_rows(job_id: str, answer: Any, final: dict) -> list[dict] | None:
    """The decoded result rows an answering finalize carried, or None (page them instead)."""
    rows = answer.get("results") if isinstance(answer, dict) else None
    if final.get("status") != "COMPLETED" or not isinstance(rows, list):
        return None
    if not rows or len(rows) != answer.get("total_circuits"):
        return None
    return [decode_row(row, job_id) for row in rows]


def lenient_float(value: Any) -> float:
    """``run_time`` as the service may send it: number, numeric string, null or absent (§2.9)."""
    if value is None or isinstance(value, bool):
        return 0.0
    try:
        out = float(value)
    except (TypeError, ValueError):
        log.debug("ignoring non-numeric run_time %r", value)
        return 0.0
    return out if math.isfinite(out) else 0.0


def page_rows(page: Any, job_id: str, offset: int) -> list[Any]:
    """The ``results`` list of a resultsV2 page."""
    if not isinstance(page, dict) or not isinstance(page.get("results"), list):
        raise WireDecodeError(f"job {job_id}: results page at offset {offset} has no rows list")
    return page["results"]


def page_count(page: dict, job_id: str, offset: int, expected: int | None) -> int:
    """The ``count`` of a resultsV2 page, checked against the count paging started with.

    Raises:
        WireDecodeError: ``count`` is not a non-negative integer, or differs from
            ``expected`` (the first page's count, or the number of labels sent).
    """
    count = page.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise WireDecodeError(f"job {job_id}: results page at offset {offset} has no valid "
                              f"count: {count!r:.50}")
    if expected is not None and count != expected:
        raise WireDecodeError(f"job {job_id}: results page at offset {offset} says count "
                              f"{count}, expected {expected}: inconsistent pages")
    return count


def take_labels(wanted: set[str], rows: list[dict], job_id: str) -> None:
    """Remove each row's label from ``wanted`` (the labels sent and not yet seen).

    Raises:
        WireDecodeError: a row's label was not sent, or came twice.
    """
    for row in rows:
        if row["label"] not in wanted:
            raise WireDecodeError(f"job {job_id}: result row for label {row['label']!r:.80}, "
                                  "which was not sent (or came twice)")
        wanted.discard(row["label"])


def decode_row(row: Any, job_id: str) -> dict:
    """One result row with its ``results`` decoded (§4.3)."""
    if not isinstance(row, dict) or "label" not in row or "results" not in row:
        raise WireDecodeError(f"job {job_id}: result row without label/results: {row!r:.200}")
    out = dict(row)
    try:
        out["results"] = decode_histogram(row["results"])
    except WireDecodeError as exc:
        raise WireDecodeError(f"job {job_id}, circuit {row['label']!r}: {exc}") from None
    return out
