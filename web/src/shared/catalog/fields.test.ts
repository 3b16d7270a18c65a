import { describe, expect, it } from 'vitest'
import { checkDraft, checkField, draftOf, emptyDraft, formOf, isCidr, type FieldSpec } from './fields'

// The same form as src/catalog/form.rs's tests, so that the two sides are held to one table.
const fields: FieldSpec[] = [
  { name: 'count', label: '数量', required: true, type: 'integer', min: 1, max: 20 },
  { name: 'image', label: '镜像', required: true, type: 'choice', options: ['centos7', 'kylin10'] },
  { name: 'note', label: '备注', type: 'text', max_chars: 5 },
  { name: 'lease_end', label: '到期', type: 'date', min_days_ahead: 1, max_days_ahead: 30 },
  { name: 'sources', label: '源地址', type: 'cidrs', max_items: 2 },
  { name: 'ports', label: '端口', type: 'ports', max_items: 3 },
  { name: 'public_ip', label: '公网IP', type: 'boolean' },
]
const byName = (name: string) => fields.find((field) => field.name === name)!
const today = new Date('2026-11-26T10:00:00Z')

describe('request form fields', () => {
  it('accepts a valid draft and submits it as the server expects', () => {
    const draft = { ...emptyDraft(fields), count: 2, image: 'kylin10', note: ' hi ', lease_end: '2026-12-01', sources: '10.1.2.3/16', ports: '443\n8000-8080', public_ip: false }
    expect(checkDraft(fields, draft, today)).toEqual({})
    expect(formOf(fields, draft)).toEqual({ count: 2, image: 'kylin10', note: 'hi', lease_end: '2026-12-01', sources: ['10.1.2.3/16'], ports: ['443', '8000-8080'] })
  })

  it.each([
    ['count', null, 'required'],
    ['count', 0, 'between'],
    ['count', 21, 'between'],
    ['count', 2.5, 'wholeNumber'],
    ['image', 'dos', 'oneOf'],
    ['note', 'sechs!', 'atMost'],
    ['lease_end', '2026-11-26', 'daysAhead'],
    ['lease_end', '2026-12-27', 'daysAhead'],
    ['lease_end', 'next week', 'date'],
    ['sources', '10.0.0.0/33', 'cidr'],
    ['sources', '10.0.0.1', 'cidr'],
    ['sources', '10.0.0.0/8\n10.1.0.0/16\n10.2.0.0/16', 'listSize'],
    ['ports', '0', 'port'],
    ['ports', '70000', 'port'],
    ['ports', '8080-80', 'portOrder'],
    ['ports', '1-2-3', 'port'],
  ])('%s = %j is refused with %s', (name, value, key) => {
    expect(checkField(byName(name), value as never, today)?.key).toBe(key)
  })

  it('leaves blank optional fields out and keeps required switches', () => {
    const required: FieldSpec[] = [{ name: 'agree', label: '同意', required: true, type: 'boolean' }, ...fields]
    const draft = { ...emptyDraft(required), count: 1, image: 'centos7' }
    expect(checkDraft(required, draft, today)).toEqual({})
    expect(formOf(required, draft)).toEqual({ agree: false, count: 1, image: 'centos7' })
  })

  it('reads IPv6 networks and turns a stored form back into a draft', () => {
    expect(isCidr('2001:db8::/32')).toBe(true)
    expect(isCidr('2001:db8::g/32')).toBe(false)
    const draft = draftOf(fields, { count: 3, sources: ['10.0.0.0/8', '192.168.0.0/16'], public_ip: true })
    expect(draft).toMatchObject({ count: 3, sources: '10.0.0.0/8\n192.168.0.0/16', public_ip: true, note: '' })
  })
})
