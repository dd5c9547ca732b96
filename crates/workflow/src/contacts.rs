//! The address book that maps e-mail senders to regions, and the record of each message the
//! mail intake has handled. Both are stored facts, bound into the audit chain.

use super::audit::{Event, entry};
use super::{Action, Actor, Workflow, WorkflowError};
use crate::store::facts::Subject;
use crate::store::{Contact, MailMessage};

/// One line of an address book being imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRow {
    /// A region's code or name.
    pub region: String,
    pub name: Option<String>,
    pub email: String,
}

pub use crate::text::normalise_address;

impl Workflow<'_> {
    /// Puts every row in the address book (a row for an address already there changes whose it
    /// is), all or none: each region must exist and be one `actor` manages.
    pub fn import_contacts(&mut self, actor: &Actor, rows: &[ContactRow]) -> Result<usize, WorkflowError> {
        let mut checked = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let region = self.region(&row.region)?;
            self.allow(actor, Action::ManageUsers, region)?;
            let at = if rows.len() > 1 { format!("第 {} 行的", i + 1) } else { String::new() };
            let email = normalise_address(&row.email).ok_or_else(|| WorkflowError::Contact(format!("{at}“{}”不是电子邮件地址", row.email)))?;
            checked.push((region, email, row.name.as_deref().map(str::trim).filter(|n| !n.is_empty())));
        }
        let now = self.now;
        let tx = self.store.begin()?;
        for (region, email, name) in &checked {
            tx.set_contact(email, &region.code, *name, now, actor.name.as_deref())?;
            let text = format!(
                "通讯录：{email} 属于{}{}",
                self.schemas.regions.display(region),
                name.map(|n| format!("（{n}）")).unwrap_or_default()
            );
            tx.audit_fact(&entry(actor, Event::Contact, Some(&region.code), &text, now), &Subject::Contact(email.clone()))?;
        }
        tx.commit()?;
        Ok(checked.len())
    }

    /// The addresses of the regions `actor` manages, by region.
    pub fn contacts(&self, actor: &Actor) -> Result<Vec<Contact>, WorkflowError> {
        let all = self.store.contacts()?;
        Ok(all
            .into_iter()
            .filter(|c| {
                self.schemas
                    .regions
                    .get(&c.region)
                    .is_some_and(|r| super::scope::allowed(self.schemas, actor, Action::ManageUsers, r))
            })
            .collect())
    }

    /// Whose address this is, by the book.
    pub fn contact_of(&self, address: &str) -> Result<Option<Contact>, WorkflowError> {
        let Some(a) = normalise_address(address) else { return Ok(None) };
        Ok(self.store.contact(&a)?)
    }

    /// The upload already stored from the attachment with this mail key, if any.
    pub fn mail_submission(&self, key: &str) -> Result<Option<i64>, WorkflowError> {
        Ok(self.store.mail_submission(key)?)
    }

    /// What became of the message with this key, when it was handled before.
    pub fn mail_handled(&self, key: &str) -> Result<Option<String>, WorkflowError> {
        Ok(self.store.mail_handled(key)?)
    }

    /// Records a message as handled, with what became of it, in the audit chain.
    pub fn record_mail(&mut self, actor: &Actor, m: &MailMessage) -> Result<(), WorkflowError> {
        let tx = self.store.begin()?;
        tx.record_mail(m)?;
        let text = format!(
            "处理邮件“{}”（{}）：{}",
            m.subject.as_deref().unwrap_or(""),
            m.sender.as_deref().unwrap_or("发件人不明"),
            m.outcome
        );
        tx.audit_fact(&entry(actor, Event::Mail, None, &text, self.now), &Subject::Mail(m.key.clone()))?;
        tx.commit()?;
        Ok(())
    }
}
