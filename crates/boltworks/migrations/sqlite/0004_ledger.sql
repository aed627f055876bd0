-- The double-entry ledger. A ledger transaction is a set of entries that sum to zero; its
-- reference (the business event, such as 'gift.funded:<order id>') is unique, so posting the
-- same event twice (an event replayed after a crash) records it once.
CREATE TABLE ledger_transactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Amounts in millisatoshis: debits positive, credits negative. Asset and expense accounts
-- carry positive balances, liability and income accounts negative ones.
CREATE TABLE ledger_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    transaction_id BIGINT NOT NULL REFERENCES ledger_transactions (id),
    account TEXT NOT NULL,
    amount_msat BIGINT NOT NULL CHECK (amount_msat <> 0),
    created_at BIGINT NOT NULL
);
CREATE INDEX ledger_entries_account ON ledger_entries (account);
CREATE INDEX ledger_entries_transaction ON ledger_entries (transaction_id);
