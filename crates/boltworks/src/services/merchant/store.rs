//! The merchant hub's SQL. Writes that move money run inside the caller's transaction, and each
//! transaction that takes money starts with the conditional UPDATE that takes it (so SQLite
//! takes its write lock first and PostgreSQL locks the merchant's row).

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::store::Store;

/// A merchant account.
#[derive(Debug, Clone)]
pub struct Merchant {
    /// 24 alphanumeric characters (the PSS user id).
    pub merchant_id: String,
    /// Sign-in email.
    pub email: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Hex SEC key verifying the merchant's signatures.
    pub pubkey: Option<String>,
    /// Webhook for Lightning payments.
    pub notification_url: Option<String>,
    /// Webhook for on-chain payments.
    pub notification_url_on_chain: Option<String>,
    /// Withdrawal destination.
    pub bitcoin_address: Option<String>,
    /// Spendable balance, msat.
    pub balance_msat: i64,
}

fn merchant(row: &AnyRow) -> Result<Merchant, sqlx::Error> {
    Ok(Merchant {
        merchant_id: row.try_get("merchant_id")?,
        email: row.try_get("email")?,
        password_hash: row.try_get("password_hash")?,
        pubkey: row.try_get("pubkey")?,
        notification_url: row.try_get("notification_url")?,
        notification_url_on_chain: row.try_get("notification_url_on_chain")?,
        bitcoin_address: row.try_get("bitcoin_address")?,
        balance_msat: row.try_get("balance_msat")?,
    })
}

const MERCHANT_COLUMNS: &str = "merchant_id, email, password_hash, pubkey, notification_url, \
     notification_url_on_chain, bitcoin_address, balance_msat";

/// Registers a PSS user with its keys (a JSON array).
pub async fn insert_pss_user(
    store: &Store,
    user_id: &str,
    keys: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO merchant_pss_users (user_id, public_keys, created_at) VALUES ($1, $2, $3)",
    )
    .bind(user_id)
    .bind(keys)
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Whether the PSS issued `user_id`.
pub async fn pss_user_exists(store: &Store, user_id: &str) -> Result<bool, sqlx::Error> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT user_id FROM merchant_pss_users WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(store.pool())
            .await?;
    Ok(found.is_some())
}

/// Creates the merchant; `false` when the id or the email is taken.
pub async fn insert_merchant(
    store: &Store,
    merchant_id: &str,
    email: &str,
    password_hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO merchants (merchant_id, email, password_hash, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING",
    )
    .bind(merchant_id)
    .bind(email)
    .bind(password_hash)
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A merchant by id.
pub async fn merchant_by_id(store: &Store, id: &str) -> Result<Option<Merchant>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {MERCHANT_COLUMNS} FROM merchants WHERE merchant_id = $1"
    ))
    .bind(id)
    .fetch_optional(store.pool())
    .await?
    .as_ref()
    .map(merchant)
    .transpose()
}

/// A merchant by sign-in email.
pub async fn merchant_by_email(
    store: &Store,
    email: &str,
) -> Result<Option<Merchant>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {MERCHANT_COLUMNS} FROM merchants WHERE email = $1"
    ))
    .bind(email)
    .fetch_optional(store.pool())
    .await?
    .as_ref()
    .map(merchant)
    .transpose()
}

/// Sets the key that verifies the merchant's signatures.
pub async fn set_pubkey(
    store: &Store,
    id: &str,
    pubkey: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE merchants SET pubkey = $2, updated_at = $3 WHERE merchant_id = $1")
        .bind(id)
        .bind(pubkey)
        .bind(now)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// What merchant setup sets.
pub struct Setup<'a> {
    /// Hex key.
    pub pubkey: &'a str,
    /// Lightning webhook.
    pub notification_url: &'a str,
    /// On-chain webhook.
    pub notification_url_on_chain: &'a str,
    /// Forward webhook.
    pub notification_url_forward: &'a str,
    /// Preimage URL (kept, unused).
    pub preimage_url: Option<&'a str>,
    /// Withdrawal address.
    pub bitcoin_address: &'a str,
}

