//! (being filled: SQL of the alerts area moves here)
