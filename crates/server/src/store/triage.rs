//! (being filled: SQL of the triage area moves here)
