// One channel order through Blocktank's own client of the LSP v0.0.1 API
// (@synonymdev/blocktank-client, pinned in package.json), against a boltworks hub at
// BOLTWORKS_URL: info, buy, alice pays (the hub's /dev API), manual finalise, blocks mined, the
// order OPEN, and the exchange rate the client's getRates reads. Prints what the client returned
// as one JSON line; any error exits non-zero. Run by tests/api/blocktank_client.rs.
'use strict';

const bt = require('@synonymdev/blocktank-client').default;

const base = process.env.BOLTWORKS_URL;
if (!base) {
  throw new Error('BOLTWORKS_URL is not set');
}
// The client calls `${host}v1/...`: boltworks serves the v0.0.1 API under /lsp/v1.
bt.host = `${base}/lsp/`;

async function dev(path, body) {
  const response = await fetch(`${base}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const answer = await response.json();
  if (!response.ok) {
    throw new Error(`${path}: ${response.status} ${JSON.stringify(answer)}`);
  }
  return answer;
}

async function orderIn(orderId, done, what) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const order = await bt.getOrder(orderId);
    if (done(order.state)) {
      return order;
    }
    if (Date.now() > deadline) {
      throw new Error(`order ${orderId} not ${what} after 60 s: ${JSON.stringify(order)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function main() {
  const info = await bt.getInfo();
  const service = info.services[0];
  const quote = await bt.buyChannel({
    product_id: service.product_id,
    remote_balance: 0,
    local_balance: 100_000,
    channel_expiry: 2,
  });
  const unpaid = await bt.getOrder(quote.order_id);
  await dev('/dev/alice/pay', { bolt11: quote.ln_invoice });
  const paid = await orderIn(quote.order_id, (s) => s === 100, 'paid');
  const nodes = await dev('/dev/nodes');
  const nodeUri = `${nodes.alice.node_id}@${nodes.alice.address}`;
  const finalised = await bt.finalizeChannel({
    order_id: quote.order_id,
    node_uri: nodeUri,
    private: false,
  });
  await orderIn(quote.order_id, (s) => s >= 300, 'opening');
  await dev('/dev/mine', { blocks: 6 });
  const open = await orderIn(quote.order_id, (s) => s === 500, 'open');
  const rates = await bt.getRates();
  console.log(JSON.stringify({ info, quote, unpaid, paid, finalised, open, rates }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
