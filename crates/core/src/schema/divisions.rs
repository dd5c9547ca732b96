//! Every province-, prefecture- and county-level division of the mainland since 2016, with the
//! months each was valid (`schemas/divisions/cn-divisions.tsv`, made by
//! `scripts/make-divisions.py` from the yearly versions of a published package; see
//! `schemas/README.md`), for `yuebao regions` beyond the installation's own province and for a
//! past month (`--as-of`). A municipality's districts and a province's directly administered county-level
//! units (湖北省's 仙桃市) hang under the province; a prefecture-level city may have no counties
//! (东莞市). An installation for a province without a file in `schemas/regions/` takes its
//! regions from here (see `Regions::from_divisions`).

use super::SchemaError;
use super::regions::Level;
use crate::period::Period;
use std::collections::HashMap;

/// The code of the whole country, the top of the list.
pub const NATION: &str = "000000";

const EMBEDDED: &str = include_str!("../../../../schemas/divisions/cn-divisions.tsv");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    pub code: String,
    pub level: Level,
    pub name: String,
    /// `000000` for a province.
    pub parent: String,
}

/// One version of a division: it, and its first and last months (None: before the list, or
/// still in force).
type Row = (Division, Option<Period>, Option<Period>);

/// Every version of every division, each with its months.
#[derive(Debug, Clone, Default)]
pub struct History {
    rows: Vec<Row>,
}

impl History {
    /// The list built into the binary.
    pub fn embedded() -> Result<History, SchemaError> {
        History::parse("schemas/divisions/cn-divisions.tsv", EMBEDDED)
    }

    /// Reads the tab-separated list: code, level, name, parent, first and last month (both
    /// included; empty: before the first list, or still valid); `#` lines are comments.
    pub fn parse(source: &str, text: &str) -> Result<History, SchemaError> {
        let bad = |line: usize, message: String| SchemaError::Invalid {
            file: source.to_string(),
            message: format!("第 {line} 行：{message}"),
        };
        let mut rows = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            let [code, level, name, parent, since, until] = f[..] else {
                return Err(bad(i + 1, "应为“代码、级别、名称、上级代码、起、止”六栏".into()));
            };
            if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(i + 1, format!("代码“{code}”不是 6 位数字")));
            }
            let level = match level {
                "province" => Level::Province,
                "city" => Level::City,
                "county" => Level::County,
                other => return Err(bad(i + 1, format!("级别“{other}”应为 province、city 或 county"))),
            };
            let month = |m: &str| -> Result<Option<Period>, SchemaError> {
                if m.is_empty() {
                    return Ok(None);
                }
                m.parse::<Period>().map(Some).map_err(|_| bad(i + 1, format!("“{m}”不是年月（YYYY-MM）")))
            };
            let division = Division {
                code: code.to_string(),
                level,
                name: name.to_string(),
                parent: parent.to_string(),
            };
            rows.push((division, month(since)?, month(until)?));
        }
        Ok(History { rows })
    }

    /// The divisions valid in `month` (the current ones for None). Where a change falls
    /// between two of the statistics' cut-offs, the old and the new are both valid; a code
    /// that changed its name in that window is given its newer one.
    pub fn at(&self, month: Option<Period>) -> Result<Divisions, SchemaError> {
        let valid = |since: &Option<Period>, until: &Option<Period>| match month {
            None => until.is_none(),
            Some(m) => since.is_none_or(|s| s <= m) && until.is_none_or(|u| m <= u),
        };
        let mut d = Divisions::default();
        let mut chosen: Vec<&Row> = self.rows.iter().filter(|(_, s, u)| valid(s, u)).collect();
        chosen.sort_by_key(|(_, since, _)| *since);
        for (division, _, _) in chosen {
            match d.by_code.get(&division.code) {
                Some(&i) => d.list[i] = division.clone(),
                None => {
                    d.by_code.insert(division.code.clone(), d.list.len());
                    d.list.push(division.clone());
                }
            }
        }
        for (i, x) in d.list.iter().enumerate() {
            d.children.entry(x.parent.clone()).or_default().push(i);
        }
        if let Some(orphan) = d.list.iter().find(|x| x.parent != NATION && !d.by_code.contains_key(&x.parent)) {
            return Err(SchemaError::Invalid {
                file: "schemas/divisions/cn-divisions.tsv".into(),
                message: format!("{} {} 的上级 {} 在同一时期不存在", orphan.code, orphan.name, orphan.parent),
            });
        }
        Ok(d)
    }
}

