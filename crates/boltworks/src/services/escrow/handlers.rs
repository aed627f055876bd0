//! The escrow v2 endpoints. Each reads its fields, authenticates the session, checks the model,
//! and calls the store; answers keep the original's shapes.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::Json;
use bitcoin::hashes::{sha256, Hash};
use rand::RngCore;
use serde_json::{json, Value};

use super::api::EscrowInput;
use super::error::EscrowError;
use super::model::{Action, Refusal, Role, Roles, Status};
use super::notices::{self, Notice};
use super::store::{self, EscrowTx, InvoiceFacts, NewTx};
use super::EscrowService;
use crate::auth;
use crate::node::{Invoice, InvoiceProblem};

/// A session lasts 14 days, as the documentation says.
const SESSION_SECS: i64 = 14 * 24 * 3600;
/// `extend-session` moves the expiry to this fixed time (2038), as the original did.
const EXTENDED_EXPIRY: i64 = 2_176_860_314;
/// A transaction's informational expiry: 2 weeks after creation.
const TX_LIFETIME_SECS: i64 = 14 * 24 * 3600;
/// Largest final CLTV delta accepted in an invoice (two weeks of blocks).
const MAX_FINAL_CLTV_DELTA: u64 = 2_016;
/// Longest accepted email address (RFC 5321's path limit).
const MAX_EMAIL: usize = 254;
/// Longest accepted password.
const MAX_PASSWORD: usize = 1_000;

type Answer = Result<Json<Value>, EscrowError>;

async fn authenticate(state: &EscrowService, input: &EscrowInput) -> Result<i64, EscrowError> {
    let key = input.required_text("session_id")?;
    store::session_user(
        &state.hub.store,
        &auth::session_key_hash(&key),
        state.hub.clock.now_unix(),
    )
    .await?
    .ok_or_else(|| EscrowError::refused("invalid session"))
}

/// The transaction and the caller's roles in it (one account may be both seller and buyer, as
/// the original documented for services); strangers learn nothing, not even existence.
async fn tx_for(
    state: &EscrowService,
    user: i64,
    tx_id: i64,
) -> Result<(EscrowTx, Roles), EscrowError> {
    let tx = store::get_tx(&state.hub.store, tx_id)
        .await?
        .ok_or_else(|| EscrowError::refused("transaction not found"))?;
    let roles = Roles {
        seller: tx.seller_id == user,
        buyer: tx.buyer_id == Some(user),
    };
    if !roles.seller && !roles.buyer {
        return Err(EscrowError::refused("transaction not found"));
    }
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
    let tx = store::fetch_tx(&mut db, tx_id)
        .await?
        .ok_or_else(|| EscrowError::refused("transaction not found"))?;
    notices::enqueue(&mut db, &state.hub.clock, &tx, notice).await?;
    db.commit().await?;
    state.hub.notifier.outbox_committed();
    Ok(tx)
}

async fn new_session(state: &EscrowService, user: i64) -> Answer {
    let key = auth::new_session_key();
    let expiry = state.hub.clock.now_unix() + SESSION_SECS;
    store::create_session(
        &state.hub.store,
        &auth::session_key_hash(&key),
        user,
        expiry,
    )
    .await?;
    Ok(Json(
        json!({"status": "success", "session": key, "id": user.to_string(), "expiry": expiry.to_string()}),
    ))
}

fn credentials(input: &EscrowInput) -> Result<(String, String), EscrowError> {
    let email = input.required_text("email")?.trim().to_lowercase();
    if email.len() > MAX_EMAIL {
        return Err(EscrowError::refused(format!(
            "email is longer than {MAX_EMAIL} characters"
        )));
    }
    let password = input.required_text("password")?;
    if password.len() > MAX_PASSWORD {
        return Err(EscrowError::refused(format!(
            "password is longer than {MAX_PASSWORD} characters"
        )));
    }
    Ok((email, password))
}

