//! `inbox --imap`: the city's mailbox on its server. Messages not yet marked as processed are
//! fetched one at a time (without marking them read: the clerk still sees them as unread), and
//! each is marked with the keyword `$YuebaoProcessed` once the store has recorded it. A message
//! fetched again after a crash between the two is recognised by its key and only marked.

use super::relay::ServerUrl;
use anyhow::Context;
use base64::Engine as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The keyword that marks a message as processed (servers that allow keywords of their own).
pub const PROCESSED: &str = "$YuebaoProcessed";

type Tls = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// An open mailbox: logged in, the folder selected.
pub struct Mailbox {
    session: imap::Session<Tls>,
    /// The server lets us keep a keyword of our own; else nothing is marked, every message is
    /// looked at by its header and what was handled before is skipped.
    keyword: bool,
    pub label: String,
}

/// A folder name as IMAP wants it: modified UTF-7 (RFC 3501 5.1.3), so that 报表 works.
pub fn folder_name(name: &str) -> String {
    let b64 = base64::engine::GeneralPurpose::new(&base64::alphabet::IMAP_MUTF7, base64::engine::general_purpose::NO_PAD);
    let mut out = String::new();
    let mut wide: Vec<u16> = Vec::new();
    let flush = |wide: &mut Vec<u16>, out: &mut String| {
        if !wide.is_empty() {
            let bytes: Vec<u8> = wide.iter().flat_map(|u| u.to_be_bytes()).collect();
            out.push('&');
            out.push_str(&b64.encode(bytes));
            out.push('-');
            wide.clear();
        }
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut wide, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            wide.extend(c.encode_utf16(&mut [0; 2]).iter());
        }
    }
    flush(&mut wide, &mut out);
    out
}

