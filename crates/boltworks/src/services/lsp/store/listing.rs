//! Channel orders for the operator's console: newest first, by state, a page at a time.

use serde::Serialize;

use super::super::model::OrderState;
use crate::store::Store;

/// One order, as the console lists it.
#[derive(Debug, Clone, Serialize)]
pub struct OrderRow {
    /// The order id.
    pub id: String,
    /// Which API made it.
    pub api: String,
    /// Its state's name (v0.0.1's names).
    pub state: String,
    /// The LSP's side of the channel.
    pub lsp_balance_sat: i64,
    /// The fee.
    pub fee_sat: i64,
    /// What the buyer pays.
    pub total_sat: i64,
    /// Paid on chain, if so.
    pub onchain_paid_sat: Option<i64>,
    /// The refund, if any.
    pub refund_state: Option<String>,
    /// When it was made (unix seconds).
    pub created_at: i64,
}

type Row = (
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    i64,
);

/// Up to `limit` orders made before `before` (all when `None`), in `state` if given.
pub async fn list(
    store: &Store,
    state: Option<OrderState>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<OrderRow>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, api, state, lsp_balance_sat, fee_sat, total_sat, onchain_paid_sat,
                refund_state, created_at
         FROM lsp_orders
         WHERE ($1 < 0 OR state = $1) AND created_at < $2
         ORDER BY created_at DESC, id LIMIT $3",
    )
    .bind(state.map_or(-1, OrderState::number))
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, api, state, lsp, fee, total, onchain, refund, created_at)| OrderRow {
                id,
                api,
                state: OrderState::from_number(state)
                    .map_or_else(|| state.to_string(), |s| s.name().to_string()),
                lsp_balance_sat: lsp,
                fee_sat: fee,
                total_sat: total,
                onchain_paid_sat: onchain,
                refund_state: refund,
                created_at,
            },
        )
        .collect())
}
