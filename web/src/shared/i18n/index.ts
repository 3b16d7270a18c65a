// Languages: Chinese first, English complete (a unit test holds the two catalogues to the
// same keys). The choice is remembered per browser. The shared catalogue is here; an app's
// own words come with the app (`registerMessages`).
import { createI18n } from 'vue-i18n'
import zhCN from './zh-CN'
import en from './en'
import type { Locale } from '../format'

const STORAGE_KEY = 'yunguan.locale'

function initialLocale(): Locale {
  const stored = globalThis.localStorage?.getItem(STORAGE_KEY)
  return stored === 'en' || stored === 'zh-CN' ? stored : 'zh-CN'
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
})

/** An app's own catalogue (the service portal's, the mobile app's), added to the shared one
 * when the app starts, so that other apps do not load its words. */
export function registerMessages(messages: Record<Locale, Record<string, unknown>>): void {
  for (const [locale, catalogue] of Object.entries(messages)) i18n.global.mergeLocaleMessage(locale, catalogue)
}

export function currentLocale(): Locale {
  return i18n.global.locale.value as Locale
}

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale
  globalThis.localStorage?.setItem(STORAGE_KEY, locale)
  document.documentElement.lang = locale
}
