//! The client of the merchant hub (`/api/v2`, `/pss/api/v1`) as a merchant's integration would
//! write it: its own secp256k1 key, the PSS and hub signups, tokens, signed payments, and the
//! check of every hub and PSS signature against the published keys.

use base64::Engine;
use bitcoin::hashes::{sha256, Hash};
use bitcoin::secp256k1::{ecdsa::Signature, Message, PublicKey, Secp256k1, SecretKey};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{json, Value};

use super::admin::AdminClient;
use super::http::{answer, Http};

/// The routes a merchant calls before it has a token.
#[derive(Clone)]
pub struct MerchantClient {
    http: Http,
}

impl MerchantClient {
    pub fn new(http: Http) -> Self {
        Self { http }
    }

    /// A request to `path` with no token: for the catalogue of bad input.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, path)
    }

    /// `GET /api/v2/hub/pubkey`.
    pub async fn hub_pubkey(&self) -> (StatusCode, Value) {
        self.http.get("/api/v2/hub/pubkey").await
    }

    /// `GET /pss/api/v1/pss/public_key`.
    pub async fn pss_public_key(&self) -> (StatusCode, Value) {
        self.http.get("/pss/api/v1/pss/public_key").await
    }

    /// The hub's and the PSS's published keys.
    pub async fn published_keys(&self) -> (String, String) {
        let (_, hub_key) = self.hub_pubkey().await;
        let (_, pss_key) = self.pss_public_key().await;
        (
            hub_key["pubkey"].as_str().expect("hub key").to_string(),
            pss_key["content"].as_str().expect("pss key").to_string(),
        )
    }

    /// `POST /pss/api/v1/signup`.
    pub async fn pss_signup(&self, body: &Value) -> (StatusCode, Value) {
        self.http.post("/pss/api/v1/signup", body).await
    }

    /// `POST /api/v2/auth/signup` with the PSS's `X-Pss-User-Id`.
    pub async fn signup(&self, pss_user: &str, body: &Value) -> (StatusCode, Value) {
        let request = self
            .http
            .request(Method::POST, "/api/v2/auth/signup")
            .header("X-Pss-User-Id", pss_user)
            .json(body);
        answer(request).await
    }

    /// `POST /api/v2/auth/signin`.
    pub async fn signin(&self, email: &str, password: &str) -> (StatusCode, Value) {
        self.http
            .post(
                "/api/v2/auth/signin",
                &json!({"email": email, "password": password}),
            )
            .await
    }

    /// `POST /api/v2/auth/token/{refresh_token}`: new tokens.
    pub async fn refresh(&self, refresh_token: &str) -> (StatusCode, Value) {
        self.http
            .post(&format!("/api/v2/auth/token/{refresh_token}"), &json!({}))
            .await
    }

    /// `POST /api/v2/auth/validate`.
    pub async fn validate(&self, body: &Value) -> (StatusCode, Value) {
        self.http.post("/api/v2/auth/validate", body).await
    }

    /// The websocket URL of the merchant's messages.
    pub fn messages_ws_url(&self) -> String {
        self.http.base().replace("http://", "ws://") + "/api/v2/user/messages/subscribe"
    }
}

/// A signed-up, set-up merchant, calling with its access token.
#[derive(Clone)]
pub struct Merchant {
    pub id: String,
    pub email: String,
    pub password: String,
    pub secret: SecretKey,
    pub access_token: String,
    pub refresh_token: String,
    /// The withdrawal address given at setup (a P2WPKH of the merchant's key).
    pub bitcoin_address: String,
    api: MerchantClient,
    http: Http,
}

/// SHA-256 of the concatenated fields, as the hub signs.
pub fn digest(fields: &[&str]) -> Message {
    Message::from_digest(sha256::Hash::hash(fields.concat().as_bytes()).to_byte_array())
}

