//! The columns of every listing. CSV headers are these names, stable and
//! documented in the README; JSON is the API type itself. Columns marked
//! `wide` are left out of terminal tables only.

use seatdesk_core::api::alerts::Alert;
use seatdesk_core::api::audit::AuditEvent;
use seatdesk_core::api::codes::{Code, CodeBatch};
use seatdesk_core::api::imports::BadRow;
use seatdesk_core::api::inventory::License;
use seatdesk_core::api::requests::LicenseRequest;
use seatdesk_core::api::seats::{Claim, Teacher};
use seatdesk_core::api::triage::Discrepancy;
use seatdesk_core::api::users::User;
use seatdesk_core::api::webhooks::{Webhook, WebhookDelivery, WebhookTestResult};
use serde::Serialize;

use super::{Cell, Column, Record, col, wide};

// Kept apart so parallel branches add their listings without conflicts.
mod reclaim;

/// The serde name of an enum value (`in_grace`, `refused`…).
pub fn name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn text(value: impl std::fmt::Display) -> Cell {
    Cell::Text(value.to_string())
}

fn json_text(value: &Option<serde_json::Value>) -> Cell {
    value
        .as_ref()
        .map_or(Cell::Empty, |v| Cell::Text(v.to_string()))
}

impl Record for Claim {
    const COLUMNS: &'static [Column] = &[
        col("id"),
        col("status"),
        col("user_email").titled("EMAIL"),
        col("user_name").titled("NAME"),
        col("product_name").titled("PRODUCT"),
        col("assigned_at").titled("ASSIGNED"),
        col("claimed_at").titled("CLAIMED"),
        col("org_name").titled("ORG"),
        col("license_id").titled("LICENSE"),
        wide("user_kind"),
        wide("user_id"),
        wide("product_id"),
        wide("org_id"),
        wide("assigned_by"),
        wide("claimed_by"),
        wide("expired_at"),
        wide("expired_by"),
        wide("revoked_at"),
        wide("revoked_by"),
        wide("redemption_code"),
        wide("students_assigned"),
        wide("updated_at"),
    ];
    fn cells(&self) -> Vec<Cell> {
        vec![
            self.id.into(),
            text(self.status),
            self.user_email.as_str().into(),
            self.user_name.as_str().into(),
            self.product_name.as_str().into(),
            self.assigned_at.into(),
            self.claimed_at.into(),
            self.org_name.as_str().into(),
            self.license_id.into(),
            text(self.user_kind),
            self.user_id.into(),
            self.product_id.into(),
            self.org_id.into(),
            self.assigned_by.as_str().into(),
            self.claimed_by.clone().into(),
            self.expired_at.into(),
            self.expired_by.clone().into(),
            self.revoked_at.into(),
            self.revoked_by.clone().into(),
            self.redemption_code.clone().into(),
            self.students_assigned.into(),
            self.updated_at.into(),
        ]
    }
}

impl Record for Teacher {
    const COLUMNS: &'static [Column] = &[
        col("seat_id").titled("SEAT"),
        wide("user_id"),
        col("name"),
        col("email"),
        col("org_name").titled("ORG"),
        col("status"),
        col("redemption_code").titled("CODE"),
        col("students_assigned").titled("STUDENTS"),
        col("assigned_at").titled("ASSIGNED"),
        wide("claimed_at"),
    ];
    fn cells(&self) -> Vec<Cell> {
        vec![
            self.seat_id.into(),
            self.user_id.into(),
            self.name.as_str().into(),
            self.email.as_str().into(),
            self.org_name.as_str().into(),
            text(self.status),
            self.redemption_code.clone().into(),
            self.students_assigned.into(),
            self.assigned_at.into(),
            self.claimed_at.into(),
        ]
    }
}

