//! The log as the binary writes it: plain text with no terminal escape codes when stderr is a
//! file or a pipe, or one JSON object a line with `log.format = "json"`.

use serde_json::Value;

/// What `yunguan migrate` on a fresh data directory writes to stderr, with `env` set.
fn migrate_log(env: &[(&str, &str)]) -> String {
    let data_dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_yunguan"))
        .arg("--data-dir")
        .arg(data_dir.path())
        .arg("migrate")
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .output()
        .expect("running yunguan migrate");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stderr).expect("the log is UTF-8")
}

#[test]
fn the_log_to_a_pipe_has_no_escape_codes() {
    let log = migrate_log(&[]);
    assert!(log.contains("INFO"), "{log}");
    assert!(log.contains("Applying migration"), "{log}");
    assert!(!log.contains('\u{1b}'), "escape codes in {log:?}");
}

#[test]
fn the_log_is_json_lines_when_asked() {
    let log = migrate_log(&[("YUNGUAN_LOG__FORMAT", "json")]);
    let lines: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    assert!(lines.len() >= 2, "{log}");
    for line in &lines {
        assert_eq!(line["level"], "INFO", "{line}");
        assert!(line["fields"]["message"].is_string(), "{line}");
        assert!(line["timestamp"].is_string(), "{line}");
    }
    // And the filter is the settings' when RUST_LOG is unset: `warn` drops every line.
    let quiet = migrate_log(&[("YUNGUAN_LOG__FILTER", "warn")]);
    assert_eq!(quiet, "", "{quiet}");
}
