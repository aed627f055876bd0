//! Failed-login limits: after too many wrong passwords for one email, or from one client
//! address, within a window, further attempts are refused until the window passes, even with
//! the right password. Counted in memory per process, on the hub's clock.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use crate::clock::Clock;

/// Failures allowed per email within a window.
const PER_EMAIL: u32 = 5;
/// Failures allowed per client address within a window.
const PER_ADDRESS: u32 = 30;
/// The window, in seconds.
const WINDOW_SECS: i64 = 15 * 60;
/// Entries kept before old ones are pruned.
const MAX_ENTRIES: usize = 100_000;

/// The failure counts.
#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, i64)>>,
}

impl LoginThrottle {
    fn keys(email: &str, address: IpAddr) -> [(String, u32); 2] {
        [
            (format!("email:{email}"), PER_EMAIL),
            (format!("addr:{address}"), PER_ADDRESS),
        ]
    }

    /// `Err(seconds to wait)` when either limit is reached.
    pub fn check(&self, clock: &Clock, email: &str, address: IpAddr) -> Result<(), i64> {
        let now = clock.now_unix();
        let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for (key, limit) in Self::keys(email, address) {
            if let Some((count, since)) = failures.get(&key) {
                if *count >= limit && now - since < WINDOW_SECS {
                    return Err(WINDOW_SECS - (now - since));
                }
            }
        }
        Ok(())
    }

    /// Counts a failed attempt.
    pub fn failed(&self, clock: &Clock, email: &str, address: IpAddr) {
        let now = clock.now_unix();
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() > MAX_ENTRIES {
            failures.retain(|_, (_, since)| now - *since < WINDOW_SECS);
        }
        for (key, _) in Self::keys(email, address) {
            let entry = failures.entry(key).or_insert((0, now));
            if now - entry.1 >= WINDOW_SECS {
                *entry = (0, now);
            }
            entry.0 += 1;
        }
    }

    /// Clears the email's count after a successful login.
    pub fn succeeded(&self, email: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&format!("email:{email}"));
    }
}
