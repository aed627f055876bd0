//! Transactions: the seller creates one (`settx`, the hub makes its preimage), either party
//! reads them (`gettx`, `getallusertxs`), and the seller submits the invoice (`setinvoice`).

use axum::extract::State;
use axum::Json;
use bitcoin::hashes::{sha256, Hash};
use rand::RngCore;

use super::{announce, authenticate, tx_for, Answer, EscrowError, EscrowInput};
use crate::services::escrow::api::{StoredTx, TxReply};
use crate::services::escrow::model::{self, InvoiceTerms, Refusal, TX_LIFETIME_SECS};
use crate::services::escrow::notices::Notice;
use crate::services::escrow::store::{self, NewTx};
use crate::services::escrow::EscrowService;

/// `settx`: the seller creates a transaction; the hub makes its preimage.
#[tracing::instrument(skip_all, fields(user = tracing::field::Empty, tx = tracing::field::Empty))]
pub async fn settx(State(state): State<EscrowService>, input: EscrowInput) -> Answer<TxReply<i64>> {
    let seller = authenticate(&state, &input).await?;
    let amount = input.amount()?;
    let buyer_email = input.required_text("buyer_email")?;
    let goods = input.text_or_na("goods_or_services")?;
    let title = input.text_or_na("title")?;
    let description = input.text_or_na("description")?;
    let fee_payer = input.text_or_na("fee_payer")?;
    let mut preimage = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut preimage);
    let pmthash = hex::encode(sha256::Hash::hash(&preimage).to_byte_array());
    let now = state.hub.clock.now_unix();
    let new = NewTx {
        seller_id: seller,
        buyer_email: &buyer_email,
        goods_or_services: &goods,
        title: &title,
        description: &description,
        fee_payer: &fee_payer,
        amount,
        pmthash: &pmthash,
        preimage: &hex::encode(preimage),
        created_at: now,
        expires_at: now + TX_LIFETIME_SECS,
    };
    let mut created = None;
    for _ in 0..5 {
        let mut db = state.hub.store.pool().begin().await?;
        // `None`: the next id was taken meanwhile; the transaction rolls back and we retry.
        if let Some(id) = store::create_tx(&mut db, &new).await? {
            created = Some(announce(&state, db, id, Notice::Created).await?);
            break;
        }
    }
    let tx = created
        .ok_or_else(|| EscrowError::Internal("could not allocate a transaction id".into()))?;
    tracing::Span::current().record("tx", tx.id);
    tracing::info!(amount_sat = amount.0, "escrow transaction created");
    Ok(Json(TxReply::created(&tx)))
}

/// `getallusertxs`: the caller's transactions, as a bare array.
#[tracing::instrument(skip_all, fields(user = tracing::field::Empty))]
pub async fn getallusertxs(
    State(state): State<EscrowService>,
    input: EscrowInput,
) -> Answer<Vec<StoredTx>> {
    let user = authenticate(&state, &input).await?;
    let txs = store::txs_of_user(&state.hub.store, user).await?;
    Ok(Json(txs.iter().map(StoredTx::from).collect()))
}

/// `gettx`: one transaction, bare.
#[tracing::instrument(skip_all, fields(user = tracing::field::Empty, tx = tracing::field::Empty))]
pub async fn gettx(State(state): State<EscrowService>, input: EscrowInput) -> Answer<StoredTx> {
    let user = authenticate(&state, &input).await?;
    let (tx, _) = tx_for(&state, user, input.tx()?).await?;
    Ok(Json(StoredTx::from(&tx)))
}

/// `setinvoice`: the seller submits a BOLT11 invoice for `pmthash` and exactly the amount.
#[tracing::instrument(skip_all, fields(user = tracing::field::Empty, tx = tracing::field::Empty))]
pub async fn setinvoice(
    State(state): State<EscrowService>,
    input: EscrowInput,
) -> Answer<TxReply<String>> {
    let user = authenticate(&state, &input).await?;
    let (tx, roles) = tx_for(&state, user, input.tx()?).await?;
    if !roles.seller {
        return Err(Refusal::OnlySellerSetsInvoice.into());
    }
    let text = input.required_text("invoice")?;
    let terms = InvoiceTerms {
        pmthash: &tx.pmthash,
        amount: tx.amount_sat,
        has_invoice: tx.invoice.is_some(),
    };
    let invoice = model::check_invoice(&text, terms, state.hub.network, &state.hub.clock)?;
    let mut db = state.hub.store.pool().begin().await?;
    if !store::set_invoice(&mut db, tx.id, user, &invoice).await? {
        return Err(Refusal::InvoiceNotTaken.into());
    }
    let tx = announce(&state, db, tx.id, Notice::InvoiceAdded).await?;
    Ok(Json(TxReply::changed(&tx)))
}
