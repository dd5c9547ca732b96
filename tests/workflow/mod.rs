//! A month driven through the workflow API alone, as the portal and the mail intake will drive
//! it: no `cmd/`, no binary. A county reporter hands in, a neighbour's reporter is refused, the
//! city reviewer returns, the county corrects, the city approves (the month is locked), the
//! city rolls up, and the province reviews the city's sheet.

use crate::support::*;
use yuebao::schema::Schemas;
use yuebao::time::parse;
use yuebao::validate::Hints;
use yuebao::workflow::{Actor, Data, Listing, ReviewKind, ReviewRequest, Role, State, Upload, Workflow, WorkflowError};

fn upload<'a>(name: &'a str, bytes: &'a [u8], hints: &'a Hints) -> Upload<'a> {
    Upload {
        file_name: name,
        display: name,
        bytes,
        received_at: None,
        note: None,
        on_behalf_of: None,
        late_reason: None,
        hints,
        basis: None,
        channel: yuebao::workflow::Channel::Cli,
        mail: None,
    }
}

#[test]
fn a_month_through_the_api() {
    let d = tmp();
    let schemas = Schemas::embedded().unwrap();
    let mut store = Data::open(&d.path().join("data"), None, &schemas).unwrap();
    let hints = Hints::default();
    let file = lanshan(d.path(), "2026-10", &lanshan_rows());
    let bytes = std::fs::read(&file).unwrap();
    let name = "兰山区10月.xlsx";
    let reporter = Actor::new("张三", Role::Reporter, "371302");
    let neighbour = Actor::new("赵一", Role::Reporter, "371311");
    let city = Actor::new("李四", Role::Reviewer, "371300");
    let province = Actor::new("王五", Role::Reviewer, "370000");
    let linyi = schemas.regions.get("371300").unwrap();
    let period = "2026-10".parse().unwrap();

    // Another county's reporter may not hand in 兰山区's sheet; nothing is stored.
    let mut wf = Workflow::new(&mut store, &schemas, parse("2026-11-02 09:00").unwrap());
    let e = wf.submit(&neighbour, &upload(name, &bytes, &hints)).unwrap_err();
    assert!(matches!(e, WorkflowError::OutOfScope { .. }), "{e}");
    assert!(e.to_string().contains("无权报送地区 371302 的报表"), "{e}");
    let out = wf.submit(&reporter, &upload(name, &bytes, &hints)).unwrap();
    assert_eq!((out.version, out.timeliness.map(|t| t.words())), (1, Some("按时".to_string())));
    // A reporter may not review, not even its own county.
    let ret = ReviewRequest {
        region: "371302",
        period,
        kind: ReviewKind::Return,
        reason: Some("第(5)栏与台账不符"),
    };
    assert!(matches!(wf.review(&reporter, &ret), Err(WorkflowError::OutOfScope { .. })));

    // The city returns it after the due date.
    let mut wf = Workflow::new(&mut store, &schemas, parse("2026-11-07 10:00").unwrap());
    let r = wf.review(&city, &ret).unwrap();
    assert_eq!((r.action, r.version), (yuebao::workflow::ReviewAction::Returned, Some(1)));
    let standing = wf.standing(&city, linyi, period, Listing::Counties).unwrap();
    let ls = standing.iter().find(|s| s.code == "371302").unwrap();
    assert_eq!(ls.state, State::Rejected);
    assert_eq!(ls.review.as_ref().unwrap().reason.as_deref(), Some("第(5)栏与台账不符"));
    // The county sees its own standing, not the city's.
    let lanshan = schemas.regions.get("371302").unwrap();
    assert!(wf.standing(&reporter, lanshan, period, Listing::Counties).is_ok());
    assert!(wf.standing(&reporter, linyi, period, Listing::Counties).is_err());
    let rollup = wf.rollup_sources(&city, linyi, period).unwrap().rollup(&wf, linyi, period).unwrap();
    assert!(rollup.tables[0].rows.iter().find(|r| r.code == "371302").unwrap().returned);

    // The county corrects; the same bytes are judged on their own and accepted, still on time.
    let mut wf = Workflow::new(&mut store, &schemas, parse("2026-11-08 09:00").unwrap());
    let out = wf.submit(&reporter, &upload(name, &bytes, &hints)).unwrap();
    assert_eq!(out.version, 2);
    let standing = wf.standing(&city, linyi, period, Listing::Counties).unwrap();
    assert_eq!(standing.iter().find(|s| s.code == "371302").unwrap().state, State::OnTime);

    // The city approves: the month is locked against the county.
    let approve = ReviewRequest {
        region: "兰山区",
        period,
        kind: ReviewKind::Approve,
        reason: None,
    };
    wf.review(&city, &approve).unwrap();
    let e = wf.submit(&reporter, &upload(name, &bytes, &hints)).unwrap_err();
    assert!(matches!(e, WorkflowError::Locked { .. }), "{e}");
    assert_eq!(wf.history(&city, lanshan, period).unwrap().submissions.len(), 2);

    // The city rolls up and hands its sheet to the province, which returns it.
    let rollup = wf.rollup_sources(&city, linyi, period).unwrap().rollup(&wf, linyi, period).unwrap();
    let row = rollup.tables[0].rows.iter().find(|r| r.code == "371302").unwrap();
    assert!(row.values.is_some());
    let dir = d.path().join("市");
    std::fs::create_dir_all(&dir).unwrap();
    let written = yuebao::workbook::rollup::write_workbooks(&rollup, &schemas, &dir, "2026年11月8日").unwrap();
    let city_bytes = std::fs::read(&written[0]).unwrap();
    let out = wf.submit(&city, &upload("临沂市10月汇总.xlsx", &city_bytes, &hints)).unwrap();
    assert_eq!(out.region.as_deref(), Some("371300"));
    // A city may not review its own sheet; the province may.
    let ret_city = ReviewRequest {
        region: "371300",
        period,
        kind: ReviewKind::Return,
        reason: Some("兰陵县未纳入"),
    };
    assert!(matches!(wf.review(&city, &ret_city), Err(WorkflowError::OutOfScope { .. })));
    wf.review(&province, &ret_city).unwrap();
    let shandong = schemas.regions.get("370000").unwrap();
    let cities = wf.standing(&province, shandong, period, Listing::Cities).unwrap();
    assert_eq!(cities.iter().find(|s| s.code == "371300").unwrap().state, State::Rejected);
}

