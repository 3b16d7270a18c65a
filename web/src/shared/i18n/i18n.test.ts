import { describe, expect, it } from 'vitest'
import zhCN from './zh-CN'
import en from './en'
import portalZh from './portal.zh-CN'
import portalEn from './portal.en'
import mobileZh from './mobile.zh-CN'
import mobileEn from './mobile.en'
import screenZh from './screen.zh-CN'
import screenEn from './screen.en'

/** The shared catalogue and each app's own, Chinese and English. */
const catalogues: [string, object, object][] = [
  ['shared', zhCN, en],
  ['portal', portalZh, portalEn],
  ['mobile', mobileZh, mobileEn],
  ['screen', screenZh, screenEn],
]

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

describe.each(catalogues)('the %s message catalogue', (_name, chinese, english) => {
  it('English has every Chinese key and no other', () => {
    expect(keys(english).sort()).toEqual(keys(chinese).sort())
  })

  it('both languages use the same placeholders in each message', () => {
    const zh = placeholders(chinese)
    const en = placeholders(english)
    for (const [key, names] of zh) expect([key, en.get(key)]).toEqual([key, names])
  })
})
