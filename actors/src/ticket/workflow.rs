//! The ticket state machine:
//!
//! ```text
//! submit ─► approving(level 0) ─► … ─► approving(level n) ─► approved ─► fulfilling ─► fulfilled ─► closed
//!                │  reject                                      │            │ fail
//!                ▼                                              │            ▼
//!            rejected ── resubmit (amended, next round) ─► approving(0)      failed
//!  withdraw (requester): approving, rejected, approved ─► withdrawn
//! ```
//!
//! [`apply`] takes a ticket's current state and a command, and answers the next state with
//! the effects the shell must carry out in the same transaction (open a level, reserve quota,
//! start fulfilment...), or why the command is refused. It never looks at the clock.

use super::chain::SignMode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketState {
    Approving,
    Approved,
    Fulfilling,
    Fulfilled,
    Closed,
    Rejected,
    Withdrawn,
    Failed,
}

impl TicketState {
    pub const ALL: [TicketState; 8] = [
        TicketState::Approving,
        TicketState::Approved,
        TicketState::Fulfilling,
        TicketState::Fulfilled,
        TicketState::Closed,
        TicketState::Rejected,
        TicketState::Withdrawn,
        TicketState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketState::Approving => "approving",
            TicketState::Approved => "approved",
            TicketState::Fulfilling => "fulfilling",
            TicketState::Fulfilled => "fulfilled",
            TicketState::Closed => "closed",
            TicketState::Rejected => "rejected",
            TicketState::Withdrawn => "withdrawn",
            TicketState::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<TicketState> {
        TicketState::ALL
            .into_iter()
            .find(|state| state.as_str() == raw)
    }

    /// Whether the ticket still has work ahead that an actor must drive (timers, fulfilment).
    pub fn needs_actor(self) -> bool {
        matches!(
            self,
            TicketState::Approving | TicketState::Approved | TicketState::Fulfilling
        )
    }
}

/// An approver's place on an open level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub approver_id: i64,
    pub decision: Decision,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Pending,
    Approved,
    Rejected,
    /// Closed without a decision: another approver decided an any-one level, or the ticket
    /// left the level (rejected, withdrawn).
    Cancelled,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Pending => "pending",
            Decision::Approved => "approved",
            Decision::Rejected => "rejected",
            Decision::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Decision> {
        [
            Decision::Pending,
            Decision::Approved,
            Decision::Rejected,
            Decision::Cancelled,
        ]
        .into_iter()
        .find(|d| d.as_str() == raw)
    }
}

/// Who acts on an approval: a user, and the approvers who delegated to them right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    pub user_id: i64,
    pub acting_for: Vec<i64>,
}

impl Signer {
    fn may_fill(&self, slot: &Slot) -> bool {
        slot.approver_id == self.user_id || self.acting_for.contains(&slot.approver_id)
    }

    /// The pending slot this signer fills: their own first, else a delegator's.
    fn pending_slot(&self, slots: &[Slot]) -> Option<usize> {
        let pending = |slot: &&Slot| slot.decision == Decision::Pending;
        slots
            .iter()
            .position(|slot| pending(&slot) && slot.approver_id == self.user_id)
            .or_else(|| {
                slots
                    .iter()
                    .position(|slot| pending(&slot) && self.may_fill(slot))
            })
    }
}

/// What the state machine needs to know about a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub state: TicketState,
    pub requester_id: i64,
    /// How many times it was submitted, from 1.
    pub round: u32,
    /// How many levels its plan has this round.
    pub level_count: usize,
    /// The open level, while approving.
    pub level_index_opt: Option<usize>,
    /// Its requester has rated it (once, after closing it).
    pub rated: bool,
}

/// What the open level looks like, for signing and rejecting.
#[derive(Debug, Clone, Copy)]
pub struct OpenLevel<'a> {
    pub mode: SignMode,
    pub slots: &'a [Slot],
}

