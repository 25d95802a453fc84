//! (being filled: SQL of the idempotency area moves here)
