//! What every console form shares: the answers to a refused or failed form (in the console's own
//! page, with the status the admin API would answer), and the parsing of form fields, which
//! arrive as text whatever they hold.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::render::page;
use super::session::Session;
use crate::http::HubError;
use crate::node_actions::ActionError;

/// A list filter as a query gives it: an empty field is no filter.
pub(super) fn chosen(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// The filter `text` names (none when empty), or why there is no such `what`.
pub(super) fn filter_of<T: std::str::FromStr>(
    text: Option<&str>,
    what: &str,
) -> Result<Option<T>, String> {
    match text.filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(text) => T::from_str(text)
            .map(Some)
            .map_err(|_| format!("No such {what}.")),
    }
}

/// A POST whose CSRF token is not the session's: refused, nothing done.
pub(super) fn csrf_refused() -> Response {
    refused(
        StatusCode::FORBIDDEN,
        "The form's token is not this session's: nothing was done.",
    )
}

/// A form refused for `why`, answering `status`.
pub(super) fn refused(status: StatusCode, why: &str) -> Response {
    let body = context! { title => "Refused", error => why };
    page(status, "message.html", body)
}

/// The hub could not answer (logged; the page says only that).
pub(super) fn failed(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "a console page failed");
    let body = context! { title => "Unavailable", error => "The hub could not answer; try again." };
    page(StatusCode::SERVICE_UNAVAILABLE, "message.html", body)
}

/// The answer to a form that did `outcome`: back to `to` when done, else why not.
pub(super) fn done_or_refused(outcome: Result<(), HubError>, to: &str) -> Response {
    match outcome {
        Ok(()) => Redirect::to(to).into_response(),
        Err(HubError::Internal(e)) => failed(e),
        Err(e) => refused(e.status(), &e.to_string()),
    }
}

/// The answer to a node action the hub would not take or could not record.
pub(super) fn action_refused(error: ActionError) -> Response {
    match error {
        ActionError::Store(e) => failed(e),
        ActionError::Invalid(why) => refused(StatusCode::BAD_REQUEST, &why),
        ActionError::KeyReused(_) | ActionError::NoTreasury => {
            refused(StatusCode::CONFLICT, &error.to_string())
        }
    }
}

/// A page that shows one value the form produced (e.g. a new address).
pub(super) fn shown(session: &Session, title: &str, value: &str, back: &str) -> Response {
    let body = context! { title => title, csrf => &session.csrf, value => value, back => back };
    page(StatusCode::OK, "message.html", body)
}

/// A whole number from a form field; `what` names it in the refusal.
pub(super) fn whole<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, HubError> {
    text.trim()
        .parse()
        .map_err(|_| HubError::BadRequest(format!("{what} must be a whole number")))
}

/// A form field that is empty, or else a whole number.
pub(super) fn whole_or<T: std::str::FromStr>(
    text: &str,
    default: T,
    what: &str,
) -> Result<T, HubError> {
    if text.trim().is_empty() {
        Ok(default)
    } else {
        whole(text, what)
    }
}
