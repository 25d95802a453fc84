//! Status and kind enums named after the vendor consoles (`shared/seeds/`).
//! Each is stored and sent as its lower-case snake name.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Declares a string-backed enum with `as_str` / `parse` that match its serde
/// names, so SQL columns, query strings and JSON share one spelling.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Position in `ALL`, for per-variant arrays (declaration order).
            pub fn index(self) -> usize {
                self as usize
            }

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text).ok_or_else(|| {
                    let allowed: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    format!("unknown {} '{}'; expected one of {}", stringify!($name), text, allowed.join(", "))
                })
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(
    /// Where an org sits in the tree: distributor > reseller > hub > center, district > school.
    OrgKind {
        Distributor => "distributor",
        Reseller => "reseller",
        Hub => "hub",
        Center => "center",
        District => "district",
        School => "school",
    }
);

string_enum!(
    /// Which edition of a program a product is, as ConnectED separates them.
    Edition { Teacher => "teacher", Student => "student", None => "none" }
);

string_enum!(
    /// Professional-development module a product grants (License Dashboard article).
    Module { Learn => "learn", Observe => "observe", None => "none" }
);

string_enum!(
    /// License Inventory "Inventory Type".
    InventoryType {
        CenterLicense => "center_license",
        UserActivationCodes => "user_activation_codes",
        SeatPool => "seat_pool",
    }
);

string_enum!(
    /// Lifecycle of a license (an inventory order line).
    LicenseStatus {
        Requested => "requested",
        Active => "active",
        Deactivated => "deactivated",
        Depleted => "depleted",
        Expired => "expired",
    }
);

string_enum!(
    /// Claim status, as the License Claims report shows it.
    SeatStatus {
        /// Assigned, not yet claimed; it consumes a seat.
        Pending => "pending",
        /// Claimed and in use; it consumes a seat.
        Active => "active",
        Expired => "expired",
        Revoked => "revoked",
    }
);

impl SeatStatus {
    /// Pending and active seats count against the license's purchased seats.
    pub fn consumes_seat(self) -> bool {
        matches!(self, SeatStatus::Pending | SeatStatus::Active)
    }
}

string_enum!(
    UserKind { Teacher => "teacher", Student => "student", Staff => "staff" }
);

string_enum!(
    UserStatus { Active => "active", Suspended => "suspended", Archived => "archived" }
);

string_enum!(
    /// User permission roles from the License and Product Management article.
    UserRole {
        Observer => "observer",
        Observable => "observable",
        Evaluator => "evaluator",
        Proctor => "proctor",
        Reporter => "reporter",
        Admin => "admin",
        Learner => "learner",
    }
);

string_enum!(
    CodeKind {
        /// 16 alphanumerics per license; teachers redeem content with it.
        Master => "master",
        /// Per-subject code for ALEKS / Redbird classes.
        Resource => "resource",
        /// Made when a teacher redeems a student-edition master code.
        Redemption => "redemption",
        /// One code of an activation-code batch.
        Activation => "activation",
    }
);

string_enum!(
    RequestKind { Renewal => "renewal", NewLicense => "new_license" }
);

string_enum!(
    RequestStatus { Pending => "pending", Approved => "approved", Rejected => "rejected" }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_round_trips_through_its_text_and_serde() {
        for status in SeatStatus::ALL {
            assert_eq!(SeatStatus::parse(status.as_str()), Some(*status));
            let json = serde_json::to_string(status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
        assert_eq!(
            "user_activation_codes".parse::<InventoryType>(),
            Ok(InventoryType::UserActivationCodes)
        );
        let err = "bogus".parse::<SeatStatus>().unwrap_err();
        assert!(err.contains("pending, active, expired, revoked"), "{err}");
    }
}
