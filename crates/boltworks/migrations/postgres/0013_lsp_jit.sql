-- JIT channels (LSPS2) the hub's node opened. ldk-node opens them itself when a client's payment
-- arrives: the hub records one at its funding broadcast (an outbound channel of no order), and
-- knows it paid for by the forward that carried its opening fee (an intercepted HTLC forwarded
-- with a skimmed fee), booked as LSP income under the reference lsp-jit-fee:{forward_key}. One
-- never paid for is closed after --jit-unpaid-close-secs.
CREATE TABLE lsp_jit_channels (
    channel_id TEXT PRIMARY KEY,
    user_channel_id TEXT,
    client_node_id TEXT,
    capacity_sat BIGINT NOT NULL,
    funding_txo TEXT,
    opened_at BIGINT NOT NULL,
    paid_at BIGINT,
    close_requested_at BIGINT,
    closed_at BIGINT
);
CREATE INDEX lsp_jit_channels_opened_at ON lsp_jit_channels (opened_at);

-- The forwards that paid an opening fee, once each: what went to the client and what the hub kept.
CREATE TABLE lsp_jit_forwards (
    forward_key TEXT PRIMARY KEY,
    channel_id TEXT NOT NULL,
    forwarded_msat BIGINT NOT NULL,
    opening_fee_msat BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX lsp_jit_forwards_channel ON lsp_jit_forwards (channel_id);

-- JIT opens (and buys) the node gave up on, as its log reported them: shown to the operator.
CREATE TABLE lsp_jit_failures (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Treasury sends that keep the node wallet able to fund the largest JIT channel, committed
-- before the send (whose key they name), numbered so each top-up has a key of its own.
CREATE TABLE lsp_jit_top_ups (
    seq BIGINT PRIMARY KEY,
    treasury_key TEXT NOT NULL UNIQUE,
    amount_sat BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
