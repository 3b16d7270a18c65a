//! Fault commands for a running demo, read from standard input one per line, so that a
//! person or a browser test can take a chosen link or device down and bring it back:
//! `link down|up <device-name> <if-index>`, `device down|up <device-name>` (unreachable or
//! answering again), `restart <device-name>` (a coldStart), `help`. Each command is answered
//! on standard output with one line starting `ok` or `error:`; blank lines are skipped.
//! The end of input ends the reading, not the demo.
//!
//! [`parse`] is pure; [`execute`] applies a command to the simulated fleet; [`read_stdin`]
//! runs the loop. Device names are the fleet's, as entered in the inventory.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::sync::Arc;

use yunguan_simulators::snmp::{Fleet, FleetDevice};

/// One command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemoCommand {
    /// Takes an interface down (`up: false`) or brings it up, with the linkDown or linkUp trap.
    Link {
        device_name: String,
        if_index: u32,
        up: bool,
    },
    /// Makes a device stop answering (`reachable: false`) or answer again.
    Device {
        device_name: String,
        reachable: bool,
    },
    /// Restarts a device's agent: uptime and counters from zero, links up, a coldStart trap.
    Restart {
        device_name: String,
    },
    Help,
}

/// What `help` answers.
pub const HELP: &str = "ok commands: link down <device-name> <if-index>, link up <device-name> <if-index>, device down <device-name>, device up <device-name>, restart <device-name>, help";

/// Parses one line; `None` for a blank one.
pub fn parse(line: &str) -> Option<Result<DemoCommand, String>> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let direction = |word: &str| match word {
        "up" => Ok(true),
        "down" => Ok(false),
        other => Err(format!("expected up or down, not {other:?}")),
    };
    let parsed = match words.as_slice() {
        [] => return None,
        ["help"] => Ok(DemoCommand::Help),
        ["link", up_or_down, device_name, if_index] => {
            direction(up_or_down).and_then(|up| match if_index.parse::<u32>() {
                Ok(if_index) if if_index >= 1 => Ok(DemoCommand::Link {
                    device_name: (*device_name).to_owned(),
                    if_index,
                    up,
                }),
                _ => Err(format!(
                    "the interface must be an ifIndex from 1, not {if_index:?}"
                )),
            })
        }
        ["device", up_or_down, device_name] => {
            direction(up_or_down).map(|reachable| DemoCommand::Device {
                device_name: (*device_name).to_owned(),
                reachable,
            })
        }
        ["restart", device_name] => Ok(DemoCommand::Restart {
            device_name: (*device_name).to_owned(),
        }),
        ["link" | "device" | "restart" | "help", ..] => {
            Err(format!("wrong arguments in {:?} (try help)", line.trim()))
        }
        [other, ..] => Err(format!("unknown command {other:?} (try help)")),
    };
    Some(parsed)
}

/// Applies a command to the fleet and answers its line (`ok ...` or `error: ...`).
pub async fn execute(
    fleet: &Fleet,
    devices_by_name: &BTreeMap<String, FleetDevice>,
    command: DemoCommand,
) -> String {
    let device = |name: &str| {
        devices_by_name
            .get(name)
            .ok_or_else(|| format!("error: no device named {name:?}"))
    };
    let answered = match command {
        DemoCommand::Help => Ok(HELP.to_owned()),
        DemoCommand::Link {
            device_name,
            if_index,
            up,
        } => match device(&device_name) {
            Ok(device) if if_index as usize > device.n_interfaces => Err(format!(
                "error: {device_name} has interfaces 1 to {}",
                device.n_interfaces
            )),
            Ok(device) => {
                fleet.set_link(device.idx, if_index, up).await;
                let state = if up { "up" } else { "down" };
                Ok(format!("ok link {device_name} {if_index} {state}"))
            }
            Err(error) => Err(error),
        },
        DemoCommand::Device {
            device_name,
            reachable,
        } => device(&device_name).map(|device| {
            fleet.set_unreachable(device.idx, !reachable);
            let state = if reachable {
                "reachable"
            } else {
                "unreachable"
            };
            format!("ok device {device_name} {state}")
        }),
        DemoCommand::Restart { device_name } => match device(&device_name) {
            Ok(device) => {
                fleet.restart(device.idx).await;
                Ok(format!("ok device {device_name} restarted"))
            }
            Err(error) => Err(error),
        },
    };
    answered.unwrap_or_else(|error| error)
}

