//! yuebao's rollups: the sums of county sheets into city and province sheets (polars), and the
//! workbooks written from them (the rollup with its 报送情况 sheet, the annual report). Apart
//! from the core so that the core, the store and their tests build while polars does.

pub mod aggregate;
pub mod ledger;

/// The workbook writers: the core's (the form layout, the annotated copy) and the rollup's.
pub mod workbook {
    pub mod annual;
    pub mod rollup;
    pub use yuebao_core::workbook::*;
}

// The core's modules, named as the rollup code has always named them.
use yuebao_core::{finding, period, schema, text, validate};
