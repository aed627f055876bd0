//! The one clock every time-based rule of boltworks reads (session and order expiry, deadlines,
//! retries). On regtest it can be moved forward, so tests and users can skip time; on other
//! networks it is the system clock and cannot be moved.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The furthest a clock may run ahead: 100 years.
const MAX_OFFSET_SECS: i64 = 100 * 365 * 24 * 3600;

/// A shared, injectable clock. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
    adjustable: bool,
}

/// Why the clock refused to move.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClockError {
    /// Only regtest clocks move.
    #[error("the clock can only be advanced on regtest")]
    NotAdjustable,
    /// Moving would overflow.
    #[error("advancing by {0} seconds is out of range")]
    OutOfRange(u64),
}

impl Clock {
    /// The system clock, fixed.
    pub fn system() -> Self {
        Self {
            offset_secs: Arc::new(AtomicI64::new(0)),
            adjustable: false,
        }
    }

    /// A clock that starts at system time and can be advanced (regtest only).
    pub fn adjustable() -> Self {
        Self {
            offset_secs: Arc::new(AtomicI64::new(0)),
            adjustable: true,
        }
    }

    /// Now, as seconds since the unix epoch.
    pub fn now_unix(&self) -> i64 {
        let system = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        i64::try_from(system.as_secs())
            .unwrap_or(i64::MAX)
            .saturating_add(self.offset_secs.load(Ordering::SeqCst))
    }

    /// How far this clock runs ahead of the system clock.
    pub fn offset_secs(&self) -> i64 {
        self.offset_secs.load(Ordering::SeqCst)
    }

    /// Moves the clock forward by `secs`. Returns the new time.
    pub fn advance(&self, secs: u64) -> Result<i64, ClockError> {
        if !self.adjustable {
            return Err(ClockError::NotAdjustable);
        }
        let delta = i64::try_from(secs).map_err(|_| ClockError::OutOfRange(secs))?;
        self.offset_secs
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |old| {
                // A bound far past any deadline, so `now + anything` cannot overflow.
                old.checked_add(delta)
                    .filter(|offset| *offset <= MAX_OFFSET_SECS)
            })
            .map_err(|_| ClockError::OutOfRange(secs))?;
        Ok(self.now_unix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_adjustable_clock_moves() {
        let fixed = Clock::system();
        assert_eq!(fixed.advance(10), Err(ClockError::NotAdjustable));
        let clock = Clock::adjustable();
        let before = clock.now_unix();
        let after = clock.advance(3_600).expect("advance");
        assert!(after >= before + 3_600);
        assert_eq!(clock.offset_secs(), 3_600);
        assert_eq!(
            clock.advance(u64::MAX),
            Err(ClockError::OutOfRange(u64::MAX))
        );
        assert_eq!(
            clock.advance(i64::MAX as u64),
            Err(ClockError::OutOfRange(i64::MAX as u64))
        );
        assert_eq!(
            clock.offset_secs(),
            3_600,
            "a refused advance changes nothing"
        );
    }
}