/// Reads commands from standard input until it ends, answering each on standard output.
/// The reading runs on a thread of its own: a blocking read cannot be cancelled, and the
/// demo must be able to stop while it waits.
pub fn read_stdin(fleet: Arc<Fleet>) -> tokio::task::JoinHandle<()> {
    let (lines_tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else {
                break;
            };
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    tokio::spawn(async move {
        let devices_by_name: BTreeMap<String, FleetDevice> = fleet
            .devices()
            .into_iter()
            .map(|device| (device.name.clone(), device))
            .collect();
        while let Some(line) = lines.recv().await {
            let answer = match parse(&line) {
                None => continue,
                Some(Ok(command)) => execute(&fleet, &devices_by_name, command).await,
                Some(Err(error)) => format!("error: {error}"),
            };
            println!("{answer}");
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use yunguan_simulators::snmp::FleetConfig;

    fn link(device_name: &str, if_index: u32, up: bool) -> DemoCommand {
        DemoCommand::Link {
            device_name: device_name.to_owned(),
            if_index,
            up,
        }
    }

    #[test]
    fn lines_and_what_they_ask() {
        let device = |device_name: &str, reachable| DemoCommand::Device {
            device_name: device_name.to_owned(),
            reachable,
        };
        let table: Vec<(&str, Option<Result<DemoCommand, &str>>)> = vec![
            ("", None),
            ("   ", None),
            ("help", Some(Ok(DemoCommand::Help))),
            (
                "link down switch-00010 25",
                Some(Ok(link("switch-00010", 25, false))),
            ),
            (
                "  link   up switch-00010 25  ",
                Some(Ok(link("switch-00010", 25, true))),
            ),
            (
                "device down router-00000",
                Some(Ok(device("router-00000", false))),
            ),
            (
                "device up router-00000",
                Some(Ok(device("router-00000", true))),
            ),
            (
                "restart server-00012",
                Some(Ok(DemoCommand::Restart {
                    device_name: "server-00012".to_owned(),
                })),
            ),
            (
                "link sideways switch-00010 25",
                Some(Err("expected up or down, not \"sideways\"")),
            ),
            (
                "link down switch-00010 0",
                Some(Err("the interface must be an ifIndex from 1, not \"0\"")),
            ),
            (
                "link down switch-00010 x",
                Some(Err("the interface must be an ifIndex from 1, not \"x\"")),
            ),
            (
                "link down switch-00010",
                Some(Err(
                    "wrong arguments in \"link down switch-00010\" (try help)",
                )),
            ),
            (
                "restart",
                Some(Err("wrong arguments in \"restart\" (try help)")),
            ),
            (
                "device down a b",
                Some(Err("wrong arguments in \"device down a b\" (try help)")),
            ),
            (
                "LINK down switch-00010 25",
                Some(Err("unknown command \"LINK\" (try help)")),
            ),
            (
                "reboot all",
                Some(Err("unknown command \"reboot\" (try help)")),
            ),
            (
                "help me",
                Some(Err("wrong arguments in \"help me\" (try help)")),
            ),
        ];
        for (line, expected) in table {
            let expected = expected.map(|result| result.map_err(str::to_owned));
            assert_eq!(parse(line), expected, "{line:?}");
        }
    }

    #[tokio::test]
    async fn commands_answer_ok_or_say_what_is_wrong() {
        let fleet = Fleet::start(FleetConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            n_devices: 20,
            community_prefix: "test-".to_owned(),
            seed: 1,
            n_workers: 1,
        })
        .await
        .unwrap();
        let devices_by_name: BTreeMap<String, FleetDevice> = fleet
            .devices()
            .into_iter()
            .map(|device| (device.name.clone(), device))
            .collect();
        let switch = devices_by_name
            .values()
            .find(|device| device.name.starts_with("switch-"))
            .unwrap()
            .clone();
        let last = switch.n_interfaces as u32;
        let table = [
            (
                link(&switch.name, last, false),
                format!("ok link {} {last} down", switch.name),
            ),
            (
                link(&switch.name, last, true),
                format!("ok link {} {last} up", switch.name),
            ),
            (
                link(&switch.name, last + 1, false),
                format!("error: {} has interfaces 1 to {last}", switch.name),
            ),
            (
                link("switch-99999", 1, false),
                "error: no device named \"switch-99999\"".to_owned(),
            ),
            (
                DemoCommand::Device {
                    device_name: switch.name.clone(),
                    reachable: false,
                },
                format!("ok device {} unreachable", switch.name),
            ),
            (
                DemoCommand::Restart {
                    device_name: switch.name.clone(),
                },
                format!("ok device {} restarted", switch.name),
            ),
            (DemoCommand::Help, HELP.to_owned()),
        ];
        for (command, expected) in table {
            let shown = format!("{command:?}");
            assert_eq!(
                execute(&fleet, &devices_by_name, command).await,
                expected,
                "{shown}"
            );
        }
    }
}
