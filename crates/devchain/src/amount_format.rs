//! Bitcoin Core's money formatting (`FormatMoney`), used in rejection messages and JSON.

use bitcoin::Amount;

/// Formats an amount as Bitcoin Core's `FormatMoney` does: BTC with trailing zeros trimmed,
/// keeping at least two decimals (`0.01`, `1.50`, `0.00012345`).
pub(crate) fn format_money(amount: Amount) -> String {
    let sat = amount.to_sat();
    let full = format!("{}.{:08}", sat / 100_000_000, sat % 100_000_000);
    let keep = full.trim_end_matches('0').len().max(full.len() - 6);
    full[..keep].to_string()
}

/// An amount as the JSON number Bitcoin Core prints (BTC).
pub(crate) fn btc_value(amount: Amount) -> serde_json::Value {
    serde_json::Value::from(amount.to_btc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_core() {
        assert_eq!(format_money(Amount::from_sat(1_000_000)), "0.01");
        assert_eq!(format_money(Amount::from_sat(150_000_000)), "1.50");
        assert_eq!(format_money(Amount::from_sat(12_345)), "0.00012345");
        assert_eq!(format_money(Amount::from_sat(0)), "0.00");
    }
}
