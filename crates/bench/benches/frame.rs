//! Benchmark 2: the cost of one frame of the Claims and Teachers panes at
//! 200x50 with 1,000, 100,000 and 1,000,000 claims cached. Rendering builds
//! only the rows on screen, so the three sizes should cost the same.
//!
//! `cargo bench -p seatdesk-bench --bench frame`

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use seatdesk_bench::frame;
use seatdesk_tui::app::Pane;

fn frames(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame_200x50");
    for claims in [1_000, 100_000, 1_000_000] {
        let mut app = frame::app(claims);
        let mut terminal = frame::terminal();
        for pane in [Pane::Claims, Pane::Teachers] {
            let mut step = 1;
            group.bench_with_input(BenchmarkId::new(pane.title(), claims), &claims, |b, _| {
                b.iter(|| {
                    // Walk down and back up so the cursor stays in range.
                    step = -step;
                    frame::frame(&mut terminal, &mut app, pane, step);
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, frames);
criterion_main!(benches);
