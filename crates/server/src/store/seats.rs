//! (being filled: SQL of the seats area moves here)
