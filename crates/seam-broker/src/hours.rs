//! Opening hours: whether a queue is staffed at an instant, and when it
//! opens next, from its weekly ranges in a time zone minus its holidays.

use std::collections::HashSet;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::config::OpeningHours;
use crate::error::ConfigError;

/// How far ahead the next opening is looked for (a year of holidays).
const LOOKAHEAD_DAYS: usize = 400;

/// A queue's opening hours, checked and ready to answer.
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    zone: TimeZone,
    /// Monday first: each day's ranges as minutes since midnight, `[start, end)`.
    week: [Vec<(u16, u16)>; 7],
    holidays: HashSet<Date>,
}

impl Schedule {
    /// Checks `hours` (of queue `queue`, for the error message).
    pub(crate) fn new(queue: &str, hours: &OpeningHours) -> Result<Schedule, ConfigError> {
        let bad = |why: String| ConfigError::Limit(format!("routing queue `{queue}` hours: {why}"));
        let zone = if hours.time_zone.is_empty() {
            TimeZone::UTC
        } else {
            TimeZone::get(&hours.time_zone)
                .map_err(|_| bad(format!("unknown time zone `{}`", hours.time_zone)))?
        };
        let days = [
            &hours.monday,
            &hours.tuesday,
            &hours.wednesday,
            &hours.thursday,
            &hours.friday,
            &hours.saturday,
            &hours.sunday,
        ];
        let mut week: [Vec<(u16, u16)>; 7] = Default::default();
        for (slot, ranges) in week.iter_mut().zip(days) {
            for range in ranges {
                slot.push(parse_range(range).ok_or_else(|| {
                    bad(format!(
                        "`{range}` is not a range like \"09:00-17:30\" (start before end)"
                    ))
                })?);
            }
            slot.sort_unstable();
        }
        let holidays = hours
            .holidays
            .iter()
            .map(|d| {
                d.parse::<Date>()
                    .map_err(|_| bad(format!("holiday `{d}` is not a date like \"2026-12-25\"")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Schedule {
            zone,
            week,
            holidays,
        })
    }

    /// Whether the queue is open at `now_ms` (Unix milliseconds).
    pub(crate) fn is_open(&self, now_ms: u64) -> bool {
        let Some((date, minute)) = self.local(now_ms) else {
            return false;
        };
        !self.holidays.contains(&date)
            && self
                .day(date.weekday())
                .iter()
                .any(|&(start, end)| start <= minute && minute < end)
    }

    /// When the queue next opens after `now_ms` (now, if it is open), Unix
    /// milliseconds; `None` if it never does within a year.
    pub(crate) fn next_opening(&self, now_ms: u64) -> Option<u64> {
        if self.is_open(now_ms) {
            return Some(now_ms);
        }
        let (mut date, minute) = self.local(now_ms)?;
        for offset in 0..LOOKAHEAD_DAYS {
            if !self.holidays.contains(&date) {
                let start = self
                    .day(date.weekday())
                    .iter()
                    .map(|&(start, _)| start)
                    .find(|&start| offset > 0 || start > minute);
                if let Some(start) = start {
                    let at = date
                        .at((start / 60) as i8, (start % 60) as i8, 0, 0)
                        .to_zoned_datetime(self.zone.clone())
                        .ok()?;
                    return u64::try_from(at.timestamp().as_millisecond()).ok();
                }
            }
            date = date.tomorrow().ok()?;
        }
        None
    }

    fn day(&self, weekday: Weekday) -> &[(u16, u16)] {
        &self.week[weekday.to_monday_zero_offset() as usize]
    }

    /// The local date and minute of the day at `now_ms`.
    fn local(&self, now_ms: u64) -> Option<(Date, u16)> {
        let instant = Timestamp::from_millisecond(i64::try_from(now_ms).ok()?).ok()?;
        let local = instant.to_zoned_datetime(self.zone.clone());
        let time = local.time();
        Some((local.date(), time.hour() as u16 * 60 + time.minute() as u16))
    }
}

/// `"HH:MM-HH:MM"` as minutes since midnight; `24:00` ends a day.
fn parse_range(range: &str) -> Option<(u16, u16)> {
    let (start, end) = range.trim().split_once('-')?;
    let (start, end) = (parse_clock(start)?, parse_clock(end)?);
    (start < end && start < 24 * 60).then_some((start, end))
}

fn parse_clock(clock: &str) -> Option<u16> {
    let (h, m) = clock.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn ms(text: &str) -> u64 {
        text.parse::<Timestamp>().unwrap().as_millisecond() as u64
    }

    fn paris() -> Schedule {
        let weekday = vec!["09:00-12:30".to_owned(), "13:30-17:00".to_owned()];
        Schedule::new(
            "billing",
            &OpeningHours {
                time_zone: "Europe/Paris".into(),
                monday: weekday.clone(),
                tuesday: weekday.clone(),
                wednesday: weekday.clone(),
                thursday: weekday.clone(),
                friday: weekday,
                saturday: vec!["10:00-24:00".into()],
                sunday: Vec::new(),
                holidays: vec!["2026-12-25".into()],
            },
        )
        .unwrap()
    }

    #[test]
    fn open_within_ranges_in_the_zones_local_time() {
        let s = paris();
        // Thursday 26 November 2026: Paris is UTC+1.
        assert!(!s.is_open(ms("2026-11-26T07:59:00Z")), "08:59 in Paris");
        assert!(s.is_open(ms("2026-11-26T08:00:00Z")), "09:00 in Paris");
        assert!(!s.is_open(ms("2026-11-26T11:45:00Z")), "lunch");
        assert!(s.is_open(ms("2026-11-26T15:59:00Z")));
        assert!(!s.is_open(ms("2026-11-26T16:00:00Z")), "17:00: closed");
        assert!(s.is_open(ms("2026-11-28T22:59:00Z")), "Saturday 23:59");
        assert!(!s.is_open(ms("2026-11-29T10:00:00Z")), "Sunday");
        // In summer Paris is UTC+2: 09:00 local is 07:00Z.
        assert!(s.is_open(ms("2026-07-02T07:00:00Z")));
        assert!(!s.is_open(ms("2026-12-25T10:00:00Z")), "a holiday");
    }

    #[test]
    fn the_next_opening_skips_closed_days_and_holidays() {
        let s = paris();
        let at = |t| s.next_opening(ms(t));
        assert_eq!(
            at("2026-11-26T09:00:00Z"),
            Some(ms("2026-11-26T09:00:00Z")),
            "open now"
        );
        assert_eq!(
            at("2026-11-26T11:45:00Z"),
            Some(ms("2026-11-26T12:30:00Z")),
            "after lunch"
        );
        assert_eq!(
            at("2026-11-26T17:00:00Z"),
            Some(ms("2026-11-27T08:00:00Z")),
            "tomorrow"
        );
        assert_eq!(
            at("2026-11-29T10:00:00Z"),
            Some(ms("2026-11-30T08:00:00Z")),
            "Sunday: Monday"
        );
        assert_eq!(
            at("2026-12-24T17:00:00Z"),
            Some(ms("2026-12-26T09:00:00Z")),
            "Christmas: Saturday 10:00"
        );
        let never = Schedule::new("x", &OpeningHours::default()).unwrap();
        assert_eq!(never.next_opening(ms("2026-11-26T09:00:00Z")), None);
    }

    #[test]
    fn bad_hours_are_refused_with_the_reason() {
        let refused =
            |hours: OpeningHours| Schedule::new("billing", &hours).unwrap_err().to_string();
        let zone = refused(OpeningHours {
            time_zone: "Europe/Pariss".into(),
            ..OpeningHours::default()
        });
        assert!(zone.contains("unknown time zone `Europe/Pariss`"), "{zone}");
        for range in [
            "9:00-17:00",
            "17:00-09:00",
            "09:00-25:00",
            "09:60-10:00",
            "nine to five",
        ] {
            let why = refused(OpeningHours {
                monday: vec![range.into()],
                ..OpeningHours::default()
            });
            assert!(why.contains(range), "{why}");
        }
        let holiday = refused(OpeningHours {
            holidays: vec!["25/12/2026".into()],
            ..OpeningHours::default()
        });
        assert!(holiday.contains("25/12/2026"), "{holiday}");
    }
}
