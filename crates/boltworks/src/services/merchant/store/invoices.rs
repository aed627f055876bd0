//! Incoming Lightning invoices: hold invoices of the hub's node whose preimage the hub keeps.
//! An invoice is unpaid, then held (the node holds a payment for it, to be claimed) or paid
//! internally, then paid; a held payment the node failed back leaves it unpaid again.

use sqlx::any::{Any, AnyTypeInfo, AnyValueRef};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{AnyConnection, Decode, Encode, Type};

use crate::money::{Msat, Sat};
use crate::store::columns::stored_enum;
use crate::store::Store;

/// Where an invoice stands, stored as the number in `settled` (0 unpaid, 2 held, 1 paid: the
/// column was a flag before invoices were held).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceState {
    /// Not paid yet: a Lightning payment may be held for it, or a merchant may pay it.
    Unpaid,
    /// The node holds a payment for it, to be claimed; it can no longer be paid internally.
    Held,
    /// Paid.
    Paid,
}

impl InvoiceState {
    /// The stored number.
    pub fn as_db(self) -> i64 {
        match self {
            InvoiceState::Unpaid => 0,
            InvoiceState::Paid => 1,
            InvoiceState::Held => 2,
        }
    }

    fn from_db(stored: i64) -> Option<Self> {
        [InvoiceState::Unpaid, InvoiceState::Paid, InvoiceState::Held]
            .into_iter()
            .find(|state| state.as_db() == stored)
    }
}

impl Type<Any> for InvoiceState {
    fn type_info() -> AnyTypeInfo {
        <i64 as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <i64 as Type<Any>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Any> for InvoiceState {
    fn encode_by_ref(
        &self,
        buf: &mut <Any as sqlx::Database>::ArgumentBuffer<'q>,
    ) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<'q, Any>>::encode(self.as_db(), buf)
    }
}

impl<'r> Decode<'r, Any> for InvoiceState {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        let stored = <i64 as Decode<'r, Any>>::decode(value)?;
        InvoiceState::from_db(stored)
            .ok_or_else(|| format!("unknown invoice state {stored}").into())
    }
}

stored_enum! {
    /// How an invoice got paid (`settled_by`).
    pub enum PaidBy {
        /// The node claimed the payment it held.
        Lightning = "lightning",
        /// Another merchant of this hub paid it (only while nothing is held for it).
        Internal = "internal",
    }
}

impl PaidBy {
    /// The state an invoice must be in to be paid this way: held, over Lightning (the node
    /// claimed what it held); unpaid, internally (only while nothing is held).
    fn payable_from(self) -> InvoiceState {
        match self {
            PaidBy::Lightning => InvoiceState::Held,
            PaidBy::Internal => InvoiceState::Unpaid,
        }
    }
}

/// An incoming Lightning invoice.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LightningInvoice {
    /// Hex payment hash (`r_hash`).
    pub payment_hash: String,
    /// Whose.
    pub merchant_id: String,
    /// Asked.
    pub amount_sat: Sat,
    /// The hub's fee.
    pub fee_sat: Sat,
    /// Memo.
    pub description: String,
    /// BOLT11.
    pub payment_request: String,
    /// Seconds it can be paid.
    pub expiry: i64,
    /// Webhook override.
    pub ntfn_url: Option<String>,
    /// Where it stands.
    #[sqlx(rename = "settled")]
    pub state: InvoiceState,
    /// When paid (unix seconds).
    pub settle_date: Option<i64>,
    /// Created (unix seconds).
    pub created_at: i64,
    /// The transaction of the withdrawal that took what it paid, once sent.
    pub withdraw_tx: Option<String>,
}

impl LightningInvoice {
    /// Whether it is paid.
    pub fn is_paid(&self) -> bool {
        self.state == InvoiceState::Paid
    }
}

const COLUMNS: &str = "payment_hash, merchant_id, amount_sat, fee_sat, description, \
     payment_request, expiry, ntfn_url, settled, settle_date, created_at, withdraw_tx";

/// Records a new (unpaid) invoice with the preimage (hex) of its hold invoice.
pub async fn insert(
    conn: &mut AnyConnection,
    i: &LightningInvoice,
    preimage: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO merchant_invoices (payment_hash, merchant_id, amount_sat, fee_sat, description,
            payment_request, expiry, ntfn_url, created_at, preimage, settled)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
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
    .bind(InvoiceState::Unpaid)
    .execute(conn)
    .await?;
    Ok(())
}