impl Record for License {
    const COLUMNS: &'static [Column] = &[
        col("id"),
        col("product_sku").titled("SKU"),
        col("order_number").titled("ORDER"),
        col("status"),
        col("seats_purchased").titled("SEATS"),
        col("seats_consumed").titled("USED"),
        col("seats_available").titled("FREE"),
        col("usage_percent").titled("USE%"),
        col("finish_date").titled("FINISH"),
        col("remaining_days").titled("DAYS"),
        col("inventory_type").titled("TYPE"),
        wide("account_id"),
        wide("org_id"),
        wide("parent_license_id"),
        wide("product_id"),
        wide("product_name"),
        wide("purchase_order"),
        wide("courses"),
        wide("teacher_code"),
        wide("master_code"),
        wide("seats_allocated"),
        wide("allocations_consumed"),
        wide("start_date"),
        wide("grace_days"),
        wide("standing"),
        wide("renewal_requested"),
        wide("renewed"),
        wide("teachers"),
        wide("students"),
        wide("updated_at"),
        wide("full_in_days"),
        wide("full_on"),
    ];
    fn cells(&self) -> Vec<Cell> {
        vec![
            self.id.into(),
            self.product_sku.as_str().into(),
            self.order_number.as_str().into(),
            text(self.status),
            self.seats.purchased.into(),
            self.seats.consumed.into(),
            self.seats_available.into(),
            self.usage_percent.into(),
            self.finish_date.into(),
            self.remaining_days.into(),
            text(self.inventory_type),
            self.account_id.into(),
            self.org_id.into(),
            self.parent_license_id.into(),
            self.product_id.into(),
            self.product_name.as_str().into(),
            self.purchase_order.as_str().into(),
            self.courses.join("; ").into(),
            self.teacher_code.clone().into(),
            self.master_code.clone().into(),
            self.seats.allocated.into(),
            self.allocations_consumed.into(),
            self.start_date.into(),
            self.grace_days.into(),
            name(&self.standing).into(),
            self.renewal_requested.into(),
            self.renewed.into(),
            self.teachers.into(),
            self.students.into(),
            self.updated_at.into(),
            // The server's forecast; empty when it sent none or the pool
            // is not filling at this rate.
            self.forecast.and_then(|f| f.full_in_days).into(),
            self.forecast.and_then(|f| f.full_on).into(),
        ]
    }
}

impl Record for AuditEvent {
    const COLUMNS: &'static [Column] = &[
        col("seq"),
        col("at"),
        col("actor"),
        col("action"),
        col("target_type").titled("TARGET"),
        col("target_id").titled("ID"),
        wide("request_id"),
        wide("before"),
        wide("after"),
    ];
    fn cells(&self) -> Vec<Cell> {
        vec![
            self.seq.into(),
            self.at.into(),
            self.actor.as_str().into(),
            self.action.as_str().into(),
            self.target_type.as_str().into(),
            self.target_id.into(),
            self.request_id.as_str().into(),
            json_text(&self.before),
            json_text(&self.after),
        ]
    }
}

impl Record for LicenseRequest {
    const COLUMNS: &'static [Column] = &[
        col("id"),
        col("kind"),
        col("status"),
        col("license_id").titled("LICENSE"),
        wide("account_id"),
        wide("org_id"),
        col("org_name").titled("ORG"),
        wide("requested_to_org_id"),
        wide("requested_to_org_name"),
        wide("product_id"),
        col("product_name").titled("PRODUCT"),
        wide("new_code"),
        wide("inventory_type"),
        col("students"),
        wide("courses"),
        wide("start_date"),
        wide("finish_date"),
        wide("purchase_order"),
        wide("comments"),
        wide("approval_comments"),
        wide("created_by"),
        col("created_at").titled("CREATED"),
        wide("decided_by"),
        wide("decided_at"),
        wide("result_license_id"),
    ];
    fn cells(&self) -> Vec<Cell> {
        vec![
            self.id.into(),
            text(self.kind),
            text(self.status),
            self.license_id.into(),
            self.account_id.into(),
            self.org_id.into(),
            self.org_name.as_str().into(),
            self.requested_to_org_id.into(),
            self.requested_to_org_name.clone().into(),
            self.product_id.into(),
            self.product_name.clone().into(),
            self.new_code.into(),
            self.inventory_type.map(text).unwrap_or(Cell::Empty),
            self.students.into(),
            self.courses.join("; ").into(),
            self.start_date.into(),
            self.finish_date.into(),
            self.purchase_order.as_str().into(),
            self.comments.as_str().into(),
            self.approval_comments.as_str().into(),
            self.created_by.as_str().into(),
            self.created_at.into(),
            self.decided_by.clone().into(),
            self.decided_at.into(),
            self.result_license_id.into(),
        ]
    }
}

