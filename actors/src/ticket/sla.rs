//! The SLA clock of an open approval level: a reminder to its approvers when the SLA passes,
//! escalation when twice the SLA passes. Works from the time already spent, so a level that
//! survives a restart keeps its deadlines.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaStep {
    Remind,
    Escalate,
}

/// What the level's clock says now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaPlan {
    /// The step that is due now, if any (one at a time; the next follows at once).
    pub due_opt: Option<SlaStep>,
    /// How long until the next step falls due, when one is still ahead and none is due now.
    pub wake_in_opt: Option<Duration>,
}

pub fn plan(sla: Duration, elapsed: Duration, reminded: bool, escalated: bool) -> SlaPlan {
    let escalate_at = sla.saturating_mul(2);
    let step = if !reminded {
        Some((SlaStep::Remind, sla))
    } else if !escalated {
        Some((SlaStep::Escalate, escalate_at))
    } else {
        None
    };
    match step {
        Some((step, at)) if elapsed >= at => SlaPlan {
            due_opt: Some(step),
            wake_in_opt: None,
        },
        Some((_, at)) => SlaPlan {
            due_opt: None,
            wake_in_opt: Some(at - elapsed),
        },
        None => SlaPlan {
            due_opt: None,
            wake_in_opt: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reminder_then_escalation() {
        let hour = Duration::from_secs(3600);
        let mins = |m: u64| Duration::from_secs(m * 60);
        let table = [
            (mins(0), false, false, None, Some(hour)),
            (mins(40), false, false, None, Some(mins(20))),
            (mins(60), false, false, Some(SlaStep::Remind), None),
            (mins(200), false, false, Some(SlaStep::Remind), None),
            (mins(61), true, false, None, Some(mins(59))),
            (mins(120), true, false, Some(SlaStep::Escalate), None),
            (mins(500), true, true, None, None),
        ];
        for (elapsed, reminded, escalated, due, wake) in table {
            let plan = plan(hour, elapsed, reminded, escalated);
            assert_eq!(plan.due_opt, due, "{elapsed:?}");
            assert_eq!(plan.wake_in_opt, wake, "{elapsed:?}");
        }
    }
}
