// The service portal's pages: the catalog and its request forms, the tenant's tickets (and
// amending a rejected one), approvals for tenant admins, resources and announcements. Bureau
// staff may open it to see what tenants see; the server scopes every answer. Without a
// login, to the login page and back.
import { createRouter, createWebHistory } from 'vue-router'
import { session, type Role } from '@shared/auth/session'

/** Who approves in the portal: tenant admins (bureau staff approve in the ops portal). */
export const PORTAL_APPROVERS: Role[] = ['tenant_admin']

export const router = createRouter({
  history: createWebHistory('/portal/'),
  routes: [
    { path: '/', redirect: '/tickets' },
    { path: '/catalog', name: 'catalog', component: () => import('./views/CatalogPage.vue'), meta: { title: 'portal.catalog' } },
    { path: '/catalog/:itemId(\\d+)', name: 'request', component: () => import('./views/RequestPage.vue'), meta: { title: 'portal.catalog' } },
    { path: '/tickets', name: 'tickets', component: () => import('./views/TicketsPage.vue'), meta: { title: 'portal.tickets' } },
    { path: '/tickets/:id(\\d+)', name: 'ticket', component: () => import('./views/TicketPage.vue'), meta: { title: 'tickets.detail' } },
    { path: '/tickets/:ticketId(\\d+)/amend', name: 'amend', component: () => import('./views/RequestPage.vue'), meta: { title: 'portal.actions.amend' } },
    { path: '/approvals', name: 'approvals', component: () => import('@shared/approvals/InboxPage.vue'), meta: { title: 'portal.approvals', roles: PORTAL_APPROVERS } },
    { path: '/resources', name: 'resources', component: () => import('./views/ResourcesPage.vue'), meta: { title: 'portal.resources' } },
    { path: '/resources/vms/:id(\\d+)', name: 'vm', component: () => import('./views/VmPage.vue'), meta: { title: 'portal.resources' } },
    { path: '/announcements', name: 'announcements', component: () => import('@shared/announcements/AnnouncementsPage.vue'), meta: { title: 'portal.announcements' } },
    { path: '/:rest(.*)*', redirect: '/tickets' },
  ],
})

router.beforeEach((to) => {
  const role = session.role()
  if (!role) {
    location.assign(`/login?return=${encodeURIComponent(`/portal${to.fullPath}`)}`)
    return false
  }
  if (to.meta.roles && !to.meta.roles.includes(role)) return { name: 'tickets' }
  return true
})
