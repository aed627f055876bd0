//! Paying a gift out. A redemption commits `spent = pending` and its withdrawal first; then a
//! task hands the invoice to the node (which records the payment before sending). The node's
//! events decide the outcome (`effects`). Only a refusal the node makes before sending anything
//! fails the withdrawal here. At start, every withdrawal still in flight is reconciled with the
//! node's own payment record, before the HTTP server takes requests.

use tracing::field::Empty;
use tracing::Instrument;

use super::effects::record_payout_success;
use super::store::{self, Withdrawal, WithdrawalKey};
use super::GiftsService;
use crate::money::Msat;
use crate::node::{Invoice, NodePaymentStatus, PaymentDirection, PaymentHash, SendError};

/// Starts the payout of a claimed withdrawal in the background.
pub fn spawn(state: GiftsService, withdrawal: Withdrawal, invoice: Invoice) {
    tokio::spawn(pay_out(state, withdrawal, invoice));
}

/// The payout task: hands the invoice to the node, then settles what the node refused.
#[tracing::instrument(skip_all, fields(
    order_id = %withdrawal.order_id,
    withdrawal_id = %withdrawal.withdrawal_id,
    payment_hash = %withdrawal.payment_hash,
))]
async fn pay_out(state: GiftsService, withdrawal: Withdrawal, invoice: Invoice) {
    crate::pause::pause_point("gifts.payout.before_send").await;
    let max_fee = fee_limit(&state, &invoice);
    let result = state.hub.payments.send(&invoice, None, Some(max_fee)).await;
    if result.is_ok() {
        crate::pause::pause_point("gifts.payout.after_send").await;
    }
    settle_send_result(&state, &withdrawal, result).await;
}

fn fee_limit(state: &GiftsService, invoice: &Invoice) -> Msat {
    state
        .config
        .fee_limit
        .for_amount(invoice.amount().unwrap_or(Msat(0)))
}

/// Fails the withdrawal when nothing was sent; otherwise leaves it to the node's events.
async fn settle_send_result(
    state: &GiftsService,
    withdrawal: &Withdrawal,
    result: Result<PaymentHash, SendError>,
) {
    let reason = match result {
        Ok(_) => return,
        Err(e) if !e.nothing_sent() => {
            tracing::warn!(error = %e, "gift payout outcome unknown; the node's events will settle it");
            return;
        }
        Err(SendError::Store(e)) => {
            // Nothing reached the node: try again while the hub runs (and at the next start).
            tracing::error!(error = %e, "gift payout not recorded; retrying");
            tokio::spawn(retry_unrecorded(state.clone(), withdrawal.clone()).in_current_span());
            return;
        }
        Err(SendError::Duplicate) => {
            // The node knows this payment already: it may be in flight. Its record decides.
            if let Err(e) = apply_node_record(state, withdrawal).await {
                tracing::error!(error = %e, "settling a gift payout from the node's record");
            }
            return;
        }
        Err(e) => e.to_string(),
    };
    fail(state, withdrawal, &reason).await;
}

/// Retries a payout whose record could not be written (the database failed before anything
/// reached the node), with a doubling delay, until the node has it or the database is back.
/// (Boxed: it and the send it retries refer to each other.)
fn retry_unrecorded(
    state: GiftsService,
    withdrawal: Withdrawal,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
    Box::pin(async move {
        let mut delay = std::time::Duration::from_secs(5);
        loop {
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(std::time::Duration::from_secs(300));
            match apply_node_record(&state, &withdrawal).await {
                Ok(NodeRecord::Applied) => return,
                Ok(NodeRecord::Unknown) => {
                    send_when_connected(state, vec![withdrawal]).await;
                    return;
                }
                Err(e) => tracing::warn!(error = %e, "gift payout retry: database still failing"),
            }
        }
    })
}

/// What the node's own record says of a withdrawal's payment.
enum NodeRecord {
    /// The node has no outbound payment for it.
    Unknown,
    /// Settled or failed by the record; or still pending (the node's events will tell).
    Applied,
}

