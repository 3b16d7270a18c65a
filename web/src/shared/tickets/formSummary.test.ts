import { describe, expect, it } from 'vitest'
import { formSummary } from './formSummary'
import type { Schemas } from '../api/client'

const fields: Schemas['FieldSpec'][] = [
  { name: 'business_system', label: '业务系统', required: true, type: 'text', max_chars: 200 },
  { name: 'ports', label: '端口', type: 'ports', max_items: 4 },
  { name: 'public_ip', label: '公网 IP', type: 'boolean' },
]

describe('a submitted form in words', () => {
  it('follows the item’s order and labels, then the fields it no longer has', () => {
    const rows = formSummary({ public_ip: true, retired_field: 3, ports: ['443', '8000-8080'], business_system: '学籍' }, fields, (yes) => (yes ? '是' : '否'))
    expect(rows.map((row) => [row.label, row.value])).toEqual([
      ['业务系统', '学籍'],
      ['端口', '443, 8000-8080'],
      ['公网 IP', '是'],
      ['retired_field', '3'],
    ])
  })
})
