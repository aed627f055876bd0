//! Escrow's SQL. Ids are sequential from 0 (as the original numbered them); every status change
//! is a conditional UPDATE on the status it expects, so racing requests cannot both win.

use serde_json::{json, Map, Value};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::store::{is_unique_violation, Store};

/// An escrow transaction as stored.
#[derive(Debug, Clone)]
pub struct EscrowTx {
    /// Id.
    pub id: i64,
    /// Seller's user id.
    pub seller_id: i64,
    /// Buyer's user id, once attached.
    pub buyer_id: Option<i64>,
    /// Buyer's email as given at creation.
    pub buyer_email: String,
    /// `goods` or `services` (not validated, as in the original).
    pub goods_or_services: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// `buyer` or `seller` (informational).
    pub fee_payer: String,
    /// Price in sats.
    pub amount_sat: i64,
    /// Status string.
    pub status: String,
    /// Payment hash the seller's invoice must use.
    pub pmthash: String,
    /// The seller's invoice, once set.
    pub invoice: Option<String>,
    /// Decoded invoice amount.
    pub invoice_amount_msat: Option<i64>,
    /// Decoded invoice expiry (unix seconds).
    pub invoice_expires_at: Option<i64>,
    /// Decoded min_final_cltv_expiry_delta.
    pub min_final_cltv_expiry_delta: Option<i64>,
    /// Decoded payee node id.
    pub payee_node_id: Option<String>,
    /// Created (unix seconds).
    pub created_at: i64,
    /// Informational expiry (unix seconds).
    pub expires_at: i64,
    /// Its dispute, if one was opened.
    pub dispute: Option<Dispute>,
    /// The chain height by which the seller must settle, once payment is confirmed.
    pub settle_by_height: Option<i64>,
}

/// A transaction with its dispute, if any.
const TX_SELECT: &str = "SELECT t.id, t.seller_id, t.buyer_id, t.buyer_email, t.goods_or_services, t.title, t.description, t.fee_payer, t.amount_sat, t.status, t.pmthash, t.invoice, t.invoice_amount_msat, t.invoice_expires_at, t.min_final_cltv_expiry_delta, t.payee_node_id, t.settle_by_height, t.created_at, t.expires_at, d.reason AS dispute_reason, d.opened_by AS dispute_opened_by, d.opened_at AS dispute_opened_at, d.resolution AS dispute_resolution, d.note AS dispute_note, d.resolved_at AS dispute_resolved_at FROM escrow_txs t LEFT JOIN escrow_disputes d ON d.tx_id = t.id";

/// A dispute (extension).
#[derive(Debug, Clone)]
pub struct Dispute {
    /// Who opened it.
    pub opened_by: i64,
    /// Why.
    pub reason: String,
    /// When.
    pub opened_at: i64,
    /// `release` or `refund`, once resolved.
    pub resolution: Option<String>,
    /// The operator's note.
    pub note: Option<String>,
    /// When it was resolved.
    pub resolved_at: Option<i64>,
}

fn tx_from_row(row: &AnyRow) -> Result<EscrowTx, sqlx::Error> {
    Ok(EscrowTx {
        id: row.try_get("id")?,
        seller_id: row.try_get("seller_id")?,
        buyer_id: row.try_get("buyer_id")?,
        buyer_email: row.try_get("buyer_email")?,
        goods_or_services: row.try_get("goods_or_services")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        fee_payer: row.try_get("fee_payer")?,
        amount_sat: row.try_get("amount_sat")?,
        status: row.try_get("status")?,
        pmthash: row.try_get("pmthash")?,
        invoice: row.try_get("invoice")?,
        invoice_amount_msat: row.try_get("invoice_amount_msat")?,
        invoice_expires_at: row.try_get("invoice_expires_at")?,
        min_final_cltv_expiry_delta: row.try_get("min_final_cltv_expiry_delta")?,
        payee_node_id: row.try_get("payee_node_id")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        settle_by_height: row.try_get("settle_by_height")?,
        dispute: match row.try_get::<Option<String>, _>("dispute_reason")? {
            None => None,
            Some(reason) => Some(Dispute {
                opened_by: row.try_get("dispute_opened_by")?,
                reason,
                opened_at: row.try_get("dispute_opened_at")?,
                resolution: row.try_get("dispute_resolution")?,
                note: row.try_get("dispute_note")?,
                resolved_at: row.try_get("dispute_resolved_at")?,
            }),
        },
    })
}

