//! The texts of mail, in Chinese and English: plain-text templates (minijinja) under
//! `src/mail/texts/{zh-CN,en}/`, built in, which the bureau may replace file by file from
//! `mail.templates_dir` (the same layout). A template's first line is `Subject: …`; after a
//! blank line comes the body. Every template, built in or replaced, is rendered once with
//! sample values when the settings load, so a broken edit stops the start with its file and
//! line rather than a mail later. Rendering is pure; what to send to whom, and when, is the
//! caller's.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use minijinja::{Environment, UndefinedBehavior};
use rust_embed::RustEmbed;
use serde::{Deserialize, Serialize};

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

/// What a password-reset mail says.
#[derive(Debug, Clone)]
pub struct PasswordResetParams {
    pub display_name: String,
    pub username: String,
    /// The one-time link that sets the new password.
    pub link: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// The built-in templates.
#[derive(RustEmbed)]
#[folder = "src/mail/texts/"]
struct BuiltIn;

/// Every mail template, by file name without the locale folder and extension; files whose
/// names start with `_` are parts the templates include.
const MAILS: [&str; 9] = [
    "new_approval",
    "reminder",
    "escalation",
    "rejection",
    "done",
    "task_assigned",
    "alarm_raised",
    "alarm_escalated",
    "password_reset",
];

/// The loaded templates. Cheap to clone; its default is the built-in set.
#[derive(Clone)]
pub struct Texts {
    environment: Arc<Environment<'static>>,
}

impl std::fmt::Debug for Texts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Texts")
    }
}

impl Default for Texts {
    fn default() -> Texts {
        Texts::load(None).expect("the built-in mail templates render")
    }
}

impl Texts {
    /// The built-in templates, with those under `dir_opt` in their place; each one rendered
    /// once with sample values.
    pub fn load(dir_opt: Option<&Path>) -> anyhow::Result<Texts> {
        let mut environment = Environment::new();
        // A misspelt variable is an error at load, not an empty gap in a mail.
        environment.set_undefined_behavior(UndefinedBehavior::Strict);
        environment.set_keep_trailing_newline(true);
        for name in BuiltIn::iter() {
            let file = BuiltIn::get(&name).expect("an embedded file is there");
            let source = String::from_utf8(file.data.into_owned())
                .with_context(|| format!("built-in mail template {name} is not UTF-8"))?;
            environment
                .add_template_owned(name.replace('\\', "/"), source)
                .with_context(|| format!("built-in mail template {name}"))?;
        }
        if let Some(dir) = dir_opt {
            for locale in ["zh-CN", "en"] {
                let folder = dir.join(locale);
                let Ok(entries) = std::fs::read_dir(&folder) else {
                    continue;
                };
                for entry in entries {
                    let path = entry?.path();
                    let file_name = path
                        .file_name()
                        .and_then(|n| n.to_str())
                        .unwrap_or_default();
                    let name = format!("{locale}/{file_name}");
                    anyhow::ensure!(
                        BuiltIn::get(&name).is_some(),
                        "{}: not a mail template (they are {})",
                        path.display(),
                        MAILS.join(", ")
                    );
                    let source = std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    environment
                        .add_template_owned(name, source)
                        .with_context(|| format!("mail template {}", path.display()))?;
                }
            }
        }
        let texts = Texts {
            environment: Arc::new(environment),
        };
        texts.check()?;
        Ok(texts)
    }

