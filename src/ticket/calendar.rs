//! China's working-day calendar, for rectification deadlines.
//!
//! A day is a working day unless it is a weekend or a State Council public holiday; the make-up
//! working days (调休) that fall on weekends are working days. The yearly arrangement comes from
//! the maintained `holiday-cn` crate. Where that crate has no arrangement for a year that the
//! State Council has already published (its 2026 data is empty in the release we build on), a
//! bundled copy of the official notice fills in; operators add or correct single dates with
//! `tickets.extra_holidays` / `tickets.extra_workdays`, which win over both.
//!
//! Deadline convention: the notice date itself does not count. A deadline of *n* working days
//! is the *n*-th working day after the notice date, and the customer has the whole of that day
//! (Asia/Shanghai); the ticket is overdue from the next day on.

use crate::config;
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use std::collections::{BTreeSet, HashMap};

/// The State Council's arrangement for years the `holiday-cn` release lacks: (date, is_off_day).
/// 2026: 国务院办公厅关于2026年部分节假日安排的通知 (国办发明电〔2025〕7号, 2025-11-04).
const SUPPLEMENT: &[(i32, &[(&str, bool)])] = &[(
    2026,
    &[
        // 元旦: 1月1日至3日放假调休; 1月4日（周日）上班
        ("2026-01-01", true),
        ("2026-01-02", true),
        ("2026-01-03", true),
        ("2026-01-04", false),
        // 春节: 2月15日至23日放假调休; 2月14日（周六）、2月28日（周六）上班
        ("2026-02-14", false),
        ("2026-02-15", true),
        ("2026-02-16", true),
        ("2026-02-17", true),
        ("2026-02-18", true),
        ("2026-02-19", true),
        ("2026-02-20", true),
        ("2026-02-21", true),
        ("2026-02-22", true),
        ("2026-02-23", true),
        ("2026-02-28", false),
        // 清明节: 4月4日至6日
        ("2026-04-04", true),
        ("2026-04-05", true),
        ("2026-04-06", true),
        // 劳动节: 5月1日至5日放假调休; 5月9日（周六）上班
        ("2026-05-01", true),
        ("2026-05-02", true),
        ("2026-05-03", true),
        ("2026-05-04", true),
        ("2026-05-05", true),
        ("2026-05-09", false),
        // 端午节: 6月19日至21日
        ("2026-06-19", true),
        ("2026-06-20", true),
        ("2026-06-21", true),
        // 中秋节: 9月25日至27日
        ("2026-09-25", true),
        ("2026-09-26", true),
        ("2026-09-27", true),
        // 国庆节: 10月1日至7日放假调休; 9月20日（周日）、10月10日（周六）上班
        ("2026-09-20", false),
        ("2026-10-01", true),
        ("2026-10-02", true),
        ("2026-10-03", true),
        ("2026-10-04", true),
        ("2026-10-05", true),
        ("2026-10-06", true),
        ("2026-10-07", true),
        ("2026-10-10", false),
    ],
)];

/// Years the calendar looks up in `holiday-cn` (the crate answers `None` outside its data).
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Working days in China, with the operator's extra dates.
#[derive(Debug, Clone)]
pub struct Calendar {
    /// Dates that differ from the weekend rule or are named holidays: date → is a working day.
    special: HashMap<NaiveDate, bool>,
    /// Years with a published arrangement (from the crate or the supplement).
    covered: BTreeSet<i32>,
}

impl Calendar {
    /// The calendar with `extra_holidays` and `extra_workdays` applied over the yearly data.
    pub fn new(extra_holidays: &[NaiveDate], extra_workdays: &[NaiveDate]) -> Calendar {
        let mut special = HashMap::new();
        let mut covered = BTreeSet::new();
        for year in YEARS {
            let Some(data) = holiday_cn::get_year_data(year) else { continue };
            // A year's file may also carry the next year's early dates; count a year as covered
            // only when it has arrangements of its own.
            let prefix = format!("{year:04}-");
            if data.keys().any(|d| d.starts_with(&prefix)) {
                covered.insert(year);
            }
            for (date, (_, off)) in data {
                if let Ok(d) = NaiveDate::parse_from_str(&date, "%Y-%m-%d") {
                    special.insert(d, !off);
                }
            }
        }
        for (year, days) in SUPPLEMENT {
            if covered.contains(year) {
                continue; // the maintained data wins once it has the year
            }
            covered.insert(*year);
            for (date, off) in *days {
                let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").expect("bundled date");
                special.insert(d, !off);
            }
        }
        for d in extra_holidays {
            special.insert(*d, false);
        }
        for d in extra_workdays {
            special.insert(*d, true);
        }
        Calendar { special, covered }
    }