impl EscrowTx {
    /// The object `gettx`/`getallusertxs` return: the original's fields (id, created and expires
    /// as numbers; the rest as strings; `invoice` only once set) plus boltworks' decoded invoice
    /// facts.
    pub fn stored_object(&self) -> Value {
        let mut object = Map::new();
        object.insert("id".into(), json!(self.id));
        object.insert("shipping_link".into(), json!(""));
        object.insert("created".into(), json!(self.created_at));
        object.insert("expires".into(), json!(self.expires_at));
        object.insert(
            "buyer".into(),
            json!(self.buyer_id.map(|b| b.to_string()).unwrap_or_default()),
        );
        object.insert("buyer_email".into(), json!(self.buyer_email));
        object.insert("seller".into(), json!(self.seller_id.to_string()));
        object.insert("goods_or_services".into(), json!(self.goods_or_services));
        object.insert("title".into(), json!(self.title));
        object.insert("description".into(), json!(self.description));
        object.insert("fee_payer".into(), json!(self.fee_payer));
        object.insert("amount".into(), json!(self.amount_sat.to_string()));
        object.insert("status".into(), json!(self.status));
        object.insert("pmthash".into(), json!(self.pmthash));
        if let Some(invoice) = &self.invoice {
            object.insert("invoice".into(), json!(invoice));
            object.insert(
                "invoice_amount_msat".into(),
                json!(self.invoice_amount_msat),
            );
            object.insert("invoice_expires_at".into(), json!(self.invoice_expires_at));
            object.insert(
                "min_final_cltv_expiry_delta".into(),
                json!(self.min_final_cltv_expiry_delta),
            );
            object.insert("payee_node_id".into(), json!(self.payee_node_id));
        }
        if let Some(height) = self.settle_by_height {
            object.insert("settle_by_height".into(), json!(height));
        }
        if let Some(dispute) = &self.dispute {
            let dispute = json!({
                "opened_by": dispute.opened_by.to_string(),
                "reason": dispute.reason,
                "opened_at": dispute.opened_at,
                "resolution": dispute.resolution,
                "note": dispute.note,
                "resolved_at": dispute.resolved_at,
            });
            object.insert("dispute".into(), dispute);
        }
        Value::Object(object)
    }

    /// The `data` object of mutation responses: the stored object with every value a string
    /// (settx keeps `created`/`expires` as numbers, as the original did).
    pub fn data_object(&self, numeric_times: bool) -> Value {
        let Value::Object(stored) = self.stored_object() else {
            return Value::Null;
        };
        let data = stored
            .into_iter()
            .map(|(key, value)| {
                let keep = numeric_times && (key == "created" || key == "expires");
                let value = match value {
                    Value::Number(n) if !keep => Value::String(n.to_string()),
                    other => other,
                };
                (key, value)
            })
            .collect();
        Value::Object(data)
    }
}

/// Inserts a row with the next sequential id (from 0). Returns the id. On PostgreSQL two racing
/// inserts can pick the same id; the loser gets a unique violation and the caller retries.
async fn next_id_insert(
    conn: &mut AnyConnection,
    table: &str,
    columns: &str,
    values: &str,
    binds: Vec<Value>,
) -> Result<i64, sqlx::Error> {
    let sql = format!("INSERT INTO {table} (id, {columns}) SELECT COALESCE(MAX(id) + 1, 0), {values} FROM {table} RETURNING id");
    let mut query = sqlx::query(&sql);
    for value in binds {
        query = match value {
            Value::String(s) => query.bind(s),
            Value::Number(n) => query.bind(n.as_i64()),
            _ => query.bind(Option::<String>::None),
        };
    }
    query.fetch_one(&mut *conn).await?.try_get("id")
}

