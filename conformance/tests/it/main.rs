//! Integration tests of the conformance harness.
