//! The escrow v2 endpoints, by job: sessions (`setuser`, `login`, `extend-session`),
//! transactions (`settx`, `gettx`, `getallusertxs`, `setinvoice`), the status steps
//! (`buyerpaid`, `confirmpayment`, `goodssent`, `goodsreceived`, `getpreimage`), disputes
//! (`dispute`, and the operator's resolution) and webhooks (`setwebhook`). Each handler reads
//! its fields, authenticates the session, checks the model's rules, calls the store and answers
//! with the reply type of `api`. What they share lives here: the session check, the caller's
//! roles in a transaction, and [`announce`], which commits a change with its notices.

mod disputes;
mod sessions;
mod steps;
mod transactions;
mod webhooks;

use axum::Json;

pub use self::disputes::{dispute, resolve};
pub use self::sessions::{extend_session, login, setuser};
pub use self::steps::{buyerpaid, confirmpayment, getpreimage, goodsreceived, goodssent};
pub use self::transactions::{getallusertxs, gettx, setinvoice, settx};
pub use self::webhooks::setwebhook;

use super::api::{EscrowError, EscrowInput};
use super::model::{Refusal, Roles};
use super::notices::{self, Notice};
use super::store::{self, EscrowTx};
use super::EscrowService;
use crate::auth;

/// What a handler answers.
type Answer<T> = Result<Json<T>, EscrowError>;

/// The user of the request's `session_id`, recorded on the request's span.
async fn authenticate(state: &EscrowService, input: &EscrowInput) -> Result<i64, EscrowError> {
    let key = input.required_text("session_id")?;
    let user = store::session_user(
        &state.hub.store,
        &auth::session_key_hash(&key),
        state.hub.clock.now_unix(),
    )
    .await?
    .ok_or(Refusal::InvalidSession)?;
    tracing::Span::current().record("user", user);
    Ok(user)
}

/// The transaction and the caller's roles in it (one account may be both seller and buyer, as
/// the original documented for services); strangers learn nothing, not even existence. Records
/// the transaction id on the request's span.
async fn tx_for(
    state: &EscrowService,
    user: i64,
    tx_id: i64,
) -> Result<(EscrowTx, Roles), EscrowError> {
    tracing::Span::current().record("tx", tx_id);
    let tx = store::get_tx(state.hub.store.pool(), tx_id)
        .await?
        .ok_or(Refusal::TxNotFound)?;
    let roles = Roles::of(user, tx.seller_id, tx.buyer_id)?;
    Ok((tx, roles))
}

/// Finishes a change made in `db`: reads the transaction as it now is, writes its notice to the
/// outbox in the same database transaction, commits, and wakes the delivery workers.
async fn announce(
    state: &EscrowService,
    mut db: sqlx::Transaction<'_, sqlx::Any>,
    tx_id: i64,
    notice: Notice,
) -> Result<EscrowTx, EscrowError> {
    let tx = store::get_tx(&mut *db, tx_id)
        .await?
        .ok_or(Refusal::TxNotFound)?;
    notices::enqueue(&mut db, &state.hub.clock, &tx, notice).await?;
    db.commit().await?;
    state.hub.notifier.outbox_committed();
    Ok(tx)
}
