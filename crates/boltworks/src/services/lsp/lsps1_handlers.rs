//! LSPS1 v0.0.2 handlers: info, create, get, the synchronous `/open`, `/lnurl`, `/refund`, and
//! the seed's older flat view `GET /lsp/channel?id=`. All are views of the one order engine.

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::engine::{create_order, set_open_target, OrderRequest, QuoteError};
use super::lightning_refund;
use super::lnurl_channel::{hub_uri, lnurl_channel};
use super::lsps1_api::{self, payment_state, Lsps1Body, Lsps1Error, ViewContext};
use super::model::OrderState;
use super::onchain::{self, RefundOutcome, RefundRefusal};
use super::store::{self, Order};
use super::v1_api::parse_node_uri;
use super::LspService;
use crate::http::PathId;
use crate::notify::guard::check_url;

/// How long `/open` waits for the funding broadcast (or a failure) before it answers that the
/// open is still in progress. Below the hub's default request timeout (30 s).
const OPEN_WAIT: Duration = Duration::from_secs(25);

/// The `refund_state` of an order with nothing this API can refund (the seed's value; the
/// next draft renamed it `UNAVAILABLE`).
const REFUND_UNSUPPORTED: &str = "UNSUPPORTED";

async fn find(state: &LspService, id: &str) -> Result<Order, Lsps1Error> {
    // Order ids are hex or UUIDs: anything else is no order (and never reaches the database).
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(Lsps1Error::NotFound);
    }
    let mut conn = state.hub.store.pool().acquire().await?;
    store::order(&mut conn, id)
        .await?
        .ok_or(Lsps1Error::NotFound)
}

fn scid_of(state: &LspService, order: &Order) -> Option<u64> {
    let ucid = order.user_channel_id.as_deref()?;
    state.hub.node.channel(ucid.parse().ok()?)?.short_channel_id
}

async fn view(state: &LspService, order: &Order) -> Value {
    let uri = hub_uri(state);
    let receipts = onchain::receipts(state, order).await;
    let ctx = ViewContext {
        lsp_uri: &uri,
        scid: scid_of(state, order),
        receipts: &receipts,
    };
    lsps1_api::order_view(order, &ctx)
}

/// The features that work here: on-chain payments and refunds need the treasury.
fn features(state: &LspService) -> Value {
    let mut features = vec![json!("lnurl_lud2"), json!("local_balance")];
    if state.hub.treasury.is_some() {
        features.push(json!("refunds"));
        features.push(json!({
            "name": "onchain_payments",
            "min_satoshi": state.config.onchain_min_sat,
        }));
    }
    Value::Array(features)
}

/// `GET /lsp/channels`: the API's version, features and (a boltworks extension) its limits.
pub async fn info(State(state): State<LspService>) -> Json<Value> {
    let limits = &state.config.limits;
    Json(json!({
        "version": "0.0.2",
        "website": format!("{}/docs", state.hub.public_url),
        "features": features(&state),
        "limits": {
            "min_channel_satoshi": limits.min_channel_sat,
            "max_channel_satoshi": limits.max_channel_sat,
            "min_channel_expiry_weeks": limits.min_expiry_weeks,
            "max_channel_expiry_weeks": limits.max_expiry_weeks,
            "order_expiry_seconds": limits.order_expiry_secs,
        },
    }))
}

/// `POST /lsp/channels`: a quote with its hold invoice (201).
pub async fn create(
    State(state): State<LspService>,
    body: Lsps1Body,
) -> Result<(StatusCode, Json<Value>), Lsps1Error> {
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
    let mut echo = json!({
        "remote_balance": lsp_sat,
        "local_balance": client_sat,
        "channel_expiry": weeks,
        "coupon_code": "",
    });
    if let Some(rate) = fee_rate {
        echo["onchain_fee_rate"] = json!(rate);
    }
    let request = OrderRequest {
        lsp_sat,
        client_sat,
        weeks,
        request_echo: Some(echo.to_string()),
        webhook_url,
    };
    let id = uuid::Uuid::new_v4().to_string();
    let order = create_order(&state, "lsps1", id, request)
        .await
        .map_err(|e| match e {
            QuoteError::Overflow => Lsps1Error::bad("the requested amounts are too large"),
            QuoteError::Unavailable => Lsps1Error::bad(
                "the LSP cannot fund a channel of this size now; try a smaller one or later",
            ),
            QuoteError::Internal(detail) => Lsps1Error::Internal(detail),
        })?;
    Ok((StatusCode::CREATED, Json(lsps1_api::created(&order))))
}

