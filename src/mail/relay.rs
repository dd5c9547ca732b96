//! `--smtp`: replies and reminders sent through the city's mail server (lettre's SMTP client),
//! from the queue in the store. Each message is queued in the transaction that decided to send
//! it and marked sent in its own as soon as the server has taken it; a message the server did
//! not take stays queued and goes out on the next run, once.

use crate::workflow::{Actor, Outgoing, Workflow};
use anyhow::Context;
use lettre::Transport;
use lettre::address::{Address, Envelope};
use lettre::transport::smtp::SmtpTransport;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use std::path::Path;
use std::time::Duration;

/// A server URL as the user gives it: `smtps://user@host:465` (TLS from the start) or
/// `smtp://user@host:587` (STARTTLS, required). `imaps://`/`imap://` for the mailbox likewise.
#[derive(Debug, Clone)]
pub struct ServerUrl {
    pub implicit_tls: bool,
    pub host: String,
    pub port: u16,
    /// The account, when the server wants one (percent-decoded).
    pub user: Option<String>,
    /// The rest of the path, percent-decoded: the IMAP folder.
    pub path: String,
}

impl ServerUrl {
    /// Parses `text` for a protocol: `secure` is its TLS scheme (`smtps`, `imaps`), `starttls`
    /// its plain one, upgraded before anything else is said.
    pub fn parse(text: &str, secure: (&str, u16), starttls: (&str, u16)) -> anyhow::Result<ServerUrl> {
        // Said back without what may be a password (`imaps://user:secret@host`).
        let shown = match (text.find("://"), text.rfind('@')) {
            (Some(s), Some(at)) if at > s => format!("{}://…@{}", &text[..s], &text[at + 1..]),
            _ => text.to_string(),
        };
        let bad = || {
            anyhow::anyhow!(
                "“{shown}”不是有效的服务器地址，应为 {}://用户名@主机[:端口] 或 {}://用户名@主机[:端口]",
                secure.0,
                starttls.0
            )
        };
        let url = url::Url::parse(text).map_err(|_| bad())?;
        let (implicit_tls, default_port) = match url.scheme() {
            s if s == secure.0 => (true, secure.1),
            s if s == starttls.0 => (false, starttls.1),
            _ => return Err(bad()),
        };
        anyhow::ensure!(
            url.password().is_none(),
            "不要把密码写在服务器地址里（会留在命令历史和进程列表中）；请用环境变量、--password-stdin 或提示输入"
        );
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(bad)?.trim_matches(['[', ']']).to_string();
        let decode = |s: &str| percent_decode(s).ok_or_else(bad);
        let user = Some(decode(url.username())?).filter(|u| !u.is_empty());
        let path = decode(url.path().trim_start_matches('/'))?;
        Ok(ServerUrl {
            implicit_tls,
            host,
            port: url.port().unwrap_or(default_port),
            user,
            path,
        })
    }

    /// `user@host:port`, for messages (never the password).
    pub fn label(&self) -> String {
        format!(
            "{}{}:{}",
            self.user.as_deref().map(|u| format!("{u}@")).unwrap_or_default(),
            self.host,
            self.port
        )
    }
}

fn percent_decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(s).decode_utf8().ok().map(|c| c.into_owned())
}

/// The city's outgoing server, ready to send.
pub struct Relay {
    transport: SmtpTransport,
    from: Address,
    pub label: String,
}

impl Relay {
    pub fn new(url: &ServerUrl, password: Option<&str>, ca_file: Option<&Path>, from: &str) -> anyhow::Result<Relay> {
        let mut tls = TlsParameters::builder(url.host.clone());
        // The same reading of the file as the mailbox's (`tls`), handed to lettre as DER.
        if let Some(path) = ca_file {
            for der in super::tls::pem_certificates(path)? {
                let cert = Certificate::from_der(der.to_vec()).map_err(|_| anyhow::anyhow!("证书文件 {} 中的证书无法使用", path.display()))?;
                tls = tls.add_root_certificate(cert);
            }
        }
        let tls = tls.build_rustls().map_err(|_| anyhow::anyhow!("TLS 设置失败"))?;
        let mut b = SmtpTransport::builder_dangerous(url.host.clone())
            .port(url.port)
            .tls(if url.implicit_tls { Tls::Wrapper(tls) } else { Tls::Required(tls) })
            .timeout(Some(Duration::from_secs(60)));
        if let Some(user) = &url.user {
            let pw = password.context("发送邮件需要密码")?;
            b = b.credentials(Credentials::new(user.clone(), pw.to_string()));
        }
        let mailbox: lettre::message::Mailbox = from.parse().map_err(|_| anyhow::anyhow!("发件地址“{from}”不是有效的电子邮件地址"))?;
        Ok(Relay {
            transport: b.build(),
            from: mailbox.email,
            label: url.label(),
        })
    }

