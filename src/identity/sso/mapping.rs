//! From a signed-in user's groups to their role here (pure): the first rule of
//! `auth.role_mapping` whose group the user is in. A tenant role needs a tenant: the rule's,
//! else the one the identity provider names (the tenant claim or attribute); a rule giving a
//! tenant role with neither does not apply. Bureau roles and suppliers take no tenant.

use crate::identity::settings::RoleRule;
use crate::identity::Role;

/// What the rules give: a role and, for a tenant role, the tenant's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub tenant_code_opt: Option<String>,
}

pub fn grant(rules: &[RoleRule], groups: &[String], tenant_opt: Option<&str>) -> Option<Grant> {
    rules
        .iter()
        .filter(|rule| rule.role != Role::Display && groups.contains(&rule.group))
        .find_map(|rule| {
            if !rule.role.is_tenant_role() {
                return Some(Grant {
                    role: rule.role,
                    tenant_code_opt: None,
                });
            }
            let tenant = rule.tenant.as_deref().or(tenant_opt)?.trim();
            (!tenant.is_empty()).then(|| Grant {
                role: rule.role,
                tenant_code_opt: Some(tenant.to_owned()),
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(group: &str, role: Role, tenant: Option<&str>) -> RoleRule {
        RoleRule {
            group: group.to_owned(),
            role,
            tenant: tenant.map(str::to_owned),
        }
    }

    fn groups(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn the_first_rule_whose_group_the_user_is_in_wins() {
        let rules = [
            rule("yunguan-admins", Role::BureauAdmin, None),
            rule("edu-developers", Role::TenantMember, Some("edu")),
            rule("ops", Role::BureauOperator, None),
        ];
        assert_eq!(
            grant(&rules, &groups(&["ops", "yunguan-admins"]), None),
            Some(Grant {
                role: Role::BureauAdmin,
                tenant_code_opt: None
            })
        );
        assert_eq!(
            grant(&rules, &groups(&["edu-developers"]), Some("health")),
            Some(Grant {
                role: Role::TenantMember,
                tenant_code_opt: Some("edu".into())
            })
        );
        assert_eq!(grant(&rules, &groups(&["nobody"]), None), None);
        assert_eq!(grant(&rules, &[], None), None);
    }

    #[test]
    fn a_tenant_role_takes_the_providers_tenant_or_does_not_apply() {
        let rules = [
            rule("department-admins", Role::TenantAdmin, None),
            rule("everyone", Role::Supplier, None),
        ];
        assert_eq!(
            grant(&rules, &groups(&["department-admins"]), Some("edu")),
            Some(Grant {
                role: Role::TenantAdmin,
                tenant_code_opt: Some("edu".into())
            })
        );
        // No tenant named: the next rule that applies.
        assert_eq!(
            grant(&rules, &groups(&["department-admins", "everyone"]), None),
            Some(Grant {
                role: Role::Supplier,
                tenant_code_opt: None
            })
        );
        assert_eq!(
            grant(&rules, &groups(&["department-admins"]), Some(" ")),
            None
        );
    }

    #[test]
    fn no_group_makes_a_display_account() {
        let rules = [rule("walls", Role::Display, None)];
        assert_eq!(grant(&rules, &groups(&["walls"]), None), None);
    }
}
