//! Following keyset cursors: every list endpoint answers a [`Page`] with
//! `next_cursor`, and callers that want more than one page walk them here.

use seatdesk_core::api::Page;

use crate::error::ClientError;

/// Rows of every page `fetch(cursor)` answers, from the first (`None`)
/// until the last or until at least `max` rows are in; the flag says the
/// server had more than were fetched.
///
/// `fetch` returns a plain future rather than being an async closure: a
/// future from an async closure cannot yet be proven `Send`, and the
/// dashboard runs these in spawned tasks.
pub async fn collect_pages<T, F, Fut>(
    max: Option<usize>,
    mut fetch: F,
) -> Result<(Vec<T>, bool), ClientError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>, ClientError>>,
{
    let mut items = Vec::new();
    let mut cursor = None;
    loop {
        let page = fetch(cursor.take()).await?;
        items.extend(page.items);
        match page.next_cursor {
            Some(next) if max.is_none_or(|max| items.len() < max) => cursor = Some(next),
            next => return Ok((items, next.is_some())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pages of three numbers from 0..10, the cursor being the next start.
    async fn numbers(cursor: Option<String>) -> Result<Page<u32>, ClientError> {
        let start: u32 = cursor.map_or(0, |c| c.parse().unwrap());
        let end = (start + 3).min(10);
        Ok(Page {
            items: (start..end).collect(),
            next_cursor: (end < 10).then(|| end.to_string()),
        })
    }

    #[tokio::test]
    async fn follows_cursors_to_the_end_or_to_the_cap() {
        let (all, more) = collect_pages(None, numbers).await.unwrap();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert!(!more);
        // The cap stops after the page that reaches it, and says so.
        let (some, more) = collect_pages(Some(5), numbers).await.unwrap();
        assert_eq!(some, (0..6).collect::<Vec<_>>());
        assert!(more);
        // A cap met exactly by the last page: nothing more.
        let (exact, more) = collect_pages(Some(10), numbers).await.unwrap();
        assert_eq!(exact.len(), 10);
        assert!(!more);
        let failing = collect_pages(None, |_| async {
            Err::<Page<u32>, _>(ClientError::BadUrl("x".into()))
        });
        assert!(matches!(failing.await, Err(ClientError::BadUrl(_))));
    }
}
