//! The mailbox on a real IMAP server and replies through a real SMTP server, both started here
//! on 127.0.0.1 with a certificate made by openssl: Debian's dovecot (a throw-away
//! configuration, a test user, STARTTLS and TLS) and aiosmtpd from PyPI (STARTTLS and AUTH
//! required). `.ci/run` installs both; outside CI a missing one skips its test and says so.
//! Nothing here reaches an address outside this machine.

use super::*;
use mail_parser::MimeHeaders;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Whether a server program is there; under CI its absence fails the test.
fn present(what: &str, found: bool) -> bool {
    if !found {
        assert!(std::env::var_os("CI").is_none_or(|v| v.is_empty()), "CI must have {what} (.ci/run installs it)");
        eprintln!("跳过邮件服务器测试：找不到 {what}");
    }
    found
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for(port: u16, child: &mut Child, log: &Path) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("server exited ({status}): {}", std::fs::read_to_string(log).unwrap_or_default());
        }
        assert!(start.elapsed() < Duration::from_secs(20), "server not listening on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A bureau's own certificate authority and, signed by it, the mail server's certificate for
/// localhost and 127.0.0.1: (the authority's certificate, the server's, its key).
fn certificate(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let p = |n: &str| dir.join(n);
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl").args(args).current_dir(dir).output().unwrap();
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Test Bureau CA",
        "-keyout",
        "ca-key.pem",
        "-out",
        "ca.pem",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "key.pem",
        "-out",
        "server.csr",
    ]);
    std::fs::write(p("ext.cnf"), "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca-key.pem",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
        "-out",
        "cert.pem",
    ]);
    (p("ca.pem"), p("cert.pem"), p("key.pem"))
}

/// A server process, stopped when the test ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const USER: &str = "clerk";
const PASSWORD: &str = "pw-不外传-7788";
/// 报表 in IMAP's modified UTF-7, worked out by hand: UTF-16BE 62A5 8868, base64 "YqWIaA".
const FOLDER_UTF7: &str = "&YqWIaA-";

struct Dovecot {
    _server: Server,
    starttls: u16,
    tls: u16,
}

