//! The answer to a message, as an `.eml` (lettre's builder): to the sender, threaded under the
//! original (`In-Reply-To`, `References`), subject `回复：…`, a Chinese body that says per
//! attachment what became of it, and the annotated copies of sheets with findings attached.

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};

/// One reply, ready to be written or sent.
pub struct Reply {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// (file name, bytes) of the annotated copies.
    pub attachments: Vec<(String, Vec<u8>)>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// This reply's own Message-ID (with its angle brackets), when a reply to it must be
    /// recognised (a 说明 for sheets waiting for one); else lettre makes one up.
    pub message_id: Option<String>,
}

impl Reply {
    /// The message's bytes (CRLF lines), from `from`. Err with a Chinese sentence when an
    /// address cannot be used.
    pub fn eml(&self, from: &str) -> Result<Vec<u8>, String> {
        let from: Mailbox = from.parse().map_err(|_| format!("回信的发件地址“{from}”不是有效的电子邮件地址"))?;
        let to: Mailbox = self.to.parse().map_err(|_| format!("收件地址“{}”不是有效的电子邮件地址", self.to))?;
        let mut b = lettre::Message::builder()
            .from(from)
            .to(to)
            .subject(self.subject.clone())
            .message_id(self.message_id.clone());
        if let Some(id) = &self.in_reply_to {
            b = b.in_reply_to(id.clone());
        }
        if !self.references.is_empty() {
            b = b.references(self.references.join(" "));
        }
        let xlsx = ContentType::parse("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet").expect("a valid content type");
        let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(self.body.clone()));
        for (name, bytes) in &self.attachments {
            parts = parts.singlepart(Attachment::new(name.clone()).body(bytes.clone(), xlsx.clone()));
        }
        let m = b.multipart(parts).map_err(|e| format!("回信无法生成：{e}"))?;
        Ok(m.formatted())
    }
}
