//! Renewal and new-license requests (License Inventory "Renew" and "Request
//! New License"), and the parent org's approve / reject decision.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::{IntoParams, ToSchema};

use crate::vocab::{InventoryType, RequestKind, RequestStatus};

/// `POST /v1/requests`: what the requesting org asks its parent org for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NewRequest {
    Renewal(NewRenewal),
    NewLicense(NewLicenseRequest),
}

/// One object per kind: the variant's own fields plus the `kind` tag. (The
/// derive would put the tag beside the variant in an `allOf`, which no body
/// satisfies: the variant refuses unknown fields, the tag among them.)
impl utoipa::PartialSchema for NewRequest {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(tagged("renewal", NewRenewal::schema()))
            .item(tagged("new_license", NewLicenseRequest::schema()))
            .description(Some(
                "What the requesting org asks its parent org for: a renewal or a new license.",
            ))
            .into()
    }
}

impl ToSchema for NewRequest {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        // The variants are inlined; the types they refer to are components.
        NewRenewal::schemas(schemas);
        NewLicenseRequest::schemas(schemas);
    }
}

/// `schema` (an object) with a required `kind` property of the one value `tag`.
fn tagged(tag: &str, schema: RefOr<Schema>) -> RefOr<Schema> {
    let RefOr::T(Schema::Object(mut object)) = schema else {
        unreachable!("a request variant is a struct, so its schema is an object")
    };
    let kind = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some([tag]))
        .build();
    object.properties.insert("kind".to_string(), kind.into());
    object.required.insert(0, "kind".to_string());
    object.into()
}

/// "Request License Renewal": a new period for an existing license. The
/// product mix is the license's own and cannot change on renewal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRenewal {
    pub license_id: i64,
    /// "Create New Code" (a new license for the new period, e.g. a new
    /// school year) rather than "Use Existing Code" (the license's dates move).
    pub new_code: bool,
    pub start_date: NaiveDate,
    pub finish_date: NaiveDate,
    #[serde(default)]
    #[schema(minimum = 1, maximum = 10_000_000)]
    pub students: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub purchase_order: Option<String>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub comments: Option<String>,
    /// Not accepted: a renewal keeps the license's product mix. Present only
    /// so that sending it is refused with a reason rather than a parse error
    /// (and so not in the schema, which refuses unknown fields).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub courses: Option<Vec<String>>,
    /// Not accepted, for the same reason as `courses`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub product_id: Option<i64>,
}

/// "Request New License" with its "Products Information" checkboxes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLicenseRequest {
    pub account_id: i64,
    pub inventory_type: InventoryType,
    #[schema(minimum = 1, maximum = 10_000_000)]
    pub students: i64,
    pub product_id: i64,
    /// The checked courses of the product.
    #[serde(default)]
    #[schema(max_items = 200, value_type = Vec<crate::api::limits::CourseName>)]
    pub courses: Vec<String>,
    /// Defaults to the day of approval.
    #[serde(default)]
    pub start_date: Option<NaiveDate>,
    /// Defaults to one year after the start date.
    #[serde(default)]
    pub finish_date: Option<NaiveDate>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub purchase_order: Option<String>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub comments: Option<String>,
}

/// A request as the requesting org and the deciding parent org see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LicenseRequest {
    pub id: i64,
    pub kind: RequestKind,
    pub status: RequestStatus,
    /// The license to renew (renewals only).
    pub license_id: Option<i64>,
    pub account_id: i64,
    /// The requesting org ("Requested By").
    pub org_id: i64,
    pub org_name: String,
    /// The parent org that decides ("Requested To").
    pub requested_to_org_id: Option<i64>,
    pub requested_to_org_name: Option<String>,
    pub product_id: Option<i64>,
    pub product_name: Option<String>,
    pub new_code: bool,
    pub inventory_type: Option<InventoryType>,
    pub students: Option<i64>,
    pub courses: Vec<String>,
    pub start_date: Option<NaiveDate>,
    pub finish_date: Option<NaiveDate>,
    pub purchase_order: String,
    pub comments: String,
    pub approval_comments: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The license an approval created or renewed.
    pub result_license_id: Option<i64>,
}

/// `POST /v1/requests/{id}/approve`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub approval_comments: Option<String>,
    /// Seats to grant, when the parent org grants other than the students asked for.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 10_000_000)]
    pub seats: Option<i64>,
}

/// `POST /v1/requests/{id}/reject`: the reason is required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    #[schema(min_length = 1, max_length = 2000, pattern = "\\S")]
    pub approval_comments: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestQuery {
    pub status: Option<RequestStatus>,
    pub kind: Option<RequestKind>,
    pub license_id: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^([0-9a-f]{2})*\\.[0-9]{1,18}$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_tag_picks_the_request_and_unknown_fields_are_refused() {
        let renewal: NewRequest = serde_json::from_str(
            r#"{"kind":"renewal","license_id":7,"new_code":true,"start_date":"2026-09-01","finish_date":"2027-08-31"}"#,
        )
        .unwrap();
        assert!(matches!(
            renewal,
            NewRequest::Renewal(NewRenewal {
                license_id: 7,
                new_code: true,
                ..
            })
        ));
        let new: NewRequest = serde_json::from_str(
            r#"{"kind":"new_license","account_id":1,"inventory_type":"center_license","students":20,"product_id":3,"courses":["Word Core"]}"#,
        )
        .unwrap();
        assert!(matches!(
            new,
            NewRequest::NewLicense(NewLicenseRequest { students: 20, .. })
        ));
        let err = serde_json::from_str::<NewRequest>(
            r#"{"kind":"new_license","account_id":1,"inventory_type":"center_license","students":20,"product_id":3,"seats":9}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("seats"), "{err}");
        assert!(serde_json::from_str::<NewRequest>(r#"{"kind":"upgrade"}"#).is_err());
    }
}
