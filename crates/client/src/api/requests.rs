//! Renewal and new-license requests, and their approval or rejection.

use seatdesk_core::api::Page;
use seatdesk_core::api::requests::{Approval, LicenseRequest, NewRequest, Rejection, RequestQuery};

use super::ApiClient;
use crate::error::ClientError;

impl ApiClient {
    pub async fn requests(
        &self,
        query: &RequestQuery,
    ) -> Result<Page<LicenseRequest>, ClientError> {
        self.get_with("/v1/requests", query).await
    }

    pub async fn request(&self, id: i64) -> Result<LicenseRequest, ClientError> {
        self.get(&format!("/v1/requests/{id}"), &[]).await
    }

    pub async fn create_request(
        &self,
        request: &NewRequest,
        key: &str,
    ) -> Result<LicenseRequest, ClientError> {
        self.post("/v1/requests", request, key).await
    }

    pub async fn approve_request(
        &self,
        id: i64,
        approval: &Approval,
        key: &str,
    ) -> Result<LicenseRequest, ClientError> {
        self.post(&format!("/v1/requests/{id}/approve"), approval, key)
            .await
    }

    pub async fn reject_request(
        &self,
        id: i64,
        rejection: &Rejection,
        key: &str,
    ) -> Result<LicenseRequest, ClientError> {
        self.post(&format!("/v1/requests/{id}/reject"), rejection, key)
            .await
    }
}
