//! The gifts pages: `/gifts/` to create a gift (amount, optional sender name and message),
//! `/gifts/pay/{order_id}` showing its invoice as a QR code until it is paid and then the gift
//! link, and `/gifts/redeem/{order_id}` where the receiver scans the LNURL (QR, uppercase) or
//! pastes an invoice and watches the payout. The pages call the same public API any client
//! would; they work without JavaScript up to the point of paying and redeeming.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::{escape, qr_data_uri, Page};
use crate::http::{join_path, ApiRoutes, PathId};
use crate::services::gifts::api::{GiftsError, GiftsInput};
use crate::services::gifts::create::create_gift;
use crate::services::gifts::lnurl_of;
use crate::services::gifts::model::{
    check_redeemable, ChargeStatus, Refusal, MAX_GIFT_SAT, MAX_SENDER_MESSAGE, MAX_SENDER_NAME,
    MIN_GIFT_SAT,
};
use crate::services::gifts::redeem::find_gift;
use crate::services::gifts::store::Gift;
use crate::services::gifts::GiftsService;

/// The page routes under the gifts service's base path, given the service as their state.
pub fn routes<S: Clone + Send + Sync + 'static>(gifts: &GiftsService) -> ApiRoutes<S> {
    let base = gifts.base();
    let mut routes = ApiRoutes::mounted_at("gifts-pages", base)
        .get("/", "Page: create a gift", create_page)
        .post(
            "/",
            "Page form: create a gift, then go to its payment page",
            create_submit,
        )
        .get(
            "/pay/{order_id}",
            "Page: the gift invoice as a QR code, then the gift link once paid",
            pay_page,
        )
        .get(
            "/redeem/{order_id}",
            "Page: redeem a gift by LNURL QR code or by pasting an invoice",
            redeem_page,
        );
    if base != "/" {
        let to = join_path(base, "/");
        routes = routes.get("", "Page: to the create page", move || async move {
            Redirect::permanent(&to)
        });
    }
    routes.with_state(gifts.clone())
}

fn path(state: &GiftsService, rest: &str) -> String {
    join_path(state.base(), rest)
}

/// User-facing text for each refusal code (the pages' scripts use the same table).
const MESSAGES: &str = r#"{
"GIFT_AMOUNT_NOT_WHOLE_NUMBER":"The amount must be a whole number of sats.",
"GIFT_AMOUNT_UNDER_100":"A gift is at least 100 sats.",
"GIFT_AMOUNT_OVER_500K":"A gift is at most 500,000 sats.",
"SENDER_NAME_BAD_LENGTH":"Your name can be at most 15 characters.",
"SENDER_MESSAGE_BAD_LENGTH":"The message can be at most 100 characters.",
"GIFT_NOT_FOUND":"There is no gift with this link.",
"GIFT_INVOICE_UNPAID":"This gift's invoice has not been paid yet.",
"GIFT_REDEEM_PENDING":"A redemption of this gift is in progress.",
"GIFT_SPENT":"This gift has already been redeemed.",
"NO_INVOICE":"Paste an invoice first.",
"BAD_INVOICE":"That is not a Lightning invoice.",
"BAD_INVOICE_AMOUNT":"The invoice must be for exactly the gift's amount.",
"BAD_INVOICE_NETWORK":"The invoice is for another Bitcoin network.",
"INVOICE_EXPIRED":"The invoice has expired; make a new one.",
"INVOICE_PAYS_THIS_HUB":"The invoice belongs to this service itself.",
"INVOICE_ALREADY_USED":"That invoice is already being paid; make a new one."
}"#;

fn message_for(code: &str) -> String {
    serde_json::from_str::<serde_json::Value>(MESSAGES)
        .ok()
        .and_then(|m| m.get(code).and_then(|v| v.as_str()).map(str::to_string))
        .unwrap_or_else(|| format!("Something went wrong ({code})."))
}

fn create_form(
    state: &GiftsService,
    error: Option<&str>,
    amount: &str,
    name: &str,
    message: &str,
) -> String {
    let error = error
        .map(|e| format!("<p class=\"note error\" id=\"error\">{}</p>", escape(e)))
        .unwrap_or_default();
    format!(
        "<h1>Send a Lightning gift</h1>\
         <p>Pay an invoice, then share the link: whoever has it can redeem the sats once.</p>{error}\
         <form method=\"post\" action=\"{action}\">\
         <label for=\"amount\">Amount (sats)</label>\
         <input id=\"amount\" name=\"amount\" type=\"number\" min=\"{MIN_GIFT_SAT}\" max=\"{MAX_GIFT_SAT}\" step=\"1\" required value=\"{amount}\">\
         <label for=\"senderName\">Your name (optional)</label>\
         <input id=\"senderName\" name=\"senderName\" maxlength=\"{MAX_SENDER_NAME}\" value=\"{name}\">\
         <label for=\"senderMessage\">Message (optional)</label>\
         <input id=\"senderMessage\" name=\"senderMessage\" maxlength=\"{MAX_SENDER_MESSAGE}\" value=\"{message}\">\
         <button id=\"create\" type=\"submit\">Create gift</button></form>",
        action = escape(&path(state, "/")),
        amount = escape(amount),
        name = escape(name),
        message = escape(message),
    )
}

