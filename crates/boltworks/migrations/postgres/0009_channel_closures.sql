-- Every channel of the hub's node that closed, once, from the node's ChannelClosed event: how it
-- closed and what of the hub's was in it. A forced close's claimable balance is booked from
-- assets:lightning to assets:onchain-in-transit under the reference channel-closure:{channel_id}.
CREATE TABLE channel_closures (
    channel_id TEXT PRIMARY KEY,
    user_channel_id TEXT NOT NULL,
    peer TEXT,
    kind TEXT NOT NULL,
    reason TEXT,
    -- The hub's balance the chain will pay it (its own outputs, HTLCs it holds the preimage of).
    claimable_sat BIGINT NOT NULL,
    -- HTLCs still contested on chain: the hub's only if they time out or it learns the preimage.
    contested_htlc_sat BIGINT NOT NULL,
    closed_at BIGINT NOT NULL
);
CREATE INDEX channel_closures_closed_at ON channel_closures (closed_at);
