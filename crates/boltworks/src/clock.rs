//! The one clock every time-based rule of boltworks reads (session and order expiry, deadlines,
//! retries). On regtest it can be moved forward, so tests and users can skip time; on other
//! networks it is the system clock and cannot be moved. Also how its times are written (ISO 8601).

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

/// Unix milliseconds as `2019-09-20T08:22:35.661Z`.
pub fn iso_time(unix_ms: i64) -> String {
    let secs = unix_ms.div_euclid(1_000);
    let millis = unix_ms.rem_euclid(1_000);
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_iso_8601_with_milliseconds() {
        assert_eq!(iso_time(1_568_967_755_661), "2019-09-20T08:22:35.661Z");
        assert_eq!(iso_time(0), "1970-01-01T00:00:00.000Z");
    }

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
