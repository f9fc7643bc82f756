//! Timestamps in JSON answers, written the way chrono writes them (RFC 3339, UTC, `Z`, as
//! many fraction digits as the value needs: none, 3, 6 or 9) without going through
//! `core::fmt`: chrono's formatter took a third of the list route's serialization, two
//! timestamps per task.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Serialize, Serializer};

fn put_digits(out: &mut [u8], mut value: u32) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// `#[serde(serialize_with = "crate::timefmt::serialize")]` for a `DateTime<Utc>`.
pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    let (year, nanos) = (t.year(), t.nanosecond());
    // Years chrono writes with a sign, and leap seconds (nanoseconds past 10⁹): chrono's way.
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return t.serialize(s);
    }
    let mut b = *b"0000-00-00T00:00:00.000000000Z";
    put_digits(&mut b[0..4], year as u32);
    put_digits(&mut b[5..7], t.month());
    put_digits(&mut b[8..10], t.day());
    put_digits(&mut b[11..13], t.hour());
    put_digits(&mut b[14..16], t.minute());
    put_digits(&mut b[17..19], t.second());
    let mut end = 19;
    if nanos != 0 {
        let (digits, value) = if nanos % 1_000_000 == 0 {
            (3, nanos / 1_000_000)
        } else if nanos % 1_000 == 0 {
            (6, nanos / 1_000)
        } else {
            (9, nanos)
        };
        put_digits(&mut b[20..20 + digits], value);
        end = 20 + digits;
    }
    b[end] = b'Z';
    // Only ASCII digits and separators were written.
    let text = std::str::from_utf8(&b[..=end]).map_err(serde::ser::Error::custom)?;
    s.serialize_str(text)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[derive(Serialize)]
    struct Ours(#[serde(serialize_with = "serialize")] DateTime<Utc>);

    fn same_as_chrono(t: DateTime<Utc>) {
        let ours = serde_json::to_string(&Ours(t)).expect("ours");
        let chrono = serde_json::to_string(&t).expect("chrono");
        assert_eq!(ours, chrono, "{t:?}");
    }

    #[test]
    fn writes_what_chrono_writes() {
        let base = Utc
            .with_ymd_and_hms(2026, 12, 1, 23, 27, 59)
            .single()
            .expect("a valid time");
        for nanos in [
            0,
            1,
            999,
            1_000,
            146_010_000,
            146_000_000,
            100_000_000,
            999_999_999,
        ] {
            same_as_chrono(base + chrono::Duration::nanoseconds(nanos));
        }
        // A spread of instants from year 0 to 9999, with PostgreSQL's microseconds and more.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let secs = (x >> 11) as i64 % 315_537_897_599 - 62_167_219_200;
            let nanos = match x % 4 {
                0 => 0,
                1 => (x >> 7) as u32 % 1_000 * 1_000_000,
                2 => (x >> 7) as u32 % 1_000_000 * 1_000,
                _ => (x >> 7) as u32 % 1_000_000_000,
            };
            same_as_chrono(DateTime::from_timestamp(secs, nanos).expect("in range"));
        }
        // Outside four-digit years chrono's own format is used.
        same_as_chrono(
            Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0)
                .single()
                .expect("a valid time"),
        );
        same_as_chrono(
            Utc.with_ymd_and_hms(-1, 1, 1, 0, 0, 0)
                .single()
                .expect("a valid time"),
        );
    }
}