/// What became of a division that is no longer in force: the divisions of today that hold its
/// area, and in what words. See `schemas/divisions/successions.tsv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Succession {
    /// The division as it last was.
    pub from: Division,
    /// Its last month (both it and what replaced it are valid up to then).
    pub until: Option<Period>,
    /// Today's codes that hold its area: one for a rename, a new code or a merger into one
    /// division; several when it was divided; none when the list does not say.
    pub to: Vec<String>,
    /// The change in words (撤销莱城区，设立济南市莱芜区; 更名为…).
    pub what: String,
}

const SUCCESSIONS: &str = include_str!("../../../../schemas/divisions/successions.tsv");

/// Follows a chain of changes at most this far (a division renamed, then merged …).
const CHAIN: usize = 6;

/// A division's name without its kind (济阳县 and 济阳区 are one place under a new kind).
fn stem(name: &str) -> &str {
    for kind in ["自治县", "自治旗", "林区", "县", "区", "市", "旗"] {
        if let Some(s) = name.strip_suffix(kind)
            && s.chars().count() >= 2
        {
            return s;
        }
    }
    name
}

impl History {
    /// The successions written by hand (old code → today's codes, the change in words).
    fn written() -> HashMap<&'static str, (Vec<&'static str>, &'static str)> {
        SUCCESSIONS
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| match l.split('\t').collect::<Vec<_>>()[..] {
                [old, to, what] => Some((old, (to.split(',').map(str::trim).filter(|c| !c.is_empty()).collect(), what))),
                _ => None,
            })
            .collect()
    }

    /// The last row of `code`, and whether the code is in force today.
    fn last_of(&self, code: &str) -> Option<(&Row, bool)> {
        let rows: Vec<_> = self.rows.iter().filter(|(d, _, _)| d.code == code).collect();
        let current = rows.iter().any(|(_, _, until)| until.is_none());
        let last = rows.into_iter().max_by_key(|(_, _, until)| until.map_or((1, None), |u| (0, Some(u))))?;
        Some((last, current))
    }

    /// What became of `code`: None while it is in force today (under the same code, whatever its
    /// name) or when the list never had it. A change written in `successions.tsv` wins; else a
    /// division of the same province and level with the same name, or the same name under
    /// another kind (县 → 区), that came into force while the old one was ending is taken as
    /// its new code. A chain of changes is followed to today's codes.
    pub fn successor(&self, code: &str) -> Option<Succession> {
        let written = History::written();
        let ((from, _, until), current) = self.last_of(code)?;
        if current {
            return None;
        }
        let mut what = String::new();
        let mut frontier = vec![code.to_string()];
        let mut to: Vec<String> = Vec::new();
        for _ in 0..CHAIN {
            let mut next = Vec::new();
            for c in frontier.drain(..) {
                let Some(((d, _, u), current)) = self.last_of(&c) else { continue };
                if current {
                    to.push(c);
                    continue;
                }
                let step: Vec<String> = match written.get(c.as_str()) {
                    Some((codes, words)) => {
                        if what.is_empty() {
                            what = words.to_string();
                        }
                        codes.iter().map(|x| x.to_string()).collect()
                    }
                    None => {
                        let mut found: Vec<String> = self
                            .rows
                            .iter()
                            .filter(|(n, since, _)| {
                                n.code != c
                                    && n.level == d.level
                                    && n.code[..2] == c[..2]
                                    && stem(&n.name) == stem(&d.name)
                                    && since.is_some_and(|s| u.is_some_and(|u| s <= u.next()))
                            })
                            .map(|(n, _, _)| n.code.clone())
                            .collect();
                        found.sort();
                        found.dedup();
                        if found.len() == 1 && what.is_empty() {
                            let new = self.last_of(&found[0]).map(|((n, _, _), _)| n.name.clone()).unwrap_or_default();
                            what = if new == d.name {
                                format!("{}改用代码 {}", d.name, found[0])
                            } else {
                                format!("{}改设为{new}", d.name)
                            };
                        }
                        if found.len() == 1 { found } else { Vec::new() }
                    }
                };
                next.extend(step);
            }
            frontier = next;
            if frontier.is_empty() {
                break;
            }
        }
        to.sort();
        to.dedup();
        if what.is_empty() {
            what = format!("{}已撤销，区划代码表未载明其区域的去向", from.name);
        }
        Some(Succession {
            from: from.clone(),
            until: *until,
            to,
            what,
        })
    }

    /// Whether `code` was a division in some month of the list.
    pub fn knows(&self, code: &str) -> bool {
        self.last_of(code).is_some()
    }

    /// Today's divisions that each took in the whole area of more than one division no longer
    /// in force (长治市's 城区 and 郊区 became 潞州区): the old ones' sheets of one month cannot
    /// be one sheet of the new.
    pub fn merged(&self) -> std::collections::HashSet<String> {
        let mut gone: Vec<&str> = self.rows.iter().filter(|(_, _, u)| u.is_some()).map(|(d, _, _)| d.code.as_str()).collect();
        gone.sort();
        gone.dedup();
        let mut count: HashMap<String, usize> = HashMap::new();
        for code in gone {
            if let Some(Succession { to, .. }) = self.successor(code)
                && let [one] = &to[..]
            {
                *count.entry(one.clone()).or_default() += 1;
            }
        }
        count.into_iter().filter(|(_, n)| *n > 1).map(|(c, _)| c).collect()
    }

    /// The divisions under `top` (a province's or city's code, or the nation's) that changed
    /// between two months' divisions, `then` and `now`: each one valid then that is gone now
    /// (with where it went), and each that kept its code under a new name. What a comparison of
    /// the two months must say.
    pub fn changes_between(&self, top: &str, then: &Divisions, now: &Divisions) -> Vec<Change> {
        let under = |d: &Divisions, code: &str| {
            let mut c = Some(code.to_string());
            for _ in 0..4 {
                match c {
                    Some(x) if x == top => return true,
                    Some(x) => c = d.get(&x).map(|v| v.parent.clone()),
                    None => return false,
                }
            }
            top == NATION
        };
        // A change below a province stays in it (the rule and the written list agree).
        let province = (top != NATION).then(|| &top[..2]);
        let mut out = Vec::new();
        for old in then.list.iter().filter(|d| province.is_none_or(|p| d.code.starts_with(p))) {
            match now.get(&old.code) {
                Some(new) if new.name != old.name => {
                    if under(then, &old.code) || under(now, &old.code) {
                        out.push(Change::Renamed {
                            code: old.code.clone(),
                            old: old.name.clone(),
                            new: new.name.clone(),
                        });
                    }
                }
                Some(_) => {}
                None => {
                    let Some(s) = self.successor(&old.code) else { continue };
                    if under(then, &old.code) || s.to.iter().any(|c| under(now, c)) {
                        out.push(Change::Gone(s));
                    }
                }
            }
        }
        out
    }
}

