//! Confidence intervals and tests for aggregated metrics: Clopper-Pearson
//! for rates, seeded percentile bootstrap for means (and paired, for
//! comparisons), the exact McNemar test for paired successes.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{Beta, ContinuousCDF};

/// Exact (Clopper-Pearson) two-sided interval for a binomial proportion
/// with `k` successes out of `n`, at confidence `1 - alpha`.
/// Returns `(0, 1)` for `n = 0`.
pub fn clopper_pearson(k: usize, n: usize, alpha: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (kf, nf) = (k as f64, n as f64);
    let lower = if k == 0 {
        0.0
    } else {
        Beta::new(kf, nf - kf + 1.0)
            .map(|b| b.inverse_cdf(alpha / 2.0))
            .unwrap_or(0.0)
    };
    let upper = if k == n {
        1.0
    } else {
        Beta::new(kf + 1.0, nf - kf)
            .map(|b| b.inverse_cdf(1.0 - alpha / 2.0))
            .unwrap_or(1.0)
    };
    (lower, upper)
}

/// Mean and a normal-approximation 95% interval half-width
/// (1.96 standard errors; 0 for fewer than two values).
pub fn mean_ci95(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return (mean, 0.0);
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, 1.96 * (var / n).sqrt())
}

/// How bootstrap intervals are drawn: the number of resamples and the seed
/// of their ChaCha8 stream (the same records always give the same interval).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Bootstrap {
    /// Resamples.
    pub resamples: usize,
    /// Seed of the resampling stream.
    pub seed: u64,
}

impl Default for Bootstrap {
    fn default() -> Self {
        Bootstrap {
            resamples: 2000,
            seed: 0,
        }
    }
}

