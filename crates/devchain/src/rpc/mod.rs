//! The bitcoind JSON-RPC server: HTTP POST with Basic auth, Bitcoin Core's method names, JSON
//! shapes, error codes and HTTP statuses (500 for an RPC error, 404 for an unknown method, 401
//! for bad credentials), legacy JSON-RPC 1.0 and 2.0 requests, and batches.
//!
//! This module serves HTTP and checks credentials; `call` answers one JSON-RPC call (envelope
//! and dispatch); the methods live by area: `blockchain`, `transactions` (raw transactions),
//! `mempool`, `network` (network info, fee estimates), `wallet` (the faucet) and `mining`.

mod blockchain;
mod call;
mod error;
mod mempool;
mod mining;
mod network;
mod params;
mod transactions;
mod wallet;

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use base64::Engine;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use self::error::RPC_PARSE_ERROR;
use crate::devchain::Devchain;

/// The credentials clients must present (HTTP Basic).
#[derive(Clone, Debug)]
pub struct RpcAuth {
    /// RPC user name.
    pub user: String,
    /// RPC password.
    pub password: String,
}

/// A running RPC server. Dropping it leaves the server running; call `shutdown` to stop it.
pub struct RpcServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl RpcServer {
    /// Serves `chain` on `bind` (port 0 picks a free port) until shut down.
    pub async fn start(chain: Devchain, bind: SocketAddr, auth: RpcAuth) -> std::io::Result<Self> {
        let listener = TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", auth.user, auth.password))
        );
        let app = Router::new()
            .route("/", post(handle))
            .route("/wallet/{name}", post(handle))
            .with_state(RpcState {
                chain,
                expected_auth: expected,
            });
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(error = %e, "devchain RPC server stopped");
            }
        });
        tracing::info!(%addr, "devchain RPC listening");
        Ok(Self {
            addr,
            stop: Some(stop),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting requests.
    pub fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

#[derive(Clone)]
struct RpcState {
    chain: Devchain,
    expected_auth: String,
}

async fn handle(State(state): State<RpcState>, headers: HeaderMap, body: Bytes) -> Response {
    let authorized = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| constant_time_eq(v.as_bytes(), state.expected_auth.as_bytes()));
    if !authorized {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic realm=\"jsonrpc\"")],
        )
            .into_response();
    }
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => {
            let body = json!({"result": null, "error": {"code": RPC_PARSE_ERROR, "message": "Parse error"}, "id": null});
            return json_response(StatusCode::INTERNAL_SERVER_ERROR, &body);
        }
    };
    let chain = state.chain.clone();
    let outcome = tokio::task::spawn_blocking(move || match request {
        Value::Array(calls) => {
            let replies: Vec<Value> = calls.iter().map(|c| call::reply(&chain, c).1).collect();
            (StatusCode::OK, Value::Array(replies))
        }
        call => call::reply(&chain, &call),
    })
    .await;
    match outcome {
        Ok((status, body)) => json_response(status, &body),
        Err(e) => {
            tracing::error!(error = %e, "devchain RPC handler failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        format!("{body}\n"),
    )
        .into_response()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
