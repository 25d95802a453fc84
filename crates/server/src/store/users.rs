//! (being filled: SQL of the users area moves here)
