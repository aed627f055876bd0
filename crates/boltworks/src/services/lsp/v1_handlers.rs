//! LSP v0.0.1 handlers: `/node/info`, `/channel/buy`, `/channel/manual_finalise` and
//! `/channel/order` (LNURL-channel is in `lnurl_channel`).

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use bitcoin::hashes::{sha256, Hash};
use rand::RngCore;
use serde_json::Value;
use tracing::field::Empty;

use super::engine::{create_order, set_open_target, OrderRequest};
use super::lnurl_channel::{hub_uri, lnurl_callback, lnurl_channel};
use super::model::{OrderApi, OrderState, Refusal};
use super::onchain;
use super::store::{self, OpenTarget, Order};
use super::v1_api::{
    parse_node_uri, Capacity, ChannelService, Finalised, NodeInfo, NodeSummary, OrderAnswer,
    OrderContext, OrderView, Quote, Rate, V1Error, V1Input,
};
use super::LspService;
use crate::notify::guard::check_url;

/// The one product: channel liquidity. Its id is stable per node (24 hex, as Mongo ids were).
pub fn product_id(state: &LspService) -> String {
    let digest =
        sha256::Hash::hash(format!("channel-liquidity:{}", state.hub.node.node_id()).as_bytes());
    hex::encode(&digest.to_byte_array()[..12])
}

/// Whole US dollars of `sat` at the configured price (display only), if one is configured.
fn usd(state: &LspService, sat: u64) -> Option<u64> {
    let price = state.config.usd_per_btc?;
    u64::try_from(u128::from(sat) * u128::from(price) / 100_000_000).ok()
}

/// `GET /node/info`.
#[tracing::instrument(skip_all)]
pub async fn node_info(State(state): State<LspService>) -> Json<NodeInfo> {
    let limits = &state.config.limits;
    let channels: Vec<_> = state
        .hub
        .node
        .channels()
        .into_iter()
        .filter(|c| c.usable)
        .collect();
    let public: Vec<_> = channels.iter().filter(|c| c.public).collect();
    let local: u64 = public.iter().map(|c| c.outbound.0 / 1_000).sum();
    let remote: u64 = public.iter().map(|c| c.inbound.0 / 1_000).sum();
    let order_states: BTreeMap<&'static str, i64> = OrderState::ALL
        .iter()
        .map(|(name, s)| (*name, s.number()))
        .collect();
    let spendable = state.hub.node.onchain_balance().spendable.0;
    let spending = limits.max_channel_sat.saturating_sub(100_000);
    Json(NodeInfo {
        node_info: NodeSummary {
            alias: state.hub.node.alias().map(str::to_string),
            active_channels_count: channels.len(),
            uris: vec![hub_uri(&state)],
            public_key: state.hub.node.node_id().to_string(),
        },
        capacity: Capacity {
            local_balance: local,
            remote_balance: remote,
        },
        services: vec![ChannelService {
            available: spendable > limits.min_channel_sat,
            description: "Channel Liquidity",
            product_id: product_id(&state),
            min_channel_size: limits.min_channel_sat,
            max_channel_size: limits.max_channel_sat,
            min_chan_expiry: limits.min_expiry_weeks,
            max_chan_expiry: limits.max_expiry_weeks,
            max_node_usd_capacity: None,
            order_states,
            max_chan_receiving: limits.max_channel_sat.to_string(),
            max_chan_receiving_usd: usd(&state, limits.max_channel_sat).map(|d| d.to_string()),
            max_chan_spending: spending.to_string(),
            max_chan_spending_usd: usd(&state, spending),
        }],
    })
}

/// `GET /rate` (not in the seed; Blocktank's own client reads it in `getRates`): the price of one
/// bitcoin the LSP quotes USD fields in (`--lsp-usd-per-btc`), or no rate without one.
pub async fn rate(State(state): State<LspService>) -> Json<Vec<Rate>> {
    Json(
        state
            .config
            .usd_per_btc
            .map(|usd| Rate("tBTCUSD", usd))
            .into_iter()
            .collect(),
    )
}

/// `POST /channel/buy`: a quote and its hold invoice. Validation in the original's order.
#[tracing::instrument(skip_all, fields(order_id = Empty))]
pub async fn buy(State(state): State<LspService>, input: V1Input) -> Result<Json<Quote>, V1Error> {
    let limits = &state.config.limits;
    let weeks = input
        .whole(&["channel_expiry"])
        .filter(|w| (limits.min_expiry_weeks..=limits.max_expiry_weeks).contains(w))
        .ok_or(V1Error::Refused("Invalid channel expiry"))?;
    let (Some(local), Some(remote)) = (
        input.whole(&["local_balance", "local_amount"]),
        input.whole(&["remote_balance", "remote_amount"]),
    ) else {
        return Err(V1Error::Refused("Invalid channel balance requested"));
    };
    if local
        .checked_add(remote)
        .is_none_or(|c| c > limits.max_channel_sat)
    {
        return Err(V1Error::Refused("Requested channel capacity is too large"));
    }
    if local <= remote {
        return Err(V1Error::Refused(
            "Local balance must be bigger than remote balance",
        ));
    }
    let product = input
        .text(&["product_id"])
        .ok_or(V1Error::Refused("Invalid params"))?;
    if product.len() != 24 || !product.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(V1Error::Refused("Failed to find product"));
    }
    if !product.eq_ignore_ascii_case(&product_id(&state)) {
        return Err(V1Error::Refused("Not in stock"));
    }
    // A boltworks extension: where to POST the order's state changes.
    let webhook_url = match input.get(&["webhook_url"]) {
        None | Some(Value::Null) => None,
        Some(Value::String(url)) if check_url(url, true).is_ok() => Some(url.clone()),
        Some(_) => return Err(V1Error::Refused("Invalid webhook_url")),
    };
    let mut id = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut id);
    let id = hex::encode(id);
    tracing::Span::current().record("order_id", id.as_str());
    let request = OrderRequest {
        lsp_sat: local,
        client_sat: remote,
        weeks,
        request_echo: None,
        webhook_url,
    };
    let order = create_order(&state, OrderApi::V1, id, request)
        .await
        .map_err(V1Error::internal)?
        .map_err(|refusal| match refusal {
            Refusal::AmountsTooLarge => V1Error::Refused("Requested channel capacity is too large"),
            Refusal::CannotFundNow => V1Error::Refused("Service is not available at this time."),
            // Quoting refuses nothing else.
            other => V1Error::Internal(format!("unexpected refusal of a quote: {other:?}")),
        })?;
    let lnurl = lnurl_channel(&state, &order.id);
    Ok(Json(Quote::of(&order, lnurl)))
}

