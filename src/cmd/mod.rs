//! One file per subcommand: glue between the command line and the library.

pub mod deadline;
pub mod probe;
pub mod regions;
pub mod validate;