/// Applies merchant setup (repeatable).
pub async fn setup(store: &Store, id: &str, s: &Setup<'_>, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE merchants SET pubkey = $2, notification_url = $3, notification_url_on_chain = $4,
            notification_url_forward = $5, preimage_url = $6, bitcoin_address = $7, updated_at = $8
         WHERE merchant_id = $1",
    )
    .bind(id)
    .bind(s.pubkey)
    .bind(s.notification_url)
    .bind(s.notification_url_on_chain)
    .bind(s.notification_url_forward)
    .bind(s.preimage_url)
    .bind(s.bitcoin_address)
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Stores a refresh token (by hash).
pub async fn insert_refresh_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    merchant_id: &str,
    expires_at: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO merchant_refresh_tokens (token_hash, merchant_id, expires_at, created_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(merchant_id)
    .bind(expires_at)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What using a refresh token did.
pub enum RefreshUse {
    /// Used now, for this merchant.
    Used(String),
    /// No such token.
    Unknown,
    /// Used before.
    AlreadyUsed,
    /// Past its expiry.
    Expired,
}

/// Uses a refresh token, once: the first statement of the caller's transaction.
pub async fn use_refresh_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
) -> Result<RefreshUse, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE merchant_refresh_tokens SET used_at = $2
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query(
        "SELECT merchant_id, used_at, expires_at FROM merchant_refresh_tokens WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(RefreshUse::Unknown);
    };
    if done.rows_affected() == 1 {
        return Ok(RefreshUse::Used(row.try_get("merchant_id")?));
    }
    let used_at: Option<i64> = row.try_get("used_at")?;
    Ok(if used_at.is_some() {
        RefreshUse::AlreadyUsed
    } else {
        RefreshUse::Expired
    })
}

