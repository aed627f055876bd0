//! Reading a `create_order` request as bLIP-51 writes it (amounts as strings of digits, counts
//! as JSON integers), checked against `get_info`'s options: a malformed field is -32602 naming
//! it, a value outside the options is 100 naming the option. Over HTTP the client's node is not
//! the peer that sent the request, so it names itself in `public_key`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::wire::Blip51Error;
use super::Blip51Options;

/// A `create_order` request, read and checked; stored as the order's request echo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateOrder {
    /// The LSP's side, in sats.
    pub lsp_balance_sat: u64,
    /// The client's side, in sats.
    pub client_balance_sat: u64,
    /// Confirmations before `channel_ready`, as asked.
    pub required_channel_confirmations: u16,
    /// Blocks within which the funding confirms, as asked.
    pub funding_confirms_within_blocks: u16,
    /// The lease, in blocks, as asked.
    pub channel_expiry_blocks: u32,
    /// Announce the channel.
    pub announce_channel: bool,
    /// The client's node id (lowercase hex).
    pub public_key: String,
}

fn sat(body: &Map<String, Value>, name: &'static str) -> Result<Option<u64>, Blip51Error> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(digits))
            if !digits.is_empty()
                && digits.len() <= 19
                && digits.bytes().all(|b| b.is_ascii_digit()) =>
        {
            digits
                .parse()
                .map(Some)
                .map_err(|_| Blip51Error::invalid(name, "too large"))
        }
        Some(_) => Err(Blip51Error::invalid(
            name,
            "must be a string of digits (LSPS0.sat)",
        )),
    }
}

fn count<T: TryFrom<u64>>(
    body: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<T>, Blip51Error> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| T::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| Blip51Error::invalid(name, "must be a non-negative integer in range")),
        Some(_) => Err(Blip51Error::invalid(name, "must be an integer")),
    }
}

fn below(value: u64, min: u64, property: &'static str) -> Result<(), Blip51Error> {
    if value < min {
        return Err(Blip51Error::mismatch(property, format!("at least {min}")));
    }
    Ok(())
}

fn above(value: u64, max: u64, property: &'static str) -> Result<(), Blip51Error> {
    if value > max {
        return Err(Blip51Error::mismatch(property, format!("at most {max}")));
    }
    Ok(())
}

impl CreateOrder {
    /// Reads `body` against `options`.
    pub fn read(body: &Map<String, Value>, options: &Blip51Options) -> Result<Self, Blip51Error> {
        let lsp = sat(body, "lsp_balance_sat")?
            .ok_or_else(|| Blip51Error::invalid("lsp_balance_sat", "is required"))?;
        if lsp == 0 {
            return Err(Blip51Error::invalid(
                "lsp_balance_sat",
                "must be 1 or greater",
            ));
        }
        let client = sat(body, "client_balance_sat")?.unwrap_or(0);
        let confirmations = count::<u16>(body, "required_channel_confirmations")?
            .unwrap_or(options.min_required_channel_confirmations);
        let within = count::<u16>(body, "funding_confirms_within_blocks")?
            .unwrap_or(options.min_funding_confirms_within_blocks);
        let blocks = count::<u32>(body, "channel_expiry_blocks")?
            .ok_or_else(|| Blip51Error::invalid("channel_expiry_blocks", "is required"))?;
        if blocks == 0 {
            return Err(Blip51Error::invalid(
                "channel_expiry_blocks",
                "must be 1 or greater",
            ));
        }
        let announce = match body.get("announce_channel") {
            Some(Value::Bool(announce)) => *announce,
            None => return Err(Blip51Error::invalid("announce_channel", "is required")),
            Some(_) => return Err(Blip51Error::invalid("announce_channel", "Not a boolean")),
        };
        match body.get("token") {
            None | Some(Value::Null) => {}
            Some(Value::String(token)) if token.is_empty() => {}
            Some(Value::String(_)) => return Err(Blip51Error::invalid("token", "no such token")),
            Some(_) => return Err(Blip51Error::invalid("token", "must be a string")),
        }
        if !matches!(
            body.get("refund_onchain_address"),
            None | Some(Value::Null) | Some(Value::String(_))
        ) {
            return Err(Blip51Error::invalid(
                "refund_onchain_address",
                "must be a string",
            ));
        }
        let public_key = match body.get("public_key") {
            Some(Value::String(key))
                if key.len() == 66 && key.parse::<bitcoin::secp256k1::PublicKey>().is_ok() =>
            {
                key.to_ascii_lowercase()
            }
            Some(_) => {
                return Err(Blip51Error::invalid(
                    "public_key",
                    "must be a node id (33 bytes, hex)",
                ))
            }
            None => {
                return Err(Blip51Error::invalid(
                    "public_key",
                    "is required over HTTP: the node the channel is for",
                ))
            }
        };
        below(
            u64::from(confirmations),
            u64::from(options.min_required_channel_confirmations),
            "min_required_channel_confirmations",
        )?;
        below(
            u64::from(within),
            u64::from(options.min_funding_confirms_within_blocks),
            "min_funding_confirms_within_blocks",
        )?;
        above(
            u64::from(blocks),
            u64::from(options.max_channel_expiry_blocks),
            "max_channel_expiry_blocks",
        )?;
        below(
            lsp,
            options.min_initial_lsp_balance_sat,
            "min_initial_lsp_balance_sat",
        )?;
        above(
            lsp,
            options.max_initial_lsp_balance_sat,
            "max_initial_lsp_balance_sat",
        )?;
        below(
            client,
            options.min_initial_client_balance_sat,
            "min_initial_client_balance_sat",
        )?;
        above(
            client,
            options.max_initial_client_balance_sat,
            "max_initial_client_balance_sat",
        )?;
        let capacity = lsp
            .checked_add(client)
            .ok_or_else(|| Blip51Error::mismatch("max_channel_balance_sat", "too large"))?;
        below(
            capacity,
            options.min_channel_balance_sat,
            "min_channel_balance_sat",
        )?;
        above(
            capacity,
            options.max_channel_balance_sat,
            "max_channel_balance_sat",
        )?;
        Ok(Self {
            lsp_balance_sat: lsp,
            client_balance_sat: client,
            required_channel_confirmations: confirmations,
            funding_confirms_within_blocks: within,
            channel_expiry_blocks: blocks,
            announce_channel: announce,
            public_key,
        })
    }
}