/// The order `id`, if it is one (ids that cannot be one never reach the database).
pub(super) async fn find(state: &LspService, id: &str) -> Result<Option<Order>, sqlx::Error> {
    // Order ids are hex or UUIDs: anything else is no order.
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Ok(None);
    }
    let mut conn = state.hub.store.pool().acquire().await?;
    store::order(&mut conn, id).await
}

/// Sets the buyer's node; the shared step of `manual_finalise` and the LNURL callback. The
/// buyer's node id.
pub(super) async fn finalise(
    state: &LspService,
    order_id: &str,
    node_uri: &str,
    announce: bool,
) -> Result<String, V1Error> {
    let order = find(state, order_id)
        .await?
        .ok_or(V1Error::Refused("Failed to find order"))?;
    if !matches!(order.state, OrderState::Paid | OrderState::UriSet) {
        return Err(V1Error::Refused("Order not paid or already claimed"));
    }
    let (pubkey, address) =
        parse_node_uri(node_uri).ok_or(V1Error::Refused("Node URI not valid"))?;
    let target = OpenTarget {
        pubkey,
        address: address.map(|a| a.to_string()),
        announce,
    };
    if !set_open_target(state, &order.id, &target, true).await? {
        return Err(V1Error::Refused("Order not paid or already claimed"));
    }
    Ok(target.pubkey)
}

/// `POST /channel/manual_finalise`: where to open the paid order's channel.
#[tracing::instrument(skip_all, fields(order_id = input.text(&["order_id"])))]
pub async fn manual_finalise(
    State(state): State<LspService>,
    input: V1Input,
) -> Result<Json<Finalised>, V1Error> {
    let order_id = input
        .text(&["order_id"])
        .ok_or(V1Error::Refused("Failed to find order"))?;
    let node_uri = input
        .text(&["node_uri"])
        .ok_or(V1Error::Refused("Node URI not valid"))?;
    // The original opened a public channel unless `private` was truthy.
    let private = input
        .flag(&["private"])
        .ok_or(V1Error::Refused("Invalid params"))?;
    let pubkey = finalise(&state, order_id, node_uri, !private).await?;
    Ok(Json(Finalised {
        order_id: order_id.to_string(),
        node_uri: pubkey,
    }))
}

fn live_balances(state: &LspService, order: &Order) -> Option<(u64, u64)> {
    let ucid = order.channel.user_channel_id.as_deref()?;
    let channel = state.hub.node.channel(ucid.parse().ok()?)?;
    Some((channel.outbound.0 / 1_000, channel.inbound.0 / 1_000))
}

/// `GET /channel/order?order_id=ID[,ID...]`: one order, or several (fewer than 50) as an array.
#[tracing::instrument(skip_all, fields(order_id = input.text(&["order_id"])))]
pub async fn order(
    State(state): State<LspService>,
    input: V1Input,
) -> Result<Json<OrderAnswer>, V1Error> {
    let ids = input
        .text(&["order_id"])
        .filter(|s| !s.is_empty())
        .ok_or(V1Error::Refused("Order id not passed"))?;
    let ids: Vec<&str> = ids.split(',').map(str::trim).collect();
    if ids.len() >= 50 {
        return Err(V1Error::Refused("Too many order ids"));
    }
    let mut views = Vec::new();
    let (product, uri, callback) = (product_id(&state), hub_uri(&state), lnurl_callback(&state));
    for id in &ids {
        if let Some(order) = find(&state, id).await? {
            let lnurl = lnurl_channel(&state, &order.id);
            let receipts = onchain::receipts(&state, &order).await;
            let ctx = OrderContext {
                product_id: &product,
                lnurl: &lnurl,
                uri: &uri,
                callback: &callback,
                live_balances: live_balances(&state, &order),
                receipts: &receipts,
            };
            views.push(OrderView::of(&order, &ctx));
        }
    }
    match views.len() {
        0 => Err(V1Error::Refused("Order not found")),
        _ if ids.len() == 1 => Ok(Json(OrderAnswer::One(Box::new(views.remove(0))))),
        _ => Ok(Json(OrderAnswer::Several(views))),
    }
}
