// The mobile app (统一移动 APP): one app for every role, built with Vant for phones 360-430 px
// wide. Only the Vant components it uses are registered, so the bundle stays small; no
// Element Plus. A service worker keeps the app shell for offline starts.
import { createApp } from 'vue'
import { createPinia } from 'pinia'
import {
  ActionBar,
  ActionBarButton,
  Badge,
  Button,
  Cell,
  CellGroup,
  Dialog,
  Empty,
  Field,
  Form,
  List,
  Loading,
  NavBar,
  NoticeBar,
  PullRefresh,
  Radio,
  RadioGroup,
  Rate,
  Search,
  Step,
  Steps,
  Switch,
  Tab,
  Tabbar,
  TabbarItem,
  Tabs,
  Tag,
} from 'vant'
import 'vant/lib/index.css'
import { i18n, currentLocale } from '@shared/i18n'
import { session } from '@shared/auth/session'
import App from './App.vue'
import { router } from './router'
import './mobile.css'

document.documentElement.lang = currentLocale()
session.useLoginPage('/mobile/login')
const app = createApp(App)
app.use(i18n).use(createPinia()).use(router)
for (const component of [ActionBar, ActionBarButton, Badge, Button, Cell, CellGroup, Dialog, Empty, Field, Form, List, Loading, NavBar, NoticeBar, PullRefresh, Radio, RadioGroup, Rate, Search, Step, Steps, Switch, Tab, Tabbar, TabbarItem, Tabs, Tag])
  app.use(component)
app.mount('#app')

if ('serviceWorker' in navigator) void navigator.serviceWorker.register('/mobile/sw.js', { scope: '/mobile/' }).catch(() => undefined)
