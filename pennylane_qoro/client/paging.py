"""Reading a job's result rows: ``resultsV2`` paging (qoro-api.md §2.10) and the checks that
keep a misbehaving server from making the client page forever or mix rows up.

It reaches the service only through the ``get`` callable it is given (``Transport.get``). It
imports the standard library and ``client`` modules only; never requests or PennyLane.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .errors import ValidationError, WireDecodeError
from .job_answers import decode_row, page_count, page_rows, take_labels

__all__ = ["PAGE_LIMIT", "TIMEOUT_RESULTS", "fetch_rows"]

TIMEOUT_RESULTS = 100.0  # seconds per resultsV2 page (qoro-api.md §1.5)
PAGE_LIMIT = 100  # resultsV2 page size; offset always grows by exactly this (§2.10)


def fetch_rows(get: Callable[..., Any], job_id: str,
               labels: Sequence[str] | None = None) -> list[dict]:
    """All decoded result rows of a job, in submission order (see ``QoroClient.results``).

    Args:
        get: ``Transport.get`` (endpoint, ``timeout=``, ``job_id=``) -> the JSON body.
        job_id (str): the job.
        labels (Sequence[str] | None): the labels sent, when known.

    Raises:
        ValidationError: results are not available (the job is still running).
        WireDecodeError: a malformed page or payload, or inconsistent pages.
    """
    rows: list[dict] = []
    offset = 0
    count = None if labels is None else len(labels)
    wanted = None if labels is None else set(labels)
    while True:
        # §2.10: the query lives in the endpoint string and the offset grows by exactly
        # PAGE_LIMIT; the server's `next` URL is only null-checked, never followed.
        endpoint = f"job/{job_id}/resultsV2/?limit={PAGE_LIMIT}&offset={offset}"
        try:
            page = get(endpoint, timeout=TIMEOUT_RESULTS, job_id=job_id)
        except ValidationError as exc:
            raise type(exc)(
                exc.status,
                f"job results not available, likely the job is still running "
                f"({exc.server_message})",
                method=exc.method,
                path=exc.path,
                job_id=job_id,
            ) from None
        entries = page_rows(page, job_id, offset)
        rows.extend(decode_row(row, job_id) for row in entries)
        count = page_count(page, job_id, offset, count)
        if wanted is not None:
            take_labels(wanted, rows[len(rows) - len(entries):], job_id)
        if len(rows) > count:
            raise WireDecodeError(f"job {job_id}: {len(rows)} result rows, more than the "
                                  f"count {count}: inconsistent pages")
        if len(rows) == count:
            return rows  # the server's `next`, if any, is ignored: nothing is left
        if not page.get("next"):
            raise WireDecodeError(f"job {job_id}: results end after {len(rows)} of "
                                  f"{count} rows")
        if not entries:
            raise WireDecodeError(
                f"job {job_id}: empty results page at offset {offset} with a next link"
            )
        offset += PAGE_LIMIT