/// `GET /lsp/channels/{id}`: the nested order.
pub async fn get(
    State(state): State<LspService>,
    PathId(id): PathId,
) -> Result<Json<Value>, Lsps1Error> {
    let order = find(&state, id.as_deref().unwrap_or_default()).await?;
    Ok(Json(view(&state, &order).await))
}

/// Why an order cannot take an `/open` now, as the API's `fail_reason` and a message.
fn open_refusal(order: &Order) -> Option<(&'static str, String)> {
    let in_progress =
        order.order_state() == Some(OrderState::UriSet) && order.user_channel_id.is_some();
    match order.order_state() {
        Some(OrderState::Opening | OrderState::Open | OrderState::Closing | OrderState::Closed) => {
            Some(("ALREADY_OPEN", "the order's channel is already open".into()))
        }
        _ if in_progress => Some(("ALREADY_OPEN", "the order's channel is being opened".into())),
        Some(OrderState::GiveUp) => Some((
            "REJECTED_BY_LSP",
            format!(
                "the order gave up opening ({}); its payment went back, or is refundable (see /refund)",
                order.open_error.as_deref().unwrap_or("no detail")
            ),
        )),
        Some(OrderState::Expired) => Some(("PAYMENT_REQUIRED", "the order expired".into())),
        _ if payment_state(order, 0) != "PAID" => {
            Some(("PAYMENT_REQUIRED", "the order is not paid yet".into()))
        }
        _ => None,
    }
}

/// The API's `fail_reason` for an engine error text (`PEERING_FAILED: ...`).
fn fail_reason(error: &str) -> &'static str {
    [
        "PEERING_FAILED",
        "CHANNEL_REJECTED_BY_DESTINATION",
        "REJECTED_BY_LSP",
    ]
    .into_iter()
    .find(|reason| error.starts_with(reason))
    .unwrap_or("CHANNEL_REJECTED_BY_DESTINATION")
}

