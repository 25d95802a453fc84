//! Codes for the demo, drawn from the seeded generator so the same seed
//! gives the same codes, and kept unique across everything loaded (the
//! `codes` table and `seats.redemption_code` both demand it). Anyone with
//! the seed can recompute them: demo codes are for demos, never for
//! licenses people pay for.

use std::collections::HashSet;

use rand::Rng;
use seatdesk_core::codes::{CodeShape, generate};

#[derive(Default)]
pub struct CodeSet {
    seen: HashSet<String>,
}

impl CodeSet {
    /// A code of `shape` not handed out before by this set.
    pub fn fresh<R: Rng + ?Sized>(&mut self, rng: &mut R, shape: CodeShape) -> String {
        loop {
            let code = generate(rng, shape);
            if self.seen.insert(code.clone()) {
                return code;
            }
        }
    }
}
