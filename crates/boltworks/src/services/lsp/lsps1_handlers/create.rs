//! `POST /lsp/channels`: a quote with its hold invoice (201).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use tracing::field::Empty;

use crate::notify::guard::check_url;
use crate::services::lsp::engine::{create_order, OrderRequest};
use crate::services::lsp::lsps1_api::{Created, Lsps1Body, Lsps1Error, Lsps1Refusal, RequestEcho};
use crate::services::lsp::model::OrderApi;
use crate::services::lsp::LspService;

/// `POST /lsp/channels`.
#[tracing::instrument(skip_all, fields(order_id = Empty))]
pub async fn create(
    State(state): State<LspService>,
    body: Lsps1Body,
) -> Result<(StatusCode, Json<Created>), Lsps1Error> {
    let limits = &state.config.limits;
    let lsp_sat = body
        .whole("remote_balance")?
        .ok_or_else(|| Lsps1Error::bad("remote_balance is required"))?;
    let client_sat = body.whole("local_balance")?.unwrap_or(0);
    let weeks = body
        .whole("channel_expiry")?
        .unwrap_or(limits.min_expiry_weeks);
    if !(limits.min_expiry_weeks..=limits.max_expiry_weeks).contains(&weeks) {
        return Err(Lsps1Error::bad(format!(
            "channel_expiry must be from {} to {} weeks",
            limits.min_expiry_weeks, limits.max_expiry_weeks
        )));
    }
    let capacity = lsp_sat.checked_add(client_sat);
    if capacity.is_none_or(|c| c > limits.max_channel_sat) {
        return Err(Lsps1Error::bad(format!(
            "remote_balance + local_balance must be at most {} sats",
            limits.max_channel_sat
        )));
    }
    if capacity.is_some_and(|c| c < limits.min_channel_sat) {
        return Err(Lsps1Error::bad(format!(
            "remote_balance + local_balance must be at least {} sats",
            limits.min_channel_sat
        )));
    }
    let fee_rate = body.number_at_least("onchain_fee_rate", 1.0)?;
    if body.text("coupon_code")?.is_some_and(|c| !c.is_empty()) {
        return Err(Lsps1Error::bad("coupon_code is not a valid coupon"));
    }
    let webhook_url = match body.text("webhook_url")? {
        Some(url) if check_url(url, true).is_err() => {
            return Err(Lsps1Error::bad("webhook_url must be an http(s) URL"))
        }
        url => url.map(str::to_string),
    };
    let echo = RequestEcho {
        remote_balance: lsp_sat,
        local_balance: client_sat,
        channel_expiry: weeks,
        coupon_code: String::new(),
        onchain_fee_rate: fee_rate,
    };
    let request = OrderRequest {
        lsp_sat,
        client_sat,
        weeks,
        request_echo: Some(serde_json::to_string(&echo).map_err(Lsps1Error::internal)?),
        webhook_url,
    };
    let id = uuid::Uuid::new_v4().to_string();
    tracing::Span::current().record("order_id", id.as_str());
    let order = create_order(&state, OrderApi::Lsps1, id, request)
        .await
        .map_err(Lsps1Error::internal)?
        .map_err(|refusal| Lsps1Refusal::from(refusal).into_error())?;
    Ok((StatusCode::CREATED, Json(Created::of(&order))))
}