#[tracing::instrument(skip_all)]
async fn create_page(State(state): State<GiftsService>) -> Page {
    Page {
        status: StatusCode::OK,
        title: "Lightning gift".into(),
        body: create_form(&state, None, "", "", ""),
        script: None,
    }
}

#[tracing::instrument(skip_all)]
async fn create_submit(
    State(state): State<GiftsService>,
    input: Result<GiftsInput, GiftsError>,
) -> Response {
    let created = match input {
        Ok(input) => create_gift(&state, &input)
            .await
            .map_err(|e| (e, Some(input))),
        Err(e) => Err((e, None)),
    };
    match created {
        Ok(gift) => Redirect::to(&path(&state, &format!("/pay/{}", gift.order_id))).into_response(),
        Err((error, input)) => {
            let (status, text) = match &error {
                GiftsError::Refused(r) | GiftsError::NotFound(r) => {
                    (StatusCode::BAD_REQUEST, message_for(r.code()))
                }
                GiftsError::BadBody(code) => (StatusCode::BAD_REQUEST, message_for(code)),
                GiftsError::Internal(_) => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side; please try again.".to_string(),
                ),
            };
            if let GiftsError::Internal(detail) = &error {
                tracing::error!(%detail, "gift create page");
            }
            let field = |snake: &str, camel: &str| {
                input
                    .as_ref()
                    .and_then(|i| i.text(snake, camel))
                    .unwrap_or_default()
                    .to_string()
            };
            Page {
                status,
                title: "Lightning gift".into(),
                body: create_form(
                    &state,
                    Some(&text),
                    &field("amount", "amount"),
                    &field("sender_name", "senderName"),
                    &field("sender_message", "senderMessage"),
                ),
                script: None,
            }
            .into_response()
        }
    }
}

fn not_found() -> Page {
    Page {
        status: StatusCode::NOT_FOUND,
        title: "Gift not found".into(),
        body: "<h1>Gift not found</h1><p class=\"note error\" id=\"status\">There is no gift with this link. Check that you copied all of it.</p>".into(),
        script: None,
    }
}

async fn load(state: &GiftsService, order_id: &str) -> Result<Gift, Page> {
    match find_gift(state, order_id).await {
        Ok(gift) => Ok(gift),
        Err(GiftsError::Internal(detail)) => {
            tracing::error!(%detail, "gift page");
            Err(Page {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                title: "Error".into(),
                body: "<h1>Something went wrong</h1><p>Please try again.</p>".into(),
                script: None,
            })
        }
        Err(_) => Err(not_found()),
    }
}

fn sender_lines(gift: &Gift) -> String {
    let mut html = String::new();
    if let Some(name) = &gift.sender_name {
        html.push_str(&format!(
            "<p>From <strong id=\"sender\">{}</strong></p>",
            escape(name)
        ));
    }
    if let Some(message) = &gift.sender_message {
        html.push_str(&format!("<p id=\"message\">“{}”</p>", escape(message)));
    }
    html
}

#[tracing::instrument(skip_all, fields(order_id = order_id.as_str()))]
async fn pay_page(State(state): State<GiftsService>, order_id: PathId) -> Page {
    let gift = match load(&state, order_id.as_str()).await {
        Ok(gift) => gift,
        Err(page) => return page,
    };
    let link = format!(
        "{}{}",
        state.hub().public_url,
        path(&state, &format!("/redeem/{}", gift.order_id))
    );
    let paid = gift.charge_status == ChargeStatus::Paid;
    let qr = qr_data_uri(&format!(
        "lightning:{}",
        gift.payment_request.to_uppercase()
    ))
    .unwrap_or_default();
    let body = format!(
        "<h1>Your gift of <span class=\"amount\">{amount}</span> sats</h1>{sender}\
         <div id=\"page\" data-status-url=\"{status_url}\">\
         <div id=\"unpaid\"{unpaid_hidden}><p>Pay this invoice to fund the gift:</p>\
         <img class=\"qr\" id=\"invoice-qr\" alt=\"invoice QR code\" src=\"{qr}\">\
         <textarea id=\"invoice\" rows=\"5\" readonly>{invoice}</textarea>\
         <p class=\"note\" id=\"status\">Waiting for payment…</p></div>\
         <div id=\"paid\"{paid_hidden}><p class=\"note ok\">Paid! Share this link with the receiver:</p>\
         <p><a id=\"gift-link\" class=\"mono\" href=\"{link}\">{link}</a></p></div></div>",
        amount = gift.amount_sat.0,
        sender = sender_lines(&gift),
        status_url = escape(&path(&state, &format!("/status/{}", gift.charge_id))),
        unpaid_hidden = if paid { " hidden" } else { "" },
        paid_hidden = if paid { "" } else { " hidden" },
        qr = escape(&qr),
        invoice = escape(&gift.payment_request),
        link = escape(&link),
    );
    let script = "const page=document.getElementById('page');\
        async function poll(){try{const r=await fetch(page.dataset.statusUrl);const j=await r.json();\
        if(j.status==='paid'){document.getElementById('unpaid').hidden=true;document.getElementById('paid').hidden=false;return;}}catch(e){}\
        setTimeout(poll,1000);}\
        if(document.getElementById('paid').hidden){poll();}";
    Page {
        status: StatusCode::OK,
        title: format!("Gift of {} sats", gift.amount_sat.0),
        body,
        script: Some(script.into()),
    }
}

