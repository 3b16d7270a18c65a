//! The six kinds of catalog item and what each means: the fields fulfilment relies on, the
//! cross-field rules, the facts that approval conditions compare, the quota a request
//! demands, and the default form, chain and fulfilment of the standard catalog.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::ToSchema;
use yunguan_actors::quota::Resources;
use yunguan_actors::ticket::chain::{ApprovalChain, Facts};

use super::form::{count_ports, FieldError, FieldKind, FormSchema};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// 云主机申请: new cloud hosts.
    VmRequest,
    /// 云主机变更: resize a host or add a disk.
    VmChange,
    /// 云主机回收: decommission a host.
    VmDecommission,
    /// 安全策略开通: open a firewall path.
    FirewallOpen,
    /// 故障报修: a generic incident.
    Incident,
    /// 桌面运维: a desktop support visit.
    DesktopSupport,
}

/// How an approved ticket of a kind is fulfilled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Fulfilment {
    /// The cloud provider creates or changes hosts.
    Provider,
    /// A person does it: a task for this role, due within `sla_secs`.
    Manual {
        assignee_role: String,
        sla_secs: u64,
    },
}

/// The preset flavours: (name, vCPU, memory GB).
pub const FLAVOURS: [(&str, i64, i64); 5] = [
    ("s1.small", 1, 2),
    ("s1.medium", 2, 4),
    ("s1.large", 4, 8),
    ("c1.xlarge", 8, 16),
    ("m1.2xlarge", 16, 64),
];

/// The class of field a kind relies on, whatever bounds an admin gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Integer,
    Text,
    Choice,
    Date,
    Cidrs,
    Ports,
    Boolean,
}

fn class_of(kind: &FieldKind) -> Class {
    match kind {
        FieldKind::Integer { .. } => Class::Integer,
        FieldKind::Text { .. } => Class::Text,
        FieldKind::Choice { .. } => Class::Choice,
        FieldKind::Date { .. } => Class::Date,
        FieldKind::Cidrs { .. } => Class::Cidrs,
        FieldKind::Ports { .. } => Class::Ports,
        FieldKind::Boolean => Class::Boolean,
    }
}

