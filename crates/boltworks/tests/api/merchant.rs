//! The merchant hub end to end on real nodes: signup to first payment with every hub and PSS
//! signature checked; alice pays a merchant invoice (webhook and websocket frame arrive, the
//! balance is net of the 1% fee); the merchant pays bob (balance drops by amount plus the
//! actual routing fee); internal payments and a converted Lightning payment between two
//! merchants move no money through the node; an outgoing payment's status updates reach its
//! `ntfn_url`; and every token refusal.

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::harness::clients::merchant::{assert_books_exact, tokens, Merchant};
use crate::harness::invoices::preimage_and_hash;
use crate::harness::webhook::{hmac_hex, Receiver};
use crate::harness::{eventually, ServeOptions, TestStack};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_merchant_is_paid_pays_out_and_pays_another_merchant() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let (receiver, hook) = Receiver::default().start().await;
    let shop = Merchant::sign_up(&hub.merchant, "shop", Some(&hook)).await;

    // A websocket with the token as subprotocols, as the seed's JS client connects.
    let ws_url = hub.merchant.messages_ws_url();
    let mut request = ws_url.as_str().into_client_request().expect("request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        format!("Bearer, {}", shop.access_token)
            .parse()
            .expect("header"),
    );
    let (mut socket, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket");
    assert_eq!(response.headers()["sec-websocket-protocol"], "Bearer");

    // An invoice of 20000 sats, signed by hub and PSS; alice pays it.
    let invoice = shop.invoice(20_000).await;
    let bolt11 = invoice["payment_request"]
        .as_str()
        .expect("bolt11")
        .to_string();
    let r_hash = invoice["r_hash"].as_str().expect("hash").to_string();
    assert_eq!(invoice["expiry"], 600);
    let (status, unpaid) = shop.lightning_invoice(&r_hash).await;
    assert_eq!(status, 200);
    assert_eq!(unpaid["settled"], false);
    hub.dev.pay("alice", &bolt11).await.expect("alice pays");
    let paid = eventually("the invoice to settle", || async {
        let (_, view) = shop.payment(&r_hash).await;
        (view["settled"] == true).then_some(view)
    })
    .await;
    assert_eq!(paid["fee"], 200);
    assert_eq!(paid["amount_without_fee"], 19_800);
    assert!(paid["settle_date"].as_i64().is_some());
    assert_eq!(shop.balance().await, 19_800);

    let frame = tokio::time::timeout(std::time::Duration::from_secs(30), socket.next())
        .await
        .expect("a frame in time")
        .expect("frame")
        .expect("ok");
    let frame: Value = serde_json::from_str(frame.to_text().expect("text")).expect("json");
    assert_eq!(frame["result"]["ntfn_type"], "lightning", "{frame}");
    let status_frame = &frame["result"]["lightning_payment_status"];
    assert_eq!(status_frame["r_hash"], r_hash.as_str());
    assert_eq!(status_frame["amount"], "20000");
    assert_eq!(status_frame["settled"], true);
    // Resumable: a client that reconnects (token in the query this time) after the id before
    // this frame gets it again.
    let frame_id = frame["id"].as_i64().expect("frame id");
    let resume_url = format!(
        "{ws_url}?token={}&last_id={}",
        shop.access_token,
        frame_id - 1
    );
    let (mut resumed, _) = tokio_tungstenite::connect_async(resume_url)
        .await
        .expect("resume");
    let again = tokio::time::timeout(std::time::Duration::from_secs(30), resumed.next())
        .await
        .expect("a frame in time")
        .expect("frame")
        .expect("ok");
    let again: Value = serde_json::from_str(again.to_text().expect("text")).expect("json");
    assert_eq!(again, frame);
    let hook_body = eventually("the lightning webhook", || async {
        receiver.seen().into_iter().next()
    })
    .await;
    let hook_body: Value = serde_json::from_slice(&hook_body.body).expect("json");
    assert_eq!(hook_body["r_hash"], r_hash.as_str());
    assert_eq!(hook_body["amount"], 20_000);
    assert!(
        !receiver.seen()[0].signature.is_empty(),
        "boltworks signs its webhooks"
    );
    let (_, list) = shop.lightning_payments().await;
    assert_eq!(list["payments"].as_array().expect("list").len(), 1);

    // The merchant pays bob 5000 sats: a bad signature is refused and costs nothing.
    let bob_invoice = hub.dev.invoice("bob", 5_000_000).await;
    let forged = shop.sign(&["5001", &bob_invoice.bolt11]);
    let (status, refused) = shop
        .pay_lightning(
            &json!({"payment_request": bob_invoice.bolt11, "amount": "5000"}),
            Some(&forged),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"], "invalid signature");
    assert_eq!(refused["code"], 3);
    assert_eq!(refused["details"], json!([]));
    let (status, unsigned) = shop
        .pay_lightning(
            &json!({"payment_request": bob_invoice.bolt11, "amount": "5000"}),
            None,
        )
        .await;
    assert_eq!(
        (status.as_u16(), unsigned["message"].as_str()),
        (400, Some("invalid signature"))
    );
    // Measured on the hub's channel with bob, the payment's first hop: alice's payment above
    // may still be settling on her channel, so the hub's total can still rise meanwhile.
    let hub_local_at_pay = hub.dev.local_msat_with("hub", "bob").await;
    let (status, sent) = shop.pay_invoice(&bob_invoice.bolt11, 5_000).await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(sent["converted_to_internal"], false);
    let bob_paid = hub
        .dev
        .wait_payment("bob", &bob_invoice.payment_hash, "succeeded")
        .await;
    assert_eq!(bob_paid.amount_msat, Some(5_000_000));
    let payment_id = sent["payment_id"].as_str().expect("id").to_string();
    let outgoing = eventually("the payment to succeed", || async {
        let (_, view) = shop.outgoing(&payment_id).await;
        (view["status"] == "succeeded").then_some(view)
    })
    .await;
    let fee_msat: i64 = outgoing["fee_msat"]
        .as_str()
        .expect("fee")
        .parse()
        .expect("msat");
    // The actual routing fee, as the hub's channels show it (none on bob's direct channel).
    let hub_local_after = eventually("the hub's channel to settle", || async {
        let local = hub.dev.local_msat_with("hub", "bob").await;
        (hub_local_at_pay.saturating_sub(local) >= 5_000_000).then_some(local)
    })
    .await;
    assert_eq!(
        hub_local_at_pay - hub_local_after,
        5_000_000 + fee_msat as u64,
        "{outgoing}"
    );
    let books = assert_books_exact(&hub.admin).await;
    let expected_msat = 19_800_000 - 5_000_000 - fee_msat;
    assert_eq!(books["merchant"]["balances_msat"], expected_msat, "{books}");
    assert_eq!(shop.balance().await as i64, expected_msat / 1_000);

    // A second merchant: internal payment and a converted Lightning payment, without the node.
    let other = Merchant::sign_up(&hub.merchant, "other", None).await;
    let (status, answer) = shop.pay_internal(&other.id, 1_000).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(other.balance().await, 1_000);
    let (status, answer) = shop.pay_internal(&shop.id, 1).await;
    assert_eq!(
        (status.as_u16(), answer["error"].as_str()),
        (400, Some("cannot pay to self"))
    );
    let (status, answer) = shop.pay_internal("nobodynobodynobodynobody", 1).await;
    assert_eq!(
        (status.as_u16(), answer["error"].as_str()),
        (404, Some("merchant does not exist"))
    );
    let (status, answer) = other.pay_internal(&shop.id, 1_001).await;
    assert_eq!(
        (status.as_u16(), answer["error"].as_str()),
        (400, Some("not enough funds to complete payment"))
    );
    let their_invoice = other.invoice(2_000).await;
    let their_bolt11 = their_invoice["payment_request"].as_str().expect("bolt11");
    let hub_local_before = hub.dev.local_msat("hub").await;
    let (status, answer) = shop.pay_invoice(their_bolt11, 2_000).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["converted_to_internal"], true);
    assert_eq!(other.balance().await, 1_000 + 2_000 - 20);
    let (_, view) = other
        .lightning_invoice(their_invoice["r_hash"].as_str().expect("hash"))
        .await;
    assert_eq!(view["settled"], true);
    let (status, again) = shop.pay_invoice(their_bolt11, 2_000).await;
    assert_eq!(status, 400, "an invoice is paid once: {again}");
    // Paid internally, the invoice is still a live invoice of the node: alice paying it over
    // Lightning gets her money back (the hub fails the held payment), nobody is credited twice.
    let late = hub
        .dev
        .pay("alice", their_bolt11)
        .await
        .expect("alice sends");
    hub.dev.wait_payment("alice", &late, "failed").await;
    assert_eq!(other.balance().await, 1_000 + 2_000 - 20);
    let (status, own) = other.pay_invoice(their_bolt11, 2_000).await;
    assert_eq!(
        (status.as_u16(), own["error"].as_str()),
        (400, Some("cannot pay to self"))
    );
    assert_eq!(
        hub.dev.local_msat("hub").await,
        hub_local_before,
        "internal payments leave the channels alone"
    );
    let books = assert_books_exact(&hub.admin).await;
    assert_eq!(
        books["merchant"]["balances_msat"],
        expected_msat - 1_000_000 - 2_000_000 + 1_000_000 + 1_980_000,
    );

    // Tokens: refresh once only; an access token is no refresh token; forged, other-merchant
    // and expired tokens are refused.
    let (status, fresh) = hub.merchant.refresh(&shop.refresh_token).await;
    assert_eq!(status, 200, "{fresh}");
    assert_ne!(fresh["refresh_token"], shop.refresh_token.as_str());
    let (status, reused) = hub.merchant.refresh(&shop.refresh_token).await;
    assert_eq!(
        (status.as_u16(), reused["error"].as_str()),
        (401, Some("token already used"))
    );
    let (status, as_refresh) = hub.merchant.refresh(&shop.access_token).await;
    assert_eq!(status, 401, "{as_refresh}");
    let (status, unknown) = hub.merchant.refresh(&"ab".repeat(24)).await;
    assert_eq!(
        (status.as_u16(), unknown["error"].as_str()),
        (401, Some("token not found"))
    );
    let (status, valid) = hub
        .merchant
        .validate(&json!({"token": shop.access_token}))
        .await;
    assert_eq!(
        (status.as_u16(), valid["merchant_id"].as_str()),
        (200, Some(shop.id.as_str()))
    );
    let mut parts: Vec<String> = shop.access_token.split('.').map(str::to_string).collect();
    parts[1] =
        base64_url(&json!({"merchant_id": other.id, "exp": 9_999_999_999i64, "typ": "access"}));
    let forged = parts.join(".");
    let (status, answer) = hub.merchant.validate(&json!({"token": forged})).await;
    assert_eq!(
        (status.as_u16(), answer["error"].as_str()),
        (401, Some("token not found"))
    );
    let (status, answer) = other
        .create_invoice(&json!({"merchant_id": shop.id, "amount": 100}))
        .await;
    assert_eq!(status, 401, "another merchant's id with my token: {answer}");
    let (status, answer) = hub.merchant.signin(&shop.email, "wrong password").await;
    assert_eq!(
        (status.as_u16(), answer["error"].as_str()),
        (401, Some("invalid email or password"))
    );
    let (status, _) = hub.dev.advance_clock(3_601).await;
    assert_eq!(status, 200);
    let (status, expired) = shop.balance_answer().await;
    assert_eq!(
        (status.as_u16(), expired["error"].as_str()),
        (401, Some("token is expired"))
    );
    let tokens = tokens(&hub.merchant, &shop.email, &shop.password).await;
    assert!(tokens["expires_at"].as_i64().is_some());
    assert_books_exact(&hub.admin).await;
}

