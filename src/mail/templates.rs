//! The texts of mail about tickets, in Chinese and English: plain text, each with the link to
//! the ticket. Rendering is pure; what to send to whom, and when, is the caller's.

use serde::Deserialize;

/// Which mail, by the ticket event it announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// A level of the approval chain opened and the recipient is one of its approvers.
    NewApproval,
    /// An approval still waits after the reminder time.
    Reminder,
    /// An approval waited past its deadline and now lands on the recipient.
    Escalation,
    /// The requester's ticket was rejected.
    Rejection,
    /// The requester's ticket was fulfilled.
    Done,
    /// A manual fulfilment task was assigned to the recipient.
    TaskAssigned,
}

impl Template {
    /// The name stored in `mail_outbox.template`.
    pub fn name(self) -> &'static str {
        match self {
            Template::NewApproval => "new_approval",
            Template::Reminder => "reminder",
            Template::Escalation => "escalation",
            Template::Rejection => "rejection",
            Template::Done => "done",
            Template::TaskAssigned => "task_assigned",
        }
    }
}

/// The language of a mail. Chinese unless the reader chose English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(try_from = "String")]
pub enum Locale {
    #[default]
    ZhCn,
    En,
}

impl Locale {
    /// Reads a language tag: `zh-CN` (or `zh`) and `en` (or `en-US`, `en-GB`), in any case.
    pub fn parse(tag: &str) -> Option<Locale> {
        match tag.trim().to_ascii_lowercase().as_str() {
            "zh-cn" | "zh" => Some(Locale::ZhCn),
            "en" | "en-us" | "en-gb" => Some(Locale::En),
            _ => None,
        }
    }
}

impl TryFrom<String> for Locale {
    type Error = String;

    fn try_from(tag: String) -> Result<Locale, String> {
        Locale::parse(&tag).ok_or_else(|| format!("unknown locale {tag:?}: expected zh-CN or en"))
    }
}

/// What a ticket mail says. The caller fills it from the ticket as it is when the mail is
/// enqueued: the text is rendered then, not when it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketMailParams {
    pub ticket_id: i64,
    pub title: String,
    /// The requester's display name.
    pub requester: String,
    /// The approval level (or the task) the mail is about, when there is one.
    pub level_name_opt: Option<String>,
    /// Why the ticket was rejected (only `Rejection` shows it).
    pub reason_opt: Option<String>,
    /// The ticket's page, from `MailSettings::ticket_link`.
    pub link: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMail {
    pub subject: String,
    pub body: String,
}

