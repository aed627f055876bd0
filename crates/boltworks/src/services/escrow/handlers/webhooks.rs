//! `setwebhook` (extension): a URL told of every status change of the caller's transactions.

use axum::extract::State;
use axum::Json;

use super::{authenticate, Answer, EscrowInput};
use crate::notify::guard;
use crate::services::escrow::api::WebhookReply;
use crate::services::escrow::model::Refusal;
use crate::services::escrow::store;
use crate::services::escrow::EscrowService;

/// `setwebhook`: sets the caller's webhook URL; an empty `url` removes it. The URL must be
/// http(s); whether its address may be private is decided at delivery, by the notifier's guard.
#[tracing::instrument(skip_all, fields(user = tracing::field::Empty))]
pub async fn setwebhook(
    State(state): State<EscrowService>,
    input: EscrowInput,
) -> Answer<WebhookReply> {
    let user = authenticate(&state, &input).await?;
    let url = input.text("url")?.filter(|u| !u.is_empty());
    if let Some(url) = &url {
        guard::check_url(url, true).map_err(|e| Refusal::BadWebhookUrl(e.to_string()))?;
    }
    store::set_webhook(&state.hub.store, user, url.as_deref()).await?;
    Ok(Json(WebhookReply::new(url)))
}
