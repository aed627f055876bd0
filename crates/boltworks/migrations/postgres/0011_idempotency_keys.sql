-- Idempotency keys (the IETF httpapi draft's Idempotency-Key header): per service and caller,
-- the request a key was first used with (its fingerprint) and, once known, the answer given. An
-- answer that moves money is written in the transaction that moves it, so a retry after a crash
-- between commit and answer gets it. Keys older than 24 hours are forgotten.
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    -- running | done
    state TEXT NOT NULL,
    -- The process (its boot id) that runs the request while it is running.
    owner TEXT NOT NULL,
    status BIGINT,
    content_type TEXT,
    body TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scope, idempotency_key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