/// Creates a user. `Ok(None)` if the email is taken.
pub async fn create_user(
    store: &Store,
    email: &str,
    password_hash: &str,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    for _ in 0..5 {
        let mut conn = store.pool().acquire().await?;
        let binds = vec![json!(email), json!(password_hash), json!(now)];
        match next_id_insert(
            &mut conn,
            "escrow_users",
            "email, password_hash, created_at",
            "$1, $2, $3",
            binds,
        )
        .await
        {
            Ok(id) => return Ok(Some(id)),
            Err(e) if is_unique_violation(&e) => {
                if find_user(store, email).await?.is_some() {
                    return Ok(None);
                }
            }
            Err(e) => return Err(e),
        }
    }
    Err(sqlx::Error::Protocol("could not allocate a user id".into()))
}

/// A user's id and password hash, by email.
pub async fn find_user(store: &Store, email: &str) -> Result<Option<(i64, String)>, sqlx::Error> {
    let row = sqlx::query("SELECT id, password_hash FROM escrow_users WHERE email = $1")
        .bind(email)
        .fetch_optional(store.pool())
        .await?;
    row.map(|r| Ok((r.try_get("id")?, r.try_get("password_hash")?)))
        .transpose()
}

/// Stores a session (by key hash).
pub async fn create_session(
    store: &Store,
    key_hash: &str,
    user_id: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO escrow_sessions (key_hash, user_id, expires_at) VALUES ($1, $2, $3)")
        .bind(key_hash)
        .bind(user_id)
        .bind(expires_at)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// The user of an unexpired session.
pub async fn session_user(
    store: &Store,
    key_hash: &str,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let row =
        sqlx::query("SELECT user_id FROM escrow_sessions WHERE key_hash = $1 AND expires_at > $2")
            .bind(key_hash)
            .bind(now)
            .fetch_optional(store.pool())
            .await?;
    row.map(|r| r.try_get("user_id")).transpose()
}

/// Moves an unexpired session's expiry. Returns its user.
pub async fn extend_session(
    store: &Store,
    key_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<Option<i64>, sqlx::Error> {
    // In a transaction: on SQLite, sqlx answers an autocommit `UPDATE ... RETURNING` before the
    // change commits, so another connection could still read the old expiry (sqlx #2099).
    let mut tx = store.pool().begin().await?;
    let row = sqlx::query("UPDATE escrow_sessions SET expires_at = $1 WHERE key_hash = $2 AND expires_at > $3 RETURNING user_id")
        .bind(expires_at)
        .bind(key_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
    tx.commit().await?;
    row.map(|r| r.try_get("user_id")).transpose()
}

/// What `settx` stores.
pub struct NewTx<'a> {
    /// Seller.
    pub seller_id: i64,
    /// Buyer email.
    pub buyer_email: &'a str,
    /// Kind.
    pub goods_or_services: &'a str,
    /// Title.
    pub title: &'a str,
    /// Description.
    pub description: &'a str,
    /// Fee payer.
    pub fee_payer: &'a str,
    /// Price in sats.
    pub amount_sat: i64,
    /// sha256(preimage), hex.
    pub pmthash: &'a str,
    /// The secret, hex.
    pub preimage: &'a str,
    /// Now.
    pub created_at: i64,
    /// Informational expiry.
    pub expires_at: i64,
}

/// Creates a transaction and its preimage within the caller's database transaction; returns its
/// id. `None` when the next id was taken meanwhile (two PostgreSQL writers at once): roll back
/// and retry.
pub async fn create_tx(
    conn: &mut AnyConnection,
    new: &NewTx<'_>,
) -> Result<Option<i64>, sqlx::Error> {
    let binds = vec![
        json!(new.seller_id),
        json!(new.buyer_email),
        json!(new.goods_or_services),
        json!(new.title),
        json!(new.description),
        json!(new.fee_payer),
        json!(new.amount_sat),
        json!(new.pmthash),
        json!(new.created_at),
        json!(new.expires_at),
    ];
    let columns = "seller_id, buyer_email, goods_or_services, title, description, fee_payer, amount_sat, status, pmthash, created_at, expires_at";
    let values = "$1, $2, $3, $4, $5, $6, $7, 'needs invoice', $8, $9, $10";
    let id = match next_id_insert(conn, "escrow_txs", columns, values, binds).await {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    sqlx::query("INSERT INTO escrow_preimages (tx_id, preimage) VALUES ($1, $2)")
        .bind(id)
        .bind(new.preimage)
        .execute(&mut *conn)
        .await?;
    Ok(Some(id))
}

/// One transaction, read within a connection.
pub async fn fetch_tx(conn: &mut AnyConnection, id: i64) -> Result<Option<EscrowTx>, sqlx::Error> {
    let row = sqlx::query(&format!("{TX_SELECT} WHERE t.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(tx_from_row).transpose()
}

/// One transaction.
pub async fn get_tx(store: &Store, id: i64) -> Result<Option<EscrowTx>, sqlx::Error> {
    let row = sqlx::query(&format!("{TX_SELECT} WHERE t.id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?;
    row.as_ref().map(tx_from_row).transpose()
}

/// The transactions where `user_id` is seller or buyer, oldest first.
pub async fn txs_of_user(store: &Store, user_id: i64) -> Result<Vec<EscrowTx>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "{TX_SELECT} WHERE t.seller_id = $1 OR t.buyer_id = $1 ORDER BY t.id"
    ))
    .bind(user_id)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(tx_from_row).collect()
}

/// Attaches a buyer if the transaction has none. Returns whether it did.
pub async fn attach_buyer(store: &Store, tx_id: i64, user_id: i64) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE escrow_txs SET buyer_id = $1 WHERE id = $2 AND buyer_id IS NULL")
            .bind(user_id)
            .bind(tx_id)
            .execute(store.pool())
            .await?;
    Ok(done.rows_affected() == 1)
}

/// The decoded facts of a seller's invoice.
pub struct InvoiceFacts<'a> {
    /// The BOLT11 string.
    pub bolt11: &'a str,
    /// Amount.
    pub amount_msat: i64,
    /// Expiry (unix seconds).
    pub expires_at: i64,
    /// min_final_cltv_expiry_delta.
    pub min_final_cltv_expiry_delta: i64,
    /// Payee.
    pub payee_node_id: String,
}

/// Stores the invoice if none is stored yet. Returns whether it did.
pub async fn set_invoice(
    conn: &mut AnyConnection,
    tx_id: i64,
    seller_id: i64,
    facts: &InvoiceFacts<'_>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE escrow_txs SET invoice = $1, invoice_amount_msat = $2, invoice_expires_at = $3,
                min_final_cltv_expiry_delta = $4, payee_node_id = $5, status = 'needs paid'
         WHERE id = $6 AND seller_id = $7 AND invoice IS NULL AND dispute_open = 0
           AND status NOT IN ('goods received', 'funds received', 'refunded')",
    )
    .bind(facts.bolt11)
    .bind(facts.amount_msat)
    .bind(facts.expires_at)
    .bind(facts.min_final_cltv_expiry_delta)
    .bind(&facts.payee_node_id)
    .bind(tx_id)
    .bind(seller_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves the status from `from` to `to`. Returns whether the row still had `from`.
pub async fn transition(
    conn: &mut AnyConnection,
    tx_id: i64,
    from: &str,
    to: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE escrow_txs SET status = $1 WHERE id = $2 AND status = $3")
        .bind(to)
        .bind(tx_id)
        .bind(from)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Releases the preimage to the seller: only from `goods received` (moving to `funds received`)
/// or again once `funds received`. Returns the preimage, or `None` if not releasable.
pub async fn release_preimage(
    conn: &mut AnyConnection,
    tx_id: i64,
    seller_id: i64,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    let moved = sqlx::query(
        "UPDATE escrow_txs SET status = 'funds received'
         WHERE id = $1 AND seller_id = $2 AND dispute_open = 0 AND invoice IS NOT NULL
           AND status IN ('goods received', 'funds received')",
    )
    .bind(tx_id)
    .bind(seller_id)
    .execute(&mut *conn)
    .await?;
    if moved.rows_affected() != 1 {
        return Ok(None);
    }
    sqlx::query(
        "UPDATE escrow_preimages SET released_at = COALESCE(released_at, $1) WHERE tx_id = $2",
    )
    .bind(now)
    .bind(tx_id)
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query("SELECT preimage FROM escrow_preimages WHERE tx_id = $1")
        .bind(tx_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| r.try_get("preimage")).transpose()
}

/// A user's email address.
pub async fn user_email(
    conn: &mut AnyConnection,
    user_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT email FROM escrow_users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| r.try_get("email")).transpose()
}

/// Opens a dispute unless one is open, one was already resolved (an operator's decision is
/// final), or the transaction is settled (preimage fetched or refunded). Returns whether it did.
pub async fn open_dispute(
    conn: &mut AnyConnection,
    tx_id: i64,
    user: i64,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let opened = sqlx::query(
        "UPDATE escrow_txs SET dispute_open = 1
         WHERE id = $1 AND dispute_open = 0 AND status NOT IN ('funds received', 'refunded')
           AND NOT EXISTS (SELECT 1 FROM escrow_disputes WHERE tx_id = $1 AND resolution IS NOT NULL)",
    )
    .bind(tx_id)
    .execute(&mut *conn)
    .await?;
    if opened.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO escrow_disputes (tx_id, opened_by, reason, opened_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tx_id) DO UPDATE SET opened_by = excluded.opened_by, reason = excluded.reason,
             opened_at = excluded.opened_at, resolution = NULL, note = NULL, resolved_at = NULL",
    )
    .bind(tx_id)
    .bind(user)
    .bind(reason)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// How an operator settles a dispute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// The seller may fetch the preimage.
    Release,
    /// The preimage is destroyed; the seller must fail the payment back.
    Refund,
}

impl Resolution {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Release => "release",
            Resolution::Refund => "refund",
        }
    }
}

