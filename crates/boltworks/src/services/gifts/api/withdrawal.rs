//! A redemption's replies: `POST /redeem/{order_id}`, `/redeemStatus/{withdrawal_id}`, the
//! `withdrawalInfo` of `GET /gift`, and the LNURL-withdraw answers (LUD-03).

use serde::Serialize;

use super::gift::Timestamp;
use crate::money::Msat;
use crate::services::gifts::model::WithdrawalStatus;
use crate::services::gifts::store::Withdrawal;

/// The answer to `POST /redeem/{order_id}`: the redemption started.
#[derive(Debug, Clone, Serialize)]
pub struct Redeemed {
    /// The redemption's id.
    pub withdrawal_id: String,
    /// The same, camelCase.
    #[serde(rename = "withdrawalId")]
    pub withdrawal_id_camel: String,
}

impl Redeemed {
    /// The answer for the redemption `withdrawal_id`.
    pub fn new(withdrawal_id: String) -> Self {
        Self {
            withdrawal_id_camel: withdrawal_id.clone(),
            withdrawal_id,
        }
    }
}

/// The answer to `/redeemStatus/{withdrawal_id}`.
#[derive(Debug, Clone, Serialize)]
pub struct RedeemStatus {
    /// The invoice paid out to.
    pub reference: String,
    /// `initial`, `confirmed` or `error`.
    pub status: WithdrawalStatus,
    /// Why it failed; absent unless it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RedeemStatus {
    /// The status of `withdrawal`.
    pub fn new(withdrawal: &Withdrawal) -> Self {
        Self {
            reference: withdrawal.payment_request.clone(),
            status: withdrawal.status,
            error: withdrawal.error.clone(),
        }
    }
}

/// A gift's latest redemption attempt, in `GET /gift`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawalInfo {
    /// The redemption's id.
    pub withdrawal_id: String,
    /// The invoice paid out to.
    pub withdrawal_invoice: String,
    /// When the redemption started.
    pub created_at: Timestamp,
    /// `initial`, `confirmed` or `error`.
    pub status: WithdrawalStatus,
    /// The routing fee in sats, rounded up, as a string (`"0"` until known).
    pub fee: String,
    /// The routing fee in millisatoshis, a number (0 until known).
    pub fee_msat: Msat,
    /// Why it failed; absent unless it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl WithdrawalInfo {
    /// The info of `withdrawal`.
    pub fn new(withdrawal: &Withdrawal) -> Self {
        let fee = withdrawal.fee_msat.unwrap_or(Msat(0));
        Self {
            withdrawal_id: withdrawal.withdrawal_id.clone(),
            withdrawal_invoice: withdrawal.payment_request.clone(),
            created_at: Timestamp {
                seconds: withdrawal.created_at,
                nanoseconds: withdrawal.created_nanos,
            },
            status: withdrawal.status,
            fee: sats_rounded_up(fee).to_string(),
            fee_msat: fee,
            error: withdrawal.error.clone(),
        }
    }
}

/// Whole sats covering `amount` (a fee of 1,001 msat is 2 sats).
fn sats_rounded_up(amount: Msat) -> u64 {
    amount.0 / 1_000 + u64::from(amount.0 % 1_000 > 0)
}

/// LNURL's success status, `"OK"`.
#[derive(Debug, Clone, Copy, Serialize)]
pub enum LnurlStatus {
    /// `"OK"`.
    #[serde(rename = "OK")]
    Ok,
}

/// The LNURL tag of a withdraw request.
#[derive(Debug, Clone, Copy, Serialize)]
pub enum WithdrawTag {
    /// `"withdrawRequest"`.
    #[serde(rename = "withdrawRequest")]
    WithdrawRequest,
}

/// The answer to `GET /lnurl/{order_id}` without `pr`: the withdraw request (LUD-03), for
/// exactly the gift's amount.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawRequest {
    /// `"OK"`.
    pub status: LnurlStatus,
    /// `"withdrawRequest"`.
    pub tag: WithdrawTag,
    /// Where the wallet sends `k1` and its invoice (`pr`).
    pub callback: String,
    /// The gift's LNURL secret.
    pub k1: String,
    /// The gift's value (a number of msat).
    pub min_withdrawable: Msat,
    /// The same.
    pub max_withdrawable: Msat,
    /// The invoice description the wallet proposes.
    pub default_description: String,
}

