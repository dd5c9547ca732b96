//! Mail, the third front end: messages are read by `yuebao-mail`; replies and reminders are
//! built here (`reply`).

pub mod reply;

pub use yuebao_mail::*;
