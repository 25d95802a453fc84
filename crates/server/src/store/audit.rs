//! (being filled: SQL of the audit area moves here)
