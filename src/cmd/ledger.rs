//! `yuebao ledger`: a county's register (附件2) checked person by person, imported into the
//! store with its personal fields sealed, and its monthly sheet derived from it.

use crate::cli::{KeyArgs, LedgerArgs, LedgerCommand, LedgerImportArgs, LedgerSheetArgs, OutputFormat};
use crate::finding::{Finding, Severity, Summary};
use crate::limits::Limits;
use crate::register::{Register, RegisterSheet, idcard};
use crate::schema::{Region, Schemas};
use crate::workbook::form::{FormDoc, FormRow, write_form};
use crate::workflow::ledger::{CheckedRegister, DerivedRow, Hand, PersonalKey, derive_cards};
use crate::workflow::{Actor, Workflow};
use anyhow::Context;
use std::path::{Path, PathBuf};

pub fn run(c: &LedgerCommand, schemas: &Schemas, clock: &super::Clock) -> anyhow::Result<i32> {
    match c {
        LedgerCommand::Check(a) => check(a, schemas, clock),
        LedgerCommand::Import(a) => import(a, schemas, clock),
        LedgerCommand::Sheet(a) => sheet(a, schemas, clock),
        LedgerCommand::Duplicates { region, store, format } => duplicates(region.as_deref(), store, *format, schemas, clock),
    }
}

fn register(schemas: &Schemas) -> anyhow::Result<&Register> {
    Ok(crate::workflow::ledger::register_of(schemas)?)
}

fn county<'a>(schemas: &'a Schemas, text: &str) -> anyhow::Result<&'a Region> {
    let r = super::region_arg(schemas, text)?;
    if !schemas.regions.is_leaf(r) {
        anyhow::bail!("台账按县区建立：{} 不是县区（请给县区的代码或名称）", schemas.regions.display(r));
    }
    Ok(r)
}

/// Where the personal-data key is: `--key-file` / `YUEBAO_KEY_FILE` (given: true), or the one in
/// the user's configuration directory. Never inside the data directory.
pub fn key_path(args: &KeyArgs, data: &Path) -> anyhow::Result<(PathBuf, bool)> {
    let (path, given) = match &args.key_file {
        Some(p) => (p.clone(), true),
        None => {
            let base = std::env::var_os("XDG_CONFIG_HOME")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".config")))
                .ok_or_else(|| anyhow::anyhow!("找不到用户配置目录（HOME 未设置）：请用 --key-file 指定个人信息密钥文件"))?;
            (base.join("yuebao").join("personal.key"), false)
        }
    };
    let abs = |p: &Path| std::fs::canonicalize(p).or_else(|_| std::path::absolute(p)).unwrap_or_else(|_| p.to_path_buf());
    let key_dir = abs(path.parent().unwrap_or(Path::new(".")));
    if key_dir.starts_with(abs(data)) {
        anyhow::bail!(
            "个人信息密钥文件 {} 在数据目录 {} 之内：密钥须与数据分开存放，请放在别处（--key-file）",
            path.display(),
            data.display()
        );
    }
    Ok((path, given))
}

/// The key at `path`; when there is none there, a new one if `create` (never for a path the
/// user gave), with the advice to keep a copy apart from the data.
pub fn key_at(path: &Path, given: bool, create: bool) -> anyhow::Result<Option<PersonalKey>> {
    if path.exists() {
        return PersonalKey::read(path).map(Some).map_err(anyhow::Error::msg);
    }
    if given {
        anyhow::bail!(
            "个人信息密钥文件 {} 不存在：第一次使用时不给 --key-file，程序会在用户配置目录中生成一个",
            path.display()
        );
    }
    if !create {
        return Ok(None);
    }
    let key = PersonalKey::create(path).map_err(anyhow::Error::msg)?;
    eprintln!(
        "已生成个人信息密钥 {}：请把它复制到数据目录之外的其他介质上备份；遗失后台账中的身份证号码、电话和姓名无法还原（人数统计不受影响）",
        path.display()
    );
    Ok(Some(key))
}

/// The personal-data key for an import: made on first use where none was given.
pub fn personal_key(args: &KeyArgs, data: &Path) -> anyhow::Result<PersonalKey> {
    let (path, given) = key_path(args, data)?;
    Ok(key_at(&path, given, true)?.expect("made when missing"))
}

