//! Nothing: the checks are in tests/effects.rs.