/// Adds to a merchant's spendable balance (its ledger posting is the caller's). `false` when
/// there is no such merchant.
pub async fn credit_balance(
    conn: &mut AnyConnection,
    merchant_id: &str,
    msat: i64,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE merchants SET balance_msat = balance_msat + $2 WHERE merchant_id = $1")
            .bind(merchant_id)
            .bind(msat)
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes `msat` from a merchant's balance if it covers it (one conditional UPDATE, so two
/// payments racing for the same money cannot both pass). `false` when it does not.
pub async fn take_balance(
    conn: &mut AnyConnection,
    merchant_id: &str,
    msat: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE merchants SET balance_msat = balance_msat - $2
         WHERE merchant_id = $1 AND balance_msat >= $2",
    )
    .bind(merchant_id)
    .bind(msat)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes the whole sats of a merchant's balance if they are at least `minimum_msat`: what was
/// taken (msat), or the balance that was too small. The msat remainder stays.
pub async fn take_whole_balance(
    conn: &mut AnyConnection,
    merchant_id: &str,
    minimum_msat: i64,
) -> Result<Result<i64, i64>, sqlx::Error> {
    // A write first: it takes the lock (SQLite's writer lock, PostgreSQL's row lock) before the
    // read, so no payment can change the balance in between.
    sqlx::query("UPDATE merchants SET updated_at = updated_at WHERE merchant_id = $1")
        .bind(merchant_id)
        .execute(&mut *conn)
        .await?;
    let balance: Option<i64> =
        sqlx::query_scalar("SELECT balance_msat FROM merchants WHERE merchant_id = $1")
            .bind(merchant_id)
            .fetch_optional(&mut *conn)
            .await?;
    let balance = balance.unwrap_or(0);
    let whole = balance / 1_000 * 1_000;
    if whole < minimum_msat || whole == 0 || !take_balance(conn, merchant_id, whole).await? {
        return Ok(Err(balance));
    }
    Ok(Ok(whole))
}

/// An incoming Lightning invoice.
#[derive(Debug, Clone)]
pub struct LightningInvoice {
    /// Hex payment hash (`r_hash`).
    pub payment_hash: String,
    /// Whose.
    pub merchant_id: String,
    /// Sats asked.
    pub amount_sat: i64,
    /// The hub's fee, sats.
    pub fee_sat: i64,
    /// Memo.
    pub description: String,
    /// BOLT11.
    pub payment_request: String,
    /// Seconds it can be paid.
    pub expiry: i64,
    /// Webhook override.
    pub ntfn_url: Option<String>,
    /// Paid.
    pub settled: bool,
    /// When paid.
    pub settle_date: Option<i64>,
    /// Created.
    pub created_at: i64,
}

fn lightning_invoice(row: &AnyRow) -> Result<LightningInvoice, sqlx::Error> {
    Ok(LightningInvoice {
        payment_hash: row.try_get("payment_hash")?,
        merchant_id: row.try_get("merchant_id")?,
        amount_sat: row.try_get("amount_sat")?,
        fee_sat: row.try_get("fee_sat")?,
        description: row.try_get("description")?,
        payment_request: row.try_get("payment_request")?,
        expiry: row.try_get("expiry")?,
        ntfn_url: row.try_get("ntfn_url")?,
        settled: row.try_get::<i64, _>("settled")? == PAID,
        settle_date: row.try_get("settle_date")?,
        created_at: row.try_get("created_at")?,
    })
}

const INVOICE_COLUMNS: &str = "payment_hash, merchant_id, amount_sat, fee_sat, description, \
     payment_request, expiry, ntfn_url, settled, settle_date, created_at";

/// `settled` of an invoice not paid yet.
const UNPAID: i64 = 0;
/// `settled` of a paid invoice.
const PAID: i64 = 1;
/// `settled` of an invoice whose payment the node holds, to be claimed.
const HELD: i64 = 2;

/// Records a new invoice with the preimage (hex) of its hold invoice.
pub async fn insert_invoice(
    store: &Store,
    i: &LightningInvoice,
    preimage: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO merchant_invoices (payment_hash, merchant_id, amount_sat, fee_sat, description,
            payment_request, expiry, ntfn_url, created_at, preimage)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&i.payment_hash)
    .bind(&i.merchant_id)
    .bind(i.amount_sat)
    .bind(i.fee_sat)
    .bind(&i.description)
    .bind(&i.payment_request)
    .bind(i.expiry)
    .bind(&i.ntfn_url)
    .bind(i.created_at)
    .bind(preimage)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// What a payment the node holds for an invoice means.
pub enum Hold {
    /// The invoice was unpaid: it is held now, to be claimed.
    Taken,
    /// Held already (the event is replayed): claim it.
    AlreadyHeld,
    /// Paid already (internally): the payment must go back.
    AlreadyPaid,
    /// Not a merchant invoice.
    NotOurs,
}

/// Marks an unpaid invoice held with `held_msat`, which from then on cannot be paid internally.
pub async fn hold_invoice(
    conn: &mut AnyConnection,
    payment_hash: &str,
    held_msat: i64,
) -> Result<Hold, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE merchant_invoices SET settled = $3, held_msat = $2 WHERE payment_hash = $1 AND settled = $4",
    )
    .bind(payment_hash)
    .bind(held_msat)
    .bind(HELD)
    .bind(UNPAID)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        return Ok(Hold::Taken);
    }
    let settled: Option<i64> =
        sqlx::query_scalar("SELECT settled FROM merchant_invoices WHERE payment_hash = $1")
            .bind(payment_hash)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(match settled {
        None => Hold::NotOurs,
        Some(HELD) => Hold::AlreadyHeld,
        Some(_) => Hold::AlreadyPaid,
    })
}