/// `POST /lsp/channels/{id}/open`: opens the paid order's channel to the buyer's node and answers
/// once the funding transaction is broadcast (201) or the attempt failed (412). A failed attempt
/// is retried in the background a bounded number of times (the order shows each outcome).
pub async fn open(
    State(state): State<LspService>,
    PathId(id): PathId,
    body: Lsps1Body,
) -> Result<(StatusCode, Json<Value>), Lsps1Error> {
    let order = find(&state, id.as_deref().unwrap_or_default()).await?;
    let announce = body
        .flag("announce_channel")?
        .ok_or_else(|| Lsps1Error::bad("announce_channel is required"))?;
    let connection = body
        .text("node_connection_string")?
        .ok_or_else(|| Lsps1Error::bad("node_connection_string is required"))?;
    let (pubkey, address) = parse_node_uri(connection).ok_or_else(|| {
        Lsps1Error::bad("node_connection_string must be pubkey@ip:port (or a known peer's pubkey)")
    })?;
    let lsp_uri = hub_uri(&state);
    let refused = |reason: &str, message: &str| {
        (
            StatusCode::PRECONDITION_FAILED,
            Json(lsps1_api::open_answer(
                false,
                message,
                Some(reason),
                &lsp_uri,
            )),
        )
    };
    if let Some((reason, message)) = open_refusal(&order) {
        return Ok(refused(reason, &message));
    }
    let address = address.map(|a| a.to_string());
    // Subscribed before the worker can act: the funding event wakes the wait below at once.
    let mut events = state.hub.events.subscribe();
    let taken = set_open_target(
        &state,
        &order.id,
        &pubkey,
        address.as_deref(),
        announce,
        false,
    )
    .await?;
    if !taken {
        // Another request got there first.
        let order = find(&state, id.as_deref().unwrap_or_default()).await?;
        let (reason, message) = open_refusal(&order)
            .unwrap_or(("ALREADY_OPEN", "the order's channel is being opened".into()));
        return Ok(refused(reason, &message));
    }
    let deadline = tokio::time::Instant::now() + OPEN_WAIT;
    loop {
        let order = find(&state, id.as_deref().unwrap_or_default()).await?;
        match order.order_state() {
            Some(OrderState::Opening | OrderState::Open) => {
                let answer = lsps1_api::open_answer(true, "ok", None, &lsp_uri);
                return Ok((StatusCode::CREATED, Json(answer)));
            }
            Some(OrderState::UriSet | OrderState::GiveUp) if order.open_error.is_some() => {
                let error = order.open_error.as_deref().unwrap_or_default();
                return Ok(refused(fail_reason(error), error));
            }
            _ => {}
        }
        if tokio::time::Instant::now() >= deadline {
            let answer = lsps1_api::open_answer(
                false,
                "the channel open is still in progress; follow the order's channel state",
                None,
                &lsp_uri,
            );
            return Ok((StatusCode::PRECONDITION_FAILED, Json(answer)));
        }
        // A node event (the funding broadcast commits before it is published), or a moment
        // for failures, which the worker records without one.
        tokio::select! {
            _ = events.recv() => {}
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    }
}

/// `GET /lsp/channels/{id}/lnurl`: the order's LNURL-channel (LUD-02; usable once paid).
pub async fn lnurl(
    State(state): State<LspService>,
    PathId(id): PathId,
) -> Result<Json<Value>, Lsps1Error> {
    let order = find(&state, id.as_deref().unwrap_or_default()).await?;
    Ok(Json(
        json!({"lnurl_channel": lnurl_channel(&state, &order.id)}),
    ))
}

/// The amounts of a refund made (or in flight), under the method it used.
fn refunded_amounts(order: &Order) -> Value {
    if order.refund_payment_hash.is_some() {
        json!({"lightning": order.refund_amount_sat, "onchain": Value::Null})
    } else {
        json!({"lightning": Value::Null, "onchain": order.refund_amount_sat})
    }
}

/// `GET /lsp/channels/{id}/refund`. A Lightning payment is a held HTLC, so an order that fails
/// is refunded by failing it back (`PAID_OUT`, paid to the payer); on-chain money the hub cannot
/// deliver a channel for is `AVAILABLE` to refund on chain, then `IN_FLIGHT`, then `PAID_OUT`.
pub async fn refund_status(
    State(state): State<LspService>,
    PathId(id): PathId,
) -> Result<Json<Value>, Lsps1Error> {
    let order = find(&state, id.as_deref().unwrap_or_default()).await?;
    let answer = |refund_state: &str, amounts: Value, paid_to: Value, paid_ts: Value| {
        Json(json!({
            "refund_state": refund_state,
            "amounts": amounts,
            "paid_to": paid_to,
            "paid_ts": paid_ts,
        }))
    };
    if order.refund_state.as_deref() == Some("in_flight") {
        return Ok(answer(
            "IN_FLIGHT",
            refunded_amounts(&order),
            json!(order.refund_to),
            Value::Null,
        ));
    }
    // Money that arrived after a refund is available again.
    let refundable = onchain::refundable_sat(&state, &order).await?;
    if refundable > 0 {
        return Ok(answer(
            "AVAILABLE",
            json!({"lightning": refundable, "onchain": refundable}),
            Value::Null,
            Value::Null,
        ));
    }
    if order.refund_state.as_deref() == Some("paid_out") {
        return Ok(answer(
            "PAID_OUT",
            refunded_amounts(&order),
            json!(order.refund_to),
            json!(order.refunded_at),
        ));
    }
    if payment_state(&order, 0) == "REFUNDED" {
        return Ok(answer(
            "PAID_OUT",
            Value::Null,
            Value::Null,
            json!(order.updated_at),
        ));
    }
    Ok(answer(
        REFUND_UNSUPPORTED,
        Value::Null,
        Value::Null,
        Value::Null,
    ))
}

/// `POST /lsp/channels/{id}/refund` with exactly one of `lightning_invoice` or
/// `onchain_address`: refunds the order's refundable on-chain money to the address, exactly once
/// (racing requests: one pays, the others are told it is refunded). Lightning payments go back
/// by themselves, so an invoice is refused.
pub async fn refund(
    State(state): State<LspService>,
    PathId(id): PathId,
    body: Lsps1Body,
) -> Result<(StatusCode, Json<Value>), Lsps1Error> {
    let order = find(&state, id.as_deref().unwrap_or_default()).await?;
    let invoice = body.text("lightning_invoice")?;
    let address = body.text("onchain_address")?;
    if invoice.is_some() == address.is_some() {
        return Err(Lsps1Error::bad(
            "give exactly one of lightning_invoice or onchain_address",
        ));
    }
    let refused = |reason: &str, message: &str| {
        let answer = json!({"success": false, "message": message, "fail_reason": reason});
        Ok((StatusCode::PRECONDITION_FAILED, Json(answer)))
    };
    let outcome = match (invoice, address) {
        (Some(invoice), _) => lightning_refund::refund_by_invoice(&state, &order, invoice).await?,
        (None, Some(address)) => onchain::refund(&state, &order, address).await?,
        (None, None) => {
            return Err(Lsps1Error::bad(
                "give a lightning_invoice or an onchain_address",
            ))
        }
    };
    match outcome {
        Ok(RefundOutcome::InFlight) => Ok((
            StatusCode::OK,
            Json(json!({
                "success": true,
                "message": "the refund payment is on its way; GET /refund shows when it arrived",
                "fail_reason": Value::Null,
            })),
        )),
        Err(RefundRefusal::BadInvoice(why)) => Err(Lsps1Error::BadRequest(why)),
        Err(RefundRefusal::PaymentRefused(why)) => refused("PAYMENT_FAILED", &why),
        Err(RefundRefusal::TooSmall(why)) => refused("REJECTED_BY_LSP", &why),
        Ok(RefundOutcome::Sent { txid, amount }) => Ok((
            StatusCode::OK,
            Json(json!({
                "success": true,
                "message": format!("refunded {amount} sat in transaction {txid}"),
                "fail_reason": Value::Null,
            })),
        )),
        Ok(RefundOutcome::Pending) => Ok((
            StatusCode::OK,
            Json(json!({
                "success": true,
                "message": "the refund is committed and will be sent shortly",
                "fail_reason": Value::Null,
            })),
        )),
        Err(RefundRefusal::BadAddress) => Err(Lsps1Error::bad(
            "onchain_address is not an address of this network",
        )),
        Err(RefundRefusal::Unsupported) => refused(
            REFUND_UNSUPPORTED,
            "on-chain refunds need the hub's treasury, which this hub does not run",
        ),
        Err(RefundRefusal::AlreadyRefunded) => refused(
            "REJECTED_BY_LSP",
            "the order was refunded already (or a refund of it is in flight)",
        ),
        Err(RefundRefusal::NothingToRefund) if payment_state(&order, 0) == "REFUNDED" => refused(
            "REJECTED_BY_LSP",
            "the payment already went back to the payer: its held HTLC was failed back",
        ),
        Err(RefundRefusal::NothingToRefund) => refused(
            REFUND_UNSUPPORTED,
            "nothing to refund: the order is still to be delivered, or the hub holds nothing for it",
        ),
    }
}

/// The query of the flat view.
#[derive(serde::Deserialize)]
pub struct FlatQuery {
    id: Option<String>,
}

/// `GET /lsp/channel?id=`: the seed's older flat order model.
pub async fn flat(
    State(state): State<LspService>,
    Query(query): Query<FlatQuery>,
) -> Result<Json<Value>, Lsps1Error> {
    let id = query
        .id
        .filter(|id| !id.is_empty())
        .ok_or_else(|| Lsps1Error::bad("id is required"))?;
    let order = find(&state, &id).await?;
    let uri = hub_uri(&state);
    let receipts = onchain::receipts(&state, &order).await;
    let ctx = ViewContext {
        lsp_uri: &uri,
        scid: scid_of(&state, &order),
        receipts: &receipts,
    };
    Ok(Json(lsps1_api::flat_view(
        &order,
        &ctx,
        &lnurl_channel(&state, &order.id),
    )))
}
