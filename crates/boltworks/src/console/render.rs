//! The console's templates (minijinja, HTML auto-escaped) and the page response: every page is
//! rendered with a fresh nonce and served under the pages' strict Content-Security-Policy.

use std::sync::OnceLock;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::{context, Environment, Value};

use crate::web::{html_response, nonce};

/// The templates, compiled once.
fn templates() -> &'static Environment<'static> {
    static TEMPLATES: OnceLock<Environment<'static>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let mut env = Environment::new();
        let sources = [
            (
                "base.html",
                include_str!("../../templates/console/base.html"),
            ),
            (
                "landing.html",
                include_str!("../../templates/console/landing.html"),
            ),
            (
                "login.html",
                include_str!("../../templates/console/login.html"),
            ),
            (
                "message.html",
                include_str!("../../templates/console/message.html"),
            ),
            (
                "overview.html",
                include_str!("../../templates/console/overview.html"),
            ),
            (
                "notifications.html",
                include_str!("../../templates/console/notifications.html"),
            ),
            (
                "escrow.html",
                include_str!("../../templates/console/escrow.html"),
            ),
            (
                "node.html",
                include_str!("../../templates/console/node.html"),
            ),
            (
                "channels.html",
                include_str!("../../templates/console/channels.html"),
            ),
            (
                "ledger.html",
                include_str!("../../templates/console/ledger.html"),
            ),
            ("lsp.html", include_str!("../../templates/console/lsp.html")),
            (
                "lsp_order.html",
                include_str!("../../templates/console/lsp_order.html"),
            ),
            (
                "merchants.html",
                include_str!("../../templates/console/merchants.html"),
            ),
            (
                "merchant.html",
                include_str!("../../templates/console/merchant.html"),
            ),
            (
                "gifts.html",
                include_str!("../../templates/console/gifts.html"),
            ),
        ];
        for (name, source) in sources {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("console template {name}: {e}"));
        }
        env
    })
}

/// Renders template `name` with `page` as a page answering `status`.
pub(super) fn page(status: StatusCode, name: &str, page: Value) -> Response {
    let nonce = nonce();
    let rendered = templates()
        .get_template(name)
        .and_then(|template| template.render(context! { nonce => &nonce, ..page }));
    match rendered {
        Ok(html) => html_response(status, html, &nonce),
        Err(e) => {
            tracing::error!(template = name, error = %e, "rendering a console page");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be rendered",
            )
                .into_response()
        }
    }
}
