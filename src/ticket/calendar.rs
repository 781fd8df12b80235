//! China's working-day calendar, for rectification deadlines.
//!
//! A day is a working day unless it is a weekend or a State Council public holiday; the make-up
//! working days (调休) that fall on weekends are working days. The yearly arrangement comes from
//! the maintained `holiday-cn` crate. Where that crate has no arrangement for a year that the
//! State Council has already published (its 2026 data is empty in the release we build on), a
//! bundled copy of the official notice fills in. For a year with neither (its notice comes out
//! in the November before), the statutory holidays themselves are days off ([`statutory_holidays`]),
//! and so are the substitute days the law gives for those on a weekend ([`substitute_days`]):
//! only the bridging days and weekend make-up days of that year's notice are unknown. Operators
//! add or correct single dates with `tickets.extra_holidays` / `tickets.extra_workdays`, which win
//! over all of these.
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

/// From this year the statutory holidays are those of 国务院令第798号 (in force 2025-01-01).
const STATUTORY_SINCE: i32 = 2025;

/// The statutory public holidays of `year` (全体公民放假的节日, 国务院令第798号): 元旦 1 January;
/// 春节 the lunar New Year's Eve and the first three days of the first lunar month; 清明节 the
/// day of the Qingming solar term; 劳动节 1 and 2 May; 端午节 the fifth day of the fifth lunar
/// month; 中秋节 the fifteenth of the eighth; 国庆节 1 to 3 October. Lunar dates outside the
/// lunisolar tables (1901–2100) are left out.
pub fn statutory_holidays(year: i32) -> Vec<NaiveDate> {
    use chinese_lunisolar_calendar::LunisolarDate;
    let ymd = |m, d| NaiveDate::from_ymd_opt(year, m, d);
    let mut days: Vec<NaiveDate> = [(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)].iter().filter_map(|&(m, d)| ymd(m, d)).collect();
    days.extend(qingming(year).and_then(|d| ymd(4, d)));
    let (Some(first), Some(last)) = (ymd(1, 1), ymd(12, 31)) else { return days };
    let mut d = first;
    while d <= last {
        if let Ok(l) = LunisolarDate::from_date(d) {
            let (month, day) = (l.to_lunar_month(), l.to_lunar_day().to_u8());
            let festival = !month.is_leap_month() && matches!((month.to_u8(), day), (1, 1..=3) | (5, 5) | (8, 15));
            if festival {
                days.push(d);
                if (month.to_u8(), day) == (1, 1) {
                    days.extend(d.pred_opt()); // New Year's Eve, the last day of the year before
                }
            }
        }
        d += Duration::days(1);
    }
    days.sort_unstable();
    days.dedup();
    days
}

/// The substitute days (补假) of `holidays`: 《全国年节及纪念日放假办法》第六条 gives a working day
/// off for each statutory holiday that falls on a Saturday or Sunday. Each is the first weekday
/// after its holiday that is neither a holiday nor already a substitute (so 2027's 春节 Saturday
/// and Sunday give the Tuesday and Wednesday after 初三 on the Monday).
pub fn substitute_days(holidays: &[NaiveDate]) -> Vec<NaiveDate> {
    let off: BTreeSet<NaiveDate> = holidays.iter().copied().collect();
    let mut subs = BTreeSet::new();
    for &h in off.iter().filter(|&&h| is_weekend(h)) {
        let mut d = h + Duration::days(1);
        while is_weekend(d) || off.contains(&d) || subs.contains(&d) {
            d += Duration::days(1);
        }
        subs.insert(d);
    }
    subs.into_iter().collect()
}

/// Saturday or Sunday.
fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The April day of the Qingming solar term in 2001–2099, by the usual 21st-century formula
/// (`[Y × 0.2422 + 4.81] − [Y / 4]`, Y the year's last two digits); `None` outside those years.
fn qingming(year: i32) -> Option<u32> {
    let y = year.checked_sub(2000).filter(|y| (1..=99).contains(y))?;
    Some((y as f64 * 0.2422 + 4.81).floor() as u32 - (y / 4) as u32)
}

/// Working days in China, with the operator's extra dates.
#[derive(Debug, Clone)]
pub struct Calendar {
    /// Dates that differ from the weekend rule or are named holidays: date → is a working day.
    special: HashMap<NaiveDate, bool>,
    /// Years with a published arrangement (from the crate or the supplement).
    covered: BTreeSet<i32>,
}