/// Checks a password, counting failures against the email and the client address.
async fn check_login(
    state: &EscrowService,
    email: &str,
    address: SocketAddr,
    password: String,
    stored: Option<String>,
) -> Result<bool, EscrowError> {
    let logins = &state.logins;
    // The attempt counts before the (slow) password check, so parallel guesses cannot all slip
    // under the limit; a success gives it back.
    if let Err(wait) = logins.reserve(&state.hub.clock, email, address.ip()) {
        return Err(EscrowError::refused(format!(
            "too many failed logins; try again in {} minutes",
            (wait + 59) / 60
        )));
    }
    let ok = match stored {
        Some(stored) => check_password(password, stored).await?,
        None => false,
    };
    if ok {
        logins.succeeded(email, address.ip());
    }
    Ok(ok)
}

async fn check_password(password: String, stored: String) -> Result<bool, EscrowError> {
    tokio::task::spawn_blocking(move || auth::verify_password(&password, &stored))
        .await
        .map_err(|e| EscrowError::Internal(e.to_string()))
}

/// Attaches `user` as buyer of `tx_id` when the transaction has none (the seller may be its own
/// buyer: the original documented one account acting for a service's users).
async fn attach_buyer(state: &EscrowService, user: i64, tx_id: i64) -> Result<(), EscrowError> {
    let tx = store::get_tx(&state.hub.store, tx_id)
        .await?
        .ok_or_else(|| EscrowError::refused("transaction not found"))?;
    if tx.buyer_id == Some(user) {
        return Ok(());
    }
    if !store::attach_buyer(&state.hub.store, tx_id, user).await? {
        return Err(EscrowError::refused("this transaction already has a buyer"));
    }
    Ok(())
}

/// `setuser`: create a user (an existing email with the same password logs in).
pub async fn setuser(
    State(state): State<EscrowService>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    input: EscrowInput,
) -> Answer {
    let (email, password) = credentials(&input)?;
    let tx = input.optional_tx()?;
    if let Some((id, stored)) = store::find_user(&state.hub.store, &email).await? {
        if !check_login(&state, &email, address, password, Some(stored)).await? {
            return Err(EscrowError::refused("user already exists"));
        }
        if let Some(tx) = tx {
            attach_buyer(&state, id, tx).await?;
        }
        return new_session(&state, id).await;
    }
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| EscrowError::Internal(e.to_string()))?
        .map_err(|e| EscrowError::Internal(e.to_string()))?;
    let id = store::create_user(&state.hub.store, &email, &hash, state.hub.clock.now_unix())
        .await?
        .ok_or_else(|| EscrowError::refused("user already exists"))?;
    if let Some(tx) = tx {
        attach_buyer(&state, id, tx).await?;
    }
    new_session(&state, id).await
}

/// `login`: a new session; with `tx`, also attach the caller as that transaction's buyer.
pub async fn login(
    State(state): State<EscrowService>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    input: EscrowInput,
) -> Answer {
    let (email, password) = credentials(&input)?;
    let tx = input.optional_tx()?;
    // Unknown email and wrong password answer alike (and count alike), so emails cannot be probed.
    let user = store::find_user(&state.hub.store, &email).await?;
    let stored = user.as_ref().map(|(_, stored)| stored.clone());
    if !check_login(&state, &email, address, password, stored).await? {
        return Err(EscrowError::refused("wrong password"));
    }
    let Some((id, _)) = user else {
        return Err(EscrowError::refused("wrong password"));
    };
    if let Some(tx) = tx {
        attach_buyer(&state, id, tx).await?;
    }
    new_session(&state, id).await
}

/// `extend-session`: the session becomes a long-lived API key (expiry in 2038).
pub async fn extend_session(State(state): State<EscrowService>, input: EscrowInput) -> Answer {
    let key = input.required_text("session_id")?;
    let user = store::extend_session(
        &state.hub.store,
        &auth::session_key_hash(&key),
        state.hub.clock.now_unix(),
        EXTENDED_EXPIRY,
    )
    .await?
    .ok_or_else(|| EscrowError::refused("invalid session"))?;
    Ok(Json(
        json!({"status": "success", "user": user.to_string(), "session_id": key, "expiry": EXTENDED_EXPIRY.to_string()}),
    ))
}

