//! `yuebao deadline`: the due date of a period, first token on stdout.

use crate::cli::DeadlineArgs;
use crate::schema::Schemas;
use chrono::Datelike;

pub fn run(args: &DeadlineArgs, schemas: &Schemas) -> anyhow::Result<i32> {
    let rule = &schemas.form().period;
    let due = schemas.calendar.due_date(args.period, rule);
    let nominal = args.period.next();
    let mut line = format!("{}  {}报表的报送截止日", due.date, args.period.label());
    if due.date.day() != rule.due_day || due.date.month() != nominal.month {
        line.push_str(&format!("（{}月{}日遇休息日，顺延至下一个工作日）", nominal.month, rule.due_day));
    }
    if !due.covered {
        line.push_str(&format!(
            "；注意：日历中没有 {} 年的放假安排，只按周末推算，请在 schemas/calendar 中补录",
            due.date.year()
        ));
    }
    println!("{line}");
    Ok(0)
}