/// A payment the node holds for an invoice, to be claimed.
pub struct HeldInvoice {
    /// Hex payment hash.
    pub payment_hash: String,
    /// Hex preimage.
    pub preimage: String,
    /// What the node holds, msat.
    pub held_msat: i64,
}

/// Every invoice whose payment is held, to be claimed.
pub async fn held_invoices(store: &Store) -> Result<Vec<HeldInvoice>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT payment_hash, preimage, held_msat FROM merchant_invoices WHERE settled = $1",
    )
    .bind(HELD)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(HeldInvoice {
                payment_hash: row.try_get("payment_hash")?,
                preimage: row.try_get("preimage")?,
                held_msat: row.try_get::<Option<i64>, _>("held_msat")?.unwrap_or(0),
            })
        })
        .collect()
}

/// A held invoice whose payment the node failed back (it was not claimed in time): unpaid again.
pub async fn release_hold(store: &Store, payment_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE merchant_invoices SET settled = $2, held_msat = NULL WHERE payment_hash = $1 AND settled = $3",
    )
    .bind(payment_hash)
    .bind(UNPAID)
    .bind(HELD)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// An invoice by payment hash.
pub async fn invoice(
    conn: &mut AnyConnection,
    payment_hash: &str,
) -> Result<Option<LightningInvoice>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {INVOICE_COLUMNS} FROM merchant_invoices WHERE payment_hash = $1"
    ))
    .bind(payment_hash)
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(lightning_invoice)
    .transpose()
}

/// A merchant's invoices, newest first.
pub async fn invoices_of(
    store: &Store,
    merchant_id: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<LightningInvoice>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {INVOICE_COLUMNS} FROM merchant_invoices WHERE merchant_id = $1
         ORDER BY created_at DESC, payment_hash LIMIT $2 OFFSET $3"
    ))
    .bind(merchant_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(lightning_invoice)
    .collect()
}

/// How an invoice gets paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaidBy {
    /// The node claimed the payment it held.
    Lightning,
    /// Another merchant of this hub paid it (only while nothing is held for it).
    Internal,
}

/// Marks an invoice paid. `None` if it was paid already, or (internally) while the node holds
/// a payment for it.
pub async fn settle_invoice(
    conn: &mut AnyConnection,
    payment_hash: &str,
    by: PaidBy,
    now: i64,
) -> Result<Option<LightningInvoice>, sqlx::Error> {
    // Over Lightning the node claimed what it held; internally only while nothing is held.
    let (label, payable) = match by {
        PaidBy::Lightning => ("lightning", HELD),
        PaidBy::Internal => ("internal", UNPAID),
    };
    sqlx::query(&format!(
        "UPDATE merchant_invoices SET settled = $4, settled_by = $2, settle_date = $3
         WHERE payment_hash = $1 AND settled = $5 RETURNING {INVOICE_COLUMNS}"
    ))
    .bind(payment_hash)
    .bind(label)
    .bind(now)
    .bind(PAID)
    .bind(payable)
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(lightning_invoice)
    .transpose()
}

/// An outgoing payment.
#[derive(Debug, Clone)]
pub struct Payment {
    /// 48 hex.
    pub payment_id: String,
    /// Payer.
    pub merchant_id: String,
    /// `internal`, `lightning` or `on_chain`.
    pub kind: String,
    /// Amount, msat.
    pub amount_msat: i64,
    /// Reserved for routing fees, msat.
    pub fee_limit_msat: i64,
    /// Merchant id, invoice or address.
    pub destination: String,
    /// Lightning payment hash.
    pub payment_hash: Option<String>,
    /// `pending`, `succeeded`, `failed`.
    pub status: String,
    /// The hub node that sends it.
    pub payer_node: String,
}