/// Baselines are the county's reviewer's: every role against every relation, all or nothing. A
/// county cannot set its own; a city (its reviewer or administrator) sets its counties' and not
/// another city's; the province, which reviews cities, no county's; the separated roles none;
/// one value out of scope refuses the whole import and stores nothing.
#[test]
fn baseline_import_by_role_and_region() {
    let d = tmp();
    let schemas = Schemas::embedded().unwrap();
    let mut store = Data::open(&d.path().join("data"), None, &schemas).unwrap();
    let now = parse("2026-11-03 10:00").unwrap();
    let lanshan = ("371302".to_string(), 4222);
    let qingdao = ("370202".to_string(), 3000);
    // (who, the values, whether they may)
    type Case<'a> = (Actor, &'a [(String, i64)], bool);
    let cases: &[Case] = &[
        (Actor::new("县", Role::Reporter, "371302"), std::slice::from_ref(&lanshan), false),
        (Actor::new("市", Role::Reviewer, "371300"), std::slice::from_ref(&lanshan), true),
        (Actor::new("市", Role::Reviewer, "371300"), std::slice::from_ref(&qingdao), false),
        (Actor::new("市", Role::Reviewer, "371300"), &[lanshan.clone(), qingdao.clone()], false),
        (Actor::new("市管", Role::Admin, "371300"), std::slice::from_ref(&lanshan), true),
        (Actor::new("省", Role::Reviewer, "370000"), std::slice::from_ref(&qingdao), false),
        (Actor::new("安全", Role::Secadmin, "371300"), std::slice::from_ref(&lanshan), false),
        (Actor::new("审计", Role::Auditor, "371300"), std::slice::from_ref(&lanshan), false),
        (Actor::operator(None), std::slice::from_ref(&qingdao), true),
    ];
    for (actor, values, allowed) in cases {
        let mut wf = Workflow::new(&mut store, &schemas, now);
        let before = wf.audit_log(&Actor::operator(None), &Default::default()).unwrap().len();
        let got = wf.import_baselines(actor, values, "基线表.xlsx");
        let after = wf.audit_log(&Actor::operator(None), &Default::default()).unwrap().len();
        assert_eq!(got.is_ok(), *allowed, "{:?} {values:?}: {got:?}", actor.role);
        if *allowed {
            assert_eq!(after - before, values.len(), "one entry a value");
        } else {
            assert!(matches!(got, Err(WorkflowError::OutOfScope { .. })), "{got:?}");
            assert_eq!(after, before, "nothing stored, nothing audited");
        }
    }
}