/// STARTTLS on the plain connection, before any password: the greeting, the command, its OK.
/// Read a byte at a time, so that nothing of the TLS handshake that follows is read here. (The
/// IMAP crate does this only with TLS libraries of its own choosing.)
fn starttls(tcp: &mut TcpStream) -> Result<(), String> {
    fn line(tcp: &mut TcpStream) -> Result<String, String> {
        let mut out = Vec::new();
        let mut b = [0u8; 1];
        while out.last() != Some(&b'\n') {
            match tcp.read(&mut b) {
                Ok(1) => out.push(b[0]),
                Ok(_) => return Err("连接被服务器中断".into()),
                Err(e) => return Err(super::tls::io_words(&e)),
            }
            if out.len() > 8192 {
                return Err("服务器的答复过长".into());
            }
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
    let greeting = line(tcp)?;
    if !greeting.starts_with("* OK") {
        return Err("服务器不接受连接".into());
    }
    tcp.write_all(b"y0 STARTTLS\r\n").map_err(|e| super::tls::io_words(&e))?;
    loop {
        let l = line(tcp)?;
        if let Some(rest) = l.strip_prefix("y0 ") {
            return if rest.starts_with("OK") {
                Ok(())
            } else {
                Err("服务器不支持 STARTTLS，不能以明文发送密码；请改用 imaps://".into())
            };
        }
    }
}

fn imap_words(e: &imap::Error) -> String {
    match e {
        imap::Error::Io(io) => super::tls::io_words(io),
        imap::Error::No(_) | imap::Error::Bad(_) => "服务器拒绝了请求".into(),
        imap::Error::ConnectionLost => "连接被服务器中断".into(),
        _ => "IMAP 协议错误".into(),
    }
}

impl Mailbox {
    /// Connects (TLS from the start for `imaps://`, STARTTLS for `imap://`), logs in and
    /// selects the URL's folder (INBOX when it names none).
    pub fn open(url: &ServerUrl, password: &str, ca_file: Option<&Path>) -> anyhow::Result<Mailbox> {
        let label = url.label();
        let user = url.user.as_deref().context("IMAP 地址中没有用户名，应为 imaps://用户名@主机/文件夹")?;
        let fail = |what: &str, why: String| anyhow::anyhow!("邮箱 {label}：{what}：{why}");
        let config = super::tls::client_config(ca_file)?;
        let tcp = TcpStream::connect((url.host.as_str(), url.port)).map_err(|e| fail("无法连接", super::tls::io_words(&e)))?;
        tcp.set_read_timeout(Some(Duration::from_secs(120))).ok();
        tcp.set_write_timeout(Some(Duration::from_secs(120))).ok();
        let mut tcp = tcp;
        if !url.implicit_tls {
            starttls(&mut tcp).map_err(|why| fail("无法建立加密连接", why))?;
        }
        let name = rustls_pki_types::ServerName::try_from(url.host.clone()).map_err(|_| fail("主机名无效", url.host.clone()))?;
        let conn = rustls::ClientConnection::new(Arc::clone(&config), name).map_err(|e| fail("TLS 设置失败", super::tls::tls_words(&e)))?;
        let mut stream = rustls::StreamOwned::new(conn, tcp);
        // The handshake now, so that an untrusted certificate is said as such.
        while stream.conn.is_handshaking() {
            stream
                .conn
                .complete_io(&mut stream.sock)
                .map_err(|e| fail("TLS 连接失败", super::tls::io_words(&e)))?;
        }
        let mut client = imap::Client::new(stream);
        // After STARTTLS there is no second greeting.
        if url.implicit_tls {
            client.read_greeting().map_err(|e| fail("无法连接", imap_words(&e)))?;
        }
        let mut session = client.login(user, password).map_err(|(e, _)| match e {
            imap::Error::No(_) | imap::Error::Bad(_) => fail("登录失败", "用户名或密码不正确".into()),
            e => fail("登录失败", imap_words(&e)),
        })?;
        let folder = if url.path.is_empty() { "INBOX".to_string() } else { url.path.clone() };
        let selected = session
            .select(folder_name(&folder))
            .map_err(|e| fail(&format!("无法打开文件夹“{folder}”"), imap_words(&e)))?;
        if selected.is_read_only {
            return Err(fail(&format!("文件夹“{folder}”只读"), "无法标记已处理的邮件；请给该账号写权限".into()));
        }
        let keyword = selected
            .permanent_flags
            .iter()
            .any(|f| matches!(f, imap::types::Flag::MayCreate) || matches!(f, imap::types::Flag::Custom(k) if k == PROCESSED));
        Ok(Mailbox {
            session,
            keyword,
            label: format!("{label}/{folder}"),
        })
    }

    /// Whether processed messages are marked with our keyword.
    pub fn marks_with_keyword(&self) -> bool {
        self.keyword
    }

    /// The UIDs of the messages not yet marked, in order (all of them where the server keeps
    /// no keyword of ours).
    pub fn unprocessed(&mut self) -> anyhow::Result<Vec<imap::types::Uid>> {
        let query = if self.keyword {
            format!("NOT KEYWORD {PROCESSED}")
        } else {
            "ALL".to_string()
        };
        let found = self
            .session
            .uid_search(query)
            .map_err(|e| anyhow::anyhow!("邮箱 {}：查找新邮件失败：{}", self.label, imap_words(&e)))?;
        let mut uids: Vec<_> = found.into_iter().collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// The answer about `uid` among what the server sent (it may add news about others).
    fn fetch_part<T>(&mut self, uid: imap::types::Uid, item: &str, part: impl Fn(&imap::types::Fetch<'_>) -> Option<T>) -> anyhow::Result<Option<T>> {
        let found = self
            .session
            .uid_fetch(uid.to_string(), item)
            .map_err(|e| anyhow::anyhow!("邮箱 {}：读取邮件失败：{}", self.label, imap_words(&e)))?;
        Ok(found.iter().find(|f| f.uid == Some(uid)).and_then(part))
    }

    /// A message's header alone.
    pub fn fetch_header(&mut self, uid: imap::types::Uid) -> anyhow::Result<Vec<u8>> {
        Ok(self
            .fetch_part(uid, "BODY.PEEK[HEADER]", |f| f.header().map(<[u8]>::to_vec))?
            .unwrap_or_default())
    }

    /// One message's bytes, without marking it read; its header alone when it is larger than
    /// `max` (the size is asked first).
    pub fn fetch(&mut self, uid: imap::types::Uid, max: usize) -> anyhow::Result<Fetched> {
        let Some(size) = self.fetch_part(uid, "RFC822.SIZE", |f| f.size)? else {
            return Ok(Fetched::Gone);
        };
        if size as usize > max {
            let header = self.fetch_header(uid)?;
            return Ok(Fetched::TooLarge { size: size as usize, header });
        }
        Ok(match self.fetch_part(uid, "BODY.PEEK[]", |f| f.body().map(<[u8]>::to_vec))? {
            Some(bytes) => Fetched::Message(bytes),
            None => Fetched::Gone,
        })
    }

    /// Marks a message as processed (nothing where the server keeps no keyword of ours: the
    /// clerk's read and unread stay as they were).
    pub fn mark(&mut self, uid: imap::types::Uid) -> anyhow::Result<()> {
        if !self.keyword {
            return Ok(());
        }
        self.session
            .uid_store(uid.to_string(), format!("+FLAGS.SILENT ({PROCESSED})"))
            .map_err(|e| anyhow::anyhow!("邮箱 {}：无法标记邮件为已处理：{}", self.label, imap_words(&e)))?;
        Ok(())
    }

    pub fn logout(mut self) {
        let _ = self.session.logout();
    }
}

/// What fetching one message gave.
pub enum Fetched {
    Message(Vec<u8>),
    /// Larger than the limit: its size and its header alone.
    TooLarge {
        size: usize,
        header: Vec<u8>,
    },
    Gone,
}
