//! The plain xlsx reader against calamine: the input is a worksheet's XML, then a 0xFF byte, then
//! the shared strings' XML, packed into a one-sheet workbook. Wherever the plain reader answers,
//! it must answer exactly as calamine does (see `ingest::plain`). Seeded with the sample
//! month's parts (scripts/fuzz-seed.sh).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (sheet, sst) = match data.iter().position(|b| *b == 0xFF) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    if let Some(difference) = yuebao_core::ingest::plain_differs(sheet, sst) {
        panic!("{difference}");
    }
});