/// Hex DER signature over `fields`.
pub fn sign(secret: &SecretKey, fields: &[&str]) -> String {
    hex::encode(
        Secp256k1::new()
            .sign_ecdsa(&digest(fields), secret)
            .serialize_der(),
    )
}

/// Checks a hub or PSS signature with a published base64 key.
pub fn assert_signed(key_base64: &str, signature_hex: &str, fields: &[&str]) {
    let key = PublicKey::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(key_base64)
            .expect("base64 key"),
    )
    .expect("key");
    let signature =
        Signature::from_der(&hex::decode(signature_hex).expect("hex")).expect("DER signature");
    Secp256k1::verification_only()
        .verify_ecdsa(&digest(fields), &signature, &key)
        .unwrap_or_else(|e| panic!("signature over {fields:?} does not verify: {e}"));
}

/// Signs in, checking the answer; the tokens.
pub async fn tokens(api: &MerchantClient, email: &str, password: &str) -> Value {
    let (status, tokens) = api.signin(email, password).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    tokens
}

/// The ledger sums to zero and the merchant balance columns match their accounts.
pub async fn assert_books_exact(admin: &AdminClient) -> Value {
    let (status, books) = admin.merchant_books().await;
    assert_eq!(status, 200, "{books}");
    assert_eq!(books["ledger_balanced"], true, "{books}");
    assert_eq!(books["merchant"]["columns_match_ledger"], true, "{books}");
    books
}

impl Merchant {
    /// A merchant `name` signed up on `hub` whose 20,000-sat invoice alice paid: 19,800 sat to
    /// spend, once credited.
    pub async fn funded(hub: &super::Hub, name: &str) -> Merchant {
        let merchant = Merchant::sign_up(&hub.merchant, name, None).await;
        let invoice = merchant.invoice(20_000).await;
        hub.dev
            .pay(
                "alice",
                invoice["payment_request"].as_str().expect("bolt11"),
            )
            .await
            .expect("alice pays");
        crate::harness::eventually("the merchant to be credited", || async {
            (merchant.balance().await == 19_800).then_some(())
        })
        .await;
        merchant
    }

    /// Signs up as the seed describes (PSS signup, hub signup, signin, key, setup), checking
    /// the PSS's signature on the way, with `url` as every webhook.
    pub async fn sign_up(api: &MerchantClient, name: &str, url: Option<&str>) -> Merchant {
        let secp = Secp256k1::new();
        let secret = SecretKey::new(&mut rand::thread_rng());
        let public = secret.public_key(&secp);
        let (_, pss_key) = api.published_keys().await;
        let b64 = base64::engine::general_purpose::STANDARD.encode(public.serialize());
        let (status, pss) = api.pss_signup(&json!({"raw_public_key_list": [b64]})).await;
        assert_eq!(status, 200, "{pss}");
        let id = pss["user_id"]["content"].as_str().expect("id").to_string();
        assert_eq!(pss["content"], id.as_str());
        let pss_signature = pss["pss_signature"].as_str().expect("sig").to_string();
        assert_signed(&pss_key, &pss_signature, &[&id]);
        let email = format!("{name}-{}@shop.example", &id[..8]);
        let password = "correct horse battery".to_string();
        let (_, answer) = api
            .signup(
                &format!("{id}.{pss_signature}"),
                &json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(answer["merchant_id"], id.as_str(), "{answer}");
        let tokens = tokens(api, &email, &password).await;
        let address = bitcoin::Address::p2wpkh(
            &bitcoin::CompressedPublicKey(public),
            bitcoin::Network::Regtest,
        )
        .to_string();
        let access_token = tokens["access_token"].as_str().expect("token").to_string();
        let merchant = Merchant {
            id,
            email,
            password,
            secret,
            http: api.http.with_token(&access_token),
            access_token,
            refresh_token: tokens["refresh_token"]
                .as_str()
                .expect("refresh")
                .to_string(),
            bitcoin_address: address,
            api: api.clone(),
        };
        let hex_key = hex::encode(public.serialize_uncompressed());
        let (status, answer) = merchant.add_pubkey(&json!({"pub_key": hex_key})).await;
        assert_eq!(status, 200, "{answer}");
        let url = url.unwrap_or("");
        let setup = json!({
            "merchant_id": merchant.id,
            "merchant_pubkey": hex_key,
            "notification_url": url,
            "notification_url_for_on_chain_payment": url,
            "notification_url_for_forward_payment": url,
            "bitcoin_address": merchant.bitcoin_address,
            "approve_address_signature": merchant.sign(&[&merchant.id, &merchant.bitcoin_address]),
        });
        let (status, answer) = merchant.set_up(&setup).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["id"], merchant.id.as_str());
        merchant
    }

