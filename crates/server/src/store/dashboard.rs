//! (being filled: SQL of the dashboard area moves here)
