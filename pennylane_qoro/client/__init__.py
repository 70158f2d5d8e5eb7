"""The Qoro REST client: configuration, transport and the job API.

Nothing here knows PennyLane: the device (``pennylane_qoro.device``) builds :class:`JobSpec`
objects and reads :class:`JobResult` objects. The wire formats live in
``pennylane_qoro.protocol``, which the local service shares; the local service never imports
this package. This package imports the standard library, requests, numpy, python-dotenv,
``protocol`` and (optionally) tqdm.

The public names below are loaded lazily (PEP 562), so ``import pennylane_qoro.client.config``
or ``pennylane_qoro.client.errors`` does not load ``requests`` and the transport.
"""

from __future__ import annotations

from .._lazy import lazy_exports
from . import errors as _errors

_MODULES = {
    "..protocol.vocabulary": ("ACTIVE_STATUSES", "MAX_PAYLOAD_BYTES", "TERMINAL_STATUSES"),
    ".config": (
        "DEFAULT_URL",
        "ApiKey",
        "find_api_key",
        "find_api_url",
        "resolve_api_key",
        "resolve_url",
    ),
    # every error class of the tree (client/errors.py lists them once, in its __all__)
    ".errors": tuple(name for name in _errors.__all__ if name[0].isupper()),
    ".jobs": ("QoroClient",),
    ".spec": ("JobResult", "JobSpec", "Template"),
    ".stats": ("ClientStats",),
}

__all__ = sorted(name for names in _MODULES.values() for name in names)
__getattr__, __dir__ = lazy_exports(__name__, globals(), _MODULES)