/// Reads and checks the register file as an import does; the findings name the file as the
/// user wrote it.
fn checked(file: &Path, county: &Region, schemas: &Schemas, today: chrono::NaiveDate, townships: Option<&[String]>) -> anyhow::Result<CheckedRegister> {
    let name = file.display().to_string();
    let limits = Limits::register();
    let bytes = crate::ingest::load(file, &limits).map_err(|why| anyhow::anyhow!("{name}：{}", why.message(&limits)))?;
    Ok(crate::workflow::ledger::check_register(schemas, county, townships, &name, &bytes, today)?)
}

/// [`checked`], for counting or showing: the sheet read and the file's name.
fn read(file: &Path, county: &Region, schemas: &Schemas, clock: &super::Clock, townships: Option<&[String]>) -> anyhow::Result<(RegisterSheet, String)> {
    let c = checked(file, county, schemas, clock.now.date_naive(), townships)?;
    Ok((c.sheet, c.file))
}

fn print_findings(findings: &[Finding], format: OutputFormat) -> anyhow::Result<()> {
    match format {
        OutputFormat::Text => {
            for f in findings {
                println!("{}", f.line());
            }
        }
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(findings)?),
    }
    Ok(())
}

fn summary_line(findings: &[Finding], persons: usize, name: &str) -> String {
    let s = Summary::of(findings);
    format!("{name}：{persons} 人，错误 {} 处，警告 {} 处", s.errors, s.warnings)
}

/// A line for the terminal: on standard output as text, on standard error beside JSON.
fn say(format: OutputFormat, line: &str) {
    match format {
        OutputFormat::Text => println!("{line}"),
        OutputFormat::Json => eprintln!("{line}"),
    }
}

fn check(args: &LedgerArgs, schemas: &Schemas, clock: &super::Clock) -> anyhow::Result<i32> {
    let county = county(schemas, &args.region)?;
    let (sheet, name) = read(&args.file, county, schemas, clock, None)?;
    print_findings(&sheet.findings, args.format)?;
    say(args.format, &summary_line(&sheet.findings, sheet.cards.len(), &name));
    Ok(i32::from(sheet.has_errors()))
}