    /// The same merchant calling another hub process over the same data (after a restart).
    pub fn reconnect(&mut self, api: &MerchantClient) {
        self.api = api.clone();
        self.http = api.http.with_token(&self.access_token);
    }

    /// Signs `fields` with the merchant's key.
    pub fn sign(&self, fields: &[&str]) -> String {
        sign(&self.secret, fields)
    }

    /// `POST /api/v2/user/pubkey/add`.
    pub async fn add_pubkey(&self, body: &Value) -> (StatusCode, Value) {
        self.http.post("/api/v2/user/pubkey/add", body).await
    }

    /// `POST /api/v2/merchant`: the merchant's setup.
    pub async fn set_up(&self, body: &Value) -> (StatusCode, Value) {
        self.http.post("/api/v2/merchant", body).await
    }

    /// `GET /api/v2/merchant/balance`.
    pub async fn balance_answer(&self) -> (StatusCode, Value) {
        self.http.get("/api/v2/merchant/balance").await
    }

    /// The spendable balance, sats.
    pub async fn balance(&self) -> u64 {
        let (status, answer) = self.balance_answer().await;
        assert_eq!(status, 200, "{answer}");
        answer["balance"]
            .as_str()
            .expect("string")
            .parse()
            .expect("sats")
    }

    /// `GET /api/v2/merchant/balance/locked`.
    pub async fn locked_balance(&self) -> (StatusCode, Value) {
        self.http.get("/api/v2/merchant/balance/locked").await
    }

    /// `POST /api/v2/payment/lightning`: a new Lightning invoice.
    pub async fn create_invoice(&self, body: &Value) -> (StatusCode, Value) {
        self.http.post("/api/v2/payment/lightning", body).await
    }

    /// A Lightning invoice for `amount` sats, its signatures checked.
    pub async fn invoice(&self, amount: u64) -> Value {
        let body = json!({"amount": amount.to_string(), "description": "order 1", "expiry": 600});
        let (status, invoice) = self.create_invoice(&body).await;
        assert_eq!(status, 200, "{invoice}");
        let (hub_key, pss_key) = self.api.published_keys().await;
        let fields = [
            invoice["r_hash"].as_str().expect("r_hash"),
            invoice["payment_request"]
                .as_str()
                .expect("payment_request"),
            self.id.as_str(),
        ];
        assert_signed(
            &hub_key,
            invoice["hub_signature"].as_str().expect("sig"),
            &fields,
        );
        assert_signed(
            &pss_key,
            invoice["pss_signature"].as_str().expect("sig"),
            &fields,
        );
        invoice
    }

    /// `GET /api/v2/payment/lightning/{r_hash}`: one of the merchant's invoices.
    pub async fn lightning_invoice(&self, r_hash: &str) -> (StatusCode, Value) {
        self.http
            .get(&format!("/api/v2/payment/lightning/{r_hash}"))
            .await
    }

    /// `GET /api/v2/payments/{r_hash}`.
    pub async fn payment(&self, r_hash: &str) -> (StatusCode, Value) {
        self.http.get(&format!("/api/v2/payments/{r_hash}")).await
    }

    /// `GET /api/v2/payments/lightning`.
    pub async fn lightning_payments(&self) -> (StatusCode, Value) {
        self.http.get("/api/v2/payments/lightning").await
    }

