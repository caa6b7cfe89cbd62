"""W3C Data Integrity proofs for certificates: `proofs` adds and verifies them, one module
per cryptosuite (`eddsa_jcs`, `eddsa_rdfc`), `jsonld` canonicalises JSON-LD offline for
the RDF one, `multibase` and `xsd` hold the encodings they share."""