    /// Renders every template in both languages with sample values.
    fn check(&self) -> anyhow::Result<()> {
        let ticket = TicketMailParams {
            ticket_id: 1,
            title: "title".to_owned(),
            requester: "requester".to_owned(),
            level_name_opt: Some("level".to_owned()),
            reason_opt: Some("reason".to_owned()),
            link: "https://example.com/#/tickets/1".to_owned(),
        };
        let alarm = AlarmMailParams {
            alarm_id: 1,
            severity: "critical".to_owned(),
            rule_name: "rule".to_owned(),
            device_name: "device".to_owned(),
            instance_opt: Some("1".to_owned()),
            value: 1.0,
            escalated: false,
            link: "https://example.com/#/alarms/1".to_owned(),
        };
        let reset = PasswordResetParams {
            display_name: "name".to_owned(),
            username: "username".to_owned(),
            link: "https://example.com/reset-password?token=t".to_owned(),
            expires_at: chrono::DateTime::UNIX_EPOCH,
        };
        for locale in [Locale::ZhCn, Locale::En] {
            for template in [
                Template::NewApproval,
                Template::Reminder,
                Template::Escalation,
                Template::Rejection,
                Template::Done,
                Template::TaskAssigned,
            ] {
                self.try_ticket(template, locale, &ticket)?;
            }
            for escalated in [false, true] {
                self.try_alarm(
                    locale,
                    &AlarmMailParams {
                        escalated,
                        ..alarm.clone()
                    },
                )?;
            }
            self.try_password_reset(locale, &reset)?;
        }
        Ok(())
    }

    pub fn ticket(
        &self,
        template: Template,
        locale: Locale,
        params: &TicketMailParams,
    ) -> RenderedMail {
        self.try_ticket(template, locale, params)
            .unwrap_or_else(|error| self.failed(template.name(), error))
    }

    pub fn alarm(&self, locale: Locale, params: &AlarmMailParams) -> RenderedMail {
        self.try_alarm(locale, params)
            .unwrap_or_else(|error| self.failed(alarm_template_name(params), error))
    }

    pub fn password_reset(&self, locale: Locale, params: &PasswordResetParams) -> RenderedMail {
        self.try_password_reset(locale, params)
            .unwrap_or_else(|error| self.failed("password_reset", error))
    }