/// The relay's queue: a queued message is taken by one run at a time (an `inbox --watch` beside
/// a `remind` never both send it), let go when its attempt failed, taken over when the run that
/// took it stopped ten minutes ago, and never taken once sent; only the command line sends.
#[test]
fn a_queued_message_is_sent_by_one_run_at_a_time() {
    let d = tmp();
    let schemas = Schemas::embedded().unwrap();
    let data = d.path().join("data");
    let at = |t: &str| parse(t).unwrap();
    let op = Actor::operator(Some("市局"));
    let m = yuebao::mail::relay::outgoing(
        "remind:x".into(),
        "lanshan@county.example",
        "【催报】",
        b"Subject: x\r\n\r\nx\r\n".to_vec(),
        at("2026-11-26 09:00"),
    );
    let mut store = Data::open(&data, None, &schemas).unwrap();
    let mut wf = Workflow::new(&mut store, &schemas, at("2026-11-26 09:00"));
    assert_eq!(
        wf.remind_by_mail(&op, "371302", "2026-10".parse().unwrap(), std::slice::from_ref(&m)).unwrap(),
        1
    );
    // The same reminder again the same day: nothing new queued.
    assert_eq!(
        wf.remind_by_mail(&op, "371302", "2026-10".parse().unwrap(), std::slice::from_ref(&m)).unwrap(),
        0
    );
    let queued = wf.unsent_mail(&op).unwrap();
    assert_eq!(queued.len(), 1);
    let reporter = Actor::new("县", Role::Reporter, "371302");
    assert!(matches!(wf.claim_mail(&reporter, &queued[0]), Err(WorkflowError::MailFromCliOnly)));
    assert!(wf.claim_mail(&op, &queued[0]).unwrap());
    // A second run at the same time finds it taken.
    let mut other = Data::open(&data, None, &schemas).unwrap();
    let mut second = Workflow::new(&mut other, &schemas, at("2026-11-26 09:05"));
    assert!(!second.claim_mail(&op, &queued[0]).unwrap());
    // The first run's attempt failed: it is free again.
    wf.mail_attempt_failed(&op, &queued[0], "连接被拒绝").unwrap();
    assert!(second.claim_mail(&op, &queued[0]).unwrap());
    // That run stopped; twenty minutes on another takes it over, sends it, and it is done.
    let mut later = Data::open(&data, None, &schemas).unwrap();
    let mut third = Workflow::new(&mut later, &schemas, at("2026-11-26 09:30"));
    assert!(third.claim_mail(&op, &queued[0]).unwrap());
    third.mail_sent(&op, &queued[0]).unwrap();
    assert!(!third.claim_mail(&op, &queued[0]).unwrap());
    assert!(third.unsent_mail(&op).unwrap().is_empty());
    drop((store, other, later));
    ok(&yuebao(&["verify", "--data", s(&data)]));
}

/// The sample sheet of `code` for `period`, as a county would hand it in.
fn sample_sheet(schemas: &Schemas, dir: &std::path::Path, code: &str, period: yuebao::period::Period) -> Vec<u8> {
    let unit = schemas.regions.get(code).unwrap();
    let path = dir.join(format!("{code}.xlsx"));
    yuebao::sample::write_county(schemas, 2016, unit, period, None, &path).unwrap();
    std::fs::read(path).unwrap()
}

