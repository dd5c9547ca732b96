//! `serve --tls-cert --tls-key`: the portal speaks HTTPS itself, tried with curl (a real TLS
//! client) against a certificate made by openssl: the page comes over TLS with HSTS, a login
//! from the site's https origin gets a `Secure` cookie and an upload goes through, plain HTTP on
//! the same port gets nothing, and a bad key file is refused in Chinese before serving.

use super::*;
use std::process::Command;

/// Runs a tool the test needs; None (the test is skipped and says so) when it is missing
/// outside CI, a failure under CI.
fn tool(name: &str) -> Option<()> {
    if Command::new(name).arg("--version").output().is_ok() || Command::new(name).arg("version").output().is_ok() {
        return Some(());
    }
    assert!(std::env::var_os("CI").is_none_or(|v| v.is_empty()), "CI must have {name} (.ci/run installs it)");
    eprintln!("跳过 HTTPS 测试：找不到 {name}");
    None
}

fn curl(args: &[&str]) -> std::process::Output {
    Command::new("curl").args(["-sS", "--max-time", "20"]).args(args).output().unwrap()
}

#[test]
fn the_portal_serves_https_itself_with_hsts() {
    let (Some(()), Some(())) = (tool("openssl"), tool("curl")) else { return };
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    let (cert, key) = (d.path().join("cert.pem"), d.path().join("key.pem"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", s(&key), "-out", s(&cert)])
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));

    // A key that is not one: refused before serving, in Chinese, naming the files.
    let junk = d.path().join("junk.pem");
    std::fs::write(&junk, "not a key").unwrap();
    // `serve` with the certificate and this key.
    let serve_with_key = |key: &str| yuebao(&["serve", "--data", s(&data), "--listen", "127.0.0.1:0", "--tls-cert", s(&cert), "--tls-key", key]);
    let run = serve_with_key(s(&junk));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("无法用证书") && run.stderr.contains("junk.pem"), "{}", run.stderr);
    assert!(run.stderr.contains("文件内容不是可用的证书和私钥") && !run.stderr.is_ascii(), "{}", run.stderr);
    let gone = serve_with_key("no-such-key.pem");
    assert!(gone.stderr.contains("找不到文件"), "{}", gone.stderr);

    let server = Server::start(&data, &["--now", "2026-11-03 10:00", "--tls-cert", s(&cert), "--tls-key", s(&key)]);
    let base = server.url.clone();
    assert!(base.starts_with("https://"), "{base}");
    let page = curl(&["--cacert", s(&cert), "-D", "-", &format!("{base}/login")]);
    let text = String::from_utf8_lossy(&page.stdout).to_lowercase();
    assert!(page.status.success(), "{}", String::from_utf8_lossy(&page.stderr));
    assert!(text.contains("strict-transport-security: max-age=31536000"), "{text}");
    assert!(text.contains("登录"), "{text}");

    // Signing in from the site's own https origin: a cookie browsers send back over HTTPS only.
    let jar = d.path().join("cookies.txt");
    let login = curl(&[
        "--cacert",
        s(&cert),
        "-D",
        "-",
        "-c",
        s(&jar),
        "-H",
        &format!("Origin: {base}"),
        "-H",
        "Content-Type: application/json",
        "-d",
        r#"{"username":"lanshan","password":"Ls-county-1"}"#,
        &format!("{base}/api/login"),
    ]);
    let said = String::from_utf8_lossy(&login.stdout).to_lowercase();
    assert!(said.starts_with("http/") && said.contains(" 200"), "{said}");
    assert!(said.lines().any(|l| l.starts_with("set-cookie:") && l.contains("; secure")), "{said}");
    // An upload over it, as a script would send one.
    let f = lanshan(&d.path().join("f"), "2026-10", &lanshan_rows());
    let up = curl(&[
        "--cacert",
        s(&cert),
        "-b",
        s(&jar),
        "-H",
        &format!("Origin: {base}"),
        "-F",
        &format!("file=@{}", s(&f)),
        &format!("{base}/api/uploads"),
    ]);
    let v: Value = serde_json::from_slice(&up.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&up.stdout)));
    assert_eq!(v["submission"]["status"], "accepted", "{v:#}");
    // The http origin of the same host and port is another site.
    let http = base.replace("https://", "http://");
    let other = curl(&[
        "--cacert",
        s(&cert),
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-b",
        s(&jar),
        "-H",
        &format!("Origin: {http}"),
        "-F",
        &format!("file=@{}", s(&f)),
        &format!("{base}/api/uploads"),
    ]);
    assert_eq!(String::from_utf8_lossy(&other.stdout), "403");

    // Plain HTTP to the HTTPS port gets no page.
    let plain = curl(&[&format!("{http}/login")]);
    assert!(!String::from_utf8_lossy(&plain.stdout).contains("登录"));
    // Nor does a client that does not trust the certificate.
    assert!(!curl(&[&format!("{base}/login")]).status.success());
    drop(server);

    // Served over plain HTTP (behind a proxy, or on the intranet) it does not speak for HTTPS.
    let plain = Server::start(&data, &["--now", "2026-11-03 10:00"]);
    let a = Client::new(&plain).get("/login");
    assert_eq!(a.status, 200);
    assert!(a.header("strict-transport-security").is_none());
}
