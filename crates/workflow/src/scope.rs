//! Who may act on which region. A county's reporter hands in its own county's sheet; a city's
//! reviewer reviews its counties, enters their paper sheets (代报) and hands in the city's own
//! sheet (上报); the province reviews the cities' sheets and sees everything below. The command line is the local
//! operator, who may do everything. Checked here, once, for every action and every question.

use super::WorkflowError;
use crate::schema::regions::Resolve;
use crate::schema::{Region, Schemas};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// 填报：hands in its region's sheet.
    Reporter,
    /// 审核：reviews the regions below its own, and hands in its own region's sheet.
    Reviewer,
    /// 系统管理员：a reviewer who also manages the business accounts (填报, 审核) of its region and
    /// reads its audit log.
    Admin,
    /// 安全管理员：manages every account of its region (including administrators and auditors);
    /// sees no figures and takes no part in the cycle.
    Secadmin,
    /// 审计员：reads the audit log of its region; changes nothing and sees no figures.
    Auditor,
    /// The command line on the machine that holds the store: every region, no login.
    Operator,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Reporter => "填报",
            Role::Reviewer => "审核",
            Role::Admin => "系统管理",
            Role::Secadmin => "安全管理",
            Role::Auditor => "审计",
            Role::Operator => "本机操作",
        }
    }

    /// The code stored with an account and in the audit log.
    pub fn code(self) -> &'static str {
        match self {
            Role::Reporter => "reporter",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
            Role::Secadmin => "secadmin",
            Role::Auditor => "auditor",
            Role::Operator => "operator",
        }
    }

    /// The role of a code an account may have (the operator is not one).
    pub fn of_code(code: &str) -> Option<Role> {
        [Role::Reporter, Role::Reviewer, Role::Admin, Role::Secadmin, Role::Auditor]
            .into_iter()
            .find(|r| r.code() == code)
    }

    /// Whether the role takes part in the monthly cycle (sees figures, hands in or reviews).
    pub fn in_cycle(self) -> bool {
        matches!(self, Role::Reporter | Role::Reviewer | Role::Admin | Role::Operator)
    }
}

/// Who is acting: a name (free text for the operator, the account for the portal), a role, and
/// the region the role is for (None for the operator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub name: Option<String>,
    pub role: Role,
    pub region: Option<String>,
    /// Where the request came from (the portal's client address), for the audit log.
    #[serde(skip)]
    pub address: Option<String>,
    /// Granted the sight of the register's personal information in full (a county's own
    /// reporter or reviewer); the operator on the command line has it.
    #[serde(skip)]
    pub personal: bool,
}

impl Actor {
    /// The command line: full scope; `by` is whatever name the user gave.
    pub fn operator(by: Option<&str>) -> Actor {
        Actor {
            name: by.map(str::to_string).filter(|s| !s.trim().is_empty()),
            role: Role::Operator,
            region: None,
            address: None,
            personal: true,
        }
    }

    /// How what this actor hands in arrives: the operator works on the command line, every
    /// account in the portal.
    pub fn channel(&self) -> crate::store::Channel {
        match self.role {
            Role::Operator => crate::store::Channel::Cli,
            _ => crate::store::Channel::Portal,
        }
    }

    pub fn new(name: &str, role: Role, region: &str) -> Actor {
        Actor {
            name: Some(name.to_string()),
            role,
            region: Some(region.to_string()),
            address: None,
            personal: false,
        }
    }

    /// The same actor, seen coming from `address`.
    pub fn from_address(mut self, address: &str) -> Actor {
        self.address = Some(address.to_string());
        self
    }

    /// The actor in a sentence: `兰山区（371302）的填报账号“张三”`.
    pub fn describe(&self, schemas: &Schemas) -> String {
        match (&self.role, &self.region) {
            (Role::Operator, _) | (_, None) => "本机操作员".into(),
            (role, Some(code)) => {
                let region = schemas.regions.get(code).map(|r| schemas.regions.display(r)).unwrap_or_else(|| code.clone());
                let name = self.name.as_deref().map(|n| format!("“{n}”")).unwrap_or_default();
                format!("{region}的{}账号{name}", role.label())
            }
        }
    }
}

