//! (being filled: SQL of the demo area moves here)