#[derive(Debug, Clone)]
pub enum Command<'a> {
    Approve {
        signer: &'a Signer,
        level: OpenLevel<'a>,
    },
    Reject {
        signer: &'a Signer,
        level: OpenLevel<'a>,
    },
    Withdraw {
        by: i64,
    },
    /// An amended request after a rejection, with its new plan's length.
    Resubmit {
        by: i64,
        level_count: usize,
    },
    StartFulfilment,
    FulfilmentSucceeded,
    FulfilmentFailed,
    Close {
        by: i64,
    },
    /// The requester rates a closed ticket's service, 1 to 5, once.
    Rate {
        by: i64,
        rating: i16,
    },
    /// A remark on the timeline, by anyone who may see the ticket, in any state.
    Comment,
}

/// What the shell does, in the same transaction as the state change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Mark this slot approved (or rejected), by the signer.
    DecideSlot {
        slot_index: usize,
        decision: Decision,
    },
    /// Close the open level's remaining pending slots.
    CancelPendingSlots,
    /// Resolve this level's approvers, create their slots, tell them.
    OpenLevel(usize),
    ReserveQuota,
    ReleaseQuota,
    /// Mark the reservation as used by what fulfilment created.
    ConsumeQuota,
    StartFulfilment,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub next: Ticket,
    /// The timeline entry: `submitted`, `signed`, `level_passed`, `approved`, ...
    pub kind: &'static str,
    pub effects: Vec<Effect>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The command does not apply in the ticket's state.
    WrongState(TicketState),
    /// The caller is not an approver of the open level (nor acting for one).
    NotAnApprover,
    /// The caller's slot on this level is already decided.
    AlreadyDecided,
    /// Only the requester may do this.
    NotTheRequester,
    /// A ticket is rated once, after it is closed.
    NotRateable,
    /// A rating is 1 to 5.
    RatingOutOfRange,
}

/// A new ticket's first transition.
pub fn submit(requester_id: i64, level_count: usize) -> Transition {
    enter_round(requester_id, 1, level_count, "submitted")
}

fn enter_round(
    requester_id: i64,
    round: u32,
    level_count: usize,
    kind: &'static str,
) -> Transition {
    let mut next = Ticket {
        state: TicketState::Approving,
        requester_id,
        round,
        level_count,
        level_index_opt: Some(0),
        rated: false,
    };
    let mut effects = vec![Effect::OpenLevel(0)];
    if level_count == 0 {
        next.state = TicketState::Approved;
        next.level_index_opt = None;
        effects = vec![Effect::ReserveQuota, Effect::StartFulfilment];
    }
    Transition {
        next,
        kind,
        effects,
    }
}