/// The pages of the cycle an account works in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    /// A county's own month (upload, standing, versions).
    County,
    /// A city's or the province's board.
    Board,
    /// The year's grid.
    Year,
    /// The annual report.
    Annual,
    /// The register behind the sheets: a county's own, or a city's duplicates.
    Ledger,
    /// Accounts of the region.
    Users,
    /// The audit log.
    Audit,
    /// The account's own password.
    Password,
}

/// The places `actor` works in, in the order a menu lists them; the first is its home.
pub fn places(schemas: &Schemas, actor: &Actor) -> Vec<Place> {
    let own = actor.region.as_deref().and_then(|c| schemas.regions.get(c));
    let may = |a: Action| own.is_some_and(|r| allowed(schemas, actor, a, r));
    let mut out = Vec::new();
    if actor.role.in_cycle() {
        if own.is_some_and(|r| schemas.regions.is_leaf(r)) {
            out.extend([Place::County, Place::Ledger]);
        } else {
            out.extend([Place::Board, Place::Year, Place::Annual, Place::Ledger]);
        }
    }
    if may(Action::ManageUsers) {
        out.push(Place::Users);
    }
    if may(Action::Audit) {
        out.push(Place::Audit);
    }
    if actor.role != Role::Operator {
        out.push(Place::Password);
    }
    out
}

impl Actor {
    /// The region whose sheet an upload is for when it does not say: a reporter's own (a
    /// reviewer's upload names its region, or is 代报).
    pub fn own_sheet(&self) -> Option<&str> {
        if self.role == Role::Reporter { self.region.as_deref() } else { None }
    }
}

/// What an actor wants to do to a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See its standing, versions, findings, originals and rollups.
    View,
    /// Hand in its sheet (for a region below one's own: 代报).
    Submit,
    /// 审核退回, 审核通过, 解锁.
    Review,
    /// Create, disable and reset the accounts of a region.
    ManageUsers,
    /// Read the audit log about a region.
    Audit,
}

impl Action {
    fn verb(self) -> &'static str {
        match self {
            Action::View => "查看",
            Action::Submit => "报送",
            Action::Review => "审核",
            Action::ManageUsers => "管理账号",
            Action::Audit => "查看审计日志",
        }
    }
}

/// Whether `actor` may take `action` on `target`.
pub fn allowed(schemas: &Schemas, actor: &Actor, action: Action, target: &Region) -> bool {
    if actor.role == Role::Operator {
        return true;
    }
    let Some(own) = actor.region.as_deref().and_then(|c| schemas.regions.get(c)) else {
        return false;
    };
    let within = schemas.regions.within(target, &own.code);
    // Each level reviews the level right below it: the city its counties, the province its
    // cities (and sees the counties without reviewing them).
    let below = target.parent.as_deref() == Some(own.code.as_str());
    let province = own.parent.is_none();
    match (actor.role, action) {
        (Role::Reporter | Role::Reviewer | Role::Admin, Action::View) => within,
        (Role::Reporter, Action::Submit) => target.code == own.code,
        (Role::Reviewer | Role::Admin, Action::Submit) => within,
        (Role::Reviewer | Role::Admin, Action::Review) => below,
        (Role::Admin | Role::Secadmin, Action::ManageUsers) => within,
        (Role::Admin | Role::Secadmin | Role::Auditor, Action::Audit) => within,
        // The province's reviewers see the audit log too.
        (Role::Reviewer, Action::Audit) => province && within,
        (Role::Operator, _) => true,
        _ => false,
    }
}

/// As [`allowed`], with the refusal as a typed error.
pub fn check(schemas: &Schemas, actor: &Actor, action: Action, target: &Region) -> Result<(), WorkflowError> {
    if allowed(schemas, actor, action, target) {
        Ok(())
    } else {
        Err(WorkflowError::OutOfScope {
            actor: actor.describe(schemas),
            action: action.verb(),
            what: format!("地区 {} 的报表", target.code),
        })
    }
}