    fn try_ticket(
        &self,
        template: Template,
        locale: Locale,
        params: &TicketMailParams,
    ) -> anyhow::Result<RenderedMail> {
        #[derive(Serialize)]
        struct Context<'a> {
            ticket_id: i64,
            title: String,
            requester: String,
            level: Option<&'a str>,
            reason: Option<&'a str>,
            link: &'a str,
        }
        self.render(
            template.name(),
            locale,
            Context {
                ticket_id: params.ticket_id,
                // User input that goes into a header: no line breaks may reach it.
                title: one_line(&params.title),
                requester: one_line(&params.requester),
                level: params.level_name_opt.as_deref(),
                reason: params.reason_opt.as_deref(),
                link: &params.link,
            },
        )
    }

    fn try_alarm(&self, locale: Locale, params: &AlarmMailParams) -> anyhow::Result<RenderedMail> {
        #[derive(Serialize)]
        struct Context<'a> {
            alarm_id: i64,
            severity: &'a str,
            rule: String,
            device: String,
            instance: Option<String>,
            value: String,
            link: &'a str,
        }
        self.render(
            alarm_template_name(params),
            locale,
            Context {
                alarm_id: params.alarm_id,
                severity: &params.severity,
                rule: one_line(&params.rule_name),
                device: one_line(&params.device_name),
                instance: params.instance_opt.as_deref().map(one_line),
                value: format!("{:.1}", params.value),
                link: &params.link,
            },
        )
    }

    fn try_password_reset(
        &self,
        locale: Locale,
        params: &PasswordResetParams,
    ) -> anyhow::Result<RenderedMail> {
        #[derive(Serialize)]
        struct Context<'a> {
            name: String,
            username: String,
            link: &'a str,
            until: String,
        }
        self.render(
            "password_reset",
            locale,
            Context {
                name: one_line(&params.display_name),
                username: one_line(&params.username),
                link: &params.link,
                until: params.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            },
        )
    }

    fn render(
        &self,
        name: &str,
        locale: Locale,
        context: impl Serialize,
    ) -> anyhow::Result<RenderedMail> {
        let folder = match locale {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        };
        let path = format!("{folder}/{name}.txt");
        let text = self
            .environment
            .get_template(&path)
            .and_then(|template| template.render(context))
            .map_err(|error| anyhow::anyhow!("mail template {path}: {error:#}"))?;
        let (first_line, rest) = text.split_once('\n').unwrap_or((&text, ""));
        let subject = first_line.strip_prefix("Subject:").ok_or_else(|| {
            anyhow::anyhow!("mail template {path}: the first line must be `Subject: …`")
        })?;
        Ok(RenderedMail {
            // One line whatever the template did: it becomes a header.
            subject: one_line(subject.trim()),
            body: format!("{}\n", rest.trim_matches('\n').trim_end()),
        })
    }

    /// A template that fails at send time (it rendered at load, so only on values it did not
    /// expect): the mail still goes, saying so, rather than being lost.
    fn failed(&self, name: &str, error: anyhow::Error) -> RenderedMail {
        tracing::error!(template = name, error = %format!("{error:#}"), "a mail template failed");
        RenderedMail {
            subject: format!("yunguan: {name}"),
            body: format!("The mail template {name} could not be rendered: {error:#}\n"),
        }
    }
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

    fn texts() -> Texts {
        Texts::default()
    }

    #[test]
    fn a_template_in_the_templates_dir_replaces_the_built_in_one() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("zh-CN")).unwrap();
        std::fs::write(
            dir.path().join("zh-CN/done.txt"),
            "Subject: 【办结】{{ title }}\n\n{{ requester }}，您的工单已办结：{{ link }}\n",
        )
        .unwrap();
        let texts = Texts::load(Some(dir.path())).unwrap();
        let mail = texts.ticket(Template::Done, Locale::ZhCn, &params());
        assert_eq!(mail.subject, "【办结】扩容 OA 系统");
        assert_eq!(
            mail.body,
            "张三，您的工单已办结：https://yunguan.example.gov.cn/#/tickets/42\n"
        );
        // The other language, and the other templates, stay built in.
        let english = texts.ticket(Template::Done, Locale::En, &params());
        assert!(english.subject.starts_with("[Done]"));
    }

    #[test]
    fn a_broken_or_unknown_template_stops_the_load_naming_its_file() {
        for (file, source, expected) in [
            ("zh-CN/done.txt", "Subject: {{ title }\n", "zh-CN/done.txt"),
            ("zh-CN/done.txt", "Subject: {{ titel }}\n", "zh-CN/done.txt"),
            ("zh-CN/done.txt", "no subject line\n", "Subject"),
            ("en/welcome.txt", "Subject: hi\n", "not a mail template"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(dir.path().join(file).parent().unwrap()).unwrap();
            std::fs::write(dir.path().join(file), source).unwrap();
            let error = format!("{:#}", Texts::load(Some(dir.path())).unwrap_err());
            assert!(error.contains(expected), "{file} {source:?}: {error}");
        }
    }

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
        let chinese = texts().alarm(Locale::ZhCn, &params);
        assert_eq!(
            chinese.subject,
            "【告警·严重】core-01  Bcc: x@evil：device unreachable"
        );
        assert!(chinese.body.contains("http://127.0.0.1:8080/#/alarms"));
        let english = texts().alarm(
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
                let mail = texts().ticket(template, locale, &params());
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
            let chinese = texts().ticket(template, Locale::ZhCn, &params());
            let english = texts().ticket(template, Locale::En, &params());
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
        let chinese = texts().ticket(Template::Rejection, Locale::ZhCn, &params());
        assert!(chinese.body.contains("驳回原因：预算不足"), "{chinese:?}");
        let english = texts().ticket(Template::Rejection, Locale::En, &params());
        assert!(english.body.contains("Reason: 预算不足"), "{english:?}");

        let without_reason = TicketMailParams {
            reason_opt: None,
            ..params()
        };
        let chinese = texts().ticket(Template::Rejection, Locale::ZhCn, &without_reason);
        assert!(chinese.body.contains("驳回原因：未填写"), "{chinese:?}");
        let english = texts().ticket(Template::Rejection, Locale::En, &without_reason);
        assert!(english.body.contains("Reason: none given"), "{english:?}");
    }

    #[test]
    fn an_approval_names_its_level_when_there_is_one() {
        let chinese = texts().ticket(Template::NewApproval, Locale::ZhCn, &params());
        assert_eq!(chinese.subject, "【待审批】工单 #42：扩容 OA 系统");
        assert!(chinese
            .body
            .starts_with("张三提交的工单 #42「扩容 OA 系统」等待您审批（局领导）。"));
        let english = texts().ticket(
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
        let mail = texts().ticket(
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
