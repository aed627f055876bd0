-- Every event the Lightning nodes emitted, recorded before it is acknowledged.
CREATE TABLE node_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    node TEXT NOT NULL,
    kind TEXT NOT NULL,
    payment_hash TEXT,
    detail TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX node_events_payment ON node_events (node, payment_hash);

-- Lightning payments as the nodes reported them; one row per node, hash and direction.
CREATE TABLE node_payments (
    node TEXT NOT NULL,
    payment_hash TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'held', 'succeeded', 'failed')),
    amount_msat BIGINT,
    fee_paid_msat BIGINT,
    preimage TEXT,
    claim_deadline BIGINT,
    failure_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (node, payment_hash, direction)
);
