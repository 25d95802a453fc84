//! (being filled: SQL of the rosters area moves here)