pub fn render(template: Template, locale: Locale, params: &TicketMailParams) -> RenderedMail {
    // The title is user input and goes into a header: no line breaks may reach it.
    let title = one_line(&params.title);
    let id = params.ticket_id;
    let requester = &params.requester;
    let link = &params.link;
    let (subject, lead) = match locale {
        Locale::ZhCn => {
            let level = match &params.level_name_opt {
                Some(level) => format!("（{level}）"),
                None => String::new(),
            };
            match template {
                Template::NewApproval => (
                    format!("【待审批】工单 #{id}：{title}"),
                    format!("{requester}提交的工单 #{id}「{title}」等待您审批{level}。"),
                ),
                Template::Reminder => (
                    format!("【审批提醒】工单 #{id}：{title}"),
                    format!(
                        "{requester}提交的工单 #{id}「{title}」仍在等待您审批{level}，请尽快处理。"
                    ),
                ),
                Template::Escalation => (
                    format!("【审批升级】工单 #{id}：{title}"),
                    format!(
                        "{requester}提交的工单 #{id}「{title}」审批超时{level}，现升级由您处理。"
                    ),
                ),
                Template::Rejection => {
                    let reason = params.reason_opt.as_deref().unwrap_or("未填写");
                    (
                        format!("【已驳回】工单 #{id}：{title}"),
                        format!("您的工单 #{id}「{title}」已被驳回{level}。\n驳回原因：{reason}"),
                    )
                }
                Template::Done => (
                    format!("【已完成】工单 #{id}：{title}"),
                    format!("您的工单 #{id}「{title}」已处理完成，请查看结果并评价。"),
                ),
                Template::TaskAssigned => (
                    format!("【新任务】工单 #{id}：{title}"),
                    format!(
                        "{requester}提交的工单 #{id}「{title}」有一项人工任务{level}分配给您。"
                    ),
                ),
            }
        }
        Locale::En => {
            let level = match &params.level_name_opt {
                Some(level) => format!(" ({level})"),
                None => String::new(),
            };
            match template {
                Template::NewApproval => (
                    format!("[Approval needed] Ticket #{id}: {title}"),
                    format!("Ticket #{id} \"{title}\" from {requester} is waiting for your approval{level}."),
                ),
                Template::Reminder => (
                    format!("[Reminder] Ticket #{id}: {title}"),
                    format!("Ticket #{id} \"{title}\" from {requester} is still waiting for your approval{level}."),
                ),
                Template::Escalation => (
                    format!("[Escalated] Ticket #{id}: {title}"),
                    format!("The approval of ticket #{id} \"{title}\" from {requester} is overdue{level} and now rests with you."),
                ),
                Template::Rejection => {
                    let reason = params.reason_opt.as_deref().unwrap_or("none given");
                    (
                        format!("[Rejected] Ticket #{id}: {title}"),
                        format!("Your ticket #{id} \"{title}\" was rejected{level}.\nReason: {reason}"),
                    )
                }
                Template::Done => (
                    format!("[Done] Ticket #{id}: {title}"),
                    format!("Your ticket #{id} \"{title}\" has been fulfilled. Please check the result and rate it."),
                ),
                Template::TaskAssigned => (
                    format!("[New task] Ticket #{id}: {title}"),
                    format!("A manual task{level} of ticket #{id} \"{title}\" from {requester} was assigned to you."),
                ),
            }
        }
    };
    let footer = match locale {
        Locale::ZhCn => format!("查看工单：{link}\n\n——\n云管平台（系统自动发送，请勿直接回复）"),
        Locale::En => format!(
            "Open the ticket: {link}\n\n--\nyunguan (sent automatically; please do not reply)"
        ),
    };
    RenderedMail {
        subject,
        body: format!("{lead}\n\n{footer}\n"),
    }
}

/// What an alarm mail says: a root-cause alarm raised, or one left unacknowledged too long.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmMailParams {
    pub alarm_id: i64,
    /// `critical`, `major`, ...
    pub severity: String,
    pub rule_name: String,
    pub device_name: String,
    /// The interface or storage index, for per-instance alarms.
    pub instance_opt: Option<String>,
    pub value: f64,
    /// Sent because nobody acknowledged the alarm in time.
    pub escalated: bool,
    /// The alarm list, from `MailSettings::base_url`.
    pub link: String,
}

/// The template name alarm mails are recorded under.
pub fn alarm_template_name(params: &AlarmMailParams) -> &'static str {
    if params.escalated {
        "alarm_escalated"
    } else {
        "alarm_raised"
    }
}

