//! A workbook as read: sheets of sparse cells keyed by absolute position. Cells are kept small
//! (short texts inline, no per-cell map node) because a file may hold millions of them and is
//! read under a memory limit.

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

/// A cell as read: its cached value and, where the cell holds one, its formula.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub value: Value,
    pub formula: Option<Box<str>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Empty,
    Number(f64),
    Text(CompactString),
    Bool(bool),
    /// A date or time, shown as the spreadsheet would (`2026-10-01`).
    Date(Box<str>),
    /// An error value such as `#DIV/0!`.
    Error(Box<str>),
}

impl Value {
    pub fn text(s: impl Into<CompactString>) -> Value {
        Value::Text(s.into())
    }

    /// What the cell shows, for messages and for copying into annotated workbooks.
    pub fn display(&self) -> String {
        match self {
            Value::Empty => String::new(),
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Value::Number(n) => format!("{n}"),
            Value::Text(s) => s.to_string(),
            Value::Date(s) | Value::Error(s) => s.to_string(),
            Value::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        }
    }
}

impl Cell {
    pub fn new(value: Value) -> Cell {
        Cell { value, formula: None }
    }

    pub fn is_blank(&self) -> bool {
        self.formula.is_none()
            && match &self.value {
                Value::Empty => true,
                Value::Text(s) => s.chars().all(crate::text::is_space),
                _ => false,
            }
    }

    /// [`Cell::text`], borrowed where the cell holds text (millions of a register's cells are
    /// read this way).
    pub fn text_ref(&self) -> std::borrow::Cow<'_, str> {
        match &self.value {
            Value::Text(s) => std::borrow::Cow::Borrowed(s.trim()),
            _ => std::borrow::Cow::Owned(self.text()),
        }
    }

    /// The cell's content as text, for labels and header lines.
    pub fn text(&self) -> String {
        match &self.value {
            Value::Text(s) => s.trim().to_string(),
            v => {
                let shown = v.display();
                match shown.trim() {
                    t if t.len() == shown.len() => shown,
                    t => t.to_string(),
                }
            }
        }
    }
}

/// One worksheet: cells sorted by 0-based absolute (row, col), and merged ranges.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    pub name: String,
    cells: Vec<((u32, u32), Cell)>,
    sorted: bool,
    /// Most cells this sheet may come to hold (the reader's cell limit): growth stops there, so
    /// the cell limit is reached before the memory limit.
    room: usize,
    /// Merged ranges as (first_row, first_col, last_row, last_col).
    pub merges: Vec<(u32, u32, u32, u32)>,
    /// Rows hidden in the workbook, ascending (read from xlsx; other formats leave it empty).
    pub hidden_rows: Vec<u32>,
    /// Hidden column ranges (first, last), inclusive.
    pub hidden_cols: Vec<(u32, u32)>,
}

impl Grid {
    pub fn new(name: impl Into<String>) -> Grid {
        Grid {
            name: name.into(),
            sorted: true,
            room: usize::MAX,
            ..Grid::default()
        }
    }

    /// A sheet read under a limit of `cells` cells.
    pub fn with_room(mut self, cells: u64) -> Grid {
        self.room = usize::try_from(cells).unwrap_or(usize::MAX).saturating_add(1);
        self
    }

    /// Adds a cell while reading; the last one written at a position wins.
    pub fn insert(&mut self, pos: (u32, u32), cell: Cell) {
        if let Some((last, _)) = self.cells.last()
            && *last >= pos
        {
            self.sorted = false;
        }
        // Grow by a quarter rather than double: the readers run under a memory limit and a
        // doubling near it would refuse a file that fits.
        let len = self.cells.len();
        if len == self.cells.capacity() {
            self.cells.reserve_exact((len / 4).max(64).min(self.room.saturating_sub(len).max(1)));
        }
        self.cells.push((pos, cell));
    }

    /// Puts the cells in position order once reading is done.
    pub fn finish(&mut self) {
        if !self.sorted {
            // Stable, so among cells at one position the last written stays last.
            self.cells.sort_by_key(|(p, _)| *p);
            let mut out: Vec<((u32, u32), Cell)> = Vec::with_capacity(self.cells.len());
            for (p, c) in self.cells.drain(..) {
                match out.last_mut() {
                    Some((lp, lc)) if *lp == p => *lc = c,
                    _ => out.push((p, c)),
                }
            }
            self.cells = out;
            self.sorted = true;
        }
        self.cells.shrink_to_fit();
    }

    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    fn index(&self, pos: (u32, u32)) -> Result<usize, usize> {
        debug_assert!(self.sorted, "Grid::finish not called");
        self.cells.binary_search_by_key(&pos, |(p, _)| *p)
    }

