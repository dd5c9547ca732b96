//! `yuebao ledger`: a county's register (附件2) checked person by person, and its monthly sheet
//! derived from it.

use crate::cli::{LedgerArgs, LedgerCommand, LedgerSheetArgs, OutputFormat};
use crate::finding::{Finding, Severity, Summary};
use crate::limits::Limits;
use crate::register::read::Expect;
use crate::register::{Register, RegisterSheet, idcard, read_register};
use crate::schema::{Region, Schemas};
use crate::workbook::form::{FormDoc, FormRow, write_form};
use anyhow::Context;

pub fn run(c: &LedgerCommand, schemas: &Schemas, clock: &super::Clock) -> anyhow::Result<i32> {
    match c {
        LedgerCommand::Check(a) => check(a, schemas, clock),
        LedgerCommand::Sheet(a) => sheet(a, schemas, clock),
    }
}

/// A register is larger than a monthly sheet: a county's tens of thousands of persons, forty
/// columns each. It is read under limits of its own, still bounded.
pub fn register_limits() -> Limits {
    Limits {
        file_mb: 500,
        read_mb: 500,
        entry_mb: 8192,
        inflated_mb: 8192,
        cells: 100_000_000,
        seconds: 600,
        memory_mb: 8192,
    }
}

fn register(schemas: &Schemas) -> anyhow::Result<&Register> {
    schemas
        .register()
        .ok_or_else(|| anyhow::anyhow!("模式目录中没有台账模式（forms/*.register.toml），无法审核台账"))
}

fn county<'a>(schemas: &'a Schemas, text: &str) -> anyhow::Result<&'a Region> {
    let r = super::region_arg(schemas, text)?;
    if !schemas.regions.is_leaf(r) {
        anyhow::bail!("台账按县区建立：{} 不是县区（请给县区的代码或名称）", schemas.regions.display(r));
    }
    Ok(r)
}

