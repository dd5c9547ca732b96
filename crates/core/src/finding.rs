//! Findings are data: one struct, a catalogue of stable codes, printed as text, JSON or
//! annotations by the callers.

use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "错误",
            Severity::Warning => "警告",
            Severity::Info => "提示",
        }
    }
}

/// Declares the codes once: the enum, its stable text, and the list of all of them.
macro_rules! codes {
    ($($name:ident => $code:literal $sev:ident,)*) => {
        /// Every kind of finding, with its stable code. JSON consumers key on the code, not the text.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($name,)*
        }

        impl Code {
            /// Every code, for reading stored findings back.
            pub const ALL: &[Code] = &[$(Code::$name,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$name => $code,)*
                }
            }

            pub fn severity(self) -> Severity {
                match self {
                    $(Code::$name => Severity::$sev,)*
                }
            }
        }
    };
}

codes! {
    FileUnreadable => "E001" Error,
    NoTable => "E002" Error,
    UnknownRegion => "E003" Error,
    NoPeriod => "E004" Error,
    NoRows => "E005" Error,
    EmptyFile => "E006" Error,
    OverLimit => "E007" Error,
    NotRegularFile => "E008" Error,
    Encrypted => "E009" Error,
    NotSpreadsheet => "E010" Error,
    Damaged => "E011" Error,
    PeriodNotInBook => "E012" Error,
    Negative => "E101" Error,
    Fraction => "E102" Error,
    FormulaNoValue => "E103" Error,
    NotANumber => "E104" Error,
    ErrorValue => "E105" Error,
    RuleBroken => "E201" Error,
    TotalMismatch => "E202" Error,
    DuplicateTotal => "E203" Error,
    EmptyForm => "E204" Error,
    SubtotalMismatch => "E205" Error,
    ExtraFormSheet => "W001" Warning,
    RegionConflict => "W002" Warning,
    PeriodConflict => "W003" Warning,
    TextNumber => "W101" Warning,
    FullWidthDigits => "W102" Warning,
    ThousandsSeparator => "W103" Warning,
    NoTotalRow => "W201" Warning,
    DuplicateLabel => "W202" Warning,
    UnlabelledRow => "W203" Warning,
    FooterMissing => "W301" Warning,
    RegionFromElsewhere => "I001" Info,
    PeriodFromElsewhere => "I002" Info,
    FormatMismatch => "I003" Info,
    Unlisted => "I004" Info,
    SheetChosen => "I005" Info,
    SubtotalRows => "I006" Info,
    HiddenFigures => "I007" Info,
    BlankCell => "I101" Info,
    NotReported => "I102" Info,
    BaselineMismatch => "E401" Error,
    LargeChange => "W401" Warning,
    TownshipDropped => "W402" Warning,
    BaselineSet => "I401" Info,
    RegisterNoHeadings => "E501" Error,
    RegisterBadId => "E502" Error,
    RegisterSexMismatch => "E503" Error,
    RegisterOtherCounty => "E504" Error,
    RegisterUnknownTownship => "E505" Error,
    RegisterNotAllowed => "E506" Error,
    RegisterMissing => "E507" Error,
    RegisterDuplicate => "E508" Error,
    RegisterBadDate => "E509" Error,
    RegisterExclusive => "E510" Error,
    RegisterContradiction => "W501" Warning,
    RegisterPhone => "W502" Warning,
    RegisterMismatch => "W503" Warning,
}

impl Code {
    /// Whether a submission with this finding is held as 待说明 until it carries a 说明: every
    /// warning except the unsigned signature block, which is signed on the paper copy.
    pub fn needs_explanation(self) -> bool {
        self.severity() == Severity::Warning && self != Code::FooterMissing
    }
}

impl std::str::FromStr for Code {
    type Err = String;

    fn from_str(s: &str) -> Result<Code, String> {
        Code::ALL.iter().copied().find(|c| c.as_str() == s).ok_or_else(|| format!("未知的审核代码 {s}"))
    }
}

impl<'de> serde::Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Code, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// How many findings of each severity a list holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Summary {
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Summary {
        let mut s = Summary::default();
        for f in findings {
            s.add(f.severity, 1);
        }
        s
    }

    pub fn add(&mut self, severity: Severity, n: usize) {
        match severity {
            Severity::Error => self.errors += n,
            Severity::Warning => self.warnings += n,
            Severity::Info => self.infos += n,
        }
    }
}

/// Why a region or a file did not count, kept as data until a front end shows it: a finding, or
/// a sentence of the workflow's own (a return, a duplicate, another period). JSON shows it as
/// the text.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// A finding with its place: `10月!E9 E201 岸堤镇：第(3)栏 …`.
    Finding(Finding),
    /// A finding without its place: `E201 第(3)栏 …`.
    Brief(Finding),
    Text(String),
}