impl Record for Code {
    const COLUMNS: &'static [Column] = &[
        wide("id"),
        col("code"),
        col("kind"),
        col("license_id").titled("LICENSE"),
        col("batch_id").titled("BATCH"),
        wide("seat_id"),
        col("user_email").titled("EMAIL"),
        col("subject"),
        col("max_uses"),
        col("uses"),
        col("expires_at").titled("EXPIRES"),
        wide("created_at"),
    ];
    fn cells(&self) -> Vec<Cell> {
        vec![
            self.id.into(),
            self.code.as_str().into(),
            text(self.kind),
            self.license_id.into(),
            self.batch_id.into(),
            self.seat_id.into(),
            self.user_email.clone().into(),
            self.subject.clone().into(),
            self.max_uses.into(),
            self.uses.into(),
            self.expires_at.into(),
            self.created_at.into(),
        ]
    }
}

impl Record for CodeBatch {
    const COLUMNS: &'static [Column] = &[
        col("id"),
        col("license_id").titled("LICENSE"),
        col("code_count").titled("CODES"),
        col("users_per_code").titled("USERS/CODE"),
        col("duration_days").titled("DAYS"),
        wide("enable_benchmark"),
        wide("enable_exercises"),
        wide("enable_badges"),
        wide("require_teacher_link"),
        col("created_by").titled("BY"),
        col("created_at").titled("CREATED"),
        col("expires_at").titled("EXPIRES"),
        col("uses"),
    ];
    fn cells(&self) -> Vec<Cell> {
        vec![
            self.id.into(),
            self.license_id.into(),
            self.code_count.into(),
            self.users_per_code.into(),
            self.duration_days.into(),
            self.options.enable_benchmark.into(),
            self.options.enable_exercises.into(),
            self.options.enable_badges.into(),
            self.options.require_teacher_link.into(),
            self.created_by.as_str().into(),
            self.created_at.into(),
            self.expires_at.into(),
            self.uses.into(),
        ]
    }
}

impl Record for Webhook {
    const COLUMNS: &'static [Column] = &[
        col("id"),
        wide("org_id"),
        col("url"),
        col("events"),
        col("active"),
        wide("last_seq"),
        col("last_status").titled("LAST"),
        col("last_delivery_at").titled("AT"),
        col("pending_deliveries").titled("PENDING"),
        col("failed_deliveries").titled("FAILED"),
        wide("created_at"),
    ];
    fn cells(&self) -> Vec<Cell> {
        vec![
            self.id.into(),
            self.org_id.into(),
            self.url.as_str().into(),
            self.events.join(",").into(),
            self.active.into(),
            self.last_seq.into(),
            self.last_status.clone().into(),
            self.last_delivery_at.into(),
            self.pending_deliveries.into(),
            self.failed_deliveries.into(),
            self.created_at.into(),
        ]
    }
}

impl Record for WebhookDelivery {
    const COLUMNS: &'static [Column] = &[
        col("id"),
        wide("webhook_id"),
        col("seq"),
        col("action"),
        col("status"),
        col("attempts"),
        col("next_attempt_at"),
        col("last_status_code"),
        col("last_error"),
        wide("created_at"),
        col("delivered_at"),
    ];
    fn cells(&self) -> Vec<Cell> {
        vec![
            self.id.into(),
            self.webhook_id.into(),
            self.seq.into(),
            self.action.as_str().into(),
            name(&self.status).into(),
            self.attempts.into(),
            self.next_attempt_at.into(),
            self.last_status_code.into(),
            self.last_error.clone().into(),
            self.created_at.into(),
            self.delivered_at.into(),
        ]
    }
}

