//! The benign office's days: who is in, when, and what each device does.
//!
//! Laptops arrive between 08:00 and 08:50 UTC on weekdays (DHCP, then the OS's
//! connectivity check) and leave between 17:15 and 18:40, with a quieter lunch. Desktops
//! are the same in the day but stay on: a little background at night and on weekends.
//! The server and the printer work around the clock. Always-on machines renew their
//! lease just before their first packet of the day. Each
//! device-day draws from its own random stream, so a scenario's window or attack never
//! changes the benign traffic around it.

use super::rng::Rng;
use super::run::{Task, What, MIN, SEC};
use super::world::{Act, Kind, DEVICES};

/// µs per day.
pub const DAY: u64 = 86_400 * SEC;

/// Monday = 0 ... Sunday = 6 for a time in µs since the epoch.
pub fn weekday(t: u64) -> u64 {
    (t / DAY + 3) % 7
}

/// Picks an activity by weight.
fn pick(rng: &mut Rng, acts: &'static [(u32, Act)]) -> &'static Act {
    let w: Vec<u32> = acts.iter().map(|a| a.0).collect();
    &acts[rng.weighted(&w)].1
}

/// Activities from `acts` at exponential gaps (mean `mean_min` minutes) in `[from, to)`.
fn fill(
    rng: &mut Rng,
    out: &mut Vec<Task>,
    dev: usize,
    acts: &'static [(u32, Act)],
    from: u64,
    to: u64,
    mean_min: f64,
) {
    if acts.is_empty() {
        return;
    }
    let mut t = from;
    loop {
        t += (rng.exp(mean_min * 60.0) * 1e6) as u64 + 5 * SEC;
        if t >= to {
            break;
        }
        out.push(Task {
            t,
            dev,
            what: What::Act(pick(rng, acts)),
        });
    }
}

/// One device's whole day starting at midnight `day`.
fn device_day(seed: u64, dev: usize, day: u64) -> Vec<Task> {
    let d = &DEVICES[dev];
    let mut rng = Rng::derive(seed, d.hostname, day / DAY);
    let mut out = Vec::new();
    let weekend = weekday(day) >= 5;
    let end = day + DAY;
    match d.kind {
        Kind::Server => fill(&mut rng, &mut out, dev, d.habits, day, end, d.gap_min),
        Kind::Laptop | Kind::Desktop => {
            let arrive = day + 8 * 60 * MIN + rng.range(0, 50) * MIN + rng.below(MIN);
            let leave = day + (17 * 60 + 15) * MIN + rng.range(0, 85) * MIN + rng.below(MIN);
            if d.kind == Kind::Desktop {
                let (a, b) = if weekend { (end, end) } else { (arrive, leave) };
                fill(&mut rng, &mut out, dev, d.night, day, a, 75.0);
                fill(&mut rng, &mut out, dev, d.night, b, end, 75.0);
            } else if !weekend {
                out.push(Task {
                    t: arrive,
                    dev,
                    what: What::Join,
                });
                out.push(Task {
                    t: arrive + 2 * SEC + rng.below(4 * SEC),
                    dev,
                    what: What::Check,
                });
            }
            if !weekend {
                if d.kind == Kind::Desktop {
                    out.push(Task {
                        t: arrive + 20 * SEC + rng.below(MIN),
                        dev,
                        what: What::Check,
                    });
                }
                // A burst of activity as the day starts, then the day.
                for _ in 0..(3 + rng.below(3)) {
                    out.push(Task {
                        t: arrive + 10 * SEC + rng.below(3 * MIN),
                        dev,
                        what: What::Act(pick(&mut rng, d.habits)),
                    });
                }
                for act in d.daily {
                    out.push(Task {
                        t: arrive + rng.range(20, 150) * MIN + rng.below(MIN),
                        dev,
                        what: What::Act(act),
                    });
                }
                let lunch = day + 12 * 60 * MIN + rng.range(0, 30) * MIN;
                let back = lunch + rng.range(45, 75) * MIN;
                let mut day_tasks = Vec::new();
                fill(
                    &mut rng,
                    &mut day_tasks,
                    dev,
                    d.habits,
                    arrive + 3 * MIN,
                    leave,
                    d.gap_min,
                );
                day_tasks.retain(|t| t.t < lunch || t.t >= back || rng.chance(0.2));
                out.extend(day_tasks);
            }
        }
    }
    out.sort_by_key(|t| t.t);
    out
}

/// The benign office's tasks in `[from, to)`. A device whose first task of a day in the
/// window is not its DHCP exchange renews its lease just before it: every device does
/// DHCP when it first shows up each day.
pub fn plan(seed: u64, from: u64, to: u64) -> Vec<Task> {
    let mut out = Vec::new();
    let mut day = from / DAY * DAY;
    while day < to {
        for dev in 0..DEVICES.len() {
            let tasks: Vec<Task> = device_day(seed, dev, day)
                .into_iter()
                .filter(|t| t.t >= from && t.t < to)
                .collect();
            if let Some(first) = tasks.first() {
                if !matches!(first.what, What::Join | What::Renew) {
                    let mut rng = Rng::derive(seed, "renew", day ^ dev as u64);
                    out.push(Task {
                        t: first.t.saturating_sub(SEC + rng.below(20 * SEC)).max(from),
                        dev,
                        what: What::Renew,
                    });
                }
            }
            out.extend(tasks);
        }
        day += DAY;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays() {
        // 2026-03-09 is a Monday, 2026-03-14 a Saturday.
        assert_eq!(weekday(1_773_014_400 * SEC), 0);
        assert_eq!(weekday(1_773_446_400 * SEC), 5);
    }

    #[test]
    fn every_device_starts_its_day_with_dhcp() {
        let from = 1_773_014_400 * SEC + 9 * 60 * MIN;
        let tasks = plan(1, from, from + 2 * 60 * MIN);
        for (dev, d) in DEVICES.iter().enumerate() {
            if let Some(first) = tasks.iter().filter(|t| t.dev == dev).min_by_key(|t| t.t) {
                assert!(
                    matches!(first.what, What::Join | What::Renew),
                    "{}",
                    d.hostname
                );
            }
        }
    }
}