/// Settles `withdrawal` as the node's outbound payment record says: succeeded or failed, or
/// left alone while pending.
async fn apply_node_record(
    state: &GiftsService,
    withdrawal: &Withdrawal,
) -> Result<NodeRecord, sqlx::Error> {
    let Ok(hash) = withdrawal.payment_hash.parse::<PaymentHash>() else {
        return Ok(NodeRecord::Applied);
    };
    let record = state
        .hub
        .node
        .payment(hash)
        .filter(|p| p.direction == PaymentDirection::Outbound);
    let Some(payment) = record else {
        return Ok(NodeRecord::Unknown);
    };
    let key = WithdrawalKey::Id(&withdrawal.withdrawal_id);
    match payment.status {
        NodePaymentStatus::Succeeded => {
            let mut tx = state.hub.store.pool().begin().await?;
            let fee = payment.fee_paid.unwrap_or(Msat(0));
            record_payout_success(&mut tx, &state.hub.clock, key, fee).await?;
            tx.commit().await?;
            state.hub.notifier.outbox_committed();
        }
        NodePaymentStatus::Failed => fail(state, withdrawal, "payment failed").await,
        NodePaymentStatus::Pending => {
            tracing::info!("gift payout in flight at the node");
        }
    }
    Ok(NodeRecord::Applied)
}

async fn fail(state: &GiftsService, withdrawal: &Withdrawal, reason: &str) {
    let now = state.hub.clock.now_unix();
    let result = async {
        // In a transaction: it commits before this returns (sqlx's autocommit RETURNING may not).
        let mut tx = state.hub.store.pool().begin().await?;
        let failed = store::mark_failed(
            &mut tx,
            WithdrawalKey::Id(&withdrawal.withdrawal_id),
            reason,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(failed)
    }
    .await;
    match result {
        Ok(_) => {
            tracing::info!(%reason, "gift payout failed; the gift is redeemable again")
        }
        Err(e) => {
            tracing::error!(error = %e, "recording a failed gift payout")
        }
    }
}

/// Brings every withdrawal still `initial` in line with the node's record of its payment:
/// succeeded or failed as the node says, left alone while the node has it pending, and handed
/// to the node when it never got there (the hub stopped in between). Never sends a payment the
/// node already knows.
#[tracing::instrument(skip_all, fields(live = Empty, unsent = Empty))]
pub async fn reconcile(state: &GiftsService) -> Result<(), sqlx::Error> {
    let mut unsent = Vec::new();
    let payer = state.hub.node.node_id().to_string();
    let live = store::live_withdrawals(&state.hub.store, &payer).await?;
    tracing::Span::current().record("live", live.len());
    for withdrawal in live {
        if let NodeRecord::Unknown = reconcile_one(state, &withdrawal).await? {
            unsent.push(withdrawal);
        }
    }
    tracing::Span::current().record("unsent", unsent.len());
    if !unsent.is_empty() {
        tokio::spawn(send_when_connected(state.clone(), unsent).in_current_span());
    }
    Ok(())
}

/// One live withdrawal at start: what the node's record says of it.
#[tracing::instrument(skip_all, fields(
    order_id = %withdrawal.order_id,
    withdrawal_id = %withdrawal.withdrawal_id,
    payment_hash = %withdrawal.payment_hash,
))]
async fn reconcile_one(
    state: &GiftsService,
    withdrawal: &Withdrawal,
) -> Result<NodeRecord, sqlx::Error> {
    apply_node_record(state, withdrawal).await
}

/// How long a payout interrupted before sending waits, after a start, for the node's channels
/// to come back before it is sent anyway (and fails, if there is still no route).
const RECONNECT_PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

/// Sends the payouts the node never took, once a channel is usable again (right after a start
/// the peers are not reconnected yet, and sending then would only fail for want of a route).
/// The withdrawals were listed before the HTTP server started, so no redemption races this.
async fn send_when_connected(state: GiftsService, unsent: Vec<Withdrawal>) {
    let waited = tokio::time::Instant::now();
    while !state.hub.node.channels().iter().any(|c| c.usable)
        && waited.elapsed() < RECONNECT_PATIENCE
    {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    for withdrawal in unsent {
        resume(&state, &withdrawal).await;
    }
}

/// Sends one payout the node never took.
#[tracing::instrument(skip_all, fields(
    order_id = %withdrawal.order_id,
    withdrawal_id = %withdrawal.withdrawal_id,
    payment_hash = %withdrawal.payment_hash,
))]
async fn resume(state: &GiftsService, withdrawal: &Withdrawal) {
    let Ok(invoice) = Invoice::parse(&withdrawal.payment_request) else {
        fail(state, withdrawal, "stored invoice does not parse").await;
        return;
    };
    tracing::info!("gift payout never reached the node; sending it now");
    let result = state
        .hub
        .payments
        .resume_recorded(&invoice, Some(fee_limit(state, &invoice)))
        .await;
    settle_send_result(state, withdrawal, result).await;
}
