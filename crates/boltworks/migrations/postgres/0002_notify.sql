-- The outbox: one row per notification to deliver (a webhook POST or an email), written in the
-- same transaction as the state change that causes it, then delivered by a worker.
CREATE TABLE notify_outbox (
    id BIGSERIAL PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    service TEXT NOT NULL,
    event_type TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('webhook', 'email')),
    target TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT NOT NULL DEFAULT 0,
    -- Retries go on until retry_from + the retry window; a redelivery moves it to now.
    retry_from BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT,
    last_error TEXT
);
CREATE INDEX notify_outbox_due ON notify_outbox (status, next_attempt_at);

-- Every delivery attempt: when, how long, what the target answered.
CREATE TABLE notify_attempts (
    id BIGSERIAL PRIMARY KEY,
    outbox_id BIGINT NOT NULL REFERENCES notify_outbox (id),
    attempt INTEGER NOT NULL,
    started_at BIGINT NOT NULL,
    latency_ms BIGINT NOT NULL,
    status_code INTEGER,
    outcome TEXT NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
    error TEXT
);
CREATE INDEX notify_attempts_outbox ON notify_attempts (outbox_id);

-- Webhook signing secrets, one per target URL.
CREATE TABLE notify_targets (
    url TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Events for websocket subscribers, kept so a client that reconnects with the last id it saw
-- receives what it missed. Ids are assigned in commit order.
CREATE TABLE notify_stream (
    id BIGSERIAL PRIMARY KEY,
    service TEXT NOT NULL,
    topic TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX notify_stream_topic ON notify_stream (service, topic, id);
