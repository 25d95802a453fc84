//! (being filled: SQL of the role_rules area moves here)
