// The service portal's pages: a tenant's own tickets (bureau staff may open it to see what
// tenants see; the server scopes every answer). Without a login, to the login page and back.
import { createRouter, createWebHistory } from 'vue-router'
import { session } from '@shared/auth/session'

export const router = createRouter({
  history: createWebHistory('/portal/'),
  routes: [
    { path: '/', redirect: '/tickets' },
    { path: '/tickets', name: 'tickets', component: () => import('./views/TicketsPage.vue'), meta: { title: 'portal.tickets' } },
    { path: '/tickets/:id(\\d+)', name: 'ticket', component: () => import('./views/TicketPage.vue'), meta: { title: 'tickets.detail' } },
    { path: '/:rest(.*)*', redirect: '/tickets' },
  ],
})

router.beforeEach((to) => {
  if (!session.role()) {
    location.assign(`/login?return=${encodeURIComponent(`/portal${to.fullPath}`)}`)
    return false
  }
  return true
})