pub fn apply(ticket: &Ticket, command: Command<'_>) -> Result<Transition, Refusal> {
    use TicketState as S;
    let wrong_state = Err(Refusal::WrongState(ticket.state));
    let moved = |state: TicketState, kind: &'static str, effects: Vec<Effect>| {
        let mut next = ticket.clone();
        next.state = state;
        if state != S::Approving {
            next.level_index_opt = None;
        }
        Ok(Transition {
            next,
            kind,
            effects,
        })
    };
    match command {
        Command::Approve { signer, level } => {
            let level_index = approving_level(ticket)?;
            let slot_index = fillable_slot(signer, level.slots)?;
            let mut effects = vec![Effect::DecideSlot {
                slot_index,
                decision: Decision::Approved,
            }];
            let others_done = level
                .slots
                .iter()
                .enumerate()
                .all(|(i, slot)| i == slot_index || slot.decision == Decision::Approved);
            let level_passed = match level.mode {
                SignMode::Any => true,
                SignMode::All => others_done,
            };
            if !level_passed {
                let mut next = ticket.clone();
                next.level_index_opt = Some(level_index);
                return Ok(Transition {
                    next,
                    kind: "signed",
                    effects,
                });
            }
            effects.push(Effect::CancelPendingSlots);
            if level_index + 1 < ticket.level_count {
                effects.push(Effect::OpenLevel(level_index + 1));
                let mut next = ticket.clone();
                next.level_index_opt = Some(level_index + 1);
                Ok(Transition {
                    next,
                    kind: "level_passed",
                    effects,
                })
            } else {
                effects.extend([Effect::ReserveQuota, Effect::StartFulfilment]);
                moved(S::Approved, "approved", effects)
            }
        }
        Command::Reject { signer, level } => {
            approving_level(ticket)?;
            let slot_index = fillable_slot(signer, level.slots)?;
            moved(
                S::Rejected,
                "rejected",
                vec![
                    Effect::DecideSlot {
                        slot_index,
                        decision: Decision::Rejected,
                    },
                    Effect::CancelPendingSlots,
                ],
            )
        }
        Command::Withdraw { by } => {
            requester_only(ticket, by)?;
            match ticket.state {
                S::Approving => moved(S::Withdrawn, "withdrawn", vec![Effect::CancelPendingSlots]),
                S::Rejected => moved(S::Withdrawn, "withdrawn", vec![]),
                S::Approved => moved(S::Withdrawn, "withdrawn", vec![Effect::ReleaseQuota]),
                _ => wrong_state,
            }
        }
        Command::Resubmit { by, level_count } => {
            requester_only(ticket, by)?;
            match ticket.state {
                S::Rejected => Ok(enter_round(
                    ticket.requester_id,
                    ticket.round + 1,
                    level_count,
                    "resubmitted",
                )),
                _ => wrong_state,
            }
        }
        Command::StartFulfilment => match ticket.state {
            S::Approved => moved(S::Fulfilling, "fulfilment_started", vec![]),
            _ => wrong_state,
        },
        Command::FulfilmentSucceeded => match ticket.state {
            S::Fulfilling => moved(S::Fulfilled, "fulfilled", vec![Effect::ConsumeQuota]),
            _ => wrong_state,
        },
        Command::FulfilmentFailed => match ticket.state {
            S::Fulfilling => moved(S::Failed, "failed", vec![Effect::ReleaseQuota]),
            _ => wrong_state,
        },
        Command::Close { by } => {
            requester_only(ticket, by)?;
            match ticket.state {
                S::Fulfilled => moved(S::Closed, "closed", vec![]),
                _ => wrong_state,
            }
        }
        Command::Rate { by, rating } => {
            requester_only(ticket, by)?;
            if ticket.state != S::Closed || ticket.rated {
                return Err(Refusal::NotRateable);
            }
            if !(1..=5).contains(&rating) {
                return Err(Refusal::RatingOutOfRange);
            }
            let mut next = ticket.clone();
            next.rated = true;
            Ok(remark(next, "rated"))
        }
        Command::Comment => Ok(remark(ticket.clone(), "commented")),
    }
}

/// A transition that leaves the ticket where it is and only adds to its timeline.
fn remark(next: Ticket, kind: &'static str) -> Transition {
    Transition {
        next,
        kind,
        effects: Vec::new(),
    }
}

impl Transition {
    /// Whether it only adds to the timeline (a rating, a comment): its entry names no
    /// states.
    pub fn is_remark(&self) -> bool {
        matches!(self.kind, "rated" | "commented")
    }
}

fn approving_level(ticket: &Ticket) -> Result<usize, Refusal> {
    match (ticket.state, ticket.level_index_opt) {
        (TicketState::Approving, Some(level_index)) => Ok(level_index),
        _ => Err(Refusal::WrongState(ticket.state)),
    }
}

fn fillable_slot(signer: &Signer, slots: &[Slot]) -> Result<usize, Refusal> {
    if let Some(slot_index) = signer.pending_slot(slots) {
        return Ok(slot_index);
    }
    if slots.iter().any(|slot| signer.may_fill(slot)) {
        Err(Refusal::AlreadyDecided)
    } else {
        Err(Refusal::NotAnApprover)
    }
}

