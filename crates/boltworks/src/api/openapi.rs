//! The OpenAPI 3 document, built from the documented routes.

use std::sync::Arc;

use axum::{Extension, Json};
use serde_json::{json, Map, Value};

use crate::http::RouteDoc;

/// The document, shared with the handler that serves it.
#[derive(Clone)]
pub struct Spec(pub Arc<Value>);

/// `GET /openapi.json`.
pub async fn serve(Extension(spec): Extension<Spec>) -> Json<Value> {
    Json((*spec.0).clone())
}

/// Builds the document for `routes` plus the two routes that serve the documentation.
pub fn document(routes: &[RouteDoc]) -> Value {
    let extra = [
        RouteDoc {
            method: "get",
            path: "/openapi.json".into(),
            summary: "This OpenAPI document",
            tag: "hub",
            idempotent: false,
        },
        RouteDoc {
            method: "get",
            path: "/docs".into(),
            summary: "Browsable API documentation",
            tag: "hub",
            idempotent: false,
        },
    ];
    let mut paths = Map::new();
    for route in routes.iter().chain(extra.iter()) {
        let entry = paths.entry(route.path.clone()).or_insert_with(|| json!({}));
        let mut parameters: Vec<Value> = path_parameters(&route.path)
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        if route.idempotent {
            parameters.push(idempotency_key_parameter());
        }
        let mut operation = json!({
            "summary": route.summary,
            "tags": [route.tag],
            "operationId": format!("{}{}", route.method, route.path.replace(['/', '{', '}', '.', '-'], "_")),
            "responses": {
                "200": {"description": "Success"},
                "default": {"description": "An error in the service's own error format"},
            },
        });
        if route.idempotent {
            let responses = &mut operation["responses"];
            responses["409"] = json!({"description": "The first request with this Idempotency-Key has not answered yet: retry later"});
            responses["422"] =
                json!({"description": "This Idempotency-Key was used with another request"});
        }
        if !parameters.is_empty() {
            operation["parameters"] = Value::Array(parameters);
        }
        if matches!(route.method, "post" | "put") {
            operation["requestBody"] = json!({"required": false, "content": {"application/json": {"schema": {"type": "object"}}}});
        }
        entry[route.method] = operation;
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "boltworks",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "One Lightning node, five service APIs: escrow, LSP (v0.0.1 and LSPS1), merchant hub, gifts.",
        },
        "paths": paths,
    })
}

/// The optional `Idempotency-Key` header of the routes that take one.
fn idempotency_key_parameter() -> Value {
    json!({
        "name": "Idempotency-Key",
        "in": "header",
        "required": false,
        "description": "Makes the request safe to retry (IETF httpapi Idempotency-Key draft): a repeat with the same key and the same request, within 24 hours, gets the first answer again (header Idempotent-Replayed: true) and changes nothing. Keys are per caller. The same key on another request is refused with 422; a repeat while the first still runs waits for it, then 409.",
        "schema": {"type": "string", "minLength": 1, "maxLength": crate::http::idempotency::MAX_KEY_LEN},
        "example": "8e03978e-40d5-43e8-bc93-6894a57f9324",
    })
}

fn path_parameters(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
}
