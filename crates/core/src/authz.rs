//! Roles, permissions and area scopes. Every service function asks [`Actor::require`]
//! (or [`Actor::scope`]) before it touches data.
//!
//! A role is always granted *on an area*: the holder acts on that area's subtree only.

use serde::Serialize;

use crate::areas::code::{scope_prefix, AreaLevel};
use crate::error::{AppError, AppResult};

/// The roles of the platform. The three administrators are separate (三权分立): none can do
/// another's work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Role {
    Villager,
    GridWorker,
    VillageCadre,
    VillageSupervisor,
    TownshipStaff,
    CountyStaff,
    SystemAdmin,
    SecurityAdmin,
    AuditAdmin,
    /// The 政法 officer who reads confidential tips (R-TIP-1). No other role can.
    TipOfficer,
}

pub const ALL_ROLES: [Role; 10] = [
    Role::Villager,
    Role::GridWorker,
    Role::VillageCadre,
    Role::VillageSupervisor,
    Role::TownshipStaff,
    Role::CountyStaff,
    Role::SystemAdmin,
    Role::SecurityAdmin,
    Role::AuditAdmin,
    Role::TipOfficer,
];

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Villager => "villager",
            Role::GridWorker => "grid_worker",
            Role::VillageCadre => "village_cadre",
            Role::VillageSupervisor => "village_supervisor",
            Role::TownshipStaff => "township_staff",
            Role::CountyStaff => "county_staff",
            Role::SystemAdmin => "system_admin",
            Role::SecurityAdmin => "security_admin",
            Role::AuditAdmin => "audit_admin",
            Role::TipOfficer => "tip_officer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        ALL_ROLES.iter().copied().find(|r| r.as_str() == s)
    }

    /// Roles that must use a second factor (等保 level 3: staff above the village and
    /// administrators).
    pub fn requires_totp(self) -> bool {
        matches!(
            self,
            Role::TownshipStaff
                | Role::CountyStaff
                | Role::SystemAdmin
                | Role::SecurityAdmin
                | Role::AuditAdmin
                | Role::TipOfficer
        )
    }

    /// Whether the role is held by staff (they get the workbench) rather than a villager.
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Villager)
    }

    pub fn is_admin(self) -> bool {
        matches!(
            self,
            Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin
        )
    }

    /// The area levels a grant of this role may sit on.
    pub fn allowed_levels(self) -> &'static [AreaLevel] {
        match self {
            Role::Villager => &[AreaLevel::Village, AreaLevel::Group],
            Role::GridWorker => &[AreaLevel::Grid, AreaLevel::Village],
            Role::VillageCadre | Role::VillageSupervisor => &[AreaLevel::Village],
            Role::TownshipStaff => &[AreaLevel::Township],
            Role::TipOfficer => &[AreaLevel::County, AreaLevel::Township],
            Role::CountyStaff | Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin => {
                &[AreaLevel::County]
            }
        }
    }
}

/// What an action needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Permission {
    /// Read the area tree.
    AreaRead,
    /// Create or import areas.
    AreaWrite,
    /// Read people and households (masked).
    PeopleRead,
    /// Create and edit people and households.
    PeopleWrite,
    /// Reveal a full ID number or phone (with a reason; audited).
    PeopleReveal,
    /// Import people from XLSX.
    PeopleImport,
    /// Export people to XLSX.
    PeopleExport,
    /// Confirm a villager's self-registration; create accounts for villagers and act for them.
    AccountsVillage,
    /// Create users, reset passwords, disable accounts (system administrator).
    UsersManage,
    /// Grant and revoke roles, unlock accounts (security administrator).
    RolesGrant,
    /// Read and export the audit log (audit administrator).
    AuditRead,
    /// A villager's own records.
    SelfService,
    /// Raise a case (report, request, dispute …) in the area.
    CaseRaise,
    /// Read the cases of the area (queues, case pages).
    CaseRead,
    /// Accept, reject, dispatch, close, escalate and decide extensions.
    CaseManage,
    /// Work on a dispatched case: start, suspend, handle, return.
    CaseHandle,
    /// Verify handled work on site (never one's own).
    CaseVerify,
    /// Keep the catalogue of case types, the SLAs and the county settings.
    CaseCatalogue,
    /// Read confidential tips (audited, every read).
    TipRead,
    /// Read the village's matters, meetings, votes, levy plans and suggestions.
    DeliberationRead,
    /// Run the village's matters and meetings (四议两公开), levy plans (一事一议), answer
    /// suggestions and keep bylaws.
    DeliberationManage,
    /// Draft and release publications (村务公开), answer objections.
    DisclosureManage,
    /// Review publications before release (村务监督委员会, R-VA-3) and host the annual
    /// 民主评议 of the village's cadres (R-SUP-4).
    DisclosureReview,
    /// Township oversight: file and review bylaws (备案), approve levy plans and award-subsidy
    /// applications, receive escalated objections.
    DeliberationOversee,
    /// Manage the county's outgoing webhooks (subscriptions, secrets, redelivery). Payloads
    /// carry no personal data, so the system administrator may do it too.
    WebhooksManage,
}

