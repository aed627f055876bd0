-- When each invoice of a node expires, and when the node's own record of a payment was removed
-- from ldk-node's store (which keeps every record in memory): expired unpaid invoices and long
-- finished payments are removed there on a schedule; this table keeps them.
ALTER TABLE node_payments ADD COLUMN expires_at BIGINT;
ALTER TABLE node_payments ADD COLUMN node_record_removed_at BIGINT;
CREATE INDEX node_payments_expiring ON node_payments (node, expires_at)
    WHERE node_record_removed_at IS NULL AND direction = 'inbound' AND status = 'pending';
CREATE INDEX node_payments_finished ON node_payments (node, updated_at)
    WHERE node_record_removed_at IS NULL AND status IN ('succeeded', 'failed');
