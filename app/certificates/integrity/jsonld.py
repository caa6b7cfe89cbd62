"""RDF Dataset Canonicalization (RDFC-1.0) of JSON-LD documents, offline — no database.

What `eddsa-rdfc-2022` signs is the canonical N-Quads of a document. Three rules keep that
safe here, each one a place where a JSON-LD processor is lenient by default:

- **No network.** Contexts come only from `LocalContexts` (the files in `contexts/`, by
  URL); any other URL is refused, so a signature can never depend on what a remote server
  answers today. PyLD's global default loader and its global context cache are never used.
- **Safe mode.** A property or type the contexts do not define would silently vanish
  from the RDF — and so from what the signature covers. Such a document is refused
  (like jsonld.js's `safe: true`), as is a relative `@id` or `@type`.
- **Bounded work.** A crafted document with many look-alike blank nodes makes RDFC-1.0
  exponential ("dataset poisoning", RDFC-1.0 §4.3 and its security section). The
  N-degree hashing step gets a budget proportional to the number of blank nodes.

PyLD implements URDNA2015, which RDFC-1.0 equals except for how a few control characters
are written in N-Quads (PyLD leaves BS, FF, U+0000–U+001F and DEL unescaped where
RDFC-1.0 wants ECHAR or UCHAR). A document with such a character in a literal or IRI is
refused rather than signed with a hash no other implementation would reproduce.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cachetools import LRUCache
from pyld.canon import URDNA2015
from pyld.context_resolver import ContextResolver
from pyld.jsonld import JsonLdError, JsonLdProcessor

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"

_CONTEXT_DIR = Path(__file__).parent / "contexts"
SHIPPED_FILES = {
    VC_CONTEXT: "credentials-v2.jsonld",
    OB_CONTEXT: "ob-v3p0-context-3.0.3.json",
}

# N-degree hash calls allowed per blank node. Typical documents need none at all (every
# blank node has a distinct first-degree hash); "more than a couple per blank node would
# be unusual" (RDFC-1.0 §4.4).
_N_DEGREE_CALLS_PER_BLANK_NODE = 4
_MIN_N_DEGREE_CALLS = 32

# Characters PyLD writes raw in N-Quads literals although RDFC-1.0 escapes them.
_NOT_CANONICAL_IN_PYLD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
_NOT_IN_IRI = re.compile('[\x00-\x20<>"{}|^`\\\\\x7f]')
_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


class CanonicalizationError(ValueError):
    """The document cannot be canonicalised safely (unknown context, dropped term, …)."""


class LocalContexts:
    """A JSON-LD document loader serving only the given documents, by exact URL."""

    def __init__(self, documents: Mapping[str, Any]) -> None:
        self.documents = dict(documents)
        # Resolved contexts are cached per loader, never in PyLD's process-wide cache
        # (which any other PyLD user in the process could fill with other documents).
        self._cache: LRUCache = LRUCache(maxsize=64)
        self._lock = threading.Lock()

    @classmethod
    def shipped(cls) -> LocalContexts:
        return cls(
            {
                url: json.loads((_CONTEXT_DIR / name).read_text(encoding="utf-8"))
                for url, name in SHIPPED_FILES.items()
            }
        )

    def with_documents(self, extra: Mapping[str, Any]) -> LocalContexts:
        return LocalContexts({**self.documents, **extra})

    def __call__(self, url: str, options: Any = None) -> dict[str, Any]:
        if url not in self.documents:
            raise JsonLdError(
                "context is not shipped with Cakap; it is never fetched",
                "jsonld.LoadDocumentError",
                {"url": url},
                code="loading document failed",
            )
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            # A copy: the processor must never be able to alter the shipped context.
            "document": copy.deepcopy(self.documents[url]),
        }

    def options(self) -> dict[str, Any]:
        return {
            "documentLoader": self,
            "contextResolver": ContextResolver(self._cache, self),
            "base": None,
            "processingMode": "json-ld-1.1",
        }


SHIPPED = LocalContexts.shipped()


def canonicalize(document: Any, *, contexts: LocalContexts = SHIPPED) -> str:
    """The RDFC-1.0 serialized canonical form (N-Quads) of a JSON-LD document."""
    if not isinstance(document, dict):
        raise CanonicalizationError("a JSON-LD document must be an object")
    dropped: list[Any] = []
    processor = JsonLdProcessor(on_property_dropped=dropped.append)
    # The resolver's cache is shared by the threads of a worker; cachetools is not
    # thread-safe. Canonicalising one certificate takes milliseconds.
    with contexts._lock:
        try:
            expanded = processor.expand(document, contexts.options())
            if dropped:
                raise CanonicalizationError(f"terms not defined by the contexts: {dropped}")
            _check_absolute(expanded)
            dataset = processor.to_rdf(expanded, contexts.options())
        except CanonicalizationError:
            raise
        except JsonLdError as exc:
            raise CanonicalizationError(_reason(exc)) from exc
        except RecursionError as exc:
            raise CanonicalizationError("document nested too deeply") from exc
        except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
            # PyLD lets a few of these through on malformed input (an invalid base or
            # relative IRI in @context, odd value shapes): not a document we can sign.
            raise CanonicalizationError(f"not valid JSON-LD: {exc}") from exc
    _check_representable(dataset)
    try:
        return _BoundedURDNA2015(_blank_nodes(dataset)).main(
            dataset, {"format": "application/n-quads"}
        )
    except RecursionError as exc:
        raise CanonicalizationError("document nested too deeply") from exc


def _reason(exc: JsonLdError) -> str:
    causes = []
    error: BaseException | None = exc
    while error is not None:
        causes.append(str(getattr(error, "args", [error])[0]))
        error = error.__cause__
    return "; ".join(causes)


def _check_absolute(expanded: Any) -> None:
    """Safe mode for identifiers: a relative @id or @type would be dropped from the RDF."""
    if isinstance(expanded, list):
        for item in expanded:
            _check_absolute(item)
        return
    if not isinstance(expanded, dict):
        return
    if "@value" in expanded:
        value_type = expanded.get("@type")
        if isinstance(value_type, str) and value_type != "@json" and not _is_iri(value_type):
            raise CanonicalizationError(f"relative datatype {value_type!r}")
        return
    node_id = expanded.get("@id")
    if node_id is not None and not (_is_iri(node_id) or str(node_id).startswith("_:")):
        raise CanonicalizationError(f"relative @id {node_id!r}")
    for node_type in expanded.get("@type", []):
        if not (_is_iri(node_type) or str(node_type).startswith("_:")):
            raise CanonicalizationError(f"type not defined by the contexts: {node_type!r}")
    for key, value in expanded.items():
        if key not in ("@id", "@type"):
            _check_absolute(value)


def _is_iri(value: Any) -> bool:
    return isinstance(value, str) and _ABSOLUTE_IRI.match(value) is not None


def _check_representable(dataset: dict[str, list[dict[str, Any]]]) -> None:
    for triples in dataset.values():
        for triple in triples:
            for term in triple.values():
                value = term.get("value", "")
                if term.get("type") == "literal":
                    if _NOT_CANONICAL_IN_PYLD.search(value):
                        raise CanonicalizationError("control character in a literal")
                    datatype = term.get("datatype", "")
                    if _NOT_IN_IRI.search(datatype):
                        raise CanonicalizationError("invalid datatype IRI")
                elif term.get("type") == "IRI" and _NOT_IN_IRI.search(value):
                    raise CanonicalizationError(f"invalid IRI {value!r}")


def _blank_nodes(dataset: dict[str, list[dict[str, Any]]]) -> int:
    labels = {name for name in dataset if name.startswith("_:")}
    for triples in dataset.values():
        for triple in triples:
            labels.update(
                term["value"] for term in triple.values() if term.get("type") == "blank node"
            )
    return len(labels)


class _BoundedURDNA2015(URDNA2015):
    """PyLD's URDNA2015 with a budget on Hash N-Degree Quads (dataset poisoning guard)."""

    def __init__(self, blank_nodes: int) -> None:
        super().__init__()
        self._budget = max(_MIN_N_DEGREE_CALLS, _N_DEGREE_CALLS_PER_BLANK_NODE * blank_nodes)

    def hash_n_degree_quads(self, id_, issuer):  # noqa: ANN001 — PyLD's signature
        self._budget -= 1
        if self._budget < 0:
            raise CanonicalizationError("too much canonicalisation work (dataset poisoning?)")
        return super().hash_n_degree_quads(id_, issuer)
