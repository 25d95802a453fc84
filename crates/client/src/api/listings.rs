//! Filtered listings: claims, teachers, licenses (inventory), users, audit,
//! and the dashboard summary — the reads behind the panes and the CLI.

use seatdesk_core::api::Page;
use seatdesk_core::api::audit::{AuditEvent, AuditQuery};
use seatdesk_core::api::dashboard::{Dashboard, DashboardQuery};
use seatdesk_core::api::inventory::{License, LicenseQuery};
use seatdesk_core::api::seats::{Claim, ClaimQuery, Teacher, TeacherQuery};
use seatdesk_core::api::users::{User, UserDetail, UserQuery};

use super::ApiClient;
use crate::error::ClientError;

impl ApiClient {
    /// One page of the claims report with every filter of `GET /v1/claims`.
    pub async fn claims(&self, query: &ClaimQuery) -> Result<Page<Claim>, ClientError> {
        self.get_with("/v1/claims", query).await
    }

    /// One page of a license's teachers.
    pub async fn teachers_page(
        &self,
        license_id: i64,
        query: &TeacherQuery,
    ) -> Result<Page<Teacher>, ClientError> {
        self.get_with(&format!("/v1/licenses/{license_id}/teachers"), query)
            .await
    }

    /// One page of the License Inventory table.
    pub async fn licenses(&self, query: &LicenseQuery) -> Result<Page<License>, ClientError> {
        self.get_with("/v1/licenses", query).await
    }

    pub async fn users(&self, query: &UserQuery) -> Result<Page<User>, ClientError> {
        self.get_with("/v1/users", query).await
    }

    pub async fn user(&self, id: i64) -> Result<UserDetail, ClientError> {
        self.get(&format!("/v1/users/{id}"), &[]).await
    }

    /// One page of the audit log, newest first.
    pub async fn audit_events(&self, query: &AuditQuery) -> Result<Page<AuditEvent>, ClientError> {
        self.get_with("/v1/audit", query).await
    }

    pub async fn dashboard(&self, query: &DashboardQuery) -> Result<Dashboard, ClientError> {
        self.get_with("/v1/dashboard", query).await
    }
}