/// Resolves the open dispute of `tx_id`. Returns whether there was one.
pub async fn resolve_dispute(
    conn: &mut AnyConnection,
    tx_id: i64,
    resolution: Resolution,
    note: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let sql = match resolution {
        Resolution::Release => {
            "UPDATE escrow_txs SET dispute_open = 0,
                 status = CASE WHEN status = 'funds received' THEN status ELSE 'goods received' END
             WHERE id = $1 AND dispute_open = 1"
        }
        Resolution::Refund => "UPDATE escrow_txs SET dispute_open = 0, status = 'refunded' WHERE id = $1 AND dispute_open = 1",
    };
    if sqlx::query(sql)
        .bind(tx_id)
        .execute(&mut *conn)
        .await?
        .rows_affected()
        != 1
    {
        return Ok(false);
    }
    if resolution == Resolution::Refund {
        // Destroyed: nobody, operator included, can ever release it.
        sqlx::query("DELETE FROM escrow_preimages WHERE tx_id = $1")
            .bind(tx_id)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query(
        "UPDATE escrow_disputes SET resolution = $1, note = $2, resolved_at = $3 WHERE tx_id = $4",
    )
    .bind(resolution.as_str())
    .bind(note)
    .bind(now)
    .bind(tx_id)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// Sets (or, with `None`, clears) a user's webhook URL.
pub async fn set_webhook(store: &Store, user: i64, url: Option<&str>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE escrow_users SET webhook_url = $1 WHERE id = $2")
        .bind(url)
        .bind(user)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// The webhook URLs of a transaction's seller and buyer.
pub async fn webhook_urls(
    conn: &mut AnyConnection,
    tx: &EscrowTx,
) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query("SELECT webhook_url FROM escrow_users WHERE (id = $1 OR id = $2) AND webhook_url IS NOT NULL")
        .bind(tx.seller_id)
        .bind(tx.buyer_id.unwrap_or(-1))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| r.try_get("webhook_url")).collect()
}

/// Records the height by which the seller must settle.
pub async fn set_settle_by(
    conn: &mut AnyConnection,
    tx_id: i64,
    height: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE escrow_txs SET settle_by_height = $1, deadline_warned = 0 WHERE id = $2")
        .bind(height)
        .bind(tx_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Transactions whose settle-by height is within reach of `warn_at_height` and whose preimage is
/// still unreleased, not yet warned about. Marks them warned in the same statement's transaction.
pub async fn claim_deadline_warnings(
    conn: &mut AnyConnection,
    warn_at_height: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    let rows = sqlx::query(
        "UPDATE escrow_txs SET deadline_warned = 1
         WHERE deadline_warned = 0 AND settle_by_height IS NOT NULL AND settle_by_height <= $1
           AND status NOT IN ('funds received', 'refunded')
         RETURNING id",
    )
    .bind(warn_at_height)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| r.try_get("id")).collect()
}
