//! The address book that maps e-mail senders to regions, and the record of each message the
//! mail intake has handled. Both are stored facts, bound into the audit chain.

use super::audit::{Event, entry};
use super::{Action, Actor, Workflow, WorkflowError};
use crate::store::facts::Subject;
use crate::store::{Contact, MailMessage, Outgoing};

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

    /// Records a message as handled, with what became of it, in the audit chain; with its reply
    /// queued for the relay in the same transaction when it is to be sent, so that a handled
    /// message's reply is never lost between the two.
    pub fn record_mail(&mut self, actor: &Actor, m: &MailMessage, reply: Option<&Outgoing>) -> Result<(), WorkflowError> {
        let tx = self.store.begin()?;
        tx.record_mail(m)?;
        let text = format!(
            "处理邮件“{}”（{}）：{}",
            m.subject.as_deref().unwrap_or(""),
            m.sender.as_deref().unwrap_or("发件人不明"),
            m.outcome
        );
        tx.audit_fact(&entry(actor, Event::Mail, None, &text, self.now), &Subject::Mail(m.key.clone()))?;
        if let Some(r) = reply {
            queue(&tx, actor, r, None, self.now)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// A 催报 sent by mail: recorded as the portal's copy is, with each message queued for the
    /// relay in the same transaction. A reminder already queued under the same key (the same
    /// region, address and day) is not queued again.
    pub fn remind_by_mail(&mut self, actor: &Actor, region: &str, period: crate::period::Period, mails: &[Outgoing]) -> Result<usize, WorkflowError> {
        let (code, text) = self.reminder_entry(actor, region, period)?;
        let tx = self.store.begin()?;
        let mut queued = 0;
        for m in mails {
            queued += usize::from(queue(&tx, actor, m, Some(&code), self.now)?);
        }
        // Mail that was queued already (the same day's run again) is no new reminder.
        if mails.is_empty() || queued > 0 {
            tx.audit(&entry(actor, Event::Reminder, Some(&code), &text, self.now))?;
        }
        tx.commit()?;
        Ok(queued)
    }

    /// The messages waiting for the relay, oldest first: the command line's alone.
    pub fn unsent_mail(&self, actor: &Actor) -> Result<Vec<Outgoing>, WorkflowError> {
        operator_only(actor)?;
        Ok(self.store.unsent_mail()?)
    }

    /// Takes a queued message for sending, so that no other run sends it too; false when it
    /// was sent meanwhile or another run is sending it (a claim ten minutes old is taken over).
    pub fn claim_mail(&mut self, actor: &Actor, m: &Outgoing) -> Result<bool, WorkflowError> {
        operator_only(actor)?;
        Ok(self.store.claim_mail(&m.key, self.now, self.now - chrono::Duration::minutes(10))?)
    }

    /// The relay has taken a queued message: marked sent, in the audit chain.
    pub fn mail_sent(&mut self, actor: &Actor, m: &Outgoing) -> Result<(), WorkflowError> {
        operator_only(actor)?;
        let tx = self.store.begin()?;
        tx.mark_sent(&m.key, self.now)?;
        let text = format!("邮件已发出：致 {}，“{}”", m.recipient, m.subject);
        tx.audit_fact(&entry(actor, Event::Mail, None, &text, self.now), &Subject::Outgoing(m.key.clone()))?;
        tx.commit()?;
        Ok(())
    }

    /// The relay refused or could not be reached: the message stays queued for the next run.
    pub fn mail_attempt_failed(&mut self, actor: &Actor, m: &Outgoing, error: &str) -> Result<(), WorkflowError> {
        operator_only(actor)?;
        Ok(self.store.mail_attempt_failed(&m.key, error)?)
    }
}

/// Mail goes out from the command line (`inbox`, `remind`), not from an account of the portal.
fn operator_only(actor: &Actor) -> Result<(), WorkflowError> {
    if actor.role == super::Role::Operator {
        Ok(())
    } else {
        Err(WorkflowError::MailFromCliOnly)
    }
}

/// Queues one message and records it in the audit chain; false when its key was queued before.
fn queue(tx: &crate::store::Txn<'_>, actor: &Actor, m: &Outgoing, region: Option<&str>, now: crate::time::Time) -> Result<bool, WorkflowError> {
    if !tx.queue_mail(m)? {
        return Ok(false);
    }
    let text = format!("邮件排入发送队列：致 {}，“{}”", m.recipient, m.subject);
    tx.audit_fact(&entry(actor, Event::Mail, region, &text, now), &Subject::Outgoing(m.key.clone()))?;
    Ok(true)
}
