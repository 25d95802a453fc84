//! Codes: the Master / Resource / Redemption Codes tabs of Manage Products,
//! activation-code batches (the License Inventory article's User Activation
//! Codes window) and redeeming a code for a user.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::seats::Claim;
use crate::vocab::CodeKind;

/// Largest activation-code batch one request may create.
pub const MAX_BATCH_CODES: i64 = 10_000;
/// Most users one activation code may admit.
pub const MAX_USERS_PER_CODE: i64 = 1_000;
/// Longest duration, in days, of an activation-code batch.
pub const MAX_DURATION_DAYS: i64 = 3_650;

/// One code of a license, as the Manage Products tabs list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Code {
    pub id: i64,
    /// Display form, e.g. `7KQ2MZ9XH4RTB8CD` (master) or `U7DA7-NQFE-3P17`.
    pub code: String,
    pub kind: CodeKind,
    pub license_id: i64,
    /// The activation-code batch this code belongs to.
    pub batch_id: Option<i64>,
    /// The teacher's seat a redemption code was made for, or the seat a
    /// single-use activation code was redeemed into.
    pub seat_id: Option<i64>,
    /// Email of that seat's user.
    pub user_email: Option<String>,
    /// Subject of a resource code (ALEKS / Redbird classes).
    pub subject: Option<String>,
    /// How many users may redeem it; absent when only the license's seats
    /// limit it (master, resource and redemption codes).
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// `GET /v1/licenses/{id}/codes`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CodeQuery {
    /// Only codes of this kind (the tab); all kinds when absent.
    pub kind: Option<CodeKind>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^([0-9a-f]{2})*\\.[0-9]{1,18}$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// `POST /v1/licenses/{id}/resource-codes`: one code per subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewResourceCode {
    /// E.g. `Algebra 1`.
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub subject: String,
}

/// The four options of the User Activation Codes window.
/// (Unknown fields are not refused: a batch's answer flattens these into it.)
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BatchOptions {
    /// Enable Benchmark.
    #[serde(default)]
    pub enable_benchmark: bool,
    /// Enable Creative and Validation Exercises.
    #[serde(default)]
    pub enable_exercises: bool,
    /// Enable Badges Assignment.
    #[serde(default)]
    pub enable_badges: bool,
    /// The student must be linked to a teacher before starting the course.
    #[serde(default)]
    pub require_teacher_link: bool,
}

/// `POST /v1/licenses/{id}/code-batches` (Create Codes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCodeBatch {
    /// Number of codes.
    #[schema(minimum = 1, maximum = 10000)]
    pub count: i64,
    /// Users each code admits.
    #[schema(minimum = 1, maximum = 1000)]
    pub users_per_code: i64,
    /// Days the codes stay redeemable after creation.
    #[schema(minimum = 1, maximum = 3650)]
    pub duration_days: i64,
    #[serde(default)]
    pub enable_benchmark: bool,
    #[serde(default)]
    pub enable_exercises: bool,
    #[serde(default)]
    pub enable_badges: bool,
    #[serde(default)]
    pub require_teacher_link: bool,
}

impl NewCodeBatch {
    pub fn options(&self) -> BatchOptions {
        BatchOptions {
            enable_benchmark: self.enable_benchmark,
            enable_exercises: self.enable_exercises,
            enable_badges: self.enable_badges,
            require_teacher_link: self.require_teacher_link,
        }
    }

    /// Every reason the request is out of bounds; empty when it is fine.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !(1..=MAX_BATCH_CODES).contains(&self.count) {
            problems.push(format!("count must be between 1 and {MAX_BATCH_CODES}"));
        }
        if !(1..=MAX_USERS_PER_CODE).contains(&self.users_per_code) {
            problems.push(format!(
                "users_per_code must be between 1 and {MAX_USERS_PER_CODE}"
            ));
        }
        if !(1..=MAX_DURATION_DAYS).contains(&self.duration_days) {
            problems.push(format!(
                "duration_days must be between 1 and {MAX_DURATION_DAYS}"
            ));
        }
        problems
    }
}

/// `PATCH /v1/code-batches/{id}` (the window's Save): options to change;
/// absent fields keep their value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeBatchPatch {
    pub enable_benchmark: Option<bool>,
    pub enable_exercises: Option<bool>,
    pub enable_badges: Option<bool>,
    pub require_teacher_link: Option<bool>,
}

/// An activation-code batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CodeBatch {
    pub id: i64,
    pub license_id: i64,
    pub code_count: i64,
    pub users_per_code: i64,
    pub duration_days: i64,
    #[serde(flatten)]
    pub options: BatchOptions,
    /// Codes Created By.
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// When the batch's codes stop being redeemable.
    pub expires_at: DateTime<Utc>,
    /// Redemptions made with the batch's codes so far.
    pub uses: i64,
}

/// `GET /v1/code-batches/{id}`: the batch and one page of its codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CodeBatchDetail {
    pub batch: CodeBatch,
    pub codes: Vec<Code>,
    /// Pass as `cursor` for the next page of codes; absent on the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Paging of a batch's codes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// `next_cursor` of the previous page.
    #[param(pattern = "^([0-9a-f]{2})*\\.[0-9]{1,18}$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    #[default]
    Xlsx,
    Csv,
}

/// `GET /v1/code-batches/{id}/export`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `xlsx` (default) or `csv`.
    #[param(inline)]
    pub format: Option<ExportFormat>,
}

/// `POST /v1/redeem`: redeem `code` for the user with `email`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Redeem {
    pub code: String,
    #[schema(min_length = 1, pattern = "\\S")]
    pub email: String,
}

/// What a redemption produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Redemption {
    /// The redeemed code, in display form.
    pub code: String,
    pub kind: CodeKind,
    /// The new active seat.
    pub seat: Claim,
    /// Made when a teacher redeemed a student-edition master code; students
    /// redeem it to join the teacher's class.
    pub redemption_code: Option<String>,
}
