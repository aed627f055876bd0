//! Paying a gift out. A redemption commits `spent = pending` and its withdrawal first; then a
//! task hands the invoice to the node (which records the payment before sending). The node's
//! events decide the outcome (`effects`). Only a refusal the node makes before sending anything
//! fails the withdrawal here. At start, every withdrawal still in flight is reconciled with the
//! node's own payment record, before the HTTP server takes requests.

use ldk_node::lightning_invoice::Bolt11Invoice;
use ldk_node::payment::{PaymentDirection, PaymentStatus};

use super::effects::record_payout_success;
use super::store::{self, Withdrawal, WithdrawalKey};
use crate::app::AppState;
use crate::money::Msat;
use crate::node::payments::{self, refused_before_sending, SendError};

/// Starts the payout of a claimed withdrawal in the background.
pub fn spawn(state: AppState, withdrawal: Withdrawal, invoice: Bolt11Invoice) {
    tokio::spawn(async move {
        crate::dev::pause_point("gifts.payout.before_send").await;
        let max_fee = fee_limit(&state, &invoice);
        let result = payments::send(
            &state.store,
            &state.clock,
            state.config.network,
            &state.node,
            &invoice,
            None,
            Some(max_fee),
        )
        .await;
        if result.is_ok() {
            crate::dev::pause_point("gifts.payout.after_send").await;
        }
        settle_send_result(&state, &withdrawal, result).await;
    });
}

fn fee_limit(state: &AppState, invoice: &Bolt11Invoice) -> Msat {
    state
        .config
        .gift_fee_limit
        .for_amount(Msat(invoice.amount_milli_satoshis().unwrap_or(0)))
}

/// Fails the withdrawal when nothing was sent; otherwise leaves it to the node's events.
async fn settle_send_result(
    state: &AppState,
    withdrawal: &Withdrawal,
    result: Result<[u8; 32], SendError>,
) {
    let reason = match result {
        Ok(_) => return,
        Err(SendError::Node(e)) if !refused_before_sending(e.kind) => {
            tracing::warn!(withdrawal_id = %withdrawal.withdrawal_id, error = %e, "gift payout outcome unknown; the node's events will settle it");
            return;
        }
        Err(SendError::Store(e)) => {
            // Nothing reached the node: try again while the hub runs (and at the next start).
            tracing::error!(withdrawal_id = %withdrawal.withdrawal_id, error = %e, "gift payout not recorded; retrying");
            tokio::spawn(retry_unrecorded(state.clone(), withdrawal.clone()));
            return;
        }
        Err(SendError::Duplicate) => {
            // The node knows this payment already: it may be in flight. Its record decides.
            if let Err(e) = apply_node_record(state, withdrawal).await {
                tracing::error!(withdrawal_id = %withdrawal.withdrawal_id, error = %e, "settling a gift payout from the node's record");
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
    state: AppState,
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
                Err(e) => {
                    tracing::warn!(withdrawal_id = %withdrawal.withdrawal_id, error = %e, "gift payout retry: database still failing")
                }
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
    state: &AppState,
    withdrawal: &Withdrawal,
) -> Result<NodeRecord, sqlx::Error> {
    let Some(hash) = hex::decode(&withdrawal.payment_hash)
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
    else {
        return Ok(NodeRecord::Applied);
    };
    let record = state
        .node
        .payment(hash)
        .filter(|p| p.direction == PaymentDirection::Outbound);
    let Some(payment) = record else {
        return Ok(NodeRecord::Unknown);
    };
    let key = WithdrawalKey::Id(&withdrawal.withdrawal_id);
    match payment.status {
        PaymentStatus::Succeeded => {
            let mut tx = state.store.pool().begin().await?;
            record_payout_success(
                &mut tx,
                &state.clock,
                key,
                payment.fee_paid_msat.unwrap_or(0),
            )
            .await?;
            tx.commit().await?;
            state.notifier.outbox_committed();
        }
        PaymentStatus::Failed => fail(state, withdrawal, "payment failed").await,
        PaymentStatus::Pending => {
            tracing::info!(withdrawal_id = %withdrawal.withdrawal_id, "gift payout in flight at the node");
        }
    }
    Ok(NodeRecord::Applied)
}

async fn fail(state: &AppState, withdrawal: &Withdrawal, reason: &str) {
    let now = state.clock.now_unix();
    let result = async {
        // In a transaction: it commits before this returns (sqlx's autocommit RETURNING may not).
        let mut tx = state.store.pool().begin().await?;
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
            tracing::info!(withdrawal_id = %withdrawal.withdrawal_id, %reason, "gift payout failed; the gift is redeemable again")
        }
        Err(e) => {
            tracing::error!(withdrawal_id = %withdrawal.withdrawal_id, error = %e, "recording a failed gift payout")
        }
    }
}

/// Brings every withdrawal still `initial` in line with the node's record of its payment:
/// succeeded or failed as the node says, left alone while the node has it pending, and handed
/// to the node when it never got there (the hub stopped in between). Never sends a payment the
/// node already knows.
pub async fn reconcile(state: &AppState) -> Result<(), sqlx::Error> {
    let mut unsent = Vec::new();
    let payer = state.node.node_id().to_string();
    for withdrawal in store::live_withdrawals(&state.store, &payer).await? {
        if let NodeRecord::Unknown = apply_node_record(state, &withdrawal).await? {
            unsent.push(withdrawal);
        }
    }
    if !unsent.is_empty() {
        tokio::spawn(send_when_connected(state.clone(), unsent));
    }
    Ok(())
}

/// How long a payout interrupted before sending waits, after a start, for the node's channels
/// to come back before it is sent anyway (and fails, if there is still no route).
const RECONNECT_PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

/// Sends the payouts the node never took, once a channel is usable again (right after a start
/// the peers are not reconnected yet, and sending then would only fail for want of a route).
/// The withdrawals were listed before the HTTP server started, so no redemption races this.
async fn send_when_connected(state: AppState, unsent: Vec<Withdrawal>) {
    let waited = tokio::time::Instant::now();
    while !state.node.channels().iter().any(|c| c.is_usable)
        && waited.elapsed() < RECONNECT_PATIENCE
    {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    for withdrawal in unsent {
        let Ok(invoice) = crate::node::parse_invoice(&withdrawal.payment_request) else {
            fail(&state, &withdrawal, "stored invoice does not parse").await;
            continue;
        };
        tracing::info!(withdrawal_id = %withdrawal.withdrawal_id, "gift payout never reached the node; sending it now");
        let result = payments::resume_recorded(
            &state.store,
            &state.clock,
            state.config.network,
            &state.node,
            &invoice,
            Some(fee_limit(&state, &invoice)),
        )
        .await;
        settle_send_result(&state, &withdrawal, result).await;
    }
}
