//! Which region and month a sheet is for, from the lines above its table, its file name and the
//! caller's hints.
//!
//! The region: counties overwrite the printed `_____县(区)` line in many ways
//! (`兰山区`, `临沂市兰山区`, `兰山区（盖章）`, `371302`, `兰山区人社局` …), so every text above
//! the table is a candidate: `填报单位：` first, then the filled-in placeholder, any other cell
//! above the header tree, and the title. A county wins over its city. The printed title names
//! the city (`临沂市建档立卡…`), so a city found only there never overrides a county from
//! another cell or from the file name, and alone it stands only for a sheet whose rows are that
//! city's counties.

use super::Hints;
use crate::finding::{Code, Finding};
use crate::ingest::{FormSheet, HeaderText, HeaderTextKind};
use crate::period::Period;
use crate::schema::regions::{Level, Resolve};
use crate::schema::{Region, Schemas};

#[derive(Clone, Copy)]
struct Candidate<'a> {
    region: &'a Region,
    kind: HeaderTextKind,
    pos: (u32, u32),
}

/// Where the region came from besides the sheet.
struct Outside<'a> {
    region: &'a Region,
    /// `文件名`, or where the hint came from (`命令行参数 --region`), for messages.
    source: String,
}

/// A header text that named no region, or named several: what to say, and where.
type Problem = (String, (u32, u32));

pub(super) fn resolve_region<'a>(fs: &FormSheet, name: &str, schemas: &'a Schemas, hints: &Hints, file: &str, out: &mut Vec<Finding>) -> Option<&'a Region> {
    let regions = &schemas.regions;
    let (cands, mut problems) = candidates(fs, schemas);
    let outside = outside_sources(name, hints, schemas);
    let outside: Vec<&Outside<'a>> = outside.iter().collect();
    // A city named only in the title is weak: the printed form's title names the city.
    let (weak, strong): (Vec<Candidate<'a>>, Vec<Candidate<'a>>) = cands
        .into_iter()
        .partition(|c| c.kind == HeaderTextKind::Title && !schemas.regions.is_leaf(c.region));
    let specific = most_specific(&strong, schemas);
    if let Some(best) = specific.first().copied() {
        let rivals: Vec<&Candidate<'a>> = specific[1..].iter().filter(|c| c.kind == best.kind).collect();
        if rivals.is_empty() {
            return from_header(best, &specific[1..], &outside, fs, schemas, file, out);
        }
        let names: Vec<String> = std::iter::once(&best).chain(rivals).map(|c| regions.display(c.region)).collect();
        problems.insert(0, (format!("表头同时写有 {}，无法确定是哪个地区的报表", names.join("、")), best.pos));
    }
    if problems.is_empty()
        && let Some(city) = weak.first().copied()
    {
        return from_title_city(city, outside.first().copied(), fs, schemas, file, out);
    }
    from_outside(outside.first().copied(), problems.first(), fs, schemas, hints, file, out)
}

