//! (being filled: SQL of the orgs area moves here)
