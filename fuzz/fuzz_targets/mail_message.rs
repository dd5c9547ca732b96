//! A message as it may arrive, read by `yuebao inbox`'s walk (mail-parser, then forwarded
//! messages, zips and every attachment's classification): whatever the bytes, it ends with an
//! answer, never a crash. Seeded with the sample mailbox (scripts/fuzz-seed.sh).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let limits = yuebao_core::limits::Limits::default();
    if let Some(m) = yuebao_mail::read_message(data, &limits) {
        // What the reply and the store would use of it.
        let _ = (m.key.len(), m.sheets.len(), m.skipped.len(), m.received_at, m.refused.as_deref());
    }
});
