//! Statistics for the report.

/// 95% Wilson score interval for `k` successes in `n` trials.
pub fn wilson95(k: u64, n: u64) -> [f64; 2] {
    if n == 0 {
        return [0.0, 1.0];
    }
    let z = 1.959_963_984_540_054;
    let (trials, p) = (n as f64, k as f64 / n as f64);
    let denom = 1.0 + z * z / trials;
    let centre = (p + z * z / (2.0 * trials)) / denom;
    let half = z / denom * (p * (1.0 - p) / trials + z * z / (4.0 * trials * trials)).sqrt();
    // At k = 0 (k = n) the bound is 0 (1) exactly, not a rounding away from it.
    let lo = if k == 0 { 0.0 } else { (centre - half).max(0.0) };
    let hi = if k == n { 1.0 } else { (centre + half).min(1.0) };
    [lo, hi]
}

/// Random restarts needed for a 99% chance that at least one reaches a
/// basin each start reaches with probability `p`: ceil(ln 0.01 / ln(1-p)).
pub fn restarts_for_99(p: f64) -> Option<u64> {
    if p.is_nan() || p <= 0.0 {
        return None;
    }
    if p >= 1.0 {
        return Some(1);
    }
    Some(((0.01f64).ln() / (1.0 - p).ln()).ceil().max(1.0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn wilson_matches_textbook_value() {
        // 50 of 100: 0.4038 to 0.5962 (Wilson 1927; e.g. Newcombe 1998).
        let [lo, hi] = wilson95(50, 100);
        assert_relative_eq!(lo, 0.4038, epsilon = 1e-4);
        assert_relative_eq!(hi, 0.5962, epsilon = 1e-4);
        assert_eq!(wilson95(0, 5000)[0], 0.0);
        assert_eq!(wilson95(5000, 5000)[1], 1.0);
    }

    #[test]
    fn restarts_for_half_is_seven() {
        // 1 - 0.5^7 = 0.992 >= 0.99 > 1 - 0.5^6.
        assert_eq!(restarts_for_99(0.5), Some(7));
        assert_eq!(restarts_for_99(1.0), Some(1));
        assert_eq!(restarts_for_99(0.0), None);
    }
}
