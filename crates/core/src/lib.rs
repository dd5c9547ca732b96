//! yuebao's core: the form schema, reading county workbooks whatever they are, validation,
//! the rollups and the workbooks written from them, findings, periods, Beijing time and the
//! processing limits. It knows nothing of a store or of who acts: the store and the workflow
//! are built on it, never the other way round.

#[cfg(feature = "rollup")]
pub mod aggregate;
pub mod finding;
pub mod ingest;
pub mod limits;
pub mod period;
pub mod sample;
pub mod schema;
pub mod text;
pub mod time;
pub mod validate;
pub mod workbook;
