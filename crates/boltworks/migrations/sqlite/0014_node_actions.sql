-- What the operator asked the hub's node to do that moves money: open a channel, send from the
-- node wallet (elsewhere, or to the treasury). Each is committed under the operator's key
-- before the node is asked, so a retry with the key never does it twice, and a start finds
-- what the last stop interrupted (reconciled against the node's channels and on-chain payments).
CREATE TABLE node_actions (
    action_key TEXT PRIMARY KEY,
    -- The node asked: hub processes sharing the database each run their own.
    hub_node_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    -- The request as given, to refuse the key on another request.
    request TEXT NOT NULL,
    -- requested (not yet taken by the node), opening, funded, ready, closed, sent, failed,
    -- unknown (interrupted; the node shows no matching payment: nothing is resent)
    state TEXT NOT NULL,
    peer TEXT,
    address TEXT,
    amount_sat BIGINT NOT NULL,
    user_channel_id TEXT,
    txid TEXT,
    error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX node_actions_user_channel_id ON node_actions (user_channel_id);
CREATE INDEX node_actions_created_at ON node_actions (created_at);
CREATE INDEX node_actions_interrupted ON node_actions (hub_node_id, state);