    pub fn get(&self, row: u32, col: u32) -> Option<&Cell> {
        self.index((row, col)).ok().map(|i| &self.cells[i].1)
    }

    pub fn contains(&self, pos: (u32, u32)) -> bool {
        self.index(pos).is_ok()
    }

    /// Every cell in position order.
    pub fn iter(&self) -> impl Iterator<Item = (&(u32, u32), &Cell)> {
        self.cells.iter().map(|(p, c)| (p, c))
    }

    /// Cells of the rows above `row`, in position order.
    pub fn above(&self, row: u32) -> impl Iterator<Item = (&(u32, u32), &Cell)> {
        let end = self.cells.partition_point(|(p, _)| p.0 < row);
        self.cells[..end].iter().map(|(p, c)| (p, c))
    }

    /// The rows from `row` on that hold cells, each with its cells in column order.
    pub fn rows_from(&self, row: u32) -> impl Iterator<Item = (u32, impl Iterator<Item = (u32, &Cell)>)> {
        let start = self.cells.partition_point(|(p, _)| p.0 < row);
        self.cells[start..]
            .chunk_by(|a, b| a.0.0 == b.0.0)
            .map(|cells| (cells[0].0.0, cells.iter().map(|(p, c)| (p.1, c))))
    }

    /// Cells of one row, in column order.
    pub fn row(&self, row: u32) -> impl Iterator<Item = (u32, &Cell)> {
        let start = self.cells.partition_point(|(p, _)| p.0 < row);
        self.cells[start..].iter().take_while(move |(p, _)| p.0 == row).map(|(p, c)| (p.1, c))
    }

    pub fn is_row_hidden(&self, row: u32) -> bool {
        self.hidden_rows.binary_search(&row).is_ok()
    }

    pub fn is_col_hidden(&self, col: u32) -> bool {
        self.hidden_cols.iter().any(|&(a, b)| (a..=b).contains(&col))
    }

    pub fn last_row(&self) -> Option<u32> {
        self.cells.last().map(|((r, _), _)| *r)
    }

    pub fn last_col(&self) -> u32 {
        self.cells.iter().map(|((_, c), _)| *c).max().unwrap_or(0)
    }

    /// The rows that hold at least one cell, ascending.
    pub fn rows(&self) -> impl Iterator<Item = u32> + '_ {
        let mut last = None;
        self.cells.iter().filter_map(move |((r, _), _)| {
            if last == Some(*r) {
                None
            } else {
                last = Some(*r);
                Some(*r)
            }
        })
    }
}

/// A workbook as read, every sheet in workbook order.
#[derive(Debug, Clone, Default)]
pub struct Book {
    pub sheets: Vec<Grid>,
}

impl Book {
    pub fn cells(&self) -> usize {
        self.sheets.iter().map(Grid::len).sum()
    }
}

// The wire form between a reader process and its parent (see `isolate`), in postcard: compact,
// and numbers carried as their bits so that no value changes on the way.

// A sheet goes as (name, cells, merges, hidden rows, hidden columns), each cell as (row, column,
// WireCell).

#[derive(Serialize, Deserialize)]
enum WireCell {
    E,
    N(u64),
    T(String),
    B(bool),
    D(String),
    X(String),
    F(Box<WireCell>, String),
}

fn to_wire(c: &Cell) -> WireCell {
    let v = match &c.value {
        Value::Empty => WireCell::E,
        Value::Number(n) => WireCell::N(n.to_bits()),
        Value::Text(s) => WireCell::T(s.to_string()),
        Value::Bool(b) => WireCell::B(*b),
        Value::Date(s) => WireCell::D(s.to_string()),
        Value::Error(s) => WireCell::X(s.to_string()),
    };
    match &c.formula {
        Some(f) => WireCell::F(Box::new(v), f.to_string()),
        None => v,
    }
}

fn from_wire(w: WireCell) -> Cell {
    match w {
        WireCell::F(v, f) => Cell {
            formula: Some(f.into_boxed_str()),
            ..from_wire(*v)
        },
        WireCell::E => Cell::new(Value::Empty),
        WireCell::N(b) => Cell::new(Value::Number(f64::from_bits(b))),
        WireCell::T(s) => Cell::new(Value::Text(s.into())),
        WireCell::B(b) => Cell::new(Value::Bool(b)),
        WireCell::D(s) => Cell::new(Value::Date(s.into_boxed_str())),
        WireCell::X(s) => Cell::new(Value::Error(s.into_boxed_str())),
    }
}

impl Serialize for Grid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        // Streamed cell by cell: a large sheet is not copied into a second form first.
        struct Cells<'a>(&'a [((u32, u32), Cell)]);
        impl Serialize for Cells<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter().map(|((r, c), cell)| (r, c, to_wire(cell))))
            }
        }
        let mut st = s.serialize_struct("WireGrid", 5)?;
        st.serialize_field("name", &self.name)?;
        st.serialize_field("cells", &Cells(&self.cells))?;
        st.serialize_field("merges", &self.merges)?;
        st.serialize_field("hidden_rows", &self.hidden_rows)?;
        st.serialize_field("hidden_cols", &self.hidden_cols)?;
        st.end()
    }
}