fn payment(row: &AnyRow) -> Result<Payment, sqlx::Error> {
    Ok(Payment {
        payment_id: row.try_get("payment_id")?,
        merchant_id: row.try_get("merchant_id")?,
        kind: row.try_get("kind")?,
        amount_msat: row.try_get("amount_msat")?,
        fee_limit_msat: row.try_get("fee_limit_msat")?,
        destination: row.try_get("destination")?,
        payment_hash: row.try_get("payment_hash")?,
        status: row.try_get("status")?,
        payer_node: row.try_get("payer_node")?,
    })
}

const PAYMENT_COLUMNS: &str = "payment_id, merchant_id, kind, amount_msat, fee_limit_msat, \
     destination, payment_hash, status, payer_node";

/// Records an outgoing payment in `status`, with its description and webhook.
pub async fn insert_payment(
    conn: &mut AnyConnection,
    p: &Payment,
    description: Option<&str>,
    ntfn_url: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO merchant_payments (payment_id, merchant_id, kind, amount_msat, fee_limit_msat,
            destination, payment_hash, description, ntfn_url, status, payer_node, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
    )
    .bind(&p.payment_id)
    .bind(&p.merchant_id)
    .bind(&p.kind)
    .bind(p.amount_msat)
    .bind(p.fee_limit_msat)
    .bind(&p.destination)
    .bind(&p.payment_hash)
    .bind(description)
    .bind(ntfn_url)
    .bind(&p.status)
    .bind(&p.payer_node)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Ends a pending Lightning payment (by hash) as `succeeded` or `failed`; `None` if none was
/// pending (already ended, or not ours).
pub async fn finish_lightning_payment(
    conn: &mut AnyConnection,
    payment_hash: &str,
    status: &str,
    fee_paid_msat: Option<i64>,
    reason: Option<&str>,
    now: i64,
) -> Result<Option<Payment>, sqlx::Error> {
    sqlx::query(&format!(
        "UPDATE merchant_payments SET status = $2, fee_paid_msat = $3, failure_reason = $4, updated_at = $5
         WHERE payment_hash = $1 AND kind = 'lightning' AND status = 'pending'
         RETURNING {PAYMENT_COLUMNS}"
    ))
    .bind(payment_hash)
    .bind(status)
    .bind(fee_paid_msat)
    .bind(reason)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(payment)
    .transpose()
}

/// Sets the transaction of an on-chain payment.
pub async fn set_payment_txid(
    store: &Store,
    payment_id: &str,
    txid: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE merchant_payments SET txid = $2, status = 'succeeded', updated_at = $3 WHERE payment_id = $1",
    )
    .bind(payment_id)
    .bind(txid)
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Pending payments of `kind` sent by `payer_node`.
pub async fn pending_payments(
    store: &Store,
    kind: &str,
    payer_node: &str,
) -> Result<Vec<Payment>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {PAYMENT_COLUMNS} FROM merchant_payments
         WHERE status = 'pending' AND kind = $1 AND payer_node = $2"
    ))
    .bind(kind)
    .bind(payer_node)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(payment)
    .collect()
}

/// An incoming on-chain invoice.
#[derive(Debug, Clone)]
pub struct OnchainInvoice {
    /// 48 hex.
    pub invoice_id: String,
    /// Whose.
    pub merchant_id: String,
    /// Its own treasury address.
    pub btc_address: String,
    /// Sats asked; `None` for an open amount.
    pub amount_sat: Option<i64>,
    /// Memo.
    pub description: String,
    /// Webhook override.
    pub ntfn_url: Option<String>,
    /// `Pending`, `Settled`, `Canceled`.
    pub status: String,
    /// Confirmed sats received.
    pub paid_sat: i64,
    /// Sats a PARTIAL notice was last sent for.
    pub notified_partial_sat: i64,
    /// The hub's fee, once settled.
    pub fee_sat: Option<i64>,
    /// Refund transaction, once cancelled.
    pub refund_txid: Option<String>,
    /// Created.
    pub created_at: i64,
}