    /// Hands one message to the server.
    fn send(&self, m: &Outgoing) -> Result<(), Failure> {
        let refused = |words: String| Failure { words, unreachable: false };
        let to: Address = m
            .recipient
            .parse()
            .map_err(|_| refused(format!("收件地址“{}”不是有效的电子邮件地址", m.recipient)))?;
        // From the address the message itself names (a reminder queued by `remind --from`,
        // sent by an `inbox` run), else this run's.
        let from = yuebao_mail::sender_of(&m.message)
            .and_then(|a| a.parse::<Address>().ok())
            .unwrap_or_else(|| self.from.clone());
        let envelope = Envelope::new(Some(from), vec![to]).map_err(|_| refused("邮件信封无法生成".into()))?;
        self.transport.send_raw(&envelope, &m.message).map(|_| ()).map_err(|e| failure(&e))
    }
}

/// Why a message did not go: in Chinese, and whether the server could not be reached at all
/// (then the rest of the queue waits for the next run rather than each failing alike).
struct Failure {
    words: String,
    unreachable: bool,
}

/// An SMTP failure in Chinese: what kind, and the server's reply code when there is one.
fn failure(e: &lettre::transport::smtp::Error) -> Failure {
    use std::error::Error as _;
    let unreachable = |words: String| Failure { words, unreachable: true };
    let refused = |words: String| Failure { words, unreachable: false };
    let code = e.status().map(|c| format!("（服务器答复 {c}）")).unwrap_or_default();
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return unreachable(format!("无法连接邮件服务器：{}", super::tls::io_words(io)));
        }
        if let Some(tls) = s.downcast_ref::<rustls::Error>() {
            return unreachable(super::tls::tls_words(tls));
        }
        source = s.source();
    }
    if e.is_timeout() {
        unreachable("邮件服务器无响应（超时）".into())
    } else if e.is_tls() {
        unreachable("与邮件服务器的 TLS 连接失败（服务器可能不支持 STARTTLS，或证书不受信任）".into())
    } else if e.is_permanent() {
        match e.status().map(|c| c.to_string()) {
            Some(c) if c.starts_with("535") || c.starts_with("530") => unreachable(format!("邮件服务器拒绝了用户名或密码{code}")),
            _ => refused(format!("邮件服务器拒收{code}")),
        }
    } else if e.is_transient() {
        refused(format!("邮件服务器暂时无法接收{code}"))
    } else {
        refused(format!("发送失败{code}"))
    }
}

/// What one flush of the queue did.
#[derive(Debug, Default, serde::Serialize)]
pub struct Flushed {
    pub sent: usize,
    pub failed: usize,
    /// One line per message that stays queued: to whom, and why.
    pub errors: Vec<String>,
}

/// Sends every queued message, oldest first. A message the server took is marked sent at once;
/// one it did not take stays queued with the reason. When the server cannot be reached at all
/// (or refuses the account), the rest are not tried this time.
pub fn flush(wf: &mut Workflow<'_>, actor: &Actor, relay: &Relay) -> anyhow::Result<Flushed> {
    let mut out = Flushed::default();
    let queued = wf.unsent_mail(actor)?;
    for (i, m) in queued.iter().enumerate() {
        // Another run (an `inbox --watch` beside a `remind`) is sending it, or has sent it.
        if !wf.claim_mail(actor, m)? {
            continue;
        }
        match relay.send(m) {
            Ok(()) => {
                wf.mail_sent(actor, m)?;
                out.sent += 1;
            }
            Err(why) => {
                wf.mail_attempt_failed(actor, m, &why.words)?;
                out.failed += 1;
                out.errors.push(format!("致 {}“{}”：{}", m.recipient, m.subject, why.words));
                if why.unreachable {
                    for rest in &queued[i + 1..] {
                        wf.mail_attempt_failed(actor, rest, &why.words)?;
                        out.failed += 1;
                    }
                    out.errors.push(format!("其余 {} 封未尝试，留待下次发送", queued.len() - i - 1));
                    break;
                }
            }
        }
    }
    Ok(out)
}

/// A queued message for the relay, made now.
pub fn outgoing(key: String, recipient: &str, subject: &str, message: Vec<u8>, now: crate::time::Time) -> Outgoing {
    Outgoing {
        key,
        recipient: recipient.to_string(),
        subject: subject.to_string(),
        message,
        queued_at: now,
        sent_at: None,
        attempts: 0,
        last_error: None,
    }
}
