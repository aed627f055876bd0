//! A path segment naming a resource, read without ever rejecting the request: a segment that is
//! not valid UTF-8 or holds a control character (PostgreSQL refuses NUL in text) is simply no
//! id, so each service answers "not found" in its own format instead of axum's plain text.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

/// The last path parameter, if it is plain text.
pub struct PathId(pub Option<String>);

impl PathId {
    /// The id, or `""` (which no resource has).
    pub fn as_str(&self) -> &str {
        self.0.as_deref().unwrap_or_default()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let id = Path::<String>::from_request_parts(parts, state)
            .await
            .ok()
            .map(|Path(id)| id)
            .filter(|id| !id.chars().any(char::is_control));
        Ok(PathId(id))
    }
}
