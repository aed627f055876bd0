//! The client of the gifts API (`/gifts`), and the steps gift tests share: a gift created and
//! paid by alice, waiting for its `spent`, bob's balance, the gift books.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::http::{answer, Http};
use super::Hub;
use crate::harness::wait::eventually;

/// `/gifts`.
#[derive(Clone)]
pub struct GiftsClient {
    http: Http,
}

impl GiftsClient {
    pub fn new(http: Http) -> Self {
        Self { http }
    }

    /// `POST /gifts/create` with a JSON body.
    pub async fn create(&self, body: &Value) -> (StatusCode, Value) {
        self.http.post("/gifts/create", body).await
    }

    /// `POST /gifts/create` with a form body.
    pub async fn create_form(&self, fields: &[(&str, &str)]) -> (StatusCode, Value) {
        let request = self
            .http
            .request(reqwest::Method::POST, "/gifts/create")
            .form(fields);
        answer(request).await
    }

    /// `POST /gifts/create` with `text` as its JSON body, as it is.
    pub async fn create_json_text(&self, text: &str) -> (StatusCode, Value) {
        self.http.post_json_text("/gifts/create", text).await
    }

    /// `GET /gifts/status/{charge}`.
    pub async fn status(&self, charge: &str) -> (StatusCode, Value) {
        self.http.get(&format!("/gifts/status/{charge}")).await
    }

    /// `GET /gifts/gift/{order_id}`.
    pub async fn gift(&self, order_id: &str) -> (StatusCode, Value) {
        self.http.get(&format!("/gifts/gift/{order_id}")).await
    }

    /// `POST /gifts/redeem/{order_id}`.
    pub async fn redeem(&self, order_id: &str, body: &Value) -> (StatusCode, Value) {
        self.http
            .post(&format!("/gifts/redeem/{order_id}"), body)
            .await
    }

    /// `POST /gifts/redeem/{order_id}` with `{"invoice": bolt11}`.
    pub async fn redeem_invoice(&self, order_id: &str, bolt11: &str) -> (StatusCode, Value) {
        self.redeem(order_id, &json!({"invoice": bolt11})).await
    }

    /// `GET /gifts/redeemStatus/{withdrawal}`.
    pub async fn redeem_status(&self, withdrawal: &str) -> (StatusCode, Value) {
        self.http
            .get(&format!("/gifts/redeemStatus/{withdrawal}"))
            .await
    }

    /// `POST /gifts/redeemStatus/{withdrawal}` (a method the route does not serve).
    pub async fn post_redeem_status(&self, withdrawal: &str) -> (StatusCode, Value) {
        self.http
            .post(&format!("/gifts/redeemStatus/{withdrawal}"), &json!({}))
            .await
    }

    /// `GET /gifts/lnurl/{rest}`: a gift's LNURL-withdraw request, or (with `?k1=..&pr=..`)
    /// its callback.
    pub async fn lnurl(&self, rest: &str) -> (StatusCode, Value) {
        self.http.get(&format!("/gifts/lnurl/{rest}")).await
    }

    /// `POST /gifts/create`; panics unless it answers 200.
    pub async fn create_ok(&self, body: &Value) -> Value {
        let (status, gift) = self.create(body).await;
        assert_eq!(status, 200, "create: {gift}");
        gift
    }

    /// Waits until `GET /gift/{order_id}` has `spent` equal to `spent`; returns the gift.
    pub async fn wait_spent(&self, order_id: &str, spent: Value) -> Value {
        eventually(&format!("gift {order_id} spent = {spent}"), || async {
            let (_, gift) = self.gift(order_id).await;
            (gift["spent"] == spent).then_some(gift)
        })
        .await
    }
}

/// A gift of `amount_sat` paid by alice, waited for until `/status` says `paid`.
pub async fn funded_gift(hub: &Hub, amount_sat: u64, notify: Option<&str>) -> Value {
    let mut body = json!({"amount": amount_sat});
    if let Some(url) = notify {
        body["notify"] = json!(url);
    }
    let gift = hub.gifts.create_ok(&body).await;
    let payreq = gift["lightning_invoice"]["payreq"]
        .as_str()
        .expect("payreq");
    hub.dev
        .pay("alice", payreq)
        .await
        .expect("alice pays the gift invoice");
    let charge = gift["charge_id"].as_str().expect("charge id").to_string();
    eventually("the gift invoice to be paid", || async {
        let (_, status) = hub.gifts.status(&charge).await;
        (status["status"] == "paid").then_some(())
    })
    .await;
    gift
}

/// Waits until bob's channels hold `before + gained` (the last commitment update may trail the
/// payer's success event), then checks it stays there: bob was paid exactly once.
pub async fn assert_bob_gained(hub: &Hub, before: u64, gained: u64) {
    eventually("bob's balance to show the payment", || async {
        let now = hub.dev.local_msat("bob").await;
        assert!(
            now <= before + gained,
            "bob got more than once: {before} -> {now}"
        );
        (now == before + gained).then_some(())
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        hub.dev.local_msat("bob").await,
        before + gained,
        "paid exactly once"
    );
}

/// Asserts the ledger is balanced and gift liabilities equal the unredeemed gifts; returns
/// the liabilities in msat.
pub async fn assert_books_balance(hub: &Hub) -> i64 {
    let (status, ledger) = hub.admin.ledger().await;
    assert_eq!(status, 200, "{ledger}");
    assert_eq!(ledger["balanced"], true, "trial balance: {ledger}");
    let (status, audit) = hub.admin.gifts_audit().await;
    assert_eq!(status, 200, "{audit}");
    assert_eq!(audit["matches"], true, "gift audit: {audit}");
    audit["liabilities_msat"].as_i64().expect("liabilities")
}
