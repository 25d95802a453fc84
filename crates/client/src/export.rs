//! Reading `GET /v1/export` as it arrives: the body is split into lines and
//! decoded in a task of its own, handing over batches of rows, so decoding
//! the next rows overlaps inserting the last ones and only a few batches
//! are ever in memory. Anything but a well-formed stream that ends with its
//! `end` line (and whose counts match it) is an error: the caller then
//! discards what it wrote.

use seatdesk_core::api::export::{EXPORT_FORMAT, ExportEnd, ExportHead, ExportLine};
use seatdesk_core::api::inventory::License;
use seatdesk_core::api::seats::Claim;
use tokio::sync::mpsc;

use crate::api::ExportBody;
use crate::error::ClientError;

/// What the decoder hands over, in stream order.
#[derive(Debug)]
pub enum Piece {
    Head(ExportHead),
    Licenses(Vec<License>),
    Claims(Vec<Claim>),
    /// The stream ended properly and its counts matched.
    End(ExportEnd),
}

/// Batches ready ahead of the consumer.
const QUEUED: usize = 4;

/// Decodes `body` in a spawned task; claims come in batches of at most
/// `batch`. The receiver yields pieces until `End` or the first error.
pub fn decode(body: ExportBody, batch: usize) -> mpsc::Receiver<Result<Piece, ClientError>> {
    let (sender, receiver) = mpsc::channel(QUEUED);
    tokio::spawn(async move {
        let url = body.url().to_string();
        let mut decoder = Decoder::new(sender.clone(), batch.max(1));
        if let Err(error) = decoder.run(body).await {
            let error = match error {
                Failure::Client(error) => error,
                Failure::Bad(detail) => ClientError::Decode { url, detail },
                // The consumer stopped listening: nothing to tell.
                Failure::Gone => return,
            };
            let _ = sender.send(Err(error)).await;
        }
    });
    receiver
}

enum Failure {
    Client(ClientError),
    Bad(String),
    Gone,
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Failure {
        Failure::Client(error)
    }
}

struct Decoder {
    sender: mpsc::Sender<Result<Piece, ClientError>>,
    batch: usize,
    line: u64,
    head: bool,
    end: bool,
    licenses: Vec<License>,
    claims: Vec<Claim>,
    counted: ExportEnd,
}

impl Decoder {
    fn new(sender: mpsc::Sender<Result<Piece, ClientError>>, batch: usize) -> Decoder {
        Decoder {
            sender,
            batch,
            line: 0,
            head: false,
            end: false,
            licenses: Vec::new(),
            claims: Vec::with_capacity(batch),
            counted: ExportEnd {
                licenses: 0,
                claims: 0,
            },
        }
    }

    async fn run(&mut self, mut body: ExportBody) -> Result<(), Failure> {
        // Bytes received but not yet ending a line.
        let mut pending: Vec<u8> = Vec::new();
        while let Some(chunk) = body.chunk().await? {
            pending.extend_from_slice(&chunk);
            let mut start = 0;
            while let Some(at) = pending[start..].iter().position(|&b| b == b'\n') {
                let end = start + at;
                self.line(&pending[start..end]).await?;
                start = end + 1;
            }
            pending.drain(..start);
        }
        if !self.end {
            let what = if pending.is_empty() {
                String::new()
            } else {
                format!(" and a partial line of {} bytes", pending.len())
            };
            return Err(Failure::Bad(format!(
                "the export stopped after {} licenses and {} claims{what}, without its end line: \
                 the connection was cut or the server failed part way",
                self.counted.licenses, self.counted.claims
            )));
        }
        Ok(())
    }

    async fn line(&mut self, text: &[u8]) -> Result<(), Failure> {
        self.line += 1;
        if self.end {
            return Err(Failure::Bad(format!(
                "line {} follows the export's end line",
                self.line
            )));
        }
        let line: ExportLine = serde_json::from_slice(text).map_err(|e| {
            Failure::Bad(format!(
                "line {} of the export is not readable: {e}",
                self.line
            ))
        })?;
        match line {
            ExportLine::Head(head) => {
                if self.head {
                    return Err(Failure::Bad(format!(
                        "line {} is a second head line",
                        self.line
                    )));
                }
                if head.format != EXPORT_FORMAT {
                    return Err(Failure::Bad(format!(
                        "the export is in format {}, this client reads format {EXPORT_FORMAT}",
                        head.format
                    )));
                }
                self.head = true;
                self.send(Piece::Head(head)).await?;
            }
            _ if !self.head => {
                return Err(Failure::Bad(
                    "the export does not start with its head line".to_string(),
                ));
            }
            ExportLine::License(license) => {
                self.counted.licenses += 1;
                self.licenses.push(license);
            }
            ExportLine::Claim(claim) => {
                self.flush_licenses().await?;
                self.counted.claims += 1;
                self.claims.push(claim);
                if self.claims.len() >= self.batch {
                    self.flush_claims().await?;
                }
            }
            ExportLine::End(end) => {
                self.flush_licenses().await?;
                self.flush_claims().await?;
                if end != self.counted {
                    return Err(Failure::Bad(format!(
                        "the export's end line counts {} licenses and {} claims, but {} and {} came",
                        end.licenses, end.claims, self.counted.licenses, self.counted.claims
                    )));
                }
                self.end = true;
                self.send(Piece::End(end)).await?;
            }
        }
        Ok(())
    }

    async fn flush_licenses(&mut self) -> Result<(), Failure> {
        if self.licenses.is_empty() {
            return Ok(());
        }
        let licenses = std::mem::take(&mut self.licenses);
        self.send(Piece::Licenses(licenses)).await
    }

    async fn flush_claims(&mut self) -> Result<(), Failure> {
        if self.claims.is_empty() {
            return Ok(());
        }
        let claims = std::mem::replace(&mut self.claims, Vec::with_capacity(self.batch));
        self.send(Piece::Claims(claims)).await
    }

    async fn send(&self, piece: Piece) -> Result<(), Failure> {
        self.sender.send(Ok(piece)).await.map_err(|_| Failure::Gone)
    }
}
