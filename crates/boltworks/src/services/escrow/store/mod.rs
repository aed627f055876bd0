//! Escrow's SQL, one file per aggregate: users, sessions, transactions (with their invoice and
//! status changes), preimages, disputes, webhooks and settle-by deadlines. Ids of users and
//! transactions are sequential from 0 (as the original numbered them): an insert takes
//! `MAX(id) + 1`, and of two racing PostgreSQL writers the loser meets the primary key and
//! retries. Every status change is a conditional UPDATE on the status it expects, so racing
//! requests cannot both win. Statuses and resolutions are bound as their enums.

mod deadlines;
mod disputes;
mod preimages;
mod sessions;
mod transactions;
mod users;
mod webhooks;

pub use self::deadlines::{claim_deadline_warnings, set_settle_by};
pub use self::disputes::{open_dispute, open_disputes, resolve_dispute, Dispute, OpenDispute};
pub use self::preimages::release_preimage;
pub use self::sessions::{create_session, extend_session, session_user};
pub use self::transactions::{
    attach_buyer, create_tx, get_tx, set_invoice, transition, txs_of_user, txs_page, EscrowTx,
    NewTx, SellerInvoice,
};
pub use self::users::{create_user, find_user, user_email, UserLogin};
pub use self::webhooks::{set_webhook, webhook_urls};