/// Every header text that names a region, and those that should have and did not (a
/// `填报单位` line or placeholder that names nothing known, a name shared by several regions).
fn candidates<'a>(fs: &FormSheet, schemas: &'a Schemas) -> (Vec<Candidate<'a>>, Vec<Problem>) {
    let regions = &schemas.regions;
    let mut cands: Vec<Candidate<'a>> = Vec::new();
    let mut problems: Vec<Problem> = Vec::new();
    let mut distrust: Vec<Problem> = Vec::new();
    let mut ambiguous: Vec<(&HeaderText, Vec<String>)> = Vec::new();
    let scope = regions.all().first().map_or(String::new(), |root| format!("{}的", root.name));
    for h in &fs.header {
        // A division code of another time (莱芜区's 370116 on a 2018 sheet): neither it nor the
        // name beside it decides, nor any other text of the header (莱芜区人社局 would read as
        // 莱芜市 by its short name). A six-digit number that never was a division code (a typo,
        // a postal code) is passed over as before.
        if let Some(code) = regions.unknown_code(&h.text).filter(|c| schemas.ever_a_division(c)) {
            if h.kind <= HeaderTextKind::Placeholder {
                let gone = schemas
                    .successor(&code)
                    .map(|g| format!("（{code} {}已不是现行区划：{}）", g.from.name, g.what))
                    .unwrap_or_default();
                distrust.push((format!("表内填报单位“{}”中的代码 {code} 不是该月{scope}区划代码{gone}", h.text), h.pos));
            }
            continue;
        }
        match regions.resolve(&h.text) {
            Ok(region) => cands.push(Candidate {
                region,
                kind: h.kind,
                pos: h.pos,
            }),
            Err(Resolve::Ambiguous(c)) => ambiguous.push((h, c)),
            Err(Resolve::NotFound) if h.kind <= HeaderTextKind::Placeholder => {
                problems.push((format!("表内填报单位“{}”不是{scope}县（市、区）、市或省", h.text), h.pos))
            }
            Err(Resolve::NotFound) => {}
        }
    }
    // A city named elsewhere in the header tells 济南市市中区 from 枣庄市市中区.
    for (h, c) in ambiguous {
        let by_city = cands.iter().filter(|x| x.region.level == Level::City).find_map(|city| {
            regions
                .resolve(&format!("{}{}", city.region.name, h.text))
                .ok()
                .filter(|r| r.parent.as_deref() == Some(city.region.code.as_str()))
        });
        match by_city {
            Some(region) => cands.push(Candidate {
                region,
                kind: h.kind,
                pos: h.pos,
            }),
            None => problems.push((
                format!("表内填报单位“{}”可能是 {}，请写明所属市或填写 6 位区划代码", h.text, c.join("或")),
                h.pos,
            )),
        }
    }
    if !distrust.is_empty() {
        // The header is of another time: only the file name or the caller decides.
        return (Vec::new(), distrust);
    }
    (cands, problems)
}

/// The file name, then the caller's hint.
fn outside_sources<'a>(name: &str, hints: &Hints, schemas: &'a Schemas) -> Vec<Outside<'a>> {
    let regions = &schemas.regions;
    let of_another_time = regions.unknown_code(name).is_some_and(|c| schemas.ever_a_division(&c));
    let from_name = (!of_another_time).then(|| regions.resolve(name).ok()).flatten().map(|region| Outside {
        region,
        source: "文件名".to_string(),
    });
    let from_flag = hints.region.as_deref().and_then(|h| regions.resolve(h).ok()).map(|region| Outside {
        region,
        source: hints.region_source().to_string(),
    });
    [from_name, from_flag].into_iter().flatten().collect()
}

/// The candidates no other candidate refines (a county wins over its city), strongest kind
/// first, one per region.
fn most_specific<'a>(strong: &[Candidate<'a>], schemas: &Schemas) -> Vec<Candidate<'a>> {
    let mut specific: Vec<Candidate<'a>> = strong
        .iter()
        .copied()
        .filter(|c| {
            !strong
                .iter()
                .any(|o| o.region.code != c.region.code && schemas.regions.within(o.region, &c.region.code))
        })
        .collect();
    specific.sort_by_key(|c| c.kind);
    specific.dedup_by(|a, b| a.region.code == b.region.code);
    specific
}

/// The header names `best` (and `others` of a weaker kind, which get a warning).
fn from_header<'a>(
    best: Candidate<'a>,
    others: &[Candidate<'a>],
    outside: &[&Outside<'a>],
    fs: &FormSheet,
    schemas: &'a Schemas,
    file: &str,
    out: &mut Vec<Finding>,
) -> Option<&'a Region> {
    let regions = &schemas.regions;
    for other in others {
        out.push(
            Finding::new(
                Code::RegionConflict,
                file,
                format!(
                    "表头另写有{}，与{}不一致，以{}为准",
                    regions.display(other.region),
                    regions.display(best.region),
                    kind_label(best.kind)
                ),
            )
            .at(&fs.sheet, other.pos)
            .value("sheet", best.region.code.clone())
            .value("other", other.region.code.clone()),
        );
    }
    let chosen = settle(best, outside, fs, schemas, file, out);
    // A city or the province named in passing (`临沂市人社局`) above a sheet of townships does
    // not make it the city's sheet.
    if !schemas.regions.is_leaf(chosen) && best.kind != HeaderTextKind::Labeled && !rows_are_children(fs, schemas, chosen) {
        out.push(
            Finding::new(
                Code::UnknownRegion,
                file,
                format!(
                    "表头只写有“{}”，没有写明是哪个县（市、区）的报表；请在“填报单位”一行写明县区名称或 6 位区划代码",
                    chosen.name
                ),
            )
            .at(&fs.sheet, best.pos),
        );
        return None;
    }
    Some(chosen)
}

