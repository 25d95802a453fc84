//! Stored values as Rust types: a date, a timestamp, a flag, a status or
//! kind name, a JSON document.
//! Each decodes from what its database stores natively — PostgreSQL
//! `date`, `timestamptz`, `boolean`, `jsonb`; SQLite ISO date text, unix
//! milliseconds, 0/1 and JSON text — and a stored value that does not
//! parse is a decode error, never a default: a 1970 date or a guessed
//! status would be shown and acted on as if true.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteTypeInfo, SqliteValueRef};
use sqlx::{Database, Decode, Postgres, Sqlite, Type};

/// Implements `Type` and `Decode` for one backend (`Sqlite` or `Postgres`,
/// with its type-info and value-ref types) through `$inner`'s.
macro_rules! decode_via {
    ($ty:ty, $db:ty, $info:ty, $value:ty, $inner:ty, |$v:ident| $conv:expr) => {
        impl Type<$db> for $ty {
            fn type_info() -> $info {
                <$inner as Type<$db>>::type_info()
            }

            fn compatible(ty: &$info) -> bool {
                <$inner as Type<$db>>::compatible(ty)
            }
        }

        impl<'r> Decode<'r, $db> for $ty {
            fn decode(value: $value) -> Result<Self, BoxDynError> {
                let $v = <$inner as Decode<'r, $db>>::decode(value)?;
                $conv
            }
        }
    };
}

/// [`decode_via`] for SQLite.
macro_rules! sqlite_via {
    ($ty:ty, $inner:ty, |$v:ident| $conv:expr) => {
        decode_via!(
            $ty,
            Sqlite,
            SqliteTypeInfo,
            SqliteValueRef<'r>,
            $inner,
            |$v| $conv
        );
    };
}

/// [`decode_via`] for PostgreSQL.
macro_rules! pg_via {
    ($ty:ty, $inner:ty, |$v:ident| $conv:expr) => {
        decode_via!($ty, Postgres, PgTypeInfo, PgValueRef<'r>, $inner, |$v| {
            $conv
        });
    };
}

/// Implements `Type` and `Decode` for `$name<T>`, stored as text and
/// checked by its `TryFrom<String>`.
macro_rules! text_backed {
    ($name:ident, $($bound:tt)+) => {
        impl<DB: Database, T> Type<DB> for $name<T>
        where
            String: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <String as Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <String as Type<DB>>::compatible(ty)
            }
        }

        impl<'r, DB: Database, T: $($bound)+> Decode<'r, DB> for $name<T>
        where
            String: Decode<'r, DB>,
        {
            fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                let text = <String as Decode<'r, DB>>::decode(value)?;
                Ok($name::try_from(text)?)
            }
        }
    };
}

/// A stored calendar date (`date`; ISO `YYYY-MM-DD` text on SQLite).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct Day(pub NaiveDate);

impl TryFrom<String> for Day {
    type Error = String;
    fn try_from(text: String) -> Result<Day, String> {
        text.parse()
            .map(Day)
            .map_err(|e| format!("stored date {text:?} does not parse: {e}"))
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

sqlite_via!(Day, String, |text| Ok(Day::try_from(text)?));
pg_via!(Day, NaiveDate, |date| Ok(Day(date)));

/// A stored instant (`timestamptz`; unix milliseconds on SQLite). Both
/// keep milliseconds: a keyset cursor carries one and must meet the row
/// again exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize)]
#[serde(try_from = "i64")]
pub struct Stamp(pub DateTime<Utc>);

impl TryFrom<i64> for Stamp {
    type Error = String;
    fn try_from(ms: i64) -> Result<Stamp, String> {
        DateTime::from_timestamp_millis(ms)
            .map(Stamp)
            .ok_or_else(|| format!("stored time {ms} is out of range"))
    }
}

sqlite_via!(Stamp, i64, |ms| Ok(Stamp::try_from(ms)?));
pg_via!(Stamp, DateTime<Utc>, |at| Ok(Stamp(at)));

impl Stamp {
    pub fn now() -> Stamp {
        Stamp::at(Utc::now())
    }

    /// `at` cut to the millisecond, the precision both schemas keep.
    pub fn at(at: DateTime<Utc>) -> Stamp {
        Stamp::try_from(at.timestamp_millis()).unwrap_or(Stamp(at))
    }

    pub fn millis(self) -> i64 {
        self.0.timestamp_millis()
    }

    /// `delta` later, or the latest instant there is.
    pub fn saturating_add(self, delta: chrono::TimeDelta) -> Stamp {
        Stamp::at(
            self.0
                .checked_add_signed(delta)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        )
    }

    /// `delta` earlier, or the earliest instant there is.
    pub fn saturating_sub(self, delta: chrono::TimeDelta) -> Stamp {
        Stamp::at(
            self.0
                .checked_sub_signed(delta)
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
        )
    }
}

/// A stored yes/no (`boolean`; 0/1 on SQLite).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

sqlite_via!(Flag, i64, |n| Ok(Flag(n != 0)));
pg_via!(Flag, bool, |b| Ok(Flag(b)));

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0
    }
}

