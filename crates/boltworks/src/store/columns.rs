//! Typed columns: money newtypes as BIGINT and state enums as TEXT, so rows map with
//! `sqlx::FromRow` and queries bind the types themselves instead of raw integers and strings.
//!
//! Both databases store amounts as signed 64-bit integers: encoding an amount above `i64::MAX`
//! is an error (never a wrap), and so is decoding a negative one.

use sqlx::any::{Any, AnyTypeInfo, AnyValueRef};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Decode, Encode, Type};

use crate::money::{Msat, Sat};

macro_rules! bigint_amount {
    ($amount:ident) => {
        impl Type<Any> for $amount {
            fn type_info() -> AnyTypeInfo {
                <i64 as Type<Any>>::type_info()
            }

            fn compatible(ty: &AnyTypeInfo) -> bool {
                <i64 as Type<Any>>::compatible(ty)
            }
        }

        impl<'q> Encode<'q, Any> for $amount {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<IsNull, BoxDynError> {
                let stored = i64::try_from(self.0)?;
                <i64 as Encode<'q, Any>>::encode(stored, buf)
            }
        }

        impl<'r> Decode<'r, Any> for $amount {
            fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
                let stored = <i64 as Decode<'r, Any>>::decode(value)?;
                Ok(Self(u64::try_from(stored)?))
            }
        }
    };
}

bigint_amount!(Msat);
bigint_amount!(Sat);

/// Stores an enum as its text: `Type`, `Encode` and `Decode` for `sqlx::Any`, through the
/// type's `as_str()` (its stored text, `&'static str`) and its `FromStr`. A stored text the
/// enum does not know fails the row's decoding instead of being read as some default.
macro_rules! text_column {
    ($state:ty) => {
        impl sqlx::Type<sqlx::Any> for $state {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <str as sqlx::Type<sqlx::Any>>::type_info()
            }

            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
                <str as sqlx::Type<sqlx::Any>>::compatible(ty)
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Any> for $state {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&'q str as sqlx::Encode<'q, sqlx::Any>>::encode(self.as_str(), buf)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Any> for $state {
            fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <String as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
                text.parse::<$state>()
                    .map_err(|_| format!("unknown stored value '{text}'").into())
            }
        }
    };
}

pub(crate) use text_column;

/// Declares a stored state enum: its variants with their stored text, `as_str()`, `FromStr`,
/// `Display` and the TEXT column impls. The text is the database's and, where a wire format
/// uses the same words, the wire's.
macro_rules! stored_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored text.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::store::UnknownValue;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err(crate::store::UnknownValue),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        crate::store::columns::text_column!($name);
    };
}

pub(crate) use stored_enum;

/// A stored text that names no value of its enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown stored value")]
pub struct UnknownValue;