/// dovecot on two fresh ports with one user and Maildir storage under `dir`.
fn dovecot(dir: &Path, cert: &Path, key: &Path) -> Option<Dovecot> {
    if !present("dovecot（Debian 的 dovecot-imapd）", Path::new("/usr/sbin/dovecot").exists()) {
        return None;
    }
    use std::os::unix::fs::PermissionsExt;
    let root = dir.join("dovecot");
    for d in ["run", "state", "home"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    // Its processes run as its own users, which must reach the configuration and the mail.
    for p in [dir, &root, &root.join("home")] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (starttls, tls) = (free_port(), free_port());
    // As root the mail belongs to dovecot's own user (it refuses uid 0); otherwise everything
    // runs as whoever runs the tests.
    let root_user = unsafe { libc::geteuid() } == 0;
    let (mail_user, run_as) = if root_user {
        let uid = Command::new("id").args(["-u", "dovecot"]).output().unwrap();
        let gid = Command::new("id").args(["-g", "dovecot"]).output().unwrap();
        let (uid, gid) = (
            String::from_utf8_lossy(&uid.stdout).trim().to_string(),
            String::from_utf8_lossy(&gid.stdout).trim().to_string(),
        );
        std::os::unix::fs::chown(root.join("home"), uid.parse().ok(), gid.parse().ok()).unwrap();
        (format!("uid={uid} gid={gid}"), String::new())
    } else {
        let me = String::from_utf8_lossy(&Command::new("id").arg("-un").output().unwrap().stdout)
            .trim()
            .to_string();
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        (
            format!("uid={uid} gid={gid}"),
            format!("default_login_user = {me}\ndefault_internal_user = {me}\n"),
        )
    };
    std::fs::write(root.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}\n")).unwrap();
    let r = root.display();
    let conf = format!(
        "protocols = imap\nlisten = 127.0.0.1\nbase_dir = {r}/run\nstate_dir = {r}/state\nlog_path = {r}/dovecot.log\n\
         ssl = required\nssl_cert = <{cert}\nssl_key = <{key}\nauth_mechanisms = plain\nfirst_valid_uid = 0\n{run_as}\
         service imap-login {{\n  chroot =\n  inet_listener imap {{\n    port = {starttls}\n  }}\n  inet_listener imaps {{\n    port = {tls}\n    ssl = yes\n  }}\n}}\n\
         service anvil {{\n  chroot =\n}}\n\
         passdb {{\n  driver = passwd-file\n  args = {r}/passwd\n}}\n\
         userdb {{\n  driver = static\n  args = {mail_user} home={r}/home/%u\n}}\n\
         mail_location = maildir:~/Maildir\n",
        cert = cert.display(),
        key = key.display(),
    );
    std::fs::write(root.join("dovecot.conf"), conf).unwrap();
    let mut child = Command::new("/usr/sbin/dovecot")
        .args(["-F", "-c", s(&root.join("dovecot.conf"))])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let log = root.join("dovecot.log");
    wait_for(starttls, &mut child, &log);
    wait_for(tls, &mut child, &log);
    Some(Dovecot {
        _server: Server(child),
        starttls,
        tls,
    })
}

type ImapSession = imap::Session<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>;

/// The test's own IMAP session (the clerk's mail client, as it were), over TLS.
fn session(port: u16, cert: &Path) -> ImapSession {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(cert).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let conn = rustls::ClientConnection::new(Arc::new(config), "localhost".try_into().unwrap()).unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut client = imap::Client::new(rustls::StreamOwned::new(conn, tcp));
    client.read_greeting().unwrap();
    client.login(USER, PASSWORD).map_err(|(e, _)| e).unwrap()
}

/// Each message of the folder: (its UID, its flags as text).
fn flags(s: &mut ImapSession) -> Vec<(u32, Vec<String>)> {
    s.select(FOLDER_UTF7).unwrap();
    let f = s.uid_fetch("1:*", "FLAGS").unwrap();
    let mut out: Vec<(u32, Vec<String>)> = f
        .iter()
        .map(|m| (m.uid.unwrap(), m.flags().iter().map(|f| format!("{f:?}")).collect()))
        .collect();
    out.sort();
    out
}

/// `yuebao ARGS` in `dir` with `input` on its standard input.
fn yuebao_with(dir: &Path, args: &[&str], input: &str, env: &[(&str, &str)]) -> Run {
    yuebao_stdin(dir, args, input, env).into()
}

fn imap_messages(dir: &Path) -> Vec<Vec<u8>> {
    let clean = Mail {
        id: Some("imap-clean@county.example".into()),
        from: "lanshan@county.example".into(),
        subject: word_gbk("兰山区10月报表"),
        received: Some("Wed, 4 Nov 2026 09:30:00 +0800".into()),
        date: "Wed, 4 Nov 2026 09:20:00 +0800".into(),
        entity: mixed(
            "i1",
            &[attachment(
                XLSX,
                &rfc2231_gbk("兰山区.xlsx"),
                &sheet_bytes(dir, "371302", "兰山区", "2026-10", false),
            )],
        ),
    };
    let bad = Mail::at(
        Some("imap-bad@county.example"),
        "luozhuang@county.example",
        "luozhuang",
        "Thu, 5 Nov 2026 16:00:00 +0800",
        mixed(
            "i2",
            &[attachment(
                XLSX,
                "filename=\"luozhuang.xlsx\"",
                &sheet_bytes(dir, "371311", "罗庄区", "2026-10", true),
            )],
        ),
    );
    let empty = Mail::at(
        Some("imap-empty@county.example"),
        "hedong@county.example",
        "hello",
        "Thu, 5 Nov 2026 10:00:00 +0800",
        text_part("报表稍后发"),
    );
    vec![clean.bytes(), bad.bytes(), empty.bytes()]
}

#[test]
fn the_mailbox_on_an_imap_server_is_read_once_and_marked() {
    let d = tmp();
    let dir = d.path();
    if !present("openssl", Command::new("openssl").arg("version").output().is_ok()) {
        return;
    }
    let (ca, cert, key) = certificate(dir);
    let Some(server) = dovecot(dir, &cert, &key) else { return };
    let data = dir.join("data");
    let book = write(
        &dir.join("通讯录.csv"),
        "地区,姓名,电子邮件\n兰山区,王芳,lanshan@county.example\n罗庄区,李强,luozhuang@county.example\n".as_bytes(),
    );
    ok(&yuebao(&["contacts", "import", s(&book), "--data", s(&data), "--now", NOW]));

    // The mailbox: three messages in a folder named in Chinese, one already read by the clerk.
    let mut clerk = session(server.tls, &ca);
    clerk.create(FOLDER_UTF7).unwrap();
    for m in imap_messages(dir) {
        clerk.append(FOLDER_UTF7, &m).finish().unwrap();
    }
    clerk.select(FOLDER_UTF7).unwrap();
    clerk.uid_store("3", "+FLAGS (\\Seen)").unwrap();

    let starttls = format!("imap://{USER}@localhost:{}/报表", server.starttls);
    let implicit = format!("imaps://{USER}@localhost:{}/%E6%8A%A5%E8%A1%A8", server.tls);
    let base = ["--data", s(&data), "--now", NOW, "--ca-file", s(&ca)];

    // A wrong password: refused in Chinese, and the password appears nowhere.
    let wrong = yuebao_with(dir, &[&["inbox", "--imap", &starttls, "--password-stdin"][..], &base].concat(), "not-it\n", &[]);
    assert_eq!(wrong.code, 2, "{}", wrong.stderr);
    assert!(
        wrong.stderr.contains("登录失败") && wrong.stderr.contains("用户名或密码不正确"),
        "{}",
        wrong.stderr
    );
    assert!(!wrong.stderr.contains("not-it") && !wrong.stdout.contains("not-it"));
    // A password typed into the address is refused, and not said back.
    let typed = yuebao_with(dir, &["inbox", "--imap", "imaps://clerk:pa/ss@localhost/INBOX", "--data", s(&data)], "", &[]);
    assert_eq!(typed.code, 2);
    assert!(
        typed.stderr.contains("不是有效的服务器地址") && !typed.stderr.contains("pa/ss"),
        "{}",
        typed.stderr
    );
    // The server's certificate, not trusted without --ca-file: said so, nothing read.
    let untrusted = yuebao_with(
        dir,
        &["inbox", "--imap", &implicit, "--data", s(&data), "--now", NOW],
        "",
        &[("YUEBAO_IMAP_PASSWORD", PASSWORD)],
    );
    assert_eq!(untrusted.code, 2, "{}", untrusted.stderr);
    assert!(
        untrusted.stderr.contains("证书不受信任") && untrusted.stderr.contains("--ca-file"),
        "{}",
        untrusted.stderr
    );

    // First run, STARTTLS, the password on standard input: all three read, stored, answered.
    let outbox = dir.join("out");
    let first = yuebao_with(
        dir,
        &[
            &["inbox", "--imap", &starttls, "--password-stdin", "--outbox", s(&outbox), "--format", "json"][..],
            &base,
        ]
        .concat(),
        &format!("{PASSWORD}\n"),
        &[],
    );
    assert_eq!(first.code, 1, "{}{}", first.stdout, first.stderr);
    assert!(!first.stdout.contains(PASSWORD) && !first.stderr.contains(PASSWORD));
    let sum: serde_json::Value = serde_json::from_str(&first.stdout).unwrap();
    assert_eq!(sum["messages"], 3, "{sum:#}");
    assert_eq!(sum["attachments_submitted"], 2, "{sum:#}");
    assert_eq!((sum["accepted"].as_i64(), sum["rejected"].as_i64()), (Some(1), Some(1)), "{sum:#}");
    assert_eq!(sum["replies"], 3, "{sum:#}");
    let origins: Vec<&str> = sum["results"].as_array().unwrap().iter().map(|r| r["origin"].as_str().unwrap()).collect();
    assert!(origins.iter().all(|o| o.contains("/报表 第 ")), "{origins:?}");
    // The arrival is the server's Received line, kept in the store.
    let h = history(&data, "371302", "2026-10");
    assert_eq!(h.len(), 1);
    assert!(h[0]["received_at"].as_str().unwrap().starts_with("2026-11-04T09:30:00"), "{h:?}");
    assert_eq!(h[0]["sender"], "lanshan@county.example");
    // Every message marked processed; what the clerk had not read stays unread.
    for (uid, f) in flags(&mut clerk) {
        assert!(f.iter().any(|x| x.contains("$YuebaoProcessed")), "{uid}: {f:?}");
        assert_eq!(f.iter().any(|x| x == "Seen"), uid == 3, "{uid}: {f:?}");
    }

    // Second run over TLS from the start, the password from the environment: nothing new.
    let env = [("YUEBAO_IMAP_PASSWORD", PASSWORD)];
    let again = yuebao_with(dir, &[&["inbox", "--imap", &implicit, "--format", "json"][..], &base].concat(), "", &env);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    let sum: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!((sum["messages"].as_i64(), sum["attachments_submitted"].as_i64()), (Some(0), Some(0)), "{sum:#}");
    assert_eq!(history(&data, "371302", "2026-10").len(), 1);

    // A mark lost (a crash between the store and the server): the message is read again,
    // recognised as handled, stored nothing, and marked.
    clerk.select(FOLDER_UTF7).unwrap();
    clerk.uid_store("1", "-FLAGS ($YuebaoProcessed)").unwrap();
    let third = yuebao_with(dir, &[&["inbox", "--imap", &implicit, "--format", "json"][..], &base].concat(), "", &env);
    let sum: serde_json::Value = serde_json::from_str(&third.stdout).unwrap();
    assert_eq!((sum["messages"].as_i64(), sum["already_handled"].as_i64()), (Some(1), Some(1)), "{sum:#}");
    assert_eq!(sum["attachments_submitted"], 0);
    assert!(flags(&mut clerk)[0].1.iter().any(|x| x.contains("$YuebaoProcessed")));
    assert_eq!(history(&data, "371302", "2026-10").len(), 1);

    // A new message arrives; `--watch` polls and takes it in its first round.
    clerk
        .append(
            FOLDER_UTF7,
            &Mail::at(
                Some("imap-new@county.example"),
                "hedong@county.example",
                "again",
                "Fri, 6 Nov 2026 10:00:00 +0800",
                text_part("仍无附件"),
            )
            .bytes(),
        )
        .finish()
        .unwrap();
    let mut watch = Command::new(env!("CARGO_BIN_EXE_yuebao"))
        .args([&["inbox", "--imap", &implicit, "--watch", "0.02"][..], &base].concat())
        .current_dir(dir)
        .envs(env)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(watch.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    let rounds = loop {
        let line = lines.next().expect("watch stopped").unwrap();
        seen.push(line.clone());
        let summaries: Vec<&String> = seen.iter().filter(|l| l.starts_with("共读取")).collect();
        if summaries.len() == 2 {
            break summaries.iter().map(|l| l.to_string()).collect::<Vec<_>>();
        }
    };
    let _ = watch.kill();
    let _ = watch.wait();
    assert!(seen[0].starts_with("== 第 1 轮"), "{seen:?}");
    assert!(rounds[0].starts_with("共读取 1 封邮件"), "{rounds:?}");
    assert!(rounds[1].starts_with("共读取 0 封邮件"), "{rounds:?}");
}

struct Smtpd {
    server: Option<Server>,
    port: u16,
    spool: PathBuf,
    args: Vec<String>,
}

impl Smtpd {
    /// aiosmtpd's server on a fresh port (not started yet): STARTTLS and AUTH required.
    fn new(dir: &Path, cert: &Path, key: &Path) -> Option<Smtpd> {
        let found = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !present("aiosmtpd（python3 -m pip install aiosmtpd）", found) {
            return None;
        }
        let spool = dir.join("smtp-spool");
        std::fs::create_dir_all(&spool).unwrap();
        let port = free_port();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mail/smtp_server.py");
        let args = [s(&script), &port.to_string(), s(cert), s(key), s(&spool), USER, PASSWORD]
            .map(str::to_string)
            .to_vec();
        Some(Smtpd {
            server: None,
            port,
            spool,
            args,
        })
    }

    fn start(&mut self) {
        let mut child = Command::new("python3")
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut ready = String::new();
        BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut ready).unwrap();
        assert_eq!(ready.trim(), "ready");
        self.server = Some(Server(child));
    }

    /// What it has taken: (envelope lines, message bytes), in arrival order.
    fn taken(&self) -> Vec<(Vec<String>, Vec<u8>)> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.spool)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| {
                let env = std::fs::read_to_string(p.with_extension("env")).unwrap();
                (env.lines().map(str::to_string).collect(), std::fs::read(p).unwrap())
            })
            .collect()
    }
}

