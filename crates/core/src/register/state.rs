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

fn value_of(reg: &Register, i: usize, j: &Json) -> Value {
    let f = &reg.fields[i];
    match (f.kind, j) {
        (Kind::Date, Json::String(s)) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map(Value::Date).unwrap_or(Value::Empty),
        (Kind::Choice | Kind::Multi, Json::Array(v)) => Value::Set(v.iter().filter_map(|o| o.as_str().and_then(|o| f.bit(o))).fold(0, |a, b| a | b)),
        (Kind::Yesno, Json::Bool(b)) => Value::Yes(*b),
        (_, Json::String(s)) => Value::Text(s.clone()),
        _ => Value::Empty,
    }
}

/// A card from its stored parts (the personal part only where it could be opened). The birth
/// date is the first day of the birth month: ages are counted at a month's end, where only the
/// month tells.
pub fn card(reg: &Register, clear: &str, personal: Option<&str>) -> Card {
    let mut values = vec![Value::Empty; reg.fields.len()];
    let mut birth = None;
    let mut male = None;
    for part in std::iter::once(clear).chain(personal) {
        let Ok(Json::Object(m)) = serde_json::from_str::<Json>(part) else { continue };
        for (k, j) in &m {
            match k.as_str() {
                BIRTH => {
                    birth = j.as_str().and_then(|s| NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").ok());
                }
                MALE => male = j.as_bool(),
                _ => {
                    if let Some(i) = reg.index(k) {
                        values[i] = value_of(reg, i, j);
                    }
                }
            }
        }
    }
    Card { row: 0, values, birth, male }
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
