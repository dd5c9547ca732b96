//! A card as stored: what the rules count, in the clear (the birth month and sex from the
//! 身份证号, the township, the dates, the options), and the personal fields apart, to be sealed.
//! Both as JSON objects keyed by the schema's field names, options by their texts, so that a
//! schema that adds a field or an option still reads what was stored before it.

use super::read::{Card, Value};
use super::{Kind, Register};
use chrono::{Datelike, NaiveDate};
use serde_json::{Map, Value as Json};

/// The key of the birth month in the clear state.
const BIRTH: &str = "出生年月";
/// The key of the sex from the 身份证号.
const MALE: &str = "男性";

fn json_of(reg: &Register, i: usize, v: &Value) -> Option<Json> {
    Some(match v {
        Value::Empty => return None,
        Value::Text(t) => Json::from(t.as_str()),
        Value::Date(d) => Json::from(d.format("%Y-%m-%d").to_string()),
        Value::Set(bits) => Json::from(
            reg.fields[i]
                .options
                .iter()
                .enumerate()
                .filter(|(k, _)| bits & (1 << k) != 0)
                .map(|(_, o)| Json::from(o.as_str()))
                .collect::<Vec<_>>(),
        ),
        Value::Yes(b) => Json::from(*b),
    })
}

fn object(reg: &Register, card: &Card, personal: bool) -> Map<String, Json> {
    let mut m = Map::new();
    for (i, f) in reg.fields.iter().enumerate() {
        if f.personal == personal
            && let Some(j) = json_of(reg, i, &card.values[i])
        {
            m.insert(f.key.clone(), j);
        }
    }
    m
}

/// The clear part: every field that is not personal, and the birth month and sex.
pub fn clear(reg: &Register, card: &Card) -> String {
    let mut m = object(reg, card, false);
    if let Some(b) = card.birth {
        m.insert(BIRTH.into(), Json::from(format!("{:04}-{:02}", b.year(), b.month())));
    }
    if let Some(male) = card.male {
        m.insert(MALE.into(), Json::from(male));
    }
    Json::Object(m).to_string()
}

/// The personal part, to be sealed.
pub fn personal(reg: &Register, card: &Card) -> String {
    Json::Object(object(reg, card, true)).to_string()
}

/// "2015-10-08" (or "1980-01" with `day` 1) without a format parser: stored dates are ours.
fn ymd(s: &str, day: Option<u32>) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> { s.get(r)?.parse().ok() };
    match (b.len(), day) {
        (10, None) => NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?),
        (7, Some(d)) => NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, d),
        _ => None,
    }
}

/// Reads one stored part straight into a card's values: no JSON tree in between (a province's
/// register is millions of these).
struct Into<'a> {
    reg: &'a Register,
    card: &'a mut Card,
}

struct Field<'a> {
    reg: &'a Register,
    i: usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for Into<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Into<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a stored card")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                BIRTH => {
                    let s: std::borrow::Cow<'de, str> = map.next_value()?;
                    self.card.birth = ymd(&s, Some(1));
                }
                MALE => self.card.male = Some(map.next_value()?),
                k => match self.reg.index(k) {
                    Some(i) => self.card.values[i] = map.next_value_seed(Field { reg: self.reg, i })?,
                    None => {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                },
            }
        }
        Ok(())
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Field<'_> {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Field<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a stored field")
    }
    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Value, E> {
        Ok(match self.reg.fields[self.i].kind {
            Kind::Date => ymd(s, None).map(Value::Date).unwrap_or(Value::Empty),
            _ => Value::Text(s.to_string()),
        })
    }
    fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Value, E> {
        Ok(match self.reg.fields[self.i].kind {
            Kind::Yesno => Value::Yes(b),
            _ => Value::Empty,
        })
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let f = &self.reg.fields[self.i];
        let mut bits = 0;
        while let Some(o) = seq.next_element::<std::borrow::Cow<'de, str>>()? {
            bits |= f.bit(&o).unwrap_or(0);
        }
        Ok(match f.kind {
            Kind::Choice | Kind::Multi => Value::Set(bits),
            _ => Value::Empty,
        })
    }
}

/// A card from its stored parts (the personal part only where it could be opened). The birth
/// date is the first day of the birth month: ages are counted at a month's end, where only the
/// month tells.
pub fn card(reg: &Register, clear: &str, personal: Option<&str>) -> Card {
    use serde::de::DeserializeSeed;
    let mut card = Card {
        row: 0,
        values: vec![Value::Empty; reg.fields.len()],
        birth: None,
        male: None,
    };
    for part in std::iter::once(clear).chain(personal) {
        let mut de = serde_json::Deserializer::from_str(part);
        // A part that cannot be read leaves what it held empty (as a lost key does).
        let _ = Into { reg, card: &mut card }.deserialize(&mut de);
    }
    card
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_survives_being_stored_and_the_clear_part_holds_nothing_personal() {
        let s = crate::schema::Schemas::embedded().unwrap();
        let reg = s.register().unwrap();
        let county = s.regions.get("371302").unwrap();
        let p = crate::period::Period::new(2026, 10).unwrap();
        let rows = vec![("岸堤镇".to_string(), crate::sample::township(s.form(), 1, 1, p))];
        let cards = super::super::sample::register_for(reg, 1, county, "临沂市", p, &rows).unwrap();
        for c in cards.iter().take(50) {
            let (cl, pe) = (clear(reg, c), personal(reg, c));
            let id = c.text(reg.index(super::super::keys::ID).unwrap());
            assert!(!cl.contains(id) && pe.contains(id));
            assert!(!cl.contains(c.text(reg.index(super::super::keys::PHONE).unwrap())));
            let back = card(reg, &cl, Some(&pe));
            assert_eq!(back.values, c.values);
            assert_eq!(back.male, c.male);
            assert_eq!(back.birth.map(|b| (b.year(), b.month())), c.birth.map(|b| (b.year(), b.month())));
            let counted = card(reg, &cl, None);
            assert_eq!(counted.text(reg.index(super::super::keys::ID).unwrap()), "", "no key, no number");
        }
    }
}