#[test]
fn replies_and_reminders_go_out_through_an_smtp_server_once_even_when_it_was_down() {
    let d = tmp();
    let dir = d.path();
    if !present("openssl", Command::new("openssl").arg("version").output().is_ok()) {
        return;
    }
    let (ca, cert, key) = certificate(dir);
    let Some(mut smtpd) = Smtpd::new(dir, &cert, &key) else { return };
    let data = dir.join("data");
    let book = write(
        &dir.join("通讯录.csv"),
        "地区,姓名,电子邮件\n兰山区,王芳,lanshan@county.example\n罗庄区,李强,luozhuang@county.example\n河东区,赵六,hedong@county.example\n".as_bytes(),
    );
    ok(&yuebao(&["contacts", "import", s(&book), "--data", s(&data), "--now", NOW]));
    let mails = dir.join("mails");
    for (i, m) in imap_messages(dir).iter().enumerate() {
        write(&mails.join(format!("{i}.eml")), m);
    }
    let relay = format!("smtp://{USER}@localhost:{}", smtpd.port);
    let env = [("YUEBAO_SMTP_PASSWORD", PASSWORD)];
    let from = ["--reply-from", "临沂市人社局 <tjk@linyi.example>"];
    let base = ["--data", s(&data), "--now", NOW, "--ca-file", s(&ca)];

    // The relay is down: the messages are handled and their replies queued, none lost.
    let down = yuebao_with(dir, &[&["inbox", s(&mails), "--smtp", &relay][..], &from, &base].concat(), "", &env);
    assert_eq!(down.code, 1, "{}{}", down.stdout, down.stderr);
    assert!(
        down.stdout.contains("经邮件服务器发出 0 封") && down.stdout.contains("未能发出 3 封"),
        "{}",
        down.stdout
    );
    assert!(
        down.stdout.contains("无法连接邮件服务器") && down.stdout.contains("连接被拒绝"),
        "{}",
        down.stdout
    );
    // Reminders for the same month, queued too.
    let remind = [
        "remind",
        "--period",
        "2026-10",
        "--region",
        "371300",
        "--smtp",
        &relay,
        "--from",
        "临沂市人社局 <tjk@linyi.example>",
    ];
    let r = yuebao_with(dir, &[&remind[..], &base].concat(), "", &env);
    assert!(
        r.stdout.contains("已排入发送队列催报邮件") && r.stdout.contains("未能发出"),
        "{}{}",
        r.stdout,
        r.stderr
    );

    // It is back: the next run (of either command) sends everything queued, once.
    smtpd.start();
    let back = yuebao_with(dir, &[&["inbox", s(&mails), "--smtp", &relay][..], &from, &base].concat(), "", &env);
    assert!(back.stdout.contains("已处理过而跳过 3"), "{}", back.stdout);
    let taken = smtpd.taken();
    let expected_reminders = r.stdout.matches("→").count();
    assert!(expected_reminders >= 1, "{}", r.stdout);
    assert_eq!(taken.len(), 3 + expected_reminders, "{}", back.stdout);
    assert!(
        back.stdout.contains(&format!("经邮件服务器发出 {} 封", 3 + expected_reminders)),
        "{}",
        back.stdout
    );
    // Encrypted, authenticated, from the city's address.
    for (env, _) in &taken {
        assert_eq!(env[0], "tjk@linyi.example");
        assert_eq!((env[2].as_str(), env[3].as_str()), ("True", "True"), "{env:?}");
    }
    // The reply to 罗庄区: threaded under its message, in Chinese, with the annotated copy.
    let parse = |b: &[u8]| mail_parser::MessageParser::default().parse(b).unwrap().into_owned();
    let luozhuang = taken
        .iter()
        .map(|(e, b)| (e, parse(b)))
        .find(|(e, m)| e[1] == "luozhuang@county.example" && m.subject().is_some_and(|s| s.starts_with("回复")))
        .expect("a reply to 罗庄区");
    let m = &luozhuang.1;
    let threaded = m.in_reply_to().as_text_list().is_some_and(|l| l.iter().any(|r| r == "imap-bad@county.example"));
    assert!(threaded, "{:?}", m.in_reply_to());
    assert_eq!(m.subject(), Some("回复：luozhuang"));
    assert!(m.body_text(0).unwrap().contains("退回"), "{:?}", m.body_text(0));
    assert!(m.attachments().any(|a| a.attachment_name().is_some_and(|n| n.ends_with("-审核.xlsx"))));
    // A reminder went to a region on the 催报 list with its text.
    assert!(taken.iter().any(|(_, b)| parse(b).subject().is_some_and(|s| s.starts_with("【催报】"))));

    // Nothing is sent twice: another run of each sends nothing.
    let quiet = yuebao_with(dir, &[&["inbox", s(&mails), "--smtp", &relay][..], &from, &base].concat(), "", &env);
    assert!(
        quiet.stdout.contains("经邮件服务器发出 0 封") && !quiet.stdout.contains("未能发出"),
        "{}",
        quiet.stdout
    );
    let r2 = yuebao_with(dir, &[&remind[..], &base].concat(), "", &env);
    assert!(r2.stdout.contains("经邮件服务器发出 0 封"), "{}{}", r2.stdout, r2.stderr);
    assert_eq!(smtpd.taken().len(), 3 + expected_reminders);

    // A wrong password: said in Chinese, the reminder stays queued for the next day's run.
    let wrong = yuebao_with(
        dir,
        &[&remind[..], &["--data", s(&data), "--now", "2026-11-26 10:00", "--ca-file", s(&ca)]].concat(),
        "",
        &[("YUEBAO_SMTP_PASSWORD", "nope")],
    );
    assert!(wrong.stdout.contains("拒绝了用户名或密码"), "{}{}", wrong.stdout, wrong.stderr);
    assert!(!wrong.stdout.contains("nope"));

    // The audit chain still holds, with the queued and sent mail as facts in it.
    ok(&yuebao(&["verify", "--data", s(&data)]));
}
