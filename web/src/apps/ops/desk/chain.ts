// An approval chain as the catalog API types it (ApprovalChain, from the generated schema),
// and what is wrong with one before it is sent (the server checks again).
import type { Schemas } from '@shared/api/client'

export type Chain = Schemas['ApprovalChain']
export type Level = Schemas['ApprovalLevel']
export type Approvers = Schemas['Approvers']

/** Problems by level ("2: name"), empty when the chain can be sent. */
export function chainProblems(chain: Chain): string[] {
  const problems: string[] = []
  chain.levels.forEach((level, index) => {
    if (!level.name.trim()) problems.push(`${index + 1}: name`)
    if (level.approvers.by === 'users' && level.approvers.user_ids.length === 0) problems.push(`${index + 1}: approvers`)
    if (level.condition && !level.condition.fact) problems.push(`${index + 1}: condition`)
  })
  return problems
}
