//! The merchant's websocket, at `/api/v2/user/messages/subscribe` and
//! `/api/v2/payments/subscribe`: the access token comes as subprotocols `Bearer, <token>` (the
//! seed's JS example), an `Authorization` header, or `?token=`. Frames are `{"result": ...}`
//! with the event's `id` added; `?last_id=<id>` resumes after the last frame seen.

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{RawQuery, State};
use axum::http::header::SEC_WEBSOCKET_PROTOCOL;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use tracing::field::Empty as Unset;
use tracing::Span;

use crate::http::request_fields::QueryParams;
use crate::notify::stream::{self, Framing};
use crate::services::merchant::api::PeachError;
use crate::services::merchant::model::Refusal;
use crate::services::merchant::notices::STREAM_SERVICE;
use crate::services::merchant::session::{bearer_token, merchant_of_access_token};
use crate::services::merchant::MerchantService;

/// Upgrades to the merchant's notification stream.
#[tracing::instrument(name = "merchant_subscribe", skip_all, fields(merchant_id = Unset))]
pub async fn subscribe(
    State(state): State<MerchantService>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    ws: WebSocketUpgrade,
) -> Result<Response, PeachError> {
    let query = QueryParams::parse(query);
    let offered: Vec<String> = headers
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|p| p.trim().to_string())
        .collect();
    let from_protocols = offered
        .iter()
        .position(|p| p.eq_ignore_ascii_case("bearer"))
        .and_then(|i| offered.get(i + 1));
    let token = from_protocols
        .map(String::as_str)
        .or_else(|| bearer_token(&headers))
        .or_else(|| query.get("token"))
        .ok_or(Refusal::TokenNotFound)?;
    let merchant_id = merchant_of_access_token(&state, token)?;
    Span::current().record("merchant_id", merchant_id.as_str());
    let last_id = query
        .get("last_id")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0)
        .max(0);
    let notifier = state.hub.notifier.clone();
    // A browser closes the socket unless the server picks one of the offered protocols.
    let ws = if from_protocols.is_some() {
        ws.protocols(["Bearer"])
    } else {
        ws
    };
    Ok(ws
        .on_upgrade(move |socket| {
            stream::serve(
                socket,
                notifier,
                STREAM_SERVICE.into(),
                merchant_id,
                last_id,
                Framing::DataWithId,
            )
        })
        .into_response())
}
