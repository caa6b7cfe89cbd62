"""W3C Data Integrity proofs for certificates: `proofs` adds and verifies them, one module
per cryptosuite (`eddsa_jcs`), `multibase` and `xsd` for the encodings they share."""
