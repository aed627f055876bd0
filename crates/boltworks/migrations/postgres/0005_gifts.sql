-- Lightning Gifts. A gift exists once its invoice is paid (charge_status 'paid'); spent goes
-- 'false' -> 'pending' -> 'true', or back to 'false' when a payout fails.
CREATE TABLE gifts (
    order_id TEXT PRIMARY KEY,
    charge_id TEXT NOT NULL UNIQUE,
    payment_hash TEXT NOT NULL UNIQUE,
    payment_request TEXT NOT NULL,
    invoice_expires_at BIGINT NOT NULL,
    amount_sat BIGINT NOT NULL CHECK (amount_sat > 0),
    -- The LNURL-withdraw secret, checked on the callback.
    k1 TEXT NOT NULL,
    notify_url TEXT,
    sender_name TEXT,
    sender_message TEXT,
    charge_status TEXT NOT NULL CHECK (charge_status IN ('unpaid', 'paid')),
    received_msat BIGINT,
    paid_at BIGINT,
    spent TEXT NOT NULL CHECK (spent IN ('false', 'pending', 'true')),
    -- The latest redemption attempt.
    withdrawal_id TEXT,
    created_at BIGINT NOT NULL,
    created_nanos BIGINT NOT NULL
);

-- Redemption attempts: one payout of the gift to the invoice given.
CREATE TABLE gift_withdrawals (
    withdrawal_id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES gifts (order_id),
    payment_request TEXT NOT NULL,
    payment_hash TEXT NOT NULL,
    via TEXT NOT NULL CHECK (via IN ('redeem', 'lnurl')),
    -- The node that pays it out (the hub's node id): a restart reconciles only its own.
    payer_node TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('initial', 'confirmed', 'error')),
    error TEXT,
    fee_msat BIGINT,
    created_at BIGINT NOT NULL,
    created_nanos BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- The database itself guarantees at most one payout in flight or done per gift, and that an
-- invoice is the target of one payout attempt ever (node events name payments by hash alone).
CREATE UNIQUE INDEX gift_withdrawals_one_live_per_gift
    ON gift_withdrawals (order_id) WHERE status IN ('initial', 'confirmed');
CREATE UNIQUE INDEX gift_withdrawals_one_per_invoice ON gift_withdrawals (payment_hash);
CREATE INDEX gift_withdrawals_status ON gift_withdrawals (status);
