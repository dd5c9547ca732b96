//! Administrative regions (`schemas/regions/*.toml`): codes, names, levels, and resolving what
//! people write (`兰山区`, `临沂市兰山区`, `371302`, `兰山`) to one region.

use super::SchemaError;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The whole country: the root of the ministry's installation.
    Nation,
    Province,
    City,
    County,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Nation => "nation",
            Level::Province => "province",
            Level::City => "city",
            Level::County => "county",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub parent: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionsFile {
    province: Named,
    cities: Vec<CityEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Named {
    code: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CityEntry {
    code: String,
    name: String,
    counties: Vec<(String, String)>,
}

/// Why a piece of text did not name exactly one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolve {
    NotFound,
    Ambiguous(Vec<String>),
}

/// The regions of one installation: its province (the root), and below it the cities and the
/// county-level units. A municipality's districts and a province's directly administered
/// county-level units (海南省's 五指山市) hang under the province; a city may have no counties
/// (东莞市, 儋州市), and then fills the township sheet itself, as a county does.
#[derive(Debug, Clone, Default)]
pub struct Regions {
    list: Vec<Region>,
    by_code: HashMap<String, usize>,
    /// Each region's children, as indices into `list`, codes ascending.
    kids: HashMap<String, Vec<usize>>,
    /// Every name and short name at once, for [`Regions::resolve`]: a national installation
    /// has 3,215 regions, and every header text of every file is looked up.
    names: std::sync::OnceLock<Names>,
}

/// The automata that find every region's name (and short name) inside a text.
#[derive(Debug, Clone)]
struct Names {
    full: aho_corasick::AhoCorasick,
    short: aho_corasick::AhoCorasick,
    /// The region (index into `list`) of each short-name pattern.
    short_of: Vec<usize>,
}

impl Names {
    fn of(list: &[Region]) -> Names {
        let build = |patterns: Vec<&str>| aho_corasick::AhoCorasick::new(patterns).expect("region names make an automaton");
        let (short_of, shorts): (Vec<usize>, Vec<&str>) = list
            .iter()
            .enumerate()
            .map(|(i, r)| (i, short_name(&r.name)))
            .filter(|(_, s)| s.chars().count() >= 2)
            .unzip();
        Names {
            full: build(list.iter().map(|r| r.name.as_str()).collect()),
            short: build(shorts),
            short_of,
        }
    }
}

impl Regions {
    fn add(&mut self, r: Region) {
        self.names = std::sync::OnceLock::new();
        let i = self.list.len();
        if let Some(p) = &r.parent {
            let kids = self.kids.entry(p.clone()).or_default();
            let at = kids.partition_point(|&k| self.list[k].code < r.code);
            kids.insert(at, i);
        }
        self.by_code.insert(r.code.clone(), i);
        self.list.push(r);
    }

    /// The installation's regions from the list of all divisions: `province` and everything
    /// below it, as the divisions hang (see [`super::divisions`]); for the ministry
    /// (`000000`), 全国 and every division of the country.
    pub fn from_divisions(divisions: &super::divisions::Divisions, province: &str) -> Option<Regions> {
        let mut out = Regions::default();
        if province == super::divisions::NATION {
            out.add(Region {
                code: province.to_string(),
                name: "全国".into(),
                level: Level::Nation,
                parent: None,
            });
        } else {
            divisions.get(province).filter(|d| d.level == Level::Province)?;
        }
        for d in divisions.subtree(province) {
            out.add(Region {
                code: d.code.clone(),
                name: d.name.clone(),
                level: d.level,
                parent: (d.code != province).then(|| d.parent.clone()),
            });
        }
        Some(out)
    }

    /// The installation's province: the one region without a parent.
    pub fn root(&self) -> Option<&Region> {
        self.list.iter().find(|r| r.parent.is_none())
    }

    /// Whether `r` fills the township sheet itself: a county-level unit, or a city without
    /// counties. Everything else hands in a rollup of what is below it.
    pub fn is_leaf(&self, r: &Region) -> bool {
        r.parent.is_some() && !self.kids.contains_key(&r.code)
    }

    /// Who hands in to `scope`, in words: 各市, 各县（市、区） for a municipality, 各市和省直管县（市、区）
    /// where a province also oversees county-level units itself, 各省（区、市） for the nation,
    /// 各县区 for a city.
    pub fn senders_word(&self, scope: &Region) -> &'static str {
        match scope.level {
            Level::Nation => "各省（区、市）",
            Level::Province => match self.below_province(&scope.code) {
                (true, false) => "各市",
                (false, true) => "各县（市、区）",
                _ => "各市和省直管县（市、区）",
            },
            _ => "各县区",
        }
    }

    /// What hangs under the province `code`: (any city with counties, any unit that fills the
    /// township sheet itself). 山东省 has only cities, 北京市 only districts, 海南省 both.
    pub fn below_province(&self, code: &str) -> (bool, bool) {
        let kids = self.children(code);
        (kids.iter().any(|k| !self.is_leaf(k)), kids.iter().any(|k| self.is_leaf(k)))
    }

    /// Who reviews `region`'s sheets, in words: 市级审核人 for a county of a city; the province
    /// by its name for what is directly under it (北京市审核人 for a district of 北京市,
    /// 海南省审核人 for 五指山市 or 海口市); 部审核人 for a province.
    pub fn reviewer_word(&self, region: &Region) -> String {
        match region.parent.as_deref().and_then(|p| self.get(p)) {
            Some(p) if p.level == Level::City => "市级审核人".to_string(),
            Some(p) if p.level == Level::Province => format!("{}审核人", p.name),
            Some(p) if p.level == Level::Nation => "部审核人".to_string(),
            _ => "审核人".to_string(),
        }
    }

    pub fn parse(&mut self, source: &str, text: &str) -> Result<(), SchemaError> {
        let f: RegionsFile = super::parse_toml(source, text)?;
        let bad = super::invalid(source);
        let valid = |c: &str| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit());
        let mut add = |r: Region| -> Result<(), SchemaError> {
            if !valid(&r.code) {
                return Err(bad(format!("“{}”的代码“{}”不是 6 位数字", r.name, r.code)));
            }
            if self.by_code.contains_key(&r.code) {
                return Err(bad(format!("代码 {} 重复", r.code)));
            }
            self.add(r);
            Ok(())
        };
        add(Region {
            code: f.province.code.clone(),
            name: f.province.name,
            level: Level::Province,
            parent: None,
        })?;
        for c in f.cities {
            if !valid(&c.code) {
                return Err(bad(format!("“{}”的代码“{}”不是 6 位数字", c.name, c.code)));
            }
            if c.code[..2] != f.province.code[..2] {
                return Err(bad(format!("{}（{}）不在 {} 之下", c.name, c.code, f.province.code)));
            }
            add(Region {
                code: c.code.clone(),
                name: c.name,
                level: Level::City,
                parent: Some(f.province.code.clone()),
            })?;
            for (code, name) in c.counties {
                if !valid(&code) {
                    return Err(bad(format!("“{name}”的代码“{code}”不是 6 位数字")));
                }
                if code[..4] != c.code[..4] {
                    return Err(bad(format!("{name}（{code}）的代码与所属城市 {} 不一致", c.code)));
                }
                add(Region {
                    code,
                    name,
                    level: Level::County,
                    parent: Some(c.code.clone()),
                })?;
            }
        }
        Ok(())
    }

    pub fn get(&self, code: &str) -> Option<&Region> {
        self.by_code.get(code).map(|&i| &self.list[i])
    }

    pub fn all(&self) -> &[Region] {
        &self.list
    }

    /// The regions directly below `code`, codes ascending.
    pub fn children(&self, code: &str) -> Vec<&Region> {
        self.kids.get(code).into_iter().flatten().map(|&i| &self.list[i]).collect()
    }

    /// The units in `code`'s subtree that fill the township sheet themselves (see
    /// [`Regions::is_leaf`]: the counties, and the cities without counties), the unit itself
    /// for one of them; parents' order, codes ascending.
    pub fn counties(&self, code: &str) -> Vec<&Region> {
        self.subtree(code).into_iter().filter(|r| self.is_leaf(r)).collect()
    }

    /// Whether `r` is `scope` or lies below it.
    pub fn within(&self, r: &Region, scope: &str) -> bool {
        let mut cur = Some(r);
        while let Some(x) = cur {
            if x.code == scope {
                return true;
            }
            cur = x.parent.as_deref().and_then(|p| self.get(p));
        }
        false
    }

    /// The region and everything below it, parents before children, codes ascending.
    pub fn subtree(&self, code: &str) -> Vec<&Region> {
        let mut out = Vec::new();
        if let Some(r) = self.get(code) {
            out.push(r);
            for k in self.children(code) {
                out.extend(self.subtree(&k.code));
            }
        }
        out
    }

    /// `临沂市兰山区` for a county, `临沂市` for a city, `山东省` for the province.
    pub fn full_name(&self, r: &Region) -> String {
        match (r.level, r.parent.as_deref().and_then(|p| self.get(p))) {
            (Level::County, Some(city)) => format!("{}{}", city.name, r.name),
            _ => r.name.clone(),
        }
    }

    /// `兰山区（371302）`, with the city prepended where the bare name is shared (市中区).
    pub fn display(&self, r: &Region) -> String {
        let shared = self.list.iter().filter(|x| x.name == r.name).count() > 1;
        let name = if shared { self.full_name(r) } else { r.name.clone() };
        format!("{name}（{}）", r.code)
    }

    /// Resolves free text naming one region: a 6-digit code anywhere in it wins; otherwise the
    /// most specific region whose name (or name without 省/市/区/县) appears, with any city named
    /// alongside used to tell apart shared names such as 市中区.
    pub fn resolve(&self, text: &str) -> Result<&Region, Resolve> {
        let t: String = crate::text::squeeze(text).chars().map(crate::text::halfwidth).collect();
        if let Some(r) = six_digits(&t).iter().find_map(|c| self.get(c)) {
            return Ok(r);
        }
        // Every region whose name occurs in the text (in list order), or else whose short name
        // of two characters or more does.
        let names = self.names.get_or_init(|| Names::of(&self.list));
        let hits = |ac: &aho_corasick::AhoCorasick, of: &dyn Fn(usize) -> usize| {
            let mut at: Vec<usize> = ac.find_overlapping_iter(t.as_str()).map(|m| of(m.pattern().as_usize())).collect();
            at.sort_unstable();
            at.dedup();
            at.into_iter().map(|i| &self.list[i]).collect::<Vec<&Region>>()
        };
        let full = hits(&names.full, &|p| p);
        let found = if full.is_empty() { hits(&names.short, &|p| names.short_of[p]) } else { full };
        self.most_specific(found)
    }

    /// A six-digit number in `text` that reads as a division code of this list's province (or,
    /// for the nation, of any of its provinces) and names none of its regions: a code written
    /// wrong, or one of another time (莱芜区's 370116 on a sheet of 2018). A text holding one is
    /// no evidence of its name either.
    pub fn unknown_code(&self, text: &str) -> Option<String> {
        let t: String = crate::text::squeeze(text).chars().map(crate::text::halfwidth).collect();
        let codes = six_digits(&t);
        if codes.iter().any(|c| self.get(c).is_some()) {
            return None;
        }
        let root = self.root()?;
        let ours = |c: &str| match root.level {
            Level::Nation => self.children(&root.code).iter().any(|p| p.code[..2] == c[..2]),
            _ => root.code[..2] == c[..2],
        };
        codes.into_iter().find(|c| ours(c))
    }

    fn most_specific<'a>(&'a self, found: Vec<&'a Region>) -> Result<&'a Region, Resolve> {
        let Some(deepest) = found.iter().map(|r| r.level).max() else {
            return Err(Resolve::NotFound);
        };
        let mut best: Vec<&Region> = found.iter().copied().filter(|r| r.level == deepest).collect();
        if best.len() > 1 {
            // Keep those whose parent was named too (济南市市中区).
            let named_parent: Vec<&Region> = best
                .iter()
                .copied()
                .filter(|r| found.iter().any(|p| Some(&p.code) == r.parent.as_ref()))
                .collect();
            if !named_parent.is_empty() {
                best = named_parent;
            }
        }
        // A name that contains another (e.g. both 东营市 and 东营区 match 东营区) is not ambiguity:
        // prefer the longest name.
        let longest = best.iter().map(|r| r.name.chars().count()).max().unwrap_or(0);
        best.retain(|r| r.name.chars().count() == longest);
        match best.as_slice() {
            [one] => Ok(one),
            many => Err(Resolve::Ambiguous(many.iter().map(|r| self.display(r)).collect())),
        }
    }
}

fn short_name(name: &str) -> &str {
    name.strip_suffix('省')
        .or_else(|| name.strip_suffix('市'))
        .or_else(|| name.strip_suffix('区'))
        .or_else(|| name.strip_suffix('县'))
        .unwrap_or(name)
}

/// The runs of exactly six digits in `t`.
fn six_digits(t: &str) -> Vec<String> {
    let digits: Vec<char> = t.chars().collect();
    let mut codes = Vec::new();
    let mut i = 0;
    while i < digits.len() {
        if digits[i].is_ascii_digit() {
            let s = i;
            while i < digits.len() && digits[i].is_ascii_digit() {
                i += 1;
            }
            if i - s == 6 {
                codes.push(digits[s..i].iter().collect::<String>());
            }
        } else {
            i += 1;
        }
    }
    codes
}
