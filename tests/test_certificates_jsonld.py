"""JSON-LD canonicalisation for eddsa-rdfc-2022: shipped contexts only, never the network,
safe mode, bounded work, and no N-Quads RDFC-1.0 would write differently."""

import hashlib
import json
import socket
import time

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from app.certificates.integrity import jsonld
from app.certificates.integrity.jsonld import (
    OB_CONTEXT,
    SHIPPED,
    SHIPPED_FILES,
    VC_CONTEXT,
    CanonicalizationError,
    canonicalize,
)
from tests.test_certificates_badges import credential_for

# SHA-256 of the RFC 8785 form of each shipped context (contexts/README.md says where each
# comes from). A changed file changes what every rdfc proof means: never edit one.
PINNED = {
    VC_CONTEXT: "b463c8d6a066214123ddd9827b135e1b50e1fc73322cc52a9b12a4f1fc7d86cf",
    OB_CONTEXT: "c5e555a91a5cf48e32ae0a05674c61ddd5c053b680b5643b2f57f9965e386d99",
}


def test_shipped_contexts_are_the_pinned_ones():
    assert set(SHIPPED_FILES) == set(PINNED)
    for url, digest in PINNED.items():
        assert hashlib.sha256(rfc8785.dumps(SHIPPED.documents[url])).hexdigest() == digest, url


def test_the_ob_context_is_the_one_in_shared_standards():
    from tests.test_certificates_badges import STANDARDS

    shipped = jsonld._CONTEXT_DIR / SHIPPED_FILES[OB_CONTEXT]
    assert shipped.read_bytes() == (STANDARDS / "context-3.0.3.json").read_bytes()


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_a_credential_canonicalises_without_the_network(no_network):
    nquads = canonicalize(credential_for())
    assert nquads.endswith(" .\n")
    assert "<https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential>" in nquads


def test_unknown_contexts_are_refused_not_fetched(no_network, monkeypatch):
    from pyld import jsonld as pyld

    def never(url, options=None):
        raise AssertionError(f"PyLD's default loader was asked for {url}")

    # Even with a default loader that could fetch, Cakap's own loader answers.
    monkeypatch.setattr(pyld, "_default_document_loader", never)
    for context in ["https://www.w3.org/ns/credentials/examples/v2", "http://127.0.0.1:9/x"]:
        document = {**credential_for(), "@context": [VC_CONTEXT, context]}
        with pytest.raises(CanonicalizationError, match="never fetched"):
            canonicalize(document)


def test_the_loader_hands_out_copies():
    loaded = SHIPPED(VC_CONTEXT)["document"]
    loaded["@context"]["VerifiableCredential"] = "https://evil.example/#VC"
    assert SHIPPED(VC_CONTEXT)["document"] != loaded


@pytest.mark.parametrize(
    "change",
    [
        {"undefinedTerm": "x"},
        {"type": ["VerifiableCredential", "UndefinedType"]},
        {"id": "relative/id"},
        {"credentialSubject": {"type": ["AchievementSubject"], "undefinedTerm": 1}},
    ],
)
def test_safe_mode(change):
    with pytest.raises(CanonicalizationError):
        canonicalize({**credential_for(), **change})


@pytest.mark.parametrize("char", ["\x00", "\x07", "\b", "\x0b", "\f", "\x1f", "\x7f"])
def test_characters_pyld_would_not_escape_as_rdfc_1_0_does_are_refused(char):
    credential = credential_for()
    credential["name"] = f"Sertifikat{char}"
    with pytest.raises(CanonicalizationError, match="control character"):
        canonicalize(credential)


def test_tab_newline_and_quotes_are_written_as_rdfc_1_0_says():
    credential = credential_for()
    credential["name"] = 'a\tb\nc\rd"e\\f'
    assert '"a\\tb\\nc\\rd\\"e\\\\f"' in canonicalize(credential)


def test_a_poisoned_dataset_is_aborted_quickly():
    """RDFC-1.0 §"Dataset Poisoning": many blank nodes that look alike make the N-degree
    hashing explode; the budget stops it instead of hanging a worker."""
    nodes = [{"@id": f"_:n{i}"} for i in range(12)]
    for i, node in enumerate(nodes):
        node["https://schema.org/knows"] = [{"@id": f"_:n{j}"} for j in range(12) if j != i]
    started = time.process_time()  # CPU, not wall time: the machine may be busy
    with pytest.raises(CanonicalizationError, match="poisoning"):
        canonicalize({"@context": VC_CONTEXT, "@graph": nodes})
    assert time.process_time() - started < 10


def test_blank_nodes_that_need_n_degree_hashing_still_canonicalise():
    # Two look-alike blank nodes that differ only through what they point at.
    document = {
        "@context": {"k": "https://schema.org/knows", "n": "https://schema.org/name"},
        "@graph": [
            {"@id": "_:a", "k": {"@id": "_:x"}},
            {"@id": "_:b", "k": {"@id": "_:y"}},
            {"@id": "_:x", "n": "x"},
            {"@id": "_:y", "n": "y"},
        ],
    }
    contexts = SHIPPED.with_documents({})
    assert canonicalize(document, contexts=contexts).count("_:c14n") == 6


def test_not_an_object_is_refused():
    with pytest.raises(CanonicalizationError):
        canonicalize(json.loads("[1, 2]"))


@pytest.mark.parametrize(
    "context", ["", "relative/context", ["https://www.w3.org/ns/credentials/v2", "@id"]]
)
def test_malformed_contexts_are_refused_not_errors(context):
    # PyLD raised a bare ValueError for these (an invalid base or relative context IRI),
    # which escaped verify_proof as an exception instead of False.
    from app.certificates.integrity.proofs import verify_proof
    from tests.test_certificates_vc_di_eddsa import rdfc_signed

    with pytest.raises(CanonicalizationError):
        canonicalize({**credential_for(), "@context": context})
    credential = {**rdfc_signed(), "@context": context}
    assert verify_proof(credential, {}) is False


_keys = st.sampled_from(
    ["@context", "@id", "@type", "@value", "@graph", "@list", "@set", "@language",
     "@reverse", "@index", "@nest", "@included", "@json", "type", "id", "name", "x"]
)  # fmt: skip
_leaf = (
    st.none()
    | st.booleans()
    | st.integers(-10, 10)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([VC_CONTEXT, "@id", "@vocab", "_:b0", "http://x/y", "", "Foo", "@json"])
    | st.text(max_size=5)
)
_documents = st.dictionaries(
    _keys,
    st.recursive(
        _leaf,
        lambda c: st.lists(c, max_size=3) | st.dictionaries(_keys, c, max_size=4),
        max_leaves=15,
    ),
    max_size=5,
)


@given(_documents)
def test_any_json_canonicalises_or_is_refused(document):
    try:
        canonicalize(document)
    except CanonicalizationError:
        pass
