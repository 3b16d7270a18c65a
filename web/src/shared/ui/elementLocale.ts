// Element Plus's own texts (pager, date picker, dialogs) in the page's language.
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import en from 'element-plus/es/locale/lang/en'

export function elementLocale(locale: string) {
  return locale === 'en' ? en : zhCn
}