fn import(args: &LedgerImportArgs, schemas: &Schemas, clock: &super::Clock) -> anyhow::Result<i32> {
    let dir = crate::workflow::data::data_dir(args.store.dir.as_deref());
    let key = personal_key(&args.key, &dir)?;
    // The files and the county of each.
    let files: Vec<(PathBuf, &Region)> = if args.input.is_dir() {
        if args.region.is_some() {
            anyhow::bail!("导入目录时，各县区取自文件名：不用 --region");
        }
        let mut v = Vec::new();
        for f in super::expand_inputs(std::slice::from_ref(&args.input))? {
            let name = f.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            let county = name
                .get(..6)
                .and_then(|c| schemas.regions.get(c))
                .or_else(|| schemas.regions.resolve(&name).ok())
                .filter(|r| schemas.regions.is_leaf(r))
                .ok_or_else(|| anyhow::anyhow!("{}：文件名中没有县区的代码或名称（如 370102-历下区-台账.xlsx）", f.display()))?;
            v.push((f, county));
        }
        v
    } else {
        let region = args.region.as_deref().ok_or_else(|| anyhow::anyhow!("请用 --region 给出台账所属的县区"))?;
        vec![(args.input.clone(), county(schemas, region)?)]
    };
    let mut data = super::open_store(&args.store, schemas)?;
    let mut wf = Workflow::new(&mut data, schemas, clock.now);
    if files.len() > 1 {
        wf.prepare_bulk_load()?;
    }
    let actor = Actor::operator(args.by.as_deref());
    let today = clock.now.date_naive();
    let format = args.format;
    let bar = super::progress(files.len(), "导入台账", format == OutputFormat::Json);
    let mut refused = 0;
    let mut totals = (0usize, 0usize, 0usize, 0usize, 0usize);
    let mut townships = Vec::with_capacity(files.len());
    for (_, county) in &files {
        townships.push(match wf.townships(county) {
            Ok(t) => t,
            Err(e) => return super::refused(e),
        });
    }
    // The files are read and checked on every core, each worker taking the next file as soon as
    // it is free, while this thread stores them in their order (each in its own transaction);
    // at most a few read registers wait in memory.
    let read = |((f, county), towns): &(&(PathBuf, &Region), &Option<Vec<String>>)| -> anyhow::Result<CheckedRegister> {
        super::pipeline::read_ahead_priority();
        let mut c = checked(f, county, schemas, today, towns.as_deref())?;
        c.seal(schemas, &key)?;
        Ok(c)
    };
    let work: Vec<_> = files.iter().zip(&townships).collect();
    // Sealing a file's cards runs on rayon's threads: they read ahead too (set before anything
    // starts the pool).
    if files.len() > 1 {
        let _ = rayon::ThreadPoolBuilder::new()
            .start_handler(|_| super::pipeline::read_ahead_priority())
            .build_global();
    }
    let workers = rayon::current_num_threads().max(1);
    // Some(code) when a file stopped the import early.
    let mut stopped: anyhow::Result<Option<i32>> = Ok(None);
    // Stores one file read (in the files' order); Some(code) when it stops the import.
    let mut store = |c: anyhow::Result<CheckedRegister>, county: &Region| -> anyhow::Result<Option<i32>> {
        let c = c?;
        let name = c.file.clone();
        let out = match wf.import_checked(&actor, county, c, &key, args.new_key) {
            Ok(o) => o,
            Err(e) => return super::refused(e).map(Some),
        };
        bar.inc(1);
        print_findings(&out.findings, format)?;
        match out.import_id {
            None => {
                refused += 1;
                say(format, &summary_line(&out.findings, 0, &name));
                eprintln!("{name}：台账有错误，未导入（数据库中的台账不变）");
            }
            Some(id) => {
                totals = (
                    totals.0 + out.persons,
                    totals.1 + out.added,
                    totals.2 + out.changed,
                    totals.3 + out.returned,
                    totals.4 + out.removed,
                );
                say(
                    format,
                    &format!(
                        "已导入{}台账（第 {id} 次导入）：{} 人；新建卡 {}，变动 {}，返贫挂号 {}，脱贫销号 {}",
                        schemas.regions.display(county),
                        out.persons,
                        out.added,
                        out.changed,
                        out.returned,
                        out.removed
                    ),
                );
                if out.closed > 0 {
                    say(
                        format,
                        &format!(
                            "  换新密钥重新建档：此前库中的 {} 人自今天起封存（此前各月的数字不变），本次 {} 人自今天起建档",
                            out.closed, out.persons
                        ),
                    );
                }
            }
        }
        Ok(None)
    };
    super::pipeline::in_order(&work, workers, workers + 1, read, |((_, county), _), c| {
        stopped = store(c, county);
        matches!(stopped, Ok(None))
    });
    let stopped = stopped?;
    if files.len() > 1 {
        wf.finish_bulk_load()?;
    }
    if let Some(code) = stopped {
        return Ok(code);
    }
    bar.finish_and_clear();
    if files.len() > 1 {
        say(
            format,
            &format!(
                "共 {} 个文件：导入 {} 个（{} 人；新建卡 {}，变动 {}，返贫挂号 {}，脱贫销号 {}），未导入 {refused} 个",
                files.len(),
                files.len() - refused,
                totals.0,
                totals.1,
                totals.2,
                totals.3,
                totals.4
            ),
        );
    }
    Ok(i32::from(refused > 0))
}

/// The county's own sheet named by `--hand`: its townships in order and their figures.
fn hand_sheet(path: &Path, county: &Region, schemas: &Schemas) -> anyhow::Result<crate::validate::Sheet> {
    let hints = super::hints(Some(county.code.clone()), None, Limits::default());
    let check = crate::validate::validate_file(path, &path.display().to_string(), schemas, &hints);
    let sheet = check.figures.ok_or_else(|| {
        let why = check.findings.first().map(|f| f.line()).unwrap_or_default();
        anyhow::anyhow!("--hand {} 读不出报表：{why}", path.display())
    })?;
    if sheet.region != county.code {
        anyhow::bail!("--hand {} 是{}的报表，不是{}的", path.display(), sheet.region, schemas.regions.display(county));
    }
    Ok(sheet)
}

