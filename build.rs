// How the `yuebao` program is linked.
//
// `yuebao` carries polars, and with it about 100,000 relocations that a position-independent
// executable has the loader apply at every start: 2.2 MB of pointers written page by page, about
// 2.5 ms of a start that is otherwise 1.5 ms. A batch pays that once, but every short command,
// every test and every cron round pays it again. So `yuebao` is linked at a fixed address
// (`-no-pie`); its libraries, heap and stack are still placed at random, and what it parses in
// process (the plain xlsx subset, mail, HTTP) is read by safe Rust. `yuebao-reader`, the program
// in which calamine and the other whole-range readers open every other file, stays
// position-independent with full address randomisation. Build with `YUEBAO_PIE=1` to keep
// `yuebao` position-independent too.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=YUEBAO_PIE");
    let target = std::env::var("TARGET").unwrap_or_default();
    let pie = std::env::var_os("YUEBAO_PIE").is_some_and(|v| v == "1");
    if target.contains("-linux-gnu") && !pie {
        println!("cargo:rustc-link-arg-bin=yuebao=-no-pie");
    }
}
