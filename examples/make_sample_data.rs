//! Writes the committed demo month in `sample-data/` (run via `scripts/make-sample-data.sh`,
//! which also converts one county to .xls the way an old WPS install would save it).
//!
//! Five Linyi counties for 2026-10, each laid out the way real submissions differ; 沂南县 carries
//! the planted errors listed in `sample-data/README.md`.

use rust_xlsxwriter::{Format, Workbook};
use yuebao::period::Period;
use yuebao::sample::township;
use yuebao::schema::{Form, Schemas};
use yuebao::workbook::form::{FormDoc, FormRow, write_form};

fn period() -> Period {
    Period::new(2026, 10).expect("valid period")
}

/// Counts for the named townships, from the same generator as `yuebao sample`.
fn rows(form: &Form, names: &[&str], seed: u64) -> Vec<(String, Vec<Option<i64>>)> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.to_string(), township(form, seed, i as u64, period()).into_iter().map(Some).collect()))
        .collect()
}

fn doc(schemas: &Schemas, code: &str, rows: Vec<(String, Vec<Option<i64>>)>, footer: [&str; 4]) -> FormDoc {
    let region = schemas.regions.get(code).expect("a Linyi county");
    let mut doc = FormDoc::for_region(schemas, region, period());
    doc.rows = rows.into_iter().map(|(label, values)| FormRow { label, values, missing: false }).collect();
    doc.footer = footer.iter().map(|s| s.to_string()).collect();
    doc.input_validation = true;
    doc
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let schemas = Schemas::embedded()?;
    let form = schemas.form();
    let out = std::path::Path::new("sample-data");
    std::fs::create_dir_all(out)?;

    // 兰山区: the mandated template, filled in Excel. Clean.
    let lanshan = [
        "兰山街道",
        "银雀山街道",
        "金雀山街道",
        "柳青街道",
        "白沙埠镇",
        "枣园镇",
        "半程镇",
        "义堂镇",
        "李官镇",
        "方城镇",
        "汪沟镇",
        "马厂湖镇",
    ];
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("2026年10月")?;
    write_form(
        ws,
        form,
        &doc(
            &schemas,
            "371302",
            rows(form, &lanshan, 0x1302),
            ["王建国", "李娜", "0539-8123456", "2026年11月3日"],
        ),
    )?;
    wb.save(out.join("371302-兰山区-2026-10.xlsx"))?;

    // 罗庄区: filed from WPS with a 填报说明 sheet first; some cells typed as text and a few left
    // blank. Accepted with warnings.
    let luozhuang = ["罗庄街道", "傅庄街道", "盛庄街道", "册山街道", "高都街道", "沂堂镇", "褚墩镇", "黄山镇"];
    let mut r = rows(form, &luozhuang, 0x1311);
    r[6].1[20] = None; // 褚墩镇 (21) blank
    r[7].1[20] = None;
    let mut wb = Workbook::new();
    let notes = wb.add_worksheet().set_name("填报说明")?;
    notes.write(0, 0, "本表由罗庄区人社局就业办填报，数据截至 2026 年 10 月 31 日。")?;
    notes.write(1, 0, "各镇街数据已经分管领导审核。")?;
    let ws = wb.add_worksheet().set_name("统计表")?;
    let layout = write_form(ws, form, &doc(&schemas, "371311", r.clone(), ["张伟", "刘洋", "0539-8234567", "2026年11月4日"]))?;
    // WPS users often paste numbers as text: rewrite three cells of 盛庄街道 as text.
    let text_fmt = Format::new().set_num_format("@");
    for k in [4u16, 5, 8] {
        let v = r[2].1[k as usize].unwrap();
        ws.write_string_with_format(layout.first_data_row + 2, layout.first_value_col + k, v.to_string(), &text_fmt)?;
    }
    wb.save(out.join("371311-罗庄区-2026-10.xlsx"))?;

    // 河东区: the same form, saved as 97-2003 .xls by scripts/make-sample-data.sh. Clean.
    let hedong = ["九曲街道", "芝麻墩街道", "太平街道", "相公街道", "汤头街道", "汤河镇", "郑旺镇", "八湖镇"];
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Sheet1")?;
    write_form(
        ws,
        form,
        &doc(
            &schemas,
            "371312",
            rows(form, &hedong, 0x1312),
            ["赵强", "孙丽", "0539-8345678", "2026年11月2日"],
        ),
    )?;
    wb.save(out.join("371312-河东区-2026-10.for-xls.xlsx"))?;

    // 沂南县: the planted errors (see sample-data/README.md).
    let yinan = [
        "界湖街道",
        "岸堤镇",
        "孙祖镇",
        "双堠镇",
        "青驼镇",
        "张庄镇",
        "砖埠镇",
        "葛沟镇",
        "杨坡镇",
        "大庄镇",
        "辛集镇",
        "蒲汪镇",
        "湖头镇",
        "苏村镇",
        "铜井镇",
        "依汶镇",
        "马牧池乡",
    ];
    let mut r = rows(form, &yinan, 0x1321);
    // 1. 岸堤镇: (3) larger than (2).
    r[1].1[2] = Some(r[1].1[1].unwrap() + 15);
    // 2. 孙祖镇: (8) larger than (7).
    r[2].1[7] = Some(r[2].1[6].unwrap() + 3);
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("10月")?;
    let layout = write_form(ws, form, &doc(&schemas, "371321", r.clone(), ["陈明", "", "0539-3221234", "2026年11月5日"]))?;
    let row = |i: u32| layout.first_data_row + i;
    let col = |no: u16| layout.first_value_col + no - 1;
    // 3. 双堠镇 (5): a negative count.
    ws.write_number(row(3), col(5), -12)?;
    // 4. 青驼镇 (9): a fraction.
    ws.write_number(row(4), col(9), 37.5)?;
    // 5. 张庄镇 (13): words instead of a number.
    ws.write_string(row(5), col(13), "无")?;
    // 6. 砖埠镇 (18): full-width digits (accepted with a warning).
    let v = r[6].1[17].unwrap();
    let fw: String = v.to_string().chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap()).collect();
    ws.write_string(row(6), col(18), &fw)?;
    // 7. 合计 (1): typed over the SUM formula with a wrong figure.
    let total_row = layout.total_row.unwrap();
    let sum1: i64 = r.iter().map(|(_, v)| v[0].unwrap()).sum();
    ws.write_number(total_row, col(1), (sum1 + 100) as f64)?;
    // 8. 苏村镇 appears twice: the second copy is labelled 苏村镇 instead of 铜井镇.
    ws.write_string(row(14), 1, "苏村镇")?;
    wb.save(out.join("371321-沂南县-2026-10.xlsx"))?;

    // 费县: files only the 合计 row, exported as CSV from a GBK Windows machine; no footer.
    let feixian = [
        "费城街道",
        "上冶镇",
        "薛庄镇",
        "探沂镇",
        "朱田镇",
        "梁邱镇",
        "新庄镇",
        "马庄镇",
        "胡阳镇",
        "石井镇",
        "东蒙镇",
        "大田庄乡",
    ];
    let r = rows(form, &feixian, 0x1325);
    let total: Vec<i64> = (0..21).map(|k| r.iter().map(|(_, v)| v[k].unwrap()).sum()).collect();
    let mut csv = String::new();
    csv.push_str(&form.title_for("费县"));
    csv.push_str("\n填报单位：费县,,,,,,,,,,报告期：2026年10月\n");
    csv.push_str("乡镇（街道）");
    for c in &form.columns {
        csv.push_str(&format!(",\"{}\"", c.name));
    }
    csv.push_str("\n甲");
    for k in 1..=21 {
        csv.push_str(&format!(",{k}"));
    }
    csv.push_str("\n合计");
    for v in total {
        csv.push_str(&format!(",{v}"));
    }
    csv.push_str("\n单位负责人签章：周涛,,,,填表人签章：吴敏,,,,联系电话：0539-5012345,,,,填报日期：2026年11月4日\n");
    let (gbk, _, _) = encoding_rs::GB18030.encode(&csv);
    std::fs::write(out.join("371325-费县-2026-10.csv"), gbk)?;
    Ok(())
}