/// Resolves a region code or name, or says in Chinese why it cannot.
pub fn region_arg<'a>(schemas: &'a Schemas, text: &str) -> Result<&'a Region, WorkflowError> {
    if let Some(r) = schemas.regions.get(text.trim()) {
        return Ok(r);
    }
    match schemas.regions.resolve(text) {
        Ok(r) => Ok(r),
        Err(Resolve::Ambiguous(c)) => Err(WorkflowError::AmbiguousRegion {
            text: text.to_string(),
            candidates: c.join("或"),
        }),
        Err(Resolve::NotFound) => Err(WorkflowError::UnknownRegion { text: text.to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Role × action × whose region → allowed or refused, for a county (兰山区), a city (临沂市)
    /// and the province, against their own region, one below, a sibling and one above.
    #[test]
    fn the_role_matrix() {
        let s = Schemas::embedded().unwrap();
        let r = |c: &str| s.regions.get(c).unwrap();
        let lanshan_reporter = Actor::new("张三", Role::Reporter, "371302");
        let lanshan_reviewer = Actor::new("张三", Role::Reviewer, "371302");
        let linyi = Actor::new("李四", Role::Reviewer, "371300");
        let linyi_admin = Actor::new("李四", Role::Admin, "371300");
        let province = Actor::new("王五", Role::Reviewer, "370000");
        let linyi_sec = Actor::new("赵六", Role::Secadmin, "371300");
        let linyi_auditor = Actor::new("钱七", Role::Auditor, "371300");
        let operator = Actor::operator(Some("值班员"));
        use Action::*;
        // (actor, action, target, allowed)
        let table: &[(&Actor, Action, &str, bool)] = &[
            (&lanshan_reporter, View, "371302", true),
            (&lanshan_reporter, View, "371311", false),
            (&lanshan_reporter, View, "371300", false),
            (&lanshan_reporter, Submit, "371302", true),
            (&lanshan_reporter, Submit, "371311", false),
            (&lanshan_reporter, Submit, "371300", false),
            (&lanshan_reporter, Review, "371302", false),
            (&lanshan_reporter, Review, "371311", false),
            // A county has nothing below it to review.
            (&lanshan_reviewer, Review, "371302", false),
            (&lanshan_reviewer, Submit, "371302", true),
            (&linyi, View, "371300", true),
            (&linyi, View, "371302", true),
            (&linyi, View, "370102", false),
            (&linyi, View, "370000", false),
            (&linyi, Submit, "371300", true),
            (&linyi, Submit, "371302", true),
            (&linyi, Submit, "370102", false),
            (&linyi, Review, "371302", true),
            (&linyi, Review, "371300", false),
            (&linyi, Review, "370102", false),
            (&linyi, Review, "370100", false),
            (&linyi_admin, Review, "371302", true),
            (&linyi_admin, Review, "370102", false),
            (&province, View, "370102", true),
            (&province, Review, "371300", true),
            (&province, Review, "371302", false),
            (&province, Review, "370000", false),
            (&province, Submit, "370000", true),
            (&linyi, ManageUsers, "371302", false),
            (&linyi, Audit, "371300", false),
            (&province, Audit, "371300", true),
            (&linyi_admin, ManageUsers, "371302", true),
            (&linyi_admin, ManageUsers, "370102", false),
            (&linyi_admin, Audit, "371302", true),
            (&linyi_sec, ManageUsers, "371300", true),
            (&linyi_sec, View, "371302", false),
            (&linyi_sec, Submit, "371302", false),
            (&linyi_sec, Review, "371302", false),
            (&linyi_sec, Audit, "371300", true),
            (&linyi_auditor, Audit, "371302", true),
            (&linyi_auditor, Audit, "370100", false),
            (&linyi_auditor, View, "371302", false),
            (&linyi_auditor, ManageUsers, "371302", false),
            (&linyi_auditor, Review, "371302", false),
            (&operator, Review, "371300", true),
            (&operator, Submit, "370102", true),
        ];
        for (actor, action, target, want) in table {
            assert_eq!(allowed(&s, actor, *action, r(target)), *want, "{actor:?} {action:?} {target}");
        }
        let e = check(&s, &lanshan_reporter, Submit, r("371311")).unwrap_err().to_string();
        assert_eq!(e, "兰山区（371302）的填报账号“张三”无权报送地区 371311 的报表");
        // An account whose region is unknown may do nothing.
        let lost = Actor::new("x", Role::Reviewer, "999999");
        assert!(!allowed(&s, &lost, View, r("371302")));
    }
}
