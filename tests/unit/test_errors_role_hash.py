"""The role hash written out in client/errors.py (so that importing the errors is cheap) is right."""

from eth_utils.crypto import keccak

from client.errors import KNOWN_ROLE_HASHES


def test_registrar_role_hash_is_keccak_of_its_name() -> None:
    assert KNOWN_ROLE_HASHES[keccak(text="REGISTRAR_ROLE")] == "REGISTRAR_ROLE"
