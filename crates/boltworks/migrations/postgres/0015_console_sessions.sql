-- Signed-in sessions of the operator console: the SHA-256 of the session cookie's secret (the
-- secret itself is only in the operator's browser), the CSRF token every form of the session
-- carries, and when it ends.
CREATE TABLE console_sessions (
    secret_hash TEXT PRIMARY KEY,
    csrf_token TEXT NOT NULL,
    -- The SHA-256 of the operator token it signed in with: a new token ends every session.
    operator_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX console_sessions_expires_at ON console_sessions (expires_at);
