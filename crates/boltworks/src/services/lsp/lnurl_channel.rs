//! LNURL-channel (LUD-02) for both LSP APIs: the LNURL of an order, and the endpoint behind it
//! (served under the v0.0.1 base, `/lnurl/channel`), whose first step returns the channel
//! request of a paid order and whose callback sets the buyer's node as `manual_finalise` does.
//! Errors are LUD-01's `{"status":"ERROR","reason":...}` with HTTP 200 (`crate::http::LnurlError`).

use axum::extract::{RawQuery, State};
use axum::Json;
use tracing::field::Empty;

use super::model::OrderState;
use super::v1_api::{ChannelRequest, LnurlChannelAnswer, LnurlOk, V1Error};
use super::v1_handlers::{finalise, find};
use super::LspService;
use crate::http::request_fields::QueryParams;
use crate::http::{join_path, LnurlError};

/// The hub's node as `pubkey@host:port`.
pub fn hub_uri(state: &LspService) -> String {
    format!(
        "{}@{}",
        state.hub.node.node_id(),
        state.hub.node.listen_address()
    )
}

/// The LUD-02 endpoint (mounted under the v0.0.1 base) that both APIs' LNURLs point at.
pub fn lnurl_callback(state: &LspService) -> String {
    format!(
        "{}{}",
        state.hub.public_url,
        join_path(&state.config.v1_base, "/lnurl/channel")
    )
}

/// An order's LNURL-channel: the bech32 of its channel-request URL.
pub fn lnurl_channel(state: &LspService, order_id: &str) -> String {
    crate::lnurl::encode(&format!("{}?order_id={order_id}", lnurl_callback(state)))
        .unwrap_or_default()
}

/// `GET /lnurl/channel`: with `order_id`, LUD-02's channel request (the order must be paid);
/// with `k1` and `remoteid` (or `remote_id`), the callback that queues the open (`cancel=1`
/// aborts and changes nothing).
#[tracing::instrument(skip_all, fields(order_id = Empty))]
pub async fn lnurl_channel_step(
    State(state): State<LspService>,
    RawQuery(query): RawQuery,
) -> Result<Json<LnurlChannelAnswer>, LnurlError> {
    let params = QueryParams::parse(query);
    let param = |name: &str| params.get(name);
    if let Some(k1) = param("k1") {
        tracing::Span::current().record("order_id", k1);
        if param("cancel") == Some("1") {
            return Ok(Json(LnurlChannelAnswer::Done(LnurlOk::OK)));
        }
        let remote = param("remoteid")
            .or_else(|| param("remote_id"))
            .ok_or_else(|| LnurlError::refused("Invalid request"))?;
        let private = matches!(param("private"), Some("1") | Some("true"));
        return match finalise(&state, k1, remote, !private).await {
            Ok(_) => Ok(Json(LnurlChannelAnswer::Done(LnurlOk::OK))),
            Err(V1Error::Refused(text)) => Err(LnurlError::refused(text)),
            Err(V1Error::Internal(detail)) => {
                Err(LnurlError::internal(detail, "Failed to setup channel"))
            }
        };
    }
    let order_id = param("order_id").ok_or_else(|| LnurlError::refused("Invalid request"))?;
    tracing::Span::current().record("order_id", order_id);
    let order = find(&state, order_id)
        .await
        .map_err(|e| LnurlError::internal(e, "Failed to finish process"))?
        .ok_or_else(|| LnurlError::refused("Order not found"))?;
    if order.state != OrderState::Paid {
        return Err(LnurlError::refused("Order not in the right state"));
    }
    let request = ChannelRequest::new(hub_uri(&state), lnurl_callback(&state), order.id);
    Ok(Json(LnurlChannelAnswer::Request(request)))
}
