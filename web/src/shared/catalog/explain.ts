// The approval chain in words, for requesters: who signs each level, and why a level is or
// is not needed for this request (the server's preview says which; this only phrases it).
import type { Schemas } from '../api/client'

type Translate = (key: string, params?: Record<string, unknown>) => string
type Has = (key: string) => boolean

export type PlannedLevel = Schemas['PlannedLevel']
export type Approvers = Schemas['Approvers']

function role(t: Translate, has: Has, name: string): string {
  return has(`roles.${name}`) ? t(`roles.${name}`) : name
}

/** Who signs: "本部门管理员 · 或签". */
export function describeApprovers(approvers: Approvers, mode: 'all' | 'any', t: Translate, has: Has): string {
  let who: string
  if (approvers.by === 'requester_tenant_admin') who = t('portal.approvers.requester_tenant_admin')
  else if (approvers.by === 'users') who = t('portal.approvers.users', { n: approvers.user_ids.length })
  else if (approvers.requester_tenant) who = t('portal.approvers.tenantRole', { role: role(t, has, approvers.role) })
  else who = t('portal.approvers.role', { role: role(t, has, approvers.role) })
  return `${who} · ${t(`portal.approvers.${mode}`)}`
}

function number(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1)
}

function factName(fact: string, t: Translate, has: Has): string {
  return has(`portal.facts.${fact}`) ? t(`portal.facts.${fact}`) : fact
}

/** A level's condition before the request is known: "仅当 总 vCPU > 32". */
export function describeCondition(condition: Schemas['ApprovalCondition'], t: Translate, has: Has): string {
  return t('portal.request.onlyIf', { fact: factName(condition.fact, t, has), op: condition.op, value: number(condition.value) })
}

/** Why the level is or is not needed: "因为 总 vCPU（40）> 32". */
export function describeReason(level: PlannedLevel, t: Translate, has: Has): string {
  const condition = level.condition
  if (!condition) return t('portal.request.always')
  const params = {
    fact: factName(condition.fact, t, has),
    actual: condition.actual === null || condition.actual === undefined ? '—' : number(condition.actual),
    op: condition.op,
    value: number(condition.value),
  }
  return t(level.applies ? 'portal.request.because' : 'portal.request.notBecause', params)
}
