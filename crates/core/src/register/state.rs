//! A card as stored: what the rules count, in the clear (the birth month and sex from the
//! 身份证号, the township, the dates, the options), and the personal fields apart, to be sealed.
//! The clear part is a compact record read by the layout (the fields' keys and options) its
//! import recorded; the first imports stored it as JSON, which is still read. The personal part
//! is a JSON object keyed by the fields' names. Either way a schema that adds, moves or drops a
//! field or an option still reads what was stored before it.

use super::read::{Card, Value};
use super::{Kind, Register};
use chrono::{Datelike, NaiveDate};
use serde_json::{Map, Value as Json};

/// The key of the birth month in the clear state.
const BIRTH: &str = "出生年月";
/// The key of the sex from the 身份证号.
const MALE: &str = "男性";

#[cfg(test)]
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

#[cfg(test)]
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

/// The clear part as the first imports stored it (JSON: every field that is not personal, and
/// the birth month and sex), which [`card`] still reads; the tests write it to prove that.
#[cfg(test)]
fn clear(reg: &Register, card: &Card) -> String {
    let mut m = object(reg, card, false);
    if let Some(b) = card.birth {
        m.insert(BIRTH.into(), Json::from(format!("{:04}-{:02}", b.year(), b.month())));
    }
    if let Some(male) = card.male {
        m.insert(MALE.into(), Json::from(male));
    }
    Json::Object(m).to_string()
}

/// The personal part, to be sealed: a JSON object of the personal fields that hold something,
/// keys in byte order (as a serde_json map writes them), options as arrays of their texts, dates
/// as 2015-10-08. Written straight from the card: an import seals millions.
pub fn personal(reg: &Register, card: &Card) -> String {
    serde_json::to_string(&Personal { reg, card }).unwrap_or_else(|_| "{}".into())
}

struct Personal<'a> {
    reg: &'a Register,
    card: &'a Card,
}

struct Stored<'a> {
    reg: &'a Register,
    i: usize,
    value: &'a Value,
}

impl serde::Serialize for Personal<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut fields: Vec<(&str, usize)> = self
            .reg
            .fields
            .iter()
            .enumerate()
            .filter(|(i, f)| f.personal && !matches!(self.card.values[*i], Value::Empty))
            .map(|(i, f)| (f.key.as_str(), i))
            .collect();
        fields.sort_unstable();
        let mut m = s.serialize_map(Some(fields.len()))?;
        for (key, i) in fields {
            m.serialize_entry(
                key,
                &Stored {
                    reg: self.reg,
                    i,
                    value: &self.card.values[i],
                },
            )?;
        }
        m.end()
    }
}

impl serde::Serialize for Stored<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Value::Empty => s.serialize_unit(),
            Value::Text(t) => s.serialize_str(t),
            Value::Date(d) => s.collect_str(&d.format("%Y-%m-%d")),
            Value::Set(bits) => s.collect_seq(
                self.reg.fields[self.i]
                    .options
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| bits & (1 << k) != 0)
                    .map(|(_, o)| o),
            ),
            Value::Yes(b) => s.serialize_bool(*b),
        }
    }
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

/// The clear part's layout: each clear field's key and options, in the schema's order. A compact
/// record is read against the layout it was written with (kept with its import), so that a
/// schema that adds, moves or drops a field or an option still reads what was stored before it.
pub fn layout(reg: &Register) -> String {
    let fields: Vec<Json> = reg
        .fields
        .iter()
        .filter(|f| !f.personal)
        .map(|f| {
            let mut m = Map::new();
            m.insert("key".into(), Json::from(f.key.as_str()));
            if !f.options.is_empty() {
                m.insert("options".into(), Json::from(f.options.clone()));
            }
            Json::Object(m)
        })
        .collect();
    Json::Array(fields).to_string()
}

/// How the values of compact records written with one layout map onto this schema: for each
/// field of the layout, this schema's index of it (None: no longer a field) and each option's
/// bit here.
#[derive(Debug, Clone)]
pub struct Decoder {
    fields: Vec<Option<(usize, Vec<u32>)>>,
}

impl Decoder {
    /// The decoder of records written with `layout` (as [`layout`] makes it); None when the
    /// text is not a layout.
    pub fn new(reg: &Register, layout: &str) -> Option<Decoder> {
        #[derive(serde::Deserialize)]
        struct Written {
            key: String,
            #[serde(default)]
            options: Vec<String>,
        }
        let written: Vec<Written> = serde_json::from_str(layout).ok()?;
        let fields = written
            .into_iter()
            .map(|w| {
                let i = reg.index(&w.key)?;
                let bits = w.options.iter().map(|o| reg.fields[i].bit(o).unwrap_or(0)).collect();
                Some((i, bits))
            })
            .collect();
        Some(Decoder { fields })
    }

    /// The same decoder reading only the fields `wanted` (by this schema's index), the others
    /// left empty: counting needs a few of a card's fields, and millions of cards.
    pub fn only(mut self, wanted: &[bool]) -> Decoder {
        for f in &mut self.fields {
            if f.as_ref().is_some_and(|(i, _)| !wanted.get(*i).copied().unwrap_or(false)) {
                *f = None;
            }
        }
        self
    }
}