/// `settx`: the seller creates a transaction; the hub makes its preimage.
pub async fn settx(State(state): State<EscrowService>, input: EscrowInput) -> Answer {
    let seller = authenticate(&state, &input).await?;
    let amount_sat = input.amount_sat()?;
    let buyer_email = input.required_text("buyer_email")?;
    let or_na = |name: &str| -> Result<String, EscrowError> {
        Ok(input.text(name)?.unwrap_or_else(|| "n/a".into()))
    };
    let mut preimage = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut preimage);
    let pmthash = hex::encode(sha256::Hash::hash(&preimage).to_byte_array());
    let now = state.hub.clock.now_unix();
    let (goods, title, description, fee_payer) = (
        or_na("goods_or_services")?,
        or_na("title")?,
        or_na("description")?,
        or_na("fee_payer")?,
    );
    let new = NewTx {
        seller_id: seller,
        buyer_email: &buyer_email,
        goods_or_services: &goods,
        title: &title,
        description: &description,
        fee_payer: &fee_payer,
        amount_sat,
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
    tracing::info!(tx = tx.id, seller, amount_sat, "escrow transaction created");
    Ok(Json(
        json!({"status": "success", "data": tx.data_object(true)}),
    ))
}

/// `getallusertxs`: the caller's transactions, as a bare array.
pub async fn getallusertxs(State(state): State<EscrowService>, input: EscrowInput) -> Answer {
    let user = authenticate(&state, &input).await?;
    let txs = store::txs_of_user(&state.hub.store, user).await?;
    Ok(Json(Value::Array(
        txs.iter().map(EscrowTx::stored_object).collect(),
    )))
}

/// `gettx`: one transaction, bare.
pub async fn gettx(State(state): State<EscrowService>, input: EscrowInput) -> Answer {
    let user = authenticate(&state, &input).await?;
    let (tx, _) = tx_for(&state, user, input.tx()?).await?;
    Ok(Json(tx.stored_object()))
}

/// `setinvoice`: the seller submits a BOLT11 invoice for `pmthash` and exactly the amount.
pub async fn setinvoice(State(state): State<EscrowService>, input: EscrowInput) -> Answer {
    let user = authenticate(&state, &input).await?;
    let (tx, roles) = tx_for(&state, user, input.tx()?).await?;
    if !roles.seller {
        return Err(EscrowError::refused("only the seller can set the invoice"));
    }
    let text = input.required_text("invoice")?;
    let invoice = Invoice::parse(&text).map_err(|e| EscrowError::refused(e.to_string()))?;
    invoice
        .check_usable(state.hub.network, &state.hub.clock)
        .map_err(|e| match e {
            InvoiceProblem::WrongNetwork { .. } => {
                EscrowError::refused(format!("wrong network: {e}"))
            }
            InvoiceProblem::Expired { .. } => {
                EscrowError::refused(format!("the invoice has expired: {e}"))
            }
        })?;
    if invoice.payment_hash().to_string() != tx.pmthash {
        return Err(EscrowError::refused("wrong payment hash, try again"));
    }
    let expected_msat = tx.amount_sat.saturating_mul(1_000);
    let amount_msat = invoice.amount().map(|a| a.0).ok_or_else(|| {
        EscrowError::refused(format!(
            "the invoice has no amount; it must be for exactly {} sats",
            tx.amount_sat
        ))
    })?;
    if i64::try_from(amount_msat).ok() != Some(expected_msat) {
        return Err(EscrowError::refused(format!("wrong amount: the invoice is for {amount_msat} msat, the transaction for {expected_msat} msat")));
    }
    if invoice.min_final_cltv_expiry_delta() > MAX_FINAL_CLTV_DELTA {
        return Err(EscrowError::refused(format!(
            "invalid invoice: its final CLTV delta is over {MAX_FINAL_CLTV_DELTA} blocks"
        )));
    }
    if tx.invoice.is_some() {
        return Err(EscrowError::refused(
            "this transaction already has an invoice",
        ));
    }
    let facts = InvoiceFacts {
        bolt11: text.trim(),
        amount_msat: expected_msat,
        expires_at: invoice.expires_at(),
        min_final_cltv_expiry_delta: i64::try_from(invoice.min_final_cltv_expiry_delta())
            .unwrap_or(i64::MAX),
        payee_node_id: invoice.payee().to_string(),
    };
    let mut db = state.hub.store.pool().begin().await?;
    if !store::set_invoice(&mut db, tx.id, user, &facts).await? {
        return Err(EscrowError::refused(
            "this transaction already has an invoice, or is too far along (received, settled, refunded or disputed) to take one",
        ));
    }
    let tx = announce(&state, db, tx.id, Notice::InvoiceAdded).await?;
    Ok(Json(
        json!({"status": "success", "data": tx.data_object(false)}),
    ))
}

