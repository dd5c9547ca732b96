//! yuebao's core: the form schema, reading county workbooks whatever they are, validation,
//! the form-layout writer and the annotated copy, findings, periods, Beijing time and the
//! processing limits (the rollups, on polars, are `yuebao-rollup`). It knows nothing of a store or of who acts: the store and the workflow
//! are built on it, never the other way round.

pub mod finding;
pub mod ingest;
pub mod limits;
pub mod period;
pub mod register;
pub mod sample;
pub mod schema;
pub mod text;
pub mod time;
pub mod validate;
pub mod workbook;