/// A stored day (2015-10-08), as this program writes them.
pub fn day(s: &str) -> Option<NaiveDate> {
    ymd(s, None)
}

/// Tags of a compact record's values.
mod tag {
    pub const EMPTY: u8 = 0;
    pub const TEXT: u8 = 1;
    pub const DATE: u8 = 2;
    pub const SET: u8 = 3;
    pub const NO: u8 = 4;
    pub const YES: u8 = 5;
}

fn varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// The clear part as a compact record in this schema's [`layout`]: the birth month (12 × the
/// year plus the month, 0 unknown), the sex (0 unknown, 1 female, 2 male), then each clear
/// field as a tag and its value (texts as length and UTF-8, dates as days from the common era,
/// options as the bits of the layout's options). About a tenth of the JSON, and read without
/// parsing.
pub fn compact(reg: &Register, card: &Card) -> Vec<u8> {
    let mut out = Vec::with_capacity(96);
    varint(&mut out, card.birth.map_or(0, |b| (b.year().max(0) as u64) * 12 + u64::from(b.month0()) + 1));
    out.push(match card.male {
        None => 0,
        Some(false) => 1,
        Some(true) => 2,
    });
    for (i, f) in reg.fields.iter().enumerate() {
        if f.personal {
            continue;
        }
        match &card.values[i] {
            Value::Empty => out.push(tag::EMPTY),
            Value::Text(t) => {
                out.push(tag::TEXT);
                varint(&mut out, t.len() as u64);
                out.extend_from_slice(t.as_bytes());
            }
            Value::Date(d) => {
                out.push(tag::DATE);
                varint(&mut out, d.num_days_from_ce().max(0) as u64);
            }
            Value::Set(s) => {
                out.push(tag::SET);
                varint(&mut out, u64::from(*s));
            }
            Value::Yes(b) => out.push(if *b { tag::YES } else { tag::NO }),
        }
    }
    out
}

/// A cursor over a compact record.
struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*b)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }

    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let (head, rest) = (self.0.get(..len)?, self.0.get(len..)?);
        self.0 = rest;
        Some(head)
    }
}

/// Reads a compact record into `card`; a damaged record stops where it went wrong, what
/// follows left empty (as a lost key leaves the personal part).
fn read_compact(dec: &Decoder, bytes: &[u8], card: &mut Card) -> Option<()> {
    let mut b = Bytes(bytes);
    let birth = b.varint()?;
    if birth > 0 {
        let m = birth - 1;
        card.birth = NaiveDate::from_ymd_opt(i32::try_from(m / 12).ok()?, (m % 12) as u32 + 1, 1);
    }
    card.male = match b.byte()? {
        1 => Some(false),
        2 => Some(true),
        _ => None,
    };
    for field in &dec.fields {
        let v = match b.byte()? {
            tag::TEXT => {
                let len = usize::try_from(b.varint()?).ok()?;
                let text = std::str::from_utf8(b.take(len)?).ok()?;
                match field {
                    Some(_) => Value::Text(text.to_string()),
                    None => continue,
                }
            }
            tag::DATE => Value::Date(NaiveDate::from_num_days_from_ce_opt(i32::try_from(b.varint()?).ok()?)?),
            tag::SET => {
                let set = b.varint()?;
                let bits = field.as_ref().map_or(0, |(_, bits)| {
                    bits.iter().enumerate().filter(|(k, _)| set & (1 << k) != 0).fold(0, |acc, (_, bit)| acc | bit)
                });
                Value::Set(bits)
            }
            tag::NO => Value::Yes(false),
            tag::YES => Value::Yes(true),
            _ => Value::Empty,
        };
        if let Some((i, _)) = field {
            card.values[*i] = v;
        }
    }
    Some(())
}

/// The clear part as stored: a compact record with the decoder of its layout, or the JSON
/// object of the first imports.
#[derive(Clone, Copy)]
pub enum Clear<'a> {
    Compact(&'a Decoder, &'a [u8]),
    Json(&'a str),
}

/// A card from its stored parts (the personal part only where it could be opened). The birth
/// date is the first day of the birth month: ages are counted at a month's end, where only the
/// month tells.
pub fn card(reg: &Register, clear: Clear<'_>, personal: Option<&str>) -> Card {
    let mut card = Card::default();
    card_into(reg, clear, personal, &mut card);
    card
}