fn base64_url(value: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_outgoing_payment_posts_each_status_update_to_its_ntfn_url() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let (receiver, hook) = Receiver::default().start().await;
    let shop = Merchant::funded(hub, "payer").await;

    // One that succeeds, and one bob fails back.
    let paid = hub.dev.invoice("bob", 5_000_000).await;
    let (_, hash) = preimage_and_hash();
    let refused = hub.dev.hold_invoice("bob", 3_000_000, &hash).await;
    let mut ids = Vec::new();
    for (bolt11, amount) in [(&paid.bolt11, "5000"), (&refused.bolt11, "3000")] {
        let signature = shop.sign(&[amount, bolt11]);
        let body = json!({"payment_request": bolt11, "amount": amount, "ntfn_url": hook});
        let (status, sent) = shop.pay_lightning(&body, Some(&signature)).await;
        if bolt11 == &refused.bolt11 {
            hub.dev.wait_payment("bob", &hash, "held").await;
            hub.dev.fail("bob", &hash).await.expect("bob fails it back");
        }
        // The refused one may answer its failure (wrong destination) or still be pending.
        let id = sent["payment_id"].as_str().map(str::to_string);
        ids.push((status, id, sent));
    }
    let (status, Some(paid_id), sent) = &ids[0] else {
        panic!("the first payment: {ids:?}");
    };
    assert_eq!(*status, 200, "{sent}");

    let (_, secret) = hub.admin.webhook_secret(&hook).await;
    let secret = secret["secret"].as_str().expect("secret").to_string();
    let updates = eventually("both status updates", || async {
        let seen = receiver.seen();
        (seen.len() >= 2).then_some(seen)
    })
    .await;
    let mut statuses = Vec::new();
    for update in &updates {
        assert_eq!(update.signature, hmac_hex(&secret, &update.body));
        let body: Value = serde_json::from_slice(&update.body).expect("json");
        // The payment as GET /api/v2/payment/outgoing/{id} answers it.
        let id = body["payment_id"].as_str().expect("payment_id");
        let (_, view) = shop.outgoing(id).await;
        assert_eq!(body, view);
        statuses.push((
            id.to_string(),
            body["status"].as_str().expect("status").to_string(),
        ));
    }
    assert!(
        statuses.contains(&(paid_id.clone(), "succeeded".to_string())),
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .any(|(id, status)| id != paid_id && status == "failed"),
        "{statuses:?}"
    );
    assert_eq!(receiver.seen().len(), 2, "one update per payment");
    assert_books_exact(&hub.admin).await;
    stack.stop().await;
}