/// Only the title names a region, and it is a city: the file name or hint decides, else the
/// city stands only for a sheet of its own counties.
fn from_title_city<'a>(
    city: Candidate<'a>,
    outside: Option<&Outside<'a>>,
    fs: &FormSheet,
    schemas: &'a Schemas,
    file: &str,
    out: &mut Vec<Finding>,
) -> Option<&'a Region> {
    let regions = &schemas.regions;
    if let Some(o) = outside {
        let related = regions.within(o.region, &city.region.code) || regions.within(city.region, &o.region.code);
        if related {
            out.push(
                Finding::new(
                    Code::RegionFromElsewhere,
                    file,
                    format!("表内只在标题中写有{}，按{}确定为{}", city.region.name, o.source, regions.display(o.region)),
                )
                .in_sheet(&fs.sheet),
            );
        } else {
            out.push(
                Finding::new(
                    Code::RegionConflict,
                    file,
                    format!(
                        "标题中的{}与{}中的{}不一致，以{}为准",
                        regions.display(city.region),
                        o.source,
                        regions.display(o.region),
                        o.source
                    ),
                )
                .at(&fs.sheet, city.pos)
                .value("sheet", city.region.code.clone())
                .value("other", o.region.code.clone()),
            );
        }
        return Some(o.region);
    }
    if rows_are_children(fs, schemas, city.region) {
        return Some(city.region);
    }
    out.push(
        Finding::new(
            Code::UnknownRegion,
            file,
            format!(
                "标题中只有“{}”，没有写明是哪个县（市、区）的报表；请在“填报单位”一行写明县区名称或 6 位区划代码",
                city.region.name
            ),
        )
        .at(&fs.sheet, city.pos),
    );
    None
}

/// The header settles nothing: the file name or the hint, with what the header got wrong.
fn from_outside<'a>(
    outside: Option<&Outside<'a>>,
    problem: Option<&Problem>,
    fs: &FormSheet,
    schemas: &'a Schemas,
    hints: &Hints,
    file: &str,
    out: &mut Vec<Finding>,
) -> Option<&'a Region> {
    match (outside, problem) {
        (Some(o), problem) => {
            let why = match problem {
                Some((msg, _)) => format!("{msg}；"),
                None => "表内没有填写填报单位；".to_string(),
            };
            let mut f = Finding::new(
                if problem.is_some() { Code::RegionConflict } else { Code::RegionFromElsewhere },
                file,
                format!("{why}按{}确定为{}", o.source, schemas.regions.display(o.region)),
            )
            .in_sheet(&fs.sheet);
            if let Some((_, pos)) = problem {
                f = f.at(&fs.sheet, *pos);
            }
            out.push(f);
            Some(o.region)
        }
        (None, Some((msg, pos))) => {
            let flag = flag_note(hints);
            out.push(Finding::new(Code::UnknownRegion, file, format!("{msg}，文件名中也没有可识别的地区{flag}")).at(&fs.sheet, *pos));
            None
        }
        (None, None) => {
            let flag = flag_note(hints);
            out.push(
                Finding::new(
                    Code::UnknownRegion,
                    file,
                    format!("无法确定填报单位：表头（标题、填报单位一行及表头其他单元格）中没有可识别的县（市、区）名称或代码，文件名中也没有{flag}"),
                )
                .in_sheet(&fs.sheet),
            );
            None
        }
    }
}

fn flag_note(hints: &Hints) -> String {
    match &hints.region {
        Some(h) => format!("；{}“{h}”也无法识别", hints.region_source()),
        None => "；请在表头写明填报单位".into(),
    }
}

fn kind_label(k: HeaderTextKind) -> &'static str {
    match k {
        HeaderTextKind::Labeled => "填报单位一行",
        HeaderTextKind::Placeholder => "县（区）一行",
        HeaderTextKind::Other => "表头",
        HeaderTextKind::Title => "标题",
    }
}

