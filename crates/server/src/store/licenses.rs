//! (being filled: SQL of the licenses area moves here)