impl WithdrawRequest {
    /// The request for the gift `order_id` of `amount`, with its `callback` and `k1`.
    pub fn new(order_id: &str, amount: Msat, callback: String, k1: String) -> Self {
        Self {
            status: LnurlStatus::Ok,
            tag: WithdrawTag::WithdrawRequest,
            callback,
            k1,
            min_withdrawable: amount,
            max_withdrawable: amount,
            default_description: format!("lightning.gifts redeem {order_id}"),
        }
    }
}

/// The answer to the LNURL-withdraw callback: the payout started.
#[derive(Debug, Clone, Serialize)]
pub struct LnurlOk {
    /// `"OK"`.
    pub status: LnurlStatus,
}

impl LnurlOk {
    /// `{"status":"OK"}`.
    pub fn new() -> Self {
        Self {
            status: LnurlStatus::Ok,
        }
    }
}

impl Default for LnurlOk {
    fn default() -> Self {
        Self::new()
    }
}

/// The answers of `GET /lnurl/{order_id}` (its errors are `crate::http::LnurlError`).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum LnurlReply {
    /// Without `pr`: the withdraw request.
    Request(WithdrawRequest),
    /// The callback's: the payout started.
    Started(LnurlOk),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::gifts::model::Via;
    use serde_json::json;

    fn withdrawal(fee_msat: Option<Msat>, error: Option<&str>) -> Withdrawal {
        Withdrawal {
            withdrawal_id: "w".into(),
            order_id: "o".into(),
            payment_request: "lnbcrt1".into(),
            payment_hash: "h".into(),
            via: Via::Redeem,
            status: WithdrawalStatus::Initial,
            error: error.map(str::to_string),
            fee_msat,
            created_at: 3,
            created_nanos: 4,
        }
    }

    #[test]
    fn withdrawal_info_has_fee_as_string_and_msat_as_number() {
        let info = serde_json::to_value(WithdrawalInfo::new(&withdrawal(Some(Msat(1_001)), None)))
            .expect("serializes");
        assert_eq!(
            info,
            json!({
                "withdrawalId": "w", "withdrawalInvoice": "lnbcrt1",
                "createdAt": {"_seconds": 3, "_nanoseconds": 4}, "status": "initial",
                "fee": "2", "feeMsat": 1001,
            })
        );
        let unknown =
            serde_json::to_value(WithdrawalInfo::new(&withdrawal(None, Some("no route"))))
                .expect("serializes");
        assert_eq!(
            (&unknown["fee"], &unknown["feeMsat"]),
            (&json!("0"), &json!(0))
        );
        assert_eq!(unknown["error"], "no route");
    }

    #[test]
    fn redeem_status_names_an_error_only_when_there_is_one() {
        let ok = serde_json::to_value(RedeemStatus::new(&withdrawal(None, None)));
        assert_eq!(
            ok.expect("serializes"),
            json!({"reference": "lnbcrt1", "status": "initial"})
        );
        let failed = serde_json::to_value(RedeemStatus::new(&withdrawal(None, Some("x"))));
        assert_eq!(failed.expect("serializes")["error"], "x");
    }

    #[test]
    fn lnurl_answers_have_the_lud03_shape() {
        let request = WithdrawRequest::new("o", Msat(2_000), "https://h/l".into(), "k".into());
        assert_eq!(
            serde_json::to_value(request).expect("serializes"),
            json!({
                "status": "OK", "tag": "withdrawRequest", "callback": "https://h/l", "k1": "k",
                "minWithdrawable": 2000, "maxWithdrawable": 2000,
                "defaultDescription": "lightning.gifts redeem o",
            })
        );
        assert_eq!(
            serde_json::to_value(LnurlOk::new()).expect("serializes"),
            json!({"status": "OK"})
        );
        assert_eq!(
            serde_json::to_value(Redeemed::new("w".into())).expect("serializes"),
            json!({"withdrawal_id": "w", "withdrawalId": "w"})
        );
    }
}
