"""The Qoro wire protocol, shared by the client and the local service.

Each byte-level format and protocol fact of ``qoro-api.md`` lives here once:

* :mod:`.vocabulary`: job types, statuses, header names, the per-request cap, gzip levels;
* :mod:`.errors`: :class:`~.errors.QoroError` and the errors both sides raise on the wire;
* :mod:`.histogram`: QH1 / QH2 histogram envelopes (§4.3, §4.4);
* :mod:`.text`: gzip + base64 text (§3.1), JSON request bodies and request-body gzip;
* :mod:`.observables`: ``@gzs`` observables (§3.4);
* :mod:`.shot_groups`: the ``shot_groups`` tiling rule (§3.3);
* :mod:`.qubo`: characterization QUBO payloads (characterization.md §1.4, §1.5).

The package imports only the standard library and numpy. It never imports ``client``,
``local`` or PennyLane: both sides import it, never the reverse. This ``__init__`` imports
nothing, so importing one codec loads only that codec.
"""
