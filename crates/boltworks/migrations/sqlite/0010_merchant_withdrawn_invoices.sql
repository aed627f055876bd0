-- Which withdrawal took the balance an invoice paid (set in the withdrawal's transaction, for
-- every paid invoice of the merchant not yet withdrawn), and that withdrawal's transaction once
-- its batch is sent: the Peach `withdraw_tx`, empty until then.
ALTER TABLE merchant_invoices ADD COLUMN withdrawal_id TEXT;
ALTER TABLE merchant_invoices ADD COLUMN withdraw_tx TEXT;
ALTER TABLE merchant_onchain_invoices ADD COLUMN withdrawal_id TEXT;
ALTER TABLE merchant_onchain_invoices ADD COLUMN withdraw_tx TEXT;
CREATE INDEX merchant_invoices_by_withdrawal ON merchant_invoices (withdrawal_id);
CREATE INDEX merchant_onchain_invoices_by_withdrawal ON merchant_onchain_invoices (withdrawal_id);
