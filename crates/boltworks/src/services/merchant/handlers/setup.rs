//! The merchant's own settings: the key that verifies its signatures, and merchant setup
//! (key, webhooks, withdrawal address).

use axum::extract::State;
use axum::Json;

use crate::auth::signing_key;
use crate::services::merchant::api::{Empty, PeachError, PeachInput, SetupDone};
use crate::services::merchant::model::{self, Refusal};
use crate::services::merchant::session::Session;
use crate::services::merchant::store::{self, Setup};
use crate::services::merchant::MerchantService;

/// `POST /api/v2/user/pubkey/add`: the key (hex SEC) that verifies the merchant's signatures.
#[tracing::instrument(name = "merchant_add_pubkey", skip_all, fields(merchant_id = %session.merchant_id()))]
pub async fn add_pubkey(
    State(state): State<MerchantService>,
    session: Session,
    input: PeachInput,
) -> Result<Json<Empty>, PeachError> {
    let key = input.required_text("pub_key")?;
    model::hex_public_key("pub_key", key)?;
    let now = state.hub.clock.now_unix();
    store::merchants::set_pubkey(&state.hub.store, session.merchant_id(), key.trim(), now).await?;
    Ok(Json(Empty {}))
}

/// `POST /api/v2/merchant`: merchant setup (repeatable). The withdrawal address must be the
/// merchant's, signed with its key over `merchant_id` + `bitcoin_address`.
#[tracing::instrument(name = "merchant_setup", skip_all, fields(merchant_id = %session.merchant_id()))]
pub async fn setup(
    State(state): State<MerchantService>,
    session: Session,
    input: PeachInput,
) -> Result<Json<SetupDone>, PeachError> {
    session.check_named(input.text("merchant_id")?)?;
    let merchant_id = session.merchant_id();
    let pubkey = input.required_text("merchant_pubkey")?.trim();
    let key = model::hex_public_key("merchant_pubkey", pubkey)?;
    let notification_url = model::setup_url("notification_url", input.text("notification_url")?)?;
    let on_chain = "notification_url_for_on_chain_payment";
    let notification_url_on_chain = model::setup_url(on_chain, input.text(on_chain)?)?;
    let forward = "notification_url_for_forward_payment";
    let notification_url_forward = model::setup_url(forward, input.text(forward)?)?;
    let address = input.required_text("bitcoin_address")?.trim();
    if state.parse_address(address).is_none() {
        return Err(Refusal::BadAddress.into());
    }
    let signature = input
        .text("approve_address_signature")?
        .ok_or(Refusal::BadSignature)?;
    if !signing_key::verify(&key, signature, &[merchant_id, address]) {
        return Err(Refusal::BadSignature.into());
    }
    let values = Setup {
        pubkey,
        notification_url,
        notification_url_on_chain,
        notification_url_forward,
        preimage_url: input.text("get_r_preimage_url")?,
        bitcoin_address: address,
    };
    let now = state.hub.clock.now_unix();
    store::merchants::setup(&state.hub.store, merchant_id, &values, now).await?;
    Ok(Json(SetupDone {
        id: merchant_id.to_string(),
        timestamp: now,
    }))
}
