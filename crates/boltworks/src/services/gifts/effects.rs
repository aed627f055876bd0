//! What the hub's node events mean for gifts, committed in the event's own transaction (see
//! `node::events::EventEffect`): a paid gift invoice creates the gift and its liability; a
//! payout's success spends the gift, settles the liability, books the routing fee and queues
//! the `notify` webhook; a payout's failure makes the gift redeemable again.

use std::sync::Arc;

use sqlx::AnyConnection;

use super::api::GiftRedeemedWebhook;
use super::model::WithdrawalStatus;
use super::store::{self, Gift, WithdrawalKey};
use crate::clock::Clock;
use crate::ledger::{self, Entry};
use crate::money::Msat;
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
    #[tracing::instrument(
        name = "gift_effects",
        skip_all,
        fields(payment_hash = event.payment_hash().map(tracing::field::display))
    )]
    fn apply<'a>(&'a self, conn: &'a mut AnyConnection, event: &'a NodeEvent) -> EffectFuture<'a> {
        Box::pin(async move {
            let now = self.clock.now_unix();
            match event {
                NodeEvent::PaymentReceived {
                    payment_hash,
                    amount,
                } => record_funding(conn, &payment_hash.to_string(), *amount, now).await,
                NodeEvent::PaymentSucceeded {
                    payment_hash,
                    fee_paid,
                    ..
                } => {
                    let hash = payment_hash.to_string();
                    let fee = fee_paid.unwrap_or(Msat(0));
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

/// An amount as the ledger's signed BIGINT; one that does not fit is an error, never clamped.
fn ledger_msat(amount: Option<Msat>) -> Result<i64, sqlx::Error> {
    amount
        .and_then(Msat::to_db)
        .ok_or_else(|| sqlx::Error::Encode("gift amount out of the ledger's range".into()))
}

/// A gift invoice was paid: the gift exists, and the hub owes its value.
async fn record_funding(
    conn: &mut AnyConnection,
    payment_hash: &str,
    received_msat: Msat,
    now: i64,
) -> Result<(), sqlx::Error> {
    let Some(gift) = store::mark_funded(conn, payment_hash, received_msat, now).await? else {
        return Ok(());
    };
    let received = ledger_msat(Some(received_msat))?;
    let owed = ledger_msat(gift.amount_msat())?;
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
    tracing::info!(order_id = %gift.order_id, amount_sat = gift.amount_sat.0, "gift funded");
    Ok(())
}

/// A payout succeeded: the gift is spent, its liability settled, the routing fee booked and
/// the `notify` webhook queued. Returns whether this call made the change (it is idempotent).
pub(super) async fn record_payout_success(
    conn: &mut AnyConnection,
    clock: &Clock,
    key: WithdrawalKey<'_>,
    fee_msat: Msat,
) -> Result<bool, sqlx::Error> {
    let now = clock.now_unix();
    let Some((withdrawal, gift)) = store::mark_confirmed(conn, key, fee_msat, now).await? else {
        if let WithdrawalKey::PaymentHash(hash) = key {
            let status = store::withdrawal_status_by_hash(conn, hash).await?;
            if status == Some(WithdrawalStatus::Error) {
                // Must not happen: a payout recorded as failed was paid after all. The gift may
                // have been paid out twice; the operator has to look.
                tracing::error!(payment_hash = %hash, "a gift payout marked failed succeeded");
            }
        }
        return Ok(false);
    };
    let owed = ledger_msat(gift.amount_msat())?;
    let fee = ledger_msat(Some(fee_msat))?;
    let paid = owed
        .checked_add(fee)
        .ok_or_else(|| sqlx::Error::Encode("gift payout out of the ledger's range".into()))?;
    let entries = [
        Entry::debit(liability_account(&gift.order_id), owed),
        Entry::debit(ledger::EXPENSES_ROUTING_FEES, fee),
        Entry::credit(ledger::ASSETS_LIGHTNING, paid),
    ];
    let reference = format!("gift.payout:{}", withdrawal.withdrawal_id);
    ledger::post_or_log(conn, now, "gift.payout", &reference, &entries).await?;
    queue_notify(conn, clock, &gift).await?;
    tracing::info!(order_id = %gift.order_id, withdrawal_id = %withdrawal.withdrawal_id, fee_msat = fee_msat.0, "gift redeemed");
    Ok(true)
}

/// Queues the original's redemption webhook (`api::GiftRedeemedWebhook`).
async fn queue_notify(
    conn: &mut AnyConnection,
    clock: &Clock,
    gift: &Gift,
) -> Result<(), sqlx::Error> {
    let Some(url) = &gift.notify_url else {
        return Ok(());
    };
    let body = serde_json::to_value(GiftRedeemedWebhook::new(gift))
        .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let event = WebhookEvent {
        service: "gifts",
        event_type: "gift.redeemed",
        url,
        body: &body,
    };
    enqueue_webhook_unless_invalid(conn, clock, event).await?;
    Ok(())
}
