// The command-center wall (大屏展示): a 1920×1080 design scaled to any screen, rotating
// through its views, every number moved by pushes. No Element Plus and no router: a wall
// has no navigation but its rotation, which its address sets up.
import { createApp } from 'vue'
import { i18n, currentLocale, registerMessages } from '@shared/i18n'
import screenZh from '@shared/i18n/screen.zh-CN'
import screenEn from '@shared/i18n/screen.en'
import { session } from '@shared/auth/session'
import App from './App.vue'
import './screen.css'

registerMessages({ 'zh-CN': { screen: screenZh }, en: { screen: screenEn } })
document.documentElement.lang = currentLocale()
// An expired token brings the wall back here, where its key logs it in again.
session.useLoginPage('/screen/')
createApp(App).use(i18n).mount('#app')
