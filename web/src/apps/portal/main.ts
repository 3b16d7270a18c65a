import { startApp } from '@shared/bootstrap'
import { registerMessages } from '@shared/i18n'
import portalZh from '@shared/i18n/portal.zh-CN'
import portalEn from '@shared/i18n/portal.en'
import App from './App.vue'
import { router } from './router'

registerMessages({ 'zh-CN': { portal: portalZh }, en: { portal: portalEn } })
startApp(App, router)
