"""SM2 signatures: the standard's example, GmSSL's own Z path, pure-Python gmssl, properties.

Known answer: the signature example on the recommended curve in GB/T 32918.5-2017 /
GM/T 0003.5-2012 Annex A. Private key, ID, message, nonce k and (r, s) as OpenSSL's
test/sm2_internal_test.c carries them ("From Annex A in both GM/T0003.5-2012 and GB/T
32918.5"); public key, e and the DER form of (r, s) as chenpengcong/sm2-with-openssl's
test_sm2_sign_verify.c carries them; Z_A as several independent test suites print it.
"""

from __future__ import annotations

from collections.abc import Iterator

import gmssl_pyx
import pytest
from gmssl.sm2 import CryptSM2, default_ecc_table
from hypothesis import given, settings
from hypothesis import strategies as st

from sluice.core import sm2
from sluice.core.sm2 import N, SM2KeyPair, SM2Provider

D = bytes.fromhex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
PUBLIC = bytes.fromhex(
    "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
)
ID = b"1234567812345678"
MESSAGE = b"message digest"
K = "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21"
Z_A = bytes.fromhex("B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3")
E = bytes.fromhex("F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640")
R = bytes.fromhex("F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3")
S = bytes.fromhex("B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA")
SIGNATURE = R + S
SIGNATURE_DER = bytes.fromhex("3046022100" + R.hex() + "022100" + S.hex())


def flip(data: bytes, bit: int) -> bytes:
    """``data`` with one bit inverted (bit 0 is the top bit of the first byte)."""
    changed = bytearray(data)
    changed[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(changed)


def pure_python(public_key: bytes, private_key: bytes = b"") -> CryptSM2:
    crypt = CryptSM2(private_key=private_key.hex(), public_key=public_key.hex())
    # CryptSM2 drops a "04" prefix with str.lstrip("04"), which also eats leading 0 and 4
    # digits of x: set the key after construction so that no key is mangled.
    crypt.public_key = public_key.hex()
    return crypt


# ---------------------------------------------------------------------------------------
# The standard's example


def test_the_public_key_of_the_standards_private_key_is_the_standards() -> None:
    assert sm2.public_key_of(D) == PUBLIC


def test_z_and_the_signed_digest_are_the_standards() -> None:
    assert sm2.z_value(PUBLIC, ID) == Z_A
    assert sm2.digest_to_sign(PUBLIC, MESSAGE, ID) == E


def test_the_standards_signature_verifies() -> None:
    assert sm2.verify(PUBLIC, MESSAGE, SIGNATURE, signer_id=ID)
    assert sm2.verify(PUBLIC, MESSAGE, SIGNATURE)  # ID is the default one
    assert sm2.verify(b"\x04" + PUBLIC, MESSAGE, SIGNATURE)
    assert sm2.verify_hex(PUBLIC.hex(), MESSAGE, SIGNATURE.hex().upper())


@pytest.mark.parametrize("bit", [0, 7, 8 * len(MESSAGE) - 1])
def test_a_one_bit_change_to_the_message_fails(bit: int) -> None:
    assert not sm2.verify(PUBLIC, flip(MESSAGE, bit), SIGNATURE, signer_id=ID)


@pytest.mark.parametrize("bit", [0, 255, 256, 511])  # first and last bits of r, then of s
def test_a_one_bit_change_to_the_signature_fails(bit: int) -> None:
    assert not sm2.verify(PUBLIC, MESSAGE, flip(SIGNATURE, bit), signer_id=ID)


@pytest.mark.parametrize("bit", [7, 8 * len(ID) - 1])
def test_a_one_bit_change_to_the_signer_id_fails(bit: int) -> None:
    assert not sm2.verify(PUBLIC, MESSAGE, SIGNATURE, signer_id=flip(ID, bit))


def test_a_one_bit_change_to_the_public_key_is_another_key_or_no_key() -> None:
    with pytest.raises(ValueError, match="not a point on the curve"):
        sm2.verify(flip(PUBLIC, 511), MESSAGE, SIGNATURE)


def test_pure_python_gmssl_reproduces_the_standards_signature_from_its_nonce() -> None:
    crypt = pure_python(PUBLIC, D)
    assert crypt.sign_with_sm3(MESSAGE, K) == SIGNATURE.hex()


def test_the_der_form_of_the_standards_signature() -> None:
    assert sm2.signature_to_der(SIGNATURE) == SIGNATURE_DER
    assert sm2.signature_from_der(SIGNATURE_DER) == SIGNATURE
    assert gmssl_pyx.sm2_verify(PUBLIC, MESSAGE, SIGNATURE_DER, signer_id=ID)


# ---------------------------------------------------------------------------------------
# Other libraries


@pytest.mark.parametrize(
    "signer_id",
    [ID, b"ALICE123@YAHOO.COM", b"x", "数据授权运营中心".encode(), bytes(range(256)) * 31 + b"!"],
    ids=["default", "alice", "one-byte", "utf8", "8191-bytes"],
)
def test_gmssl_computing_z_itself_agrees_both_ways(signer_id: bytes) -> None:
    keys = sm2.generate_keypair()
    ours = sm2.sign(keys.private_key, MESSAGE, signer_id=signer_id)
    assert gmssl_pyx.sm2_verify(
        keys.public_key, MESSAGE, sm2.signature_to_der(ours), signer_id=signer_id
    )
    theirs = gmssl_pyx.sm2_sign(keys.private_key, keys.public_key, MESSAGE, signer_id=signer_id)
    assert sm2.verify(keys.public_key, MESSAGE, sm2.signature_from_der(theirs), signer_id=signer_id)
    other_id = flip(signer_id, 7)
    assert not sm2.verify(
        keys.public_key, MESSAGE, sm2.signature_from_der(theirs), signer_id=other_id
    )


@pytest.mark.parametrize("message", [b"", b"a", "授权协议第3版".encode() * 50])
def test_pure_python_gmssl_agrees_both_ways(message: bytes) -> None:
    keys = sm2.generate_keypair()
    crypt = pure_python(keys.public_key, keys.private_key)
    ours = sm2.sign(keys.private_key, message)
    assert crypt.verify_with_sm3(ours.hex(), message)
    assert not crypt.verify_with_sm3(ours.hex(), message + b".")
    theirs = bytes.fromhex(crypt.sign_with_sm3(message))
    assert sm2.verify(keys.public_key, message, theirs)
    assert not sm2.verify(keys.public_key, message + b".", theirs)


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=N - 2) | st.sampled_from([1, 2, N - 3, N - 2]))
def test_public_keys_match_pure_python_point_multiplication(d: int) -> None:
    expected = pure_python(sm2.public_key_of(D))._kg(d, default_ecc_table["g"])
    assert sm2.public_key_of(d.to_bytes(32, "big")).hex() == expected


