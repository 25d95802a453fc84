//! A JSON array written one item per line as items arrive, so `jq` reads
//! it whole and line tools can still split it.

use std::io::Write;

use serde::Serialize;

pub struct JsonArray<W: Write> {
    out: W,
    first: bool,
}

impl<W: Write> JsonArray<W> {
    pub fn new(mut out: W) -> anyhow::Result<JsonArray<W>> {
        out.write_all(b"[")?;
        Ok(JsonArray { out, first: true })
    }

    pub fn push<T: Serialize>(&mut self, item: &T) -> anyhow::Result<()> {
        self.out
            .write_all(if self.first { b"\n" } else { b",\n" })?;
        self.first = false;
        serde_json::to_writer(&mut self.out, item)?;
        Ok(())
    }

    pub fn finish(mut self) -> anyhow::Result<()> {
        self.out.write_all(b"\n]\n")?;
        self.out.flush()?;
        Ok(())
    }
}