fn sheet(args: &LedgerSheetArgs, schemas: &Schemas, clock: &super::Clock) -> anyhow::Result<i32> {
    let reg = register(schemas)?;
    // A month before today's divisions is counted in the divisions of its own time.
    let then = schemas.at(args.period);
    let schemas = then.as_deref().unwrap_or(schemas);
    let scope = super::region_arg(schemas, &args.region)?;
    if !schemas.regions.is_leaf(scope) {
        if args.file.is_some() || args.hand.is_some() {
            anyhow::bail!("台账文件和 --hand 属于一个县区：--region 请给县区；给市或省时由数据库中各县区的台账生成各县区的报表");
        }
        return sheets(args, scope, schemas, clock);
    }
    let county = county(schemas, &args.region)?;
    let hand_sheet = args.hand.as_deref().map(|p| hand_sheet(p, county, schemas)).transpose()?;
    let hand = hand_sheet.as_ref().zip(args.hand.as_ref()).map(|(sheet, p)| Hand {
        sheet,
        from: p.display().to_string(),
    });
    let id = reg.index(crate::register::keys::ID).expect("the register has 身份证号码");
    // (rows, persons, broken relations with the persons named where the file is at hand, where
    // the hand columns came from)
    let (rows, persons, source, broken, hand_from) = match &args.file {
        Some(file) => {
            let towns: Option<Vec<String>> = hand_sheet.as_ref().map(|h| h.rows.iter().map(|r| r.label.clone()).collect());
            let (sheet, name) = read(file, county, schemas, clock, towns.as_deref())?;
            if sheet.has_errors() {
                print_findings(&sheet.findings, args.format)?;
                eprintln!("{}", summary_line(&sheet.findings, sheet.cards.len(), &name));
                eprintln!("台账有错误，未生成报表：请改正后再生成（yuebao ledger check 列出全部问题）");
                return Ok(1);
            }
            let warnings = sheet.findings.iter().filter(|f| f.severity == Severity::Warning).count();
            if warnings > 0 {
                say(args.format, &format!("台账有 {warnings} 处警告（yuebao ledger check 列出），按台账所写计数"));
            }
            let (rows, broken) = match derive_cards(schemas, &sheet.cards, args.period, &[], hand_sheet.as_ref()) {
                Ok(d) => d,
                Err(e) => return super::refused(e),
            };
            let broken = broken
                .into_iter()
                .map(|b| {
                    let who: Vec<String> = b.cards.iter().map(|c| format!("第 {} 行 {}", c.row + 1, idcard::mask(c.text(id)))).collect();
                    (b.township, b.what, who.len(), who)
                })
                .collect::<Vec<_>>();
            (rows, sheet.cards.len(), format!("台账 {name}"), broken, hand.map(|h| h.from))
        }
        None => {
            let mut data = super::open_existing_store(&args.store, schemas)?;
            let wf = Workflow::new(&mut data, schemas, clock.now);
            let derived = match wf.derived_sheet(&Actor::operator(None), county, args.period, hand) {
                Ok(Some(d)) => d,
                Ok(None) => anyhow::bail!("数据库中没有{}的台账：请先用 yuebao ledger import 导入", schemas.regions.display(county)),
                Err(e) => return super::refused(e),
            };
            let broken = derived.broken.into_iter().map(|(t, s, n)| (t, s, n, Vec::new())).collect();
            (derived.rows, derived.persons, "数据库中的台账".to_string(), broken, derived.hand_from)
        }
    };
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(crate::workbook::file_name(county, args.period)));
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        super::ensure_dir(dir)?;
    }
    write_sheet(schemas, county, args.period, &rows, &out)?;
    say(
        args.format,
        &format!(
            "已由{source}（{persons} 人，{} 个乡镇）生成{}{}报表：{}",
            rows.len(),
            schemas.regions.display(county),
            args.period.label(),
            out.display()
        ),
    );
    let hand_cols: Vec<String> = reg.hand_columns().iter().map(|c| format!("第({c})栏")).collect();
    if !hand_cols.is_empty() {
        match hand_from {
            Some(p) => say(args.format, &format!("{}台账不能提供，取自 {p}", hand_cols.join("、"))),
            None => say(args.format, &format!("{}台账不能提供，已留空，请手工填写", hand_cols.join("、"))),
        }
    }
    for (town, what, n, who) in &broken {
        say(args.format, &format!("{town}：{what}（台账本身如此，涉及 {n} 人）"));
        if !who.is_empty() {
            let more = if who.len() > 20 { format!(" 等 {} 人", who.len()) } else { String::new() };
            say(
                args.format,
                &format!("  涉及：{}{more}", who.iter().take(20).cloned().collect::<Vec<_>>().join("，")),
            );
        }
    }
    Ok(i32::from(!broken.is_empty()))
}