/// 海南省's month, installed as 海南省: a county under 海口市 hands in and 海口市 reports its
/// rollup; 五指山市 (a county-level city under the province directly) and 儋州市 (a city without
/// counties) each hand in their township sheets and answer to the province itself, which
/// reviews them as a city reviews its counties; 海口市's reviewer may not touch them; the
/// province chases whoever owes; and the province's 合计 is the sum of every unit's.
#[test]
fn a_province_with_units_under_it_directly() {
    let d = tmp();
    let schemas = Schemas::embedded_for(Some("460000")).unwrap();
    assert_eq!(schemas.province().name, "海南省");
    let mut store = Data::open(&d.path().join("data"), None, &schemas).unwrap();
    let hints = Hints::default();
    let period: yuebao::period::Period = "2026-10".parse().unwrap();
    let province = Actor::new("省", Role::Reviewer, "460000");
    let haikou = Actor::new("海口", Role::Reviewer, "460100");
    let wf_at = |t: &str| parse(t).unwrap();
    let mut wf = Workflow::new(&mut store, &schemas, wf_at("2026-11-03 09:00"));

    // Every unit of 海口市 hands in; its reviewer reports the city's rollup.
    for c in schemas.regions.children("460100") {
        let bytes = sample_sheet(&schemas, d.path(), &c.code, period);
        let reporter = Actor::new("填报", Role::Reporter, &c.code);
        let out = wf.submit(&reporter, &upload(&format!("{}.xlsx", c.name), &bytes, &hints)).unwrap();
        assert_eq!(out.region.as_deref(), Some(c.code.as_str()));
    }
    let report = wf.report_city(&haikou, "460100", period, None, None, &hints).unwrap();
    assert_eq!((report.counted, report.expected), (4, 4));
    // A unit under the province directly, and a city without counties, hand in their own sheets.
    for code in ["469001", "460400"] {
        let bytes = sample_sheet(&schemas, d.path(), code, period);
        let reporter = Actor::new("填报", Role::Reporter, code);
        let out = wf.submit(&reporter, &upload(&format!("{code}.xlsx"), &bytes, &hints)).unwrap();
        assert_eq!((out.region.as_deref(), out.version), (Some(code), 1));
    }
    // Neither of them reports a rollup: they have nothing below them.
    assert!(matches!(
        wf.report_city(&province, "469001", period, None, None, &hints),
        Err(WorkflowError::NotACity { .. })
    ));
    // 海口市's reviewer has no say over 五指山市; the province reviews it.
    let approve = |region| ReviewRequest {
        region,
        period,
        kind: ReviewKind::Approve,
        reason: None,
    };
    assert!(matches!(wf.review(&haikou, &approve("469001")), Err(WorkflowError::OutOfScope { .. })));
    wf.review(&province, &approve("469001")).unwrap();
    wf.review(&province, &approve("460100")).unwrap();

    // What the province receives itself: the cities' 上报 and the direct units' sheets.
    let hainan = schemas.province();
    let received = wf.standing(&province, hainan, period, Listing::Cities).unwrap();
    let of = |code: &str| received.iter().find(|s| s.code == code).unwrap();
    assert_eq!(received.len(), schemas.regions.children("460000").len());
    assert!(of("460100").standing.is_approved() && of("469001").standing.is_approved());
    assert_eq!((of("460400").state, of("460400").standing.is_approved()), (State::OnTime, false));
    assert_eq!(of("469002").state, State::Missing { overdue_days: None });
    // After the due date the province chases 琼海市 itself, and 三亚市 (a city) for its 上报.
    let wf = Workflow::new(&mut store, &schemas, wf_at("2026-11-09 09:00"));
    let board = wf.board(&province, hainan, period).unwrap();
    let chased: Vec<&str> = board.chase.iter().map(|c| c.code.as_str()).collect();
    assert!(chased.contains(&"469002") && chased.contains(&"460200"), "{chased:?}");
    assert!(
        !chased.contains(&"469001") && !chased.contains(&"460400") && !chased.contains(&"460100"),
        "{chased:?}"
    );
    assert!(!chased.contains(&"460202"), "a county of 三亚市 is 三亚市's to chase: {chased:?}");

    // The province's rollup: one row per city and per direct unit, each the sum of its units.
    let rollup = wf.rollup_sources(&province, hainan, period).unwrap().rollup(&wf, hainan, period).unwrap();
    let top = rollup.tables.iter().find(|t| t.code == "460000").unwrap();
    let row = |code: &str| top.rows.iter().find(|r| r.code == code).unwrap().values.clone();
    let total_of = |code: &str| {
        let bytes = sample_sheet(&schemas, d.path(), code, period);
        let rep = yuebao::validate::validate_bytes_unguarded(&bytes, "x.xlsx", &schemas, &hints);
        rep.sheet.unwrap().total.values
    };
    assert_eq!(row("469001"), Some(total_of("469001")));
    assert_eq!(row("460400"), Some(total_of("460400")));
    let haikou_sum: Vec<i64> = schemas
        .regions
        .children("460100")
        .iter()
        .map(|c| total_of(&c.code))
        .fold(vec![0; 21], |acc, v| acc.iter().zip(&v).map(|(a, b)| a + b).collect());
    assert_eq!(row("460100"), Some(haikou_sum.clone()));
    let expected: Vec<i64> = [haikou_sum, total_of("469001"), total_of("460400")]
        .iter()
        .fold(vec![0; 21], |acc, v| acc.iter().zip(v).map(|(a, b)| a + b).collect());
    assert_eq!(top.total, expected);
    assert_eq!(row("469002"), None, "琼海市 has not reported");
}

