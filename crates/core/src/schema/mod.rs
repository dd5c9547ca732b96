//! The project's data files in `schemas/`: the form, the regions and the holiday calendar. They
//! are compiled into the binary as defaults; `--schemas DIR` (or `YUEBAO_SCHEMAS`) reads a
//! directory of the same layout instead, so an edited schema takes effect without a rebuild.

pub mod calendar;
pub mod divisions;
pub mod form;
pub mod regions;
pub mod relation;

use calendar::Calendar;
pub use form::Form;
pub use regions::{Level, Region, Regions};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("无法读取模式文件 {file}：{message}")]
    Io { file: String, message: String },
    #[error("模式文件 {file} 格式有误：{message}")]
    Toml { file: String, message: String },
    #[error("模式文件 {file} 内容有误：{message}")]
    Invalid { file: String, message: String },
    #[error("模式文件 {file} 的栏目关系第 {pos} 个字符处有误：{message}（原文：{text}）")]
    Relation { file: String, pos: usize, message: String, text: String },
}

/// Reads one schema file's TOML, naming the file in the error.
pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(source: &str, text: &str) -> Result<T, SchemaError> {
    toml::from_str(text).map_err(|e| SchemaError::Toml {
        file: source.to_string(),
        message: e.to_string(),
    })
}

/// Builds "this file's content is wrong" errors for one schema file.
pub(crate) fn invalid(source: &str) -> impl Fn(String) -> SchemaError + '_ {
    move |message| SchemaError::Invalid {
        file: source.to_string(),
        message,
    }
}

/// Appended to the label of a rollup's row whose region has not reported; the reader
/// recognises it (the form as yuebao writes and reads it).
pub const MISSING_MARK: &str = "（未报）";
/// Appended to the label of a rollup's row whose region's sheet was returned (审核退回).
pub const RETURNED_MARK: &str = "（退回）";
/// The marks of rows a rollup left blank on purpose, counted as 0 when read back.
pub const BLANK_ROW_MARKS: [&str; 2] = [MISSING_MARK, RETURNED_MARK];

const EMBEDDED_FORMS: &[(&str, &str)] = &[
    ("schemas/forms/jdlk-jyshbz.toml", include_str!("../../../../schemas/forms/jdlk-jyshbz.toml")),
    (
        "schemas/forms/jdlk-jyshbz.register.toml",
        include_str!("../../../../schemas/forms/jdlk-jyshbz.register.toml"),
    ),
];
/// A form's register (附件2) sits beside it as `<form>.register.toml`.
const REGISTER_SUFFIX: &str = ".register.toml";
const EMBEDDED_REGIONS: &[(&str, &str)] = &[(
    "schemas/regions/370000-shandong.toml",
    include_str!("../../../../schemas/regions/370000-shandong.toml"),
)];
const EMBEDDED_SITE: (&str, &str) = ("schemas/site.toml", include_str!("../../../../schemas/site.toml"));
const EMBEDDED_CALENDAR: &[(&str, &str)] = &[(
    "schemas/calendar/cn-holidays.toml",
    include_str!("../../../../schemas/calendar/cn-holidays.toml"),
)];

/// Everything loaded from `schemas/`.
#[derive(Debug, Clone)]
pub struct Schemas {
    pub forms: Vec<Form>,
    /// The register behind the form (附件2), where the schemas have one.
    register: Option<std::sync::Arc<crate::register::Register>>,
    /// The installation's province and everything below it.
    pub regions: Regions,
    pub calendar: Calendar,
    /// The first month of the installation's current divisions (the latest change to them in
    /// the national list): a sheet for an earlier month is checked against the divisions of its
    /// own month (莱芜市's 莱城区 in 2018).
    since: std::sync::OnceLock<Option<crate::period::Period>>,
    /// These schemas with the divisions of earlier months, built once when a sheet asks for
    /// them (shared by the clones of these schemas).
    past: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<crate::period::Period, Option<std::sync::Arc<Schemas>>>>>,
    /// The national list with its years, read when first asked (what became of a division).
    history: std::sync::Arc<std::sync::OnceLock<Option<divisions::History>>>,
    /// The national divisions of the months asked for, built from `history` once each.
    months: Shared<Option<crate::period::Period>, Option<std::sync::Arc<divisions::Divisions>>>,
    /// What became of each gone division asked about.
    successors: Shared<String, Option<divisions::Succession>>,
    merged: std::sync::Arc<std::sync::OnceLock<std::collections::HashSet<String>>>,
}