/// A stored name of one of core's string enums (`LicenseStatus`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String", bound(deserialize = "T: FromStr<Err = String>"))]
pub struct Named<T>(pub T);

impl<T: FromStr<Err = String>> TryFrom<String> for Named<T> {
    type Error = String;
    fn try_from(text: String) -> Result<Named<T>, String> {
        text.parse().map(Named)
    }
}

impl<T: std::fmt::Display> std::fmt::Display for Named<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

text_backed!(Named, FromStr<Err = String>);

/// Stored names, comma-separated (a user's roles).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameList<T>(pub Vec<T>);

impl<T: FromStr<Err = String>> TryFrom<String> for NameList<T> {
    type Error = String;
    fn try_from(text: String) -> Result<NameList<T>, String> {
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map(NameList)
    }
}

text_backed!(NameList, FromStr<Err = String>);

/// A stored JSON document (`jsonb`; text on SQLite).
#[derive(Debug, Clone, PartialEq)]
pub struct JsonText<T>(pub T);

impl<T: serde::de::DeserializeOwned> TryFrom<String> for JsonText<T> {
    type Error = String;
    fn try_from(text: String) -> Result<JsonText<T>, String> {
        serde_json::from_str(&text)
            .map(JsonText)
            .map_err(|e| format!("stored JSON {text:?} does not parse: {e}"))
    }
}

impl<T> Type<Sqlite> for JsonText<T> {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty)
    }
}

impl<'r, T: serde::de::DeserializeOwned> Decode<'r, Sqlite> for JsonText<T> {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <String as Decode<'r, Sqlite>>::decode(value)?;
        Ok(JsonText::try_from(text)?)
    }
}

impl<T> Type<Postgres> for JsonText<T> {
    fn type_info() -> PgTypeInfo {
        <serde_json::Value as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <serde_json::Value as Type<Postgres>>::compatible(ty)
    }
}

impl<'r, T: serde::de::DeserializeOwned> Decode<'r, Postgres> for JsonText<T> {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let json = <serde_json::Value as Decode<'r, Postgres>>::decode(value)?;
        serde_json::from_value(json)
            .map(JsonText)
            .map_err(|e| format!("stored JSON does not match its type: {e}").into())
    }
}

#[cfg(test)]
mod tests {
    use super::{Day, NameList, Named, Stamp};
    use seatdesk_core::LicenseStatus;

    #[test]
    fn stored_values_that_do_not_parse_are_errors() {
        assert!(Day::try_from("2026-02-30".to_string()).is_err());
        assert!(Day::try_from(String::new()).is_err());
        assert!(Stamp::try_from(i64::MAX).is_err());
        assert!(Named::<LicenseStatus>::try_from("activ".to_string()).is_err());
        assert_eq!(
            Named::<LicenseStatus>::try_from("active".to_string())
                .unwrap()
                .0,
            LicenseStatus::Active
        );
        assert_eq!(Stamp::try_from(0).unwrap().0.timestamp(), 0);
        assert!(NameList::<LicenseStatus>::try_from("active,bogus".to_string()).is_err());
        assert_eq!(
            NameList::<LicenseStatus>::try_from("active, expired,".to_string())
                .unwrap()
                .0,
            vec![LicenseStatus::Active, LicenseStatus::Expired]
        );
    }
}
