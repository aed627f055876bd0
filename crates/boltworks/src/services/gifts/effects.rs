//! What the hub's node events mean for gifts, committed in the event's own transaction (see
//! `node::events::EventEffect`): a paid gift invoice creates the gift and its liability; a
//! payout's success spends the gift, settles the liability, books the routing fee and queues
//! the `notify` webhook; a payout's failure makes the gift redeemable again.

use std::sync::Arc;

use serde_json::json;
use sqlx::AnyConnection;

use super::store::{self, Gift, WithdrawalKey};
use crate::clock::Clock;
use crate::ledger::{self, Entry};
use crate::node::event_loop::{EffectFuture, EventEffect};
use crate::node::NodeEvent;
use crate::notify::outbox::{enqueue_webhook_unless_invalid, WebhookEvent};
use crate::notify::Notifier;

/// The ledger account of one gift's liability.
pub fn liability_account(order_id: &str) -> String {
    format!("liabilities:gifts:{order_id}")
}

/// The prefix of every gift liability account.
pub const LIABILITY_PREFIX: &str = "liabilities:gifts:";

/// Gifts' reaction to the hub's node events.
pub struct GiftEffects {
    clock: Clock,
    notifier: Arc<Notifier>,
}

impl GiftEffects {
    /// The effect, with the clock it stamps changes with and the notifier it wakes.
    pub fn new(clock: Clock, notifier: Arc<Notifier>) -> Self {
        Self { clock, notifier }
    }
}

impl EventEffect for GiftEffects {
    fn apply<'a>(&'a self, conn: &'a mut AnyConnection, event: &'a NodeEvent) -> EffectFuture<'a> {
        Box::pin(async move {
            let now = self.clock.now_unix();
            match event {
                NodeEvent::PaymentReceived {
                    payment_hash,
                    amount,
                } => record_funding(conn, &payment_hash.to_string(), amount.0, now).await,
                NodeEvent::PaymentSucceeded {
                    payment_hash,
                    fee_paid,
                    ..
                } => {
                    let hash = payment_hash.to_string();
                    let fee = fee_paid.map_or(0, |f| f.0);
                    record_payout_success(conn, &self.clock, WithdrawalKey::PaymentHash(&hash), fee)
                        .await
                        .map(|_| ())
                }
                NodeEvent::PaymentFailed {
                    payment_hash: Some(payment_hash),
                    reason,
                } => {
                    let reason = reason
                        .map(|r| format!("payment failed: {r:?}"))
                        .unwrap_or_else(|| "payment failed".into());
                    let hash = payment_hash.to_string();
                    store::mark_failed(conn, WithdrawalKey::PaymentHash(&hash), &reason, now)
                        .await
                        .map(|_| ())
                }
                _ => Ok(()),
            }
        })
    }

    fn committed(&self) {
        self.notifier.outbox_committed();
    }
}

fn db_msat(msat: u64) -> i64 {
    i64::try_from(msat).unwrap_or(i64::MAX)
}

/// A gift invoice was paid: the gift exists, and the hub owes its value.
async fn record_funding(
    conn: &mut AnyConnection,
    payment_hash: &str,
    received_msat: u64,
    now: i64,
) -> Result<(), sqlx::Error> {
    let received = db_msat(received_msat);
    let Some(gift) = store::mark_funded(conn, payment_hash, received, now).await? else {
        return Ok(());
    };
    let owed = gift.amount_msat();
    let entries = [
        Entry::debit(ledger::ASSETS_LIGHTNING, received),
        Entry::credit(liability_account(&gift.order_id), owed),
        // Nothing unless the payer sent more than the invoice asked.
        Entry::credit(ledger::INCOME_OVERPAYMENTS, received - owed),
    ];
    ledger::post_or_log(
        conn,
        now,
        "gift.funded",
        &format!("gift.funded:{}", gift.order_id),
        &entries,
    )
    .await?;
    tracing::info!(order_id = %gift.order_id, amount_sat = gift.amount_sat, "gift funded");
    Ok(())
}

/// A payout succeeded: the gift is spent, its liability settled, the routing fee booked and
/// the `notify` webhook queued. Returns whether this call made the change (it is idempotent).
pub(super) async fn record_payout_success(
    conn: &mut AnyConnection,
    clock: &Clock,
    key: WithdrawalKey<'_>,
    fee_msat: u64,
) -> Result<bool, sqlx::Error> {
    let now = clock.now_unix();
    let fee = db_msat(fee_msat);
    let Some((withdrawal, gift)) = store::mark_confirmed(conn, key, fee, now).await? else {
        if let WithdrawalKey::PaymentHash(hash) = key {
            if store::withdrawal_status_by_hash(conn, hash)
                .await?
                .as_deref()
                == Some("error")
            {
                // Must not happen: a payout recorded as failed was paid after all. The gift may
                // have been paid out twice; the operator has to look.
                tracing::error!(payment_hash = %hash, "a gift payout marked failed succeeded");
            }
        }
        return Ok(false);
    };
    let owed = gift.amount_msat();
    let entries = [
        Entry::debit(liability_account(&gift.order_id), owed),
        Entry::debit(ledger::EXPENSES_ROUTING_FEES, fee),
        Entry::credit(ledger::ASSETS_LIGHTNING, owed.saturating_add(fee)),
    ];
    let reference = format!("gift.payout:{}", withdrawal.withdrawal_id);
    ledger::post_or_log(conn, now, "gift.payout", &reference, &entries).await?;
    queue_notify(conn, clock, &gift).await?;
    tracing::info!(order_id = %gift.order_id, withdrawal_id = %withdrawal.withdrawal_id, fee_msat, "gift redeemed");
    Ok(true)
}

/// The original's redemption webhook, with the `orderId` key it gained later.
async fn queue_notify(
    conn: &mut AnyConnection,
    clock: &Clock,
    gift: &Gift,
) -> Result<(), sqlx::Error> {
    let Some(url) = &gift.notify_url else {
        return Ok(());
    };
    let body = json!({"id": gift.order_id, "orderId": gift.order_id, "amount": gift.amount_sat, "spent": true});
    let event = WebhookEvent {
        service: "gifts",
        event_type: "gift.redeemed",
        url,
        body: &body,
    };
    enqueue_webhook_unless_invalid(conn, clock, event).await?;
    Ok(())
}