impl ItemKind {
    pub const ALL: [ItemKind; 6] = [
        ItemKind::VmRequest,
        ItemKind::VmChange,
        ItemKind::VmDecommission,
        ItemKind::FirewallOpen,
        ItemKind::Incident,
        ItemKind::DesktopSupport,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::VmRequest => "vm_request",
            ItemKind::VmChange => "vm_change",
            ItemKind::VmDecommission => "vm_decommission",
            ItemKind::FirewallOpen => "firewall_open",
            ItemKind::Incident => "incident",
            ItemKind::DesktopSupport => "desktop_support",
        }
    }

    pub fn parse(raw: &str) -> Option<ItemKind> {
        ItemKind::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }

    /// The fields this kind's fulfilment and facts read: (name, class, required).
    fn contract(self) -> &'static [(&'static str, Class, bool)] {
        use Class::*;
        match self {
            ItemKind::VmRequest => &[
                ("business_system", Text, true),
                ("flavour", Choice, true),
                ("vcpu", Integer, false),
                ("memory_gb", Integer, false),
                ("disk_gb", Integer, true),
                ("image", Choice, true),
                ("network", Choice, true),
                ("count", Integer, true),
                ("dc_preference", Choice, false),
                ("lease_end", Date, true),
                ("public_ip", Boolean, false),
            ],
            ItemKind::VmChange => &[
                ("business_system", Text, true),
                ("host_id", Integer, true),
                ("vcpu", Integer, false),
                ("memory_gb", Integer, false),
                ("add_disk_gb", Integer, false),
            ],
            ItemKind::VmDecommission => &[
                ("business_system", Text, true),
                ("host_id", Integer, true),
                ("reason", Text, true),
            ],
            ItemKind::FirewallOpen => &[
                ("business_system", Text, true),
                ("source_cidrs", Cidrs, true),
                ("destination_cidrs", Cidrs, true),
                ("ports", Ports, true),
                ("protocol", Choice, true),
                ("duration_days", Integer, true),
            ],
            ItemKind::Incident => &[
                ("business_system", Text, true),
                ("severity", Choice, true),
                ("description", Text, true),
            ],
            ItemKind::DesktopSupport => &[
                ("business_system", Text, true),
                ("location", Text, true),
                ("contact_phone", Text, true),
                ("description", Text, true),
                ("preferred_date", Date, false),
            ],
        }
    }

    /// The facts approval conditions may name.
    pub fn fact_names(self) -> &'static [&'static str] {
        match self {
            ItemKind::VmRequest => &[
                "count",
                "total_vcpu",
                "total_memory_gb",
                "total_disk_gb",
                "duration_days",
                "public_ips",
            ],
            ItemKind::VmChange => &["total_vcpu", "memory_gb", "add_disk_gb"],
            ItemKind::VmDecommission => &[],
            ItemKind::FirewallOpen => &["duration_days", "port_count", "source_count"],
            ItemKind::Incident => &["severity_rank"],
            ItemKind::DesktopSupport => &[],
        }
    }

    /// Whether an admin's form keeps every field this kind relies on, with the right class
    /// and required where the kind needs it.
    pub fn form_problems(self, form: &FormSchema) -> Vec<FieldError> {
        let mut problems = form.problems();
        for &(name, class, required) in self.contract() {
            match form.field(name) {
                None => problems.push(FieldError::new(
                    "form.fields",
                    format!("a {} form needs the field {name:?}", self.as_str()),
                )),
                Some(field) if class_of(&field.kind) != class => problems.push(FieldError::new(
                    "form.fields",
                    format!(
                        "field {name:?} must be of type {}",
                        format!("{class:?}").to_lowercase()
                    ),
                )),
                Some(field) if required && !field.required => problems.push(FieldError::new(
                    "form.fields",
                    format!("field {name:?} must be required"),
                )),
                Some(_) => {}
            }
        }
        if self == ItemKind::VmRequest {
            if let Some(FieldKind::Choice { options }) = form.field("flavour").map(|f| &f.kind) {
                let known =
                    |o: &String| o == "custom" || FLAVOURS.iter().any(|(name, ..)| name == o);
                if !options.iter().all(known) {
                    problems.push(FieldError::new(
                        "form.fields",
                        "flavour options must be \"custom\" or preset flavours",
                    ));
                }
            }
        }
        problems
    }

    pub fn fulfilment_problems(self, fulfilment: &Fulfilment) -> Vec<FieldError> {
        let by_provider = matches!(
            self,
            ItemKind::VmRequest | ItemKind::VmChange | ItemKind::VmDecommission
        );
        match fulfilment {
            Fulfilment::Provider if by_provider => vec![],
            Fulfilment::Provider => vec![FieldError::new(
                "fulfilment",
                format!(
                    "{} is fulfilled by a person, not the cloud provider",
                    self.as_str()
                ),
            )],
            Fulfilment::Manual { .. } if by_provider => vec![FieldError::new(
                "fulfilment",
                format!("{} is fulfilled by the cloud provider", self.as_str()),
            )],
            Fulfilment::Manual {
                assignee_role,
                sla_secs,
            } => {
                let mut problems = vec![];
                if !["bureau_operator", "supplier"].contains(&assignee_role.as_str()) {
                    problems.push(FieldError::new(
                        "fulfilment.assignee_role",
                        "must be bureau_operator or supplier",
                    ));
                }
                if !(600..=90 * 86_400).contains(sla_secs) {
                    problems.push(FieldError::new(
                        "fulfilment.sla_secs",
                        "must be between 600 and 7776000",
                    ));
                }
                problems
            }
        }
    }

    /// Rules across fields, after each field passed its own check.
    pub fn cross_field_problems(self, form: &Map<String, Value>) -> Vec<FieldError> {
        let mut problems = Vec::new();
        match self {
            ItemKind::VmRequest => {
                let custom = form.get("flavour").and_then(Value::as_str) == Some("custom");
                for field in ["vcpu", "memory_gb"] {
                    match (custom, form.contains_key(field)) {
                        (true, false) => {
                            problems.push(FieldError::new(field, "is required with flavour custom"))
                        }
                        (false, true) => {
                            problems.push(FieldError::new(field, "is set only with flavour custom"))
                        }
                        _ => {}
                    }
                }
            }
            ItemKind::VmChange
                if !["vcpu", "memory_gb", "add_disk_gb"]
                    .iter()
                    .any(|f| form.contains_key(*f)) =>
            {
                problems.push(FieldError::new(
                    "form",
                    "a change needs at least one of vcpu, memory_gb, add_disk_gb",
                ));
            }
            _ => {}
        }
        problems
    }

    /// The numbers approval conditions compare, from a valid form.
    pub fn facts(self, form: &Map<String, Value>, today: NaiveDate) -> Facts {
        let int = |name: &str| form.get(name).and_then(Value::as_i64).unwrap_or(0) as f64;
        let days_until = |name: &str| {
            form.get(name)
                .and_then(Value::as_str)
                .and_then(|raw| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
                .map(|date| (date - today).num_days() as f64)
                .unwrap_or(0.0)
        };
        let mut facts = Facts::new();
        match self {
            ItemKind::VmRequest => {
                let demand = vm_request_demand(form);
                facts.insert("count".into(), int("count"));
                facts.insert("total_vcpu".into(), demand.vcpu as f64);
                facts.insert("total_memory_gb".into(), demand.memory_gb as f64);
                facts.insert("total_disk_gb".into(), demand.storage_gb as f64);
                facts.insert("duration_days".into(), days_until("lease_end"));
                facts.insert("public_ips".into(), demand.public_ips as f64);
            }
            ItemKind::VmChange => {
                facts.insert("total_vcpu".into(), int("vcpu"));
                facts.insert("memory_gb".into(), int("memory_gb"));
                facts.insert("add_disk_gb".into(), int("add_disk_gb"));
            }
            ItemKind::FirewallOpen => {
                let list_len =
                    |name: &str| form.get(name).and_then(Value::as_array).map_or(0, Vec::len);
                let ports = form
                    .get("ports")
                    .and_then(Value::as_array)
                    .map_or(0, |p| count_ports(p));
                facts.insert("duration_days".into(), int("duration_days"));
                facts.insert("port_count".into(), ports as f64);
                facts.insert("source_count".into(), list_len("source_cidrs") as f64);
            }
            ItemKind::Incident => {
                let rank = match form.get("severity").and_then(Value::as_str) {
                    Some("critical") => 1.0,
                    Some("major") => 2.0,
                    Some("minor") => 3.0,
                    _ => 4.0,
                };
                facts.insert("severity_rank".into(), rank);
            }
            ItemKind::VmDecommission | ItemKind::DesktopSupport => {}
        }
        facts
    }

    /// The standard catalog's form, chain and fulfilment for this kind, with its code and
    /// names: what a new installation starts with.
    pub fn defaults(self) -> StandardItem {
        let text = |name: &str, label: &str, max: usize| json!({"name": name, "label": label, "required": true, "type": "text", "max_chars": max});
        let business_system = text("business_system", "业务系统", 200);
        let manual = |role: &str, hours: u64| Fulfilment::Manual {
            assignee_role: role.to_owned(),
            sla_secs: hours * 3600,
        };
        let tenant_admin = json!({"name": "部门审批", "approvers": {"by": "requester_tenant_admin"}, "mode": "any", "sla_secs": 8 * 3600, "escalate_to": {"by": "role", "role": "bureau_manager"}});
        let operators = json!({"name": "运维审核", "approvers": {"by": "role", "role": "bureau_operator"}, "mode": "any", "sla_secs": 8 * 3600, "escalate_to": {"by": "role", "role": "bureau_manager"}});
        let (code, name, description, fields, levels, fulfilment) = match self {
            ItemKind::VmRequest => (
                "vm.request",
                "云主机申请",
                "申请新的云主机（按规格或自定义 vCPU/内存），含镜像、网络、数量和租期。",
                vec![
                    business_system,
                    json!({"name": "flavour", "label": "规格", "required": true, "type": "choice", "options": ["s1.small", "s1.medium", "s1.large", "c1.xlarge", "m1.2xlarge", "custom"]}),
                    json!({"name": "vcpu", "label": "vCPU（自定义）", "type": "integer", "min": 1, "max": 64}),
                    json!({"name": "memory_gb", "label": "内存 GB（自定义）", "type": "integer", "min": 1, "max": 512}),
                    json!({"name": "disk_gb", "label": "系统盘 GB", "required": true, "type": "integer", "min": 20, "max": 4096}),
                    json!({"name": "image", "label": "镜像", "required": true, "type": "choice", "options": ["kylin-v10", "uos-20", "centos-7.9", "ubuntu-22.04", "windows-2019"]}),
                    json!({"name": "network", "label": "网络", "required": true, "type": "choice", "options": ["gov-intranet", "gov-extranet", "internet-dmz"]}),
                    json!({"name": "count", "label": "数量", "required": true, "type": "integer", "min": 1, "max": 20}),
                    json!({"name": "dc_preference", "label": "数据中心偏好", "type": "choice", "options": ["any", "dc-north", "dc-south"]}),
                    json!({"name": "lease_end", "label": "租期截止", "required": true, "type": "date", "min_days_ahead": 1, "max_days_ahead": 1095}),
                    json!({"name": "public_ip", "label": "公网 IP", "type": "boolean"}),
                ],
                vec![
                    tenant_admin,
                    operators,
                    json!({"name": "管理局审批", "approvers": {"by": "role", "role": "bureau_manager"}, "mode": "all", "condition": {"fact": "total_vcpu", "op": ">", "value": 32.0}, "sla_secs": 24 * 3600}),
                ],
                Fulfilment::Provider,
            ),
            ItemKind::VmChange => (
                "vm.change",
                "云主机变更",
                "调整云主机的 vCPU、内存或增加数据盘。",
                vec![
                    business_system,
                    json!({"name": "host_id", "label": "云主机", "required": true, "type": "integer", "min": 1, "max": i64::MAX}),
                    json!({"name": "vcpu", "label": "新 vCPU", "type": "integer", "min": 1, "max": 64}),
                    json!({"name": "memory_gb", "label": "新内存 GB", "type": "integer", "min": 1, "max": 512}),
                    json!({"name": "add_disk_gb", "label": "增加数据盘 GB", "type": "integer", "min": 10, "max": 4096}),
                ],
                vec![tenant_admin, operators],
                Fulfilment::Provider,
            ),
            ItemKind::VmDecommission => (
                "vm.decommission",
                "云主机回收",
                "释放不再使用的云主机，归还配额。",
                vec![
                    business_system,
                    json!({"name": "host_id", "label": "云主机", "required": true, "type": "integer", "min": 1, "max": i64::MAX}),
                    text("reason", "回收原因", 500),
                ],
                vec![tenant_admin],
                Fulfilment::Provider,
            ),
            ItemKind::FirewallOpen => (
                "network.firewall",
                "安全策略开通",
                "开通源地址到目的地址的访问策略（端口、协议、期限）。",
                vec![
                    business_system,
                    json!({"name": "source_cidrs", "label": "源地址", "required": true, "type": "cidrs", "max_items": 32}),
                    json!({"name": "destination_cidrs", "label": "目的地址", "required": true, "type": "cidrs", "max_items": 32}),
                    json!({"name": "ports", "label": "端口", "required": true, "type": "ports", "max_items": 32}),
                    json!({"name": "protocol", "label": "协议", "required": true, "type": "choice", "options": ["tcp", "udp", "icmp", "any"]}),
                    json!({"name": "duration_days", "label": "期限（天）", "required": true, "type": "integer", "min": 1, "max": 365}),
                ],
                vec![
                    tenant_admin,
                    operators,
                    json!({"name": "安全负责人审批", "approvers": {"by": "role", "role": "bureau_manager"}, "mode": "any", "condition": {"fact": "duration_days", "op": ">", "value": 30.0}}),
                ],
                manual("supplier", 24),
            ),
            ItemKind::Incident => (
                "support.incident",
                "故障报修",
                "报告业务系统的故障，由运维人员处理。",
                vec![
                    business_system,
                    json!({"name": "severity", "label": "严重程度", "required": true, "type": "choice", "options": ["critical", "major", "minor", "info"]}),
                    text("description", "故障描述", 2000),
                ],
                vec![],
                manual("bureau_operator", 4),
            ),
            ItemKind::DesktopSupport => (
                "support.desktop",
                "桌面运维",
                "申请上门桌面支持（电脑、打印机、办公软件）。",
                vec![
                    business_system,
                    text("location", "地点", 200),
                    text("contact_phone", "联系电话", 32),
                    text("description", "问题描述", 2000),
                    json!({"name": "preferred_date", "label": "期望日期", "type": "date", "min_days_ahead": 0, "max_days_ahead": 30}),
                ],
                vec![tenant_admin],
                manual("supplier", 48),
            ),
        };
        StandardItem {
            code,
            name,
            description,
            form: serde_json::from_value(json!({ "fields": fields }))
                .expect("the standard forms are valid schemas"),
            chain: serde_json::from_value(json!({ "levels": levels }))
                .expect("the standard chains are valid chains"),
            fulfilment,
        }
    }
}

