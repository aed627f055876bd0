//! LSPS1 v0.0.2 handlers, one file per job: the info (`info`), creating an order (`create`), the
//! order's views and LNURL (`orders`, with the seed's older flat view `GET /lsp/channel?id=`), the
//! synchronous `/open` (`open`) and `/refund` (`refund`). All are views of the one order engine.

mod create;
mod info;
mod open;
mod orders;
mod refund;

pub use self::create::create;
pub use self::info::info;
pub use self::open::open;
pub use self::orders::{flat, get, lnurl};
pub use self::refund::{refund, refund_status};

use super::lnurl_channel::hub_uri;
use super::lsps1_api::{Lsps1Error, ViewContext};
use super::store::{self, Order};
use super::LspService;
use super::{model, onchain};
use crate::treasury::Receipt;

/// The order `id`, or LSPS1's 404.
async fn find(state: &LspService, id: &str) -> Result<Order, Lsps1Error> {
    if !model::is_order_id(id) {
        return Err(Lsps1Error::NotFound);
    }
    let mut conn = state.hub.store.pool().acquire().await?;
    store::order(&mut conn, id)
        .await?
        .ok_or(Lsps1Error::NotFound)
}

/// What the views of `order` need from the node and the treasury.
struct Surroundings {
    lsp_uri: String,
    scid: Option<u64>,
    receipts: Vec<Receipt>,
}

impl Surroundings {
    async fn of(state: &LspService, order: &Order) -> Self {
        let scid = order
            .channel
            .user_channel_id
            .as_deref()
            .and_then(|ucid| state.hub.node.channel(ucid.parse().ok()?))
            .and_then(|channel| channel.short_channel_id);
        Self {
            lsp_uri: hub_uri(state),
            scid,
            receipts: onchain::receipts(state, order).await,
        }
    }

    fn context(&self) -> ViewContext<'_> {
        ViewContext {
            lsp_uri: &self.lsp_uri,
            scid: self.scid,
            receipts: &self.receipts,
        }
    }
}
