"""SM2 signing and verification per second, against GmSSL's bare digest calls.

Ours is the whole ``sluice.core.sm2`` call on a 256-byte message: input checks, deriving the
public key (signing), Z and e with SM3, GmSSL's signature, r||s <-> DER. The limit is the C
floor under it: ``gmssl_pyx.sm2_sign_sm3_digest`` / ``sm2_verify_sm3_digest`` on a
precomputed e and DER signature. The note records GmSSL's own message call
(``gmssl_pyx.sm2_sign`` computing Z itself), which ours replaces because it is far slower.
Each loop is timed three times and the fastest counts.
"""

from __future__ import annotations

from collections.abc import Callable

import gmssl_pyx

from bench.harness import Result, stopwatch
from sluice.core import sm2

RUNS = 3
MESSAGE = bytes(range(256))


def _rate(operation: Callable[[], object], count: int) -> float:
    best = float("inf")
    for _ in range(RUNS):
        with stopwatch() as elapsed:
            for _ in range(count):
                operation()
        best = min(best, elapsed[0])
    return count / best


def run(quick: bool) -> list[Result]:
    count = 200 if quick else 3_000
    keys = sm2.generate_keypair()
    e = sm2.digest_to_sign(keys.public_key, MESSAGE)
    signature = sm2.sign(keys.private_key, MESSAGE)
    der = sm2.signature_to_der(signature)
    assert sm2.verify(keys.public_key, MESSAGE, signature)

    ours_sign = _rate(lambda: sm2.sign(keys.private_key, MESSAGE), count)
    floor_sign = _rate(lambda: gmssl_pyx.sm2_sign_sm3_digest(keys.private_key, e), count)
    gmssl_message_sign = _rate(
        lambda: gmssl_pyx.sm2_sign(keys.private_key, keys.public_key, MESSAGE), max(count // 10, 20)
    )
    ours_verify = _rate(lambda: sm2.verify(keys.public_key, MESSAGE, signature), count)
    floor_verify = _rate(lambda: gmssl_pyx.sm2_verify_sm3_digest(keys.public_key, e, der), count)
    return [
        Result(
            name="SM2 sign, 256-byte message",
            ours=ours_sign,
            peer=floor_sign,
            unit="signatures/s",
            peer_name="gmssl_pyx.sm2_sign_sm3_digest on a ready digest",
            target_ratio=0.4,
            note=f"gmssl_pyx.sm2_sign (GmSSL computing Z) {gmssl_message_sign:,.0f}/s",
        ),
        Result(
            name="SM2 verify, 256-byte message",
            ours=ours_verify,
            peer=floor_verify,
            unit="verifications/s",
            peer_name="gmssl_pyx.sm2_verify_sm3_digest on a ready digest",
            target_ratio=0.7,
        ),
    ]
