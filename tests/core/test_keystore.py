"""The key store: wrapped data keys per scope, and crypto-shredding."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sluice.core.keystore import KeyDestroyed, KeyStore, KeyStoreError


def test_keys_are_created_once_and_stay_the_same(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    first = keys.data_key("dataset-1")
    assert len(first) == 16
    assert KeyStore(tmp_path / "keys").data_key("dataset-1") == first
    assert keys.data_key("dataset-2") != first
    assert keys.exists("dataset-1") and not keys.exists("dataset-3")


def test_files_are_private_and_never_hold_a_key_in_the_clear(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    keys = KeyStore(directory)
    data_key = keys.data_key("tokenization")
    master = (directory / "master.key").read_bytes()

    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for path in directory.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    wrapped = (directory / "tokenization.key").read_bytes()
    assert data_key not in wrapped and master not in wrapped
    assert master.hex() not in repr(keys) and str(directory) in repr(keys)
    assert not any(isinstance(v, bytes) for v in vars(keys).values())


def test_a_key_file_opens_only_under_its_own_scope(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path)
    keys.data_key("authorization-a")
    (tmp_path / "authorization-b.key").write_bytes((tmp_path / "authorization-a.key").read_bytes())
    with pytest.raises(KeyStoreError, match="does not open"):
        keys.data_key("authorization-b")


def test_a_tampered_key_file_or_another_master_key_is_refused(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path)
    keys.data_key("dataset-1")
    path = tmp_path / "dataset-1.key"
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 1
    path.write_bytes(bytes(blob))
    with pytest.raises(KeyStoreError, match="does not open"):
        keys.data_key("dataset-1")
    path.write_bytes(b"junk")
    with pytest.raises(KeyStoreError, match="damaged"):
        keys.data_key("dataset-1")


def test_a_master_key_others_can_read_is_refused(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path)
    keys.data_key("dataset-1")
    (tmp_path / "master.key").chmod(0o644)
    with pytest.raises(KeyStoreError, match="readable by other users"):
        keys.data_key("dataset-1")


@pytest.mark.parametrize("scope", ["", "../etc", "a/b", ".hidden", "master", "x" * 129, "键"])
def test_scopes_are_checked_not_rewritten(tmp_path: Path, scope: str) -> None:
    with pytest.raises(ValueError, match="invalid key scope"):
        KeyStore(tmp_path).data_key(scope)


def test_destroying_a_key_shreds_it_for_good(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path)
    keys.data_key("authorization-7")
    keys.destroy("authorization-7")

    assert not (tmp_path / "authorization-7.key").exists()
    assert not keys.exists("authorization-7") and keys.destroyed("authorization-7")
    with pytest.raises(KeyDestroyed, match="authorization-7"):
        keys.data_key("authorization-7")  # never silently re-created
    keys.destroy("authorization-7")  # idempotent
    with pytest.raises(KeyDestroyed):
        KeyStore(tmp_path).data_key("authorization-7")
    assert keys.data_key("authorization-8")  # other scopes are untouched


def test_concurrent_first_use_agrees_on_one_key(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path)
    with ThreadPoolExecutor(max_workers=8) as pool:
        found = set(pool.map(lambda _: keys.data_key("dataset-race"), range(32)))
    assert len(found) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset-race.key", "master.key"]
