//! The server's clock for scheduled work: reclaim policies evaluate their
//! rules `as_of` it and the reclaim scheduler asks it which runs are due.
//! Real time unless a test (or a what-if tool) sets it: a manual clock
//! stands still until set or advanced, so time-dependent stories run
//! without sleeping. Shared by every clone, so a test keeps one handle to
//! the clock its servers read.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};

use crate::db::types::Stamp;

#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// `None`: the system clock.
    manual: Option<Arc<Mutex<DateTime<Utc>>>>,
}

impl Clock {
    /// The system clock.
    pub fn real() -> Clock {
        Clock::default()
    }

    /// A clock standing at `at` until set or advanced.
    pub fn manual(at: DateTime<Utc>) -> Clock {
        Clock {
            manual: Some(Arc::new(Mutex::new(at))),
        }
    }

    /// The current instant, cut to the millisecond the schemas keep.
    pub fn now(&self) -> Stamp {
        match &self.manual {
            None => Stamp::now(),
            Some(at) => Stamp::at(*at.lock().unwrap_or_else(|e| e.into_inner())),
        }
    }

    /// Sets a manual clock to `at`; the system clock cannot be set, so
    /// this is a no-op on it.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(current) = &self.manual {
            *current.lock().unwrap_or_else(|e| e.into_inner()) = at;
        }
    }

    /// Moves a manual clock on by `delta` (a no-op on the system clock).
    pub fn advance(&self, delta: TimeDelta) {
        if let Some(current) = &self.manual {
            let mut at = current.lock().unwrap_or_else(|e| e.into_inner());
            *at = at.checked_add_signed(delta).unwrap_or(*at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_stands_still_until_moved_and_clones_share_it() {
        let start = DateTime::from_timestamp_millis(1_800_000_000_123).unwrap();
        let clock = Clock::manual(start);
        let other = clock.clone();
        assert_eq!(clock.now().0, start);
        other.advance(TimeDelta::days(2));
        assert_eq!(clock.now().0, start + TimeDelta::days(2));
        clock.set(start);
        assert_eq!(other.now().0, start);
        let real = Clock::real();
        let before = Utc::now();
        real.set(start);
        assert!(real.now().0 >= before - TimeDelta::seconds(1));
    }
}
