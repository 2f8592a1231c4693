"""Site keys: made on first start, or brought in from openssl (Ed25519, RSA)."""
import shutil
import subprocess

import pytest

from fate_flow.federation import AuthenticationError, FederationConfigError
from fate_flow.federation.keys import KeyRing, load_or_create_private_key, load_public_key, public_key_path


def test_key_pair_is_made_on_first_start_and_reused(tmp_path):
    keys = tmp_path / "keys"
    first = load_or_create_private_key(keys, "9999")
    assert (keys / "9999.pem").stat().st_mode & 0o077 == 0
    assert (keys / "9999.pub.pem").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    again = load_or_create_private_key(keys, "9999")
    assert first.public_key().public_bytes_raw() == again.public_key().public_bytes_raw()


def test_private_keys_are_made_0600_in_a_0700_directory_and_a_readable_one_is_refused(tmp_path):
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o755)
    load_or_create_private_key(keys, "9999")
    assert keys.stat().st_mode & 0o777 == 0o700 and (keys / "9999.pem").stat().st_mode & 0o777 == 0o600
    (keys / "9999.pem").chmod(0o640)
    with pytest.raises(FederationConfigError, match=rf"private key {keys}/9999.pem is readable or writable by other "
                                                    rf"users \(mode 0640\).*chmod 600 {keys}/9999.pem"):
        load_or_create_private_key(keys, "9999")


def test_public_key_without_its_private_key_is_an_error(tmp_path):
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "9999.pub.pem").write_text("x")
    with pytest.raises(FederationConfigError, match="restore it or remove both"):
        load_or_create_private_key(keys, "9999")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
@pytest.mark.parametrize("algorithm", [["-algorithm", "ed25519"], ["-algorithm", "RSA", "-pkeyopt",
                                                                     "rsa_keygen_bits:2048"]])
def test_keys_made_with_openssl_sign_and_verify(tmp_path, algorithm):
    keys = tmp_path / "keys"
    keys.mkdir()
    subprocess.run(["openssl", "genpkey", *algorithm, "-out", str(keys / "10000.pem")], check=True,
                   capture_output=True)
    private = load_or_create_private_key(keys, "10000")  # the .pub.pem is derived
    public = load_public_key(str(public_key_path(keys, "10000")), "10000")
    ring = KeyRing({"10000": private}, {"10000": public})
    signature = ring.sign("10000", b"message")
    ring.verify("10000", b"message", signature)
    with pytest.raises(AuthenticationError, match="signature does not match party 10000"):
        ring.verify("10000", b"other message", signature)


def test_unknown_signer_and_missing_signature_are_refused(tmp_path):
    private = load_or_create_private_key(tmp_path / "keys", "1")
    ring = KeyRing({"1": private}, {"1": private.public_key()})
    with pytest.raises(AuthenticationError, match="no public key is configured for party 2"):
        ring.verify("2", b"m", b"sig")
    with pytest.raises(AuthenticationError, match="not signed"):
        ring.verify("1", b"m", b"")
    with pytest.raises(AuthenticationError, match="holds no private key for party 2"):
        ring.sign("2", b"m")
