//! 公民身份号码 (GB 11643-1999): 6-digit region code, 8-digit birth date, 3-digit sequence (odd
//! for men), and a check character by ISO 7064 MOD 11-2.

use chrono::NaiveDate;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECKS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// What is wrong with a written number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdError {
    /// Not 17 digits and a digit or X.
    Shape,
    /// Digits 7–14 are no calendar day (or lie in the future, or before 1900).
    BirthDate,
    /// The check character is not the one the first 17 digits give.
    Check { want: char },
}

impl IdError {
    pub fn message(&self) -> String {
        match self {
            IdError::Shape => "身份证号码应为 18 位：17 位数字加 1 位数字或 X".into(),
            IdError::BirthDate => "身份证号码第 7–14 位不是有效的出生日期".into(),
            IdError::Check { want } => format!("身份证号码校验位不符（按前 17 位应为 {want}）"),
        }
    }
}

/// A valid number, read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdInfo {
    pub birth: NaiveDate,
    pub male: bool,
}

/// The check character for the first 17 digits.
pub fn check_char(first17: &[u8]) -> char {
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    CHECKS[(sum % 11) as usize]
}

/// The number as written, cleaned: spaces gone, full-width digits and a lower-case x mended, and
/// an apostrophe Excel users type to keep it as text removed.
pub fn clean(text: &str) -> String {
    text.chars()
        .map(crate::text::halfwidth)
        .filter(|c| !c.is_whitespace() && *c != '\'')
        .map(|c| if c == 'x' { 'X' } else { c })
        .collect()
}

/// Checks a cleaned number; `today` bounds the birth date.
pub fn check(id: &str, today: NaiveDate) -> Result<IdInfo, IdError> {
    let b = id.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
        return Err(IdError::Shape);
    }
    let num = |r: std::ops::Range<usize>| id[r].parse::<u32>().unwrap_or(0);
    let birth = NaiveDate::from_ymd_opt(num(6..10) as i32, num(10..12), num(12..14))
        .filter(|d| *d <= today && *d >= NaiveDate::from_ymd_opt(1900, 1, 1).expect("a day"))
        .ok_or(IdError::BirthDate)?;
    let want = check_char(&b[..17]);
    if char::from(b[17]) != want {
        return Err(IdError::Check { want });
    }
    Ok(IdInfo {
        birth,
        male: num(16..17) % 2 == 1,
    })
}

/// Shown masked: the region code and the last four characters (`371302********123X`).
pub fn mask(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() < 10 {
        return "*".repeat(chars.len());
    }
    let keep_end = chars.len() - 4;
    chars.iter().enumerate().map(|(i, c)| if i < 6 || i >= keep_end { *c } else { '*' }).collect()
}

/// A phone number shown masked: the first three and the last four digits (`138****5678`).
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let keep_end = chars.len() - 4;
    chars.iter().enumerate().map(|(i, c)| if i < 3 || i >= keep_end { *c } else { '*' }).collect()
}

/// Completed years of age on `day`.
pub fn age_on(birth: NaiveDate, day: NaiveDate) -> i32 {
    use chrono::Datelike;
    let mut age = day.year() - birth.year();
    if (day.month(), day.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

/// A number with a valid check character from its first 17 digits: for synthetic persons.
pub fn complete(first17: &str) -> String {
    format!("{first17}{}", check_char(first17.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()
    }

    #[test]
    fn the_standard_s_example_and_its_mistakes() {
        // The example number of GB 11643-1999's annex.
        let ok = check("11010519491231002X", today()).unwrap();
        assert_eq!(ok.birth, NaiveDate::from_ymd_opt(1949, 12, 31).unwrap());
        assert!(!ok.male);
        assert_eq!(check("110105194912310021", today()), Err(IdError::Check { want: 'X' }));
        assert_eq!(check("110105194913310021", today()), Err(IdError::BirthDate));
        assert_eq!(check("11010519491231002", today()), Err(IdError::Shape));
        assert_eq!(check(&clean(" １１0105194912310０2x"), today()).map(|i| i.male), Ok(false));
        let born = complete("37130220300101001");
        assert_eq!(check(&born, today()), Err(IdError::BirthDate), "born in the future");
    }

    #[test]
    fn every_check_character_round_trips() {
        for seq in 0..200 {
            let id = complete(&format!("37130219800101{seq:03}"));
            assert!(check(&id, today()).is_ok(), "{id}");
            assert_eq!(check(&id, today()).unwrap().male, seq % 2 == 1);
        }
    }

    #[test]
    fn masks_and_ages() {
        assert_eq!(mask("37130219800101123X"), "371302********123X");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        let b = NaiveDate::from_ymd_opt(2000, 2, 29).unwrap();
        assert_eq!(age_on(b, NaiveDate::from_ymd_opt(2016, 2, 28).unwrap()), 15);
        assert_eq!(age_on(b, NaiveDate::from_ymd_opt(2016, 2, 29).unwrap()), 16);
        assert_eq!(age_on(b, NaiveDate::from_ymd_opt(2017, 2, 28).unwrap()), 16);
    }
}