fn onchain_invoice(row: &AnyRow) -> Result<OnchainInvoice, sqlx::Error> {
    Ok(OnchainInvoice {
        invoice_id: row.try_get("invoice_id")?,
        merchant_id: row.try_get("merchant_id")?,
        btc_address: row.try_get("btc_address")?,
        amount_sat: row.try_get("amount_sat")?,
        description: row.try_get("description")?,
        ntfn_url: row.try_get("ntfn_url")?,
        status: row.try_get("status")?,
        paid_sat: row.try_get("paid_sat")?,
        notified_partial_sat: row.try_get("notified_partial_sat")?,
        fee_sat: row.try_get("fee_sat")?,
        refund_txid: row.try_get("refund_txid")?,
        created_at: row.try_get("created_at")?,
    })
}

const ONCHAIN_COLUMNS: &str = "invoice_id, merchant_id, btc_address, amount_sat, description, \
     ntfn_url, status, paid_sat, notified_partial_sat, fee_sat, refund_txid, created_at";

/// Records a new on-chain invoice.
pub async fn insert_onchain_invoice(store: &Store, i: &OnchainInvoice) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO merchant_onchain_invoices (invoice_id, merchant_id, btc_address, amount_sat,
            description, ntfn_url, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'Pending', $7, $7)",
    )
    .bind(&i.invoice_id)
    .bind(&i.merchant_id)
    .bind(&i.btc_address)
    .bind(i.amount_sat)
    .bind(&i.description)
    .bind(&i.ntfn_url)
    .bind(i.created_at)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// On-chain invoices in `status`.
pub async fn onchain_invoices_in(
    store: &Store,
    status: &str,
) -> Result<Vec<OnchainInvoice>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {ONCHAIN_COLUMNS} FROM merchant_onchain_invoices WHERE status = $1"
    ))
    .bind(status)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(onchain_invoice)
    .collect()
}

/// A merchant's on-chain invoices, newest first.
pub async fn onchain_invoices_of(
    store: &Store,
    merchant_id: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<OnchainInvoice>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {ONCHAIN_COLUMNS} FROM merchant_onchain_invoices WHERE merchant_id = $1
         ORDER BY created_at DESC, invoice_id LIMIT $2 OFFSET $3"
    ))
    .bind(merchant_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(onchain_invoice)
    .collect()
}

/// A merchant's on-chain invoice by address.
pub async fn onchain_invoice_by_address(
    store: &Store,
    merchant_id: &str,
    address: &str,
) -> Result<Option<OnchainInvoice>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {ONCHAIN_COLUMNS} FROM merchant_onchain_invoices
         WHERE merchant_id = $1 AND btc_address = $2"
    ))
    .bind(merchant_id)
    .bind(address)
    .fetch_optional(store.pool())
    .await?
    .as_ref()
    .map(onchain_invoice)
    .transpose()
}

/// Records what a pending invoice has received and the PARTIAL notice sent for it. `false` when
/// it is no longer pending.
pub async fn note_partial(
    conn: &mut AnyConnection,
    invoice_id: &str,
    paid_sat: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE merchant_onchain_invoices SET paid_sat = $2, notified_partial_sat = $2, updated_at = $3
         WHERE invoice_id = $1 AND status = 'Pending'",
    )
    .bind(invoice_id)
    .bind(paid_sat)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves a pending invoice to `Settled` (with what it received and the fee) or `Canceled`.
/// `false` when it is no longer pending.
pub async fn end_onchain_invoice(
    conn: &mut AnyConnection,
    invoice_id: &str,
    status: &str,
    paid_sat: i64,
    fee_sat: Option<i64>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE merchant_onchain_invoices SET status = $2, paid_sat = $3, fee_sat = $4, updated_at = $5
         WHERE invoice_id = $1 AND status = 'Pending'",
    )
    .bind(invoice_id)
    .bind(status)
    .bind(paid_sat)
    .bind(fee_sat)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the refund transaction of a cancelled invoice.