async fn step(state: &EscrowService, input: &EscrowInput, action: Action) -> Answer {
    let user = authenticate(state, input).await?;
    let (tx, roles) = tx_for(state, user, input.tx()?).await?;
    let status = Status::parse(&tx.status)
        .ok_or_else(|| EscrowError::Internal(format!("unknown status {}", tx.status)))?;
    match action.allowed(roles, status) {
        Ok(()) => {}
        Err(Refusal::NotYours) => {
            let party = if action.actor() == Role::Buyer {
                "buyer"
            } else {
                "seller"
            };
            return Err(EscrowError::refused(format!(
                "only the {party} can do this"
            )));
        }
        Err(Refusal::WrongStatus(status)) => {
            return Err(EscrowError::refused(format!(
                "not allowed while the transaction is '{}'",
                status.as_str()
            )));
        }
    }
    // Conditional on the status just read: of two racing requests, one wins, the other is told.
    let mut db = state.hub.store.pool().begin().await?;
    if !store::transition(&mut db, tx.id, status.as_str(), action.target().as_str()).await? {
        return Err(EscrowError::refused(
            "the transaction changed meanwhile; read it again",
        ));
    }
    if action == Action::ConfirmPayment {
        // The seller must settle before the held HTLC's expiry: the height they report, or the
        // chain height now plus the invoice's final CLTV delta (the earliest it can expire).
        let reported = input.optional_height("htlc_expiry_height")?;
        let delta = tx.min_final_cltv_expiry_delta.unwrap_or(0);
        let settle_by = reported
            .unwrap_or_else(|| i64::from(state.hub.node.synced_height()).saturating_add(delta));
        store::set_settle_by(&mut db, tx.id, settle_by).await?;
    }
    let notice = match action {
        Action::BuyerPaid => Notice::BuyerPaid,
        Action::GoodsSent => Notice::GoodsSent,
        Action::GoodsReceived => Notice::GoodsReceived,
        Action::ConfirmPayment => Notice::PaymentConfirmed,
    };
    let tx = announce(state, db, tx.id, notice).await?;
    tracing::info!(tx = tx.id, status = %tx.status, "escrow status changed");
    Ok(Json(
        json!({"status": "success", "data": tx.data_object(false)}),
    ))
}

/// `buyerpaid` (buyer, optional).
pub async fn buyerpaid(State(state): State<EscrowService>, input: EscrowInput) -> Answer {
    step(&state, &input, Action::BuyerPaid).await
}

/// `confirmpayment` (seller).
pub async fn confirmpayment(State(state): State<EscrowService>, input: EscrowInput) -> Answer {
    step(&state, &input, Action::ConfirmPayment).await
}

/// `goodssent` (seller).
pub async fn goodssent(State(state): State<EscrowService>, input: EscrowInput) -> Answer {
    step(&state, &input, Action::GoodsSent).await
}

