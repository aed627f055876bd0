//! A merchant hub client as a merchant's integration would write it: its own secp256k1 key
//! (made with the secp256k1 crate), the PSS and hub signups, tokens, signed payments, and the
//! checks of every hub and PSS signature against the published keys.

use base64::Engine;
use bitcoin::hashes::{sha256, Hash};
use bitcoin::secp256k1::{ecdsa::Signature, Message, PublicKey, Secp256k1, SecretKey};
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::HubClient;

/// A signed-up, set-up merchant.
pub struct Merchant {
    pub id: String,
    pub email: String,
    pub password: String,
    pub secret: SecretKey,
    pub access_token: String,
    pub refresh_token: String,
    /// The withdrawal address given at setup (a P2WPKH of the merchant's key).
    pub bitcoin_address: String,
    pub http: reqwest::Client,
    pub base: String,
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

/// The hub's and the PSS's published keys.
pub async fn published_keys(hub: &HubClient) -> (String, String) {
    let (_, hub_key) = hub.get("/api/v2/hub/pubkey").await;
    let (_, pss_key) = hub.get("/pss/api/v1/pss/public_key").await;
    (
        hub_key["pubkey"].as_str().expect("hub key").to_string(),
        pss_key["content"].as_str().expect("pss key").to_string(),
    )
}

impl Merchant {
    /// Signs up as the seed describes (PSS signup, hub signup, signin, key, setup), checking
    /// the PSS's signature on the way, with `url` as every webhook.
    pub async fn sign_up(hub: &HubClient, name: &str, url: Option<&str>) -> Merchant {
        let secp = Secp256k1::new();
        let secret = SecretKey::new(&mut rand::thread_rng());
        let public = secret.public_key(&secp);
        let (_, pss_key) = published_keys(hub).await;
        let b64 = base64::engine::general_purpose::STANDARD.encode(public.serialize());
        let (status, pss) = hub
            .post("/pss/api/v1/signup", json!({"raw_public_key_list": [b64]}))
            .await;
        assert_eq!(status, 200, "{pss}");
        let id = pss["user_id"]["content"].as_str().expect("id").to_string();
        assert_eq!(pss["content"], id.as_str());
        let pss_signature = pss["pss_signature"].as_str().expect("sig").to_string();
        assert_signed(&pss_key, &pss_signature, &[&id]);
        let http = reqwest::Client::new();
        let email = format!("{name}-{}@shop.example", &id[..8]);
        let password = "correct horse battery".to_string();
        let answer: Value = http
            .post(format!("{}/api/v2/auth/signup", hub.base))
            .header("X-Pss-User-Id", format!("{id}.{pss_signature}"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("signup")
            .json()
            .await
            .expect("json");
        assert_eq!(answer["merchant_id"], id.as_str(), "{answer}");
        let tokens = signin(hub, &email, &password).await;
        let address = bitcoin::Address::p2wpkh(
            &bitcoin::CompressedPublicKey(public),
            bitcoin::Network::Regtest,
        )
        .to_string();
        let merchant = Merchant {
            id,
            email,
            password,
            secret,
            access_token: tokens["access_token"].as_str().expect("token").to_string(),
            refresh_token: tokens["refresh_token"]
                .as_str()
                .expect("refresh")
                .to_string(),
            bitcoin_address: address,
            http,
            base: hub.base.clone(),
        };
        let hex_key = hex::encode(public.serialize_uncompressed());
        let (status, answer) = merchant
            .post("/api/v2/user/pubkey/add", json!({"pub_key": hex_key}), None)
            .await;
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
        let (status, answer) = merchant.post("/api/v2/merchant", setup, None).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["id"], merchant.id.as_str());
        merchant
    }

    /// Signs `fields` with the merchant's key.
    pub fn sign(&self, fields: &[&str]) -> String {
        sign(&self.secret, fields)
    }

    /// POST with the access token and, if given, `X-Signature`.
    pub async fn post(
        &self,
        path: &str,
        body: Value,
        signature: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.access_token)
            .json(&body);
        if let Some(signature) = signature {
            request = request.header("X-Signature", signature);
        }
        let response = request.send().await.expect("POST");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// GET with the access token.
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.access_token)
            .send()
            .await
            .expect("GET");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The spendable balance, sats.
    pub async fn balance(&self) -> u64 {
        let (status, answer) = self.get("/api/v2/merchant/balance").await;
        assert_eq!(status, 200, "{answer}");
        answer["balance"]
            .as_str()
            .expect("string")
            .parse()
            .expect("sats")
    }

    /// A Lightning invoice for `amount` sats, its signatures checked.
    pub async fn invoice(&self, hub: &HubClient, amount: u64) -> Value {
        let (status, invoice) = self
            .post(
                "/api/v2/payment/lightning",
                json!({"amount": amount.to_string(), "description": "order 1", "expiry": 600}),
                None,
            )
            .await;
        assert_eq!(status, 200, "{invoice}");
        let (hub_key, pss_key) = published_keys(hub).await;
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

    /// Pays `bolt11` of `amount` sats, signed.
    pub async fn pay_invoice(&self, bolt11: &str, amount: u64) -> (StatusCode, Value) {
        let amount = amount.to_string();
        let signature = self.sign(&[&amount, bolt11]);
        self.post(
            "/api/v2/payment/outgoing/lightning",
            json!({"payment_request": bolt11, "amount": amount}),
            Some(&signature),
        )
        .await
    }

    /// Pays merchant `destination` `amount` sats, signed.
    pub async fn pay_internal(&self, destination: &str, amount: u64) -> (StatusCode, Value) {
        let amount = amount.to_string();
        let signature = self.sign(&[&amount, destination]);
        self.post(
            "/api/v2/payment/internal",
            json!({"destination": destination, "amount": amount}),
            Some(&signature),
        )
        .await
    }
}

/// Signs in; the token answer.
pub async fn signin(hub: &HubClient, email: &str, password: &str) -> Value {
    let (status, tokens) = hub
        .post(
            "/api/v2/auth/signin",
            json!({"email": email, "password": password}),
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    tokens
}

/// The ledger sums to zero and the merchant balance columns match their accounts.
pub async fn assert_books_exact(hub: &HubClient) -> Value {
    let (status, books) = hub.admin_get("/admin/merchant/books").await;
    assert_eq!(status, 200, "{books}");
    assert_eq!(books["ledger_balanced"], true, "{books}");
    assert_eq!(books["merchant"]["columns_match_ledger"], true, "{books}");
    books
}
