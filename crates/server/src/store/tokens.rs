//! (being filled: SQL of the tokens area moves here)
