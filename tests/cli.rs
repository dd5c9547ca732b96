//! The one integration-test binary: every module drives the real `yuebao` binary (or, for
//! `workflow`, the library the front ends call) and reads back what it says and writes.

mod intake;
mod ledger;
mod mail;
mod portal;
mod review;
mod store;
mod support;
mod validate;
mod workbooks;
mod workflow;
