//! What every command that talks to a server shares: the profile and
//! client, the read-only guard, SKU lookup and paging through a listing.

use anyhow::Context as _;
use seatdesk_client::config::{ConfigFile, config_file, resolve};
use seatdesk_client::{ApiClient, ClientError, Overrides, ResolvedProfile};
use seatdesk_core::api::Page;

use crate::cli::{ListOutput, Remote};
use crate::exit::{NotFound, ReadOnly};
use crate::output::{Record, Sink};

/// Most rows one page request asks for (the server's page cap).
const PAGE: usize = seatdesk_core::api::MAX_PAGE_SIZE as usize;

pub struct Conn {
    pub api: ApiClient,
    pub profile: ResolvedProfile,
}

/// The profile named by `--profile` (or the default), with the
/// environment's overrides, as used by the dashboard and `seatdesk login`.
pub fn connect(remote: &Remote) -> anyhow::Result<Conn> {
    let path = config_file();
    let file = ConfigFile::load(&path)?;
    let profile = resolve(
        &file,
        &path,
        remote.profile.as_deref(),
        &Overrides::from_env(),
    )?;
    let api = ApiClient::new(&profile.url, &profile.token)?;
    Ok(Conn { api, profile })
}

impl Conn {
    /// Refuses a change through a read-only profile.
    pub fn writable(&self) -> Result<(), ReadOnly> {
        if self.profile.readonly {
            Err(ReadOnly(self.profile.name.clone()))
        } else {
            Ok(())
        }
    }

    /// A product id from a SKU (any case) or an id.
    pub async fn product_id(&self, sku: &str) -> anyhow::Result<i64> {
        let products = self.api.products().await.context("looking up products")?;
        if let Ok(id) = sku.trim().parse::<i64>()
            && products.iter().any(|p| p.id == id)
        {
            return Ok(id);
        }
        products
            .iter()
            .find(|p| p.sku.eq_ignore_ascii_case(sku.trim()))
            .map(|p| p.id)
            .ok_or_else(|| {
                let known: Vec<&str> = products.iter().map(|p| p.sku.as_str()).collect();
                NotFound(format!(
                    "no product with SKU '{sku}' (known: {})",
                    known.join(", ")
                ))
                .into()
            })
    }

    pub async fn optional_product_id(&self, sku: Option<&str>) -> anyhow::Result<Option<i64>> {
        match sku {
            Some(sku) => Ok(Some(self.product_id(sku).await?)),
            None => Ok(None),
        }
    }
}

/// Follows `next_cursor` from the first page until `out.limit` rows (or
/// every row) went to the sink. `fetch(cursor, page_size)` gets one page.
pub async fn list_all<T, F>(out: &ListOutput, what: &str, mut fetch: F) -> anyhow::Result<()>
where
    T: Record,
    F: AsyncFnMut(Option<String>, u32) -> Result<Page<T>, ClientError>,
{
    let mut sink = Sink::<T>::new(out.output, out.export.as_deref())?;
    let progress = crate::progress::spinner(&format!("fetching {what}"));
    let mut cursor = None;
    loop {
        let wanted = out
            .limit
            .map_or(PAGE, |limit| (limit - sink.rows()).min(PAGE));
        if wanted == 0 {
            break;
        }
        let page = fetch(cursor.take(), wanted as u32)
            .await
            .with_context(|| format!("listing {what}"))?;
        for item in page.items.iter().take(wanted) {
            sink.push(item)?;
        }
        progress.set_position(sink.rows() as u64);
        match page.next_cursor {
            Some(next) if !page.items.is_empty() => cursor = Some(next),
            _ => break,
        }
    }
    progress.finish_and_clear();
    sink.finish()
}