pub const ALL_PERMISSIONS: [Permission; 25] = [
    Permission::AreaRead,
    Permission::AreaWrite,
    Permission::PeopleRead,
    Permission::PeopleWrite,
    Permission::PeopleReveal,
    Permission::PeopleImport,
    Permission::PeopleExport,
    Permission::AccountsVillage,
    Permission::UsersManage,
    Permission::RolesGrant,
    Permission::AuditRead,
    Permission::SelfService,
    Permission::CaseRaise,
    Permission::CaseRead,
    Permission::CaseManage,
    Permission::CaseHandle,
    Permission::CaseVerify,
    Permission::CaseCatalogue,
    Permission::TipRead,
    Permission::DeliberationRead,
    Permission::DeliberationManage,
    Permission::DisclosureManage,
    Permission::DisclosureReview,
    Permission::DeliberationOversee,
    Permission::WebhooksManage,
];

/// The permission matrix: role × permission. Least privilege: administrators see no
/// personal data; supervisors read but do not edit; only the audit administrator reads
/// the audit log.
pub fn role_permits(role: Role, perm: Permission) -> bool {
    use Permission as P;
    use Role as R;
    match role {
        R::Villager => matches!(perm, P::SelfService | P::CaseRaise),
        R::GridWorker => matches!(
            perm,
            P::AreaRead
                | P::PeopleRead
                | P::PeopleReveal
                | P::CaseRaise
                | P::CaseRead
                | P::CaseHandle
                | P::CaseVerify
        ),
        R::VillageSupervisor => matches!(
            perm,
            P::AreaRead | P::PeopleRead | P::CaseRead | P::DeliberationRead | P::DisclosureReview
        ),
        R::VillageCadre | R::TownshipStaff => {
            matches!(
                perm,
                P::AreaRead
                    | P::PeopleRead
                    | P::PeopleWrite
                    | P::PeopleReveal
                    | P::PeopleImport
                    | P::PeopleExport
                    | P::AccountsVillage
                    | P::CaseRaise
                    | P::CaseRead
                    | P::CaseManage
                    | P::CaseHandle
                    | P::CaseVerify
                    | P::DeliberationRead
                    | P::DeliberationManage
                    | P::DisclosureManage
            ) || (role == R::TownshipStaff && perm == P::DeliberationOversee)
        }
        R::CountyStaff => matches!(
            perm,
            P::AreaRead
                | P::PeopleRead
                | P::PeopleWrite
                | P::PeopleReveal
                | P::PeopleExport
                | P::AccountsVillage
                | P::CaseRaise
                | P::CaseRead
                | P::CaseManage
                | P::CaseHandle
                | P::CaseVerify
                | P::CaseCatalogue
                | P::DeliberationRead
                | P::DeliberationOversee
                | P::WebhooksManage
        ),
        R::SystemAdmin => matches!(
            perm,
            P::AreaRead | P::AreaWrite | P::UsersManage | P::WebhooksManage
        ),
        R::SecurityAdmin => matches!(perm, P::AreaRead | P::RolesGrant),
        R::AuditAdmin => matches!(perm, P::AuditRead),
        R::TipOfficer => matches!(perm, P::AreaRead | P::TipRead),
    }
}

/// One role on one area.
#[derive(Debug, Clone, Serialize)]
pub struct Grant {
    pub role: Role,
    pub area_code: String,
    pub area_level: AreaLevel,
    pub area_name: String,
}

impl Grant {
    /// The code prefix of everything inside the granted area.
    pub fn prefix(&self) -> &str {
        scope_prefix(&self.area_code, self.area_level)
    }
}

/// Where an actor may act for one permission: area prefixes and grid codes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Area-code prefixes (county 6, township 9, village 12 digits …).
    pub prefixes: Vec<String>,
    /// Grid codes (a grid worker's grid: matched on `grid_code`, not on `area_code`).
    pub grids: Vec<String>,
}

