//! The 栏目关系 parser on arbitrary text: parse errors are fine, panics are not, and whatever
//! parses must print back to something that parses to the same rules.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(rules) = yuebao_core::schema::relation::parse_relations(text, 21) {
        let printed: Vec<String> = rules.iter().map(|r| r.to_string()).collect();
        let again = yuebao_core::schema::relation::parse_relations(&printed.join("；"), 21).expect("printed rules parse");
        assert_eq!(again.len(), rules.len());
        for (a, b) in rules.iter().zip(&again) {
            assert_eq!(a.to_string(), b.to_string());
        }
    }
});
