//! The hub's record of each invoice its node issues: an inbound `pending` payment in
//! `node_payments`, committed with what the invoice is for (a merchant invoice, a gift, an LSP
//! order), alone or in a group commit.

use std::sync::Arc;

use sqlx::AnyConnection;

use super::ids::PaymentHash;
use super::invoice::Invoice;
use super::payments::Payments;
use super::NodeError;
use crate::clock::Clock;
use crate::money::Msat;
use crate::store::JobFuture;

impl Payments {
    /// Fails a held payment back to its payer and, once the node has, records it `failed`: a
    /// row left `held` would be asked about at every start and its node record never pruned.
    /// If the record cannot be written the row stays `held` and the next start's reconciliation,
    /// which asks the node, settles it.
    pub async fn fail_held(&self, payment_hash: PaymentHash) -> Result<(), NodeError> {
        self.node.fail_held(payment_hash)?;
        let now = self.clock.now_unix();
        let recorded = async {
            let mut conn = self.store.pool().acquire().await?;
            record_failed_back(&mut conn, now, self.node.label(), payment_hash).await
        };
        if let Err(e) = recorded.await {
            tracing::warn!(%payment_hash, error = %e, "recording a failed-back payment");
        }
        Ok(())
    }

    /// Records a newly issued invoice of this node, of `amount`, as an inbound `pending` payment
    /// (with its expiry, after which the node's own record of it is removed), on `conn`: in the
    /// transaction that stores what the invoice is for, so the two commit together.
    pub async fn record_invoice(
        &self,
        conn: &mut AnyConnection,
        invoice: &Invoice,
        amount: Msat,
    ) -> Result<(), sqlx::Error> {
        record_invoice(
            conn,
            &self.clock,
            self.node.label(),
            invoice.payment_hash(),
            amount,
            invoice.expires_at(),
        )
        .await
    }

    /// Commits a newly issued `invoice`'s record (as `record_invoice`) together with what it is
    /// for, `row`, which `write` stores: a group-commit job, so many requests' invoices share
    /// one commit, each answered once committed.
    pub async fn commit_invoice_with<R, E, W>(
        &self,
        invoice: Invoice,
        amount: Msat,
        row: R,
        write: W,
    ) -> Result<(), E>
    where
        R: Send + Sync + 'static,
        E: From<sqlx::Error> + Send + 'static,
        W: for<'c> Fn(&'c mut AnyConnection, &'c R) -> JobFuture<'c, (), E> + Send + Sync + 'static,
    {
        let job = Arc::new((self.clone(), invoice, row, write));
        self.store
            .group_commit()
            .run(move |conn| {
                let job = Arc::clone(&job);
                Box::pin(async move {
                    let (payments, invoice, row, write) = &*job;
                    write(&mut *conn, row).await?;
                    payments.record_invoice(conn, invoice, amount).await?;
                    Ok(())
                })
            })
            .await
    }
}

/// Records a newly issued invoice of `node` as an inbound `pending` payment expiring at
/// `expires_at` (unix seconds).
pub async fn record_invoice(
    conn: &mut AnyConnection,
    clock: &Clock,
    node: &str,
    payment_hash: PaymentHash,
    amount: Msat,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    let now = clock.now_unix();
    sqlx::query(
        "INSERT INTO node_payments
            (node, payment_hash, direction, status, amount_msat, created_at, updated_at, expires_at)
         VALUES ($1, $2, 'inbound', 'pending', $3, $4, $4, $5)
         ON CONFLICT (node, payment_hash, direction) DO NOTHING",
    )
    .bind(node)
    .bind(payment_hash.to_string())
    .bind(Msat(amount.0.min(crate::money::MAX_STORED)))
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records that `node` failed back its held payment `payment_hash` at `now` (unless the row has
/// an outcome already).
pub async fn record_failed_back(
    conn: &mut AnyConnection,
    now: i64,
    node: &str,
    payment_hash: PaymentHash,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE node_payments SET status = 'failed', failure_reason = 'failed back by the hub',
            updated_at = $1
         WHERE node = $2 AND payment_hash = $3 AND direction = 'inbound'
           AND status IN ('pending', 'held')",
    )
    .bind(now)
    .bind(node)
    .bind(payment_hash.to_string())
    .execute(conn)
    .await?;
    Ok(())
}