/// `goodsreceived` (buyer).
pub async fn goodsreceived(State(state): State<EscrowService>, input: EscrowInput) -> Answer {
    step(&state, &input, Action::GoodsReceived).await
}

/// `getpreimage` (seller, after `goods received`): the preimage, once the buyer confirmed.
pub async fn getpreimage(State(state): State<EscrowService>, input: EscrowInput) -> Answer {
    let user = authenticate(&state, &input).await?;
    let tx_id = input.tx()?;
    let nice_try = || EscrowError::refused("nice try!");
    let (_, roles) = tx_for(&state, user, tx_id).await.map_err(|_| nice_try())?;
    if !roles.seller {
        return Err(nice_try());
    }
    let mut db = state.hub.store.pool().begin().await?;
    let preimage = store::release_preimage(&mut db, tx_id, user, state.hub.clock.now_unix())
        .await?
        .ok_or_else(nice_try)?;
    let tx = announce(&state, db, tx_id, Notice::PreimageReleased).await?;
    tracing::info!(tx = tx_id, "escrow preimage released to the seller");
    Ok(Json(
        json!({"status": "success", "preimage": preimage, "data": tx.data_object(false)}),
    ))
}

/// Longest dispute reason.
const MAX_REASON: usize = 2_000;

/// `dispute` (extension): the seller or the buyer opens a dispute, which blocks `getpreimage`
/// until an operator resolves it.
pub async fn dispute(State(state): State<EscrowService>, input: EscrowInput) -> Answer {
    let user = authenticate(&state, &input).await?;
    let (tx, _) = tx_for(&state, user, input.tx()?).await?;
    let reason = input.required_text("reason")?;
    if reason.len() > MAX_REASON {
        return Err(EscrowError::refused(format!(
            "reason is longer than {MAX_REASON} characters"
        )));
    }
    let mut db = state.hub.store.pool().begin().await?;
    if !store::open_dispute(&mut db, tx.id, user, &reason, state.hub.clock.now_unix()).await? {
        return Err(EscrowError::refused(
            "a dispute is already open, or the transaction is settled",
        ));
    }
    let tx = announce(&state, db, tx.id, Notice::DisputeOpened).await?;
    tracing::info!(tx = tx.id, opened_by = user, "escrow dispute opened");
    Ok(Json(
        json!({"status": "success", "data": tx.data_object(false)}),
    ))
}

/// `setwebhook` (extension): a URL told of every status change of the caller's transactions;
/// an empty `url` removes it.
pub async fn setwebhook(State(state): State<EscrowService>, input: EscrowInput) -> Answer {
    let user = authenticate(&state, &input).await?;
    let url = input.text("url")?.filter(|u| !u.is_empty());
    if let Some(url) = &url {
        crate::notify::guard::check_url(url, true)
            .map_err(|e| EscrowError::refused(e.to_string()))?;
    }
    store::set_webhook(&state.hub.store, user, url.as_deref()).await?;
    Ok(Json(
        json!({"status": "success", "webhook": url.unwrap_or_default()}),
    ))
}

/// Resolves a transaction's open dispute for the operator. Returns the transaction.
pub async fn resolve(
    state: &EscrowService,
    tx_id: i64,
    resolution: store::Resolution,
    note: &str,
) -> Result<Option<EscrowTx>, EscrowError> {
    let mut db = state.hub.store.pool().begin().await?;
    if !store::resolve_dispute(&mut db, tx_id, resolution, note, state.hub.clock.now_unix()).await?
    {
        return Ok(None);
    }
    let notice = match resolution {
        store::Resolution::Release => Notice::Released,
        store::Resolution::Refund => Notice::Refunded,
    };
    let tx = announce(state, db, tx_id, notice).await?;
    tracing::warn!(
        tx = tx_id,
        resolution = resolution.as_str(),
        note,
        "escrow dispute resolved by the operator"
    );
    Ok(Some(tx))
}