pub async fn set_refund_txid(
    store: &Store,
    invoice_id: &str,
    txid: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE merchant_onchain_invoices SET refund_txid = $2 WHERE invoice_id = $1")
        .bind(invoice_id)
        .bind(txid)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// A withdrawal of the whole balance.
#[derive(Debug, Clone)]
pub struct Withdrawal {
    /// UUID.
    pub withdrawal_id: String,
    /// Whose.
    pub merchant_id: String,
    /// Sats.
    pub amount_sat: i64,
    /// Destination.
    pub btc_address: String,
    /// `Pending`, `Processing`, `Withdrawn`, `Canceled`.
    pub status: String,
    /// The batch it went out in.
    pub batch_id: Option<String>,
    /// The batch transaction.
    pub txid: Option<String>,
    /// Unix ms.
    pub created_at_ms: i64,
    /// Unix ms.
    pub withdrawn_at_ms: Option<i64>,
}

fn withdrawal(row: &AnyRow) -> Result<Withdrawal, sqlx::Error> {
    Ok(Withdrawal {
        withdrawal_id: row.try_get("withdrawal_id")?,
        merchant_id: row.try_get("merchant_id")?,
        amount_sat: row.try_get("amount_sat")?,
        btc_address: row.try_get("btc_address")?,
        status: row.try_get("status")?,
        batch_id: row.try_get("batch_id")?,
        txid: row.try_get("txid")?,
        created_at_ms: row.try_get("created_at_ms")?,
        withdrawn_at_ms: row.try_get("withdrawn_at_ms")?,
    })
}

const WITHDRAWAL_COLUMNS: &str = "withdrawal_id, merchant_id, amount_sat, btc_address, status, \
     batch_id, txid, created_at_ms, withdrawn_at_ms";

/// Records a new withdrawal (`Pending`).
pub async fn insert_withdrawal(
    conn: &mut AnyConnection,
    w: &Withdrawal,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO merchant_withdrawals (withdrawal_id, merchant_id, amount_sat, btc_address, status, created_at_ms)
         VALUES ($1, $2, $3, $4, 'Pending', $5)",
    )
    .bind(&w.withdrawal_id)
    .bind(&w.merchant_id)
    .bind(w.amount_sat)
    .bind(&w.btc_address)
    .bind(w.created_at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A withdrawal by id.
pub async fn withdrawal_by_id(store: &Store, id: &str) -> Result<Option<Withdrawal>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {WITHDRAWAL_COLUMNS} FROM merchant_withdrawals WHERE withdrawal_id = $1"
    ))
    .bind(id)
    .fetch_optional(store.pool())
    .await?
    .as_ref()
    .map(withdrawal)
    .transpose()
}

/// Withdrawals in `status`, oldest first.
pub async fn withdrawals_in(store: &Store, status: &str) -> Result<Vec<Withdrawal>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {WITHDRAWAL_COLUMNS} FROM merchant_withdrawals WHERE status = $1
         ORDER BY created_at_ms, withdrawal_id"
    ))
    .bind(status)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(withdrawal)
    .collect()
}

/// Puts every pending withdrawal into batch `batch_id` (`Processing`); returns how many.
pub async fn start_batch(conn: &mut AnyConnection, batch_id: &str) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE merchant_withdrawals SET status = 'Processing', batch_id = $1 WHERE status = 'Pending'",
    )
    .bind(batch_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// Marks a batch's withdrawals `Withdrawn` in `txid`.
pub async fn finish_batch(
    store: &Store,
    batch_id: &str,
    txid: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE merchant_withdrawals SET status = 'Withdrawn', txid = $2, withdrawn_at_ms = $3
         WHERE batch_id = $1 AND status = 'Processing'",
    )
    .bind(batch_id)
    .bind(txid)
    .bind(now_ms)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Batches that were being sent when the hub stopped (each is sent again under its key).
pub async fn processing_batches(store: &Store) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT batch_id FROM merchant_withdrawals WHERE status = 'Processing' AND batch_id IS NOT NULL",
    )
    .fetch_all(store.pool())
    .await
}

