"""FATE-Flow 1.7's HTTP signature (fate_flow.entity.http_signature) and its http_auth settings: what is signed,
how a verifier answers good, stale, replayed and forged requests, and what it remembers."""
import base64
import hashlib
import hmac

import pytest

from fate_flow.entity.errors import AuthenticationError
from fate_flow.entity.http_signature import (SignatureVerifier, address_in, form_line, parse_networks,
                                             signed_headers, string_to_sign)
from fate_flow.entity.retcode import RetCode
from fate_flow.settings import SettingsError, load_settings

NOW = 1_700_000_000.0
SECRET = "s3cr3t"


def test_the_string_to_sign_is_six_lines_as_fate_flow_17_joins_them():
    message = string_to_sign("1700000000000", "n-1", "key", "/v1/job/query", b'{"job_id": "x"}')
    assert message == b'1700000000000\nn-1\nkey\n/v1/job/query\n{"job_id": "x"}\n'
    message = string_to_sign("1", "n", "k", "/v1/data/upload?a=1", form_fields=[("b", "x y"), ("a", "1")])
    assert message == b"1\nn\nk\n/v1/data/upload?a=1\n\na=1&b=x%20y"


def test_form_fields_are_sorted_and_percent_encoded_per_rfc_3986():
    assert form_line([("z", "1"), ("a", "v a/l~u.e-_"), ("m", "é&=+")]) == \
        "a=v%20a%2Fl~u.e-_&m=%C3%A9%26%3D%2B&z=1"
    assert form_line([]) == ""


def test_signed_headers_hold_an_hmac_sha1_in_base64():
    headers = signed_headers("key", SECRET, "/v1/version/get", b"{}", now_ms=1234, nonce="abc")
    expected = base64.b64encode(hmac.new(SECRET.encode(), b"1234\nabc\nkey\n/v1/version/get\n{}\n",
                                         hashlib.sha1).digest()).decode()
    assert headers == {"TIMESTAMP": "1234", "NONCE": "abc", "APP_KEY": "key", "SIGNATURE": expected}


def verifier(**kwargs) -> SignatureVerifier:
    return SignatureVerifier({"key": SECRET}, clock=lambda: NOW, **kwargs)


def verify(v: SignatureVerifier, headers: dict, path="/v1/job/query", body=b'{"a": 1}',
           content_type="application/json", fields=()) -> str:
    return v.verify(headers, path, content_type, lambda: body, lambda: list(fields))


def headers_for(path="/v1/job/query", body=b'{"a": 1}', fields=(), secret=SECRET, key="key", age_ms=0, nonce=None):
    return signed_headers(key, secret, path, body, fields, now_ms=int(NOW * 1000) - age_ms, nonce=nonce)


def refusal(v, headers, **kwargs) -> str:
    with pytest.raises(AuthenticationError) as e:
        verify(v, headers, **kwargs)
    assert e.value.retcode == RetCode.AUTHENTICATION_ERROR == 109
    return e.value.message


def test_a_good_request_passes_once_and_its_replay_is_refused():
    v = verifier()
    headers = headers_for()
    assert verify(v, headers) == "key"
    assert refusal(v, headers) == "NONCE was already used"


@pytest.mark.parametrize("change, words", [
    (dict(secret="wrong"), "signature does not match"),
    (dict(key="other"), "unknown app key 'other'"),
    (dict(age_ms=61_000), "61 s away from the server clock (at most 60 s allowed)"),
    (dict(age_ms=-61_000), "61 s away"),
])
def test_bad_requests_are_refused_with_the_reason(change, words):
    assert words in refusal(verifier(), headers_for(**change))


def test_an_altered_body_path_or_form_is_refused():
    v = verifier()
    assert "does not match" in refusal(v, headers_for(), body=b'{"a": 2}')
    assert "does not match" in refusal(v, headers_for(), path="/v1/job/stop")
    signed = headers_for(path="/up", body=b"", fields=[("a", "1")])
    assert "does not match" in refusal(v, signed, path="/up", body=b"", content_type="multipart/form-data; b=x",
                                       fields=[("a", "2")])
    assert verify(v, signed, path="/up", body=b"ignored", content_type="multipart/form-data; boundary=x",
                  fields=[("a", "1")]) == "key"


def test_the_body_counts_only_for_json_and_the_form_only_for_forms():
    v = verifier()
    # a body that is neither JSON nor a form is not signed (an empty line stands for it)
    assert verify(v, headers_for(body=b""), body=b"raw bytes", content_type="application/octet-stream") == "key"
    asked = []
    v.verify(headers_for(body=b""), "/v1/job/query", "text/plain", lambda: asked.append("body") or b"",
             lambda: asked.append("form") or [])
    assert asked == []


