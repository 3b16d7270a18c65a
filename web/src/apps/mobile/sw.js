// The mobile app's service worker: it keeps the app shell (the page and the hashed assets it
// loads) so that the app opens without a network, and never API answers, which must always
// be fresh (an approval seen from a cache could be decided already).
// - install: the page and every asset it names (entry, preloads, styles) are cached;
// - the page, once controlled, sends the assets it loaded before (its lazily loaded routes),
//   and they are cached too; later ones are cached as they are fetched;
// - pages come from the network first and fall back to the cached shell (every route of the
//   app is the same page); hashed assets never change, so the cache answers them first.
// Written by hand: a build plugin would only hide these few lines. The build writes its
// version into the cache's name (vite.config.ts), so a new release is a new worker: it
// installs the new shell and drops the old one.
const SHELL = 'yunguan-mobile-shell-__BUILD__'
const PAGE = '/mobile/'

/** Whether a response is a page worth keeping as the shell. */
const isPage = (response) => response.ok && (response.headers.get('content-type') ?? '').startsWith('text/html')

/** The same-origin asset paths a page names (`src=` and `href=` under /assets/). */
function assetsOf(html) {
  return [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1])
}

async function cacheShell() {
  const cache = await caches.open(SHELL)
  const response = await fetch(PAGE, { cache: 'no-cache' })
  if (!isPage(response)) return
  const html = await response.clone().text()
  await cache.put(PAGE, response)
  await cache.addAll(assetsOf(html))
}

self.addEventListener('install', (event) => {
  event.waitUntil(cacheShell().then(() => self.skipWaiting()))
})

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== SHELL).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  )
})

self.addEventListener('message', (event) => {
  const assets = Array.isArray(event.data?.cache) ? event.data.cache.filter((path) => typeof path === 'string' && path.startsWith('/assets/')) : []
  if (assets.length) event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(assets)))
})

/** Keeps a copy of a response (taken before the page reads it) for as long as the event lives. */
function keep(event, key, response) {
  const copy = response.clone()
  event.waitUntil(caches.open(SHELL).then((cache) => cache.put(key, copy)))
}

self.addEventListener('fetch', (event) => {
  const request = event.request
  const url = new URL(request.url)
  if (request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return
  if (request.mode === 'navigate') {
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (isPage(response)) keep(event, PAGE, response)
          return response
        })
        .catch(() => caches.match(PAGE).then((cached) => cached ?? Response.error())),
    )
    return
  }
  if (url.pathname.startsWith('/assets/') || url.pathname.startsWith('/mobile/')) {
    event.respondWith(
      caches.match(request).then(
        (cached) =>
          cached ??
          fetch(request).then((response) => {
            if (response.ok) keep(event, request, response)
            return response
          }),
      ),
    )
  }
})
