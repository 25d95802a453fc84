//! (being filled: SQL of the webhooks area moves here)
