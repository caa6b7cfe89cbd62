import copy
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import base58
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jsonschema import Draft201909Validator

from app.certificates.badges import (
    did_document,
    did_web,
    hash_identity,
    identity_salt,
    openbadge_credential,
)
from app.certificates.integrity.proofs import add_proof, verify_proof
from app.certificates.signing import SigningKey, key_id, raw_public_key
from tests.test_certificates_payload import fixed_key, make_certificate

# shared/ sits beside the repository checkout (locally and in CI).
STANDARDS = Path(__file__).resolve().parents[2] / "shared" / "standards" / "openbadges-3.0"
SCHEMA_FILE = STANDARDS / "achievementcredential.schema.json"
BASE_URL = "https://cakap.bandarlampungkota.go.id"
ISSUER_DID = "did:web:cakap.bandarlampungkota.go.id"
CREATED = datetime(2026, 11, 23, 9, 0, 0, tzinfo=UTC)


def credential_for(credential_status: dict | None = None, **changes) -> dict:
    data = make_certificate(**changes)
    return openbadge_credential(
        data,
        base_url=BASE_URL,
        issuer_did=ISSUER_DID,
        achievement_url=f"{BASE_URL}/kursus/{data.course_slug}",
        credential_url=f"{BASE_URL}/verifikasi/{data.code}/openbadge.json",
        credential_status=credential_status,
    )


def method_of(key: SigningKey) -> str:
    return f"{ISSUER_DID}#{key.kid}"


def signed(credential: dict | None = None, key: SigningKey | None = None) -> dict:
    key = key or fixed_key()
    return add_proof(
        credential or credential_for(), key, verification_method=method_of(key), created=CREATED
    )


def keys_by_method(key: SigningKey | None = None) -> dict[str, Ed25519PublicKey]:
    key = key or fixed_key()
    return {method_of(key): key.public_key}


@pytest.fixture(scope="module")
def validator() -> Draft201909Validator:
    # Never skipped: CI and every checkout have shared/ beside the repository.
    assert SCHEMA_FILE.exists(), f"Open Badges 3.0 schema missing at {SCHEMA_FILE}"
    schema = json.loads(SCHEMA_FILE.read_text())
    return Draft201909Validator(schema, format_checker=Draft201909Validator.FORMAT_CHECKER)


# --- the credential ------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [{}, {"score": None}, {"holder_nip": None, "jp_category": None}],
)
def test_signed_credential_matches_the_open_badges_schema(validator, changes):
    credential = signed(credential_for(**changes))
    errors = [f"{list(error.path)}: {error.message}" for error in validator.iter_errors(credential)]
    assert errors == []


def test_credential_status_is_in_the_schema_and_under_the_proof(validator):
    from app.certificates.status_list import entry

    status = entry(BASE_URL, 42)
    credential = signed(credential_for(credential_status=status))
    assert credential["credentialStatus"] == status
    assert [error.message for error in validator.iter_errors(credential)] == []
    assert verify_proof(credential, keys_by_method())
    # pointing the credential at another (unrevoked) bit breaks the proof
    credential["credentialStatus"]["statusListIndex"] = "43"
    assert not verify_proof(credential, keys_by_method())
    # and the schema does check credentialStatus (it needs at least id and type)
    del credential["credentialStatus"]["type"]
    assert list(validator.iter_errors(credential))


def test_schema_check_is_not_vacuous(validator):
    credential = signed()
    del credential["credentialSubject"]["achievement"]["criteria"]
    credential["type"] = ["VerifiableCredential"]
    assert len(list(validator.iter_errors(credential))) >= 2


def test_credential_shape():
    credential = credential_for()
    data = make_certificate()

    assert credential["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"]["id"] == ISSUER_DID
    assert credential["issuer"]["name"] == f"{data.issuer_office}, {data.issuer_city}"
    assert credential["validFrom"] == "2026-11-23T08:15:00Z"
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["name"] == data.course_title
    assert achievement["achievementType"] == "Course"
    assert "12 JP" in achievement["criteria"]["narrative"]
    result = credential["credentialSubject"]["result"]
    assert result[0]["value"] == "87.50"
    assert result[0]["resultDescription"] == achievement["resultDescription"][0]["id"]


def test_no_score_means_no_result():
    credential = credential_for(score=None)
    assert "result" not in credential["credentialSubject"]
    assert "resultDescription" not in credential["credentialSubject"]["achievement"]