impl Scope {
    /// The area prefixes to read for an optional `area` inside this scope: the whole scope
    /// when no area is given, else the area's significant prefix when the scope covers it
    /// (forbidden otherwise, like the case queues).
    pub fn narrowed(&self, area: Option<&str>) -> AppResult<Vec<String>> {
        match area.map(str::trim).filter(|a| !a.is_empty()) {
            None => Ok(self.prefixes.clone()),
            Some(a) => {
                let p = crate::people::service::significant_prefix(a);
                if !self.prefixes.iter().any(|s| p.starts_with(s.as_str())) {
                    return Err(AppError::Forbidden);
                }
                Ok(vec![p])
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.prefixes.is_empty() && self.grids.is_empty()
    }

    /// Whether a record in `area_code` (and optionally `grid_code`) lies inside.
    pub fn contains(&self, area_code: &str, grid_code: Option<&str>) -> bool {
        self.prefixes
            .iter()
            .any(|p| area_code.starts_with(p.as_str()))
            || grid_code.is_some_and(|g| self.grids.iter().any(|x| x == g))
    }

    /// Whether the whole area `code` lies inside (for area-level reads such as the tree).
    pub fn covers_area(&self, code: &str) -> bool {
        self.prefixes.iter().any(|p| code.starts_with(p.as_str()))
            || self.grids.iter().any(|g| code.starts_with(g.as_str()))
    }
}

/// Who is acting: the authenticated user with their grants, and where the request came from.
#[derive(Debug, Clone, Serialize)]
pub struct Actor {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub person_id: Option<String>,
    pub grants: Vec<Grant>,
    /// Source address of the request (for the audit record).
    pub source: Option<String>,
    /// When a cadre acts for a villager without a smartphone: the villager's user id.
    pub on_behalf_of: Option<String>,
}

impl Actor {
    /// The system itself (demo generation, CLI administration). Audited under this name.
    pub fn system(name: &str) -> Actor {
        Actor {
            user_id: String::new(),
            username: name.to_string(),
            display_name: name.to_string(),
            person_id: None,
            grants: Vec::new(),
            source: Some("cli".into()),
            on_behalf_of: None,
        }
    }

    pub fn is_system(&self) -> bool {
        self.user_id.is_empty()
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    pub fn can(&self, perm: Permission) -> bool {
        self.is_system() || self.grants.iter().any(|g| role_permits(g.role, perm))
    }

    /// The scope in which the actor holds `perm`. Empty means nowhere.
    pub fn scope(&self, perm: Permission) -> Scope {
        let mut s = Scope::default();
        if self.is_system() {
            s.prefixes.push(String::new());
            return s;
        }
        for g in &self.grants {
            if role_permits(g.role, perm) {
                if g.area_level == AreaLevel::Grid {
                    s.grids.push(g.area_code.clone());
                } else {
                    s.prefixes.push(g.prefix().to_string());
                }
            }
        }
        s
    }

    /// Require `perm` somewhere.
    pub fn require_any(&self, perm: Permission) -> AppResult<Scope> {
        let s = self.scope(perm);
        if s.is_empty() {
            return Err(AppError::Forbidden);
        }
        Ok(s)
    }

    /// Require `perm` on a record in `area_code` (with its grid, when it has one).
    pub fn require(
        &self,
        perm: Permission,
        area_code: &str,
        grid_code: Option<&str>,
    ) -> AppResult<()> {
        if self.scope(perm).contains(area_code, grid_code) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Require `perm` through a grant held *at* `level` that covers `area_code`: a step that
    /// belongs to one level of government (a township review, a county approval) is not
    /// taken by another level that happens to hold the same permission.
    pub fn require_at_level(
        &self,
        perm: Permission,
        area_code: &str,
        level: AreaLevel,
    ) -> AppResult<()> {
        let ok = self.is_system()
            || self.grants.iter().any(|g| {
                g.area_level == level
                    && role_permits(g.role, perm)
                    && area_code.starts_with(g.prefix())
            });
        if ok {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// The first (primary) grant, used to choose the home page.
    pub fn primary(&self) -> Option<&Grant> {
        self.grants.first()
    }

    pub fn is_staff(&self) -> bool {
        self.grants.iter().any(|g| g.role.is_staff())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn administrators_are_separated() {
        use Permission as P;
        let admin_perms = [P::UsersManage, P::RolesGrant, P::AuditRead];
        let admins = [Role::SystemAdmin, Role::SecurityAdmin, Role::AuditAdmin];
        for (i, r) in admins.iter().enumerate() {
            for (j, p) in admin_perms.iter().enumerate() {
                assert_eq!(role_permits(*r, *p), i == j, "{r:?} {p:?}");
            }
            for p in [P::PeopleRead, P::PeopleReveal, P::PeopleWrite] {
                assert!(!role_permits(*r, p), "admins see no personal data");
            }
        }
        for r in ALL_ROLES {
            if r != Role::AuditAdmin {
                assert!(!role_permits(r, P::AuditRead));
            }
        }
    }

    #[test]
    fn scope_is_by_prefix_and_grid() {
        let s = Scope {
            prefixes: vec!["130123101".into()],
            grids: vec!["130123102201001".into()],
        };
        assert!(s.contains("13012310120101", None));
        assert!(!s.contains("13012310220101", None));
        assert!(s.contains("13012310220101", Some("130123102201001")));
        assert!(!s.contains("13012310220101", Some("130123102201002")));
    }
}