/// The `q` quantile (0..=1) of sorted values, by linear interpolation
/// between closest ranks (NumPy's default).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Percentile bootstrap interval of the mean at confidence `1 - alpha`:
/// `resamples` means of samples drawn with replacement, their `alpha / 2`
/// and `1 - alpha / 2` quantiles. `(mean, mean)` for fewer than two values.
pub fn bootstrap_mean_ci(values: &[f64], b: &Bootstrap, alpha: f64) -> (f64, f64) {
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n.max(1) as f64;
    if n < 2 || b.resamples == 0 {
        return (mean, mean);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(b.seed);
    let mut means: Vec<f64> = (0..b.resamples)
        .map(|_| (0..n).map(|_| values[rng.gen_range(0..n)]).sum::<f64>() / n as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    (
        quantile(&means, alpha / 2.0),
        quantile(&means, 1.0 - alpha / 2.0),
    )
}

/// Paired bootstrap of the mean difference `other - base` over pairs
/// `(base, other)` (the same episodes in two runs): `(difference, low,
/// high)`, resampling whole pairs.
pub fn paired_bootstrap(pairs: &[(f64, f64)], b: &Bootstrap, alpha: f64) -> (f64, f64, f64) {
    let diffs: Vec<f64> = pairs.iter().map(|(a, o)| o - a).collect();
    let mean = diffs.iter().sum::<f64>() / diffs.len().max(1) as f64;
    let (lo, hi) = bootstrap_mean_ci(&diffs, b, alpha);
    (mean, lo, hi)
}

/// Two-sided exact McNemar test (the sign test on the discordant pairs):
/// with `b` pairs where only the base succeeded and `c` where only the other
/// did, the probability under `Binomial(b + c, 1/2)` of a split at least as
/// uneven. 1 when there is no discordant pair.
pub fn mcnemar_exact(b: usize, c: usize) -> f64 {
    let n = b + c;
    if n == 0 {
        return 1.0;
    }
    let k = b.min(c);
    // P(X <= k) for X ~ Binomial(n, 1/2), in log space for large n.
    let ln_half_n = -(n as f64) * std::f64::consts::LN_2;
    let mut ln_choose = 0.0f64; // ln C(n, 0)
    let mut tail = 0.0;
    for i in 0..=k {
        if i > 0 {
            ln_choose += ((n - i + 1) as f64).ln() - (i as f64).ln();
        }
        tail += (ln_choose + ln_half_n).exp();
    }
    (2.0 * tail).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clopper_pearson_matches_reference_values() {
        // Reference: the p solving P(X >= 7 | 20, p) = 0.025 and
        // P(X <= 7 | 20, p) = 0.025, found by bisection over exact binomial
        // sums: (0.15390920, 0.59218853).
        let (lo, hi) = clopper_pearson(7, 20, 0.05);
        assert!((lo - 0.153_909_20).abs() < 1e-6, "{lo}");
        assert!((hi - 0.592_188_53).abs() < 1e-6, "{hi}");
        // Edges: 0 of 10 -> (0, 1 - 0.025^(1/10)) = (0, 0.30849710).
        let (lo, hi) = clopper_pearson(0, 10, 0.05);
        assert_eq!(lo, 0.0);
        assert!((hi - 0.308_497_1).abs() < 1e-6, "{hi}");
        assert_eq!(clopper_pearson(10, 10, 0.05).1, 1.0);
    }

    #[test]
    fn mean_ci_of_constant_is_zero_width() {
        assert_eq!(mean_ci95(&[0.5, 0.5, 0.5]), (0.5, 0.0));
        let (m, h) = mean_ci95(&[0.0, 1.0]);
        assert_eq!(m, 0.5);
        // sd = 0.7071, se = 0.5, half-width = 0.98.
        assert!((h - 0.98).abs() < 1e-9);
    }

    #[test]
    fn bootstrap_intervals_are_seeded_and_sensible() {
        let b = Bootstrap::default();
        // A constant: every resample has the same mean.
        assert_eq!(bootstrap_mean_ci(&[0.5; 30], &b, 0.05), (0.5, 0.5));
        // 0/1 values with mean 0.5 over 100: the interval is about 0.5 +- 1.96 * 0.05.
        let v: Vec<f64> = (0..100).map(|i| f64::from(i % 2)).collect();
        let (lo, hi) = bootstrap_mean_ci(&v, &b, 0.05);
        assert!(
            (lo - 0.40).abs() < 0.02 && (hi - 0.60).abs() < 0.02,
            "{lo} {hi}"
        );
        assert_eq!(
            bootstrap_mean_ci(&v, &b, 0.05),
            (lo, hi),
            "same seed, same interval"
        );
        let other = Bootstrap { seed: 1, ..b };
        assert_ne!(bootstrap_mean_ci(&v, &other, 0.05), (lo, hi));
        assert_eq!(bootstrap_mean_ci(&[2.0], &b, 0.05), (2.0, 2.0));
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
    }

    /// A run compared with itself: a difference of exactly 0, interval (0, 0);
    /// a run better by 0.25 in every pair: exactly 0.25.
    #[test]
    fn paired_bootstrap_knows_the_answer_in_the_plain_cases() {
        let b = Bootstrap::default();
        let same: Vec<(f64, f64)> = (0..50)
            .map(|i| (f64::from(i % 3), f64::from(i % 3)))
            .collect();
        assert_eq!(paired_bootstrap(&same, &b, 0.05), (0.0, 0.0, 0.0));
        let better: Vec<(f64, f64)> = (0..50)
            .map(|i| (f64::from(i) / 50.0, f64::from(i) / 50.0 + 0.25))
            .collect();
        let (d, lo, hi) = paired_bootstrap(&better, &b, 0.05);
        assert!((d - 0.25).abs() < 1e-12 && (lo - 0.25).abs() < 1e-12 && (hi - 0.25).abs() < 1e-12);
    }

    #[test]
    fn mcnemar_matches_the_binomial_tail() {
        // 1 vs 9 discordant pairs: 2 * (C(10,0) + C(10,1)) / 2^10 = 22 / 1024.
        assert!((mcnemar_exact(1, 9) - 22.0 / 1024.0).abs() < 1e-12);
        assert!((mcnemar_exact(9, 1) - 22.0 / 1024.0).abs() < 1e-12);
        // Balanced: p = 1 (capped).
        assert_eq!(mcnemar_exact(5, 5), 1.0);
        assert_eq!(mcnemar_exact(0, 0), 1.0);
        // 0 vs 20: 2 / 2^20.
        assert!((mcnemar_exact(0, 20) - 2.0 / 1_048_576.0).abs() < 1e-15);
        // Large n stays finite and in [0, 1].
        let p = mcnemar_exact(480, 520);
        assert!(p > 0.1 && p < 1.0, "{p}");
    }
}