/// One change between two months (see [`History::changes_between`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The same code under a new name.
    Renamed { code: String, old: String, new: String },
    /// A code no longer in force.
    Gone(Succession),
}

/// The provinces in force today (code, name), read straight from the built-in list's lines,
/// for naming the installation's province without parsing the whole list.
pub fn provinces() -> Vec<(&'static str, &'static str)> {
    EMBEDDED
        .lines()
        .filter_map(|l| match l.split('\t').collect::<Vec<_>>()[..] {
            [code, "province", name, _, _, ""] => Some((code, name)),
            _ => None,
        })
        .collect()
}

/// The first month of the latest change among the divisions in force today under `top` (a
/// province's code, or the nation's for all of them), read straight from the built-in list's
/// lines: every command asks it once, and parsing the whole list would cost more than the
/// answer.
pub fn latest_change(top: &str) -> Option<Period> {
    let prefix = if top == NATION { "" } else { top.get(..2).unwrap_or(top) };
    EMBEDDED
        .lines()
        .filter(|l| l.starts_with(prefix) && !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.rsplitn(3, '\t');
            let (until, since) = (f.next()?, f.next()?);
            // Today's divisions are all in force from the later of: the last one's start, and
            // the month after the last old one ended (长岛县 lasted until 2020-06, beside the
            // 蓬莱区 that took it in from 2019-11).
            match (since, until) {
                (s, "") if !s.is_empty() => s.parse::<Period>().ok(),
                (_, u) if !u.is_empty() => u.parse::<Period>().ok().map(|u| u.next()),
                _ => None,
            }
        })
        .max()
}

/// The divisions of one month.
#[derive(Debug, Clone, Default)]
pub struct Divisions {
    list: Vec<Division>,
    by_code: HashMap<String, usize>,
    children: HashMap<String, Vec<usize>>,
}

impl Divisions {
    /// The current divisions, from the list built into the binary.
    pub fn embedded() -> Result<Divisions, SchemaError> {
        History::embedded()?.at(None)
    }

    pub fn get(&self, code: &str) -> Option<&Division> {
        self.by_code.get(code).map(|&i| &self.list[i])
    }

    /// The divisions directly under `code`, by code.
    pub fn children(&self, code: &str) -> Vec<&Division> {
        let mut out: Vec<&Division> = self.children.get(code).into_iter().flatten().map(|&i| &self.list[i]).collect();
        out.sort_by(|a, b| a.code.cmp(&b.code));
        out
    }

