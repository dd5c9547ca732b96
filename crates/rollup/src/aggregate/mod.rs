//! Rolling accepted sheets up with polars: county 合计 rows to their city, city totals to the
//! province. Column names in the frames are `c1 … cN`, one per form column.

pub mod rollup;

use polars::prelude::*;
use std::collections::BTreeMap;

/// One accepted sheet's 合计, and the city it counts towards (a city's own code for a city
/// rollup handed in as input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    pub code: String,
    pub city: String,
    pub values: Vec<i64>,
}

/// The sums: per city (code order) and for the whole province.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    pub cities: BTreeMap<String, Vec<i64>>,
    pub province: Vec<i64>,
}

fn col_name(no: usize) -> String {
    format!("c{no}")
}

/// A frame with `code`, `city` and one column per form column.
pub fn frame(rows: &[Contribution], width: usize) -> PolarsResult<DataFrame> {
    let mut cols = vec![
        Column::new("code".into(), rows.iter().map(|r| r.code.as_str()).collect::<Vec<_>>()),
        Column::new("city".into(), rows.iter().map(|r| r.city.as_str()).collect::<Vec<_>>()),
    ];
    for k in 0..width {
        let values: Vec<i64> = rows.iter().map(|r| r.values.get(k).copied().unwrap_or(0)).collect();
        cols.push(Column::new(col_name(k + 1).into(), values));
    }
    DataFrame::new(rows.len(), cols)
}

fn sums(width: usize) -> Vec<Expr> {
    (1..=width).map(|k| col(col_name(k)).sum()).collect()
}

fn row_values(df: &DataFrame, i: usize, width: usize) -> PolarsResult<Vec<i64>> {
    (1..=width).map(|k| Ok(df.column(&col_name(k))?.i64()?.get(i).unwrap_or(0))).collect()
}

/// Sums county contributions per city, adds the cities that came in as whole city sheets, and
/// sums all cities to the province. A city must not appear both ways; the caller decides which
/// source wins before calling.
pub fn roll_up(counties: &[Contribution], whole_cities: &[Contribution], width: usize) -> PolarsResult<Totals> {
    let mut names = vec!["city".to_string()];
    names.extend((1..=width).map(col_name));
    let by_city = frame(counties, width)?
        .lazy()
        .group_by([col("city")])
        .agg(sums(width))
        .select(names.iter().map(|n| col(n.as_str())).collect::<Vec<_>>())
        .collect()?;
    let direct = frame(whole_cities, width)?.select(names.iter().map(|n| n.as_str()))?;
    let all = by_city.vstack(&direct)?.sort(["city"], SortMultipleOptions::default())?;
    let province = all.clone().lazy().select(sums(width)).collect()?;

    let city_codes = all.column("city")?.str()?.clone();
    let mut cities = BTreeMap::new();
    for i in 0..all.height() {
        let code = city_codes.get(i).unwrap_or_default().to_string();
        cities.insert(code, row_values(&all, i, width)?);
    }
    let province = if province.height() == 0 {
        vec![0; width]
    } else {
        row_values(&province, 0, width)?
    };
    Ok(Totals { cities, province })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(code: &str, city: &str, v: &[i64]) -> Contribution {
        Contribution {
            code: code.into(),
            city: city.into(),
            values: v.to_vec(),
        }
    }

    #[test]
    fn counties_sum_to_cities_and_cities_to_the_province() {
        let counties = [
            c("371302", "371300", &[10, 5, 1]),
            c("371311", "371300", &[7, 2, 0]),
            c("370102", "370100", &[3, 3, 3]),
        ];
        let whole = [c("370200", "370200", &[100, 50, 25])];
        let t = roll_up(&counties, &whole, 3).unwrap();
        assert_eq!(t.cities.len(), 3);
        assert_eq!(t.cities["371300"], vec![17, 7, 1]);
        assert_eq!(t.cities["370100"], vec![3, 3, 3]);
        assert_eq!(t.cities["370200"], vec![100, 50, 25]);
        assert_eq!(t.province, vec![120, 60, 29]);
    }

    #[test]
    fn nothing_in_gives_zeros() {
        let t = roll_up(&[], &[], 4).unwrap();
        assert!(t.cities.is_empty());
        assert_eq!(t.province, vec![0, 0, 0, 0]);
    }
}
