//! A router that documents itself: every route is added with its method and summary, so the
//! OpenAPI document lists exactly the routes the router serves.

use axum::handler::Handler;
use axum::routing::{delete, get, post, put};
use axum::Router;

/// One documented route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteDoc {
    /// HTTP method, lowercase.
    pub method: &'static str,
    /// Path in axum's syntax (`/dev/{node}/invoice`), which is also OpenAPI's.
    pub path: String,
    /// One line on what it does.
    pub summary: &'static str,
    /// Group in the docs (the service).
    pub tag: &'static str,
    /// Whether it takes an `Idempotency-Key` header.
    pub idempotent: bool,
}

/// An axum router plus the documentation of its routes.
pub struct ApiRoutes<S> {
    router: Router<S>,
    docs: Vec<RouteDoc>,
    tag: &'static str,
    base: String,
}

impl<S: Clone + Send + Sync + 'static> ApiRoutes<S> {
    /// An empty set of routes in docs group `tag`, mounted at `/`.
    pub fn new(tag: &'static str) -> Self {
        Self::mounted_at(tag, "/")
    }

    /// An empty set of routes whose paths all go under `base` (a service's configured base
    /// path; `/` mounts them as they are).
    pub fn mounted_at(tag: &'static str, base: &str) -> Self {
        Self {
            router: Router::new(),
            docs: Vec::new(),
            tag,
            base: base.to_string(),
        }
    }

    fn add(
        mut self,
        method: &'static str,
        path: &str,
        summary: &'static str,
        route: axum::routing::MethodRouter<S>,
    ) -> Self {
        let path = super::join_path(&self.base, path);
        self.router = self.router.route(&path, route);
        self.docs.push(RouteDoc {
            method,
            path,
            summary,
            tag: self.tag,
            idempotent: false,
        });
        self
    }

    /// Adds a GET route.
    pub fn get<H: Handler<T, S>, T: 'static>(
        self,
        path: &str,
        summary: &'static str,
        handler: H,
    ) -> Self {
        self.add("get", path, summary, get(handler))
    }

    /// Adds a POST route.
    pub fn post<H: Handler<T, S>, T: 'static>(
        self,
        path: &str,
        summary: &'static str,
        handler: H,
    ) -> Self {
        self.add("post", path, summary, post(handler))
    }

    /// Adds one handler for both GET and POST (documented as both).
    pub fn get_and_post<H: Handler<T, S>, T: 'static>(
        mut self,
        path: &str,
        summary: &'static str,
        handler: H,
    ) -> Self {
        let full = super::join_path(&self.base, path);
        self.router = self.router.route(&full, get(handler.clone()).post(handler));
        for method in ["get", "post"] {
            self.docs.push(RouteDoc {
                method,
                path: full.clone(),
                summary,
                tag: self.tag,
                idempotent: false,
            });
        }
        self
    }

    /// Adds a PUT route.
    pub fn put<H: Handler<T, S>, T: 'static>(
        self,
        path: &str,
        summary: &'static str,
        handler: H,
    ) -> Self {
        self.add("put", path, summary, put(handler))
    }

    /// Adds a DELETE route.
    pub fn delete<H: Handler<T, S>, T: 'static>(
        self,
        path: &str,
        summary: &'static str,
        handler: H,
    ) -> Self {
        self.add("delete", path, summary, delete(handler))
    }

    /// Adds another set of routes (with their own docs group).
    pub fn merge(mut self, other: ApiRoutes<S>) -> Self {
        self.router = self.router.merge(other.router);
        self.docs.extend(other.docs);
        self
    }

    /// Transforms the router of the routes added so far (to wrap them in a layer, say); the
    /// documentation stays as it is.
    pub fn map_router(mut self, f: impl FnOnce(Router<S>) -> Router<S>) -> Self {
        self.router = f(self.router);
        self
    }

    /// Puts the routes added so far under `limit`, refused with `refuse` (the service's own 429);
    /// routes added afterwards, the same path with another method included, are not limited.
    pub fn rate_limited(
        self,
        limit: &crate::http::RateLimit,
        refuse: fn(u64) -> axum::response::Response,
    ) -> Self {
        self.map_router(|router| limit.apply(router, refuse))
    }

    /// Lets the POST routes added so far take an `Idempotency-Key` (documented as such).
    pub fn idempotent(mut self, keys: &crate::http::Idempotency) -> Self {
        for doc in self.docs.iter_mut().filter(|d| d.method == "post") {
            doc.idempotent = true;
        }
        self.map_router(|router| keys.apply(router))
    }

    /// Gives the routes their state: what is left is a router of any state `S2` (the assembled
    /// application's), with the same documentation.
    pub fn with_state<S2>(self, state: S) -> ApiRoutes<S2> {
        ApiRoutes {
            router: self.router.with_state(state),
            docs: self.docs,
            tag: self.tag,
            base: self.base,
        }
    }

    /// The documentation so far.
    pub fn docs(&self) -> &[RouteDoc] {
        &self.docs
    }

    /// The router and its documentation.
    pub fn into_parts(self) -> (Router<S>, Vec<RouteDoc>) {
        (self.router, self.docs)
    }
}
