//! What escrow tells people, through the outbox, in the same database transaction as the change
//! it announces. Emails as the original sent them (the buyer when the transaction is created
//! and when an invoice is added, the seller on `buyerpaid`, the buyer on `goodssent`, the seller
//! on `goodsreceived`), both parties on disputes and their resolution, and (extension) every
//! status change to the webhook each party set with `setwebhook`. An email address that is not
//! one (the original allowed fake buyer emails) is skipped, not an error.

use sqlx::AnyConnection;

use super::api::{EscrowError, StoredTx, TxEvent};
use super::model::{Action, Resolution};
use super::store::{self, EscrowTx};
use crate::clock::Clock;
use crate::notify::outbox::{
    enqueue_email, enqueue_webhook, EmailEvent, EnqueueError, WebhookEvent,
};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// `settx`: the buyer is invited.
    Created,
    /// `setinvoice`: the buyer can pay.
    InvoiceAdded,
    /// `buyerpaid`: the seller should check their node.
    BuyerPaid,
    /// `confirmpayment`: webhooks only.
    PaymentConfirmed,
    /// `goodssent`: the buyer should expect the goods.
    GoodsSent,
    /// `goodsreceived`: the seller can fetch the preimage.
    GoodsReceived,
    /// `getpreimage`: webhooks only.
    PreimageReleased,
    /// A party opened a dispute.
    DisputeOpened,
    /// The operator released the preimage to the seller.
    Released,
    /// The operator refunded the buyer; the seller must fail the payment back.
    Refunded,
    /// The chain nears the height by which the seller must settle, and the preimage is not
    /// released yet.
    DeadlineNear,
}

impl Notice {
    /// What taking `action` announces.
    pub fn after(action: Action) -> Self {
        match action {
            Action::BuyerPaid => Notice::BuyerPaid,
            Action::ConfirmPayment => Notice::PaymentConfirmed,
            Action::GoodsSent => Notice::GoodsSent,
            Action::GoodsReceived => Notice::GoodsReceived,
        }
    }

    /// What an operator's `resolution` announces.
    pub fn resolved(resolution: Resolution) -> Self {
        match resolution {
            Resolution::Release => Notice::Released,
            Resolution::Refund => Notice::Refunded,
        }
    }

    fn event_type(self) -> &'static str {
        match self {
            Notice::Created => "escrow.created",
            Notice::InvoiceAdded => "escrow.invoice_added",
            Notice::BuyerPaid => "escrow.buyer_paid",
            Notice::PaymentConfirmed => "escrow.payment_confirmed",
            Notice::GoodsSent => "escrow.goods_sent",
            Notice::GoodsReceived => "escrow.goods_received",
            Notice::PreimageReleased => "escrow.preimage_released",
            Notice::DisputeOpened => "escrow.dispute_opened",
            Notice::Released => "escrow.dispute_released",
            Notice::Refunded => "escrow.dispute_refunded",
            Notice::DeadlineNear => "escrow.deadline_near",
        }
    }

    /// Who gets an email: (the buyer, the seller).
    fn email_recipients(self) -> (bool, bool) {
        match self {
            Notice::Created | Notice::InvoiceAdded | Notice::GoodsSent => (true, false),
            Notice::BuyerPaid | Notice::GoodsReceived => (false, true),
            Notice::DisputeOpened | Notice::Released | Notice::Refunded | Notice::DeadlineNear => {
                (true, true)
            }
            Notice::PaymentConfirmed | Notice::PreimageReleased => (false, false),
        }
    }

    fn text(self, tx: &EscrowTx) -> (String, String) {
        let what = format!(
            "escrow transaction {} (\"{}\", {} sats)",
            tx.id, tx.title, tx.amount_sat.0
        );
        let (subject, body) = match self {
            Notice::Created => ("You are invited to", "A seller opened this transaction with you as the buyer. Log in with its id to take part."),
            Notice::InvoiceAdded => ("Invoice ready for", "The seller added an invoice. Pay it; your payment stays held until you confirm receipt."),
            Notice::BuyerPaid => ("The buyer paid", "The buyer says they paid. Check that the payment is held at your node, then confirm it."),
            Notice::PaymentConfirmed => ("Payment confirmed for", "The seller confirmed the payment is held."),
            Notice::GoodsSent => ("Goods sent for", "The seller marked it as sent. Confirm receipt when it arrives."),
            Notice::GoodsReceived => ("Goods received for", "The buyer confirmed receipt. Fetch the preimage and settle the payment."),
            Notice::PreimageReleased => ("Preimage released for", "The seller fetched the preimage."),
            Notice::DisputeOpened => ("Dispute opened on", "A dispute was opened. The preimage stays with the escrow until an operator decides."),
            Notice::Released => ("Dispute decided for the seller:", "The operator decided for the seller, who may now fetch the preimage and settle the payment."),
            Notice::DeadlineNear => ("Deadline near for", "The chain nears the height by which the seller must settle the held payment, and the buyer has not confirmed receipt. If nothing happens, the payment returns to the buyer when it expires."),
            Notice::Refunded => ("Dispute decided for the buyer:", "The operator refunded the buyer. The preimage is destroyed: the seller must fail the held payment back, or it returns to the buyer when it times out."),
        };
        let mut text = format!("{body}\n\n{what}");
        if self == Notice::InvoiceAdded {
            text.push_str(&format!(
                "\n\n{}",
                tx.invoice
                    .as_ref()
                    .map(|invoice| invoice.bolt11.as_str())
                    .unwrap_or_default()
            ));
        }
        (format!("{subject} {what}"), text)
    }
}

/// Writes the notice's emails and webhooks to the outbox within `conn`'s transaction.
pub async fn enqueue(
    conn: &mut AnyConnection,
    clock: &Clock,
    tx: &EscrowTx,
    notice: Notice,
) -> Result<(), EscrowError> {
    let (to_buyer, to_seller) = notice.email_recipients();
    let mut recipients = Vec::new();
    if to_buyer {
        let buyer = match tx.buyer_id {
            Some(buyer) => store::user_email(conn, buyer)
                .await?
                .unwrap_or_else(|| tx.buyer_email.clone()),
            None => tx.buyer_email.clone(),
        };
        recipients.push(buyer);
    }
    if to_seller {
        recipients.push(
            store::user_email(conn, tx.seller_id)
                .await?
                .unwrap_or_default(),
        );
    }
    let (subject, text) = notice.text(tx);
    for to in recipients {
        let event = EmailEvent {
            service: "escrow",
            event_type: notice.event_type(),
            to: &to,
            subject: &subject,
            text: &text,
        };
        skip_invalid(tx, enqueue_email(conn, clock, event).await)?;
    }
    let body = TxEvent {
        event: notice.event_type(),
        transaction: StoredTx::from(tx),
    };
    let body = serde_json::to_value(body)
        .map_err(|e| EscrowError::Internal(format!("webhook body: {e}")))?;
    for url in store::webhook_urls(conn, tx).await? {
        let event = WebhookEvent {
            service: "escrow",
            event_type: notice.event_type(),
            url: &url,
            body: &body,
        };
        skip_invalid(tx, enqueue_webhook(conn, clock, event).await)?;
    }
    Ok(())
}

fn skip_invalid(tx: &EscrowTx, result: Result<String, EnqueueError>) -> Result<(), EscrowError> {
    match result {
        Ok(_) => Ok(()),
        Err(EnqueueError::InvalidTarget(reason)) => {
            tracing::info!(tx = tx.id, %reason, "escrow notification skipped");
            Ok(())
        }
        Err(EnqueueError::Store(e)) => Err(e.into()),
    }
}