    /// `code` (unless it is the nation) and everything below it, each before what it holds.
    pub fn subtree(&self, code: &str) -> Vec<&Division> {
        let mut out = Vec::new();
        if let Some(d) = self.get(code) {
            out.push(d);
        }
        let mut stack: Vec<&Division> = self.children(code).into_iter().rev().collect();
        while let Some(d) = stack.pop() {
            out.push(d);
            stack.extend(self.children(&d.code).into_iter().rev());
        }
        out
    }

    /// The divisions named `name` exactly, for a look-up that must not guess (朝阳区 is in
    /// 北京市 and in 长春市).
    pub fn named(&self, name: &str) -> Vec<&Division> {
        self.list.iter().filter(|d| d.name == name).collect()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mainland_in_its_real_shapes() {
        let d = Divisions::embedded().unwrap();
        let count = |l: Level| d.list.iter().filter(|x| x.level == l).count();
        assert_eq!(count(Level::Province), 31);
        // The quick reading of the list's lines agrees with the parsed list.
        let parsed: Vec<(&str, &str)> = d.children(NATION).iter().map(|p| (p.code.as_str(), p.name.as_str())).collect();
        assert_eq!(provinces(), parsed);
        assert_eq!(count(Level::City), 333);
        assert!((2800..2900).contains(&count(Level::County)), "{}", count(Level::County));
        // A municipality's districts hang under it directly: no "市辖区" city in between.
        assert_eq!(d.get("110105").unwrap().parent, "110000");
        assert!(d.get("110100").is_none());
        assert_eq!(d.get("500229").unwrap().name, "城口县");
        assert_eq!(d.get("500229").unwrap().parent, "500000");
        // 湖北省's directly administered 仙桃市.
        let xiantao = d.get("429004").unwrap();
        assert_eq!(
            (xiantao.name.as_str(), xiantao.level, xiantao.parent.as_str()),
            ("仙桃市", Level::County, "420000")
        );
        // Prefecture-level cities without counties.
        for code in ["441900", "442000", "460400", "620200"] {
            assert_eq!(d.get(code).unwrap().level, Level::City, "{code}");
            assert!(d.children(code).is_empty(), "{code}: {:?}", d.children(code));
        }
        // No statistical zone (开发区 and the like) is a division.
        assert!(d.get("371371").is_none());
        // The same name in several places is never one division.
        assert!(d.named("朝阳区").len() >= 2);
        assert!(d.named("市中区").len() >= 4);
    }

    #[test]
    fn shandong_is_the_installation_s_own_list() {
        let d = Divisions::embedded().unwrap();
        let s = crate::schema::Schemas::embedded().unwrap();
        let ours: Vec<(String, String, String)> = s
            .regions
            .subtree("370000")
            .iter()
            .map(|r| (r.code.clone(), r.name.clone(), r.parent.clone().unwrap_or_else(|| NATION.to_string())))
            .collect();
        let theirs: Vec<(String, String, String)> = d.subtree("370000").iter().map(|r| (r.code.clone(), r.name.clone(), r.parent.clone())).collect();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn a_past_month_has_the_divisions_of_its_time() {
        let h = History::embedded().unwrap();
        let m = |s: &str| Some(s.parse::<Period>().unwrap());
        // 莱芜市 and its two districts until 2019; 济南市's 莱芜区 and 钢城区 after.
        let before = h.at(m("2018-10")).unwrap();
        assert_eq!(before.get("371200").unwrap().name, "莱芜市");
        let kids: Vec<&str> = before.children("371200").iter().map(|d| d.code.as_str()).collect();
        assert_eq!(kids, ["371202", "371203"]);
        assert!(before.get("370116").is_none());
        let after = h.at(m("2020-01")).unwrap();
        assert!(after.get("371200").is_none() && after.get("371202").is_none());
        assert_eq!(after.get("370116").unwrap().parent, "370100");
        // Between the two cut-offs both are valid: no sheet is refused for the change.
        let between = h.at(m("2019-03")).unwrap();
        assert!(between.get("371202").is_some() && between.get("370116").is_some());
        // Every month from 2016 on is a whole tree.
        for year in 2016..=2026 {
            for month in [1, 7] {
                let d = h.at(Period::new(year, month)).unwrap();
                assert!(d.len() > 3000, "{year}-{month}");
            }
        }
    }

    #[test]
    fn a_division_no_longer_in_force_has_its_successors() {
        let h = History::embedded().unwrap();
        let to = |code: &str| h.successor(code).map(|s| s.to);
        // Written by hand: 莱城区 became 济南市's 莱芜区; 莱芜市 went to 济南市.
        let lc = h.successor("371202").unwrap();
        assert_eq!((lc.to.clone(), lc.from.name.as_str()), (vec!["370116".to_string()], "莱城区"));
        assert!(lc.what.contains("莱芜区"), "{}", lc.what);
        assert_eq!(to("371200"), Some(vec!["370100".to_string()]));
        // Found by the rule: the same place under another kind, the same name under a new code.
        let jy = h.successor("370125").unwrap();
        assert_eq!((jy.to, jy.what.as_str()), (vec!["370115".to_string()], "济阳县改设为济阳区"));
        assert_eq!(to("371203"), Some(vec!["370117".to_string()]), "钢城区 moved to 济南市");
        // Divided, and not said.
        assert_eq!(to("130421").unwrap().len(), 3);
        let yc = h.successor("230702").unwrap();
        assert!(yc.to.is_empty() && yc.what.contains("未载明"), "{yc:?}");
        // In force today, or never listed: nothing became of it.
        assert_eq!(to("370102"), None);
        assert_eq!(to("130502"), None, "邢台市's 桥东区 is 襄都区 under the same code");
        assert_eq!(to("999999"), None);
        // Every written change starts from a code no longer in force and ends in today's.
        let today = h.at(None).unwrap();
        for (old, (codes, _)) in History::written() {
            assert!(today.get(old).is_none(), "{old} is still in force");
            assert!(h.last_of(old).is_some(), "{old} is not in the list");
            for c in codes {
                assert!(today.get(c).is_some(), "{old} → {c}, which is not in force");
            }
        }
    }

    #[test]
    fn mergers_and_the_first_month_of_today_s_divisions() {
        let h = History::embedded().unwrap();
        let merged = h.merged();
        // 城区 and 郊区 → 潞州区; 蓬莱市 and 长岛县 → 蓬莱区; 冷湖 and 茫崖 → 茫崖市.
        for code in ["140403", "370614", "632803", "350404"] {
            assert!(merged.contains(code), "{code}: {merged:?}");
        }
        assert!(!merged.contains("370116"), "莱芜区 took in 莱城区 alone");
        // 山东省's divisions are today's from the month after 长岛县's last (it lasted beside
        // 蓬莱区 until 2020-06), not from 蓬莱区's first.
        assert_eq!(latest_change("370000"), Some(Period::new(2020, 7).unwrap()));
    }

    #[test]
    fn a_comparison_across_years_names_the_changes() {
        let h = History::embedded().unwrap();
        let m = |s: &str| s.parse::<Period>().unwrap();
        let between = |top: &str, from: &str, to: &str| h.changes_between(top, &h.at(Some(m(from))).unwrap(), &h.at(Some(m(to))).unwrap());
        let gone = |top: &str| -> Vec<(String, Vec<String>)> {
            between(top, "2018-12", "2019-12")
                .into_iter()
                .filter_map(|c| match c {
                    Change::Gone(s) => Some((s.from.code, s.to)),
                    Change::Renamed { .. } => None,
                })
                .collect()
        };
        let jinan = gone("370100");
        assert!(jinan.contains(&("371202".into(), vec!["370116".into()])), "{jinan:?}");
        assert!(jinan.contains(&("371203".into(), vec!["370117".into()])), "{jinan:?}");
        assert!(gone("370000").iter().any(|(c, _)| c == "371200"));
        assert!(gone("371300").is_empty(), "临沂市 did not change");
        // A code kept under a new name.
        let xingtai = between("130500", "2018-12", "2021-12");
        assert!(
            xingtai.contains(&Change::Renamed {
                code: "130502".into(),
                old: "桥东区".into(),
                new: "襄都区".into()
            }),
            "{xingtai:?}"
        );
    }

    #[test]
    fn a_broken_list_is_refused_with_its_line() {
        let e = History::parse("x.tsv", "110000\tprovince\t北京市\t000000\t\t\n110101\tcounty\t东城区\t110000\n").unwrap_err();
        assert!(e.to_string().contains("第 2 行"), "{e}");
        let e = History::parse("x.tsv", "110101\tcounty\t东城区\t110000\t\t\n").unwrap().at(None).unwrap_err();
        assert!(e.to_string().contains("不存在"), "{e}");
        let e = History::parse("x.tsv", "110000\tprovince\t北京市\t000000\t2016-13\t\n").unwrap_err();
        assert!(e.to_string().contains("不是年月"), "{e}");
    }
}
