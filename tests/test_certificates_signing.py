import base64
import hashlib
import json
import multiprocessing
import stat
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.certificates.signing import (
    KeyStore,
    b64url_encode,
    canonical_json,
    raw_public_key,
    seal,
    sign,
    unseal,
    verify,
)

PAYLOAD = {"serial": "CKP/2026/000123", "holder_name": "Siti Nurhaliza", "jp": 12, "score": None}


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    return KeyStore(tmp_path / "keys")


def key_files(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def test_signature_verifies_with_the_public_keys(store):
    key = store.current()
    signature = sign(PAYLOAD, key)

    assert verify(PAYLOAD, key.kid, signature, store.public_keys())
    assert "=" not in signature and len(signature) == 86  # 64 bytes, unpadded base64url


def test_signature_ignores_key_order_but_not_content(store):
    key = store.current()
    signature = sign(PAYLOAD, key)
    keys = store.public_keys()

    assert verify(dict(reversed(PAYLOAD.items())), key.kid, signature, keys)
    assert not verify({**PAYLOAD, "jp": 13}, key.kid, signature, keys)
    assert not verify({**PAYLOAD, "holder_name": "Siti Nurhaliza "}, key.kid, signature, keys)
    assert not verify({**PAYLOAD, "extra": None}, key.kid, signature, keys)


def test_tampered_signature_fails(store):
    key = store.current()
    signature = sign(PAYLOAD, key)
    flipped = ("B" if signature[10] == "A" else "A").join((signature[:10], signature[11:]))

    assert not verify(PAYLOAD, key.kid, flipped, store.public_keys())


def test_unknown_kid_fails(store):
    key = store.current()
    signature = sign(PAYLOAD, key)

    assert not verify(PAYLOAD, "0000000000000000", signature, store.public_keys())
    assert not verify(PAYLOAD, key.kid, signature, {})


@pytest.mark.parametrize(
    "signature",
    ["", "!!!not base64!!!", "abc", None, 42, b"bytes"],
)
def test_malformed_signature_is_false_not_an_error(store, signature):
    key = store.current()
    assert verify(PAYLOAD, key.kid, signature, store.public_keys()) is False


def test_non_canonical_spellings_of_a_valid_signature_are_refused(store):
    key = store.current()
    signature = sign(PAYLOAD, key)
    keys = store.public_keys()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    # 86 characters carry 516 bits for 512: the last character's low 4 bits are zero,
    # so bumping it spells the same bytes in a form a lenient decoder would accept.
    last = alphabet.index(signature[-1])
    assert last % 16 == 0
    same_bytes = signature[:-1] + alphabet[last + 1]
    assert base64.urlsafe_b64decode(same_bytes + "==") == base64.urlsafe_b64decode(signature + "==")

    assert not verify(PAYLOAD, key.kid, same_bytes, keys)
    assert not verify(PAYLOAD, key.kid, signature + "==", keys)


@pytest.mark.parametrize(
    "payload",
    [{"score": float("nan")}, {"n": 2**60}, {1: "non-string key"}, {"x": object()}, "text"],
)
def test_unsignable_payload_is_false_not_an_error(store, payload):
    key = store.current()
    signature = sign(PAYLOAD, key)
    assert verify(payload, key.kid, signature, store.public_keys()) is False


def test_canonical_json_is_rfc8785():
    # RFC 8785 section 3.2.3: keys sort by UTF-16 code units, so U+1F600 (a surrogate
    # pair starting 0xD83D) comes before U+FB33 — plain code-point sorting gets this wrong.
    keys = ["\u20ac", "\r", "\ufb33", "1", "\U0001f600", "\u0080", "\u00f6"]
    ordered = json.loads(canonical_json({key: 0 for key in keys}))
    assert list(ordered) == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]

    assert canonical_json({"b": [True, None, 1.0], "a": "é\n"}) == (
        b'{"a":"\xc3\xa9\\n","b":[true,null,1]}'
    )


def test_rotation_keeps_old_certificates_verifying(store):
    old = store.current()
    old_signature = sign(PAYLOAD, old)

    new_kid = store.rotate()

    assert new_kid != old.kid
    assert store.current().kid == new_kid
    assert set(store.public_keys()) == {old.kid, new_kid}
    assert verify(PAYLOAD, old.kid, old_signature, store.public_keys())
    assert verify(PAYLOAD, new_kid, sign(PAYLOAD, store.current()), store.public_keys())


def test_keys_persist_across_store_instances(tmp_path):
    first = KeyStore(tmp_path / "keys")
    kid = first.current().kid
    first.rotate()
    rotated = first.current().kid

    again = KeyStore(tmp_path / "keys")
    assert again.current().kid == rotated
    assert set(again.public_keys()) == {kid, rotated}


def test_rotation_in_one_process_is_seen_by_another(tmp_path):
    worker_a = KeyStore(tmp_path / "keys")
    worker_b = KeyStore(tmp_path / "keys")
    assert worker_a.current().kid == worker_b.current().kid

    new_kid = worker_a.rotate()

    assert worker_b.current().kid == new_kid