#[tracing::instrument(skip_all, fields(order_id = order_id.as_str()))]
async fn redeem_page(State(state): State<GiftsService>, order_id: PathId) -> Page {
    let gift = match load(&state, order_id.as_str()).await {
        Ok(gift) => gift,
        Err(page) => return page,
    };
    let redeemable = check_redeemable(gift.charge_status, gift.spent);
    let (status_text, status_class) = match redeemable {
        Ok(()) => ("Scan the QR code with your Lightning wallet, or paste an invoice for exactly this amount.".to_string(), "note"),
        Err(refusal @ Refusal::GiftSpent) => (message_for(refusal.code()), "note ok"),
        Err(refusal @ Refusal::GiftRedeemPending) => (message_for(refusal.code()), "note"),
        Err(refusal) => (message_for(refusal.code()), "note error"),
    };
    let redeemable = redeemable.is_ok();
    let lnurl = lnurl_of(&state, &gift.order_id).to_uppercase();
    let qr = qr_data_uri(&lnurl).unwrap_or_default();
    let hidden = if redeemable { "" } else { " hidden" };
    let body = format!(
        "<h1>You got <span class=\"amount\" id=\"amount\">{amount}</span> sats</h1>{sender}\
         <div id=\"page\" data-gift-url=\"{gift_url}\" data-redeem-url=\"{redeem_url}\" data-messages=\"{messages}\">\
         <p class=\"{status_class}\" id=\"status\">{status}</p>\
         <div id=\"redeem\"{hidden}>\
         <a href=\"lightning:{lnurl}\"><img class=\"qr\" id=\"lnurl-qr\" alt=\"LNURL-withdraw QR code\" src=\"{qr}\"></a>\
         <p class=\"mono\" id=\"lnurl\">{lnurl}</p>\
         <form id=\"redeem-form\"><label for=\"invoice\">Or paste an invoice for exactly {amount} sats</label>\
         <textarea id=\"invoice\" name=\"invoice\" rows=\"4\" required></textarea>\
         <button id=\"redeem-button\" type=\"submit\">Redeem</button></form></div></div>",
        amount = gift.amount_sat.0,
        sender = sender_lines(&gift),
        gift_url = escape(&path(&state, &format!("/gift/{}", gift.order_id))),
        redeem_url = escape(&path(&state, &format!("/redeem/{}", gift.order_id))),
        messages = escape(MESSAGES),
        status = escape(&status_text),
        lnurl = escape(&lnurl),
        qr = escape(&qr),
    );
    let script = "const page=document.getElementById('page');const messages=JSON.parse(page.dataset.messages);\
        const statusEl=document.getElementById('status');const redeemEl=document.getElementById('redeem');\
        let submitted=false;function show(text,kind){statusEl.textContent=text;statusEl.className='note '+(kind||'');}\
        function render(g){if(g.spent===true){show(submitted?'Redeemed! The sats are in your wallet.':messages.GIFT_SPENT,'ok');redeemEl.hidden=true;return true;}\
        if(g.spent==='pending'){show(messages.GIFT_REDEEM_PENDING);redeemEl.hidden=true;return false;}\
        if(g.chargeStatus!=='paid'){show(messages.GIFT_INVOICE_UNPAID,'error');redeemEl.hidden=true;return false;}\
        if(g.withdrawalInfo&&g.withdrawalInfo.status==='error'){show('The payout failed ('+g.withdrawalInfo.error+'). You can try again with a new invoice.','error');}\
        redeemEl.hidden=false;return false;}\
        async function poll(){try{const r=await fetch(page.dataset.giftUrl);if(r.ok&&render(await r.json())){return;}}catch(e){}setTimeout(poll,1000);}\
        document.getElementById('redeem-form').addEventListener('submit',async function(ev){ev.preventDefault();\
        const invoice=document.getElementById('invoice').value.trim();\
        try{const r=await fetch(page.dataset.redeemUrl,{method:'POST',headers:{'Content-Type':'application/json'},body:JSON.stringify({invoice:invoice})});\
        const j=await r.json();if(!r.ok){show(messages[j.message]||('Refused: '+j.message),'error');return;}\
        submitted=true;redeemEl.hidden=true;show('Payout started. Waiting for the payment to arrive…');}catch(e){show('Could not reach the service; try again.','error');}});\
        poll();";
    Page {
        status: StatusCode::OK,
        title: format!("A gift of {} sats", gift.amount_sat.0),
        body,
        script: Some(script.into()),
    }
}