def test_nip_appears_only_as_a_salted_hash():
    data = make_certificate()
    credential = signed()

    assert data.holder_nip not in json.dumps(credential)
    hashed = [i for i in credential["credentialSubject"]["identifier"] if i["hashed"]]
    assert len(hashed) == 1
    salt = hashed[0]["salt"]
    assert hashed[0]["identityHash"] == (
        "sha256$" + hashlib.sha256((data.holder_nip + salt).encode()).hexdigest()
    )
    # A relying party who knows the NIP can check it; a wrong NIP does not match.
    assert hash_identity(data.holder_nip, salt) == hashed[0]["identityHash"]
    assert hash_identity("199001012015012002", salt) != hashed[0]["identityHash"]


def test_salt_differs_per_certificate_and_is_stable():
    assert identity_salt("7K3MQ9XW2HDR5TPV") == identity_salt("7K3MQ9XW2HDR5TPV")
    assert identity_salt("7K3MQ9XW2HDR5TPV") != identity_salt("7K3MQ9XW2HDR5TPW")
    assert credential_for() == credential_for()


def test_no_nip_means_only_the_name_identifier():
    identifiers = credential_for(holder_nip=None)["credentialSubject"]["identifier"]
    assert identifiers == [
        {
            "type": "IdentityObject",
            "identityType": "name",
            "hashed": False,
            "identityHash": "Siti Nurhaliza",
        }
    ]


# --- proofs --------------------------------------------------------------------------


def test_proof_verifies():
    credential = signed()
    proof = credential["proof"][0]

    assert verify_proof(credential, keys_by_method())
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-jcs-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["created"] == "2026-11-23T09:00:00Z"
    assert proof["@context"] == credential["@context"]
    assert proof["proofValue"].startswith("z")


def test_add_proof_leaves_its_input_alone():
    credential = credential_for()
    before = copy.deepcopy(credential)
    signed(credential)
    assert credential == before


def test_proof_survives_a_json_round_trip():
    credential = json.loads(json.dumps(signed(), ensure_ascii=False, indent=2))
    assert verify_proof(credential, keys_by_method())


def _leaf_paths(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaf_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaf_paths(item, (*path, index))
    else:
        yield path


def _tampered(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    return value + "x"


def _set(document, path, value):
    for step in path[:-1]:
        document = document[step]
    document[path[-1]] = value


def test_tampering_any_field_breaks_the_proof():
    credential = signed()
    keys = keys_by_method()
    paths = [path for path in _leaf_paths(credential) if path[-1] != "proofValue"]
    assert len(paths) > 40

    for path in paths:
        tampered = copy.deepcopy(credential)
        leaf = tampered
        for step in path:
            leaf = leaf[step]
        _set(tampered, path, _tampered(leaf))
        assert not verify_proof(tampered, keys), path


@pytest.mark.parametrize(
    "mangle",
    [
        lambda c: c.pop("credentialSubject"),
        lambda c: c.update(awardedDate="2026-11-23T08:15:00Z"),
        lambda c: c["credentialSubject"]["identifier"].pop(),
        lambda c: c["credentialSubject"]["achievement"].update(name="Pelatihan Lain"),
        lambda c: c["@context"].reverse(),
        lambda c: c["@context"].pop(),
        lambda c: c["proof"][0].update({"@context": ["https://example.org/other/v1"]}),
        lambda c: c.update(proof=[]),
        lambda c: c.pop("proof"),
    ],
)
def test_structural_tampering_breaks_the_proof(mangle):
    credential = signed()
    mangle(credential)
    assert not verify_proof(credential, keys_by_method())


@pytest.mark.parametrize(
    "proof_value",
    ["", "z", "zzzz", "not multibase", "u" + "A" * 86, "z" + "0OIl" * 10, 12345, None],
)
def test_malformed_proof_value_is_false_not_an_error(proof_value):
    credential = signed()
    credential["proof"][0]["proofValue"] = proof_value
    assert verify_proof(credential, keys_by_method()) is False


@pytest.mark.parametrize(
    "credential",
    [None, [], "text", {}, {"proof": "x"}, {"proof": [None]}, {"proof": {"type": 1}}],
)
def test_garbage_is_false_not_an_error(credential):
    assert verify_proof(credential, keys_by_method()) is False


def test_unrepresentable_values_are_false_not_an_error():
    credential = signed()
    credential["credentialSubject"]["creditsEarned"] = float("nan")
    assert verify_proof(credential, keys_by_method()) is False


def test_unknown_verification_method_fails():
    credential = signed()
    other = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    assert not verify_proof(credential, {})
    assert not verify_proof(credential, {method_of(fixed_key()): other.public_key()})


def test_proof_set_needs_every_proof_to_verify():
    first = fixed_key()
    second_private = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    second = SigningKey(kid=key_id(second_private.public_key()), private_key=second_private)

    credential = signed(signed(key=first), key=second)

    assert len(credential["proof"]) == 2
    assert verify_proof(credential, {**keys_by_method(first), **keys_by_method(second)})
    assert not verify_proof(credential, keys_by_method(first))


# --- did:web -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("site_url", "did"),
    [
        ("https://cakap.kota.go.id", "did:web:cakap.kota.go.id"),
        ("https://cakap.kota.go.id/", "did:web:cakap.kota.go.id"),
        ("https://Cakap.Kota.go.id", "did:web:cakap.kota.go.id"),
        ("https://localhost:8443", "did:web:localhost%3A8443"),
        ("https://kota.go.id/cakap/lms", "did:web:kota.go.id:cakap:lms"),
    ],
)
def test_did_web(site_url, did):
    # Not named base_url: pytest-base-url owns a fixture of that name.
    assert did_web(site_url) == did


def test_did_web_needs_an_absolute_url():
    with pytest.raises(ValueError):
        did_web("/relative/path")


def _decode_multikey(value: str) -> bytes:
    assert value.startswith("z")
    decoded = base58.b58decode(value[1:])
    assert decoded[:2] == b"\xed\x01"
    return decoded[2:]


def test_did_document_lists_every_key_as_a_multikey_assertion_method():
    first = fixed_key()
    second = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33))).public_key()
    second_kid = key_id(second)

    document = did_document(BASE_URL, {first.kid: first.public_key, second_kid: second})

    assert document["@context"] == [
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1",
    ]
    assert document["id"] == ISSUER_DID
    methods = document["verificationMethod"]
    assert [method["id"] for method in methods] == [method_of(first), f"{ISSUER_DID}#{second_kid}"]
    assert document["assertionMethod"] == [method["id"] for method in methods]
    for method in methods:
        assert method["type"] == "Multikey"
        assert method["controller"] == ISSUER_DID
        assert method["publicKeyMultibase"].startswith("z6Mk")  # the usual Ed25519 prefix
    assert _decode_multikey(methods[0]["publicKeyMultibase"]) == raw_public_key(first.public_key)