pub fn render_alarm(locale: Locale, params: &AlarmMailParams) -> RenderedMail {
    let device = one_line(&params.device_name);
    let rule = one_line(&params.rule_name);
    let id = params.alarm_id;
    let value = params.value;
    let link = &params.link;
    let (subject, lead, footer) = match locale {
        Locale::ZhCn => {
            let severity = match params.severity.as_str() {
                "critical" => "严重",
                "major" => "重要",
                "minor" => "次要",
                _ => "提示",
            };
            let instance = params
                .instance_opt
                .as_ref()
                .map(|i| format!("（实例 {}）", one_line(i)))
                .unwrap_or_default();
            let (tag, lead) = if params.escalated {
                ("告警升级", format!("告警 #{id} 长时间未确认，现升级通知您：{device}{instance}「{rule}」，当前值 {value:.1}。"))
            } else {
                (
                    "告警",
                    format!("设备 {device}{instance} 触发告警「{rule}」，当前值 {value:.1}。"),
                )
            };
            (
                format!("【{tag}·{severity}】{device}：{rule}"),
                lead,
                format!("查看告警：{link}\n\n——\n云管平台（系统自动发送，请勿直接回复）"),
            )
        }
        Locale::En => {
            let instance = params
                .instance_opt
                .as_ref()
                .map(|i| format!(" (instance {})", one_line(i)))
                .unwrap_or_default();
            let (tag, lead) = if params.escalated {
                ("Escalated alarm", format!("Alarm #{id} has not been acknowledged in time: {device}{instance} \"{rule}\", value {value:.1}."))
            } else {
                (
                    "Alarm",
                    format!("{device}{instance} raised \"{rule}\", value {value:.1}."),
                )
            };
            (
                format!("[{tag} {}] {device}: {rule}", params.severity),
                lead,
                format!("Open the alarms: {link}\n\n--\nyunguan (sent automatically; please do not reply)"),
            )
        }
    };
    RenderedMail {
        subject,
        body: format!("{lead}\n\n{footer}\n"),
    }
}