/// The sheet names `best`; the file name and `--region` only refine it (a county inside a city
/// the sheet named outside its `填报单位` line) or disagree with it (the sheet wins).
fn settle<'a>(best: Candidate<'a>, outside: &[&Outside<'a>], fs: &FormSheet, schemas: &'a Schemas, file: &str, out: &mut Vec<Finding>) -> &'a Region {
    let regions = &schemas.regions;
    for o in outside {
        if o.region.code == best.region.code {
            continue;
        }
        let finer = regions.within(o.region, &best.region.code);
        if finer && best.kind != HeaderTextKind::Labeled {
            out.push(
                Finding::new(
                    Code::RegionFromElsewhere,
                    file,
                    format!("表内只写有{}，按{}确定为{}", best.region.name, o.source, regions.display(o.region)),
                )
                .in_sheet(&fs.sheet),
            );
            return o.region;
        }
        if !finer && !regions.within(best.region, &o.region.code) {
            out.push(
                Finding::new(
                    Code::RegionConflict,
                    file,
                    format!(
                        "表内填报单位为{}，与{}中的{}不一致，以表内为准",
                        regions.display(best.region),
                        o.source,
                        regions.display(o.region)
                    ),
                )
                .at(&fs.sheet, best.pos)
                .value("sheet", best.region.code.clone())
                .value("other", o.region.code.clone()),
            );
        }
    }
    best.region
}

/// Whether the sheet's rows are `region`'s own parts (a city's counties, the province's
/// cities): then a title naming `region` is the sheet's unit.
fn rows_are_children(fs: &FormSheet, schemas: &Schemas, region: &Region) -> bool {
    let regions = &schemas.regions;
    let labels: Vec<&str> = fs
        .rows
        .iter()
        .filter(|r| !r.is_total && !r.is_subtotal && !r.label.is_empty())
        .map(|r| r.label.as_str())
        .collect();
    let children = labels
        .iter()
        .filter(|l| regions.resolve(l).is_ok_and(|r| r.parent.as_deref() == Some(region.code.as_str())))
        .count();
    children > 0 && children * 2 >= labels.len()
}

pub(super) fn resolve_period(fs: &FormSheet, name: &str, hints: &Hints, file: &str, out: &mut Vec<Finding>) -> Option<Period> {
    let in_sheet = fs.period_hints.iter().find_map(|l| Period::find_in(&l.text).map(|p| (p, l)));
    let from_name = Period::find_in(name);
    if let Some((p, line)) = in_sheet {
        for (other, what) in [(from_name, "文件名中的".to_string()), (hints.period, format!("{}中的", hints.period_source()))] {
            if let Some(o) = other.filter(|o| *o != p) {
                out.push(
                    Finding::new(
                        Code::PeriodConflict,
                        file,
                        format!("表内报告期为 {}，与{}报告期 {} 不一致，以表内为准", p.label(), what, o.label()),
                    )
                    .at(&fs.sheet, line.pos)
                    .value("sheet", p.to_string())
                    .value("other", o.to_string()),
                );
            }
        }
        return Some(p);
    }
    // A sheet named for its month (`2026年10月`, or `10月` with the year from the file name or
    // the caller) is the weakest source: a single sheet is often still called `9月` from last
    // month's copy.
    let year = from_name.or(hints.period).map(|p| p.year);
    let sheet_name = match super::choose::from_sheet_name(&fs.sheet, year) {
        super::choose::Own::Full(p) => Some(p),
        _ => None,
    };
    let sheet_source = format!("工作表名“{}”", fs.sheet);
    match from_name
        .map(|p| (p, "文件名"))
        .or(hints.period.map(|p| (p, hints.period_source())))
        .or(sheet_name.map(|p| (p, sheet_source.as_str())))
    {
        Some((p, src)) => {
            out.push(Finding::new(Code::PeriodFromElsewhere, file, format!("表内没有填写报告期，按{src}确定为 {}", p.label())).in_sheet(&fs.sheet));
            Some(p)
        }
        None => {
            out.push(
                Finding::new(
                    Code::NoPeriod,
                    file,
                    "无法确定报告期：表头没有“报告期：2026年10月”，文件名中也没有年月；请在表头写明报告期",
                )
                .in_sheet(&fs.sheet),
            );
            None
        }
    }
}