/// One item of the standard catalog.
pub struct StandardItem {
    pub code: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub form: FormSchema,
    pub chain: ApprovalChain,
    pub fulfilment: Fulfilment,
}

/// vCPU and memory per host: the flavour's, or the custom figures.
fn vm_size(form: &Map<String, Value>) -> (i64, i64) {
    let int = |name: &str| form.get(name).and_then(Value::as_i64).unwrap_or(0);
    let flavour = form
        .get("flavour")
        .and_then(Value::as_str)
        .unwrap_or("custom");
    FLAVOURS
        .iter()
        .find(|(name, ..)| *name == flavour)
        .map(|&(_, vcpu, memory_gb)| (vcpu, memory_gb))
        .unwrap_or((int("vcpu"), int("memory_gb")))
}

/// What a valid cloud-host request takes from its tenant's quota.
pub fn vm_request_demand(form: &Map<String, Value>) -> Resources {
    let int = |name: &str| form.get(name).and_then(Value::as_i64).unwrap_or(0);
    let count = int("count");
    let (vcpu, memory_gb) = vm_size(form);
    let public_ip = form
        .get("public_ip")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Resources {
        vcpu: vcpu * count,
        memory_gb: memory_gb * count,
        storage_gb: int("disk_gb") * count,
        hosts: count,
        public_ips: if public_ip { count } else { 0 },
    }
}

