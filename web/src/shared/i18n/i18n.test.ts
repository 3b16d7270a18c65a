import { describe, expect, it } from 'vitest'
import zhCN from './zh-CN'
import en from './en'

function keys(messages: object, prefix = ''): string[] {
  return Object.entries(messages).flatMap(([key, value]) =>
    typeof value === 'object' && value !== null ? keys(value, `${prefix}${key}.`) : [`${prefix}${key}`],
  )
}

function placeholders(messages: object): Map<string, string> {
  const found = new Map<string, string>()
  const walk = (node: object, prefix: string) => {
    for (const [key, value] of Object.entries(node)) {
      if (typeof value === 'object' && value !== null) walk(value, `${prefix}${key}.`)
      else found.set(`${prefix}${key}`, [...String(value).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(','))
    }
  }
  walk(messages, '')
  return found
}

describe('message catalogues', () => {
  it('English has every Chinese key and no other', () => {
    expect(keys(en).sort()).toEqual(keys(zhCN).sort())
  })

  it('both languages use the same placeholders in each message', () => {
    const zh = placeholders(zhCN)
    const english = placeholders(en)
    for (const [key, names] of zh) expect([key, english.get(key)]).toEqual([key, names])
  })
})
