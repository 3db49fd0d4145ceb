//! Beacon scoring, as RITA scores it: how regular a device's connections to one endpoint
//! are in time (interval skew and dispersion), in size (the same skew and dispersion of
//! bytes sent), and how evenly they cover the time they span.
//!
//! Memory per tracked (device, endpoint) pair is bounded: the last [`KEEP`] connection
//! starts and sizes (16 bytes each, about 4 KiB a pair), and the number of pairs is capped
//! by the profile (`models.beacon_pairs`), the least recently active forgotten first.

use std::collections::VecDeque;

/// Connections kept per pair.
pub const KEEP: usize = 256;

/// A (device, endpoint) pair's recent connections.
#[derive(Debug, Clone, Default)]
pub struct Series {
    /// (start, ms of packet time; bytes sent).
    conns: VecDeque<(u64, u64)>,
    /// Connections added since the last evaluation.
    pub since_eval: u32,
    pub last_ms: u64,
}

/// A scored series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BeaconScore {
    /// Overall score, 0–1.
    pub score: f64,
    /// Timing regularity, 0–1.
    pub ts: f64,
    /// Size regularity, 0–1.
    pub ds: f64,
    /// Median interval (s) and its median absolute deviation (s).
    pub period_s: f64,
    pub mad_s: f64,
    /// Connections scored and the time they span (s).
    pub connections: usize,
    pub span_s: f64,
    /// Median bytes sent per connection.
    pub median_bytes: f64,
}

impl Series {
    /// Adds a connection (starts arrive in any order; kept sorted).
    pub fn add(&mut self, start_ms: u64, bytes: u64) {
        let pos = self.conns.partition_point(|c| c.0 <= start_ms);
        self.conns.insert(pos, (start_ms, bytes));
        if self.conns.len() > KEEP {
            self.conns.pop_front();
        }
        self.since_eval += 1;
        self.last_ms = self.last_ms.max(start_ms);
    }

    /// Connections held.
    pub fn len(&self) -> usize {
        self.conns.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    /// Scores the series (None with fewer than 4 connections).
    pub fn score(&self) -> Option<BeaconScore> {
        let n = self.conns.len();
        if n < 4 {
            return None;
        }
        let mut iv: Vec<f64> = self
            .conns
            .iter()
            .zip(self.conns.iter().skip(1))
            .map(|(a, b)| (b.0 - a.0) as f64 / 1000.0)
            .collect();
        let mut sizes: Vec<f64> = self.conns.iter().map(|c| c.1 as f64).collect();
        let span = (self.conns[n - 1].0 - self.conns[0].0) as f64 / 1000.0;
        let (ts_skew, _, period) = regularity(&mut iv);
        // Timing dispersion against the period, but never more lenient than RITA's
        // absolute 30 s: a beacon's jitter stays small whatever its period.
        let ts_mad = if period > 0.0 {
            (1.0 - mad(&iv, period) / period.min(30.0)).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (ds_skew, ds_mad, median_bytes) = regularity(&mut sizes);
        // Coverage: how much of the span the connections fill at the median period (a
        // burst then silence covers little).
        let coverage = if period > 0.0 && span > 0.0 {
            ((n - 1) as f64 * period / span).min(1.0)
        } else {
            0.0
        };
        let ts = (ts_skew + ts_mad + coverage) / 3.0;
        let ds = (ds_skew + ds_mad) / 2.0;
        let mad_s = mad(&iv, period);
        Some(BeaconScore {
            score: 0.65 * ts + 0.35 * ds,
            ts,
            ds,
            period_s: period,
            mad_s,
            connections: n,
            span_s: span,
            median_bytes,
        })
    }
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

fn mad(v: &[f64], median: f64) -> f64 {
    let mut d: Vec<f64> = v.iter().map(|x| (x - median).abs()).collect();
    d.sort_by(|a, b| a.total_cmp(b));
    quantile(&d, 0.5)
}

/// (1 − |Bowley skew|, 1 − MAD/median, median) of a sample (sorted in place).
fn regularity(v: &mut [f64]) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    let (q1, q2, q3) = (quantile(v, 0.25), quantile(v, 0.5), quantile(v, 0.75));
    // As RITA does: a median equal to a quartile (many identical values) is no skew.
    let skew = if q3 - q1 > 1e-9 && q2 != q1 && q2 != q3 {
        (q1 + q3 - 2.0 * q2) / (q3 - q1)
    } else {
        0.0
    };
    let m = mad(v, q2);
    let disp = if q2 > 0.0 {
        (1.0 - m / q2).clamp(0.0, 1.0)
    } else if m == 0.0 {
        1.0
    } else {
        0.0
    };
    ((1.0 - skew.abs()).clamp(0.0, 1.0), disp, q2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(x: &mut u64) -> f64 {
        *x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*x >> 11) as f64 / (1u64 << 53) as f64
    }

    #[test]
    fn a_regular_beacon_scores_high() {
        let mut s = Series::default();
        let mut x = 1;
        let mut t = 0u64;
        for _ in 0..60 {
            s.add(t, 600 + (lcg(&mut x) * 20.0) as u64);
            t += 60_000 + (lcg(&mut x) * 6000.0) as u64;
        }
        let b = s.score().unwrap();
        assert!(b.score > 0.85, "{b:?}");
        assert!((b.period_s - 63.0).abs() < 3.0, "{b:?}");
    }

    #[test]
    fn browsing_scores_low() {
        // Bursts of page loads at random times, sizes all over the place.
        let mut s = Series::default();
        let mut x = 7;
        let mut t = 0u64;
        for _ in 0..60 {
            let burst = 1 + (lcg(&mut x) * 8.0) as u64;
            for _ in 0..burst {
                s.add(t, (lcg(&mut x) * 50_000.0) as u64 + 200);
                t += (lcg(&mut x) * 2000.0) as u64;
            }
            t += (lcg(&mut x) * 900_000.0) as u64;
        }
        let b = s.score().unwrap();
        assert!(b.score < 0.6, "{b:?}");
    }

    #[test]
    fn memory_is_bounded() {
        let mut s = Series::default();
        for i in 0..10_000u64 {
            s.add(i * 1000, 10);
        }
        assert_eq!(s.len(), KEEP);
    }
}