/// The size of one host of a cloud-host request, for fulfilment and its inventory record.
pub fn vm_request_host(form: &Map<String, Value>) -> Resources {
    let (vcpu, memory_gb) = vm_size(form);
    let int = |name: &str| form.get(name).and_then(Value::as_i64).unwrap_or(0);
    let public_ip = form
        .get("public_ip")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Resources {
        vcpu,
        memory_gb,
        storage_gb: int("disk_gb"),
        hosts: 1,
        public_ips: i64::from(public_ip),
    }
}

/// What changing `current` as a valid change form asks takes from quota (only growth counts;
/// shrinking frees quota when fulfilled).
pub fn vm_change_demand(current: Resources, form: &Map<String, Value>) -> Resources {
    let int = |name: &str| form.get(name).and_then(Value::as_i64);
    Resources {
        vcpu: int("vcpu").map_or(0, |vcpu| (vcpu - current.vcpu).max(0)),
        memory_gb: int("memory_gb").map_or(0, |memory| (memory - current.memory_gb).max(0)),
        storage_gb: int("add_disk_gb").unwrap_or(0),
        hosts: 0,
        public_ips: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
    }

    #[test]
    fn the_standard_catalog_satisfies_its_own_rules() {
        let roles: Vec<&str> = crate::identity::Role::ALL
            .iter()
            .map(|r| r.as_str())
            .collect();
        for kind in ItemKind::ALL {
            let item = kind.defaults();
            assert!(
                kind.form_problems(&item.form).is_empty(),
                "{kind:?}: {:?}",
                kind.form_problems(&item.form)
            );
            assert!(
                kind.fulfilment_problems(&item.fulfilment).is_empty(),
                "{kind:?}"
            );
            assert!(
                item.chain.problems(&roles, kind.fact_names()).is_empty(),
                "{kind:?}: {:?}",
                item.chain.problems(&roles, kind.fact_names())
            );
            assert_eq!(ItemKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn an_admin_cannot_drop_a_field_the_kind_relies_on() {
        let mut form = ItemKind::VmRequest.defaults().form;
        form.fields.retain(|f| f.name != "count");
        form.fields
            .iter_mut()
            .find(|f| f.name == "disk_gb")
            .unwrap()
            .required = false;
        let problems: Vec<String> = ItemKind::VmRequest
            .form_problems(&form)
            .into_iter()
            .map(|p| p.message)
            .collect();
        assert_eq!(
            problems,
            vec![
                "field \"disk_gb\" must be required",
                "a vm_request form needs the field \"count\""
            ]
        );
    }

    #[test]
    fn demand_and_facts_of_a_cloud_host_request() {
        let preset = json!({"flavour": "c1.xlarge", "disk_gb": 100, "count": 5, "public_ip": true, "lease_end": "2027-11-26"});
        let form = preset.as_object().unwrap();
        assert_eq!(
            vm_request_demand(form),
            Resources {
                vcpu: 40,
                memory_gb: 80,
                storage_gb: 500,
                hosts: 5,
                public_ips: 5
            }
        );
        let facts = ItemKind::VmRequest.facts(form, today());
        assert_eq!(facts["total_vcpu"], 40.0);
        assert_eq!(facts["duration_days"], 365.0);
        let custom =
            json!({"flavour": "custom", "vcpu": 3, "memory_gb": 6, "disk_gb": 50, "count": 2});
        assert_eq!(vm_request_demand(custom.as_object().unwrap()).vcpu, 6);
        assert_eq!(vm_request_host(custom.as_object().unwrap()).memory_gb, 6);
    }

    #[test]
    fn cross_field_rules() {
        let table = [
            (
                ItemKind::VmRequest,
                json!({"flavour": "custom"}),
                vec!["vcpu", "memory_gb"],
            ),
            (
                ItemKind::VmRequest,
                json!({"flavour": "s1.small", "vcpu": 2}),
                vec!["vcpu"],
            ),
            (
                ItemKind::VmRequest,
                json!({"flavour": "custom", "vcpu": 2, "memory_gb": 4}),
                vec![],
            ),
            (ItemKind::VmChange, json!({"host_id": 3}), vec!["form"]),
            (
                ItemKind::VmChange,
                json!({"host_id": 3, "add_disk_gb": 10}),
                vec![],
            ),
        ];
        for (kind, form, fields) in table {
            let problems = kind.cross_field_problems(form.as_object().unwrap());
            let named: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
            assert_eq!(named, fields, "{kind:?} {form}");
        }
    }

    #[test]
    fn a_change_demands_only_growth() {
        let current = Resources {
            vcpu: 4,
            memory_gb: 8,
            storage_gb: 100,
            hosts: 1,
            public_ips: 0,
        };
        let form = json!({"vcpu": 8, "memory_gb": 4, "add_disk_gb": 50});
        assert_eq!(
            vm_change_demand(current, form.as_object().unwrap()),
            Resources {
                vcpu: 4,
                memory_gb: 0,
                storage_gb: 50,
                hosts: 0,
                public_ips: 0
            }
        );
    }
}
