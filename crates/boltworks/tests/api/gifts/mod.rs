//! Lightning Gifts end to end with real nodes: alice buys gifts, bob redeems them by invoice
//! and as an LNURL-withdraw wallet would; racing redemptions pay once; failed payouts leave the
//! gift redeemable; every refusal has its code; the books always balance.

mod redeem;
mod refusals;

use crate::harness::stack::StackBuilder;
use crate::harness::{ServeOptions, TestStack};

/// The stack of these tests: the demo nodes, webhooks to loopback allowed.
fn stack() -> StackBuilder {
    TestStack::builder()
        .demo_nodes()
        .webhook_allow_private(true)
}

fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}