fn requester_only(ticket: &Ticket, by: i64) -> Result<(), Refusal> {
    if ticket.requester_id == by {
        Ok(())
    } else {
        Err(Refusal::NotTheRequester)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Decision::{Approved as A, Cancelled as C, Pending as P, Rejected as R};
    use TicketState as S;

    const REQUESTER: i64 = 100;

    fn ticket(state: TicketState, level_index_opt: Option<usize>, level_count: usize) -> Ticket {
        Ticket {
            state,
            requester_id: REQUESTER,
            round: 1,
            level_count,
            level_index_opt,
            rated: false,
        }
    }

    fn slots(decisions: &[(i64, Decision)]) -> Vec<Slot> {
        decisions
            .iter()
            .map(|&(approver_id, decision)| Slot {
                approver_id,
                decision,
            })
            .collect()
    }

    fn signer(user_id: i64, acting_for: &[i64]) -> Signer {
        Signer {
            user_id,
            acting_for: acting_for.to_vec(),
        }
    }

    #[test]
    fn submitting_opens_the_first_level_or_approves_an_empty_plan() {
        let first = submit(REQUESTER, 3);
        assert_eq!(first.next.state, S::Approving);
        assert_eq!(first.next.level_index_opt, Some(0));
        assert_eq!(first.effects, vec![Effect::OpenLevel(0)]);
        let empty = submit(REQUESTER, 0);
        assert_eq!(empty.next.state, S::Approved);
        assert_eq!(
            empty.effects,
            vec![Effect::ReserveQuota, Effect::StartFulfilment]
        );
    }

    #[test]
    fn approving_by_mode_and_position() {
        // (mode, slots, signer, level_index, level_count) -> (kind, next level, effects after DecideSlot)
        type Row<'a> = (
            SignMode,
            &'a [(i64, Decision)],
            Signer,
            usize,
            usize,
            &'static str,
            Option<usize>,
            &'a [Effect],
        );
        let table: Vec<Row> = vec![
            // 或签: the first signature passes the level.
            (
                SignMode::Any,
                &[(1, P), (2, P)],
                signer(2, &[]),
                0,
                3,
                "level_passed",
                Some(1),
                &[Effect::CancelPendingSlots, Effect::OpenLevel(1)],
            ),
            // 会签: the level waits for everyone.
            (
                SignMode::All,
                &[(1, P), (2, P)],
                signer(1, &[]),
                1,
                3,
                "signed",
                Some(1),
                &[],
            ),
            (
                SignMode::All,
                &[(1, A), (2, P)],
                signer(2, &[]),
                1,
                3,
                "level_passed",
                Some(2),
                &[Effect::CancelPendingSlots, Effect::OpenLevel(2)],
            ),
            // The last level approves the ticket.
            (
                SignMode::Any,
                &[(5, P)],
                signer(5, &[]),
                2,
                3,
                "approved",
                None,
                &[
                    Effect::CancelPendingSlots,
                    Effect::ReserveQuota,
                    Effect::StartFulfilment,
                ],
            ),
            // A delegate signs for the delegator.
            (
                SignMode::All,
                &[(1, A), (2, P)],
                signer(9, &[2]),
                0,
                2,
                "level_passed",
                Some(1),
                &[Effect::CancelPendingSlots, Effect::OpenLevel(1)],
            ),
        ];
        for (mode, decisions, who, level_index, level_count, kind, next_level, rest) in table {
            let slots = slots(decisions);
            let current = ticket(S::Approving, Some(level_index), level_count);
            let outcome = apply(
                &current,
                Command::Approve {
                    signer: &who,
                    level: OpenLevel {
                        mode,
                        slots: &slots,
                    },
                },
            )
            .unwrap();
            assert_eq!(outcome.kind, kind, "{mode:?} {decisions:?} by {who:?}");
            assert_eq!(outcome.next.level_index_opt, next_level, "{kind}");
            assert!(matches!(
                outcome.effects[0],
                Effect::DecideSlot { decision: A, .. }
            ));
            assert_eq!(&outcome.effects[1..], rest, "{kind}");
        }
    }

    #[test]
    fn a_signer_fills_their_own_slot_before_a_delegators() {
        let slots = slots(&[(2, P), (9, P)]);
        let outcome = apply(
            &ticket(S::Approving, Some(0), 1),
            Command::Approve {
                signer: &signer(9, &[2]),
                level: OpenLevel {
                    mode: SignMode::All,
                    slots: &slots,
                },
            },
        )
        .unwrap();
        assert_eq!(
            outcome.effects[0],
            Effect::DecideSlot {
                slot_index: 1,
                decision: A
            }
        );
    }

    #[test]
    fn refusals() {
        let open = ticket(S::Approving, Some(0), 2);
        let level_slots = slots(&[(1, A), (2, P), (3, C)]);
        let level = OpenLevel {
            mode: SignMode::All,
            slots: &level_slots,
        };
        let (one, two, three, seven) = (
            signer(1, &[]),
            signer(2, &[]),
            signer(3, &[]),
            signer(7, &[]),
        );
        let table: Vec<(Ticket, Command, Refusal)> = vec![
            (
                open.clone(),
                Command::Approve {
                    signer: &one,
                    level,
                },
                Refusal::AlreadyDecided,
            ),
            (
                open.clone(),
                Command::Approve {
                    signer: &three,
                    level,
                },
                Refusal::AlreadyDecided,
            ),
            (
                open.clone(),
                Command::Approve {
                    signer: &seven,
                    level,
                },
                Refusal::NotAnApprover,
            ),
            (
                open.clone(),
                Command::Reject {
                    signer: &seven,
                    level,
                },
                Refusal::NotAnApprover,
            ),
            (
                open.clone(),
                Command::Withdraw { by: 2 },
                Refusal::NotTheRequester,
            ),
            (
                open.clone(),
                Command::Resubmit {
                    by: REQUESTER,
                    level_count: 1,
                },
                Refusal::WrongState(S::Approving),
            ),
            (
                open.clone(),
                Command::Close { by: REQUESTER },
                Refusal::WrongState(S::Approving),
            ),
            (
                open.clone(),
                Command::StartFulfilment,
                Refusal::WrongState(S::Approving),
            ),
            (
                ticket(S::Approved, None, 2),
                Command::Approve {
                    signer: &two,
                    level,
                },
                Refusal::WrongState(S::Approved),
            ),
            (
                ticket(S::Fulfilling, None, 2),
                Command::Withdraw { by: REQUESTER },
                Refusal::WrongState(S::Fulfilling),
            ),
            (
                ticket(S::Closed, None, 2),
                Command::FulfilmentFailed,
                Refusal::WrongState(S::Closed),
            ),
            (
                ticket(S::Withdrawn, None, 2),
                Command::Withdraw { by: REQUESTER },
                Refusal::WrongState(S::Withdrawn),
            ),
        ];
        for (current, command, refusal) in table {
            let description = format!("{command:?} in {:?}", current.state);
            assert_eq!(apply(&current, command), Err(refusal), "{description}");
        }
    }

    #[test]
    fn reject_then_resubmit_starts_a_new_round_at_level_zero() {
        let level_slots = slots(&[(1, P), (2, P)]);
        let rejected = apply(
            &ticket(S::Approving, Some(1), 2),
            Command::Reject {
                signer: &signer(2, &[]),
                level: OpenLevel {
                    mode: SignMode::Any,
                    slots: &level_slots,
                },
            },
        )
        .unwrap();
        assert_eq!(rejected.next.state, S::Rejected);
        assert_eq!(
            rejected.effects,
            vec![
                Effect::DecideSlot {
                    slot_index: 1,
                    decision: R
                },
                Effect::CancelPendingSlots
            ]
        );
        let again = apply(
            &rejected.next,
            Command::Resubmit {
                by: REQUESTER,
                level_count: 3,
            },
        )
        .unwrap();
        assert_eq!(again.kind, "resubmitted");
        assert_eq!(again.next.round, 2);
        assert_eq!(again.next.level_count, 3);
        assert_eq!(again.next.level_index_opt, Some(0));
        assert_eq!(again.effects, vec![Effect::OpenLevel(0)]);
    }

    #[test]
    fn withdraw_and_fulfilment_move_quota() {
        let table = [
            (
                S::Approving,
                Command::Withdraw { by: REQUESTER },
                S::Withdrawn,
                vec![Effect::CancelPendingSlots],
            ),
            (
                S::Rejected,
                Command::Withdraw { by: REQUESTER },
                S::Withdrawn,
                vec![],
            ),
            (
                S::Approved,
                Command::Withdraw { by: REQUESTER },
                S::Withdrawn,
                vec![Effect::ReleaseQuota],
            ),
            (S::Approved, Command::StartFulfilment, S::Fulfilling, vec![]),
            (
                S::Fulfilling,
                Command::FulfilmentSucceeded,
                S::Fulfilled,
                vec![Effect::ConsumeQuota],
            ),
            (
                S::Fulfilling,
                Command::FulfilmentFailed,
                S::Failed,
                vec![Effect::ReleaseQuota],
            ),
            (
                S::Fulfilled,
                Command::Close { by: REQUESTER },
                S::Closed,
                vec![],
            ),
        ];
        for (from, command, to, effects) in table {
            let level_index_opt = (from == S::Approving).then_some(0);
            let outcome = apply(&ticket(from, level_index_opt, 1), command).unwrap();
            assert_eq!(outcome.next.state, to, "{from:?}");
            assert_eq!(outcome.next.level_index_opt, None, "{from:?}");
            assert_eq!(outcome.effects, effects, "{from:?} -> {to:?}");
        }
    }

    #[test]
    fn the_requester_rates_a_closed_ticket_once_and_anyone_comments() {
        let closed = ticket(S::Closed, None, 1);
        let rated = apply(
            &closed,
            Command::Rate {
                by: REQUESTER,
                rating: 4,
            },
        )
        .unwrap();
        assert_eq!(
            (rated.kind, rated.next.state, rated.next.rated),
            ("rated", S::Closed, true)
        );
        assert!(rated.is_remark() && rated.effects.is_empty());
        let table = [
            (&closed, 99, 4, Refusal::NotTheRequester),
            (&closed, REQUESTER, 0, Refusal::RatingOutOfRange),
            (&closed, REQUESTER, 6, Refusal::RatingOutOfRange),
            (&rated.next, REQUESTER, 5, Refusal::NotRateable),
        ];
        for (before, by, rating, refusal) in table {
            assert_eq!(
                apply(before, Command::Rate { by, rating }),
                Err(refusal),
                "{by} {rating}"
            );
        }
        let fulfilled = ticket(S::Fulfilled, None, 1);
        assert_eq!(
            apply(
                &fulfilled,
                Command::Rate {
                    by: REQUESTER,
                    rating: 5
                }
            ),
            Err(Refusal::NotRateable)
        );
        for state in TicketState::ALL {
            let commented = apply(&ticket(state, None, 1), Command::Comment).unwrap();
            assert_eq!((commented.kind, commented.next.state), ("commented", state));
            assert!(commented.is_remark());
        }
        assert!(!apply(&fulfilled, Command::Close { by: REQUESTER })
            .unwrap()
            .is_remark());
    }

    #[test]
    fn state_names_round_trip() {
        for state in TicketState::ALL {
            assert_eq!(TicketState::parse(state.as_str()), Some(state));
        }
        assert_eq!(TicketState::parse("nonsense"), None);
    }
}