# ---------------------------------------------------------------------------------------
# Properties


@settings(max_examples=60, deadline=None)
@given(
    d=st.integers(min_value=1, max_value=N - 2),
    message=st.binary(max_size=512),
    signer_id=st.binary(min_size=1, max_size=40),
    bit=st.integers(min_value=0),
)
def test_signatures_verify_and_tampered_ones_do_not(
    d: int, message: bytes, signer_id: bytes, bit: int
) -> None:
    private_key = d.to_bytes(32, "big")
    public_key = sm2.public_key_of(private_key)
    signature = sm2.sign(private_key, message, signer_id=signer_id)
    assert len(signature) == 64
    assert sm2.verify(public_key, message, signature, signer_id=signer_id)
    assert not sm2.verify(public_key, message, flip(signature, bit % 512), signer_id=signer_id)
    assert not sm2.verify(public_key, message + b"\x00", signature, signer_id=signer_id)
    if message:
        tampered = flip(message, bit % (8 * len(message)))
        assert not sm2.verify(public_key, tampered, signature, signer_id=signer_id)
    other_id = flip(signer_id, bit % (8 * len(signer_id)))
    assert not sm2.verify(public_key, message, signature, signer_id=other_id)


def test_signing_is_randomized() -> None:
    keys = sm2.generate_keypair()
    first, second = (sm2.sign(keys.private_key, MESSAGE) for _ in range(2))
    assert first != second
    assert sm2.verify(keys.public_key, MESSAGE, first)
    assert sm2.verify(keys.public_key, MESSAGE, second)


def test_a_signature_does_not_verify_under_another_key() -> None:
    keys, other = sm2.generate_keypair(), sm2.generate_keypair()
    signature = sm2.sign(keys.private_key, MESSAGE)
    assert not sm2.verify(other.public_key, MESSAGE, signature)


def test_generated_keypairs() -> None:
    keys, other = sm2.generate_keypair(), sm2.generate_keypair()
    assert len(keys.private_key) == 32
    assert len(keys.public_key) == 64
    assert sm2.public_key_of(keys.private_key) == keys.public_key
    assert keys.public_key_hex == keys.public_key.hex()
    assert keys.private_key != other.private_key
    assert repr(keys.private_key) not in repr(keys)
    assert keys.private_key.hex() not in repr(keys)


# ---------------------------------------------------------------------------------------
# Malformed input


@pytest.mark.parametrize(
    "signature",
    [
        b"",
        SIGNATURE[:63],
        SIGNATURE + b"\x00",
        SIGNATURE_DER,
        bytes(32) + S,  # r = 0
        R + bytes(32),  # s = 0
        N.to_bytes(32, "big") + S,  # r = n
        R + N.to_bytes(32, "big"),  # s = n
        SIGNATURE.hex(),
        None,
    ],
    ids=["empty", "short", "long", "der", "r=0", "s=0", "r=n", "s=n", "hex-str", "none"],
)
def test_malformed_signatures_are_false(signature: object) -> None:
    assert sm2.verify(PUBLIC, MESSAGE, signature) is False  # type: ignore[arg-type]


