//! The ingest + validate path on arbitrary bytes named `f.xls`; its corpus is seeded with the
//! fixtures of this reader family (see scripts/fuzz-seed.sh). The content decides the reader,
//! so mutations that leave the family are fine: they exercise the sniffer.
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::check(data, "f.xls"));
