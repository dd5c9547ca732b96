//! Mail, the third front end: messages are read by `yuebao-mail`; replies and reminders are
//! built here (`reply`), sent through the city's server (`relay`), and the city's mailbox is
//! read on its server (`imap`), both over TLS (`tls`).

pub mod imap;
pub mod relay;
pub mod reply;
pub mod tls;

pub use yuebao_mail::*;