/// What a payment the node holds for an invoice means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// Marks an unpaid invoice held with `held`, which from then on cannot be paid internally.
pub async fn hold(
    conn: &mut AnyConnection,
    payment_hash: &str,
    held: Msat,
) -> Result<Hold, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE merchant_invoices SET settled = $3, held_msat = $2 WHERE payment_hash = $1 AND settled = $4",
    )
    .bind(payment_hash)
    .bind(held)
    .bind(InvoiceState::Held)
    .bind(InvoiceState::Unpaid)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        return Ok(Hold::Taken);
    }
    let state: Option<InvoiceState> =
        sqlx::query_scalar("SELECT settled FROM merchant_invoices WHERE payment_hash = $1")
            .bind(payment_hash)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(match state {
        None => Hold::NotOurs,
        Some(InvoiceState::Held) => Hold::AlreadyHeld,
        Some(InvoiceState::Paid | InvoiceState::Unpaid) => Hold::AlreadyPaid,
    })
}

/// A payment the node holds for an invoice, to be claimed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HeldInvoice {
    /// Hex payment hash.
    pub payment_hash: String,
    /// Hex preimage.
    pub preimage: String,
    /// What the node holds.
    pub held_msat: Option<Msat>,
}

/// Every invoice whose payment is held, to be claimed.
pub async fn held(store: &Store) -> Result<Vec<HeldInvoice>, sqlx::Error> {
    sqlx::query_as(
        "SELECT payment_hash, preimage, held_msat FROM merchant_invoices WHERE settled = $1",
    )
    .bind(InvoiceState::Held)
    .fetch_all(store.pool())
    .await
}

/// A held invoice whose payment the node failed back (it was not claimed in time): unpaid again.
pub async fn release_hold(store: &Store, payment_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE merchant_invoices SET settled = $2, held_msat = NULL WHERE payment_hash = $1 AND settled = $3",
    )
    .bind(payment_hash)
    .bind(InvoiceState::Unpaid)
    .bind(InvoiceState::Held)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// An invoice by payment hash.
pub async fn by_hash(
    conn: &mut AnyConnection,
    payment_hash: &str,
) -> Result<Option<LightningInvoice>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM merchant_invoices WHERE payment_hash = $1"
    ))
    .bind(payment_hash)
    .fetch_optional(&mut *conn)
    .await
}

/// `merchant_id`'s invoice with `payment_hash`, in one query: none when the merchant has no
/// such invoice, or no longer exists.
pub async fn of_merchant_by_hash(
    conn: &mut AnyConnection,
    merchant_id: &str,
    payment_hash: &str,
) -> Result<Option<LightningInvoice>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM merchant_invoices
         WHERE payment_hash = $1 AND merchant_id = $2
           AND EXISTS (SELECT 1 FROM merchants m WHERE m.merchant_id = $2)"
    ))
    .bind(payment_hash)
    .bind(merchant_id)
    .fetch_optional(&mut *conn)
    .await
}

/// A merchant's invoices, newest first.
pub async fn of_merchant(
    store: &Store,
    merchant_id: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<LightningInvoice>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM merchant_invoices WHERE merchant_id = $1
         ORDER BY created_at DESC, payment_hash LIMIT $2 OFFSET $3"
    ))
    .bind(merchant_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(store.pool())
    .await
}

/// Marks an invoice paid `by` one way, as it is now. `None` if it was paid already, or
/// (internally) while the node holds a payment for it.
pub async fn settle(
    conn: &mut AnyConnection,
    payment_hash: &str,
    by: PaidBy,
    now: i64,
) -> Result<Option<LightningInvoice>, sqlx::Error> {
    sqlx::query_as(&format!(
        "UPDATE merchant_invoices SET settled = $4, settled_by = $2, settle_date = $3
         WHERE payment_hash = $1 AND settled = $5 RETURNING {COLUMNS}"
    ))
    .bind(payment_hash)
    .bind(by)
    .bind(now)
    .bind(InvoiceState::Paid)
    .bind(by.payable_from())
    .fetch_optional(&mut *conn)
    .await
}
