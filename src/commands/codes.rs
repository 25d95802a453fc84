//! `seatdesk codes`: a license's codes and activation-code batches;
//! `generate` creates a batch, `export` writes one as the server renders it
//! (.xlsx: Code, Users per code, Name, Last Name, Email; or CSV).

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use seatdesk_client::new_idempotency_key;
use seatdesk_core::api::codes::{CodeBatch, CodeQuery, ExportFormat, NewCodeBatch, PageQuery};

use super::remote::{Conn, connect, list_all};
use crate::cli::{
    BatchFormat, CodesBatchesArgs, CodesCommand, CodesExportArgs, CodesGenerateArgs, CodesListArgs,
};
use crate::exit::UsageError;
use crate::output::{self, Format};

pub async fn run(command: CodesCommand) -> anyhow::Result<ExitCode> {
    match command {
        CodesCommand::List(args) => list(args).await,
        CodesCommand::Batches(args) => batches(args).await,
        CodesCommand::Generate(args) => generate(args).await,
        CodesCommand::Export(args) => export(args).await,
    }
}

async fn list(args: CodesListArgs) -> anyhow::Result<ExitCode> {
    let conn = connect(&args.remote)?;
    list_all(&args.out, "codes", async |cursor, limit| {
        let query = CodeQuery {
            kind: args.kind,
            cursor,
            limit: Some(limit),
        };
        conn.api.codes(args.license, &query).await
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

async fn batches(args: CodesBatchesArgs) -> anyhow::Result<ExitCode> {
    let conn = connect(&args.remote)?;
    list_all(&args.out, "code batches", async |cursor, limit| {
        let query = PageQuery {
            cursor,
            limit: Some(limit),
        };
        conn.api.code_batches(args.license, &query).await
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

async fn generate(args: CodesGenerateArgs) -> anyhow::Result<ExitCode> {
    let batch = NewCodeBatch {
        count: args.count,
        users_per_code: args.users_per_code,
        duration_days: args.duration_days,
        enable_benchmark: args.benchmark,
        enable_exercises: args.exercises,
        enable_badges: args.badges,
        require_teacher_link: args.require_teacher_link,
    };
    let problems = batch.problems();
    if !problems.is_empty() {
        return Err(UsageError(problems.join("; ")).into());
    }
    // Checked before the batch exists, so a bad name wastes no codes.
    let format = match &args.out {
        Some(path) if path == Path::new("-") => {
            return Err(UsageError(
                "codes generate prints the batch on stdout; give --out a file name".into(),
            )
            .into());
        }
        Some(path) => Some(export_format(path, None)?),
        None => None,
    };
    let conn = connect(&args.remote)?;
    conn.writable()?;
    let progress = crate::progress::spinner(&format!("generating {} codes", args.count));
    let created = conn
        .api
        .create_code_batch(args.license, &batch, &new_idempotency_key())
        .await
        .context("generating codes")?;
    progress.finish_and_clear();
    print_batch(&created, args.output.output)?;
    if let (Some(path), Some(format)) = (&args.out, format) {
        write_export(&conn, created.id, format, path).await?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn export(args: CodesExportArgs) -> anyhow::Result<ExitCode> {
    let format = export_format(&args.out, args.format)?;
    let conn = connect(&args.remote)?;
    write_export(&conn, args.batch, format, &args.out).await?;
    Ok(ExitCode::SUCCESS)
}

fn print_batch(batch: &CodeBatch, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => output::print_json(batch),
        other => output::print_records(other, std::slice::from_ref(batch)),
    }
}

/// The format asked for, else the one the extension names (`-`: CSV).
fn export_format(path: &Path, asked: Option<BatchFormat>) -> anyhow::Result<ExportFormat> {
    let by_name = match path.extension().and_then(|e| e.to_str()) {
        Some(ext) if ext.eq_ignore_ascii_case("csv") => Some(ExportFormat::Csv),
        Some(ext) if ext.eq_ignore_ascii_case("xlsx") => Some(ExportFormat::Xlsx),
        _ => None,
    };
    let stdout = path == Path::new("-");
    let format = match asked {
        Some(BatchFormat::Csv) => ExportFormat::Csv,
        Some(BatchFormat::Xlsx) => ExportFormat::Xlsx,
        None if stdout => ExportFormat::Csv,
        None => by_name.unwrap_or(ExportFormat::Xlsx),
    };
    if stdout && format == ExportFormat::Xlsx {
        return Err(UsageError(
            "an .xlsx workbook is not written to stdout; use --out FILE.xlsx or --format csv"
                .into(),
        )
        .into());
    }
    if let Some(named) = by_name
        && named != format
    {
        return Err(UsageError(format!(
            "{} names a different format than --format",
            path.display()
        ))
        .into());
    }
    Ok(format)
}

async fn write_export(
    conn: &Conn,
    batch: i64,
    format: ExportFormat,
    path: &Path,
) -> anyhow::Result<()> {
    let bytes = conn
        .api
        .export_code_batch(batch, format)
        .await
        .with_context(|| format!("exporting code batch {batch}"))?;
    if path == Path::new("-") {
        let mut out = std::io::stdout().lock();
        out.write_all(&bytes)?;
        out.flush()?;
    } else {
        std::fs::write(path, &bytes).with_context(|| format!("writing {}", path.display()))?;
        eprintln!(
            "wrote code batch {batch} to {} ({} bytes)",
            path.display(),
            bytes.len()
        );
    }
    Ok(())
}