/// A cache the clones of the schemas share.
type Shared<K, V> = std::sync::Arc<std::sync::Mutex<std::collections::HashMap<K, V>>>;

/// `site.toml`: the installation's settings.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Site {
    province: String,
}

/// Where each part of the schemas comes from, before the province is chosen.
struct Sources {
    forms: Vec<(String, String)>,
    regions: Vec<(String, String)>,
    calendar: Vec<(String, String)>,
    site: (String, String),
}

impl Schemas {
    /// The copies built into the binary, for the province `site.toml` names (Shandong).
    pub fn embedded() -> Result<Schemas, SchemaError> {
        Schemas::embedded_for(None)
    }

    /// The copies built into the binary, for `province` (or the one `site.toml` names).
    pub fn embedded_for(province: Option<&str>) -> Result<Schemas, SchemaError> {
        let own = |files: &[(&str, &str)]| files.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        let sources = Sources {
            forms: own(EMBEDDED_FORMS),
            regions: own(EMBEDDED_REGIONS),
            calendar: own(EMBEDDED_CALENDAR),
            site: (EMBEDDED_SITE.0.to_string(), EMBEDDED_SITE.1.to_string()),
        };
        Schemas::from_sources(sources, province)
    }

    /// Reads `dir/forms/*.toml`, `dir/regions/*.toml`, `dir/calendar/*.toml` and `dir/site.toml`
    /// (the built-in one where the directory has none), for `province` (or the one `site.toml`
    /// names).
    pub fn from_dir(dir: &Path, province: Option<&str>) -> Result<Schemas, SchemaError> {
        let read = |sub: &str| -> Result<Vec<(String, String)>, SchemaError> {
            let d = dir.join(sub);
            let io = |e: std::io::Error| SchemaError::Io {
                file: d.display().to_string(),
                message: e.to_string(),
            };
            let mut paths: Vec<_> = std::fs::read_dir(&d)
                .map_err(io)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            paths.sort();
            paths
                .into_iter()
                .map(|p| {
                    let text = std::fs::read_to_string(&p).map_err(|e| SchemaError::Io {
                        file: p.display().to_string(),
                        message: e.to_string(),
                    })?;
                    Ok((p.display().to_string(), text))
                })
                .collect()
        };
        let site_file = dir.join("site.toml");
        let site = match std::fs::read_to_string(&site_file) {
            Ok(text) => (site_file.display().to_string(), text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (EMBEDDED_SITE.0.to_string(), EMBEDDED_SITE.1.to_string()),
            Err(e) => {
                return Err(SchemaError::Io {
                    file: site_file.display().to_string(),
                    message: e.to_string(),
                });
            }
        };
        let sources = Sources {
            forms: read("forms")?,
            regions: read("regions")?,
            calendar: read("calendar")?,
            site,
        };
        Schemas::from_sources(sources, province)
    }

    fn from_sources(sources: Sources, province: Option<&str>) -> Result<Schemas, SchemaError> {
        let Sources {
            forms,
            regions,
            calendar,
            site,
        } = sources;
        let (registers, forms): (Vec<_>, Vec<_>) = forms.iter().partition(|(f, _)| f.ends_with(REGISTER_SUFFIX));
        let forms = forms.iter().map(|(f, t)| Form::parse(f, t)).collect::<Result<Vec<_>, _>>()?;
        if forms.is_empty() {
            return Err(SchemaError::Invalid {
                file: "forms/".into(),
                message: "没有任何报表模式".into(),
            });
        }
        let register = match registers.as_slice() {
            [] => None,
            [(f, t)] => {
                let r = crate::register::Register::parse(f, t, forms[0].width())?;
                if r.form != forms[0].id {
                    return Err(invalid(f)(format!("台账属于报表“{}”，不是“{}”", r.form, forms[0].id)));
                }
                Some(std::sync::Arc::new(r))
            }
            _ => return Err(invalid("forms/")("台账模式文件多于一个".into())),
        };
        let province = match province {
            Some(p) => p.trim().to_string(),
            None => parse_toml::<Site>(&site.0, &site.1)?.province,
        };
        let reg = installation_regions(&province, &regions)?;
        let mut cal = Calendar::default();
        for (f, t) in &calendar {
            cal.parse(f, t)?;
        }
        Ok(Schemas {
            forms,
            register,
            regions: reg,
            calendar: cal,
            since: Default::default(),
            past: Default::default(),
            history: Default::default(),
            months: Default::default(),
            successors: Default::default(),
            merged: Default::default(),
        })
    }

    /// The first month of the installation's current divisions: the latest change to them in
    /// the national list (read once, when first asked).
    pub fn current_since(&self) -> Option<crate::period::Period> {
        *self.since.get_or_init(|| divisions::latest_change(&self.province().code))
    }

    /// These schemas with the installation's regions as they were in `month`, when they differ
    /// from today's: None for a month of the current divisions (or one the national list cannot
    /// answer). Built once a month, its region names' automaton with it.
    pub fn at(&self, month: crate::period::Period) -> Option<std::sync::Arc<Schemas>> {
        if self.current_since().is_none_or(|since| month >= since) {
            return None;
        }
        let mut past = self.past.lock().unwrap_or_else(|p| p.into_inner());
        past.entry(month)
            .or_insert_with(|| {
                let then = self.divisions_at(Some(month))?;
                let regions = Regions::from_divisions(&then, &self.province().code)?;
                // A cache of its own: it holds no earlier months, and no cycle through this one.
                Some(std::sync::Arc::new(Schemas {
                    regions,
                    past: Default::default(),
                    ..self.clone()
                }))
            })
            .clone()
    }

    /// What became of the division `code` if it is no longer in force (see
    /// [`divisions::History::successor`]).
    pub fn successor(&self, code: &str) -> Option<divisions::Succession> {
        let mut cache = self.successors.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .entry(code.to_string())
            .or_insert_with(|| self.history().and_then(|h| h.successor(code)))
            .clone()
    }

    /// Whether `code` was a division in some month since the national list began.
    pub fn ever_a_division(&self, code: &str) -> bool {
        self.history().is_some_and(|h| h.knows(code))
    }

    /// Today's divisions that took in more than one gone division whole (see
    /// [`divisions::History::merged`]).
    pub fn merged(&self) -> &std::collections::HashSet<String> {
        self.merged.get_or_init(|| self.history().map(|h| h.merged()).unwrap_or_default())
    }

    /// The changes to the divisions under `top` from `from` to today (see
    /// [`divisions::History::changes_between`]): a comparison across them reads both in today's.
    pub fn changes_since(&self, top: &str, from: crate::period::Period) -> Vec<divisions::Change> {
        let (Some(h), Some(then), Some(now)) = (self.history(), self.divisions_at(Some(from)), self.divisions_at(None)) else {
            return Vec::new();
        };
        h.changes_between(top, &then, &now)
    }

    /// The national divisions of `month` (today's for None), built once (an annual report
    /// compares the same two for every city).
    fn divisions_at(&self, month: Option<crate::period::Period>) -> Option<std::sync::Arc<divisions::Divisions>> {
        let mut cache = self.months.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .entry(month)
            .or_insert_with(|| self.history()?.at(month).ok().map(std::sync::Arc::new))
            .clone()
    }

    fn history(&self) -> Option<&divisions::History> {
        self.history.get_or_init(|| divisions::History::embedded().ok()).as_ref()
    }

    /// The heading of the label column of `region`'s sheet: what its rows are (乡镇（街道）
    /// for a county, 县（市、区） for a city, 市 for a province of cities …).
    pub fn row_heading(&self, region: &Region) -> String {
        let labels = &self.form().row_labels;
        if self.regions.is_leaf(region) {
            labels.county.clone()
        } else if region.level == Level::City {
            labels.city.clone()
        } else if region.level == Level::Nation {
            labels.nation.clone()
        } else {
            // A province's rows are its cities; a municipality's, its districts; where the
            // province also oversees county-level units itself (海南省), both.
            match self.regions.below_province(&region.code) {
                (false, true) => labels.city.clone(),
                (true, true) => format!("{}、{}", labels.province, labels.city),
                _ => labels.province.clone(),
            }
        }
    }

    /// The installation's province.
    pub fn province(&self) -> &Region {
        self.regions.root().expect("the regions always have their province")
    }

    /// The register behind the form (附件2), if the schemas have one.
    pub fn register(&self) -> Option<&crate::register::Register> {
        self.register.as_deref()
    }

    /// The form in use. The project files one form; the first is it.
    pub fn form(&self) -> &Form {
        &self.forms[0]
    }
}

/// The installation's regions: the `regions/` file whose province is `province`, or else
/// `province`'s part of the current divisions.
fn installation_regions(province: &str, files: &[(String, String)]) -> Result<Regions, SchemaError> {
    for (f, t) in files {
        let mut one = Regions::default();
        one.parse(f, t)?;
        if one.root().is_some_and(|r| r.code == province) {
            return Ok(one);
        }
    }
    let divisions = divisions::Divisions::embedded()?;
    Regions::from_divisions(&divisions, province).ok_or_else(|| {
        let known = divisions::provinces()
            .iter()
            .map(|(code, name)| format!("{code} {name}"))
            .collect::<Vec<_>>()
            .join("、");
        SchemaError::Invalid {
            file: "site.toml".into(),
            message: format!("省份代码“{province}”不是省级行政区划的代码；可用的有：{known}"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_schemas_load() {
        let s = Schemas::embedded().unwrap();
        let f = s.form();
        assert_eq!(f.width(), 21);
        assert_eq!(f.rules.len(), 9);
        assert_eq!(f.column_name(3), "期末有就业愿望和劳动能力的人数");
        assert_eq!(f.span(&form::HeaderNode::Column(1)), (1, 20));
        assert_eq!(f.descendants(&form::HeaderNode::Column(3)), (5..=17).collect::<Vec<_>>());
        assert_eq!(f.header_depth(), 4);
        let bands: Vec<(String, usize, usize, usize)> = f.bands().into_iter().map(|b| (b.text, b.first, b.last, b.level)).collect();
        assert_eq!(
            bands,
            [
                ("其中".to_string(), 2, 20, 0),
                ("其中".to_string(), 3, 17, 1),
                ("有就业愿望和劳动能力的人员中".to_string(), 5, 17, 2),
                ("期末参加居民社会保险人数".to_string(), 18, 19, 1)
            ]
        );
        assert_eq!(
            (f.level(1), f.level(2), f.level(4), f.level(5), f.level(8), f.level(18), f.level(21)),
            (0, 1, 2, 3, 3, 2, 0)
        );
    }

    #[test]
    fn shandong_has_16_cities_and_136_counties() {
        let s = Schemas::embedded().unwrap();
        let r = &s.regions;
        assert_eq!(r.all().iter().filter(|x| x.level == Level::City).count(), 16);
        assert_eq!(r.all().iter().filter(|x| x.level == Level::County).count(), 136);
        assert_eq!(r.children("371300").len(), 12);
        assert!(r.get("371200").is_none(), "莱芜市 was merged into 济南 in 2019");
        assert_eq!(r.get("370116").unwrap().name, "莱芜区");
        assert_eq!(r.get("370614").unwrap().name, "蓬莱区");
        assert!(r.all().iter().all(|x| x.name != "长岛县"));
    }

    #[test]
    fn resolves_what_people_write() {
        let s = Schemas::embedded().unwrap();
        let r = &s.regions;
        for t in [
            "兰山区",
            "临沂市兰山区",
            "371302",
            "兰山区（371302）",
            "兰山",
            "371302-兰山区-2026-10.xlsx",
            "填报单位：兰山区",
        ] {
            assert_eq!(r.resolve(t).map(|x| x.code.as_str()), Ok("371302"), "{t}");
        }
        assert_eq!(r.resolve("临沂市").unwrap().code, "371300");
        assert_eq!(r.resolve("东营区").unwrap().code, "370502");
        assert_eq!(r.resolve("枣庄市市中区").unwrap().code, "370402");
        assert!(matches!(r.resolve("市中区"), Err(regions::Resolve::Ambiguous(v)) if v.len() == 2));
        assert_eq!(r.resolve("火星区"), Err(regions::Resolve::NotFound));
        assert_eq!(r.display(r.get("370103").unwrap()), "济南市市中区（370103）");
    }

    #[test]
    fn broken_relation_names_file_and_position() {
        let text = include_str!("../../../../schemas/forms/jdlk-jyshbz.toml").replace("(13) ≥ (14)", "(13) ≥≥ (14)");
        let e = Form::parse("schemas/forms/x.toml", &text).unwrap_err().to_string();
        assert!(e.contains("schemas/forms/x.toml") && e.contains("第 76 个字符"), "{e}");
    }
}