/// What a password-reset mail says.
#[derive(Debug, Clone)]
pub struct PasswordResetParams {
    pub display_name: String,
    pub username: String,
    /// The one-time link that sets the new password.
    pub link: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

pub fn render_password_reset(locale: Locale, params: &PasswordResetParams) -> RenderedMail {
    let name = one_line(&params.display_name);
    let username = one_line(&params.username);
    let link = &params.link;
    let until = params.expires_at.format("%Y-%m-%d %H:%M UTC");
    let (subject, body) = match locale {
        Locale::ZhCn => (
            "【云管平台】重置登录密码".to_owned(),
            format!(
                "{name}，您好：\n\n管理员为您的账号 {username} 发起了密码重置。请在 {until} 之前打开下面的链接设置新密码（链接只能使用一次）：\n\n{link}\n\n设置新密码后，您在各处的登录都将退出。如非本人知情，请联系平台管理员。\n\n——\n云管平台（系统自动发送，请勿直接回复）\n"
            ),
        ),
        Locale::En => (
            "[yunguan] Reset your password".to_owned(),
            format!(
                "Hello {name},\n\nAn administrator started a password reset for your account {username}. Open this link before {until} to choose a new password (it works once):\n\n{link}\n\nSetting it signs you out everywhere. If you did not expect this, tell your administrator.\n\n--\nyunguan (sent automatically; please do not reply)\n"
            ),
        ),
    };
    RenderedMail { subject, body }
}

/// `text` with every control character (line breaks, tabs) turned into a space.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alarm_mails_in_both_languages_keep_headers_on_one_line() {
        let params = AlarmMailParams {
            alarm_id: 9,
            severity: "critical".into(),
            rule_name: "device unreachable".into(),
            device_name: "core-01\r\nBcc: x@evil".into(),
            instance_opt: None,
            value: 0.0,
            escalated: false,
            link: "http://127.0.0.1:8080/#/alarms".into(),
        };
        let chinese = render_alarm(Locale::ZhCn, &params);
        assert_eq!(
            chinese.subject,
            "【告警·严重】core-01  Bcc: x@evil：device unreachable"
        );
        assert!(chinese.body.contains("http://127.0.0.1:8080/#/alarms"));
        let english = render_alarm(
            Locale::En,
            &AlarmMailParams {
                escalated: true,
                ..params
            },
        );
        assert!(english
            .subject
            .starts_with("[Escalated alarm critical] core-01"));
        assert!(english
            .body
            .contains("Alarm #9 has not been acknowledged in time"));
    }

    const EVERY_TEMPLATE: [Template; 6] = [
        Template::NewApproval,
        Template::Reminder,
        Template::Escalation,
        Template::Rejection,
        Template::Done,
        Template::TaskAssigned,
    ];

    fn params() -> TicketMailParams {
        TicketMailParams {
            ticket_id: 42,
            title: "扩容 OA 系统".to_owned(),
            requester: "张三".to_owned(),
            level_name_opt: Some("局领导".to_owned()),
            reason_opt: Some("预算不足".to_owned()),
            link: "https://yunguan.example.gov.cn/#/tickets/42".to_owned(),
        }
    }

    #[test]
    fn every_template_in_both_locales_names_the_ticket_and_links_to_it() {
        for template in EVERY_TEMPLATE {
            for locale in [Locale::ZhCn, Locale::En] {
                let mail = render(template, locale, &params());
                assert!(
                    mail.subject.contains("#42"),
                    "{template:?} {locale:?}: {mail:?}"
                );
                assert!(
                    mail.subject.contains("扩容 OA 系统"),
                    "{template:?} {locale:?}: {mail:?}"
                );
                assert!(
                    mail.body
                        .contains("https://yunguan.example.gov.cn/#/tickets/42"),
                    "{template:?} {locale:?}: {mail:?}"
                );
            }
        }
    }

    #[test]
    fn the_two_locales_differ_and_chinese_is_the_default() {
        assert_eq!(Locale::default(), Locale::ZhCn);
        for template in EVERY_TEMPLATE {
            let chinese = render(template, Locale::ZhCn, &params());
            let english = render(template, Locale::En, &params());
            assert_ne!(chinese.subject, english.subject, "{template:?}");
            assert!(
                chinese.body.contains("查看工单"),
                "{template:?}: {chinese:?}"
            );
            assert!(
                english.body.contains("Open the ticket"),
                "{template:?}: {english:?}"
            );
        }
    }

    #[test]
    fn a_rejection_gives_its_reason_or_says_there_was_none() {
        let chinese = render(Template::Rejection, Locale::ZhCn, &params());
        assert!(chinese.body.contains("驳回原因：预算不足"), "{chinese:?}");
        let english = render(Template::Rejection, Locale::En, &params());
        assert!(english.body.contains("Reason: 预算不足"), "{english:?}");

        let without_reason = TicketMailParams {
            reason_opt: None,
            ..params()
        };
        let chinese = render(Template::Rejection, Locale::ZhCn, &without_reason);
        assert!(chinese.body.contains("驳回原因：未填写"), "{chinese:?}");
        let english = render(Template::Rejection, Locale::En, &without_reason);
        assert!(english.body.contains("Reason: none given"), "{english:?}");
    }

    #[test]
    fn an_approval_names_its_level_when_there_is_one() {
        let chinese = render(Template::NewApproval, Locale::ZhCn, &params());
        assert_eq!(chinese.subject, "【待审批】工单 #42：扩容 OA 系统");
        assert!(chinese
            .body
            .starts_with("张三提交的工单 #42「扩容 OA 系统」等待您审批（局领导）。"));
        let english = render(
            Template::NewApproval,
            Locale::En,
            &TicketMailParams {
                level_name_opt: None,
                ..params()
            },
        );
        assert!(english
            .body
            .starts_with("Ticket #42 \"扩容 OA 系统\" from 张三 is waiting for your approval.\n"));
    }

    #[test]
    fn a_title_with_line_breaks_cannot_break_the_subject_header() {
        let mail = render(
            Template::Done,
            Locale::En,
            &TicketMailParams {
                title: "OA\r\nBcc: everyone@example.com".to_owned(),
                ..params()
            },
        );
        assert!(!mail.subject.contains('\n') && !mail.subject.contains('\r'));
        assert_eq!(
            mail.subject,
            "[Done] Ticket #42: OA  Bcc: everyone@example.com"
        );
    }

    #[test]
    fn locales_parse_from_language_tags() {
        for (tag, expected) in [
            ("zh-CN", Some(Locale::ZhCn)),
            ("zh-cn", Some(Locale::ZhCn)),
            ("zh", Some(Locale::ZhCn)),
            ("en", Some(Locale::En)),
            ("EN-us", Some(Locale::En)),
            ("fr", None),
            ("", None),
        ] {
            assert_eq!(Locale::parse(tag), expected, "{tag:?}");
        }
        assert!(Locale::try_from("de".to_owned()).is_err());
    }
}