impl Record for Alert {
    const COLUMNS: &'static [Column] = &[
        col("severity"),
        col("kind"),
        col("license_id").titled("LICENSE"),
        col("product"),
        wide("org_id"),
        wide("org"),
        wide("account_id"),
        wide("code_id"),
        wide("code"),
        col("message"),
        wide("since"),
        wide("threshold_days"),
        wide("remaining_days"),
        wide("finish_date"),
        wide("grace_until"),
        wide("usage_percent"),
        wide("threshold_percent"),
        wide("seats_purchased"),
        wide("seats_used"),
        wide("redemptions"),
        wide("threshold_redemptions"),
        wide("window_minutes"),
        wide("seats_available"),
        wide("seats_per_day"),
        wide("full_in_days"),
        wide("full_on"),
    ];
    fn cells(&self) -> Vec<Cell> {
        let f = &self.figures;
        vec![
            text(self.severity),
            text(self.kind),
            self.license_id.into(),
            self.product.as_str().into(),
            self.org_id.into(),
            self.org.as_str().into(),
            self.account_id.into(),
            self.code_id.into(),
            self.code.clone().into(),
            self.message.as_str().into(),
            self.since.into(),
            f.threshold_days.into(),
            f.remaining_days.into(),
            f.finish_date.into(),
            f.grace_until.into(),
            f.usage_percent.into(),
            f.threshold_percent.into(),
            f.seats_purchased.into(),
            f.seats_used.into(),
            f.redemptions.into(),
            f.threshold_redemptions.into(),
            f.window_minutes.into(),
            f.seats_available.into(),
            f.seats_per_day.into(),
            f.full_in_days.into(),
            f.full_on.into(),
        ]
    }
}

impl Record for Discrepancy {
    const COLUMNS: &'static [Column] = &[
        col("kind"),
        wide("user_id"),
        col("user_email").titled("EMAIL"),
        col("license_id").titled("LICENSE"),
        wide("product_id"),
        col("seat_id").titled("SEAT"),
        col("expected"),
        col("actual"),
        col("detail"),
    ];
    fn cells(&self) -> Vec<Cell> {
        vec![
            name(&self.kind).into(),
            self.user_id.into(),
            self.user_email.clone().into(),
            self.license_id.into(),
            self.product_id.into(),
            self.seat_id.into(),
            self.expected.into(),
            self.actual.into(),
            self.detail.as_str().into(),
        ]
    }
}

impl Record for BadRow {
    const COLUMNS: &'static [Column] = &[col("file"), col("line"), col("reason")];
    fn cells(&self) -> Vec<Cell> {
        vec![
            self.file.as_str().into(),
            (self.line as i64).into(),
            self.reason.as_str().into(),
        ]
    }
}

impl Record for User {
    const COLUMNS: &'static [Column] = &[
        col("id"),
        col("email"),
        col("given_name"),
        col("family_name"),
        col("kind"),
        col("roles"),
        col("status"),
        wide("org_id"),
        col("org_name"),
        wide("trainings"),
        col("last_login_at"),
        wide("created_at"),
        wide("updated_at"),
    ];
    fn cells(&self) -> Vec<Cell> {
        let roles: Vec<&str> = self.roles.iter().map(|r| r.as_str()).collect();
        vec![
            self.id.into(),
            self.email.as_str().into(),
            self.given_name.as_str().into(),
            self.family_name.as_str().into(),
            text(self.kind),
            roles.join(",").into(),
            text(self.status),
            self.org_id.into(),
            self.org_name.as_str().into(),
            self.trainings.join("; ").into(),
            self.last_login_at.into(),
            self.created_at.into(),
            self.updated_at.into(),
        ]
    }
}

impl Record for WebhookTestResult {
    const COLUMNS: &'static [Column] = &[
        col("delivered"),
        col("status_code"),
        col("error"),
        col("elapsed_ms"),
    ];
    fn cells(&self) -> Vec<Cell> {
        vec![
            self.delivered.into(),
            self.status_code.map(i64::from).into(),
            self.error.clone().into(),
            (self.elapsed_ms as i64).into(),
        ]
    }
}
