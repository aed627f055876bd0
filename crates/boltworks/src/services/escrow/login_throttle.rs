//! Failed-login limits, counted in memory per process on the hub's clock. Each attempt counts
//! before the password is checked (so parallel guesses cannot all slip under the limit) and a
//! success gives it back. Limits: 5 failures per email from one address, 30 per address, and 50
//! per email from all addresses together, within 15 minutes. Keying the tight limit on the
//! address too means a stranger cannot lock a user out with a few wrong passwords.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use crate::clock::Clock;

/// Failures allowed per email from one address within a window.
const PER_EMAIL_AND_ADDRESS: u32 = 5;
/// Failures allowed per client address within a window.
const PER_ADDRESS: u32 = 30;
/// Failures allowed per email from all addresses within a window.
const PER_EMAIL: u32 = 50;
/// The window, in seconds.
const WINDOW_SECS: i64 = 15 * 60;
/// Entries kept; beyond, expired ones are dropped, then the oldest.
const MAX_ENTRIES: usize = 50_000;

/// The failure counts: key -> (count, window start).
#[derive(Default)]
pub struct LoginThrottle {
    counts: Mutex<HashMap<String, (u32, i64)>>,
}

fn keys(email: &str, address: IpAddr) -> [(String, u32); 3] {
    [
        (format!("pair:{address}:{email}"), PER_EMAIL_AND_ADDRESS),
        (format!("addr:{address}"), PER_ADDRESS),
        (format!("email:{email}"), PER_EMAIL),
    ]
}

impl LoginThrottle {
    /// Counts an attempt, or refuses it with the seconds to wait when a limit is reached.
    pub fn reserve(&self, clock: &Clock, email: &str, address: IpAddr) -> Result<(), i64> {
        let now = clock.now_unix();
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let keys = keys(email, address);
        for (key, limit) in &keys {
            if let Some((count, since)) = counts.get(key) {
                if now - since < WINDOW_SECS && *count >= *limit {
                    return Err(WINDOW_SECS - (now - since));
                }
            }
        }
        if counts.len() >= MAX_ENTRIES {
            counts.retain(|_, (_, since)| now - *since < WINDOW_SECS);
            if counts.len() >= MAX_ENTRIES {
                let mut oldest: Vec<(i64, String)> = counts
                    .iter()
                    .map(|(k, (_, since))| (*since, k.clone()))
                    .collect();
                oldest.sort_unstable();
                for (_, key) in oldest.into_iter().take(MAX_ENTRIES / 2) {
                    counts.remove(&key);
                }
            }
        }
        for (key, _) in keys {
            let entry = counts.entry(key).or_insert((0, now));
            if now - entry.1 >= WINDOW_SECS {
                *entry = (0, now);
            }
            entry.0 += 1;
        }
        Ok(())
    }

    /// Gives back the attempt a successful login reserved, and forgets this pair's failures.
    pub fn succeeded(&self, email: &str, address: IpAddr) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let [(pair, _), rest @ ..] = keys(email, address);
        counts.remove(&pair);
        for (key, _) in rest {
            if let Some(entry) = counts.get_mut(&key) {
                entry.0 = entry.0.saturating_sub(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stranger_cannot_lock_out_a_user_from_another_address() {
        let clock = Clock::adjustable();
        let throttle = LoginThrottle::default();
        let attacker: IpAddr = "203.0.113.9".parse().expect("ip");
        let user: IpAddr = "198.51.100.7".parse().expect("ip");
        for _ in 0..5 {
            throttle
                .reserve(&clock, "a@example.com", attacker)
                .expect("counted");
        }
        assert!(
            throttle.reserve(&clock, "a@example.com", attacker).is_err(),
            "the attacker is stopped"
        );
        assert!(
            throttle.reserve(&clock, "a@example.com", user).is_ok(),
            "the user still gets in"
        );
        clock.advance(16 * 60).expect("advance");
        assert!(
            throttle.reserve(&clock, "a@example.com", attacker).is_ok(),
            "the window passed"
        );
    }
}
