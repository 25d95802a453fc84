//! (being filled: SQL of the health area moves here)
