-- Escrow users. Ids are sequential from 0, as the original service numbered them.
CREATE TABLE escrow_users (
    id BIGINT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    -- Extension: a URL told of every status change of this user's transactions.
    webhook_url TEXT,
    created_at BIGINT NOT NULL
);

-- Sessions: only the SHA-256 of each key is kept, so a copy of the database opens no account.
CREATE TABLE escrow_sessions (
    key_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES escrow_users (id),
    expires_at BIGINT NOT NULL
);
CREATE INDEX escrow_sessions_user ON escrow_sessions (user_id);

-- Escrow transactions, ids sequential from 0. The preimage lives in its own table.
CREATE TABLE escrow_txs (
    id BIGINT PRIMARY KEY,
    seller_id BIGINT NOT NULL REFERENCES escrow_users (id),
    buyer_id BIGINT REFERENCES escrow_users (id),
    buyer_email TEXT NOT NULL,
    goods_or_services TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    fee_payer TEXT NOT NULL,
    amount_sat BIGINT NOT NULL CHECK (amount_sat > 0),
    status TEXT NOT NULL,
    pmthash TEXT NOT NULL UNIQUE,
    invoice TEXT,
    invoice_amount_msat BIGINT,
    invoice_expires_at BIGINT,
    min_final_cltv_expiry_delta BIGINT,
    payee_node_id TEXT,
    -- 1 while a dispute is open: the preimage cannot be released. Opening a dispute and
    -- releasing the preimage both update this row conditionally, so they cannot both win.
    dispute_open INTEGER NOT NULL DEFAULT 0,
    -- The chain height by which the seller must settle the held payment (set by
    -- confirmpayment), and whether both parties were warned that it is near.
    settle_by_height BIGINT,
    deadline_warned INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX escrow_txs_seller ON escrow_txs (seller_id);
CREATE INDEX escrow_txs_buyer ON escrow_txs (buyer_id);

-- The secret of each transaction. MUST NOT be returned to anyone but the seller, and only
-- once the buyer confirmed receipt.
CREATE TABLE escrow_preimages (
    tx_id BIGINT PRIMARY KEY REFERENCES escrow_txs (id),
    preimage TEXT NOT NULL,
    released_at BIGINT
);

-- Disputes (extension): who opened it and why, and how the operator resolved it.
CREATE TABLE escrow_disputes (
    tx_id BIGINT PRIMARY KEY REFERENCES escrow_txs (id),
    opened_by BIGINT NOT NULL REFERENCES escrow_users (id),
    reason TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    resolution TEXT CHECK (resolution IN ('release', 'refund')),
    note TEXT,
    resolved_at BIGINT
);