/// The county's own sheet named by `--hand`: its townships in order and their figures.
fn hand_sheet(path: &std::path::Path, county: &Region, schemas: &Schemas) -> anyhow::Result<crate::validate::Sheet> {
    let hints = super::hints(Some(county.code.clone()), None, crate::limits::Limits::default());
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

/// Reads and checks the register file; the findings name the file as the user wrote it.
fn read(args: &LedgerArgs, schemas: &Schemas, clock: &super::Clock) -> anyhow::Result<(RegisterSheet, String)> {
    read_with(args, schemas, clock, None)
}

fn read_with(args: &LedgerArgs, schemas: &Schemas, clock: &super::Clock, townships: Option<&[String]>) -> anyhow::Result<(RegisterSheet, String)> {
    let reg = register(schemas)?;
    let county = county(schemas, &args.region)?;
    let name = args.file.display().to_string();
    let limits = register_limits();
    let book = crate::ingest::load(&args.file, &limits)
        .and_then(|bytes| crate::ingest::isolate::read(&name, &bytes, &limits))
        .map_err(|why| anyhow::anyhow!("{name}：{}", why.message(&limits)))?
        .book;
    let expect = Expect {
        county,
        townships,
        today: clock.now.date_naive(),
    };
    Ok((read_register(&book, &name, reg, &expect), name))
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

fn summary_line(sheet: &RegisterSheet, name: &str) -> String {
    let s = Summary::of(&sheet.findings);
    format!(
        "{name}（工作表 {}）：{} 人，错误 {} 处，警告 {} 处",
        sheet.sheet,
        sheet.cards.len(),
        s.errors,
        s.warnings
    )
}

fn check(args: &LedgerArgs, schemas: &Schemas, clock: &super::Clock) -> anyhow::Result<i32> {
    let (sheet, name) = read(args, schemas, clock)?;
    print_findings(&sheet.findings, args.format)?;
    let line = summary_line(&sheet, &name);
    match args.format {
        OutputFormat::Text => println!("{line}"),
        OutputFormat::Json => eprintln!("{line}"),
    }
    Ok(i32::from(sheet.has_errors()))
}

fn sheet(args: &LedgerSheetArgs, schemas: &Schemas, clock: &super::Clock) -> anyhow::Result<i32> {
    let reg = register(schemas)?;
    // A month before today's divisions is counted in the divisions of its own time.
    let then = schemas.at(args.period);
    let schemas = then.as_deref().unwrap_or(schemas);
    let county = county(schemas, &args.ledger.region)?;
    let hand = args.hand.as_deref().map(|p| hand_sheet(p, county, schemas)).transpose()?;
    let order: Vec<String> = hand.iter().flat_map(|h| h.rows.iter().map(|r| r.label.clone())).collect();
    let (sheet, name) = read_with(&args.ledger, schemas, clock, hand.as_ref().map(|_| order.as_slice()))?;
    if sheet.has_errors() {
        print_findings(&sheet.findings, args.ledger.format)?;
        eprintln!("{}", summary_line(&sheet, &name));
        eprintln!("台账有错误，未生成报表：请改正后再生成（yuebao ledger check 列出全部问题）");
        return Ok(1);
    }
    let mut rows = crate::ledger::derive(reg, &sheet.cards, args.period, &order).map_err(|e| anyhow::anyhow!("清点台账失败：{e}"))?;
    if let Some(h) = &hand {
        for row in &mut rows {
            let Some(filled) = h.rows.iter().find(|r| r.label == row.township) else {
                continue;
            };
            for c in reg.hand_columns() {
                row.values[c - 1] = filled.values.get(c - 1).copied();
            }
        }
    }
    let form = schemas.form();
    let day = crate::ledger::period_end(args.period);
    // The form's relations on each township's counts (a hand-filled column counts as 0): what
    // the register itself breaks, with the persons concerned.
    let mut broken = Vec::new();
    for row in &rows {
        let values: Vec<i64> = row.values.iter().map(|v| v.unwrap_or(0)).collect();
        for rule in &form.rules {
            if let Some((l, r)) = rule.check(&values) {
                let persons = crate::register::breaking(reg, rule, &sheet.cards, &row.township, day);
                broken.push((row.township.clone(), rule.violation(l, r), persons));
            }
        }
    }
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from(crate::workbook::file_name(county, args.period)));
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        super::ensure_dir(dir)?;
    }
    let mut doc = FormDoc::for_region(schemas, county, args.period);
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
    let ws = wb.add_worksheet().set_name(args.period.label())?;
    write_form(ws, form, &doc)?;
    wb.save(&out).with_context(|| format!("无法写入 {}", out.display()))?;
    let warnings = sheet.findings.iter().filter(|f| f.severity == Severity::Warning).count();
    println!(
        "已由台账 {name}（{} 人，{} 个乡镇）生成{}{}报表：{}",
        sheet.cards.len(),
        rows.len(),
        schemas.regions.display(county),
        args.period.label(),
        out.display()
    );
    let hand_cols: Vec<String> = reg.hand_columns().iter().map(|c| format!("第({c})栏")).collect();
    match (&args.hand, hand_cols.is_empty()) {
        (_, true) => {}
        (Some(p), false) => println!("{}台账不能提供，取自 {}", hand_cols.join("、"), p.display()),
        (None, false) => println!("{}台账不能提供，已留空，请手工填写", hand_cols.join("、")),
    }
    if warnings > 0 {
        println!("台账有 {warnings} 处警告（yuebao ledger check 列出），按台账所写计数");
    }
    for (town, what, persons) in &broken {
        println!("{town}：{what}（台账本身如此）");
        if !persons.is_empty() {
            let id = reg.index(crate::register::keys::ID).expect("the register has 身份证号码");
            let shown: Vec<String> = persons
                .iter()
                .take(20)
                .map(|c| format!("第 {} 行 {}", c.row + 1, idcard::mask(c.text(id))))
                .collect();
            let more = if persons.len() > 20 {
                format!(" 等 {} 人", persons.len())
            } else {
                String::new()
            };
            println!("  涉及：{}{more}", shown.join("，"));
        }
    }
    Ok(i32::from(!broken.is_empty()))
}
