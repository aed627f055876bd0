//! Rate limits on the routes anyone may call to create something (a gift, a channel order, an
//! account): per client address, with governor's GCRA (a steady rate and a burst). A limited
//! request is answered by the service's own `refuse` (429 in its error format) with a
//! `Retry-After` header. The address is the TCP peer's: behind a reverse proxy every client
//! shares the proxy's, so set the limits there or raise them here.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::RETRY_AFTER;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// How often (in checks) addresses that are back to a full burst are forgotten.
const FORGET_EVERY: u32 = 4_096;

/// The limit of one client address on a group of routes: `per_minute` requests on average, up to
/// `burst` at once. `None`: no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit(Option<Quota>);

impl RateLimit {
    /// `per_minute` on average and `burst` at once; 0 per minute turns the limit off.
    pub fn new(per_minute: u32, burst: u32) -> Self {
        Self(NonZeroU32::new(per_minute).map(|rate| {
            Quota::per_minute(rate).allow_burst(NonZeroU32::new(burst).unwrap_or(rate))
        }))
    }

    /// No limit.
    pub fn off() -> Self {
        Self(None)
    }

    /// Limits the routes of `router` (each call a budget of its own), refused with `refuse`,
    /// which is given the seconds to wait.
    pub fn apply<S: Clone + Send + Sync + 'static>(
        &self,
        router: Router<S>,
        refuse: fn(u64) -> Response,
    ) -> Router<S> {
        let Some(quota) = self.0 else {
            return router;
        };
        let limiter = Limiter {
            limiter: Arc::new(RateLimiter::keyed(quota)),
            checks: Arc::new(AtomicU32::new(0)),
            refuse,
        };
        router.route_layer(axum::middleware::from_fn_with_state(limiter, enforce))
    }
}

/// One group's limiter.
#[derive(Clone)]
struct Limiter {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    checks: Arc<AtomicU32>,
    refuse: fn(u64) -> Response,
}

impl Limiter {
    /// `Ok`, or how long `client` must wait.
    fn check(&self, client: IpAddr) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % FORGET_EVERY == FORGET_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&client)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

async fn enforce(State(limiter): State<Limiter>, request: Request, next: Next) -> Response {
    // Without the peer's address (a router served without connect info) there is no key.
    let Some(ConnectInfo(peer)) = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .cloned()
    else {
        return next.run(request).await;
    };
    match limiter.check(peer.ip()) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
            tracing::info!(client = %peer.ip(), retry_after = secs, "rate limited");
            let mut response = (limiter.refuse)(secs);
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(secs));
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_per_minute_is_no_limit_and_the_burst_defaults_to_the_rate() {
        assert_eq!(RateLimit::new(0, 5), RateLimit::off());
        let limit = RateLimit::new(6, 0);
        let quota = limit.0.expect("a quota");
        assert_eq!(quota.burst_size().get(), 6);
        assert_eq!(quota.replenish_interval(), Duration::from_secs(10));
    }
}