/// A data directory belongs to one province: a run set for another is refused, in Chinese,
/// and nothing is written.
#[test]
fn a_store_belongs_to_one_province() {
    let d = tmp();
    let data = d.path().join("data");
    let henan = Schemas::embedded_for(Some("410000")).unwrap();
    drop(Data::open(&data, None, &henan).unwrap());
    let shandong = Schemas::embedded().unwrap();
    let e = Data::open(&data, None, &shandong).err().expect("refused");
    let text = e.to_string();
    assert!(text.contains("属于 410000 的安装") && text.contains("--province 410000"), "{text}");
    assert!(Data::open(&data, None, &henan).is_ok());
}

/// The ministry's installation (`000000`): 北京市's districts hand their sheets to the ministry's
/// store and 北京市 上报s their rollup, as a city does to a province; 海南省 hands in the
/// province sheet its own installation made; the ministry reviews both provinces (a province
/// may not review itself); the ministry's board lists the provinces and chases those that owe;
/// the nation's rollup has one row per province and its 合计 is the sum of every unit's sheet.
#[test]
fn the_ministry_collects_the_provinces() {
    let d = tmp();
    let ministry = Schemas::embedded_for(Some("000000")).unwrap();
    let hainan_site = Schemas::embedded_for(Some("460000")).unwrap();
    assert_eq!((ministry.province().name.as_str(), ministry.regions.children("000000").len()), ("全国", 31));
    let mut store = Data::open(&d.path().join("data"), None, &ministry).unwrap();
    let hints = Hints::default();
    let period: yuebao::period::Period = "2026-10".parse().unwrap();
    let mut wf = Workflow::new(&mut store, &ministry, parse("2026-11-03 09:00").unwrap());
    let total_of = |schemas: &Schemas, code: &str| {
        let bytes = sample_sheet(schemas, d.path(), code, period);
        yuebao::validate::validate_bytes_unguarded(&bytes, "x.xlsx", schemas, &hints)
            .sheet
            .unwrap()
            .total
            .values
    };
    let add = |a: Vec<i64>, b: &Vec<i64>| a.iter().zip(b).map(|(x, y)| x + y).collect::<Vec<i64>>();

    // 北京市: its districts hand in, and its reviewer 上报s the municipality's rollup.
    let beijing = Actor::new("北京", Role::Reviewer, "110000");
    let mut beijing_sum = vec![0; 21];
    for c in ministry.regions.children("110000") {
        let bytes = sample_sheet(&ministry, d.path(), &c.code, period);
        wf.submit(&Actor::new("区", Role::Reporter, &c.code), &upload(&format!("{}.xlsx", c.name), &bytes, &hints))
            .unwrap();
        beijing_sum = add(beijing_sum, &total_of(&ministry, &c.code));
    }
    let report = wf.report_city(&beijing, "110000", period, None, None, &hints).unwrap();
    assert_eq!((report.counted, report.expected), (16, 16));

    // 海南省 made its sheet in its own installation and hands it in.
    let hainan_units = hainan_site.regions.counties("460000");
    let dir = d.path().join("hainan");
    std::fs::create_dir_all(&dir).unwrap();
    let mut inputs = Vec::new();
    let mut hainan_sum = vec![0; 21];
    for u in &hainan_units {
        let bytes = sample_sheet(&hainan_site, d.path(), &u.code, period);
        let report = yuebao::validate::validate_bytes_unguarded(&bytes, "x.xlsx", &hainan_site, &hints);
        hainan_sum = add(hainan_sum, &report.sheet.as_ref().unwrap().total.values);
        inputs.push(yuebao::aggregate::rollup::Input {
            report,
            sha256: None,
            stored: None,
        });
    }
    let top = hainan_site.province();
    let rollup = yuebao::aggregate::rollup::plan(&hainan_site, top, period, &inputs, &Default::default()).unwrap();
    let written = yuebao::workbook::rollup::write_workbooks(&rollup, &hainan_site, &dir, "2026年11月3日").unwrap();
    let sheet = written.iter().find(|p| p.file_name().unwrap().to_string_lossy().starts_with("460000")).unwrap();
    let hainan = Actor::new("海南", Role::Reviewer, "460000");
    let out = wf.submit(&hainan, &upload("海南省10月.xlsx", &std::fs::read(sheet).unwrap(), &hints)).unwrap();
    assert_eq!(out.region.as_deref(), Some("460000"));

    // The ministry reviews the provinces; a province does not review itself or another.
    let approve = |region| ReviewRequest {
        region,
        period,
        kind: ReviewKind::Approve,
        reason: None,
    };
    let staff = Actor::new("部", Role::Reviewer, "000000");
    assert!(matches!(wf.review(&hainan, &approve("460000")), Err(WorkflowError::OutOfScope { .. })));
    assert!(matches!(wf.review(&beijing, &approve("460000")), Err(WorkflowError::OutOfScope { .. })));
    wf.review(&staff, &approve("110000")).unwrap();
    wf.review(&staff, &approve("460000")).unwrap();

    // The ministry's board: the provinces, each 上报's standing; after the due date the ministry
    // chases the 29 others.
    let nation = ministry.province();
    let wf = Workflow::new(&mut store, &ministry, parse("2026-11-09 09:00").unwrap());
    let board = wf.board(&staff, nation, period).unwrap();
    assert_eq!(board.cities.len(), 31);
    let of = |code: &str| board.cities.iter().find(|s| s.code == code).unwrap();
    assert!(of("110000").standing.is_approved() && of("460000").standing.is_approved());
    assert_eq!(board.chase.len(), 29, "{:?}", board.chase.iter().map(|c| &c.name).collect::<Vec<_>>());
    assert!(board.chase.iter().all(|c| c.code.ends_with("0000")));

    // The nation's rollup from the store: a row per province, 合计 the sum of every unit.
    let rollup = wf.rollup_sources(&staff, nation, period).unwrap().rollup(&wf, nation, period).unwrap();
    let table = rollup.tables.iter().find(|t| t.code == "000000").unwrap();
    assert_eq!(table.rows.len(), 31);
    let row = |code: &str| table.rows.iter().find(|r| r.code == code).unwrap().values.clone();
    assert_eq!(row("110000"), Some(beijing_sum.clone()));
    assert_eq!(row("460000"), Some(hainan_sum.clone()));
    assert_eq!(row("370000"), None);
    assert_eq!(table.total, add(beijing_sum, &hainan_sum));
}
