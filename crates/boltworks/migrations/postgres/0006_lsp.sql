-- Channel orders of the LSP (one order model behind the v0.0.1 and LSPS1 APIs). Balances are
-- named by side: lsp_balance_sat is the LSP's (the buyer's inbound liquidity), client_balance_sat
-- the buyer's own (paid by the buyer and pushed at open).
CREATE TABLE lsp_orders (
    id TEXT PRIMARY KEY,
    api TEXT NOT NULL CHECK (api IN ('v1', 'lsps1')),
    -- The node (so the hub process) whose worker serves the order: hub processes sharing the
    -- database each serve their own node's orders.
    hub_node_id TEXT NOT NULL,
    lsp_balance_sat BIGINT NOT NULL CHECK (lsp_balance_sat >= 0),
    client_balance_sat BIGINT NOT NULL CHECK (client_balance_sat >= 0),
    expiry_weeks BIGINT NOT NULL CHECK (expiry_weeks > 0),
    fee_sat BIGINT NOT NULL CHECK (fee_sat >= 0),
    total_sat BIGINT NOT NULL CHECK (total_sat > 0),
    -- Pay before this (unix seconds).
    order_expires_at BIGINT NOT NULL,
    -- The v0.0.1 numeric state (0 created ... 500 open); LSPS1 derives its own from it.
    state BIGINT NOT NULL,
    -- The hold invoice: the hub keeps the preimage until the channel's funding is broadcast.
    payment_hash TEXT NOT NULL UNIQUE,
    preimage TEXT NOT NULL,
    payment_request TEXT NOT NULL,
    -- none | held | settled | failed_back
    htlc_state TEXT NOT NULL,
    -- On-chain payment: the order's own treasury address (NULL when not offered), and what had
    -- confirmed there when the order counted as paid.
    btc_address TEXT UNIQUE,
    onchain_paid_sat BIGINT,
    -- A refund of on-chain money: in_flight (committed before the treasury sends) | paid_out.
    refund_state TEXT CHECK (refund_state IN ('in_flight', 'paid_out')),
    -- An address, or a Lightning invoice (then refund_payment_hash is its hash).
    refund_to TEXT,
    refund_payment_hash TEXT UNIQUE,
    refund_amount_sat BIGINT,
    -- Refunds claimed so far (money that arrives after a refund can be refunded again).
    refund_count BIGINT NOT NULL DEFAULT 0,
    refund_txid TEXT,
    refunded_at BIGINT,
    held_msat BIGINT,
    claim_deadline BIGINT,
    -- The buyer's node, once known.
    node_pubkey TEXT,
    node_address TEXT,
    announce_channel BIGINT NOT NULL DEFAULT 0 CHECK (announce_channel IN (0, 1)),
    open_attempts BIGINT NOT NULL DEFAULT 0,
    -- Set (and committed) before the node is asked to open; while set, the target is fixed and
    -- no other attempt starts. Cleared when the attempt fails.
    open_requested_at BIGINT,
    next_open_at BIGINT,
    open_error TEXT,
    user_channel_id TEXT,
    channel_id TEXT,
    funding_txid TEXT,
    funding_vout BIGINT,
    opened_at BIGINT,
    channel_expires_at BIGINT,
    closed_at BIGINT,
    -- Cooperative closes asked for since the lease ended (a force close follows after many).
    close_attempts BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    -- v0.0.1 reports times in milliseconds.
    created_at_ms BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    -- LSPS1: the create request as applied (defaults filled in), echoed by every order view.
    request_echo TEXT,
    -- boltworks extension: where every state change of the order is POSTed (through the outbox).
    webhook_url TEXT
);
CREATE INDEX lsp_orders_state ON lsp_orders (hub_node_id, state);
CREATE INDEX lsp_orders_user_channel ON lsp_orders (user_channel_id);
