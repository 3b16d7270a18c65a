// An approval chain as the catalog API carries it (actors/src/ticket/chain.rs): levels in
// order, each with its approvers, sign mode, optional SLA, escalation and condition. The
// OpenAPI document gives `chain` no schema yet, so this one shape is stated here.

export type Approvers =
  | { by: 'role'; role: string; requester_tenant: boolean }
  | { by: 'users'; user_ids: number[] }
  | { by: 'requester_tenant_admin' }

export interface Level {
  name: string
  approvers: Approvers
  mode: 'any' | 'all'
  condition?: { fact: string; op: '>' | '>=' | '<' | '<=' | '=='; value: number }
  sla_secs?: number
  escalate_to?: Approvers
}

export interface Chain {
  levels: Level[]
}

/** What is wrong with a chain before it is sent, by level (the server checks again). */
export function chainProblems(chain: Chain): string[] {
  const problems: string[] = []
  chain.levels.forEach((level, index) => {
    if (!level.name.trim()) problems.push(`${index + 1}: name`)
    if (level.approvers.by === 'users' && level.approvers.user_ids.length === 0) problems.push(`${index + 1}: approvers`)
    if (level.condition && !level.condition.fact) problems.push(`${index + 1}: condition`)
  })
  return problems
}