def test_credential_verifies_with_keys_taken_from_the_did_document():
    key = fixed_key()
    document = did_document(BASE_URL, {key.kid: key.public_key})
    resolved = {
        method["id"]: Ed25519PublicKey.from_public_bytes(
            _decode_multikey(method["publicKeyMultibase"])
        )
        for method in document["verificationMethod"]
    }
    assert verify_proof(signed(), resolved)


# --- W3C test vector -----------------------------------------------------------------

# From W3C "Data Integrity EdDSA Cryptosuites v1.0", eddsa-jcs-2022 test vectors
# (github.com/w3c/vc-di-eddsa, TestVectors/keyPair.json and eddsa-jcs-2022/signedJCS.json).
W3C_SECRET_KEY = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
W3C_PUBLIC_KEY = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
W3C_METHOD = f"https://vc.example/issuers/5678#{W3C_PUBLIC_KEY}"
W3C_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://www.w3.org/ns/credentials/examples/v2",
]
W3C_UNSECURED = {
    "@context": W3C_CONTEXT,
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
W3C_PROOF = {
    "type": "DataIntegrityProof",
    "cryptosuite": "eddsa-jcs-2022",
    "created": "2023-02-24T23:36:38Z",
    "verificationMethod": W3C_METHOD,
    "proofPurpose": "assertionMethod",
    "@context": W3C_CONTEXT,
    "proofValue": "z63t83Y53KfzJ5ZosfKTnqfMcKB2dmTrfjSaQjeNNjAD5srBowQfmWqeRb8rRjmeEuCBEsddF9LsVogtuTsijJKh4",
}


def w3c_key() -> SigningKey:
    secret = base58.b58decode(W3C_SECRET_KEY[1:])
    assert secret[:2] == b"\x80\x26"  # multicodec ed25519-priv
    private_key = Ed25519PrivateKey.from_private_bytes(secret[2:])
    return SigningKey(kid=key_id(private_key.public_key()), private_key=private_key)


def test_w3c_vector_key_pair_matches():
    from app.certificates.badges import multikey

    assert multikey(w3c_key().public_key) == W3C_PUBLIC_KEY


def test_add_proof_reproduces_the_w3c_test_vector():
    created = datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)
    secured = add_proof(W3C_UNSECURED, w3c_key(), verification_method=W3C_METHOD, created=created)
    assert secured["proof"] == [W3C_PROOF]


def test_verify_proof_accepts_the_w3c_test_vector():
    keys = {W3C_METHOD: w3c_key().public_key}
    vector = {**W3C_UNSECURED, "proof": W3C_PROOF}  # a single proof object, as published

    assert verify_proof(vector, keys)
    assert not verify_proof({**vector, "validFrom": "2023-01-02T00:00:00Z"}, keys)
