//! Constraint violations as answers: a write that a unique index refuses is a refusal the caller
//! names (an email taken, an invoice already being paid), not a database failure.

/// Whether `error` is a unique-constraint violation (on either database).
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Turns a unique-constraint violation of a write into the caller's refusal; every other
/// database error stays an error.
pub trait OnUniqueViolation<T> {
    /// `Ok(Ok(value))` when the write went through, `Ok(Err(refusal))` when a unique index
    /// refused it, `Err` for any other failure.
    fn on_unique_violation<R>(
        self,
        refusal: impl FnOnce() -> R,
    ) -> Result<Result<T, R>, sqlx::Error>;
}

impl<T> OnUniqueViolation<T> for Result<T, sqlx::Error> {
    fn on_unique_violation<R>(
        self,
        refusal: impl FnOnce() -> R,
    ) -> Result<Result<T, R>, sqlx::Error> {
        match self {
            Ok(value) => Ok(Ok(value)),
            Err(e) if is_unique_violation(&e) => Ok(Err(refusal())),
            Err(e) => Err(e),
        }
    }
}
