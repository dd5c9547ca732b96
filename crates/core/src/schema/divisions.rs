//! Every province-, prefecture- and county-level division of the mainland
//! (`schemas/divisions/cn-divisions.tsv`, made by `scripts/make-divisions.py` from a published
//! package; see `schemas/README.md`), for `yuebao regions` beyond the installation's own
//! province. A municipality's districts and a province's directly administered county-level
//! units (湖北省's 仙桃市) hang under the province; a prefecture-level city may have no counties
//! (东莞市). The installation's province still comes from `schemas/regions/`: this list does not
//! change whose sheets are checked.

use super::SchemaError;
use super::regions::Level;
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

#[derive(Debug, Clone, Default)]
pub struct Divisions {
    list: Vec<Division>,
    by_code: HashMap<String, usize>,
    children: HashMap<String, Vec<usize>>,
}

impl Divisions {
    /// The list built into the binary.
    pub fn embedded() -> Result<Divisions, SchemaError> {
        Divisions::parse("schemas/divisions/cn-divisions.tsv", EMBEDDED)
    }

    /// Reads the tab-separated list: code, level, name, parent; `#` lines are comments. Every
    /// parent must be listed before it is needed (the nation, or a division in the file), and
    /// every code appear once.
    pub fn parse(source: &str, text: &str) -> Result<Divisions, SchemaError> {
        let bad = |line: usize, message: String| SchemaError::Invalid {
            file: source.to_string(),
            message: format!("第 {line} 行：{message}"),
        };
        let mut d = Divisions::default();
        for (i, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            let [code, level, name, parent] = f[..] else {
                return Err(bad(i + 1, "应为“代码、级别、名称、上级代码”四栏".into()));
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
            if d.by_code.insert(code.to_string(), d.list.len()).is_some() {
                return Err(bad(i + 1, format!("代码 {code} 重复")));
            }
            d.children.entry(parent.to_string()).or_default().push(d.list.len());
            d.list.push(Division {
                code: code.to_string(),
                level,
                name: name.to_string(),
                parent: parent.to_string(),
            });
        }
        if let Some(orphan) = d.list.iter().find(|x| x.parent != NATION && !d.by_code.contains_key(&x.parent)) {
            return Err(bad(0, format!("{} {} 的上级 {} 不在表中", orphan.code, orphan.name, orphan.parent)));
        }
        Ok(d)
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
    fn a_broken_list_is_refused_with_its_line() {
        let e = Divisions::parse("x.tsv", "110000\tprovince\t北京市\t000000\n110101\tcounty\t东城区\n").unwrap_err();
        assert!(e.to_string().contains("第 2 行"), "{e}");
        let e = Divisions::parse("x.tsv", "110101\tcounty\t东城区\t110000\n").unwrap_err();
        assert!(e.to_string().contains("不在表中"), "{e}");
        let e = Divisions::parse("x.tsv", "110000\tprovince\t北京市\t000000\n110000\tprovince\t北京\t000000\n").unwrap_err();
        assert!(e.to_string().contains("重复"), "{e}");
    }
}
