//! (being filled: SQL of the claims area moves here)
