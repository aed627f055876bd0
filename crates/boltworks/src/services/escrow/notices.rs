//! The emails escrow sends at each step, as the original did: the buyer when the transaction is
//! created and when an invoice is added, the seller on `buyerpaid`, the buyer on `goodssent`,
//! the seller on `goodsreceived`. Each is written to the outbox in the same database
//! transaction as the change it announces. An address that is not one (the original allowed
//! fake buyer emails) is skipped, not an error.

use sqlx::AnyConnection;

use super::error::EscrowError;
use super::store::{self, EscrowTx};
use crate::clock::Clock;
use crate::notify::outbox::{enqueue_email, EmailEvent, EnqueueError};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// `settx`: the buyer is invited.
    Created,
    /// `setinvoice`: the buyer can pay.
    InvoiceAdded,
    /// `buyerpaid`: the seller should check their node.
    BuyerPaid,
    /// `goodssent`: the buyer should expect the goods.
    GoodsSent,
    /// `goodsreceived`: the seller can fetch the preimage.
    GoodsReceived,
}

impl Notice {
    fn event_type(self) -> &'static str {
        match self {
            Notice::Created => "escrow.created",
            Notice::InvoiceAdded => "escrow.invoice_added",
            Notice::BuyerPaid => "escrow.buyer_paid",
            Notice::GoodsSent => "escrow.goods_sent",
            Notice::GoodsReceived => "escrow.goods_received",
        }
    }

    fn to_buyer(self) -> bool {
        matches!(
            self,
            Notice::Created | Notice::InvoiceAdded | Notice::GoodsSent
        )
    }

    fn text(self, tx: &EscrowTx) -> (String, String) {
        let what = format!(
            "escrow transaction {} (\"{}\", {} sats)",
            tx.id, tx.title, tx.amount_sat
        );
        match self {
            Notice::Created => (format!("You are invited to {what}"), format!("A seller opened {what} with you as the buyer. Log in with this transaction's id to take part.")),
            Notice::InvoiceAdded => (format!("Invoice ready for {what}"), format!("The seller added an invoice to {what}. Pay it; your payment stays held until you confirm receipt.\n\n{}", tx.invoice.as_deref().unwrap_or_default())),
            Notice::BuyerPaid => (format!("The buyer paid {what}"), format!("The buyer says they paid {what}. Check that the payment is held at your node, then confirm it.")),
            Notice::GoodsSent => (format!("Goods sent for {what}"), format!("The seller marked {what} as sent. Confirm receipt when it arrives.")),
            Notice::GoodsReceived => (format!("Goods received for {what}"), format!("The buyer confirmed receipt for {what}. Fetch the preimage and settle the payment.")),
        }
    }
}

/// Writes the notice's email to the outbox within `conn`'s transaction.
pub async fn enqueue(
    conn: &mut AnyConnection,
    clock: &Clock,
    tx: &EscrowTx,
    notice: Notice,
) -> Result<(), EscrowError> {
    let recipient = if notice.to_buyer() {
        match tx.buyer_id {
            Some(buyer) => store::user_email(conn, buyer)
                .await?
                .unwrap_or_else(|| tx.buyer_email.clone()),
            None => tx.buyer_email.clone(),
        }
    } else {
        store::user_email(conn, tx.seller_id)
            .await?
            .unwrap_or_default()
    };
    let (subject, text) = notice.text(tx);
    let event = EmailEvent {
        service: "escrow",
        event_type: notice.event_type(),
        to: &recipient,
        subject: &subject,
        text: &text,
    };
    match enqueue_email(conn, clock, event).await {
        Ok(_) => Ok(()),
        Err(EnqueueError::InvalidTarget(reason)) => {
            tracing::info!(tx = tx.id, %reason, "escrow email skipped");
            Ok(())
        }
        Err(EnqueueError::Store(e)) => Err(e.into()),
    }
}
