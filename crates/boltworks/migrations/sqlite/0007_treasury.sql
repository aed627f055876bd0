-- The hub's on-chain treasury (a BDK wallet). The seed stays in the data dir; its fingerprint
-- here refuses any other seed. The row is also the lock that serializes sends.
CREATE TABLE treasury_wallet (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- The wallet's state: BDK's changesets as JSON, appended as they come; merged in order on load.
CREATE TABLE treasury_changesets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    changeset TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
-- Every address handed out, by derivation index (external keychain), what it is for, and the
-- ledger account its confirmed receipts are credited to.
CREATE TABLE treasury_addresses (
    derivation_index BIGINT PRIMARY KEY,
    address TEXT UNIQUE,
    purpose TEXT NOT NULL,
    receipt_account TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
-- Every send, by its caller's idempotency key. The signed transaction is committed before it is
-- broadcast and rebroadcast until the chain source takes it: one key, one transaction, ever.
CREATE TABLE treasury_sends (
    send_key TEXT PRIMARY KEY,
    txid TEXT NOT NULL UNIQUE,
    raw_tx TEXT NOT NULL,
    fee_sat BIGINT NOT NULL,
    outputs TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    broadcast_at BIGINT
);
