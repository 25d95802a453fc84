//! (being filled: SQL of the codes area moves here)
