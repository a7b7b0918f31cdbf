//! Confidence intervals for aggregated metrics.

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
}