/// Every county under `scope` with a register in the store: its sheet for the month, one
/// workbook each in the output directory.
fn sheets(args: &LedgerSheetArgs, scope: &Region, schemas: &Schemas, clock: &super::Clock) -> anyhow::Result<i32> {
    let started = std::time::Instant::now();
    let mut data = super::open_existing_store(&args.store, schemas)?;
    let wf = Workflow::new(&mut data, schemas, clock.now);
    let all = match wf.derived_sheets(&Actor::operator(None), scope, args.period) {
        Ok(a) => a,
        Err(e) => return super::refused(e),
    };
    let counted = started.elapsed();
    let dir = args.output.clone().unwrap_or_else(|| PathBuf::from("."));
    super::ensure_dir(&dir)?;
    let mut persons = 0;
    let mut broken = 0;
    for (code, d) in &all {
        let county = schemas.regions.get(code).expect("a region of the installation");
        write_sheet(
            schemas,
            county,
            args.period,
            &d.rows,
            &dir.join(crate::workbook::file_name(county, args.period)),
        )?;
        persons += d.persons;
        for (town, what, n) in &d.broken {
            say(args.format, &format!("{}{town}：{what}（台账本身如此，涉及 {n} 人）", county.name));
            broken += 1;
        }
    }
    say(
        args.format,
        &format!(
            "已由数据库中的台账生成{}下 {} 个县区的{}报表（{persons} 人，清点用时 {:.2} 秒），写入 {}",
            schemas.regions.display(scope),
            all.len(),
            args.period.label(),
            counted.as_secs_f64(),
            dir.display()
        ),
    );
    Ok(i32::from(broken > 0))
}

/// The derived sheet as a workbook in the mandated layout.
pub fn sheet_workbook(schemas: &Schemas, county: &Region, period: crate::period::Period, rows: &[DerivedRow]) -> anyhow::Result<rust_xlsxwriter::Workbook> {
    let mut doc = FormDoc::for_region(schemas, county, period);
    doc.rows = rows
        .iter()
        .map(|r| FormRow {
            label: r.township.clone(),
            values: r.values.clone(),
            missing: false,
        })
        .collect();
    doc.input_validation = true;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name(period.label())?;
    write_form(ws, schemas.form(), &doc)?;
    Ok(wb)
}

fn write_sheet(schemas: &Schemas, county: &Region, period: crate::period::Period, rows: &[DerivedRow], out: &Path) -> anyhow::Result<()> {
    sheet_workbook(schemas, county, period, rows)?
        .save(out)
        .with_context(|| format!("无法写入 {}", out.display()))?;
    Ok(())
}

fn duplicates(region: Option<&str>, store: &crate::cli::StoreArgs, format: OutputFormat, schemas: &Schemas, clock: &super::Clock) -> anyhow::Result<i32> {
    let scope = super::region_or_province(schemas, region)?;
    let mut data = super::open_existing_store(store, schemas)?;
    let wf = Workflow::new(&mut data, schemas, clock.now);
    let pairs = match wf.register_duplicates(&Actor::operator(None), scope) {
        Ok(p) => p,
        Err(e) => return super::refused(e),
    };
    match format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&pairs)?),
        OutputFormat::Text if pairs.is_empty() => println!("{}：各县区台账之间没有重复人员", schemas.regions.display(scope)),
        OutputFormat::Text => {
            println!(
                "{}：以下县区的台账中有同一人（按身份证号码），请两地核实后各自更正台账：",
                schemas.regions.display(scope)
            );
            for d in &pairs {
                println!("  {} 与 {}：重复 {} 人", d.a_name, d.b_name, d.persons);
            }
        }
    }
    Ok(0)
}
