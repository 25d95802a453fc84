//! (being filled: SQL of the requests area moves here)