def test_missing_or_oversized_headers_are_named_and_nothing_is_read():
    v = verifier()
    headers = headers_for()
    del headers["NONCE"]
    assert refusal(v, headers) == "signed request without header NONCE"
    assert "longer than 256" in refusal(v, {**headers_for(), "NONCE": "n" * 300})
    assert "Unix time in milliseconds" in refusal(v, {**headers_for(), "TIMESTAMP": "yesterday"})
    read = []
    with pytest.raises(AuthenticationError):
        v.verify(headers_for(key="nobody"), "/", "application/json", lambda: read.append(1) or b"", lambda: [])
    assert read == []


def test_nonces_are_remembered_only_for_the_timestamp_window():
    clock = [NOW]
    v = SignatureVerifier({"key": SECRET}, clock=lambda: clock[0])
    for i in range(50):
        verify(v, headers_for(nonce=f"n{i}"))
    assert len(v._nonces) == 50
    clock[0] = NOW + 61  # every one of them is now stale anyway
    verify(v, signed_headers("key", SECRET, "/v1/job/query", b'{"a": 1}', now_ms=int(clock[0] * 1000), nonce="x"))
    assert len(v._nonces) == 1


def test_a_full_nonce_memory_refuses_instead_of_growing():
    v = verifier(max_nonces=3)
    for i in range(3):
        verify(v, headers_for(nonce=f"n{i}"))
    assert "more than 3 signed requests" in refusal(v, headers_for(nonce="n3"))


def test_addresses_and_networks():
    loopback = parse_networks(["127.0.0.0/8", "::1"])
    assert address_in("127.0.0.2", loopback) and address_in("::1", loopback)
    assert address_in("::ffff:127.0.0.1", loopback)  # an IPv4-mapped peer of a dual-stack socket
    assert not address_in("10.0.0.1", loopback) and not address_in("", loopback) and not address_in("x", loopback)
    assert not address_in("127.0.0.1", parse_networks([]))
    with pytest.raises(ValueError, match="'10.0.0.300'"):
        parse_networks(["10.0.0.300"])


# ---------------------------------------------------------------------------------------------- settings
def conf(tmp_path, text: str, **env):
    path = tmp_path / "conf.yaml"
    path.write_text(text)
    return load_settings(path, env={"FATE_FLOW_HOME": str(tmp_path), **env}).http_auth


def test_http_auth_defaults_to_no_clients_and_loopback_unsigned(tmp_path):
    auth = conf(tmp_path, "fateflow: {}\n")
    assert dict(auth.clients) == {} and auth.own_app_key == ""
    assert address_in("127.0.0.1", auth.unsigned_from) and not address_in("192.168.1.1", auth.unsigned_from)


def test_clients_from_both_places_and_secrets_from_the_environment(tmp_path):
    auth = conf(tmp_path, "fateflow: {http_app_key: fate, http_secret_key: abc}\n"
                          "http_auth: {clients: {ops: '${OPS_SECRET}'}, unsigned_from: [10.1.0.0/16]}\n",
                OPS_SECRET="from-env")
    assert dict(auth.clients) == {"fate": "abc", "ops": "from-env"}
    assert (auth.own_app_key, auth.own_secret_key) == ("fate", "abc")
    assert address_in("10.1.2.3", auth.unsigned_from) and not address_in("127.0.0.1", auth.unsigned_from)
    assert "abc" not in repr(auth) and "from-env" not in repr(auth)


@pytest.mark.parametrize("text, words", [
    ("fateflow: {http_app_key: fate}", "fateflow.http_secret_key is required"),
    ("http_auth: {clients: [a]}", "http_auth.clients must map app keys to secrets"),
    ("http_auth: {clients: {'a b': x}}", "app key 'a b' must be 1 to 256 printable ASCII"),
    ("http_auth: {clients: {a: 123}}", "secret of app key 'a' must be a non-empty string (quote it in YAML)"),
    ("http_auth: {clients: {a: ''}}", "secret of app key 'a' must be a non-empty string"),
    ("http_auth: {unsigned_from: [localhost]}", "http_auth.unsigned_from: 'localhost' is not an IP address or CIDR"),
    ("http_auth: {unsigned_from: {a: 1}}", "http_auth.unsigned_from must be a list"),
    ("http_auth: {clients: {a: '${NO_SUCH_SECRET_VAR}'}}", "${NO_SUCH_SECRET_VAR}, which is not set"),
])
def test_bad_http_auth_conf_names_the_key(tmp_path, text, words):
    with pytest.raises(SettingsError) as e:
        conf(tmp_path, text + "\n")
    assert words in str(e.value)


def test_an_empty_json_body_may_be_signed_as_an_empty_line_as_fate_clients_do():
    v = verifier()
    for body in (b"{}", b" [] ", b"null"):
        assert verify(v, headers_for(body=b""), body=body) == "key"
    assert "does not match" in refusal(v, headers_for(body=b""), body=b'{"a": 1}')