    /// `GET /api/v2/payments/on_chain`.
    pub async fn onchain_payments(&self) -> (StatusCode, Value) {
        self.http.get("/api/v2/payments/on_chain").await
    }

    /// `POST /api/v2/payment/on_chain`: a new on-chain invoice.
    pub async fn create_onchain_invoice(&self, body: &Value) -> (StatusCode, Value) {
        self.http.post("/api/v2/payment/on_chain", body).await
    }

    /// `POST /api/v2/payment/on_chain/cancel`.
    pub async fn cancel_onchain_invoice(&self, body: &Value) -> (StatusCode, Value) {
        self.http
            .post("/api/v2/payment/on_chain/cancel", body)
            .await
    }

    /// The request of `POST /api/v2/payment/outgoing/lightning`, `X-Signature` if given.
    fn pay_lightning_request(&self, body: &Value, signature: Option<&str>) -> RequestBuilder {
        let request = self
            .http
            .request(Method::POST, "/api/v2/payment/outgoing/lightning")
            .json(body);
        match signature {
            Some(signature) => request.header("X-Signature", signature),
            None => request,
        }
    }

    /// `POST /api/v2/payment/outgoing/lightning`, with `X-Signature` if given.
    pub async fn pay_lightning(
        &self,
        body: &Value,
        signature: Option<&str>,
    ) -> (StatusCode, Value) {
        answer(self.pay_lightning_request(body, signature)).await
    }

    /// The signed request paying `bolt11` of `amount` sats (for a caller that sends it itself).
    pub fn pay_invoice_request(&self, bolt11: &str, amount: u64) -> RequestBuilder {
        let amount = amount.to_string();
        let signature = self.sign(&[&amount, bolt11]);
        let body = json!({"payment_request": bolt11, "amount": amount});
        self.pay_lightning_request(&body, Some(&signature))
    }

    /// Pays `bolt11` of `amount` sats, signed.
    pub async fn pay_invoice(&self, bolt11: &str, amount: u64) -> (StatusCode, Value) {
        answer(self.pay_invoice_request(bolt11, amount)).await
    }

    /// `GET /api/v2/payment/outgoing/{id}`.
    pub async fn outgoing(&self, id: &str) -> (StatusCode, Value) {
        self.http
            .get(&format!("/api/v2/payment/outgoing/{id}"))
            .await
    }

    /// The signed request paying merchant `destination` `amount` sats (to send it as it is, with
    /// an `Idempotency-Key`, or many times).
    pub fn pay_internal_request(&self, destination: &str, amount: u64) -> RequestBuilder {
        let amount = amount.to_string();
        let signature = self.sign(&[&amount, destination]);
        self.http
            .request(Method::POST, "/api/v2/payment/internal")
            .json(&json!({"destination": destination, "amount": amount}))
            .header("X-Signature", signature)
    }

    /// Pays merchant `destination` `amount` sats, signed.
    pub async fn pay_internal(&self, destination: &str, amount: u64) -> (StatusCode, Value) {
        answer(self.pay_internal_request(destination, amount)).await
    }

    /// Signs in again (after the dev clock passed the access token's life).
    pub async fn sign_in_again(&mut self) {
        let tokens = tokens(&self.api, &self.email, &self.password).await;
        self.access_token = tokens["access_token"].as_str().expect("token").to_string();
        self.http = self.api.http.with_token(&self.access_token);
    }

    /// `POST /api/v2/merchant/withdraw`: all of the balance.
    pub async fn withdraw(&self) -> (StatusCode, Value) {
        self.http
            .post("/api/v2/merchant/withdraw", &json!({}))
            .await
    }

    /// `GET /api/v2/merchant/withdraw/{id}`.
    pub async fn withdrawal(&self, id: &str) -> (StatusCode, Value) {
        self.http
            .get(&format!("/api/v2/merchant/withdraw/{id}"))
            .await
    }
}
