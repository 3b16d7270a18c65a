// What every app does at start: styles, languages, stores, Element Plus's own language.
import { createApp, type Component } from 'vue'
import { createPinia } from 'pinia'
import type { Router } from 'vue-router'
import 'element-plus/theme-chalk/dark/css-vars.css'
import 'element-plus/theme-chalk/el-message.css'
import 'element-plus/theme-chalk/el-message-box.css'
import './ui/base.css'
import { i18n, currentLocale } from './i18n'
import './theme'

export function startApp(root: Component, router?: Router): void {
  document.documentElement.lang = currentLocale()
  const app = createApp(root)
  app.use(i18n).use(createPinia())
  if (router) app.use(router)
  app.mount('#app')
}
