"""Fuzzing the wire decoders of ``protocol/`` (qoro-api.md §3.1, §3.4, §4.4).

Every decoder gets corrupted valid input (bytes flipped, removed, inserted, cut, appended, as
directed by a hypothesis-drawn script) and arbitrary input; it must return a value or raise
:class:`WireDecodeError` -- nothing else, no hang. The valid inputs come from fixed pools built
with the encoders, so each example costs two or three draws (10^4 examples per target in CI).
"""

from __future__ import annotations

import base64
import gzip
import random

import numpy as np
from fuzzing import count, fuzz_settings, inputs, mutate, split
from hypothesis import given

from pennylane_qoro.client.errors import WireDecodeError
from pennylane_qoro.protocol.histogram import (
    decode_histogram,
    decode_histogram_arrays,
    encode_histogram,
)
from pennylane_qoro.protocol.observables import decode_observables, encode_observables
from pennylane_qoro.protocol.text import compress_text, decompress_text


def _histogram_pool() -> list[tuple[dict, dict[str, int]]]:
    rng = random.Random(0)
    pool = []
    for n_bits in (1, 2, 3, 7, 8, 31, 63, 64, 65, 130, 255, 256, 300):
        for size in (0, 1, 2, 5, 17):
            outcomes = {rng.getrandbits(n_bits): rng.choice([1, 1, 2, 3, 1000, 1 << 40])
                        for _ in range(size)}
            envelope = encode_histogram(list(outcomes), list(outcomes.values()), n_bits)
            pool.append((envelope, {format(i, f"0{n_bits}b"): c
                                    for i, c in sorted(outcomes.items())}))
    return pool


HISTOGRAMS = _histogram_pool()
N_BITS = [None, -1, 0, 1, 64, 65, 255, 256, 1 << 21, 1 << 70, True, "8", 2.0]
ENCODINGS = ["qh1", "qh2", "QH1", "", None, "qh3", 1]


def _envelope(index: int, script: bytes, mode: int) -> object:
    """Envelope ``index`` of the pool, its payload mutated by ``script``, keys per ``mode``."""
    envelope, _ = HISTOGRAMS[index]
    blob = mutate(base64.b64decode(envelope["payload"]), script)
    out: dict = dict(envelope, payload=base64.b64encode(blob).decode())
    if mode & 1:
        out["n_bits"] = N_BITS[(mode >> 1) % len(N_BITS)]
    if mode & 16:
        out["encoding"] = ENCODINGS[(mode >> 5) % len(ENCODINGS)]
    if mode & 256:
        out["payload"] = script.decode("latin-1")  # not base64, or base64 of noise
    if mode & 512:
        return [out] if mode & 1024 else script.decode("latin-1")
    return out


@fuzz_settings()
@given(inputs(24))
def test_histogram_decoders(data: bytes) -> None:
    count("QH1/QH2 decoders")
    index, mode, script = split(data, len(HISTOGRAMS), 2048)
    results = _envelope(index, script, mode)
    try:
        decoded = decode_histogram(results)
    except WireDecodeError:
        decoded = None
    if isinstance(decoded, dict) and isinstance(results, dict) and results.get("payload"):
        assert all(isinstance(k, str) and set(k) <= {"0", "1"} for k in decoded)
        assert all(isinstance(v, int) and v > 0 for v in decoded.values())
        if not script and not mode:
            assert decoded == HISTOGRAMS[index][1]
    if isinstance(results, dict):
        try:
            width, indices, counts = decode_histogram_arrays(results)
        except WireDecodeError:
            return
        assert len(indices) == len(counts) and width >= 0
        assert np.all(np.asarray(counts) > 0)


def _observable_pool() -> list[str]:
    rng = random.Random(1)
    pool = []
    for n in (1, 2, 3, 5, 8):
        for n_groups in (1, 2, 3):
            groups = [["".join(rng.choice("IXYZ") for _ in range(n))
                       for _ in range(rng.randint(1, 5))] for _ in range(n_groups)]
            pool.append(encode_observables(groups))
    pool += [f"@gzs{n}:{compress_text(body)}" for n, body in
             [(3, "Z0X2"), (2, "I"), (4, "X0;Y1;Z3;I"), (10**12, "I"), (2, "Z0Z0"), (3, "Z3"),
              (5, "Z" + "0" * 5000 + "1"), (7, "Q1"), (99999999, "X1"), (1 << 20, "Z9")]]
    return pool


OBSERVABLES = _observable_pool()


@fuzz_settings()
@given(inputs(24))
def test_gzs_decoder(data: bytes) -> None:
    count("@gzs decoder")
    index, mode, script = split(data, len(OBSERVABLES), 4)
    wire = OBSERVABLES[index]
    if mode == 1:  # corrupt the gzip stream of the first group, keep its head
        head, _, rest = wire.partition(":")
        payload, bar, tail = rest.partition("|")
        blob = mutate(base64.b64decode(payload), script)
        wire = f"{head}:{base64.b64encode(blob).decode()}{bar}{tail}"
    elif mode == 2:
        wire = mutate(wire.encode(), script).decode("latin-1")
    elif mode == 3:
        wire = script.decode("latin-1")
    try:
        groups = decode_observables(wire)
    except WireDecodeError:
        return
    assert groups and all(terms for terms in groups)
    for terms in groups:
        assert all(set(t) <= set("IXYZ") for t in terms)
        assert len({len(t) for t in terms}) == 1


TEXTS = [gzip.compress(t.encode(), mtime=0) for t in
         ["", "h q[0];", "é" * 40, "x" * 5000, "OPENQASM 2.0;\nqreg q[2];\n"]]


@fuzz_settings()
@given(inputs(24))
def test_gzip_base64_decoder(data: bytes) -> None:
    count("gzip+base64 decoder")
    index, mode, script = split(data, len(TEXTS), 4)
    blob = TEXTS[index]
    if mode == 1:
        blob = mutate(blob, script)
    elif mode == 2:  # several members, or a member followed by junk
        blob += TEXTS[(index + 1) % len(TEXTS)] + script
    data: object = base64.b64encode(blob).decode()
    if mode == 3:
        data = script.decode("latin-1")
    try:
        text = decompress_text(data, max_bytes=1 << 16)  # type: ignore[arg-type]
    except WireDecodeError:
        return
    assert isinstance(text, str)
