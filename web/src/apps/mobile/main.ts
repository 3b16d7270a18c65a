// The mobile app (统一移动 APP): one app for every role, built with Vant for phones 360-430 px
// wide. Vant's components come per route with their styles (the resolver in vite.config.ts),
// so the bundle stays small; no Element Plus. A service worker keeps the app shell for
// offline starts.
import { createApp } from 'vue'
import { createPinia } from 'pinia'
// The styles of what is called as a function (the rest come with their components).
import 'vant/es/toast/style'
import 'vant/es/dialog/style'
import { i18n, currentLocale, registerMessages } from '@shared/i18n'
import portalZh from '@shared/i18n/portal.zh-CN'
import portalEn from '@shared/i18n/portal.en'
import mobileZh from '@shared/i18n/mobile.zh-CN'
import mobileEn from '@shared/i18n/mobile.en'
import { session } from '@shared/auth/session'
import App from './App.vue'
import { router } from './router'
import './mobile.css'

registerMessages({ 'zh-CN': { portal: portalZh, mobile: mobileZh }, en: { portal: portalEn, mobile: mobileEn } })
document.documentElement.lang = currentLocale()
session.useLoginPage('/mobile/login')
const app = createApp(App)
app.use(i18n).use(createPinia()).use(router)
app.mount('#app')

// The service worker keeps the app shell; what this page loaded before it took control (the
// routes opened so far) is handed to it to keep as well.
if ('serviceWorker' in navigator) {
  void navigator.serviceWorker
    .register('/mobile/sw.js', { scope: '/mobile/' })
    .then(() => navigator.serviceWorker.ready)
    .then((registration) => {
      const loaded = performance
        .getEntriesByType('resource')
        .map((entry) => new URL(entry.name).pathname)
        .filter((path) => path.startsWith('/assets/'))
      registration.active?.postMessage({ cache: loaded })
    })
    .catch(() => undefined)
}
