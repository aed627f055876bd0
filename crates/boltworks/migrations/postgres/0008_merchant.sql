-- The merchant hub (Peach API). Balances live in the ledger; `merchants.balance_msat` is the
-- spendable part of the merchant's ledger account, kept in the same transaction as each posting
-- so a payment can check and take it in one conditional UPDATE (never below zero).

-- Users of the secure server (PSS): the merchant's keys, registered before the hub signup.
CREATE TABLE merchant_pss_users (
    user_id TEXT PRIMARY KEY,
    public_keys TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE merchants (
    merchant_id TEXT PRIMARY KEY REFERENCES merchant_pss_users (user_id),
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    -- Hex SEC public key that verifies the merchant's X-Signature.
    pubkey TEXT,
    notification_url TEXT,
    notification_url_on_chain TEXT,
    notification_url_forward TEXT,
    preimage_url TEXT,
    bitcoin_address TEXT,
    balance_msat BIGINT NOT NULL DEFAULT 0 CHECK (balance_msat >= 0),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Refresh tokens by SHA-256; each is used once.
CREATE TABLE merchant_refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (merchant_id),
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    created_at BIGINT NOT NULL
);

-- Incoming Lightning invoices: hold invoices of the hub's node, whose preimage the hub keeps, so
-- a payment that arrives after the invoice was paid internally is failed back, not kept.
-- settled: 0 unpaid, 2 held at the node (being claimed), 1 paid.
CREATE TABLE merchant_invoices (
    payment_hash TEXT PRIMARY KEY,
    preimage TEXT NOT NULL,
    held_msat BIGINT,
    merchant_id TEXT NOT NULL REFERENCES merchants (merchant_id),
    amount_sat BIGINT NOT NULL CHECK (amount_sat > 0),
    fee_sat BIGINT NOT NULL,
    description TEXT NOT NULL,
    payment_request TEXT NOT NULL,
    expiry BIGINT NOT NULL,
    ntfn_url TEXT,
    settled BIGINT NOT NULL DEFAULT 0,
    -- 'lightning' (paid to the node) or 'internal' (paid by another merchant of this hub).
    settled_by TEXT,
    settle_date BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX merchant_invoices_by_merchant ON merchant_invoices (merchant_id, created_at);

-- Incoming on-chain invoices, each with its own treasury address. amount_sat is NULL for an
-- open-amount invoice.
CREATE TABLE merchant_onchain_invoices (
    invoice_id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (merchant_id),
    btc_address TEXT NOT NULL UNIQUE,
    amount_sat BIGINT,
    description TEXT NOT NULL,
    ntfn_url TEXT,
    status TEXT NOT NULL CHECK (status IN ('Pending', 'Settled', 'Canceled')),
    -- Confirmed sats received, as last seen, and the amount the last PARTIAL notice told of.
    paid_sat BIGINT NOT NULL DEFAULT 0,
    notified_partial_sat BIGINT NOT NULL DEFAULT 0,
    fee_sat BIGINT,
    txids TEXT NOT NULL DEFAULT '[]',
    refund_txid TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX merchant_onchain_invoices_by_status ON merchant_onchain_invoices (status);

-- Outgoing payments: internal, lightning or on_chain. Money is taken from the balance (with the
-- routing-fee limit, for lightning) in the transaction that writes the row, before any send.
CREATE TABLE merchant_payments (
    payment_id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (merchant_id),
    kind TEXT NOT NULL CHECK (kind IN ('internal', 'lightning', 'on_chain')),
    amount_msat BIGINT NOT NULL CHECK (amount_msat > 0),
    fee_limit_msat BIGINT NOT NULL DEFAULT 0,
    fee_paid_msat BIGINT,
    destination TEXT NOT NULL,
    payment_hash TEXT,
    description TEXT,
    ntfn_url TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    failure_reason TEXT,
    txid TEXT,
    payer_node TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX merchant_payments_by_status ON merchant_payments (status, kind);
-- One live or paid payment per invoice: a failed one may be tried again.
CREATE UNIQUE INDEX merchant_payments_one_per_hash ON merchant_payments (payment_hash)
    WHERE status <> 'failed';

-- Withdrawals of the whole balance, sent in batches.
CREATE TABLE merchant_withdrawals (
    withdrawal_id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (merchant_id),
    amount_sat BIGINT NOT NULL CHECK (amount_sat > 0),
    btc_address TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('Pending', 'Processing', 'Withdrawn', 'Canceled')),
    batch_id TEXT,
    txid TEXT,
    created_at_ms BIGINT NOT NULL,
    withdrawn_at_ms BIGINT
);
CREATE INDEX merchant_withdrawals_by_status ON merchant_withdrawals (status);