/// [`card`] into a card already there (counting reads millions into one): what it held is
/// replaced, its storage kept.
pub fn card_into(reg: &Register, clear: Clear<'_>, personal: Option<&str>, card: &mut Card) {
    use serde::de::DeserializeSeed;
    card.row = 0;
    card.values.clear();
    card.values.resize(reg.fields.len(), Value::Empty);
    card.birth = None;
    card.male = None;
    let json = match clear {
        Clear::Compact(dec, bytes) => {
            // A record that cannot be read keeps what it gave before the damage.
            let _ = read_compact(dec, bytes, card);
            None
        }
        Clear::Json(text) => Some(text),
    };
    for part in json.into_iter().chain(personal) {
        let mut de = serde_json::Deserializer::from_str(part);
        // A part that cannot be read leaves what it held empty (as a lost key does).
        let _ = Into { reg, card: &mut *card }.deserialize(&mut de);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_cards() -> (crate::schema::Schemas, Vec<Card>) {
        let s = crate::schema::Schemas::embedded().unwrap();
        let county = s.regions.get("371302").unwrap().clone();
        let p = crate::period::Period::new(2026, 10).unwrap();
        let rows = vec![("岸堤镇".to_string(), crate::sample::township(s.form(), 1, 1, p))];
        let cards = super::super::sample::register_for(s.register().unwrap(), 1, &county, "临沂市", p, &rows).unwrap();
        (s, cards)
    }

    fn same(a: &Card, b: &Card) {
        assert_eq!(a.values, b.values);
        assert_eq!(a.male, b.male);
        assert_eq!(a.birth.map(|b| (b.year(), b.month())), b.birth.map(|b| (b.year(), b.month())));
    }

    #[test]
    fn a_card_survives_being_stored_and_the_clear_part_holds_nothing_personal() {
        let (s, cards) = sample_cards();
        let reg = s.register().unwrap();
        let dec = Decoder::new(reg, &layout(reg)).unwrap();
        for c in cards.iter().take(50) {
            let (cl, pe) = (compact(reg, c), personal(reg, c));
            let id = c.text(reg.index(super::super::keys::ID).unwrap());
            let phone = c.text(reg.index(super::super::keys::PHONE).unwrap());
            let holds = |hay: &[u8], needle: &str| hay.windows(needle.len()).any(|w| w == needle.as_bytes());
            assert!(!holds(&cl, id) && !holds(&cl, phone) && pe.contains(id));
            assert!(cl.len() * 3 < clear(reg, c).len(), "{} bytes against {} of JSON", cl.len(), clear(reg, c).len());
            same(&card(reg, Clear::Compact(&dec, &cl), Some(&pe)), c);
            let counted = card(reg, Clear::Compact(&dec, &cl), None);
            assert_eq!(counted.text(reg.index(super::super::keys::ID).unwrap()), "", "no key, no number");
            // What the first imports stored (JSON) reads the same.
            same(&card(reg, Clear::Json(&clear(reg, c)), Some(&pe)), c);
        }
    }

    /// The personal part written straight from the card is what a serde_json map of the same
    /// fields writes, byte for byte (the first imports sealed that).
    #[test]
    fn the_personal_part_is_written_as_a_json_map_writes_it() {
        let (s, mut cards) = sample_cards();
        let reg = s.register().unwrap();
        // Every kind of value in a personal field, and text that JSON escapes.
        let name = reg.index(super::super::keys::NAME).unwrap();
        cards[0].values[name] = Value::Text("张\"三\\\n".into());
        for c in cards.iter().take(50) {
            assert_eq!(personal(reg, c), Json::Object(object(reg, c, true)).to_string());
        }
        let mut all = reg.clone();
        for f in &mut all.fields {
            f.personal = true;
        }
        for c in cards.iter().take(50) {
            assert_eq!(personal(&all, c), Json::Object(object(&all, c, true)).to_string());
        }
    }

    #[test]
    fn a_compact_record_is_read_by_its_own_layout_when_the_schema_has_changed() {
        let (s, cards) = sample_cards();
        let reg = s.register().unwrap();
        let written = layout(reg);
        // The schema changes: the employment field's options are listed in another order, and
        // the education field is gone.
        let mut changed = reg.clone();
        let work = changed.index(super::super::keys::WORK).unwrap();
        changed.fields[work].options.reverse();
        let edu = changed.fields.iter().position(|f| f.key == "文化程度").unwrap();
        changed.fields.remove(edu);
        changed.reindex();
        let dec = Decoder::new(&changed, &written).unwrap();
        let work_now = changed.index(super::super::keys::WORK).unwrap();
        for c in cards.iter().take(50) {
            let back = card(&changed, Clear::Compact(&dec, &compact(reg, c)), None);
            let was = &reg.fields[work];
            let names = |f: &super::super::Field, set: u32| -> Vec<String> {
                let mut v: Vec<String> = f.options.iter().filter(|o| set & f.bit(o).unwrap() != 0).cloned().collect();
                v.sort();
                v
            };
            assert_eq!(names(&changed.fields[work_now], back.set(work_now)), names(was, c.set(work)));
            let town = |r: &Register| r.index(super::super::keys::TOWNSHIP).unwrap();
            assert_eq!(back.text(town(&changed)), c.text(town(reg)));
        }
        // A damaged record is read up to the damage, never past it.
        let cut = compact(reg, &cards[0]);
        let dec = Decoder::new(reg, &written).unwrap();
        let back = card(reg, Clear::Compact(&dec, &cut[..cut.len() / 2]), None);
        assert_eq!(back.birth.map(|b| b.year()), cards[0].birth.map(|b| b.year()));
    }
}
