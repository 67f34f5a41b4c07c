//! How much memory the machine has free, so sizes a user asks for are
//! refused before they are allocated rather than grown until the kernel
//! kills the process.

/// Used where the system does not say (no /proc/meminfo).
const FALLBACK_BYTES: u64 = 8 << 30;

/// Bytes of memory available now: Linux's MemAvailable, else 8 GiB.
pub fn available_bytes() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib.saturating_mul(1024))
        })
        .unwrap_or(FALLBACK_BYTES)
}