    pub fn from_config(t: &config::Tickets) -> Calendar {
        Calendar::new(&t.extra_holidays, &t.extra_workdays)
    }

    /// Whether `d` is a working day.
    pub fn is_workday(&self, d: NaiveDate) -> bool {
        match self.special.get(&d) {
            Some(work) => *work,
            None => !matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// Whether the holiday arrangement of `year` is known. Outside it only weekends count as days
    /// off, so deadlines there may come too early; callers warn.
    pub fn covers(&self, year: i32) -> bool {
        self.covered.contains(&year)
    }

    /// The `n`-th working day after `start` (`start` itself does not count); `start` when `n` is 0.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d += Duration::days(1);
            if self.is_workday(d) {
                left -= 1;
            }
        }
        d
    }

    /// Working days after `from` up to and including `to` (0 when `to <= from`).
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut n = 0;
        let mut d = from;
        while d < to {
            d += Duration::days(1);
            if self.is_workday(d) {
                n += 1;
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn plain() -> Calendar {
        Calendar::new(&[], &[])
    }

    #[test]
    fn national_day_2026_and_mid_autumn_are_skipped_and_make_up_days_count() {
        let cal = plain();
        assert!(cal.covers(2026));
        // 9月20日（周日）and 10月10日（周六）are make-up working days.
        assert!(cal.is_workday(d("2026-09-20")));
        assert!(cal.is_workday(d("2026-10-10")));
        for day in ["2026-09-25", "2026-09-26", "2026-09-27", "2026-10-01", "2026-10-05", "2026-10-07"] {
            assert!(!cal.is_workday(d(day)), "{day}");
        }
        assert!(cal.is_workday(d("2026-10-08")));
        assert!(!cal.is_workday(d("2026-10-11")), "an ordinary Sunday");
        // Notice on Friday 2026-09-18, 10 working days: 9/20 (make-up), 21, 22, 23, 24, 28, 29, 30,
        // 10/8, 10/9. Counting weekdays only would give 2026-10-02, inside the holiday.
        assert_eq!(cal.add_working_days(d("2026-09-18"), 10), d("2026-10-09"));
        // One more working day lands on the Saturday make-up day.
        assert_eq!(cal.add_working_days(d("2026-09-18"), 11), d("2026-10-10"));
        // From the last day before the holiday, the next working day is after it.
        assert_eq!(cal.add_working_days(d("2026-09-30"), 1), d("2026-10-08"));
    }

    #[test]
    fn spring_festival_2026() {
        let cal = plain();
        assert!(cal.is_workday(d("2026-02-14")), "Saturday make-up day");
        assert!(cal.is_workday(d("2026-02-28")), "Saturday make-up day");
        assert!(!cal.is_workday(d("2026-02-23")), "a Monday inside the holiday");
        // Thursday 2026-02-12 + 5: 2/13, 2/14 (make-up), then 2/24, 2/25, 2/26.
        assert_eq!(cal.add_working_days(d("2026-02-12"), 5), d("2026-02-26"));
        assert_eq!(cal.working_days_between(d("2026-02-12"), d("2026-02-26")), 5);
    }

    #[test]
    fn years_from_holiday_cn_are_used() {
        let cal = plain();
        assert!(cal.covers(2025));
        // 2025: 9月28日（周日）上班, 10月1日至8日放假, 10月11日（周六）上班.
        assert!(cal.is_workday(d("2025-09-28")));
        assert!(!cal.is_workday(d("2025-10-08")));
        assert!(cal.is_workday(d("2025-10-11")));
        assert_eq!(cal.add_working_days(d("2025-09-30"), 1), d("2025-10-09"));
    }

    #[test]
    fn extra_dates_from_config_win() {
        let cal = Calendar::new(&[d("2026-09-21")], &[d("2026-10-11")]);
        assert!(!cal.is_workday(d("2026-09-21")));
        assert!(cal.is_workday(d("2026-10-11")));
        // 9/20, 22, 23, 24, 28, 29, 30, 10/8, 10/9, 10/10 — the extra holiday pushes the day on,
        // the extra working day does not matter here.
        assert_eq!(cal.add_working_days(d("2026-09-18"), 10), d("2026-10-10"));
    }

    #[test]
    fn zero_days_is_the_notice_date_and_weekend_rule_applies_outside_data() {
        let cal = plain();
        assert_eq!(cal.add_working_days(d("2026-09-18"), 0), d("2026-09-18"));
        assert!(!cal.covers(2099));
        assert!(!cal.is_workday(d("2099-01-03")), "a Saturday");
        assert_eq!(cal.add_working_days(d("2099-01-02"), 1), d("2099-01-05"));
        assert_eq!(cal.working_days_between(d("2026-10-09"), d("2026-10-09")), 0);
    }
}
