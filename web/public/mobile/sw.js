// The mobile app's service worker: it keeps the app shell (the page and its hashed assets)
// so that the app opens without a network, and never API answers, which must always be
// fresh (an approval seen from a cache could be decided already). Pages are fetched from the
// network first and fall back to the cached shell; hashed assets never change, so the cache
// answers them first. Written by hand: the shell is one page and what it loads, a few lines
// that a build plugin would only hide.
const SHELL = 'yunguan-mobile-shell-v1'

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.add('/mobile/')).then(() => self.skipWaiting()))
})

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== SHELL).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  )
})

self.addEventListener('fetch', (event) => {
  const request = event.request
  const url = new URL(request.url)
  if (request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return
  if (request.mode === 'navigate') {
    // Every page of the app is the same shell (history routing).
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok) void caches.open(SHELL).then((cache) => cache.put('/mobile/', response.clone()))
          return response
        })
        .catch(() => caches.match('/mobile/').then((cached) => cached ?? Response.error())),
    )
    return
  }
  if (url.pathname.startsWith('/assets/') || url.pathname.startsWith('/mobile/')) {
    event.respondWith(
      caches.match(request).then(
        (cached) =>
          cached ??
          fetch(request).then((response) => {
            if (response.ok) void caches.open(SHELL).then((cache) => cache.put(request, response.clone()))
            return response
          }),
      ),
    )
  }
})
