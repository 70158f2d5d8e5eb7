"""Throughput of the wire codecs in ``pennylane_qoro.protocol`` (not collected by pytest).

Prints, on one core:

* QH1 decode throughput (entries/s) for 2^16-entry histograms, the fast array path and the
  ``{bitstring: count}`` path, next to QH1 encode throughput (goal: decode >= 10 M entries/s);
* ``@gzs`` observables encode and decode time for 10^4 terms x 100 qubits, next to the time
  of the plain gzip+base64 step alone (the floor any encoder pays).

Run: ``python bench/codecs.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable

import numpy as np

from pennylane_qoro.protocol import histogram, observables, text

ENTRIES = 1 << 16
GOAL = 10e6


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` timed calls, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def histograms(rng: np.random.Generator) -> dict[str, tuple[np.ndarray, np.ndarray, int]]:
    """Three 2^16-entry histograms: every outcome of 16 bits, and sparse 32/64-bit ones."""
    counts = rng.integers(1, 6, ENTRIES)  # about 1/5 of the counts are 1 (RLE flags mixed)
    out = {"dense 16-bit": (np.arange(ENTRIES, dtype=np.uint64), counts, 16)}
    for bits in (32, 64):
        idx = np.unique(rng.integers(0, 2**bits - 1, 2 * ENTRIES, dtype=np.uint64, endpoint=True))
        out[f"sparse {bits}-bit"] = (rng.permutation(idx)[:ENTRIES], counts, bits)
    return out


def bench_histograms(repeat: int) -> None:
    rng = np.random.default_rng(2024)
    print(f"QH1, {ENTRIES} entries per histogram (best of {repeat})")
    header = f"  {'case':<15} {'payload':>9} {'encode':>12} {'decode arrays':>15} {'to dict':>12}"
    print(header)
    for name, (idx, cnt, bits) in histograms(rng).items():
        env = histogram.encode_histogram(idx, cnt, bits)
        n, got_idx, got_cnt = histogram.decode_histogram_arrays(env)
        order = np.argsort(idx)
        assert n == bits and np.array_equal(got_idx, idx[order])
        assert np.array_equal(got_cnt, cnt[order])
        t_enc = best_of(lambda: histogram.encode_histogram(idx, cnt, bits), repeat)  # noqa: B023
        t_dec = best_of(lambda: histogram.decode_histogram_arrays(env), repeat)  # noqa: B023
        t_dict = best_of(lambda: histogram.decode_histogram(env), max(3, repeat // 4))  # noqa: B023
        rate = ENTRIES / t_dec
        mark = "ok" if rate >= GOAL else "BELOW GOAL"
        print(
            f"  {name:<15} {len(env['payload']):>8}B {ENTRIES / t_enc / 1e6:>9.1f} M/s "
            f"{rate / 1e6:>11.1f} M/s {ENTRIES / t_dict / 1e6:>9.1f} M/s  [{mark}]"
        )
    print(f"  goal: decode >= {GOAL / 1e6:.0f} M entries/s on one core")


def bench_observables(repeat: int) -> None:
    rng = np.random.default_rng(7)
    n_terms, n_qubits = 10_000, 100
    letters = np.array(list("IXYZ"))
    # Hamiltonian-like terms: each qubit is non-identity with probability 0.1.
    grid = np.where(
        rng.random((n_terms, n_qubits)) < 0.1, rng.integers(1, 4, (n_terms, n_qubits)), 0
    )
    terms = ["".join(row) for row in letters[grid]]
    encoded = observables.encode_observables([terms])
    assert observables.decode_observables(encoded) == [terms]
    sparse = encoded.split(":", 1)[1]
    plain = text.decompress_text(sparse)
    t_enc = best_of(lambda: observables.encode_observables([terms]), repeat)
    t_dec = best_of(lambda: observables.decode_observables(encoded), max(3, repeat // 4))
    t_gzip = best_of(lambda: text.compress_text(plain), repeat)
    t_val = best_of(lambda: observables.validate_pauli_terms(terms), repeat)
    print(f"@gzs, {n_terms} terms x {n_qubits} qubits (best of {repeat})")
    print(f"  wire size            {len(encoded):>10} characters ({len(plain)} sparse chars)")
    print(f"  encode               {t_enc * 1e3:>10.1f} ms")
    print(f"    of which gzip+b64  {t_gzip * 1e3:>10.1f} ms")
    print(f"    of which validate  {t_val * 1e3:>10.1f} ms")
    print(f"  decode               {t_dec * 1e3:>10.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()} {platform.processor() or ''} "
        f"{os.cpu_count()} cpus, python {platform.python_version()}, numpy {np.__version__}"
    )
    bench_histograms(args.repeat)
    bench_observables(max(3, args.repeat // 4))


if __name__ == "__main__":
    main()