impl Calendar {
    /// The yearly data alone, built once (the lunar dates of a century of years are not free, and
    /// every sweep, report and API call builds a calendar).
    fn yearly() -> &'static Calendar {
        static YEARLY: std::sync::OnceLock<Calendar> = std::sync::OnceLock::new();
        YEARLY.get_or_init(|| {
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
            for year in STATUTORY_SINCE..=*YEARS.end() {
                if !covered.contains(&year) {
                    let statutory = statutory_holidays(year);
                    for d in substitute_days(&statutory).into_iter().chain(statutory) {
                        special.entry(d).or_insert(false);
                    }
                }
            }
            Calendar { special, covered }
        })
    }

    /// The calendar with `extra_holidays` and `extra_workdays` applied over the yearly data.
    pub fn new(extra_holidays: &[NaiveDate], extra_workdays: &[NaiveDate]) -> Calendar {
        let Calendar { mut special, covered } = Calendar::yearly().clone();
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
            None => !is_weekend(d),
        }
    }

    /// Whether the holiday arrangement of `year` is known. Outside it only weekends, the
    /// statutory holidays and their substitute days count as days off (that year's bridging days
    /// are unknown), so deadlines there may come too early; callers warn.
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

    fn is_new_years_eve(day: NaiveDate) -> bool {
        day.succ_opt().and_then(|n| chinese_lunisolar_calendar::LunisolarDate::from_date(n).ok()).is_some_and(|l| {
            !l.to_lunar_month().is_leap_month() && (l.to_lunar_month().to_u8(), l.to_lunar_day().to_u8()) == (1, 1)
        })
    }

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
    fn statutory_holidays_are_days_off_in_every_published_arrangement() {
        // The rule's dates (lunar festivals, the Qingming term) against each year's published
        // arrangement: holiday-cn's data and the bundled 2026 notice. 除夕 and 2 May are statutory
        // only from 2025 on, and 1 May and the first lunar days were always within the holiday.
        let cal = plain();
        for year in 2008..=2026 {
            assert!(cal.covers(year), "{year}");
            let rule = statutory_holidays(year);
            // Thirteen days; twelve when 中秋 falls on 1 October (2020).
            assert!((12..=13).contains(&rule.len()), "{year}: {rule:?}");
            for day in rule {
                let new_rule_only = (day.month(), day.day()) == (5, 2) || is_new_years_eve(day);
                if year < STATUTORY_SINCE && new_rule_only {
                    continue;
                }
                assert!(!cal.is_workday(day), "{day} is statutory but a working day in the {year} arrangement");
            }
        }
        // The day itself, where a holiday window would hide a day's error.
        for (year, qingming_day) in [(2019, 5), (2020, 4), (2021, 4), (2022, 5), (2023, 5), (2024, 4), (2025, 4), (2026, 5)] {
            assert_eq!(qingming(year), Some(qingming_day), "{year}");
        }
        for (year, festivals) in [
            (2024, ["2024-02-09", "2024-02-10", "2024-06-10", "2024-09-17"]),
            (2025, ["2025-01-28", "2025-01-29", "2025-05-31", "2025-10-06"]),
            (2026, ["2026-02-16", "2026-02-17", "2026-06-19", "2026-09-25"]),
        ] {
            let rule = statutory_holidays(year);
            for day in festivals {
                assert!(rule.contains(&d(day)), "{day} in {rule:?}");
            }
            assert!(!rule.contains(&(d(festivals[1]) - Duration::days(2))), "{year}: {rule:?}");
        }
        // Spring Festival 2027 is 6 February (New Year's Eve 5 February).
        let rule = statutory_holidays(2027);
        for day in ["2027-01-01", "2027-02-05", "2027-02-06", "2027-02-08", "2027-04-05", "2027-05-02", "2027-10-03"] {
            assert!(rule.contains(&d(day)), "{day} in {rule:?}");
        }
    }

    #[test]
    fn years_without_an_arrangement_skip_their_statutory_holidays() {
        let cal = plain();
        assert!(!cal.covers(2027));
        assert!(!cal.is_workday(d("2027-01-01")), "元旦, a Friday");
        // Thursday 2026-12-31 + 1 working day: not Friday 1 January, but Monday 4 January.
        assert_eq!(cal.add_working_days(d("2026-12-31"), 1), d("2027-01-04"));
        // The operator's dates still win.
        assert!(Calendar::new(&[], &[d("2027-01-01")]).is_workday(d("2027-01-01")));
    }

    #[test]
    fn a_statutory_holiday_on_a_weekend_gives_a_substitute_working_day_off() {
        // 《全国年节及纪念日放假办法》第六条: 全体公民放假的假日适逢星期六、星期日，应当在工作日补假.
        // Every published arrangement gives at least those days off (with the statutory days of
        // the rule then in force: before 2025 no 除夕 and only 1 May; 2014 on: 初一 to 初三).
        let cal = plain();
        for year in 2014..=2026 {
            let rule: Vec<NaiveDate> = statutory_holidays(year)
                .into_iter()
                .filter(|&day| year >= STATUTORY_SINCE || !((day.month(), day.day()) == (5, 2) || is_new_years_eve(day)))
                .collect();
            for day in substitute_days(&rule) {
                // The State Council places the substitutes; once (2015) it moved 中秋's (Sunday 27
                // September) into the National Day week rather than give Monday 28 September.
                if day == d("2015-09-28") {
                    assert!(cal.is_workday(day));
                    continue;
                }
                assert!(!cal.is_workday(day), "{day}: a substitute day, but a working day in the {year} arrangement");
            }
        }
        // 2027, not yet bundled: 春节 is 除夕 5 February (Friday) to 初三 8 February (Monday); the
        // Saturday and Sunday give 9 and 10 February. 劳动节 1–2 May is a weekend: 3 and 4 May.
        // 国庆 1–3 October (Friday to Sunday): 4 and 5 October.
        assert!(!cal.covers(2027));
        for day in ["2027-02-09", "2027-02-10", "2027-05-03", "2027-05-04", "2027-10-04", "2027-10-05"] {
            assert!(!cal.is_workday(d(day)), "{day}");
        }
        assert!(cal.is_workday(d("2027-02-11")) && cal.is_workday(d("2027-05-05")) && cal.is_workday(d("2027-10-06")));
        // Thursday 2027-02-04 + 2 working days: not 8 and 9 February but 11 and 12.
        assert_eq!(cal.add_working_days(d("2027-02-04"), 2), d("2027-02-12"));
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