/// The withdrawals of a batch.
pub async fn batch(store: &Store, batch_id: &str) -> Result<Vec<Withdrawal>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {WITHDRAWAL_COLUMNS} FROM merchant_withdrawals WHERE batch_id = $1
         ORDER BY created_at_ms, withdrawal_id"
    ))
    .bind(batch_id)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(withdrawal)
    .collect()
}

/// The sum of every merchant's spendable balance, msat.
pub async fn total_balances(store: &Store) -> Result<i64, sqlx::Error> {
    let sum: Option<i64> =
        sqlx::query_scalar("SELECT CAST(SUM(balance_msat) AS BIGINT) FROM merchants")
            .fetch_one(store.pool())
            .await?;
    Ok(sum.unwrap_or(0))
}

/// A merchant's Lightning webhook URL.
pub async fn merchant_url(
    conn: &mut AnyConnection,
    merchant_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let url: Option<Option<String>> =
        sqlx::query_scalar("SELECT notification_url FROM merchants WHERE merchant_id = $1")
            .bind(merchant_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(url.flatten())
}

/// An outgoing payment as `GET /payment/outgoing/{id}` shows it.
pub async fn payment_view(
    store: &Store,
    payment_id: &str,
) -> Result<Option<serde_json::Value>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT payment_id, merchant_id, kind, amount_msat, fee_paid_msat, destination, payment_hash,
                status, failure_reason, txid, created_at, updated_at
         FROM merchant_payments WHERE payment_id = $1",
    )
    .bind(payment_id)
    .fetch_optional(store.pool())
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let amount_msat: i64 = row.try_get("amount_msat")?;
    let fee: Option<i64> = row.try_get("fee_paid_msat")?;
    Ok(Some(serde_json::json!({
        "payment_id": row.try_get::<String, _>("payment_id")?,
        "merchant_id": row.try_get::<String, _>("merchant_id")?,
        "payment_type": row.try_get::<String, _>("kind")?,
        "amount": (amount_msat / 1_000).to_string(),
        "amount_msat": amount_msat.to_string(),
        "fee_msat": fee.unwrap_or(0).to_string(),
        "destination": row.try_get::<String, _>("destination")?,
        "r_hash": row.try_get::<Option<String>, _>("payment_hash")?,
        "status": row.try_get::<String, _>("status")?,
        "failure_reason": row.try_get::<Option<String>, _>("failure_reason")?,
        "txid": row.try_get::<Option<String>, _>("txid")?,
        "created_at": row.try_get::<i64, _>("created_at")?,
        "updated_at": row.try_get::<i64, _>("updated_at")?,
    })))
}

/// Puts a cancelled invoice whose refund could not be sent back to `Pending`.
pub async fn reopen_onchain_invoice(store: &Store, invoice_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE merchant_onchain_invoices SET status = 'Pending' WHERE invoice_id = $1 AND status = 'Canceled' AND refund_txid IS NULL",
    )
    .bind(invoice_id)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Puts a batch's withdrawals back to `Pending` (its transaction could not be built).
pub async fn unbatch(store: &Store, batch_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE merchant_withdrawals SET status = 'Pending', batch_id = NULL WHERE batch_id = $1 AND status = 'Processing'",
    )
    .bind(batch_id)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Ends a pending payment as failed; `false` if it was not pending.
pub async fn fail_payment(
    conn: &mut AnyConnection,
    payment_id: &str,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE merchant_payments SET status = 'failed', failure_reason = $2, updated_at = $3
         WHERE payment_id = $1 AND status = 'pending'",
    )
    .bind(payment_id)
    .bind(reason)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
