"""Catalogue routes of the local service: ping, targets, vendors, credits (qoro-api.md §2.1-2.6).

Owns what the service offers: one simulator cluster (:data:`CLUSTER`, Maestro with
server-side expectation values) and one sampling-only QPU system (:data:`QPU_SYSTEM`), whose
names ``job/init/`` checks (``routes/jobs.py``), and the caller's credits and ledger pages.

Imports FastAPI, the standard library and ``local`` modules only.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Request

from ..._version import __version__
from ..bounds import query_int
from ..deps import Owner, SettingsDep, StoreDep
from ..handlers import error
from ..models import (
    CreditsResponse,
    PingResponse,
    Qpu,
    QpuSystem,
    SimulatorCluster,
    TransactionsPage,
    VendorSpec,
)
from ..simulator_options import STATEVECTOR_MAX_QUBITS

__all__ = ["CLUSTER", "QPU_SYSTEM", "router"]

CLUSTER = "qoro_maestro"
"""The one simulator cluster, and the default target of ``job/init/`` (§2.3)."""
QPU_SYSTEM = "local_qpu"
"""The one QPU system: Maestro, sampling only (``supports_expval`` false, §2.2)."""
QPU_NICKNAME = "maestro_qpu"
QPU_QUBITS = STATEVECTOR_MAX_QUBITS
MAX_PAGE_SIZE = 100  # §2.6: documented maximum; larger requests are clamped as DRF does

router = APIRouter()


@router.get("/", response_model=PingResponse)
async def ping(_owner: Owner, settings: SettingsDep) -> PingResponse:
    """§2.1: the connection test; ``idempotency`` tells clients keyed POSTs may be re-sent."""
    return PingResponse(version=__version__, idempotency=settings.idempotency)


@router.get("/qpusystem/", response_model=list[QpuSystem])
async def qpu_systems(_owner: Owner) -> list[QpuSystem]:
    """§2.2: one sampling-only system; QPU entries carry exactly four keys."""
    return [
        QpuSystem(
            name=QPU_SYSTEM, access_level="PUBLIC", supports_expval=False,
            qpus=[Qpu(nickname=QPU_NICKNAME, q_bits=QPU_QUBITS, status="active",
                      system_kind="simulator")],
        )
    ]


@router.get("/simulatorcluster/", response_model=list[SimulatorCluster])
async def simulator_clusters(_owner: Owner) -> list[SimulatorCluster]:
    """§2.3: the Maestro cluster, with server-side expectation values."""
    return [SimulatorCluster(name=CLUSTER, access_level="PUBLIC", minimum_tier="FREE",
                             supports_expval=True)]


@router.get("/vendor-config-blueprint/", response_model=dict[str, VendorSpec])
async def vendor_blueprint(_owner: Owner) -> dict[str, VendorSpec]:
    """§2.4: the local QPU takes no device options."""
    return {"local": VendorSpec(label="Local Maestro QPU", credentials=[], device=[])}


@router.get("/credits/", response_model=CreditsResponse)
async def credits(owner: Owner, store: StoreDep) -> CreditsResponse:
    """§2.5."""
    return CreditsResponse(**store.credits(owner))


@router.get("/credits/transactions/", response_model=TransactionsPage)
async def transactions(request: Request, owner: Owner, store: StoreDep,
                       page: Annotated[int, query_int(ge=1)] = 1,
                       page_size: Annotated[int, query_int(ge=1)] = 20) -> Any:
    """§2.6: page-number pagination, newest first."""
    page_size = min(page_size, MAX_PAGE_SIZE)
    count, rows = store.transactions(owner, page=page, page_size=page_size)
    total_pages = max(1, math.ceil(count / page_size))
    if page > total_pages:
        return error(404, "Invalid page.")

    def link(p: int) -> str:
        return str(request.url.include_query_params(page=p, page_size=page_size))

    return TransactionsPage(
        count=count, total_pages=total_pages,
        next=link(page + 1) if page < total_pages else None,
        previous=link(page - 1) if page > 1 else None,
        results=rows,
    )
