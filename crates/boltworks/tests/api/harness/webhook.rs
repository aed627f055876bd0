//! A webhook receiver on loopback that answers as it is told (statuses in order, a redirect, a
//! delay), and the check of the hub's signature.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub event_id: String,
    pub attempt: u32,
    pub signature: String,
    pub body: Bytes,
}

/// A webhook receiver on loopback that answers with the statuses it is given, in order, then
/// 200; or redirects everything to `redirect_to`.
#[derive(Clone, Default)]
pub struct Receiver {
    pub seen: Arc<Mutex<Vec<Received>>>,
    pub statuses: Arc<Mutex<Vec<u16>>>,
    pub redirect_to: Option<String>,
    /// Answer only after this long (a slow target).
    pub delay: Option<std::time::Duration>,
}

impl Receiver {
    pub async fn start(self) -> (Self, String) {
        async fn hook(
            State(receiver): State<Receiver>,
            headers: HeaderMap,
            body: Bytes,
        ) -> axum::response::Response {
            let header = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string()
            };
            receiver.seen.lock().expect("lock").push(Received {
                event_id: header("x-boltworks-event-id"),
                attempt: header("x-boltworks-attempt").parse().unwrap_or(0),
                signature: header("x-boltworks-signature"),
                body,
            });
            if let Some(delay) = receiver.delay {
                tokio::time::sleep(delay).await;
            }
            if let Some(to) = &receiver.redirect_to {
                return (StatusCode::FOUND, [("location", to.clone())]).into_response();
            }
            let mut statuses = receiver.statuses.lock().expect("lock");
            let status = if statuses.is_empty() {
                200
            } else {
                statuses.remove(0)
            };
            StatusCode::from_u16(status)
                .expect("status")
                .into_response()
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(hook))
            .with_state(self.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.expect("receiver") });
        (self, format!("http://{addr}/hook"))
    }

    pub fn seen(&self) -> Vec<Received> {
        self.seen.lock().expect("lock").clone()
    }
}

/// The `X-Boltworks-Signature` value for `body` signed with `secret`.
pub fn hmac_hex(secret: &str, body: &[u8]) -> String {
    use bitcoin::hashes::{hmac, sha256, Hash, HashEngine};
    let mut engine = hmac::HmacEngine::<sha256::Hash>::new(secret.as_bytes());
    engine.input(body);
    format!(
        "sha256={}",
        hex::encode(hmac::Hmac::<sha256::Hash>::from_engine(engine).to_byte_array())
    )
}