def test_kid_is_sha256_prefix_of_raw_public_key(store):
    key = store.current()
    raw = raw_public_key(key.public_key)
    assert len(raw) == 32
    assert key.kid == hashlib.sha256(raw).hexdigest()[:16]


def test_directory_and_key_files_are_private(tmp_path):
    directory = tmp_path / "deep" / "keys"
    store = KeyStore(directory)
    store.current()
    store.rotate()

    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    files = list(directory.iterdir())
    assert len(files) == 2
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in files)


def test_existing_open_directory_is_closed(tmp_path):
    directory = tmp_path / "keys"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)

    KeyStore(directory).current()

    assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_loser_of_a_creation_race_adopts_the_winners_key(tmp_path, monkeypatch):
    loser = KeyStore(tmp_path / "keys")
    winner = KeyStore(tmp_path / "keys")
    # The loser listed the directory before the winner published its key.
    monkeypatch.setattr(loser, "_key_files", lambda: [])
    winning_kid = winner.current().kid

    assert loser.current().kid == winning_kid
    assert key_files(tmp_path / "keys") == ["ed25519-000001.pem"]


def _first_key_in_child(directory: str, barrier, results) -> None:
    barrier.wait()
    results.put(KeyStore(Path(directory)).current().kid)


def test_processes_starting_at_once_end_with_one_key(tmp_path):
    directory = tmp_path / "keys"
    # spawn, not fork: a clean interpreter per worker, like real server processes.
    context = multiprocessing.get_context("spawn")
    workers = 4
    barrier = context.Barrier(workers)
    results = context.Queue()
    processes = [
        context.Process(target=_first_key_in_child, args=(str(directory), barrier, results))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    kids = [results.get(timeout=30) for _ in processes]
    for process in processes:
        process.join(timeout=30)

    assert all(process.exitcode == 0 for process in processes)
    assert len(set(kids)) == 1
    assert key_files(directory) == ["ed25519-000001.pem"]  # no second key, no temp files
    assert KeyStore(directory).current().kid == kids[0]


def test_threads_starting_at_once_end_with_one_key(tmp_path):
    directory = tmp_path / "keys"
    workers = 8
    barrier = threading.Barrier(workers)
    kids: list[str] = []

    def start() -> None:
        barrier.wait()
        kids.append(KeyStore(directory).current().kid)

    threads = [threading.Thread(target=start) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(kids) == workers and len(set(kids)) == 1
    assert key_files(directory) == ["ed25519-000001.pem"]


def test_jwks_lists_every_key_as_okp_ed25519(store):
    first = store.current()
    second_kid = store.rotate()

    jwks = store.jwks()

    assert [jwk["kid"] for jwk in jwks["keys"]] == [first.kid, second_kid]
    for jwk in jwks["keys"]:
        assert set(jwk) == {"kty", "crv", "x", "kid", "use", "alg"}
        assert (jwk["kty"], jwk["crv"], jwk["use"], jwk["alg"]) == (
            "OKP",
            "Ed25519",
            "sig",
            "EdDSA",
        )
        assert "=" not in jwk["x"]
    # A verifier that only has the JWKS can check a signature.
    jwk = jwks["keys"][0]
    public_key = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(jwk["x"] + "="))
    assert b64url_encode(raw_public_key(public_key)) == jwk["x"]
    assert verify(PAYLOAD, jwk["kid"], sign(PAYLOAD, first), {jwk["kid"]: public_key})


def test_jwks_is_json_serialisable(store):
    store.current()
    assert json.loads(json.dumps(store.jwks())) == store.jwks()


def test_seal_and_unseal_round_trip(store):
    key = store.current()
    sealed = seal(PAYLOAD, key)

    document = json.loads(sealed)
    assert set(document) == {"payload", "kid", "signature"}
    assert document["kid"] == key.kid
    assert unseal(sealed, store.public_keys()) == PAYLOAD


@pytest.mark.parametrize(
    "mangle",
    [
        lambda doc: {**doc, "payload": {**doc["payload"], "jp": 40}},
        lambda doc: {**doc, "kid": "ffffffffffffffff"},
        lambda doc: {**doc, "signature": doc["signature"][::-1]},
        lambda doc: {key: value for key, value in doc.items() if key != "signature"},
        lambda doc: {**doc, "payload": "not an object"},
        lambda doc: [doc],
    ],
)
def test_unseal_refuses_tampered_documents(store, mangle):
    sealed = seal(PAYLOAD, store.current())
    tampered = json.dumps(mangle(json.loads(sealed))).encode()
    assert unseal(tampered, store.public_keys()) is None


@pytest.mark.parametrize("data", [b"", b"not json", b"\xff\xfe", b"[" * 100_000])
def test_unseal_refuses_garbage(store, data):
    store.current()
    assert unseal(data, store.public_keys()) is None
