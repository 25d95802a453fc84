//! Small helpers shared by the benchmarks.

use std::time::Duration;

/// The median of `times` (the upper one of an even count).
pub fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// "12.3 ms" below ten seconds, "12.3 s" above.
pub fn ms(time: Duration) -> String {
    let secs = time.as_secs_f64();
    if secs >= 10.0 {
        format!("{secs:.1} s")
    } else if secs >= 0.01 {
        format!("{:.0} ms", secs * 1e3)
    } else {
        format!("{:.2} ms", secs * 1e3)
    }
}

/// The process's peak resident set (VmHWM) in MiB, on Linux.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
