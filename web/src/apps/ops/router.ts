// The ops portal's pages. A person without a login goes to the login page (and comes back);
// a tenant user goes to the service portal: this portal is for bureau staff and suppliers.
// Which pages a role sees is a courtesy of the menu; the server refuses the rest anyway.
import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { appOf, session, type Role } from '@shared/auth/session'

declare module 'vue-router' {
  interface RouteMeta {
    /** The i18n key of the page title (also the tab's name). */
    title?: string
    /** Roles that may open the page; all of this portal's roles when absent. */
    roles?: Role[]
  }
}

export const OPS_ROLES: Role[] = ['bureau_admin', 'bureau_manager', 'bureau_operator', 'supplier']
export const ALARM_OPERATORS: Role[] = ['bureau_admin', 'bureau_operator']
const BUREAU: Role[] = ['bureau_admin', 'bureau_manager', 'bureau_operator']
const TASK_ROLES: Role[] = ['bureau_admin', 'bureau_operator', 'supplier']

const routes: RouteRecordRaw[] = [
  { path: '/', name: 'overview', component: () => import('./views/OverviewPage.vue'), meta: { title: 'nav.overview' } },
  { path: '/alarms', name: 'alarms', component: () => import('./views/AlarmsPage.vue'), meta: { title: 'nav.alarms' } },
  { path: '/alarms/:id(\\d+)', name: 'alarm', component: () => import('./views/AlarmsPage.vue'), meta: { title: 'nav.alarms' } },
  { path: '/maintenance', name: 'maintenance', component: () => import('./views/MaintenancePage.vue'), meta: { title: 'maintenance.title' } },
  { path: '/topology/:dataCenterId(\\d+)?', name: 'topology', component: () => import('./views/TopologyPage.vue'), meta: { title: 'nav.topology' } },
  { path: '/devices/:id(\\d+)', name: 'device', component: () => import('./views/DevicePage.vue'), meta: { title: 'device.title' } },
  { path: '/tickets/:id(\\d+)', name: 'ticket', component: () => import('./views/TicketPage.vue'), meta: { title: 'tickets.detail' } },
  { path: '/cmdb/:kind?/:id(\\d+|new)?', name: 'cmdb', component: () => import('./views/CmdbPage.vue'), meta: { title: 'cmdb.title' } },
  { path: '/cmdb-import', name: 'cmdb-import', component: () => import('./views/ImportPage.vue'), meta: { title: 'cmdb.import', roles: ['bureau_admin', 'bureau_operator'] } },
  { path: '/approvals', name: 'approvals', component: () => import('@shared/approvals/InboxPage.vue'), meta: { title: 'desk.inbox' } },
  { path: '/tickets', name: 'tickets', component: () => import('./views/TicketsPage.vue'), meta: { title: 'desk.tickets', roles: BUREAU } },
  { path: '/tasks', name: 'tasks', component: () => import('./views/TasksPage.vue'), meta: { title: 'desk.tasks', roles: TASK_ROLES } },
  { path: '/catalog', name: 'catalog', component: () => import('./views/CatalogPage.vue'), meta: { title: 'desk.catalog', roles: BUREAU } },
  { path: '/tenants', name: 'tenants', component: () => import('./views/TenantsPage.vue'), meta: { title: 'desk.tenants', roles: BUREAU } },
  { path: '/users', name: 'users', component: () => import('./views/UsersPage.vue'), meta: { title: 'desk.users', roles: ['bureau_admin'] } },
  { path: '/notification-channels', name: 'notification-channels', component: () => import('./views/ChannelsPage.vue'), meta: { title: 'channels.title', roles: ['bureau_admin'] } },
  { path: '/alarm-mail', name: 'alarm-mail', component: () => import('./views/AlarmMailPage.vue'), meta: { title: 'alarmMail.title', roles: BUREAU } },
  { path: '/display-keys', name: 'display-keys', component: () => import('./views/DisplayKeysPage.vue'), meta: { title: 'desk.displayKeys', roles: ['bureau_admin'] } },
  { path: '/announcements', name: 'announcements', component: () => import('@shared/announcements/AnnouncementsPage.vue'), meta: { title: 'desk.announcements' } },
  { path: '/audit', name: 'audit', component: () => import('./views/AuditPage.vue'), meta: { title: 'desk.audit', roles: ['bureau_admin'] } },
  { path: '/:rest(.*)*', redirect: '/' },
]

export const router = createRouter({ history: createWebHistory('/ops/'), routes })

router.beforeEach((to) => {
  const role = session.role()
  if (!role) {
    location.assign(`/login?return=${encodeURIComponent(`/ops${to.fullPath}`)}`)
    return false
  }
  if (!OPS_ROLES.includes(role)) {
    location.assign(appOf(role))
    return false
  }
  if (to.meta.roles && !to.meta.roles.includes(role)) return { name: 'overview' }
  return true
})