impl<'de> Deserialize<'de> for Grid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Grid, D::Error> {
        use serde::de::{DeserializeSeed, Error, SeqAccess, Visitor};
        // Cells go straight into the grid as they are read: a sheet of millions of cells is
        // not held twice, once as wire cells and once as cells.
        struct Cells(Grid);
        impl<'de> DeserializeSeed<'de> for Cells {
            type Value = Grid;
            fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Grid, D::Error> {
                d.deserialize_seq(self)
            }
        }
        impl<'de> Visitor<'de> for Cells {
            type Value = Grid;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("cells")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Grid, A::Error> {
                let mut g = self.0;
                if let Some(n) = seq.size_hint() {
                    g.cells.reserve_exact(n.min(g.room));
                }
                while let Some((r, c, cell)) = seq.next_element::<(u32, u32, WireCell)>()? {
                    g.insert((r, c), from_wire(cell));
                }
                Ok(g)
            }
        }
        struct Whole;
        impl<'de> Visitor<'de> for Whole {
            type Value = Grid;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a sheet")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Grid, A::Error> {
                let missing = || A::Error::custom("a sheet cut short");
                let name: String = seq.next_element()?.ok_or_else(missing)?;
                let mut g = seq.next_element_seed(Cells(Grid::new(name)))?.ok_or_else(missing)?;
                g.merges = seq.next_element()?.ok_or_else(missing)?;
                g.hidden_rows = seq.next_element()?.ok_or_else(missing)?;
                g.hidden_cols = seq.next_element()?.ok_or_else(missing)?;
                g.finish();
                Ok(g)
            }
        }
        d.deserialize_struct("WireGrid", &["name", "cells", "merges", "hidden_rows", "hidden_cols"], Whole)
    }
}

impl Serialize for Book {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.sheets.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Book {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Book, D::Error> {
        Ok(Book {
            sheets: Vec::<Grid>::deserialize(d)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_small() {
        assert!(std::mem::size_of::<((u32, u32), Cell)>() <= 48);
    }

    #[test]
    fn grid_keeps_the_last_write_and_answers_by_row() {
        let mut g = Grid::new("S");
        g.insert((2, 1), Cell::new(Value::Number(1.0)));
        g.insert((0, 3), Cell::new(Value::text("a")));
        g.insert((2, 1), Cell::new(Value::Number(2.0)));
        g.insert((2, 0), Cell::new(Value::text("b")));
        g.finish();
        assert_eq!(g.len(), 3);
        assert_eq!(g.get(2, 1).unwrap().value, Value::Number(2.0));
        assert_eq!(g.row(2).map(|(c, _)| c).collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(g.above(2).count(), 1);
        assert_eq!(g.rows().collect::<Vec<_>>(), vec![0, 2]);
        assert_eq!(g.last_row(), Some(2));
        assert_eq!(g.last_col(), 3);
    }

    #[test]
    fn the_wire_form_keeps_every_value_exactly() {
        let mut g = Grid::new("表1");
        g.insert((0, 0), Cell::new(Value::Number(0.1 + 0.2)));
        g.insert((0, 1), Cell::new(Value::text("兰山区")));
        g.insert(
            (1, 0),
            Cell {
                value: Value::Number(-3.5e-300),
                formula: Some("SUM(A1:A2)".into()),
            },
        );
        g.insert((1, 1), Cell::new(Value::Error("#DIV/0!".into())));
        g.insert((1, 2), Cell::new(Value::Date("2026-10-01".into())));
        g.insert((1, 3), Cell::new(Value::Bool(true)));
        g.merges.push((0, 0, 0, 3));
        g.hidden_rows = vec![1, 4];
        g.hidden_cols = vec![(2, 3)];
        g.finish();
        let book = Book { sheets: vec![g] };
        let back: Book = postcard::from_bytes(&postcard::to_stdvec(&book).unwrap()).unwrap();
        let (a, b) = (&book.sheets[0], &back.sheets[0]);
        assert_eq!(a.iter().collect::<Vec<_>>(), b.iter().collect::<Vec<_>>());
        assert_eq!(a.merges, b.merges);
        assert_eq!((&b.hidden_rows, &b.hidden_cols), (&vec![1, 4], &vec![(2, 3)]));
        assert!(b.is_row_hidden(4) && !b.is_row_hidden(2) && b.is_col_hidden(3) && !b.is_col_hidden(4));
        assert_eq!(b.name, "表1");
    }
}
