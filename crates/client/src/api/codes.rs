//! Codes: listing per license, activation-code batches and their export,
//! and redemption.

use reqwest::Method;
use seatdesk_core::api::Page;
use seatdesk_core::api::codes::{
    Code, CodeBatch, CodeBatchDetail, CodeBatchPatch, CodeQuery, ExportFormat, ExportQuery,
    NewCodeBatch, PageQuery, Redeem, Redemption,
};

use super::ApiClient;
use crate::error::ClientError;

impl ApiClient {
    /// One page of a license's codes, of one kind or all.
    pub async fn codes(
        &self,
        license_id: i64,
        query: &CodeQuery,
    ) -> Result<Page<Code>, ClientError> {
        self.get_with(&format!("/v1/licenses/{license_id}/codes"), query)
            .await
    }

    pub async fn code_batches(
        &self,
        license_id: i64,
        query: &PageQuery,
    ) -> Result<Page<CodeBatch>, ClientError> {
        self.get_with(&format!("/v1/licenses/{license_id}/code-batches"), query)
            .await
    }

    pub async fn code_batch(&self, batch_id: i64) -> Result<CodeBatchDetail, ClientError> {
        self.get(&format!("/v1/code-batches/{batch_id}"), &[]).await
    }

    /// Generates an activation-code batch on `license_id`.
    pub async fn create_code_batch(
        &self,
        license_id: i64,
        batch: &NewCodeBatch,
        key: &str,
    ) -> Result<CodeBatch, ClientError> {
        self.post(
            &format!("/v1/licenses/{license_id}/code-batches"),
            batch,
            key,
        )
        .await
    }

    /// Changes a batch's options after its codes were created.
    pub async fn patch_code_batch(
        &self,
        batch_id: i64,
        patch: &CodeBatchPatch,
        key: &str,
    ) -> Result<CodeBatch, ClientError> {
        self.mutate(
            Method::PATCH,
            &format!("/v1/code-batches/{batch_id}"),
            Some(patch),
            key,
        )
        .await
    }

    /// The batch as an .xlsx workbook or CSV file, as the server wrote it.
    pub async fn export_code_batch(
        &self,
        batch_id: i64,
        format: ExportFormat,
    ) -> Result<Vec<u8>, ClientError> {
        let query = ExportQuery {
            format: Some(format),
        };
        let url = self.url_with(&format!("/v1/code-batches/{batch_id}/export"), &query)?;
        self.send_raw(Method::GET, url, None, None).await
    }

    pub async fn redeem(&self, redeem: &Redeem, key: &str) -> Result<Redemption, ClientError> {
        self.post("/v1/redeem", redeem, key).await
    }
}