@pytest.mark.parametrize("signer_id", [b"", b"x" * 8192, "1234567812345678"])
def test_malformed_signer_ids_do_not_verify_and_cannot_sign(signer_id: object) -> None:
    assert sm2.verify(PUBLIC, MESSAGE, SIGNATURE, signer_id=signer_id) is False  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="signer ID"):
        sm2.sign(D, MESSAGE, signer_id=signer_id)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "public_key",
    [
        PUBLIC[:63],
        PUBLIC + b"\x00",
        b"\x04" + PUBLIC[:63],
        b"\x02" + PUBLIC,  # 65 bytes, not the uncompressed prefix
        b"\x02" + PUBLIC[:32],  # compressed form: not accepted
        bytes(64),
        PUBLIC.hex(),
    ],
    ids=["63", "65-no-prefix", "64-with-prefix", "prefix-02", "compressed", "zeros", "hex-str"],
)
def test_malformed_public_keys_raise(public_key: object) -> None:
    with pytest.raises(ValueError, match="SM2 public key"):
        sm2.verify(public_key, MESSAGE, SIGNATURE)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "private_key",
    [
        D[:31],
        D + b"\x00",
        bytes(32),
        (N - 1).to_bytes(32, "big"),
        N.to_bytes(32, "big"),
        b"\xff" * 32,
    ],
    ids=["31", "33", "zero", "n-1", "n", "max"],
)
def test_malformed_private_keys_raise(private_key: bytes) -> None:
    with pytest.raises(ValueError, match="SM2 private key"):
        sm2.sign(private_key, MESSAGE)
    with pytest.raises(ValueError, match="SM2 private key"):
        sm2.public_key_of(private_key)


def test_the_largest_private_key_is_n_minus_2() -> None:
    private_key = (N - 2).to_bytes(32, "big")
    signature = sm2.sign(private_key, MESSAGE)
    assert sm2.verify(sm2.public_key_of(private_key), MESSAGE, signature)


def test_a_message_that_is_not_bytes_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        sm2.sign(D, "message digest")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        sm2.verify(PUBLIC, "message digest", SIGNATURE)  # type: ignore[arg-type]


def test_hex_helpers() -> None:
    assert sm2.public_key_from_hex(PUBLIC.hex()) == PUBLIC
    assert sm2.public_key_from_hex("04" + PUBLIC.hex().upper()) == PUBLIC
    with pytest.raises(ValueError, match="SM2 public key"):
        sm2.public_key_from_hex("zz" + PUBLIC.hex()[2:])
    with pytest.raises(ValueError, match="SM2 public key"):
        sm2.verify_hex(PUBLIC.hex()[:-2], MESSAGE, SIGNATURE.hex())
    assert sm2.verify_hex(PUBLIC.hex(), MESSAGE, "not hex") is False
    assert sm2.verify_hex(PUBLIC.hex(), MESSAGE, SIGNATURE.hex()[:-2]) is False


def test_malformed_der_is_refused() -> None:
    with pytest.raises(ValueError):
        sm2.signature_from_der(b"\x30\x00")
    with pytest.raises(ValueError, match=r"\[1, n - 1\]"):
        sm2.signature_from_der(bytes.fromhex("3006020100020101"))  # r = 0
    with pytest.raises(ValueError):
        sm2.signature_to_der(SIGNATURE[:63])


# ---------------------------------------------------------------------------------------
# The provider seam


class Recording:
    """Passes every call to the real provider and remembers what it was given."""

    def __init__(self, inner: SM2Provider) -> None:
        self.inner = inner
        self.calls: list[tuple[str, tuple[object, ...]]] = []

    def generate_keypair(self) -> SM2KeyPair:
        self.calls.append(("generate_keypair", ()))
        return self.inner.generate_keypair()

    def public_key_of(self, private_key: bytes) -> bytes:
        self.calls.append(("public_key_of", (private_key,)))
        return self.inner.public_key_of(private_key)

    def sign(self, private_key: bytes, message: bytes, signer_id: bytes) -> bytes:
        self.calls.append(("sign", (private_key, message, signer_id)))
        return self.inner.sign(private_key, message, signer_id)

    def verify(self, public_key: bytes, message: bytes, signature: bytes, signer_id: bytes) -> bool:
        self.calls.append(("verify", (public_key, message, signature, signer_id)))
        return self.inner.verify(public_key, message, signature, signer_id)


@pytest.fixture
def recording() -> Iterator[Recording]:
    provider = Recording(sm2.GmsslPyxProvider())
    previous = sm2.use_provider(provider)
    try:
        yield provider
    finally:
        sm2.use_provider(previous)


def test_the_module_delegates_checked_normalized_input_to_the_provider(
    recording: Recording,
) -> None:
    assert sm2.verify(b"\x04" + PUBLIC, bytearray(MESSAGE), SIGNATURE)
    assert sm2.public_key_of(bytearray(D)) == PUBLIC
    sm2.sign(D, MESSAGE, signer_id=b"bureau")
    sm2.generate_keypair()
    assert not sm2.verify(PUBLIC, MESSAGE, SIGNATURE[:63])  # refused before the provider
    assert [name for name, _ in recording.calls] == [
        "verify",
        "public_key_of",
        "sign",
        "generate_keypair",
    ]
    assert recording.calls[0][1] == (PUBLIC, MESSAGE, SIGNATURE, ID)
    assert all(type(arg) is bytes for _, args in recording.calls for arg in args)