impl Reason {
    pub fn finding(&self) -> Option<&Finding> {
        match self {
            Reason::Finding(f) | Reason::Brief(f) => Some(f),
            Reason::Text(_) => None,
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Finding(f) => write!(out, "{}", f.short()),
            Reason::Brief(f) => write!(out, "{} {}", f.code.as_str(), f.message),
            Reason::Text(t) => write!(out, "{t}"),
        }
    }
}

impl Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One thing the validator has to say about one place in one file.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub file: String,
    pub sheet: Option<String>,
    /// A1 reference, e.g. `E9`.
    pub cell: Option<String>,
    /// 0-based (row, col) for writers; users only ever see `cell`.
    #[serde(skip, default)]
    pub pos: Option<(u32, u32)>,
    pub row_label: Option<String>,
    pub column: Option<usize>,
    pub column_name: Option<String>,
    /// The values involved (found value, sums, sides of a relation …).
    pub values: BTreeMap<String, serde_json::Value>,
    pub message: String,
    /// What a library said (in its own words) when a file could not be read: for maintainers,
    /// never shown as the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Finding {
    pub fn new(code: Code, file: &str, message: impl Into<String>) -> Finding {
        Finding {
            code,
            severity: code.severity(),
            file: file.to_string(),
            sheet: None,
            cell: None,
            pos: None,
            row_label: None,
            column: None,
            column_name: None,
            values: BTreeMap::new(),
            message: message.into(),
            detail: None,
        }
    }

    pub fn at(mut self, sheet: &str, pos: (u32, u32)) -> Finding {
        self.sheet = Some(sheet.to_string());
        self.cell = Some(crate::text::a1(pos.0, pos.1));
        self.pos = Some(pos);
        self
    }

    pub fn in_sheet(mut self, sheet: &str) -> Finding {
        self.sheet = Some(sheet.to_string());
        self
    }

    pub fn row(mut self, label: &str) -> Finding {
        self.row_label = Some(label.to_string());
        self
    }

    pub fn column(mut self, no: usize, name: &str) -> Finding {
        self.column = Some(no);
        self.column_name = Some(name.to_string());
        self
    }

    pub fn value(mut self, key: &str, v: impl Into<serde_json::Value>) -> Finding {
        self.values.insert(key.to_string(), v.into());
        self
    }

    /// The line without the file name, for places that already name the file:
    /// `Sheet1!E9 E201 兰山街道：第(3)栏 …`.
    pub fn short(&self) -> String {
        let place = match (&self.sheet, &self.cell) {
            (Some(s), Some(c)) => format!("{s}!{c} "),
            _ => String::new(),
        };
        let row = self.row_label.as_deref().map(|l| format!("{l}：")).unwrap_or_default();
        format!("{place}{} {row}{}", self.code.as_str(), self.message)
    }

    /// The concise text line: `兰山区.xlsx:Sheet1!E9: E201 兰山街道：第(3)栏 …`.
    pub fn line(&self) -> String {
        let place = match (&self.sheet, &self.cell) {
            (Some(s), Some(c)) => format!("{}:{}!{}", self.file, s, c),
            (Some(s), None) => format!("{}:{}", self.file, s),
            _ => self.file.clone(),
        };
        match &self.row_label {
            Some(l) => format!("{place}: {} {l}：{}", self.code.as_str(), self.message),
            None => format!("{place}: {} {}", self.code.as_str(), self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_read_back() {
        let mut seen = std::collections::HashSet::new();
        for &c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{} twice", c.as_str());
            assert_eq!(c.as_str().parse::<Code>().unwrap(), c);
        }
        let f = Finding::new(Code::LargeChange, "a.xlsx", "变动大").at("Sheet1", (8, 4)).value("上月", 10);
        let back: Finding = serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap();
        assert_eq!(
            (back.code, back.severity, back.cell.as_deref()),
            (Code::LargeChange, Severity::Warning, Some("E9"))
        );
        assert!("E999".parse::<Code>().is_err());
    }

    /// The letter of a code says its severity; the table says it once, and they agree.
    #[test]
    fn severities_match_the_letters() {
        for &c in Code::ALL {
            let want = match c.as_str().as_bytes()[0] {
                b'E' => Severity::Error,
                b'W' => Severity::Warning,
                _ => Severity::Info,
            };
            assert_eq!(c.severity(), want, "{}", c.as_str());
        }
    }

    #[test]
    fn the_readme_explains_every_code() {
        let readme = include_str!("../../../README.md");
        for c in Code::ALL {
            let row = format!("| {} | {} |", c.as_str(), c.severity().label());
            assert!(readme.contains(&row), "README.md has no row {row}");
        }
    }
}
