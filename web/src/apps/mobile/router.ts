// The mobile app's pages. Every role uses it: approvers their inbox, requesters the catalog
// and their tickets, bureau operators and suppliers their tasks, operators the active alarms.
// Without a login, to the app's own login page and back.
import { createRouter, createWebHistory } from 'vue-router'
import { session, type Role } from '@shared/auth/session'

/** Who requests from the catalog: tenant users. */
export const REQUESTERS: Role[] = ['tenant_admin', 'tenant_member']
/** Who has manual tasks. */
export const TASK_ROLES: Role[] = ['bureau_admin', 'bureau_operator', 'supplier']
/** Who acknowledges alarms. */
export const ALARM_ROLES: Role[] = ['bureau_admin', 'bureau_operator']

export const router = createRouter({
  history: createWebHistory('/mobile/'),
  routes: [
    { path: '/login', name: 'login', component: () => import('./views/LoginPage.vue'), meta: { public: true } },
    { path: '/', name: 'inbox', component: () => import('./views/InboxPage.vue') },
    { path: '/tickets/:id(\\d+)', name: 'ticket', component: () => import('./views/TicketPage.vue') },
    { path: '/catalog', name: 'catalog', component: () => import('./views/CatalogPage.vue'), meta: { roles: REQUESTERS } },
    { path: '/catalog/:itemId(\\d+)', name: 'request', component: () => import('./views/RequestPage.vue'), meta: { roles: REQUESTERS } },
    { path: '/tasks', name: 'tasks', component: () => import('./views/TasksPage.vue'), meta: { roles: TASK_ROLES } },
    { path: '/alarms', name: 'alarms', component: () => import('./views/AlarmsPage.vue'), meta: { roles: ALARM_ROLES } },
    { path: '/me', name: 'me', component: () => import('./views/MePage.vue') },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
})

declare module 'vue-router' {
  interface RouteMeta {
    /** Open without a login (the login page). */
    public?: boolean
  }
}

router.beforeEach((to) => {
  const role = session.role()
  if (to.meta.public) return true
  if (!role) return { name: 'login', query: { return: to.fullPath } }
  if (to.meta.roles && !to.meta.roles.includes(role)) return { name: 'inbox' }
  return true
})
